use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Telegram user id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub chat_id: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub username: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub first_name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub language_code: Option<String>,
    /// "active" | "blocked" | "banned"
    #[sea_orm(column_type = "Text")]
    pub status: String,
    /// "language" | "level" | "done"
    #[sea_orm(column_type = "Text")]
    pub onboarding: String,
    pub streak_current: i32,
    pub streak_best: i32,
    pub last_practice_day: Option<Date>,
    pub stars_total: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// What the bot waits for the learner to type next: "timezone", or nothing.
    #[sea_orm(column_type = "Text", nullable)]
    pub awaiting: Option<String>,
    /// How many times the learner deleted their data (`/delete_me`).
    pub deletions: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::daily_stats::Entity")]
    DailyStats,
    #[sea_orm(has_many = "super::messages::Entity")]
    Messages,
    #[sea_orm(has_many = "super::mistakes::Entity")]
    Mistakes,
    #[sea_orm(has_many = "super::saved_words::Entity")]
    SavedWords,
    #[sea_orm(has_many = "super::stars::Entity")]
    Stars,
    #[sea_orm(has_one = "super::user_settings::Entity")]
    UserSettings,
}

impl Related<super::daily_stats::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DailyStats.def()
    }
}

impl Related<super::messages::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Messages.def()
    }
}

impl Related<super::mistakes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Mistakes.def()
    }
}

impl Related<super::saved_words::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SavedWords.def()
    }
}

impl Related<super::stars::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Stars.def()
    }
}

impl Related<super::user_settings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UserSettings.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
