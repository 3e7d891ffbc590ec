//! Checkpoint "answered": Honzík's answer, its mistakes, the turn's usage, the day's stats, the
//! streak and the stars — one transaction of one round trip on SQLite and one statement on
//! PostgreSQL, however many mistakes and requests the turn had. A voice already made (while the
//! answer streamed) is recorded with it; one still to be made comes after it ([`record_voice`]),
//! so a crash while it is being made costs the voice again at most, never the completion. The
//! same round trip reads which of the reply's words the learner has saved already (its save
//! buttons show them ticked).
//!
//! What the turn earned is decided before anything is written, from the learner row and the day
//! read when the turn started ([`DaySoFar`]): one learner's turns run one at a time (the
//! per-chat queue), so nothing else changes them meanwhile. Stars are added relative to the
//! stored total all the same.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{messages, mistakes, saved_words, stars, users};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    Statement,
    sea_query::{Expr, ExprTrait, Query},
};

use super::StoreError;
use super::batch::{self, Batch};
use super::usage::{self, TurnTotals, Usage};
use crate::progress::{self, StreakState};
use crate::tutor::HonzikReply;

/// Honzík's answer as it is stored.
pub struct Answer<'a> {
    pub user_id: i64,
    pub conversation_id: i64,
    pub chat_id: i64,
    pub update_id: i64,
    pub learner_message_id: i64,
    pub learner_text: &'a str,
    pub reply: &'a HonzikReply,
    pub reply_tokens: usize,
    pub model: &'a str,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    /// The chat request that produced it first, then whatever else the answer paid for (a
    /// model that broke the contract, the voice).
    pub usage: &'a [Usage],
    /// The learner's streak when the turn started.
    pub streak: StreakState,
    /// The learner's day when the turn started.
    pub day_so_far: DaySoFar,
    /// Where Honzík's voice is being saved, when it was made before the answer was stored.
    pub audio_path: Option<&'a str>,
    /// The reply's words the learner could save (normalized): which of them are saved already
    /// comes back with the answer.
    pub word_keys: &'a [String],
}

/// The stored answer: its message id, what it earned, and which of [`Answer::word_keys`] the
/// learner has saved.
#[derive(Debug)]
pub struct Recorded {
    pub id: i64,
    pub earned: Earned,
    pub saved_words: HashSet<String>,
}

/// What a turn earned, shown in the reply's caption.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Earned {
    pub stars: u32,
    pub streak: u32,
    pub challenge_completed: bool,
}

/// The learner's day as the turn found it (read with its prompt, `store::prompt`): its turns so
/// far and whether the daily challenge is done. One learner's turns run one at a time, so
/// nothing else adds a turn meanwhile; the answer decides the challenge from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DaySoFar {
    pub day: NaiveDate,
    pub turns: u32,
    pub challenge_done: bool,
}

impl DaySoFar {
    /// Its turns and challenge as of `today`: nothing yet on a day that has just begun.
    fn on(self, today: NaiveDate) -> (u32, bool) {
        if self.day == today { (self.turns, self.challenge_done) } else { (0, false) }
    }
}

