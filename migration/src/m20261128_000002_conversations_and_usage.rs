//! Conversations (a rolling summary per conversation, `/reset` starts a new one) and the usage
//! ledger (every upstream request with its tokens, seconds, characters and cost), plus the day's
//! sums on `daily_stats`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .col(pk_auto(Conversations::Id).big_integer())
                    .col(big_integer(Conversations::UserId))
                    .col(text_null(Conversations::Summary))
                    .col(integer(Conversations::SummaryTokens).default(0))
                    .col(big_integer(Conversations::SummarizedThrough).default(0))
                    .col(timestamp_with_time_zone(Conversations::CreatedAt))
                    .col(timestamp_with_time_zone(Conversations::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_conversations_user_id")
                            .from(Conversations::Table, Conversations::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_conversations_user_id")
                    .table(Conversations::Table)
                    .col(Conversations::UserId)
                    .col(Conversations::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Usage::Table)
                    .col(pk_auto(Usage::Id).big_integer())
                    .col(big_integer(Usage::UserId))
                    .col(big_integer_null(Usage::MessageId))
                    .col(text(Usage::Kind))
                    .col(text(Usage::Model))
                    .col(integer(Usage::PromptTokens).default(0))
                    .col(integer(Usage::CompletionTokens).default(0))
                    .col(double(Usage::AudioSeconds).default(0.0))
                    .col(integer(Usage::Characters).default(0))
                    .col(big_integer_null(Usage::CostMicros))
                    .col(date(Usage::Day))
                    .col(timestamp_with_time_zone(Usage::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_usage_user_day")
                    .table(Usage::Table)
                    .col(Usage::UserId)
                    .col(Usage::Day)
                    .to_owned(),
            )
            .await?;
        // SQLite takes one ALTER per column.
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(big_integer_null(Messages::ConversationId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_messages_conversation")
                    .table(Messages::Table)
                    .col(Messages::ConversationId)
                    .col(Messages::Id)
                    .to_owned(),
            )
            .await?;
        for col in [
            DailyStats::PromptTokens,
            DailyStats::CompletionTokens,
            DailyStats::TtsChars,
            DailyStats::CostMicros,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(DailyStats::Table)
                        .add_column(big_integer(col).default(0))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(DailyStats::Table)
                    .add_column(double(DailyStats::SttSeconds).default(0.0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(DailyStats::Table)
                    .add_column(integer(DailyStats::UnpricedRequests).default(0))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            DailyStats::UnpricedRequests,
            DailyStats::SttSeconds,
            DailyStats::CostMicros,
            DailyStats::TtsChars,
            DailyStats::CompletionTokens,
            DailyStats::PromptTokens,
        ] {
            manager
                .alter_table(Table::alter().table(DailyStats::Table).drop_column(col).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop().name("idx_messages_conversation").table(Messages::Table).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .drop_column(Messages::ConversationId)
                    .to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(Usage::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Conversations::Table).to_owned()).await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    ConversationId,
}

#[derive(DeriveIden)]
enum DailyStats {
    Table,
    PromptTokens,
    CompletionTokens,
    SttSeconds,
    TtsChars,
    CostMicros,
    UnpricedRequests,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    UserId,
    Summary,
    SummaryTokens,
    SummarizedThrough,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Usage {
    Table,
    Id,
    UserId,
    MessageId,
    Kind,
    Model,
    PromptTokens,
    CompletionTokens,
    AudioSeconds,
    Characters,
    CostMicros,
    Day,
    CreatedAt,
}
