use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Per-turn stage timings and outcome. No foreign key on purpose.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "turns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub update_id: i64,
    pub user_id: i64,
    pub chat_id: i64,
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    pub download_ms: Option<i32>,
    pub stt_ms: Option<i32>,
    pub llm_ms: Option<i32>,
    pub tts_ms: Option<i32>,
    pub send_ms: Option<i32>,
    pub total_ms: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub outcome: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
