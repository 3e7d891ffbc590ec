//! Initial schema: every table of the bot.
//!
//! Portable between SQLite and PostgreSQL: ids are BIGINT, strings are TEXT,
//! instants are `timestamp with time zone`, days are DATE, JSON payloads are TEXT.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // users
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_integer(Users::Id).primary_key())
                    .col(big_integer(Users::ChatId))
                    .col(text_null(Users::Username))
                    .col(text(Users::FirstName))
                    .col(text_null(Users::LanguageCode))
                    .col(text(Users::Status).default("active"))
                    .col(text(Users::Onboarding).default("language"))
                    .col(integer(Users::StreakCurrent).default(0))
                    .col(integer(Users::StreakBest).default(0))
                    .col(date_null(Users::LastPracticeDay))
                    .col(big_integer(Users::StarsTotal).default(0))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        // user_settings (1:1 with users)
        manager
            .create_table(
                Table::create()
                    .table(UserSettings::Table)
                    .col(big_integer(UserSettings::UserId).primary_key())
                    .col(text(UserSettings::InterfaceLang))
                    .col(text(UserSettings::Level))
                    .col(text(UserSettings::Style))
                    .col(text(UserSettings::Corrections))
                    .col(text(UserSettings::VoiceSpeed))
                    .col(boolean(UserSettings::VoiceReplies))
                    .col(text(UserSettings::Timezone))
                    .col(timestamp_with_time_zone(UserSettings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_settings_user_id")
                            .from(UserSettings::Table, UserSettings::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // updates: durable inbox of Telegram updates
        manager
            .create_table(
                Table::create()
                    .table(Updates::Table)
                    .col(big_integer(Updates::UpdateId).primary_key())
                    .col(big_integer_null(Updates::ChatId))
                    .col(text(Updates::Kind))
                    .col(text(Updates::Payload))
                    .col(text(Updates::Status).default("pending"))
                    .col(integer(Updates::Attempts).default(0))
                    .col(text_null(Updates::Error))
                    .col(timestamp_with_time_zone(Updates::ReceivedAt))
                    .col(timestamp_with_time_zone_null(Updates::DoneAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_updates_status_update_id")
                    .table(Updates::Table)
                    .col(Updates::Status)
                    .col(Updates::UpdateId)
                    .to_owned(),
            )
            .await?;

        // messages
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(big_pk_auto(Messages::Id))
                    .col(big_integer(Messages::UserId))
                    .col(big_integer(Messages::ChatId))
                    .col(big_integer_null(Messages::UpdateId))
                    .col(text(Messages::Role))
                    .col(text(Messages::Kind))
                    .col(text_null(Messages::Text))
                    .col(text_null(Messages::ReplyJson))
                    .col(text_null(Messages::AudioPath))
                    .col(integer_null(Messages::AudioDurationSecs))
                    .col(big_integer_null(Messages::TelegramMessageId))
                    .col(text_null(Messages::Model))
                    .col(integer(Messages::Tokens).default(0))
                    .col(integer_null(Messages::PromptTokens))
                    .col(integer_null(Messages::CompletionTokens))
                    .col(integer_null(Messages::Score))
                    .col(timestamp_with_time_zone(Messages::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_messages_user_id")
                            .from(Messages::Table, Messages::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_messages_user_id_id")
                    .table(Messages::Table)
                    .col(Messages::UserId)
                    .col(Messages::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_messages_update_id")
                    .table(Messages::Table)
                    .col(Messages::UpdateId)
                    .to_owned(),
            )
            .await?;

        // mistakes
        manager
            .create_table(
                Table::create()
                    .table(Mistakes::Table)
                    .col(big_pk_auto(Mistakes::Id))
                    .col(big_integer(Mistakes::MessageId))
                    .col(big_integer(Mistakes::UserId))
                    .col(text(Mistakes::Original))
                    .col(text(Mistakes::Corrected))
                    .col(text(Mistakes::Explanation))
                    .col(text(Mistakes::Category))
                    .col(timestamp_with_time_zone(Mistakes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mistakes_message_id")
                            .from(Mistakes::Table, Mistakes::MessageId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mistakes_user_id")
                            .from(Mistakes::Table, Mistakes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mistakes_user_id_created_at")
                    .table(Mistakes::Table)
                    .col(Mistakes::UserId)
                    .col(Mistakes::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // Lets the ON DELETE CASCADE from messages (and per-message lookups) use an index.
        manager
            .create_index(
                Index::create()
                    .name("idx_mistakes_message_id")
                    .table(Mistakes::Table)
                    .col(Mistakes::MessageId)
                    .to_owned(),
            )
            .await?;

        // turns: per-turn stage timings; deliberately no foreign key
        manager
            .create_table(
                Table::create()
                    .table(Turns::Table)
                    .col(big_pk_auto(Turns::Id))
                    .col(big_integer(Turns::UpdateId))
                    .col(big_integer(Turns::UserId))
                    .col(big_integer(Turns::ChatId))
                    .col(text(Turns::Kind))
                    .col(integer_null(Turns::DownloadMs))
                    .col(integer_null(Turns::SttMs))
                    .col(integer_null(Turns::LlmMs))
                    .col(integer_null(Turns::TtsMs))
                    .col(integer_null(Turns::SendMs))
                    .col(integer_null(Turns::TotalMs))
                    .col(text(Turns::Outcome))
                    .col(timestamp_with_time_zone(Turns::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_turns_update_id")
                    .table(Turns::Table)
                    .col(Turns::UpdateId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        // daily_stats
        manager
            .create_table(
                Table::create()
                    .table(DailyStats::Table)
                    .col(big_integer(DailyStats::UserId))
                    .col(date(DailyStats::Day))
                    .col(integer(DailyStats::Turns).default(0))
                    .col(integer(DailyStats::Words).default(0))
                    .col(big_integer(DailyStats::ScoreSum).default(0))
                    .col(integer(DailyStats::ScoredTurns).default(0))
                    .col(boolean(DailyStats::ChallengeDone).default(false))
                    .primary_key(
                        Index::create()
                            .name("pk_daily_stats")
                            .col(DailyStats::UserId)
                            .col(DailyStats::Day),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_daily_stats_user_id")
                            .from(DailyStats::Table, DailyStats::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // stars: ledger
        manager
            .create_table(
                Table::create()
                    .table(Stars::Table)
                    .col(big_pk_auto(Stars::Id))
                    .col(big_integer(Stars::UserId))
                    .col(integer(Stars::Amount))
                    .col(text(Stars::Reason))
                    .col(timestamp_with_time_zone(Stars::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stars_user_id")
                            .from(Stars::Table, Stars::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_stars_user_id")
                    .table(Stars::Table)
                    .col(Stars::UserId)
                    .to_owned(),
            )
            .await?;

        // saved_words
        manager
            .create_table(
                Table::create()
                    .table(SavedWords::Table)
                    .col(big_pk_auto(SavedWords::Id))
                    .col(big_integer(SavedWords::UserId))
                    .col(text(SavedWords::Czech))
                    .col(text(SavedWords::Translation))
                    .col(text(SavedWords::Normalized))
                    .col(text_null(SavedWords::SourceSentence))
                    .col(timestamp_with_time_zone(SavedWords::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_saved_words_user_id")
                            .from(SavedWords::Table, SavedWords::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_saved_words_user_id_normalized")
                    .table(SavedWords::Table)
                    .col(SavedWords::UserId)
                    .col(SavedWords::Normalized)
                    .unique()
                    .to_owned(),
            )
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children first; indexes and foreign keys go with their tables.
        for table in [
            SavedWords::Table.into_iden(),
            Stars::Table.into_iden(),
            DailyStats::Table.into_iden(),
            Turns::Table.into_iden(),
            Mistakes::Table.into_iden(),
            Messages::Table.into_iden(),
            Updates::Table.into_iden(),
            UserSettings::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    ChatId,
    Username,
    FirstName,
    LanguageCode,
    Status,
    Onboarding,
    StreakCurrent,
    StreakBest,
    LastPracticeDay,
    StarsTotal,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserSettings {
    Table,
    UserId,
    InterfaceLang,
    Level,
    Style,
    Corrections,
    VoiceSpeed,
    VoiceReplies,
    Timezone,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Updates {
    Table,
    UpdateId,
    ChatId,
    Kind,
    Payload,
    Status,
    Attempts,
    Error,
    ReceivedAt,
    DoneAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    UserId,
    ChatId,
    UpdateId,
    Role,
    Kind,
    Text,
    ReplyJson,
    AudioPath,
    AudioDurationSecs,
    TelegramMessageId,
    Model,
    Tokens,
    PromptTokens,
    CompletionTokens,
    Score,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Mistakes {
    Table,
    Id,
    MessageId,
    UserId,
    Original,
    Corrected,
    Explanation,
    Category,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Turns {
    Table,
    Id,
    UpdateId,
    UserId,
    ChatId,
    Kind,
    DownloadMs,
    SttMs,
    LlmMs,
    TtsMs,
    SendMs,
    TotalMs,
    Outcome,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DailyStats {
    Table,
    UserId,
    Day,
    Turns,
    Words,
    ScoreSum,
    ScoredTurns,
    ChallengeDone,
}

#[derive(DeriveIden)]
enum Stars {
    Table,
    Id,
    UserId,
    Amount,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SavedWords {
    Table,
    Id,
    UserId,
    Czech,
    Translation,
    Normalized,
    SourceSentence,
    CreatedAt,
}
