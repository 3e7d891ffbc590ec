//! The learner's own data: everything stored about them as one JSON document (`/export`), and
//! erasing their content (`/delete_me`).
//!
//! Erasing keeps what holds nothing they said and what stops the deletion from being a way out:
//! the users row (Telegram id, chat, status — a ban survives), the usage ledger and the cost
//! columns of `daily_stats` (so today's spend still counts against the daily allowance).
//!
//! [`DUTIES`] lists, table by table, what the two do; a new table holding user data must be
//! added there (its test fails until it is), exported and erased or exempt with the reason.

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

/// What `/export` and `/delete_me` do with each table that holds something about a person: the
/// duty that comes with a new table. `privacy_tests` fails when a table with a user column
/// (`user_id`, `chat_id`, `admin_id`, …) is missing here, and checks every entry against what
/// [`export`] and [`delete_content`] actually do with a learner who has a row in each table.
pub const DUTIES: &[Duty] = &[
    Duty::both(
        "users",
        "user",
        Erase::Partly("reset: id, chat and status stay, so a ban survives"),
    ),
    Duty::both("user_settings", "settings", Erase::Partly("reset to the defaults")),
    Duty::both("conversations", "conversations", Erase::Rows),
    Duty::both("messages", "messages", Erase::Rows),
    Duty::both("mistakes", "mistakes", Erase::Rows),
    Duty::both("saved_words", "saved_words", Erase::Rows),
    Duty::both("stars", "stars", Erase::Rows),
    Duty::both("turns", "turns", Erase::Rows),
    Duty::both("review_cards", "review_cards", Erase::Rows),
    Duty::both("reminders", "reminder", Erase::Rows),
    Duty::both("reminder_offers", "reminder_offer", Erase::Rows),
    Duty::both("placements", "placement", Erase::Rows),
    Duty::both("shadow_attempts", "shadow_attempts", Erase::Rows),
    Duty::both(
        "daily_stats",
        "daily_stats",
        Erase::Partly(
            "learning columns zeroed; the cost columns stay, the daily allowance reads them",
        ),
    ),
    Duty::both(
        "updates",
        "telegram_updates",
        Erase::Partly(
            "their private chat's finished updates go; pending ones (this /delete_me, any queued \
             behind it) finish first; what they said in groups is scrubbed from those chats' rows",
        ),
    ),
    Duty::both(
        "usage",
        "usage",
        Erase::Kept("the usage ledger: quotas and the spend cap count it, deleting is no way out"),
    ),
    Duty::erased("review_sessions", "the /review under way: card ids and a tally, nothing said"),
    Duty::erased(
        "practice_sessions",
        "the /scene, /listen or /shadow under way: its place and tally; what was said is in messages",
    ),
    Duty::erased("reminders_sent", "the days a reminder went out, so one goes a day"),
    Duty::exempt("quotas", "an admin's decision about the learner, like a ban"),
    Duty::exempt("allowed_users", "an admin's decision (the allow-list), like a ban"),
    Duty::exempt("admin_actions", "the admins' own log of what they did"),
    Duty::exempt("broadcasts", "an admin's own broadcast (admin_id, admin_chat_id)"),
    Duty::exempt("broadcast_recipients", "whether a broadcast reached them, so none is sent twice"),
    Duty::exempt("chat_leases", "which replica serves the chat: expires within seconds"),
];

/// One table's part in `/export` and `/delete_me`.
#[derive(Clone, Copy, Debug)]
pub struct Duty {
    pub table: &'static str,
    pub export: Export,
    pub erase: Erase,
}

