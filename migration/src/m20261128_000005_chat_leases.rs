//! Several replicas: who runs which chat, and who is alive.
//!
//! - `chat_leases`: a replica runs a chat's updates only while it holds the chat's lease, so one
//!   chat's turns stay in order even when its updates reach different replicas. A lease is a row
//!   with an expiry rather than a row lock held for the turn: a turn waits seconds on OpenAI, and a
//!   held lock would pin a database connection per busy chat. A crashed replica's leases simply
//!   expire and another replica claims the chat.
//! - `replicas`: a heartbeat per running replica; each replica's fallback share of the Telegram
//!   send budget is the budget divided by the replicas alive.
//! - `updates (status, chat_id, update_id)`: "pending updates of the chats I hold" is the claim
//!   loop's query.
//!
//! Times are epoch milliseconds (one comparable integer on both SQLite and PostgreSQL).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChatLeases::Table)
                    .col(big_integer(ChatLeases::ChatId).primary_key())
                    .col(text(ChatLeases::Holder))
                    .col(big_integer(ChatLeases::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_chat_leases_holder")
                    .table(ChatLeases::Table)
                    .col(ChatLeases::Holder)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Replicas::Table)
                    .col(text(Replicas::Id).primary_key())
                    .col(big_integer(Replicas::SeenAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_updates_status_chat_id")
                    .table(Updates::Table)
                    .col(Updates::Status)
                    .col(Updates::ChatId)
                    .col(Updates::UpdateId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop().name("idx_updates_status_chat_id").table(Updates::Table).to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(Replicas::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ChatLeases::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ChatLeases {
    Table,
    ChatId,
    Holder,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Replicas {
    Table,
    Id,
    SeenAt,
}

#[derive(DeriveIden)]
enum Updates {
    Table,
    Status,
    ChatId,
    UpdateId,
}
