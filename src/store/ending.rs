//! How an open session (a practice, a review) ends: its row deleted, and the session handed
//! back only to the call that deleted it. Of two runs ending the same session — a double press,
//! a press racing the last answer, two replicas — exactly one gets it and shows the ending.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::StoreError;

/// Deletes the row of `E` whose `id_column` is `id`, the session `open` found; `open` back
/// when this call deleted it, `None` when it was not open (or another run deleted it first).
pub(super) async fn end_row<E: EntityTrait, S>(
    db: &impl ConnectionTrait,
    id_column: E::Column,
    id: i64,
    open: Option<S>,
) -> Result<Option<S>, StoreError> {
    let Some(session) = open else { return Ok(None) };
    let res = E::delete_many().filter(id_column.eq(id)).exec(db).await?;
    Ok((res.rows_affected > 0).then_some(session))
}
