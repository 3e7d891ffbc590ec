//! Shadowing attempts (`/shadow`, issue 14 point 3): one row per attempt — the phrase, the
//! accuracy, the learner's and the native recording's words per minute and the long pauses — so
//! `/stats` follows them over time. The session itself is a `practice_sessions` row (mode
//! `shadow`). Nothing the learner said is kept here (numbers only); `/delete_me` removes the rows
//! with the user (the foreign key cascades).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ShadowAttempts::Table)
                    .col(big_pk_auto(ShadowAttempts::Id))
                    .col(big_integer(ShadowAttempts::UserId))
                    .col(text(ShadowAttempts::PhraseId))
                    .col(integer(ShadowAttempts::Accuracy))
                    .col(integer_null(ShadowAttempts::Wpm))
                    .col(integer(ShadowAttempts::NativeWpm))
                    .col(integer(ShadowAttempts::LongPauses))
                    .col(date(ShadowAttempts::Day))
                    .col(timestamp_with_time_zone(ShadowAttempts::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_shadow_attempts_user_id")
                            .from(ShadowAttempts::Table, ShadowAttempts::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_shadow_attempts_user_day")
                    .table(ShadowAttempts::Table)
                    .col(ShadowAttempts::UserId)
                    .col(ShadowAttempts::Day)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ShadowAttempts::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ShadowAttempts {
    Table,
    Id,
    UserId,
    PhraseId,
    Accuracy,
    Wpm,
    NativeWpm,
    LongPauses,
    Day,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
