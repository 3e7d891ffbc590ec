//! Resumable turns: what a restart needs to pick a turn up where it stopped.
//!
//! - `messages (update_id, role)` becomes unique: a turn has one learner message and one answer,
//!   so a resumed turn finds the rows it stored instead of adding second ones (and an insert
//!   that conflicts tells the turn it is a resumption, in the same round trip).
//! - Honzík's message remembers what the turn earned (stars, streak, challenge), so a resumed
//!   delivery shows the same caption without counting the progress twice, and how many of the
//!   reply's Telegram messages have gone out (`delivered_parts`), so none is sent twice.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Before this migration a crash could store a second answer for one update; keep the first.
        manager
            .get_connection()
            .execute_unprepared(
                "DELETE FROM messages WHERE update_id IS NOT NULL AND id NOT IN \
                 (SELECT MIN(id) FROM messages WHERE update_id IS NOT NULL GROUP BY update_id, role)",
            )
            .await?;
        manager
            .drop_index(
                Index::drop().name("idx_messages_update_id").table(Messages::Table).to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_messages_update_id_role")
                    .table(Messages::Table)
                    .col(Messages::UpdateId)
                    .col(Messages::Role)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // SQLite takes one ALTER per column.
        for col in [Messages::DeliveredParts] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Messages::Table)
                        .add_column(integer(col).default(0))
                        .to_owned(),
                )
                .await?;
        }
        for col in [Messages::StarsEarned, Messages::StreakDays] {
            manager
                .alter_table(
                    Table::alter().table(Messages::Table).add_column(integer_null(col)).to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(boolean_null(Messages::ChallengeCompleted))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            Messages::ChallengeCompleted,
            Messages::StreakDays,
            Messages::StarsEarned,
            Messages::DeliveredParts,
        ] {
            manager
                .alter_table(Table::alter().table(Messages::Table).drop_column(col).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop().name("idx_messages_update_id_role").table(Messages::Table).to_owned(),
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
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    UpdateId,
    Role,
    DeliveredParts,
    StarsEarned,
    StreakDays,
    ChallengeCompleted,
}
