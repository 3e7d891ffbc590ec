use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "mistakes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub message_id: i64,
    pub user_id: i64,
    #[sea_orm(column_type = "Text")]
    pub original: String,
    #[sea_orm(column_type = "Text")]
    pub corrected: String,
    #[sea_orm(column_type = "Text")]
    pub explanation: String,
    #[sea_orm(column_type = "Text")]
    pub category: String,
    pub created_at: DateTimeUtc,
    /// The sentence of the learner's message the mistake was made in, as they wrote it (NULL on
    /// rows stored before it was kept: found in the learner's message instead).
    #[sea_orm(column_type = "Text", nullable)]
    pub sentence: Option<String>,
    /// That sentence corrected: a review card asks it back with the correction as a gap.
    #[sea_orm(column_type = "Text", nullable)]
    pub corrected_sentence: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::messages::Entity",
        from = "Column::MessageId",
        to = "super::messages::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Messages,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Users,
}

impl Related<super::messages::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Messages.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
