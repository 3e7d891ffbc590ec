//! `usage.estimated`: the row's tokens were counted by the bot because the server reported none
//! (OpenAI-compatible servers may leave `usage` out), so its cost is an estimate. `/admin` says
//! so next to such costs; rows from before are what the server reported.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Usage::Table)
                    .add_column(boolean(Usage::Estimated).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Usage::Table).drop_column(Usage::Estimated).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Usage {
    Table,
    Estimated,
}
