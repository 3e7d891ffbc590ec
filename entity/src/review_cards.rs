use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// FSRS memory of one review card (see `mluvme::review`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "review_cards")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// "w" word → translation, "t" translation → word, "m" a past mistake.
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    /// `saved_words.id` or `mistakes.id`.
    pub source_id: i64,
    pub due: DateTimeUtc,
    pub stability: f64,
    pub difficulty: f64,
    pub elapsed_days: i64,
    pub scheduled_days: i64,
    pub reps: i32,
    pub lapses: i32,
    pub state: i16,
    pub last_review: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
