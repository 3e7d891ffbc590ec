//! Placement and the reminder offer (issue 13).
//!
//! - `placements`: the learner's placement test (`/placement`): the one under way (`step`, the
//!   answers so far as a JSON array, `started_at`; `step` NULL when none is) and the last
//!   result (`level` A1–C1, `skills` — one line each for listening, speaking, grammar and
//!   vocabulary, JSON — and `finished_at`). In the database, so a restart or another replica
//!   carries on with the next answer; a re-take keeps the last result until it has a new one.
//! - `reminder_offers`: the learner's answer to the one-tap daily-reminder offer at the end of
//!   onboarding — accepted or declined, and when. A declined offer is never made again, so the
//!   answer must outlive the moment (and a restart, and a change of replica); accepting also
//!   sets a row in `reminders`, which `/remind off` deletes without undoing the answer.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReminderOffers::Table)
                    .col(big_integer(ReminderOffers::UserId).primary_key())
                    .col(boolean(ReminderOffers::Accepted))
                    .col(timestamp_with_time_zone(ReminderOffers::DecidedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reminder_offers_user_id")
                            .from(ReminderOffers::Table, ReminderOffers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Placements::Table)
                    .col(big_integer(Placements::UserId).primary_key())
                    .col(integer_null(Placements::Step))
                    .col(text(Placements::Answers))
                    .col(timestamp_with_time_zone(Placements::StartedAt))
                    .col(text_null(Placements::Level))
                    .col(text_null(Placements::Skills))
                    .col(timestamp_with_time_zone_null(Placements::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_placements_user_id")
                            .from(Placements::Table, Placements::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Placements::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ReminderOffers::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ReminderOffers {
    Table,
    UserId,
    Accepted,
    DecidedAt,
}

#[derive(DeriveIden)]
enum Placements {
    Table,
    UserId,
    Step,
    Answers,
    StartedAt,
    Level,
    Skills,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
