//! The usage ledger: every upstream request with its tokens, seconds, characters and cost, and
//! the learner's daily sums (what quotas and admin reports read).

use chrono::{DateTime, NaiveDate, Utc};
use entity::{daily_stats, usage};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};

use super::StoreError;

/// One request's consumption. `cost_micros` None = the model has no price (unknown, not zero).
#[derive(Clone, Debug, PartialEq)]
pub struct Usage<'a> {
    pub kind: &'a str,
    pub model: &'a str,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub audio_seconds: f64,
    pub characters: u32,
    pub cost_micros: Option<i64>,
}

/// Records a request and adds it to the learner's day (`day` in their timezone).
pub async fn record(db: &impl ConnectionTrait, user_id: i64, message_id: Option<i64>, u: &Usage<'_>, day: NaiveDate, now: DateTime<Utc>) -> Result<(), StoreError> {
    usage::ActiveModel {
        user_id: Set(user_id),
        message_id: Set(message_id),
        kind: Set(u.kind.to_owned()),
        model: Set(u.model.to_owned()),
        prompt_tokens: Set(u.prompt_tokens as i32),
        completion_tokens: Set(u.completion_tokens as i32),
        audio_seconds: Set(u.audio_seconds),
        characters: Set(u.characters as i32),
        cost_micros: Set(u.cost_micros),
        day: Set(day),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // One statement adds the request to the day, creating the day's row if needed.
    let priced = u.cost_micros.is_some();
    let row = daily_stats::ActiveModel {
        user_id: Set(user_id),
        day: Set(day),
        turns: Set(0),
        words: Set(0),
        score_sum: Set(0),
        scored_turns: Set(0),
        challenge_done: Set(false),
        prompt_tokens: Set(u.prompt_tokens as i64),
        completion_tokens: Set(u.completion_tokens as i64),
        stt_seconds: Set(u.audio_seconds),
        tts_chars: Set(u.characters as i64),
        cost_micros: Set(u.cost_micros.unwrap_or(0)),
        unpriced_requests: Set(if priced { 0 } else { 1 }),
    };
    let add = |c: daily_stats::Column| (c, Expr::col((daily_stats::Entity, c)).add(Expr::col((Alias::new("excluded"), c))));
    use daily_stats::Column as C;
    let on_conflict = OnConflict::columns([C::UserId, C::Day])
        .values([add(C::PromptTokens), add(C::CompletionTokens), add(C::SttSeconds), add(C::TtsChars), add(C::CostMicros), add(C::UnpricedRequests)])
        .to_owned();
    daily_stats::Entity::insert(row).on_conflict(on_conflict).exec_without_returning(db).await?;
    Ok(())
}
