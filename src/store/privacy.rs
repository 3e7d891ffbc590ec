//! The learner's own data: everything stored about them as one JSON document (`/export`), and
//! erasing their content (`/delete_me`).
//!
//! Erasing keeps what holds nothing they said and what stops the deletion from being a way out:
//! the users row (Telegram id, chat, status — a ban survives), the usage ledger and the cost
//! columns of `daily_stats` (so today's spend still counts against the daily allowance).

use chrono::{DateTime, Utc};
use entity::{
    conversations, daily_stats, messages, mistakes, saved_words, stars, turns, updates, usage,
    user_settings, users,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait, sea_query::Expr,
};
use serde::Serialize;
use serde_json::{Value, json};

use super::{StoreError, inbox, learners};

/// Everything stored about the learner, table by table; `None` when there is no such learner.
pub async fn export(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<Value>, StoreError> {
    let Some(user) = users::Entity::find_by_id(user_id).one(db).await? else { return Ok(None) };
    let messages = messages::Entity::find()
        .filter(messages::Column::UserId.eq(user_id))
        .order_by_asc(messages::Column::Id)
        .all(db)
        .await?;
    let updates = updates::Entity::find()
        .filter(updates::Column::ChatId.eq(user.chat_id))
        .order_by_asc(updates::Column::UpdateId)
        .all(db)
        .await?;
    Ok(Some(json!({
        "format": "mluvme-export/1",
        "exported_at": now,
        "user": user,
        "settings": user_settings::Entity::find_by_id(user_id).one(db).await?,
        "messages": rows(messages, "reply_json", "reply"),
        "mistakes": mistakes::Entity::find().filter(mistakes::Column::UserId.eq(user_id)).order_by_asc(mistakes::Column::Id).all(db).await?,
        "saved_words": saved_words::Entity::find().filter(saved_words::Column::UserId.eq(user_id)).order_by_asc(saved_words::Column::Id).all(db).await?,
        "daily_stats": daily_stats::Entity::find().filter(daily_stats::Column::UserId.eq(user_id)).order_by_asc(daily_stats::Column::Day).all(db).await?,
        "stars": stars::Entity::find().filter(stars::Column::UserId.eq(user_id)).order_by_asc(stars::Column::Id).all(db).await?,
        "conversations": conversations::Entity::find().filter(conversations::Column::UserId.eq(user_id)).order_by_asc(conversations::Column::Id).all(db).await?,
        "turns": turns::Entity::find().filter(turns::Column::UserId.eq(user_id)).order_by_asc(turns::Column::Id).all(db).await?,
        "usage": usage::Entity::find().filter(usage::Column::UserId.eq(user_id)).order_by_asc(usage::Column::Id).all(db).await?,
        "review_cards": entity::review_cards::Entity::find().filter(entity::review_cards::Column::UserId.eq(user_id)).order_by_asc(entity::review_cards::Column::Id).all(db).await?,
        "reminder": entity::reminders::Entity::find_by_id(user_id).one(db).await?,
        "telegram_updates": rows(updates, "payload", "update"),
    })))
}

/// Rows as JSON, with the JSON text kept in column `field` opened up under `name`, so the
/// export reads as one document rather than JSON strings inside JSON.
fn rows<T: Serialize>(rows: Vec<T>, field: &str, name: &str) -> Vec<Value> {
    rows.into_iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
            if let Some(obj) = v.as_object_mut()
                && let Some(Value::String(text)) = obj.remove(field)
            {
                obj.insert(
                    name.to_owned(),
                    serde_json::from_str(&text).unwrap_or(Value::String(text)),
                );
            }
            v
        })
        .collect()
}

/// What `/delete_me` removed. The audio files are deleted by the caller, after the commit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    pub messages: u64,
    pub saved_words: u64,
    /// Days of practice statistics.
    pub days: u64,
    /// Audio files recorded on the removed messages.
    pub audio_paths: Vec<String>,
}

/// Erases the learner's content in one transaction and resets them to a fresh start (onboarding
/// from the beginning, default settings in their interface language), bumping their deletion
/// count. Updates still pending (the one running this, and any queued behind it) are left to
/// finish.
pub async fn delete_content(
    db: &DatabaseConnection,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Removed, StoreError> {
    let txn = db.begin().await?;
    let Some(user) = users::Entity::find_by_id(user_id).one(&txn).await? else {
        return Ok(Removed::default());
    };
    let audio_paths: Vec<Option<String>> = messages::Entity::find()
        .select_only()
        .column(messages::Column::AudioPath)
        .filter(messages::Column::UserId.eq(user_id))
        .filter(messages::Column::AudioPath.is_not_null())
        .into_tuple()
        .all(&txn)
        .await?;
    mistakes::Entity::delete_many().filter(mistakes::Column::UserId.eq(user_id)).exec(&txn).await?;
    super::review::delete_all(&txn, user_id).await?;
    super::reminders::delete_all(&txn, user_id).await?;
    let messages = messages::Entity::delete_many()
        .filter(messages::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?
        .rows_affected;
    let saved_words = saved_words::Entity::delete_many()
        .filter(saved_words::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?
        .rows_affected;
    let days = erase_daily_stats(&txn, user_id).await?;
    stars::Entity::delete_many().filter(stars::Column::UserId.eq(user_id)).exec(&txn).await?;
    conversations::Entity::delete_many()
        .filter(conversations::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    turns::Entity::delete_many().filter(turns::Column::UserId.eq(user_id)).exec(&txn).await?;
    updates::Entity::delete_many()
        .filter(updates::Column::ChatId.eq(user.chat_id))
        .filter(updates::Column::Status.ne(inbox::PENDING))
        .exec(&txn)
        .await?;
    learners::forget(&txn, user, now).await?;
    txn.commit().await?;
    Ok(Removed {
        messages,
        saved_words,
        days,
        audio_paths: audio_paths.into_iter().flatten().collect(),
    })
}

/// Zeroes the learning columns of every day and drops the days that cost nothing; returns how
/// many days had practice. Cost columns stay: the daily allowance reads them.
async fn erase_daily_stats(txn: &impl ConnectionTrait, user_id: i64) -> Result<u64, StoreError> {
    use daily_stats::Column as C;
    let days = daily_stats::Entity::find()
        .filter(C::UserId.eq(user_id))
        .filter(C::Turns.gt(0))
        .all(txn)
        .await?
        .len() as u64;
    daily_stats::Entity::update_many()
        .col_expr(C::Turns, Expr::value(0))
        .col_expr(C::Words, Expr::value(0))
        .col_expr(C::ScoreSum, Expr::value(0i64))
        .col_expr(C::ScoredTurns, Expr::value(0))
        .col_expr(C::ChallengeDone, Expr::value(false))
        .filter(C::UserId.eq(user_id))
        .exec(txn)
        .await?;
    daily_stats::Entity::delete_many()
        .filter(C::UserId.eq(user_id))
        .filter(C::PromptTokens.eq(0i64))
        .filter(C::CompletionTokens.eq(0i64))
        .filter(C::SttSeconds.eq(0.0))
        .filter(C::TtsChars.eq(0i64))
        .filter(C::CostMicros.eq(0i64))
        .filter(C::UnpricedRequests.eq(0))
        .exec(txn)
        .await?;
    Ok(days)
}
