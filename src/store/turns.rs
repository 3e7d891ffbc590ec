//! A learner's turn in the database, checkpoint by checkpoint, so a restart resumes it where it
//! stopped: **received** (the learner's message row) → **transcribed** (its text) → **answered**
//! (Honzík's row, see [`super::answer`]) → **delivered** (`delivered_parts` of the reply sent).
//! Each checkpoint is one round trip, and the timings row closes the turn.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{messages, turns};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, TryInsertResult,
    sea_query::{Expr, OnConflict},
};

use super::StoreError;
use super::answer::Earned;
use super::batch::Batch;
use super::usage::{self, TurnTotals, Usage};
use crate::tutor::HonzikReply;

/// The learner's side of a turn, stored as soon as the turn starts so nothing they sent is lost.
pub struct LearnerMessage<'a> {
    pub user_id: i64,
    pub conversation_id: i64,
    pub chat_id: i64,
    pub update_id: i64,
    pub kind: &'a str,
    pub text: Option<&'a str>,
    pub tokens: usize,
    pub audio_duration_secs: Option<u32>,
    /// Where the learner's audio will be saved (the background writer forgets it if it fails).
    pub audio_path: Option<&'a str>,
    pub telegram_message_id: i64,
}

/// Where a turn stands in the database when it starts (or restarts).
#[derive(Debug)]
pub enum Checkpoint {
    /// First time: the learner's message was just stored.
    Received { learner_message_id: i64 },
    /// A restart found this turn's rows.
    Resumed {
        learner_message_id: i64,
        transcript: Option<String>,
        audio_path: Option<String>,
        /// Boxed: an answer is large, and most checkpoints have none.
        answer: Option<Box<StoredAnswer>>,
    },
}

/// Honzík's stored answer, enough to deliver it again without asking anyone anything.
#[derive(Debug)]
pub struct StoredAnswer {
    pub message_id: i64,
    pub reply: HonzikReply,
    pub earned: Earned,
    pub delivered_parts: u32,
    pub audio_path: Option<String>,
}

/// Stores the learner's message, or finds the turn's rows when the update was seen before (a
/// restart, a redelivery): one round trip in the usual case.
pub async fn receive(
    db: &impl ConnectionTrait,
    m: &LearnerMessage<'_>,
    now: DateTime<Utc>,
) -> Result<Checkpoint, StoreError> {
    let row = messages::ActiveModel {
        user_id: Set(m.user_id),
        chat_id: Set(m.chat_id),
        update_id: Set(Some(m.update_id)),
        conversation_id: Set(Some(m.conversation_id)),
        role: Set("learner".into()),
        kind: Set(m.kind.into()),
        text: Set(m.text.map(str::to_owned)),
        tokens: Set(m.tokens as i32),
        audio_duration_secs: Set(m.audio_duration_secs.map(|d| d as i32)),
        audio_path: Set(m.audio_path.map(str::to_owned)),
        telegram_message_id: Set(Some(m.telegram_message_id)),
        created_at: Set(now),
        delivered_parts: Set(0),
        ..Default::default()
    };
    let once = OnConflict::columns([messages::Column::UpdateId, messages::Column::Role])
        .do_nothing()
        .to_owned();
    match messages::Entity::insert(row)
        .on_conflict(once)
        .try_insert()
        .exec_with_returning_keys(db)
        .await?
    {
        TryInsertResult::Inserted(ids) => match ids.first() {
            Some(id) => Ok(Checkpoint::Received { learner_message_id: *id }),
            None => resumed(db, m.update_id).await,
        },
        TryInsertResult::Conflicted | TryInsertResult::Empty => resumed(db, m.update_id).await,
    }
}

async fn resumed(db: &impl ConnectionTrait, update_id: i64) -> Result<Checkpoint, StoreError> {
    let rows =
        messages::Entity::find().filter(messages::Column::UpdateId.eq(update_id)).all(db).await?;
    let learner = rows
        .iter()
        .find(|r| r.role == "learner")
        .ok_or_else(|| StoreError::Corrupt(format!("update {update_id}: no learner message")))?;
    let answer = match rows.iter().find(|r| r.role == "honzik") {
        Some(h) => Some(Box::new(stored_answer(h)?)),
        None => None,
    };
    Ok(Checkpoint::Resumed {
        learner_message_id: learner.id,
        transcript: learner.text.clone(),
        audio_path: learner.audio_path.clone(),
        answer,
    })
}

