use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "user_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    #[sea_orm(column_type = "Text")]
    pub interface_lang: String,
    #[sea_orm(column_type = "Text")]
    pub level: String,
    #[sea_orm(column_type = "Text")]
    pub style: String,
    #[sea_orm(column_type = "Text")]
    pub corrections: String,
    #[sea_orm(column_type = "Text")]
    pub voice_speed: String,
    pub voice_replies: bool,
    #[sea_orm(column_type = "Text")]
    pub timezone: String,
    pub updated_at: DateTimeUtc,
    /// "spisovna" | "obecna"; none until the learner chooses (their level's default applies).
    #[sea_orm(column_type = "Text", nullable)]
    pub register: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Users,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
