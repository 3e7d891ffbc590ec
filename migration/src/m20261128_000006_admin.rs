//! Running the bot: settings admins change at runtime, quotas, the allow-list, the admin log,
//! "once" marks, and broadcasts.
//!
//! - `bot_settings`: key → value for what admins change without a restart (access mode, default
//!   quota, global spend cap). In the database, not in memory, so every replica sees a change.
//! - `quotas`: a learner's own daily allowance. `kind` says "daily" (then `micros`, which may be
//!   0 = nothing allowed) or "unlimited": two explicit values, so a NULL or a 0 can never be
//!   mistaken for "no limit". No row = the default.
//! - `allowed_users`: who may talk to Honzík in allow-list mode (besides `ALLOWED_USERS`).
//! - `admin_actions`: who did what, for the record.
//! - `once_marks`: a unique key per thing said once (the spend-cap alert of a day, the "almost
//!   used up" note of a learner's day, a ban notice): inserting the row is the claim, so exactly
//!   one replica says it.
//! - `broadcasts` + `broadcast_recipients`: a confirmed broadcast and, per learner, whether it
//!   was sent; `holder`/`lease_until` (epoch ms) make one replica at a time send it;
//!   `voice_file_id` is Telegram's id of a voice sent along (the text is then its caption).
//! - `usage (created_at)`: today's total spend (the global cap) is a range over it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BotSettings::Table)
                    .col(text(BotSettings::Key).primary_key())
                    .col(text(BotSettings::Value))
                    .col(timestamp_with_time_zone(BotSettings::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Quotas::Table)
                    .col(big_integer(Quotas::UserId).primary_key())
                    .col(text(Quotas::Kind))
                    .col(big_integer(Quotas::Micros).default(0))
                    .col(timestamp_with_time_zone(Quotas::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AllowedUsers::Table)
                    .col(big_integer(AllowedUsers::UserId).primary_key())
                    .col(timestamp_with_time_zone(AllowedUsers::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdminActions::Table)
                    .col(big_pk_auto(AdminActions::Id))
                    .col(big_integer(AdminActions::AdminId))
                    .col(text(AdminActions::Action))
                    .col(text(AdminActions::Detail))
                    .col(timestamp_with_time_zone(AdminActions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OnceMarks::Table)
                    .col(text(OnceMarks::Key).primary_key())
                    .col(timestamp_with_time_zone(OnceMarks::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Broadcasts::Table)
                    .col(big_pk_auto(Broadcasts::Id))
                    .col(big_integer(Broadcasts::AdminId))
                    .col(big_integer(Broadcasts::AdminChatId))
                    .col(text(Broadcasts::Audience))
                    .col(text(Broadcasts::Text))
                    .col(text_null(Broadcasts::VoiceFileId))
                    .col(text(Broadcasts::Status))
                    .col(big_integer_null(Broadcasts::ProgressMessageId))
                    .col(text_null(Broadcasts::Holder))
                    .col(big_integer(Broadcasts::LeaseUntil).default(0))
                    .col(timestamp_with_time_zone(Broadcasts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BroadcastRecipients::Table)
                    .col(big_integer(BroadcastRecipients::BroadcastId))
                    .col(big_integer(BroadcastRecipients::UserId))
                    .col(text(BroadcastRecipients::Status))
                    .primary_key(
                        Index::create()
                            .col(BroadcastRecipients::BroadcastId)
                            .col(BroadcastRecipients::UserId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_broadcast_recipients_status")
                    .table(BroadcastRecipients::Table)
                    .col(BroadcastRecipients::BroadcastId)
                    .col(BroadcastRecipients::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_usage_created_at")
                    .table(Usage::Table)
                    .col(Usage::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("idx_usage_created_at").table(Usage::Table).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(BroadcastRecipients::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Broadcasts::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(OnceMarks::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AdminActions::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AllowedUsers::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Quotas::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(BotSettings::Table).to_owned()).await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum BotSettings {
    Table,
    Key,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Quotas {
    Table,
    UserId,
    Kind,
    Micros,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AllowedUsers {
    Table,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AdminActions {
    Table,
    Id,
    AdminId,
    Action,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OnceMarks {
    Table,
    Key,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Broadcasts {
    Table,
    Id,
    AdminId,
    AdminChatId,
    Audience,
    Text,
    VoiceFileId,
    Status,
    ProgressMessageId,
    Holder,
    LeaseUntil,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BroadcastRecipients {
    Table,
    BroadcastId,
    UserId,
    Status,
}

#[derive(DeriveIden)]
enum Usage {
    Table,
    CreatedAt,
}
