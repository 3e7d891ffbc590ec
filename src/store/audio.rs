//! Audio retention's side of the database: forgetting the keys of a day's audio before the
//! objects themselves are deleted, so no row ever names audio that is gone.

use chrono::NaiveDate;
use entity::messages;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};

use super::StoreError;

/// Clears `audio_path` on every message whose audio was stored on `day` (UTC): keys of the form
/// `YYYY/MM/DD/…`, and paths written before audio had keys (`<AUDIO_DIR>/YYYY/MM/DD/…`, whatever
/// the directory was then). Returns how many rows were changed.
pub async fn forget_day(db: &impl ConnectionTrait, day: NaiveDate) -> Result<u64, StoreError> {
    let prefix = day.format("%Y/%m/%d/").to_string();
    // Only digits and slashes: nothing to escape in the patterns.
    let rows = messages::Entity::update_many()
        .col_expr(messages::Column::AudioPath, Expr::value(Option::<String>::None))
        .filter(
            Condition::any()
                .add(messages::Column::AudioPath.like(format!("{prefix}%")))
                .add(messages::Column::AudioPath.like(format!("%/{prefix}%"))),
        )
        .exec(db)
        .await?
        .rows_affected;
    Ok(rows)
}