/// Stores the answer and everything it changes, all or nothing, in one round trip.
pub async fn record(
    db: &DatabaseConnection,
    a: &Answer<'_>,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<Recorded, StoreError> {
    let backend = db.get_database_backend();
    let score = a.reply.correctness_score;
    let today = progress::local_day(now, tz);
    // What the turn earned, from the day and the streak as the turn found them.
    let (turns_before, challenge_done) = a.day_so_far.on(today);
    let challenge = progress::challenge_completed(turns_before + 1, challenge_done);
    let streak = progress::advance_streak(a.streak, today);
    let turn_stars = progress::stars_for_turn(score, streak.current);
    let bonus = if challenge { progress::DAILY_CHALLENGE_STARS } else { 0 };
    let earned = Earned {
        stars: turn_stars + bonus,
        streak: streak.current,
        challenge_completed: challenge,
    };

    // On PostgreSQL the whole answer is one statement (`batch::write_independent`): the writes
    // change different rows, and the one that needs the answer's id reads it from the insert's
    // `RETURNING`. SQLite sends them as one transaction of one round trip (`batch::write_atomic`).
    let chained = backend == DbBackend::Postgres;
    // Honzík's message first (its id comes back), on SQLite the learner's saved words among the
    // reply's next, then everything else the answer changes.
    let mut statements = vec![returning(honzik_message(a, earned, now).build(backend), &["id"])];
    let saved_among = |keys: &[String]| {
        saved_words::Entity::find()
            .select_only()
            .column(saved_words::Column::Normalized)
            .filter(saved_words::Column::UserId.eq(a.user_id))
            .filter(saved_words::Column::Normalized.is_in(keys.iter().cloned()))
            .build(backend)
    };
    if !chained {
        statements.extend(a.word_keys.chunks(super::sql::IN_CHUNK).map(saved_among));
    }
    let totals = TurnTotals {
        turns: 1,
        words: crate::tutor::word_count(a.learner_text) as i32,
        score_sum: score as i64,
        scored_turns: 1,
        challenge_done: challenge,
    };
    statements.push(usage::add_to_day(a.user_id, today, a.usage, totals).build(backend));
    statements.push(
        messages::Entity::update_many()
            .col_expr(messages::Column::Score, Expr::value(Some(score as i32)))
            .col_expr(messages::Column::Model, Expr::value(Some(a.model.to_owned())))
            .col_expr(messages::Column::PromptTokens, Expr::value(Some(a.prompt_tokens as i32)))
            .col_expr(
                messages::Column::CompletionTokens,
                Expr::value(Some(a.completion_tokens as i32)),
            )
            .filter(messages::Column::Id.eq(a.learner_message_id))
            .build(backend),
    );
    // Register notes are shown with the reply (it is stored whole) but are no mistakes: not
    // counted in the trends, never a review card.
    let made: Vec<_> = crate::tutor::sift::mistakes(a.reply).collect();
    if !made.is_empty() {
        statements.push(
            mistakes::Entity::insert_many(made.into_iter().map(|m| {
                let s = crate::review::face::sentences(
                    a.learner_text,
                    Some(&a.reply.corrected_text),
                    &m.original,
                    &m.corrected,
                );
                let (sentence, corrected_sentence) = s.map(|s| (s.written, s.corrected)).unzip();
                mistakes::ActiveModel {
                    message_id: Set(a.learner_message_id),
                    user_id: Set(a.user_id),
                    original: Set(m.original.clone()),
                    corrected: Set(m.corrected.clone()),
                    explanation: Set(m.explanation.clone()),
                    category: Set(m.category.as_str().into()),
                    created_at: Set(now),
                    sentence: Set(sentence),
                    corrected_sentence: Set(corrected_sentence),
                    ..Default::default()
                }
            }))
            .build(backend),
        );
    }
    let awards: Vec<_> = [(turn_stars, "turn"), (bonus, "daily_challenge")]
        .into_iter()
        .filter(|(amount, _)| *amount > 0)
        .map(|(amount, reason)| stars::ActiveModel {
            user_id: Set(a.user_id),
            amount: Set(amount as i32),
            reason: Set(reason.into()),
            created_at: Set(now),
            ..Default::default()
        })
        .collect();
    if !awards.is_empty() {
        statements.push(stars::Entity::insert_many(awards).build(backend));
    }
    statements.push(
        users::Entity::update_many()
            .col_expr(users::Column::StreakCurrent, Expr::value(streak.current as i32))
            .col_expr(users::Column::StreakBest, Expr::value(streak.best as i32))
            .col_expr(users::Column::LastPracticeDay, Expr::value(streak.last_day))
            .col_expr(
                users::Column::StarsTotal,
                Expr::col(users::Column::StarsTotal).add((turn_stars + bonus) as i64),
            )
            .col_expr(users::Column::UpdatedAt, Expr::value(now))
            .filter(users::Column::Id.eq(a.user_id))
            .build(backend),
    );
    if !a.usage.is_empty() {
        // The requests are the answer's, whose id is not known yet: on PostgreSQL the insert's
        // `RETURNING` gives it, on SQLite the answer is found by its update.
        let answer = if chained {
            Expr::cust(format!("(SELECT \"id\" FROM {})", batch::returned_by(0)))
        } else {
            let answer = Query::select()
                .column(messages::Column::Id)
                .from(messages::Entity)
                .and_where(messages::Column::UpdateId.eq(a.update_id))
                .and_where(messages::Column::Role.eq("honzik"))
                .to_owned();
            Expr::SubQuery(None, Box::new(answer.into()))
        };
        statements.push(backend.build(&usage::ledger_of(a.user_id, answer, a.usage, today, now)));
    }
    let rows = if chained {
        // The statement's own rows: the answer's id, beside each of its words already saved.
        statements
            .push(answer_and_saved((!a.word_keys.is_empty()).then(|| saved_among(a.word_keys))));
        batch::write_independent(db, statements).await?
    } else {
        batch::write_atomic(db, statements).await?
    };
    let Some(honzik) = rows.first() else {
        return Err(StoreError::Corrupt("the answer's writes returned no rows".into()));
    };
    // SQLite: the answer's row, then one row per saved word; PostgreSQL: the answer's id on
    // every row, beside a saved word or none.
    let saved = if chained { &rows[..] } else { &rows[1..] };
    let saved_words = saved
        .iter()
        .map(|r| r.try_get::<Option<String>>("", "normalized"))
        .filter_map(Result::transpose)
        .collect::<Result<HashSet<_>, _>>()?;
    Ok(Recorded { id: honzik.try_get("", "id")?, earned, saved_words })
}

