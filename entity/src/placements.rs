use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A learner's placement test: the one under way (`step` set) and the last result.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "placements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The item the learner answers next; `None` when no test is under way.
    pub step: Option<i32>,
    /// The answers so far: a JSON array of strings or nulls (skipped, not heard).
    pub answers: String,
    pub started_at: DateTimeUtc,
    /// The last result, A1–C1.
    pub level: Option<String>,
    /// The last result's lines: JSON `{listening, speaking, grammar, vocabulary}`.
    pub skills: Option<String>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
