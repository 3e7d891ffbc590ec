use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Durable inbox of Telegram updates.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "updates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub update_id: i64,
    pub chat_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    /// The update's JSON.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// "pending" | "done" | "failed"
    #[sea_orm(column_type = "Text")]
    pub status: String,
    pub attempts: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub received_at: DateTimeUtc,
    pub done_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
