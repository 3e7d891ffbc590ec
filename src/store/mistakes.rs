//! The learner's mistakes counted by kind over a period: `/stats` trends and the kinds Honzík
//! steers the conversation to (`review::trends`).

use chrono::{DateTime, Utc};
use entity::{daily_stats, mistakes};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select};

use super::StoreError;
use crate::review::trends::{self, Period};
use crate::tutor::MistakeCategory;

/// Mistakes made in `[from, to)` with the words the learner produced on the local days after
/// `from`'s up to that of `to`'s last second (`tz`: the learner's zone, as the day totals are
/// kept): back-to-back periods share no day.
pub async fn period(
    db: &impl ConnectionTrait,
    user_id: i64,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    tz: chrono_tz::Tz,
) -> Result<Period, StoreError> {
    let counts = counts(db, user_id, from, to).await?;
    let first = crate::progress::local_day(from, tz);
    let last = crate::progress::local_day(to - chrono::Duration::seconds(1), tz);
    let words: Option<i64> = daily_stats::Entity::find()
        .select_only()
        .column_as(daily_stats::Column::Words.sum(), "words")
        .filter(daily_stats::Column::UserId.eq(user_id))
        .filter(daily_stats::Column::Day.gt(first))
        .filter(daily_stats::Column::Day.lte(last))
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    Ok(Period { counts, words: u32::try_from(words.unwrap_or(0).max(0)).unwrap_or(u32::MAX) })
}

/// Mistakes made in `[from, to)`, counted per (normalised) kind.
pub async fn counts(
    db: &impl ConnectionTrait,
    user_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(MistakeCategory, u32)>, StoreError> {
    let rows: Vec<(String, i64)> = counts_query(user_id, from, to).into_tuple().all(db).await?;
    Ok(tally(&rows))
}

/// The select behind [`counts`]: `category` and `n`.
fn counts_query(user_id: i64, from: DateTime<Utc>, to: DateTime<Utc>) -> Select<mistakes::Entity> {
    mistakes::Entity::find()
        .select_only()
        .column(mistakes::Column::Category)
        .column_as(mistakes::Column::Id.count(), "n")
        .filter(mistakes::Column::UserId.eq(user_id))
        .filter(mistakes::Column::CreatedAt.gte(from))
        .filter(mistakes::Column::CreatedAt.lt(to))
        .group_by(mistakes::Column::Category)
}

fn tally(rows: &[(String, i64)]) -> Vec<(MistakeCategory, u32)> {
    trends::tally(rows.iter().map(|(c, n)| (c.as_str(), u32::try_from(*n).unwrap_or(u32::MAX))))
}

/// The window [`focus`] counts in, ending at `now` (its second included).
fn focus_window(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (now - chrono::Duration::days(30), now + chrono::Duration::seconds(1))
}

/// [`focus`]'s select, sent with the turn's other reads (`store::prompt`).
pub(super) fn focus_query(user_id: i64, now: DateTime<Utc>) -> Select<mistakes::Entity> {
    let (from, to) = focus_window(now);
    counts_query(user_id, from, to)
}

/// [`focus`] from [`focus_query`]'s rows.
pub(super) fn focus_of(rows: &[(String, i64)]) -> [Option<MistakeCategory>; 2] {
    let top = trends::focus(&tally(rows), 3, 2);
    [top.first().copied(), top.get(1).copied()]
}

/// The learner's recurring kinds of mistakes over the last 30 days (at least three times each),
/// most frequent first, at most two: what Honzík's prompt asks him to practise.
pub async fn focus(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<[Option<MistakeCategory>; 2], StoreError> {
    let rows: Vec<(String, i64)> = focus_query(user_id, now).into_tuple().all(db).await?;
    Ok(focus_of(&rows))
}