/// Whether `/export` includes the learner's rows of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    /// Under this key of the export document.
    Under(&'static str),
    /// Not exported, for this reason.
    No(&'static str),
}

/// What `/delete_me` does with the learner's rows of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Erase {
    /// Every row goes.
    Rows,
    /// Rows stay, changed or in part; the reason says what stays and why.
    Partly(&'static str),
    /// Rows stay as they are, for this reason.
    Kept(&'static str),
}

impl Duty {
    const fn both(table: &'static str, key: &'static str, erase: Erase) -> Duty {
        Duty { table, export: Export::Under(key), erase }
    }

    const fn erased(table: &'static str, why_not_exported: &'static str) -> Duty {
        Duty { table, export: Export::No(why_not_exported), erase: Erase::Rows }
    }

    const fn exempt(table: &'static str, why: &'static str) -> Duty {
        Duty { table, export: Export::No(why), erase: Erase::Kept(why) }
    }
}

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
        "reminder_offer": entity::reminder_offers::Entity::find_by_id(user_id).one(db).await?,
        "placement": entity::placements::Entity::find_by_id(user_id).one(db).await?,
        "shadow_attempts": entity::shadow_attempts::Entity::find().filter(entity::shadow_attempts::Column::UserId.eq(user_id)).order_by_asc(entity::shadow_attempts::Column::Id).all(db).await?,
        "telegram_updates": rows(updates, "payload", "update"),
    })))
}

/// The stored audio of the learner's messages, oldest first (`/export` sends the files).
pub async fn audio_paths(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<String>, StoreError> {
    let paths: Vec<Option<String>> = messages::Entity::find()
        .select_only()
        .column(messages::Column::AudioPath)
        .filter(messages::Column::UserId.eq(user_id))
        .filter(messages::Column::AudioPath.is_not_null())
        .order_by_asc(messages::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(paths.into_iter().flatten().collect())
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
/// count. Updates still pending in their private chat (the one running this, and any queued
/// behind it: sent after they confirmed) are left to finish. What they said in groups (the rows
/// belong to the group's chat) keeps its row but loses its content (`scrub_group_updates`).
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
    super::practice::close(&txn, user_id).await?;
    super::shadow::delete_all(&txn, user_id).await?;
    super::reminders::delete_all(&txn, user_id).await?;
    super::placement::delete_all(&txn, user_id).await?;
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
        .filter(updates::Column::Status.ne(inbox::UpdateStatus::Pending.as_str()))
        .exec(&txn)
        .await?;
    scrub_group_updates(&txn, user_id, now).await?;
    learners::forget(&txn, user, now).await?;
    txn.commit().await?;
    Ok(Removed {
        messages,
        saved_words,
        days,
        audio_paths: audio_paths.into_iter().flatten().collect(),
    })
}

/// What stays of an update a learner sent in a group once they erased their data: its id and that
/// it was erased. Not a parseable update, so a pending one is marked skipped.
fn scrubbed(update_id: i64) -> String {
    json!({ "update_id": update_id, "erased": "/delete_me" }).to_string()
}

/// Scrubs the payloads of updates `user_id` sent in groups and channels (negative chat ids; a
/// private chat's id is the user's own and positive). The payload is matched as text first (the
/// id appears in it), then read to be sure it is the sender's id, not a message's or a reply's.
async fn scrub_group_updates(
    txn: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let candidates = updates::Entity::find()
        .select_only()
        .columns([updates::Column::UpdateId, updates::Column::Payload, updates::Column::Status])
        .filter(updates::Column::ChatId.lt(0))
        .filter(updates::Column::Payload.contains(user_id.to_string()))
        .into_tuple::<(i64, String, String)>()
        .all(txn)
        .await?;
    for (update_id, payload, status) in candidates {
        if sender_of(&payload) != Some(user_id) {
            continue;
        }
        let mut row = updates::Entity::update_many()
            .col_expr(updates::Column::Payload, Expr::value(scrubbed(update_id)))
            .filter(updates::Column::UpdateId.eq(update_id));
        if status == inbox::UpdateStatus::Pending.as_str() {
            row = row
                .col_expr(
                    updates::Column::Status,
                    Expr::value(inbox::UpdateStatus::Skipped.as_str()),
                )
                .col_expr(updates::Column::Error, Expr::value("erased by the sender's /delete_me"))
                .col_expr(updates::Column::DoneAt, Expr::value(Some(now)));
        }
        row.exec(txn).await?;
    }
    Ok(())
}

/// Who sent an update: the `from` (or, for reactions and member changes, `user`) of its one
/// content object.
fn sender_of(payload: &str) -> Option<i64> {
    let v: Value = serde_json::from_str(payload).ok()?;
    v.as_object()?.values().find_map(|content| {
        ["from", "user"].iter().find_map(|k| content.get(*k)?.get("id")?.as_i64())
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

#[cfg(test)]
#[path = "privacy_tests.rs"]
mod tests;
