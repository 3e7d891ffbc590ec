//! Checkpoint "answered": Honzík's answer, its mistakes, the turn's usage, the day's stats, the
//! streak and the stars — one transaction of five round trips, however many mistakes and
//! requests the turn had. His voice comes after it ([`record_voice`]), so a crash while it is
//! being made costs the voice again at most, never the completion.
//!
//! The streak is advanced from the learner row read when the turn started: one learner's turns
//! run one at a time (the per-chat queue), so nothing else changes it meanwhile. Stars are added
//! relative to the stored total all the same.

use chrono::{DateTime, Utc};
use entity::{daily_stats, messages, mistakes, stars, users};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};

use super::StoreError;
use super::batch::Batch;
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
    /// The chat request that produced it.
    pub usage: &'a [Usage],
    /// The learner's streak when the turn started.
    pub streak: StreakState,
}

/// What a turn earned, shown in the reply's caption.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Earned {
    pub stars: u32,
    pub streak: u32,
    pub challenge_completed: bool,
}

/// Stores the answer and everything it changes; returns its message id and what it earned.
pub async fn record(
    db: &DatabaseConnection,
    a: &Answer<'_>,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<(i64, Earned), StoreError> {
    let backend = db.get_database_backend();
    let score = a.reply.correctness_score;
    let today = progress::local_day(now, tz);
    let txn = db.begin().await?;

    // The day first: its turn count decides the daily challenge.
    let totals = TurnTotals {
        turns: 1,
        words: crate::tutor::word_count(a.learner_text) as i32,
        score_sum: score as i64,
        scored_turns: 1,
    };
    let day =
        usage::add_to_day(a.user_id, today, a.usage, totals).exec_with_returning(&txn).await?;
    let challenge =
        progress::challenge_completed(std::cmp::max(day.turns, 0) as u32, day.challenge_done);
    let streak = progress::advance_streak(a.streak, today);
    let turn_stars = progress::stars_for_turn(score, streak.current);
    let bonus = if challenge { progress::DAILY_CHALLENGE_STARS } else { 0 };
    let earned = Earned {
        stars: turn_stars + bonus,
        streak: streak.current,
        challenge_completed: challenge,
    };

    let honzik = messages::Entity::insert(messages::ActiveModel {
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
        score: Set(Some(score as i32)),
        created_at: Set(now),
        delivered_parts: Set(0),
        stars_earned: Set(Some(earned.stars as i32)),
        streak_days: Set(Some(earned.streak as i32)),
        challenge_completed: Set(Some(challenge)),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let honzik_id = honzik.last_insert_id;

    let mut batch = Batch::new();
    batch.push(
        backend,
        messages::Entity::update_many()
            .col_expr(messages::Column::Score, Expr::value(Some(score as i32)))
            .col_expr(messages::Column::Model, Expr::value(Some(a.model.to_owned())))
            .col_expr(messages::Column::PromptTokens, Expr::value(Some(a.prompt_tokens as i32)))
            .col_expr(
                messages::Column::CompletionTokens,
                Expr::value(Some(a.completion_tokens as i32)),
            )
            .filter(messages::Column::Id.eq(a.learner_message_id)),
    );
    // Register notes are shown with the reply (it is stored whole) but are no mistakes: not
    // counted in the trends, never a review card.
    let made: Vec<_> = crate::tutor::sift::mistakes(a.reply).collect();
    if !made.is_empty() {
        batch.push(
            backend,
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
            })),
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
        batch.push(backend, stars::Entity::insert_many(awards));
    }
    batch.push(
        backend,
        users::Entity::update_many()
            .col_expr(users::Column::StreakCurrent, Expr::value(streak.current as i32))
            .col_expr(users::Column::StreakBest, Expr::value(streak.best as i32))
            .col_expr(users::Column::LastPracticeDay, Expr::value(streak.last_day))
            .col_expr(
                users::Column::StarsTotal,
                Expr::col(users::Column::StarsTotal).add((turn_stars + bonus) as i64),
            )
            .col_expr(users::Column::UpdatedAt, Expr::value(now))
            .filter(users::Column::Id.eq(a.user_id)),
    );
    if challenge {
        batch.push(
            backend,
            daily_stats::Entity::update_many()
                .col_expr(daily_stats::Column::ChallengeDone, Expr::value(true))
                .filter(daily_stats::Column::UserId.eq(a.user_id))
                .filter(daily_stats::Column::Day.eq(today)),
        );
    }
    if !a.usage.is_empty() {
        batch.push(backend, usage::ledger(a.user_id, Some(honzik_id), a.usage, today, now));
    }
    batch.run(&txn).await?;
    txn.commit().await?;
    Ok((honzik_id, earned))
}

/// Honzík's voice for answer `answer_id`: where it is being saved and what it cost, in one round
/// trip (in order, so a failure part-way can only leave the path without its cost).
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
    batch.run(db).await
}
