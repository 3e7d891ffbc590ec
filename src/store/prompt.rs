//! What a turn's prompt reads, together: the conversation (its summary) and its unsummarized
//! history, the learner's recurring mistakes and their open practice session (a scene plays in
//! the prompt) — and their day so far, from which the answer decides the daily challenge.
//!
//! Every statement costs the bot about as much CPU as any other, whatever it reads (the hand-off
//! to the connection's thread and back, the pool, the decoding: BENCHMARKS.md, issue 18), and
//! on PostgreSQL a round trip besides. These five go in one (`together::read`): one
//! multi-statement query on SQLite, one statement on PostgreSQL — where all five then read
//! one snapshot. One failing fails the read.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{conversations, daily_stats, practice_sessions};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    QueryTrait,
};
use serde::Deserialize;

use super::answer::DaySoFar;
use super::conversations::{HistoryRow, Unsummarized, history_of, unsummarized_query};
use super::practice::{Session, open_query};
use super::together;
use super::{StoreError, mistakes};
use crate::tutor::MistakeCategory;

/// The turn's reads.
pub struct PromptReads {
    /// The conversation, with its summary.
    pub conversation: conversations::Model,
    /// [`super::conversations::unsummarized`].
    pub history: Vec<Unsummarized>,
    /// [`mistakes::focus`].
    pub focus: [Option<MistakeCategory>; 2],
    /// [`super::practice::open`]: the learner's open session, of whatever mode.
    pub session: Option<Session>,
    /// The learner's day (`today`) so far.
    pub day: DaySoFar,
}

/// Reads conversation `conversation_id` and its history before `before_id` (at most `limit`
/// messages), the focus of `user_id`'s mistakes as of `now`, their open practice session and
/// their day `today` (in their time zone) so far.
pub async fn read(
    db: &impl ConnectionTrait,
    conversation_id: i64,
    (before_id, limit): (i64, u64),
    user_id: i64,
    (now, today): (DateTime<Utc>, NaiveDate),
) -> Result<PromptReads, StoreError> {
    // The history starts after the summary's last message, read by the same query.
    let summarized_through = Query::select()
        .column(conversations::Column::SummarizedThrough)
        .from(conversations::Entity)
        .and_where(Expr::col(conversations::Column::Id).eq(conversation_id))
        .to_owned();
    let history = unsummarized_query(
        conversation_id,
        Expr::SubQuery(None, Box::new(summarized_through.into())),
        before_id,
        limit,
    );
    let day = daily_stats::Entity::find()
        .select_only()
        .column(daily_stats::Column::Turns)
        .column(daily_stats::Column::ChallengeDone)
        .filter(daily_stats::Column::UserId.eq(user_id))
        .filter(daily_stats::Column::Day.eq(today));
    let rows = together::read(
        db,
        vec![
            // The history before the summary: where the reads are not one snapshot (SQLite's
            // statements sent together), a fold committed between the two then leaves a turn
            // both in the summary and verbatim, never in neither.
            ("history", history.into_query()),
            ("conversation", conversations::Entity::find_by_id(conversation_id).into_query()),
            ("focus", mistakes::focus_query(user_id, now).into_query()),
            ("session", open_query(user_id).into_query()),
            ("day", day.into_query()),
        ],
    )
    .await?;
    let mut conversation = None;
    let mut history = Vec::new();
    let mut counts = Vec::new();
    let mut session = None;
    let mut day = DaySoFar { day: today, turns: 0, challenge_done: false };
    for row in rows {
        match row.tag.as_str() {
            "conversation" => conversation = Some(row.decode::<conversations::Model>()?),
            "history" => history.push(row.decode::<HistoryRow>()?),
            "focus" => {
                let Count { category, n } = row.decode()?;
                counts.push((category, n));
            }
            "day" => {
                let Day { turns, challenge_done } = row.decode()?;
                day.turns = Ord::max(turns, 0) as u32;
                day.challenge_done = challenge_done;
            }
            "session" => session = Some(row.decode::<practice_sessions::Model>()?),
            other => return Err(StoreError::Corrupt(format!("a row of no prompt read: {other}"))),
        }
    }
    let conversation = conversation
        .ok_or_else(|| StoreError::Corrupt(format!("conversation {conversation_id} is gone")))?;
    // Newest first, as the select orders them, whatever order the rows came in.
    history.sort_unstable_by_key(|m| std::cmp::Reverse(m.id));
    Ok(PromptReads {
        conversation,
        history: history_of(history),
        focus: mistakes::focus_of(&counts),
        session: session.and_then(Session::from_row),
        day,
    })
}

