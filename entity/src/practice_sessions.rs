use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The practice session (`/scene`, `/listen`) a learner has under way (at most one).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "practice_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub user_id: i64,
    /// `scene`, `listen` (see `mluvme::practice::Mode`).
    #[sea_orm(column_type = "Text")]
    pub mode: String,
    /// A scene's id, or a dictation's item ids (`a1-3,a1-7,…`).
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    /// A scene's turns so far, or the dictation item being asked (0-based).
    pub position: i32,
    pub score: i32,
    pub missed: i32,
    pub hints: i32,
    pub goal_reached: bool,
    /// The latest hint the model suggested during a scene.
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    /// The quiz poll waiting for its answer.
    #[sea_orm(column_type = "Text", nullable)]
    pub poll_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
