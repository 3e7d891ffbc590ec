//! A learner's turn in the database, checkpoint by checkpoint, so a restart resumes it where it
//! stopped: **received** (the learner's message row) → **transcribed** (its text) → **answered**
//! (Honzík's row, see [`super::answer`]) → **delivered** (`delivered_parts` of the reply sent).
//! Each checkpoint is one round trip, and the timings row closes the turn.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{conversations, messages, turns};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryTrait,
    sea_query::{Expr, OnConflict, Order, Query},
};

use super::StoreError;
use super::answer::Earned;
use super::batch::Batch;
use super::sql;
use super::usage::{self, TurnTotals, Usage};
use crate::tutor::HonzikReply;

/// The learner's side of a turn, stored as soon as the turn starts so nothing they sent is lost.
/// It joins the learner's current conversation, found by the same statement.
pub struct LearnerMessage<'a> {
    pub user_id: i64,
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
    Received { learner_message_id: i64, conversation_id: i64 },
    /// A restart found this turn's rows.
    Resumed {
        learner_message_id: i64,
        conversation_id: i64,
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

/// Stores the learner's message in their current conversation, or finds the turn's rows when
/// the update was seen before (a restart, a redelivery): one round trip in the usual case. The
/// conversation is looked up by the insert itself (a learner's turns run one at a time, and
/// `/reset` between two of them starts a new one); a learner without one yet gets it here.
pub async fn receive(
    db: &DatabaseConnection,
    m: &LearnerMessage<'_>,
    now: DateTime<Utc>,
) -> Result<Checkpoint, StoreError> {
    let backend = db.get_database_backend();
    let insert = sql::stmt(
        backend,
        "INSERT INTO messages (user_id, chat_id, update_id, conversation_id, role, kind, text, \
         audio_path, audio_duration_secs, telegram_message_id, tokens, created_at, delivered_parts) \
         VALUES ($1, $2, $3, (SELECT id FROM conversations WHERE user_id = $1 ORDER BY id DESC \
         LIMIT 1), 'learner', $4, $5, $6, $7, $8, $9, $10, 0) \
         ON CONFLICT (update_id, role) DO NOTHING RETURNING id, conversation_id",
        vec![
            m.user_id.into(),
            m.chat_id.into(),
            m.update_id.into(),
            m.kind.into(),
            m.text.map(str::to_owned).into(),
            m.audio_path.map(str::to_owned).into(),
            m.audio_duration_secs.map(|d| d as i32).into(),
            m.telegram_message_id.into(),
            (m.tokens as i32).into(),
            now.into(),
        ],
    );
    let Some(row) = db.query_one_raw(insert).await? else {
        return resumed(db, m.user_id, m.update_id, now).await;
    };
    let learner_message_id: i64 = row.try_get("", "id")?;
    let conversation_id = match row.try_get::<Option<i64>>("", "conversation_id")? {
        Some(id) => id,
        None => first_conversation(db, m.user_id, learner_message_id, now).await?,
    };
    Ok(Checkpoint::Received { learner_message_id, conversation_id })
}

/// The learner's first conversation, started for message `message_id` (stored without one): one
/// round trip on SQLite.
async fn first_conversation(
    db: &DatabaseConnection,
    user_id: i64,
    message_id: i64,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let backend = db.get_database_backend();
    // Built by sea-orm (plain `?` parameters on SQLite, as a batch needs: `store::batch`).
    let mut start =
        conversations::Entity::insert(super::conversations::fresh(user_id, now)).build(backend);
    start.sql.push_str(" RETURNING \"id\"");
    let latest = Query::select()
        .column(conversations::Column::Id)
        .from(conversations::Entity)
        .and_where(conversations::Column::UserId.eq(user_id))
        .order_by(conversations::Column::Id, Order::Desc)
        .limit(1)
        .to_owned();
    let join = messages::Entity::update_many()
        .col_expr(messages::Column::ConversationId, Expr::SubQuery(None, Box::new(latest.into())))
        .filter(messages::Column::Id.eq(message_id))
        .build(backend);
    let rows = super::batch::write(db, vec![start, join]).await?;
    let started =
        rows.first().ok_or_else(|| StoreError::Corrupt("no conversation started".into()))?;
    Ok(started.try_get("", "id")?)
}

async fn resumed(
    db: &DatabaseConnection,
    user_id: i64,
    update_id: i64,
    now: DateTime<Utc>,
) -> Result<Checkpoint, StoreError> {
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
    let conversation_id = match learner.conversation_id {
        Some(id) => id,
        None => first_conversation(db, user_id, learner.id, now).await?,
    };
    Ok(Checkpoint::Resumed {
        learner_message_id: learner.id,
        conversation_id,
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

/// Stores checkpoint "transcribed" (one round trip, all or nothing: three different tables, none
/// reading what another writes). The statements are built at once: the future owns them, so it
/// may run as a task of its own while the turn reads its prompt (`turn::listen`).
pub fn record_transcript(
    db: &DatabaseConnection,
    t: &Transcript<'_>,
    now: DateTime<Utc>,
) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
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
    let db = db.clone();
    async move { batch.run_independent(&db).await }
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
    /// Mark the update done too (nothing follows the turn, and its process runs without leases:
    /// `turn::Fence::closes_with_turn`).
    pub close_update: bool,
}

/// Closes the turn: its timings row, when delivered the last delivery checkpoint, and when asked
/// the update's "done" — one round trip. Returns whether the update was marked (false:
/// not asked, or it was not pending any more).
pub async fn finish(
    db: &DatabaseConnection,
    end: &TurnEnd<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
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
    if !end.close_update {
        batch.run_independent(db).await?;
        return Ok(false);
    }
    // With the turn's own rows, all or nothing: a crash before it leaves the update pending, and
    // resuming it finds the turn delivered and finishes it again.
    let mut statements = batch.into_statements();
    statements.push(super::fencing::done_with(backend, end.update_id, now));
    Ok(!super::batch::write_independent(db, statements).await?.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::conversations;

    fn said(user_id: i64, update_id: i64, text: &str) -> LearnerMessage<'_> {
        LearnerMessage {
            user_id,
            chat_id: 5,
            update_id,
            kind: "text",
            text: Some(text),
            tokens: 2,
            audio_duration_secs: None,
            audio_path: None,
            telegram_message_id: update_id,
        }
    }

    #[tokio::test]
    async fn a_message_joins_the_current_conversation_the_first_one_starting_it() {
        let (_dir, db) = crate::store::test_db().await;
        let now = Utc::now();
        let learner = crate::store::test_learner(&db, 5, "ru").await;
        let conversation_of = |cp: &Checkpoint| match cp {
            Checkpoint::Received { conversation_id, .. } => (*conversation_id, false),
            Checkpoint::Resumed { conversation_id, .. } => (*conversation_id, true),
        };

        // No conversation yet: the first message starts one.
        let first = receive(&db, &said(learner.id, 1, "Ahoj"), now).await.unwrap();
        let started = conversations::current(&db, learner.id, now).await.unwrap();
        assert_eq!(conversation_of(&first), (started.id, false));
        let second = receive(&db, &said(learner.id, 2, "Jak se máš?"), now).await.unwrap();
        assert_eq!(conversation_of(&second), (started.id, false));

        // `/reset`: the next message is in the new conversation; a redelivered old one stays where
        // it was.
        let fresh = conversations::start_new(&db, learner.id, now).await.unwrap();
        let third = receive(&db, &said(learner.id, 3, "Dobrý den"), now).await.unwrap();
        assert_eq!(conversation_of(&third), (fresh.id, false));
        let again = receive(&db, &said(learner.id, 2, "Jak se máš?"), now).await.unwrap();
        assert_eq!(conversation_of(&again), (started.id, true));

        let stored: Vec<(Option<i64>, Option<String>)> = messages::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.conversation_id, m.text))
            .collect();
        assert_eq!(
            stored,
            [
                (Some(started.id), Some("Ahoj".into())),
                (Some(started.id), Some("Jak se máš?".into())),
                (Some(fresh.id), Some("Dobrý den".into())),
            ]
        );
    }

    #[tokio::test]
    async fn a_turn_that_closes_its_update_marks_it_done_once() {
        let (_dir, db) = crate::store::test_db().await;
        let now = Utc::now();
        let update: teloxide::types::Update = serde_json::from_str(
            r#"{"update_id":41,"message":{"message_id":1,"date":0,"chat":{"id":5,"type":"private","first_name":"A"},"text":"Ahoj"}}"#,
        )
        .unwrap();
        crate::store::inbox::record_batch(&db, &[update], now).await.unwrap();
        let timings = Timings::default();
        let end = |update_id, close_update| TurnEnd {
            update_id,
            user_id: 1,
            chat_id: 5,
            kind: "text",
            timings: &timings,
            outcome: "answered",
            delivered: None,
            close_update,
        };
        let status = || async {
            let u = entity::updates::Entity::find_by_id(41).one(&db).await.unwrap().unwrap();
            (u.status, u.attempts, u.done_at.is_some())
        };

        // Not asked: the turn's row only, the update left to the intake.
        assert!(!finish(&db, &end(41, false), now).await.unwrap());
        assert_eq!(status().await, ("pending".into(), 0, false));
        // Asked: marked with the turn's write; a second time it is done already.
        assert!(finish(&db, &end(41, true), now).await.unwrap());
        assert_eq!(status().await, ("done".into(), 1, true));
        assert!(!finish(&db, &end(41, true), now).await.unwrap());
        assert_eq!(status().await, ("done".into(), 1, true));
        let turns = entity::turns::Entity::find().all(&db).await.unwrap();
        assert_eq!(turns.len(), 1, "the turn's row once");
    }
}