/// A row of the focus's select.
#[derive(FromQueryResult, Deserialize)]
struct Count {
    category: String,
    n: i64,
}

/// The day's row.
#[derive(FromQueryResult, Deserialize)]
struct Day {
    turns: i32,
    challenge_done: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::practice::Mode;
    use crate::store::{conversations, practice};

    #[tokio::test]
    async fn the_reads_together_find_what_each_finds_alone_on_sqlite_and_postgres() {
        for (_dir, db) in crate::store::test_dbs().await {
            let now = Utc::now();
            let learner = crate::store::test_learner(&db, 9, "uk").await;
            let c = conversations::current(&db, learner.id, now).await.unwrap();

            // Nothing yet: no history, no focus, no session.
            let empty =
                read(&db, c.id, (i64::MAX, 10), learner.id, (now, now.date_naive())).await.unwrap();
            assert!(empty.history.is_empty() && empty.session.is_none());
            assert_eq!(empty.conversation, c);
            assert_eq!(empty.focus, [None, None]);

            // A conversation, recurring mistakes and a scene under way.
            for (role, text) in [("learner", "Já jsem Taras."), ("honzik", "Ahoj, Tarasi!")] {
                let sql = "INSERT INTO messages (user_id, chat_id, conversation_id, role, kind, text, \
                           tokens, created_at, delivered_parts) VALUES ($1, $2, $3, $4, 'text', $5, 4, $6, 0)";
                crate::store::sql::exec(
                    &db,
                    sql,
                    vec![
                        learner.id.into(),
                        learner.chat_id.into(),
                        c.id.into(),
                        role.into(),
                        text.into(),
                        now.into(),
                    ],
                )
                .await
                .unwrap();
            }
            let first: i64 = crate::store::sql::scalar(&db, "SELECT MIN(id) FROM messages", vec![])
                .await
                .unwrap()
                .unwrap();
            for category in ["case_endings", "case_endings", "case_endings", "word_order"] {
                crate::store::sql::exec(
                    &db,
                    "INSERT INTO mistakes (message_id, user_id, original, corrected, explanation, \
                     category, created_at) VALUES ($1, $2, 'a', 'b', 'c', $3, $4)",
                    vec![first.into(), learner.id.into(), category.into(), now.into()],
                )
                .await
                .unwrap();
            }
            practice::start(&db, learner.id, Mode::Scene, "hospoda", now).await.unwrap();

            let both =
                read(&db, c.id, (i64::MAX, 10), learner.id, (now, now.date_naive())).await.unwrap();
            let alone = conversations::unsummarized(&db, &c, i64::MAX, 10).await.unwrap();
            let texts =
                |h: &[Unsummarized]| h.iter().map(|u| u.turn.text.clone()).collect::<Vec<_>>();
            assert_eq!(texts(&both.history), ["Já jsem Taras.", "Ahoj, Tarasi!"]);
            assert_eq!(texts(&both.history), texts(&alone));
            assert_eq!(both.focus, mistakes::focus(&db, learner.id, now).await.unwrap());
            assert!(both.focus[0].is_some(), "three of a kind make a focus");
            assert_eq!(both.session, practice::open(&db, learner.id).await.unwrap());
            assert_eq!(both.session.map(|s| s.mode), Some(Mode::Scene));
        }
    }
}