/// The last statement of the answer on PostgreSQL: the id its first one returned, joined to
/// `saved` (the learner's saved words among the reply's), one row when none is saved.
fn answer_and_saved(saved: Option<Statement>) -> Statement {
    let answer = batch::returned_by(0);
    match saved {
        Some(saved) => Statement {
            sql: format!(
                "SELECT {answer}.\"id\", s.\"normalized\" FROM {answer} LEFT JOIN ({}) s ON true",
                saved.sql
            ),
            ..saved
        },
        None => Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT \"id\", NULL::text AS \"normalized\" FROM {answer}"),
        ),
    }
}

/// Honzík's message as first written: what it earned comes with the rest of the answer.
fn honzik_message(
    a: &Answer<'_>,
    earned: Earned,
    now: DateTime<Utc>,
) -> sea_orm::Insert<messages::ActiveModel> {
    messages::Entity::insert(messages::ActiveModel {
        user_id: Set(a.user_id),
        chat_id: Set(a.chat_id),
        update_id: Set(Some(a.update_id)),
        conversation_id: Set(Some(a.conversation_id)),
        role: Set("honzik".into()),
        kind: Set("text".into()),
        text: Set(Some(a.reply.honzik_response.clone())),
        reply_json: Set(serde_json::to_string(a.reply).ok()),
        model: Set(Some(a.model.into())),
        tokens: Set(a.reply_tokens as i32),
        prompt_tokens: Set(Some(a.prompt_tokens as i32)),
        completion_tokens: Set(Some(a.completion_tokens as i32)),
        score: Set(Some(a.reply.correctness_score as i32)),
        audio_path: Set(a.audio_path.map(str::to_owned)),
        stars_earned: Set(Some(earned.stars as i32)),
        streak_days: Set(Some(earned.streak as i32)),
        challenge_completed: Set(Some(earned.challenge_completed)),
        created_at: Set(now),
        delivered_parts: Set(0),
        ..Default::default()
    })
}

/// `statement` returning `columns` (both backends take `RETURNING`).
fn returning(mut statement: Statement, columns: &[&str]) -> Statement {
    let quoted: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    statement.sql = format!("{} RETURNING {}", statement.sql, quoted.join(", "));
    statement
}

/// Honzík's voice for answer `answer_id`: where it is being saved and what it cost, in one round
/// trip, all or nothing.
pub async fn record_voice(
    db: &DatabaseConnection,
    user_id: i64,
    answer_id: i64,
    path: &str,
    u: &Usage,
    day: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    let mut batch = Batch::new();
    batch.push(
        backend,
        messages::Entity::update_many()
            .col_expr(messages::Column::AudioPath, Expr::value(Some(path.to_owned())))
            .filter(messages::Column::Id.eq(answer_id)),
    );
    let usages = std::slice::from_ref(u);
    batch.push(backend, usage::ledger(user_id, Some(answer_id), usages, day, now));
    batch.push(backend, usage::add_to_day(user_id, day, usages, TurnTotals::default()));
    batch.run_independent(db).await
}

#[cfg(test)]
#[path = "answer_tests.rs"]
mod tests;
