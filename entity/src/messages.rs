use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub chat_id: i64,
    pub update_id: Option<i64>,
    pub conversation_id: Option<i64>,
    /// "learner" | "honzik"
    #[sea_orm(column_type = "Text")]
    pub role: String,
    /// "text" | "voice" | "audio" | "video_note"
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub text: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reply_json: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub audio_path: Option<String>,
    pub audio_duration_secs: Option<i32>,
    pub telegram_message_id: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub model: Option<String>,
    /// Token count of `text`, computed once when stored.
    pub tokens: i32,
    pub prompt_tokens: Option<i32>,
    pub completion_tokens: Option<i32>,
    pub score: Option<i32>,
    pub created_at: DateTimeUtc,
    /// Honzík's answer: how many of the reply's Telegram messages have been sent.
    pub delivered_parts: i32,
    /// Honzík's answer: what the turn earned, shown in the reply's caption.
    pub stars_earned: Option<i32>,
    pub streak_days: Option<i32>,
    pub challenge_completed: Option<bool>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::mistakes::Entity")]
    Mistakes,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Users,
}

impl Related<super::mistakes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Mistakes.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
