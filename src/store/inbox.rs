//! The durable inbox: every Telegram update is written here before it is confirmed to Telegram,
//! and marked done once handled. Start-up resumes whatever was recorded but never finished, and a
//! redelivered update (same `update_id`) is recognised and skipped.

use chrono::{DateTime, Utc};
use entity::updates;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QueryTrait,
    sea_query::{Expr, ExprTrait},
};
use teloxide::types::Update;

use super::StoreError;

/// Where an update stands; stored as [`UpdateStatus::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateStatus {
    /// Recorded, not yet handled: what a restart (or another replica) resumes.
    Pending,
    Done,
    /// Given up on, with the reason.
    Failed,
    /// Recorded (the learner's message is kept) but deliberately not processed, e.g. a flood.
    Skipped,
}

impl UpdateStatus {
    pub const ALL: [UpdateStatus; 4] =
        [UpdateStatus::Pending, UpdateStatus::Done, UpdateStatus::Failed, UpdateStatus::Skipped];

    pub const fn as_str(self) -> &'static str {
        match self {
            UpdateStatus::Pending => "pending",
            UpdateStatus::Done => "done",
            UpdateStatus::Failed => "failed",
            UpdateStatus::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<UpdateStatus> {
        UpdateStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The pending status as SQL text, for the hand-written statements (`store::leases`).
pub const PENDING: &str = UpdateStatus::Pending.as_str();

/// Records a batch of updates in one round trip; returns the ids that were new (the others
/// had been recorded before: redeliveries). A burst of a hundred updates from one getUpdates
/// no longer waits for a hundred inserts before the first is handled.
pub async fn record_batch(
    db: &DatabaseConnection,
    batch: &[Update],
    now: DateTime<Utc>,
) -> Result<std::collections::HashSet<i64>, StoreError> {
    if batch.is_empty() {
        return Ok(Default::default());
    }
    let mut rows = Vec::with_capacity(batch.len());
    for update in batch {
        let payload = crate::update_json::to_stored(update)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        rows.push(updates::ActiveModel {
            update_id: Set(update.id.0 as i64),
            chat_id: Set(update.chat().map(|c| c.id.0)),
            kind: Set(kind_name(update).to_owned()),
            payload: Set(payload),
            status: Set(UpdateStatus::Pending.as_str().to_owned()),
            attempts: Set(0),
            error: Set(None),
            received_at: Set(now),
            done_at: Set(None),
        });
    }
    let once =
        sea_orm::sea_query::OnConflict::column(updates::Column::UpdateId).do_nothing().to_owned();
    let mut insert = updates::Entity::insert_many(rows).on_conflict(once);
    insert.query().returning_col(updates::Column::UpdateId);
    let backend = db.get_database_backend();
    // Through the writer (`store::batch`): on SQLite the batch is committed with the turns'
    // writes queued beside it instead of waiting for the connection between them.
    let rows = super::batch::write(db, vec![backend.build(insert.query())]).await?;
    rows.iter().map(|r| r.try_get::<i64>("", "update_id").map_err(Into::into)).collect()
}

/// Updates recorded but not finished, oldest first: what a restart must resume.
pub async fn pending(db: &impl ConnectionTrait) -> Result<Vec<Update>, StoreError> {
    let rows = updates::Entity::find()
        .filter(updates::Column::Status.eq(UpdateStatus::Pending.as_str()))
        .order_by_asc(updates::Column::UpdateId)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|r| {
            crate::update_json::read_str(&r.payload)
                .map_err(|e| StoreError::Corrupt(format!("update {}: {e}", r.update_id)))
        })
        .collect()
}

/// Marks an update handled (`error` = None) or given up on (`error` = why, never user data).
pub async fn finish(
    db: &impl ConnectionTrait,
    update_id: i64,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let status = if error.is_some() { UpdateStatus::Failed } else { UpdateStatus::Done };
    set_status(db, update_id, status, error, now).await
}

/// Marks an update kept but not processed, with the reason.
pub async fn skip(
    db: &impl ConnectionTrait,
    update_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    set_status(db, update_id, UpdateStatus::Skipped, Some(reason), now).await
}

async fn set_status(
    db: &impl ConnectionTrait,
    update_id: i64,
    status: UpdateStatus,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    updates::Entity::update_many()
        .col_expr(updates::Column::Status, Expr::value(status.as_str()))
        .col_expr(updates::Column::Error, Expr::value(error.map(str::to_owned)))
        .col_expr(updates::Column::DoneAt, Expr::value(Some(now)))
        .col_expr(updates::Column::Attempts, Expr::col(updates::Column::Attempts).add(1))
        .filter(updates::Column::UpdateId.eq(update_id))
        // Only once: an update finished (or skipped) stays as it was left.
        .filter(updates::Column::Status.eq(UpdateStatus::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets updates finished (done, failed or skipped) before `before`; returns how many. Pending
/// ones always stay: they are what a restart resumes. What the learner said lives on in
/// `messages`; the inbox only has to outlast Telegram's redelivery of unconfirmed updates.
pub async fn purge(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let res = updates::Entity::delete_many()
        .filter(updates::Column::Status.ne(UpdateStatus::Pending.as_str()))
        .filter(updates::Column::DoneAt.lt(before))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Status of one update, for tests and diagnostics.
pub async fn status(
    db: &impl ConnectionTrait,
    update_id: i64,
) -> Result<Option<UpdateStatus>, StoreError> {
    let row = updates::Entity::find_by_id(update_id).one(db).await?;
    Ok(row.and_then(|r| UpdateStatus::parse(&r.status)))
}

fn kind_name(update: &Update) -> &'static str {
    use teloxide::types::UpdateKind as K;
    match &update.kind {
        K::Message(_) => "message",
        K::EditedMessage(_) => "edited_message",
        K::CallbackQuery(_) => "callback_query",
        K::MyChatMember(_) => "my_chat_member",
        K::Error(_) => "unparsed",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_update_reads_back_as_the_same_kind() {
        let raw = r#"{"update_id":7,"message":{"message_id":3,"date":1700000000,"chat":{"id":42,"type":"private","first_name":"Olga"},
            "from":{"id":42,"is_bot":false,"first_name":"Olga","language_code":"ru"},"voice":{"file_id":"f1","file_unique_id":"u1","duration":4,"mime_type":"audio/ogg","file_size":1000}}}"#;
        let update: Update = serde_json::from_str(raw).unwrap();
        let stored = serde_json::to_string(&update).unwrap();
        let back: Update = serde_json::from_str(&stored).unwrap();
        assert_eq!(back.chat().map(|c| c.id.0), Some(42));
        assert_eq!(kind_name(&back), "message");
        assert_eq!(back, update);
    }
}

#[cfg(test)]
mod db_tests {
    use super::*;

    #[tokio::test]
    async fn a_redelivered_update_is_recognised_and_finished_ones_are_not_resumed() {
        let (_dir, db) = crate::store::test_db().await;
        let now = chrono::Utc::now();
        let raw = |id: u32| {
            format!(
                r#"{{"update_id":{id},"message":{{"message_id":1,"date":0,"chat":{{"id":9,"type":"private","first_name":"A"}},"text":"Ahoj"}}}}"#
            )
        };
        let first: Update = serde_json::from_str(&raw(1)).unwrap();
        let second: Update = serde_json::from_str(&raw(2)).unwrap();
        let new = |ids: &[i64]| ids.iter().copied().collect::<std::collections::HashSet<i64>>();
        assert_eq!(record_batch(&db, std::slice::from_ref(&first), now).await.unwrap(), new(&[1]));
        // A batch with a redelivery: only the update not seen before is new.
        assert_eq!(
            record_batch(&db, &[first.clone(), second.clone()], now).await.unwrap(),
            new(&[2]),
            "same update_id again is a redelivery"
        );
        assert_eq!(record_batch(&db, std::slice::from_ref(&first), now).await.unwrap(), new(&[]));
        finish(&db, 1, None, now).await.unwrap();
        let pending: Vec<u32> = pending(&db).await.unwrap().iter().map(|u| u.id.0).collect();
        assert_eq!(pending, vec![2], "only the unfinished update is resumed");
        assert_eq!(status(&db, 1).await.unwrap(), Some(UpdateStatus::Done));
    }
}
