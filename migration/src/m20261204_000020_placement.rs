//! `reminder_offers`: the learner's answer to the one-tap daily-reminder offer at the end of
//! onboarding — accepted or declined, and when. A declined offer is never made again, so the
//! answer must outlive the moment (and a restart, and a change of replica); accepting also sets
//! a row in `reminders`, which `/remind off` deletes without undoing the answer.

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
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
enum Users {
    Table,
    Id,
}
