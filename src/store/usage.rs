//! The usage ledger: every upstream request with its tokens, seconds, characters and cost, and
//! the learner's daily sums (what quotas and admin reports read).

use chrono::{DateTime, NaiveDate, Utc};
use entity::{daily_stats, usage};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, IntoActiveModel};

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
    let row = daily_stats::Entity::find_by_id((user_id, day)).one(db).await?;
    let mut d = match row {
        Some(r) => r.into_active_model(),
        None => daily_stats::ActiveModel {
            user_id: Set(user_id),
            day: Set(day),
            turns: Set(0),
            words: Set(0),
            score_sum: Set(0),
            scored_turns: Set(0),
            challenge_done: Set(false),
            prompt_tokens: Set(0),
            completion_tokens: Set(0),
            stt_seconds: Set(0.0),
            tts_chars: Set(0),
            cost_micros: Set(0),
            unpriced_requests: Set(0),
        }
        .insert(db)
        .await?
        .into_active_model(),
    };
    d.prompt_tokens = Set(d.prompt_tokens.as_ref() + u.prompt_tokens as i64);
    d.completion_tokens = Set(d.completion_tokens.as_ref() + u.completion_tokens as i64);
    d.stt_seconds = Set(d.stt_seconds.as_ref() + u.audio_seconds);
    d.tts_chars = Set(d.tts_chars.as_ref() + u.characters as i64);
    match u.cost_micros {
        Some(c) => d.cost_micros = Set(d.cost_micros.as_ref() + c),
        None => d.unpriced_requests = Set(d.unpriced_requests.as_ref() + 1),
    }
    d.update(db).await?;
    Ok(())
}
