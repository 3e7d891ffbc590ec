use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One upstream request (chat, summary, speech-to-text, text-to-speech) and what it cost.
/// `cost_micros` is in millionths of a US dollar; NULL means the price is unknown.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "usage")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub message_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub model: String,
    pub prompt_tokens: i32,
    pub completion_tokens: i32,
    pub audio_seconds: f64,
    pub characters: i32,
    pub cost_micros: Option<i64>,
    /// The tokens were counted by the bot (the server reported none): the cost is an estimate.
    pub estimated: bool,
    pub day: Date,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
