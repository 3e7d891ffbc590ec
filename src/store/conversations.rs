//! Conversations: the current one per learner (a new one after `/reset`), and its rolling summary.

use chrono::{DateTime, Utc};
use entity::{conversations, messages};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use serde::Deserialize;

use super::StoreError;
use crate::tutor::{HistoryTurn, Role};

/// The learner's current conversation, created on first use.
pub async fn current(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<conversations::Model, StoreError> {
    let latest = conversations::Entity::find()
        .filter(conversations::Column::UserId.eq(user_id))
        .order_by_desc(conversations::Column::Id)
        .one(db)
        .await?;
    match latest {
        Some(c) => Ok(c),
        None => start_new(db, user_id, now).await,
    }
}

/// Starts a fresh conversation (empty context); history, stats and stars stay.
pub async fn start_new(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<conversations::Model, StoreError> {
    Ok(fresh(user_id, now).insert(db).await?)
}

/// A new conversation's row (also started in one round trip with a learner's first message,
/// `store::turns`).
pub(super) fn fresh(user_id: i64, now: DateTime<Utc>) -> conversations::ActiveModel {
    conversations::ActiveModel {
        user_id: Set(user_id),
        summary: Set(None),
        summary_tokens: Set(0),
        summarized_through: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

pub async fn get(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<conversations::Model>, StoreError> {
    Ok(conversations::Entity::find_by_id(id).one(db).await?)
}

/// A message of the conversation not yet folded into the summary.
#[derive(Clone, Debug)]
pub struct Unsummarized {
    pub id: i64,
    pub turn: HistoryTurn,
}

/// The conversation's messages after the summary (with text), oldest first, before `before_id`,
/// at most `limit` of the newest.
pub async fn unsummarized(
    db: &impl ConnectionTrait,
    c: &conversations::Model,
    before_id: i64,
    limit: u64,
) -> Result<Vec<Unsummarized>, StoreError> {
    let after = Expr::value(c.summarized_through);
    let rows = unsummarized_query(c.id, after, before_id, limit).into_model().all(db).await?;
    Ok(history_of(rows))
}

/// The select behind [`unsummarized`] (newest first): the messages of conversation `id` after
/// `after` (its summary's last message: a value, or a sub-select where the conversation is read
/// with it, `store::prompt`). Only the columns a turn of history needs: a whole message carries
/// Honzík's structured reply (`reply_json`, a kilobyte or more each) that nothing here reads.
pub(super) fn unsummarized_query(
    id: i64,
    after: Expr,
    before_id: i64,
    limit: u64,
) -> sea_orm::Select<messages::Entity> {
    use messages::Column as C;
    messages::Entity::find()
        .select_only()
        .columns([C::Id, C::Role, C::Text, C::Tokens])
        .filter(C::ConversationId.eq(id))
        .filter(Expr::col((messages::Entity, C::Id)).gt(after))
        .filter(C::Id.lt(before_id))
        .filter(C::Text.is_not_null())
        .order_by_desc(C::Id)
        .limit(limit)
}

/// A row of [`unsummarized_query`].
#[derive(FromQueryResult, Deserialize)]
pub(super) struct HistoryRow {
    pub id: i64,
    role: String,
    text: Option<String>,
    tokens: i32,
}

/// [`unsummarized_query`]'s rows (newest first) as history, oldest first.
pub(super) fn history_of(mut rows: Vec<HistoryRow>) -> Vec<Unsummarized> {
    rows.reverse();
    rows.into_iter()
        .map(|m| Unsummarized {
            id: m.id,
            turn: HistoryTurn {
                role: if m.role == "honzik" { Role::Honzik } else { Role::Learner },
                text: m.text.unwrap_or_default(),
                tokens: Ord::max(m.tokens, 0) as usize,
            },
        })
        .collect()
}

/// Stores a new summary covering every message up to `through`. Only moves forward, so a slow
/// summary finishing after a newer one cannot undo it.
pub async fn set_summary(
    db: &impl ConnectionTrait,
    id: i64,
    summary: &str,
    tokens: usize,
    through: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let Some(c) = get(db, id).await? else { return Ok(false) };
    if c.summarized_through >= through {
        return Ok(false);
    }
    let mut c = c.into_active_model();
    c.summary = Set(Some(summary.to_owned()));
    c.summary_tokens = Set(tokens as i32);
    c.summarized_through = Set(through);
    c.updated_at = Set(now);
    c.update(db).await?;
    Ok(true)
}
