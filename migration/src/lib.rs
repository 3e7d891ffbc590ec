//! Schema migrations for mluvme (SQLite and PostgreSQL).

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_initial;
mod m20261128_000002_conversations_and_usage;
mod m20261128_000003_learner_controls;
mod m20261128_000004_turn_checkpoints;
mod m20261128_000005_chat_leases;
mod m20261128_000006_admin;
mod m20261128_000007_review;
mod m20261128_000008_fencing;
mod m20261204_000001_register;
mod m20261204_000002_usage_estimates;
mod m20261204_000010_review_cards;
mod m20261204_000011_practice;
mod m20261204_000012_shadowing;
mod m20261204_000020_placement;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_initial::Migration),
            Box::new(m20261128_000002_conversations_and_usage::Migration),
            Box::new(m20261128_000003_learner_controls::Migration),
            Box::new(m20261128_000004_turn_checkpoints::Migration),
            Box::new(m20261128_000005_chat_leases::Migration),
            Box::new(m20261128_000006_admin::Migration),
            Box::new(m20261128_000007_review::Migration),
            Box::new(m20261128_000008_fencing::Migration),
            Box::new(m20261204_000001_register::Migration),
            Box::new(m20261204_000002_usage_estimates::Migration),
            Box::new(m20261204_000010_review_cards::Migration),
            Box::new(m20261204_000011_practice::Migration),
            Box::new(m20261204_000012_shadowing::Migration),
            Box::new(m20261204_000020_placement::Migration),
        ]
    }
}
