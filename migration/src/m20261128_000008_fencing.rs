//! Fencing between replicas (issue 15, point 4).
//!
//! `chat_leases.token`: a number that grows each time a chat's lease passes to a holder that did
//! not have it (another replica, or this one after giving it back). A replica runs an update
//! under the token it held when the update started and checks it before every paid or visible
//! step and when marking the update done: a replica that stalled past its lease while another
//! took the chat over finds a different token and stops, instead of answering (and paying for)
//! the update a second time. Rows are no longer deleted on release (the holder is cleared), so
//! a chat's token never starts over.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ChatLeases::Table)
                    .add_column(big_integer(ChatLeases::Token).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(ChatLeases::Table).drop_column(ChatLeases::Token).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ChatLeases {
    Table,
    Token,
}
