//! A learner's turn in the database: their message, Honzík's answer with its mistakes, the
//! progress it earned, and how long each stage took.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{daily_stats, messages, mistakes, stars, turns, users};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    DatabaseConnection, TransactionTrait, sea_query::Expr,
};

use super::StoreError;
use crate::progress::{self, StreakState};
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
    pub telegram_message_id: i64,
}

pub async fn insert_learner_message(db: &impl ConnectionTrait, m: &LearnerMessage<'_>, now: DateTime<Utc>) -> Result<i64, StoreError> {
    // A resumed turn finds the row it stored before the restart instead of adding a second one.
    if let Some(existing) = messages::Entity::find()
        .filter(messages::Column::UpdateId.eq(m.update_id))
        .filter(messages::Column::Role.eq("learner"))
        .one(db)
        .await?
    {
        return Ok(existing.id);
    }
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
        telegram_message_id: Set(Some(m.telegram_message_id)),
        created_at: Set(now),
        ..Default::default()
    };
    Ok(row.insert(db).await?.id)
}

/// Stores the transcript of a voice message once speech-to-text has run.
pub async fn set_transcript(db: &impl ConnectionTrait, message_id: i64, text: &str, tokens: usize) -> Result<(), StoreError> {
    messages::Entity::update_many()
        .col_expr(messages::Column::Text, Expr::value(Some(text.to_owned())))
        .col_expr(messages::Column::Tokens, Expr::value(tokens as i32))
        .filter(messages::Column::Id.eq(message_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Stores where an audio file was persisted (called by the background writer when it finishes).
pub async fn set_audio_path(db: &impl ConnectionTrait, message_id: i64, path: &str) -> Result<(), StoreError> {
    messages::Entity::update_many()
        .col_expr(messages::Column::AudioPath, Expr::value(Some(path.to_owned())))
        .filter(messages::Column::Id.eq(message_id))
        .exec(db)
        .await?;
    Ok(())
}

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
}

/// What a turn earned, shown in the reply's caption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Earned {
    pub stars: u32,
    pub streak: u32,
    pub challenge_completed: bool,
}

/// Stores Honzík's answer, its mistakes, the day's stats, the streak and the stars, in one
/// transaction, and returns what the turn earned.
pub async fn record_answer(db: &DatabaseConnection, a: &Answer<'_>, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Result<(i64, Earned), StoreError> {
    let txn = db.begin().await?;
    let score = a.reply.correctness_score;
    let honzik = messages::ActiveModel {
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
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    messages::Entity::update_many()
        .col_expr(messages::Column::Score, Expr::value(Some(score as i32)))
        .col_expr(messages::Column::Model, Expr::value(Some(a.model.to_owned())))
        .col_expr(messages::Column::PromptTokens, Expr::value(Some(a.prompt_tokens as i32)))
        .col_expr(messages::Column::CompletionTokens, Expr::value(Some(a.completion_tokens as i32)))
        .filter(messages::Column::Id.eq(a.learner_message_id))
        .exec(&txn)
        .await?;
    for m in &a.reply.mistakes {
        mistakes::ActiveModel {
            message_id: Set(a.learner_message_id),
            user_id: Set(a.user_id),
            original: Set(m.original.clone()),
            corrected: Set(m.corrected.clone()),
            explanation: Set(m.explanation.clone()),
            category: Set(m.category.as_str().into()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let today = progress::local_day(now, tz);
    let earned = record_progress(&txn, a.user_id, today, score, crate::tutor::word_count(a.learner_text), now).await?;
    txn.commit().await?;
    Ok((honzik.id, earned))
}

async fn record_progress(txn: &impl ConnectionTrait, user_id: i64, today: NaiveDate, score: u8, words: usize, now: DateTime<Utc>) -> Result<Earned, StoreError> {
    let user = users::Entity::find_by_id(user_id).one(txn).await?.ok_or_else(|| StoreError::Corrupt(format!("user {user_id} missing")))?;
    let streak = progress::advance_streak(
        StreakState { current: user.streak_current.max(0) as u32, best: user.streak_best.max(0) as u32, last_day: user.last_practice_day },
        today,
    );
    let day = daily_stats::Entity::find_by_id((user_id, today)).one(txn).await?;
    let (turns_today, already_done) = match &day {
        Some(d) => (d.turns as u32 + 1, d.challenge_done),
        None => (1, false),
    };
    let challenge = progress::challenge_completed(turns_today, already_done);
    match day {
        Some(d) => {
            let mut d = d.into_active_model();
            d.turns = Set(turns_today as i32);
            d.words = Set(d.words.as_ref() + words as i32);
            d.score_sum = Set(d.score_sum.as_ref() + score as i64);
            d.scored_turns = Set(d.scored_turns.as_ref() + 1);
            d.challenge_done = Set(already_done || challenge);
            d.update(txn).await?;
        }
        None => {
            daily_stats::ActiveModel {
                user_id: Set(user_id),
                day: Set(today),
                turns: Set(1),
                words: Set(words as i32),
                score_sum: Set(score as i64),
                scored_turns: Set(1),
                challenge_done: Set(challenge),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
    }
    let turn_stars = progress::stars_for_turn(score, streak.current);
    let bonus = if challenge { progress::DAILY_CHALLENGE_STARS } else { 0 };
    for (amount, reason) in [(turn_stars, "turn"), (bonus, "daily_challenge")] {
        if amount > 0 {
            stars::ActiveModel { user_id: Set(user_id), amount: Set(amount as i32), reason: Set(reason.into()), created_at: Set(now), ..Default::default() }
                .insert(txn)
                .await?;
        }
    }
    let total = user.stars_total + (turn_stars + bonus) as i64;
    let mut u = user.into_active_model();
    u.streak_current = Set(streak.current as i32);
    u.streak_best = Set(streak.best as i32);
    u.last_practice_day = Set(streak.last_day);
    u.stars_total = Set(total);
    u.updated_at = Set(now);
    u.update(txn).await?;
    Ok(Earned { stars: turn_stars + bonus, streak: streak.current, challenge_completed: challenge })
}

/// Per-stage timings of one turn, in milliseconds, and how it ended.
#[derive(Clone, Debug, Default)]
pub struct Timings {
    pub download_ms: Option<u32>,
    pub stt_ms: Option<u32>,
    pub llm_ms: Option<u32>,
    pub tts_ms: Option<u32>,
    pub send_ms: Option<u32>,
    pub total_ms: Option<u32>,
}

pub async fn record_timings(db: &impl ConnectionTrait, update_id: i64, user_id: i64, chat_id: i64, kind: &str, t: &Timings, outcome: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    let ms = |v: Option<u32>| v.map(|x| x.min(i32::MAX as u32) as i32);
    let row = turns::ActiveModel {
        update_id: Set(update_id),
        user_id: Set(user_id),
        chat_id: Set(chat_id),
        kind: Set(kind.into()),
        download_ms: Set(ms(t.download_ms)),
        stt_ms: Set(ms(t.stt_ms)),
        llm_ms: Set(ms(t.llm_ms)),
        tts_ms: Set(ms(t.tts_ms)),
        send_ms: Set(ms(t.send_ms)),
        total_ms: Set(ms(t.total_ms)),
        outcome: Set(outcome.into()),
        created_at: Set(now),
        ..Default::default()
    };
    turns::Entity::insert(row).on_conflict_do_nothing().exec_without_returning(db).await?;
    Ok(())
}
