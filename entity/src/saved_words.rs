use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "saved_words")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    #[sea_orm(column_type = "Text")]
    pub czech: String,
    #[sea_orm(column_type = "Text")]
    pub translation: String,
    /// Unique per user.
    #[sea_orm(column_type = "Text")]
    pub normalized: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub source_sentence: Option<String>,
    pub created_at: DateTimeUtc,
    /// `word` (one of Honzík's new words) or `correction` (the corrected form of the learner's
    /// mistake, whose `translation` is the explanation): a correction is reviewed as its mistake.
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    /// The mistake a saved correction came from.
    pub mistake_id: Option<i64>,
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
