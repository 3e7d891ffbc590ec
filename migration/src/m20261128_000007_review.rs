//! Review and reminders.
//!
//! - `review_cards`: FSRS memory per learner and card (a saved word in one direction, or a past
//!   mistake). A card gets its row at its first grade; a card without a row is new. No foreign
//!   key to the source (it is one of two tables): a card whose word or mistake is gone is
//!   skipped and removed when met.
//! - `review_sessions`: the one session a learner has open — its queue of cards, how far it
//!   got and the grades so far — in the database so any replica (or a restarted one) can take
//!   the next answer.
//! - `reminders`: the learner's chosen local time (minutes after midnight); no row = off.
//! - `reminders_sent`: one row per learner and local day a reminder was claimed; its primary key
//!   makes the claim (`INSERT … ON CONFLICT DO NOTHING`) win on exactly one replica.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn to_users(name: &str, from: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReviewCards::Table)
                    .col(big_pk_auto(ReviewCards::Id))
                    .col(big_integer(ReviewCards::UserId))
                    .col(text(ReviewCards::Kind))
                    .col(big_integer(ReviewCards::SourceId))
                    .col(timestamp_with_time_zone(ReviewCards::Due))
                    .col(double(ReviewCards::Stability))
                    .col(double(ReviewCards::Difficulty))
                    .col(big_integer(ReviewCards::ElapsedDays))
                    .col(big_integer(ReviewCards::ScheduledDays))
                    .col(integer(ReviewCards::Reps))
                    .col(integer(ReviewCards::Lapses))
                    .col(small_integer(ReviewCards::State))
                    .col(timestamp_with_time_zone(ReviewCards::LastReview))
                    .foreign_key(&mut to_users(
                        "fk_review_cards_user_id",
                        (ReviewCards::Table, ReviewCards::UserId),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_review_cards_card")
                    .table(ReviewCards::Table)
                    .col(ReviewCards::UserId)
                    .col(ReviewCards::Kind)
                    .col(ReviewCards::SourceId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_review_cards_due")
                    .table(ReviewCards::Table)
                    .col(ReviewCards::UserId)
                    .col(ReviewCards::Due)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReviewSessions::Table)
                    .col(big_pk_auto(ReviewSessions::Id))
                    .col(big_integer(ReviewSessions::UserId).unique_key())
                    .col(text(ReviewSessions::Queue))
                    .col(integer(ReviewSessions::Position))
                    .col(integer(ReviewSessions::Again))
                    .col(integer(ReviewSessions::Hard))
                    .col(integer(ReviewSessions::Good))
                    .col(integer(ReviewSessions::Easy))
                    .col(timestamp_with_time_zone(ReviewSessions::CreatedAt))
                    .foreign_key(&mut to_users(
                        "fk_review_sessions_user_id",
                        (ReviewSessions::Table, ReviewSessions::UserId),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Reminders::Table)
                    .col(big_integer(Reminders::UserId).primary_key())
                    .col(integer(Reminders::AtMinute))
                    .col(timestamp_with_time_zone(Reminders::UpdatedAt))
                    .foreign_key(&mut to_users(
                        "fk_reminders_user_id",
                        (Reminders::Table, Reminders::UserId),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RemindersSent::Table)
                    .col(big_integer(RemindersSent::UserId))
                    .col(date(RemindersSent::Day))
                    .col(timestamp_with_time_zone(RemindersSent::SentAt))
                    .primary_key(Index::create().col(RemindersSent::UserId).col(RemindersSent::Day))
                    .foreign_key(&mut to_users(
                        "fk_reminders_sent_user_id",
                        (RemindersSent::Table, RemindersSent::UserId),
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RemindersSent::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Reminders::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ReviewSessions::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ReviewCards::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ReviewCards {
    Table,
    Id,
    UserId,
    Kind,
    SourceId,
    Due,
    Stability,
    Difficulty,
    ElapsedDays,
    ScheduledDays,
    Reps,
    Lapses,
    State,
    LastReview,
}

#[derive(DeriveIden)]
enum ReviewSessions {
    Table,
    Id,
    UserId,
    Queue,
    Position,
    Again,
    Hard,
    Good,
    Easy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reminders {
    Table,
    UserId,
    AtMinute,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RemindersSent {
    Table,
    UserId,
    Day,
    SentAt,
}
