//! Shadowing attempts (`/shadow`): the numbers each one showed, for `/stats` — accuracy and
//! speech rate over time. Nothing the learner said is kept (numbers and a phrase id).

use chrono::{DateTime, NaiveDate, Utc};
use entity::shadow_attempts as rows;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::StoreError;

/// What one attempt showed (`practice::shadow::Attempt`, reduced to numbers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt<'a> {
    pub phrase_id: &'a str,
    pub accuracy: u8,
    pub wpm: Option<u32>,
    pub native_wpm: u32,
    pub long_pauses: u32,
}

pub async fn record(
    db: &impl ConnectionTrait,
    user_id: i64,
    a: &Attempt<'_>,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = rows::ActiveModel {
        user_id: Set(user_id),
        phrase_id: Set(a.phrase_id.to_owned()),
        accuracy: Set(i32::from(a.accuracy)),
        wpm: Set(a.wpm.map(|w| w.min(i32::MAX as u32) as i32)),
        native_wpm: Set(a.native_wpm.min(i32::MAX as u32) as i32),
        long_pauses: Set(a.long_pauses.min(i32::MAX as u32) as i32),
        day: Set(day),
        created_at: Set(now),
        ..Default::default()
    };
    rows::Entity::insert(row).exec(db).await?;
    Ok(())
}

/// One day's shadowing: attempts, mean accuracy, mean rate against the native rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Day {
    pub day: NaiveDate,
    pub attempts: u32,
    pub accuracy: f64,
    /// Mean of the timed attempts' rates; None when none was timed.
    pub wpm: Option<f64>,
    pub native_wpm: f64,
}

/// The learner's shadowing per day since `from` (inclusive), oldest first.
pub async fn days(
    db: &impl ConnectionTrait,
    user_id: i64,
    from: NaiveDate,
) -> Result<Vec<Day>, StoreError> {
    let all = rows::Entity::find()
        .filter(rows::Column::UserId.eq(user_id))
        .filter(rows::Column::Day.gte(from))
        .order_by_asc(rows::Column::Day)
        .order_by_asc(rows::Column::Id)
        .all(db)
        .await?;
    let mut out: Vec<Day> = Vec::new();
    for chunk in all.chunk_by(|a, b| a.day == b.day) {
        let n = chunk.len() as f64;
        let timed: Vec<f64> = chunk.iter().filter_map(|r| r.wpm).map(f64::from).collect();
        out.push(Day {
            day: chunk[0].day,
            attempts: chunk.len() as u32,
            accuracy: chunk.iter().map(|r| f64::from(r.accuracy)).sum::<f64>() / n,
            wpm: (!timed.is_empty()).then(|| timed.iter().sum::<f64>() / timed.len() as f64),
            native_wpm: chunk.iter().map(|r| f64::from(r.native_wpm)).sum::<f64>() / n,
        });
    }
    Ok(out)
}

/// `/delete_me`: every attempt goes.
pub async fn delete_all(db: &impl ConnectionTrait, user_id: i64) -> Result<(), StoreError> {
    rows::Entity::delete_many().filter(rows::Column::UserId.eq(user_id)).exec(db).await?;
    Ok(())
}
