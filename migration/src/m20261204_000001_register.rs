//! The learner's register (`/register`): standard Czech (spisovná) or common Czech (obecná).
//! Nullable: a learner who never chose gets their level's default, so a change of level moves
//! it along until they pick one themselves.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(UserSettings::Table)
                    .add_column(text_null(UserSettings::Register))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(UserSettings::Table)
                    .drop_column(UserSettings::Register)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum UserSettings {
    Table,
    Register,
}