fn stored_answer(h: &messages::Model) -> Result<StoredAnswer, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("answer {}: {what}", h.id));
    let reply = h.reply_json.as_deref().ok_or_else(|| corrupt("no reply"))?;
    let reply: HonzikReply = serde_json::from_str(reply).map_err(|e| corrupt(&e.to_string()))?;
    Ok(StoredAnswer {
        message_id: h.id,
        reply,
        earned: Earned {
            stars: h.stars_earned.unwrap_or(0).max(0) as u32,
            streak: h.streak_days.unwrap_or(0).max(0) as u32,
            challenge_completed: h.challenge_completed.unwrap_or(false),
        },
        delivered_parts: h.delivered_parts.max(0) as u32,
        audio_path: h.audio_path.clone(),
    })
}

/// Checkpoint "transcribed": the voice's text and the speech-to-text request's cost, together —
/// a restart never pays for the transcription twice.
pub struct Transcript<'a> {
    pub message_id: i64,
    pub user_id: i64,
    pub text: &'a str,
    pub tokens: usize,
    pub usage: Usage,
    pub day: NaiveDate,
}

pub async fn record_transcript(
    db: &DatabaseConnection,
    t: &Transcript<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    let mut batch = Batch::new();
    batch.push(
        backend,
        messages::Entity::update_many()
            .col_expr(messages::Column::Text, Expr::value(Some(t.text.to_owned())))
            .col_expr(messages::Column::Tokens, Expr::value(t.tokens as i32))
            .filter(messages::Column::Id.eq(t.message_id)),
    );
    let usages = std::slice::from_ref(&t.usage);
    batch.push(backend, usage::ledger(t.user_id, Some(t.message_id), usages, t.day, now));
    batch.push(backend, usage::add_to_day(t.user_id, t.day, usages, TurnTotals::default()));
    // One round trip without a transaction (a transaction costs two more on SQLite): the three
    // statements are applied in order, so a failure part-way — a broken disk — can only leave
    // the transcript stored without its cost, never a cost without its transcript.
    batch.run(db).await
}

/// Forgets an audio path whose file was never downloaded or could not be written.
pub async fn clear_audio_path(
    db: &impl ConnectionTrait,
    message_id: i64,
) -> Result<(), StoreError> {
    messages::Entity::update_many()
        .col_expr(messages::Column::AudioPath, Expr::value(Option::<String>::None))
        .filter(messages::Column::Id.eq(message_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Checkpoint "delivered": `parts` of the answer's Telegram messages have gone out.
pub async fn set_delivered(
    db: &impl ConnectionTrait,
    answer_id: i64,
    parts: u32,
) -> Result<(), StoreError> {
    delivered(answer_id, parts).exec(db).await?;
    Ok(())
}

fn delivered(answer_id: i64, parts: u32) -> sea_orm::UpdateMany<messages::Entity> {
    messages::Entity::update_many()
        .col_expr(messages::Column::DeliveredParts, Expr::value(parts as i32))
        .filter(messages::Column::Id.eq(answer_id))
}

/// Per-stage timings of one turn (observed by the metrics, stored with the turn's end).
pub use crate::metrics::Timings;

/// How a turn ended, stored once.
pub struct TurnEnd<'a> {
    pub update_id: i64,
    pub user_id: i64,
    pub chat_id: i64,
    pub kind: &'a str,
    pub timings: &'a Timings,
    pub outcome: &'a str,
    /// The answer and how many of its messages went out, when it was delivered.
    pub delivered: Option<(i64, u32)>,
}

/// Closes the turn: its timings row and, when delivered, the last delivery checkpoint — one
/// round trip.
pub async fn finish(
    db: &impl ConnectionTrait,
    end: &TurnEnd<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let ms = |v: Option<u32>| v.map(|x| x.min(i32::MAX as u32) as i32);
    let t = end.timings;
    let row = turns::ActiveModel {
        update_id: Set(end.update_id),
        user_id: Set(end.user_id),
        chat_id: Set(end.chat_id),
        kind: Set(end.kind.into()),
        download_ms: Set(ms(t.download_ms)),
        stt_ms: Set(ms(t.stt_ms)),
        llm_ms: Set(ms(t.llm_ms)),
        tts_ms: Set(ms(t.tts_ms)),
        send_ms: Set(ms(t.send_ms)),
        total_ms: Set(ms(t.total_ms)),
        outcome: Set(end.outcome.into()),
        created_at: Set(now),
        ..Default::default()
    };
    let backend = db.get_database_backend();
    let mut batch = Batch::new();
    if let Some((answer_id, parts)) = end.delivered {
        batch.push(backend, delivered(answer_id, parts));
    }
    batch.push(
        backend,
        turns::Entity::insert(row)
            .on_conflict(OnConflict::column(turns::Column::UpdateId).do_nothing().to_owned()),
    );
    batch.run(db).await
}
