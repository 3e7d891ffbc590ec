use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One shadowing attempt (`/shadow`): what the transcript and its timing showed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "shadow_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// The phrase's id in `shadow.json`.
    #[sea_orm(column_type = "Text")]
    pub phrase_id: String,
    /// 0–100: the phrase's words said.
    pub accuracy: i32,
    /// The learner's words per minute; None when nothing could be timed.
    pub wpm: Option<i32>,
    /// The native recording's words per minute.
    pub native_wpm: i32,
    /// Gaps between words longer than 0.7 s.
    pub long_pauses: i32,
    /// The learner's local day.
    pub day: Date,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
