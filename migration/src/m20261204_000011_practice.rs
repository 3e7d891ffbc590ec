//! Practice sessions (issue 14): the one `/scene` or `/listen` a learner has under way.
//!
//! One row per learner at most (`user_id` unique): starting a mode replaces whatever was open,
//! and any replica — or this one after a restart — reads the row to take the next message,
//! button press or quiz answer. The columns are generic so a new mode (shadowing) needs no new
//! table: `mode` names it, `subject` is what it practises (a scene's id, a dictation's item
//! ids), `position` how far it got (a scene's turns, a dictation's item), `score` / `missed`
//! its tally, `hints` and `goal_reached` a scene's, `note` the latest hint the model gave,
//! `poll_id` the quiz poll waiting for its answer. Nothing the learner said is kept here (their
//! turns are in `messages`), so `/delete_me` simply removes the row.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PracticeSessions::Table)
                    .col(big_pk_auto(PracticeSessions::Id))
                    .col(big_integer(PracticeSessions::UserId).unique_key())
                    .col(text(PracticeSessions::Mode))
                    .col(text(PracticeSessions::Subject))
                    .col(integer(PracticeSessions::Position))
                    .col(integer(PracticeSessions::Score))
                    .col(integer(PracticeSessions::Missed))
                    .col(integer(PracticeSessions::Hints))
                    .col(boolean(PracticeSessions::GoalReached))
                    .col(text_null(PracticeSessions::Note))
                    .col(text_null(PracticeSessions::PollId))
                    .col(timestamp_with_time_zone(PracticeSessions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_practice_sessions_user_id")
                            .from(PracticeSessions::Table, PracticeSessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(PracticeSessions::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum PracticeSessions {
    Table,
    Id,
    UserId,
    Mode,
    Subject,
    Position,
    Score,
    Missed,
    Hints,
    GoalReached,
    Note,
    PollId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
