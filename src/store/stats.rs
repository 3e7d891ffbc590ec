//! What `/stats` reads: the learner's days of practice and how many words they saved.

use entity::{daily_stats, saved_words};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::StoreError;
use crate::progress::history::Day;

/// Every day the learner practised (one row per local day, so a few hundred at most), oldest first.
pub async fn days(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<Day>, StoreError> {
    let rows = daily_stats::Entity::find()
        .filter(daily_stats::Column::UserId.eq(user_id))
        .order_by_asc(daily_stats::Column::Day)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Day {
            day: r.day,
            turns: r.turns.max(0) as u32,
            words: r.words.max(0) as u32,
            score_sum: r.score_sum.max(0) as u64,
            scored_turns: r.scored_turns.max(0) as u32,
            challenge_done: r.challenge_done,
        })
        .collect())
}

pub async fn saved_word_count(db: &impl ConnectionTrait, user_id: i64) -> Result<u64, StoreError> {
    Ok(saved_words::Entity::find()
        .filter(saved_words::Column::UserId.eq(user_id))
        .count(db)
        .await?)
}
