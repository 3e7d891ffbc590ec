use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The review session a learner has open (at most one).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "review_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub user_id: i64,
    /// The cards, e.g. `w12,m7,t3`.
    #[sea_orm(column_type = "Text")]
    pub queue: String,
    /// The card being asked (0-based); `queue`'s length when done.
    pub position: i32,
    pub again: i32,
    pub hard: i32,
    pub good: i32,
    pub easy: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
