//! The learner's mistakes counted by kind over a period: `/stats` trends and the kinds Honzík
//! steers the conversation to (`review::trends`).

use chrono::{DateTime, Utc};
use entity::mistakes;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::StoreError;
use crate::review::trends;
use crate::tutor::MistakeCategory;

/// Mistakes made in `[from, to)`, counted per (normalised) kind.
pub async fn counts(
    db: &impl ConnectionTrait,
    user_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(MistakeCategory, u32)>, StoreError> {
    let rows: Vec<(String, i64)> = mistakes::Entity::find()
        .select_only()
        .column(mistakes::Column::Category)
        .column_as(mistakes::Column::Id.count(), "n")
        .filter(mistakes::Column::UserId.eq(user_id))
        .filter(mistakes::Column::CreatedAt.gte(from))
        .filter(mistakes::Column::CreatedAt.lt(to))
        .group_by(mistakes::Column::Category)
        .into_tuple()
        .all(db)
        .await?;
    Ok(trends::tally(rows.iter().map(|(c, n)| (c.as_str(), u32::try_from(*n).unwrap_or(u32::MAX)))))
}

/// The learner's recurring kinds of mistakes over the last 30 days (at least three times each),
/// most frequent first, at most two: what Honzík's prompt asks him to practise.
pub async fn focus(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<[Option<MistakeCategory>; 2], StoreError> {
    let recent =
        counts(db, user_id, now - chrono::Duration::days(30), now + chrono::Duration::seconds(1))
            .await?;
    let top = trends::focus(&recent, 3, 2);
    Ok([top.first().copied(), top.get(1).copied()])
}
