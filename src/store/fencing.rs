//! Fencing: whether a run may still act on the update it runs.
//!
//! A replica stalled past its chat's lease (a paused machine, a frozen process, a database it
//! could not reach to renew) may find on waking that another replica has taken the chat over
//! and is answering the same update. Leases alone cannot stop the stalled one: it does not know
//! it stalled. So each run carries the lease it started under (holder and token, see
//! `store::leases`), and before every paid or visible step asks the database whether that lease
//! is still current and the update still pending ([`holds`]); marking the update done asks the
//! same in the same statement ([`finish`]). A run that finds either gone stops quietly: the
//! chat's new holder answers the update, once. Without leases (long polling: one process) only
//! the update's status is checked.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Value};

use super::StoreError;
use super::inbox::{PENDING, UpdateStatus};
use super::sql::scalar;

/// The chat lease a run started under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub holder: String,
    pub chat: i64,
    pub token: i64,
}

/// Whether `update_id` is still pending and, under a lease, the chat's lease is still `lease`'s
/// holder's, with the same token, and not run out at `now_ms` (a lease that ran out may be taken
/// by another replica at any moment: better to stop here and let whoever holds the chat next
/// resume the turn from its checkpoint).
pub async fn holds(
    db: &impl ConnectionTrait,
    update_id: i64,
    lease: Option<&Lease>,
    now_ms: i64,
) -> Result<bool, StoreError> {
    Ok(held_until(db, update_id, lease, now_ms).await?.is_some())
}

/// [`holds`], and until when: `None` when the run may not go on; else the lease's expiry (in
/// wall-clock milliseconds) — nobody else can take the chat before it — or `i64::MAX` without a
/// lease, where nothing but this run itself ends a pending update (one process, and a chat's
/// updates run one at a time). What lets a run skip the checks it has no reason to repeat
/// (`intake::fence`).
pub async fn held_until(
    db: &impl ConnectionTrait,
    update_id: i64,
    lease: Option<&Lease>,
    now_ms: i64,
) -> Result<Option<i64>, StoreError> {
    let Some(l) = lease else {
        let sql =
            format!("SELECT COUNT(*) FROM updates WHERE update_id = $1 AND status = '{PENDING}'");
        let pending = scalar::<i64>(db, &sql, vec![update_id.into()]).await?.unwrap_or(0) > 0;
        return Ok(pending.then_some(i64::MAX));
    };
    let sql = format!(
        "SELECT l.expires_at FROM updates u, chat_leases l WHERE u.update_id = $1 \
         AND u.status = '{PENDING}' AND l.chat_id = $2 AND l.holder = $3 AND l.token = $4 \
         AND l.expires_at > $5"
    );
    let values: Vec<Value> = vec![
        update_id.into(),
        l.chat.into(),
        l.holder.clone().into(),
        l.token.into(),
        now_ms.into(),
    ];
    scalar::<i64>(db, &sql, values).await
}

/// Marks an update handled (`error` None) or given up on, only if it is still pending and,
/// under a lease, the lease is still `lease` (run out or not: nobody else took it, so nobody
/// else ran it). Returns whether it was marked; `false` means another replica owns it now (or
/// it was finished already) and it is left alone.
pub async fn finish(
    db: &sea_orm::DatabaseConnection,
    update_id: i64,
    error: Option<&str>,
    lease: Option<&Lease>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let status = if error.is_some() { UpdateStatus::Failed } else { UpdateStatus::Done };
    let mut sql = format!(
        "UPDATE updates SET status = $2, error = $3, done_at = $4, attempts = attempts + 1 \
         WHERE update_id = $1 AND status = '{PENDING}'"
    );
    let mut values: Vec<Value> = vec![
        update_id.into(),
        status.as_str().into(),
        Value::from(error.map(str::to_owned)),
        now.into(),
    ];
    if let Some(l) = lease {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM chat_leases WHERE chat_id = $5 AND holder = $6 AND token = $7)",
        );
        values.extend([l.chat.into(), l.holder.clone().into(), l.token.into()]);
    }
    // Through the writer (`store::batch`): on SQLite committed with the turns' writes beside it.
    sql.push_str(" RETURNING update_id");
    let marked =
        super::batch::write(db, vec![super::sql::stmt(db.get_database_backend(), &sql, values)]);
    Ok(!marked.await?.is_empty())
}

/// [`finish`]'s "done" for a process without leases, as a statement to send with another write
/// (`store::turns::finish`): it returns a row only if it marked the update (it was pending).
pub(crate) fn done_with(
    backend: sea_orm::DbBackend,
    update_id: i64,
    now: DateTime<Utc>,
) -> sea_orm::Statement {
    use entity::updates::{Column, Entity};
    use sea_orm::sea_query::{Expr, ExprTrait};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryTrait};
    let mut statement = Entity::update_many()
        .col_expr(Column::Status, Expr::value(UpdateStatus::Done.as_str()))
        .col_expr(Column::Error, Expr::value(Option::<String>::None))
        .col_expr(Column::DoneAt, Expr::value(Some(now)))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::UpdateId.eq(update_id))
        .filter(Column::Status.eq(PENDING))
        .build(backend);
    statement.sql.push_str(" RETURNING \"update_id\"");
    statement
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{inbox, leases};
    use teloxide::types::Update;

    fn update(id: u32, chat: i64) -> Update {
        serde_json::from_str(&format!(
            r#"{{"update_id":{id},"message":{{"message_id":{id},"date":0,"chat":{{"id":{chat},"type":"private","first_name":"A"}},"text":"m{id}"}}}}"#
        ))
        .unwrap()
    }

    fn lease(holder: &str, held: &[leases::Held]) -> Lease {
        Lease { holder: holder.into(), chat: held[0].chat, token: held[0].token }
    }

    #[tokio::test]
    async fn a_replica_that_stalled_past_its_lease_can_neither_go_on_nor_finish_once_another_took_the_chat()
     {
        let (_dir, db) = crate::store::test_db().await;
        let now = chrono::Utc::now();
        inbox::record_batch(&db, &[update(1, 10)], now).await.unwrap();
        let a = lease("a", &leases::claim(&db, "a", 0, 3_000).await.unwrap());
        assert!(holds(&db, 1, Some(&a), 1_000).await.unwrap(), "a holds chat 10 and runs update 1");

        // a stalls: its lease runs out. Until someone takes the chat, a's renewal keeps its token.
        assert!(!holds(&db, 1, Some(&a), 3_500).await.unwrap(), "a lease run out is not held");
        let renewed = leases::claim(&db, "a", 3_600, 6_600).await.unwrap();
        assert_eq!(renewed[0].token, a.token, "nobody else ran it: the same token");
        assert!(holds(&db, 1, Some(&a), 4_000).await.unwrap());

        // a stalls again and b takes the chat over: a new token.
        let b = lease("b", &leases::claim(&db, "b", 7_000, 10_000).await.unwrap());
        assert!(b.token > a.token, "the lease passed on: {} after {}", b.token, a.token);
        assert!(holds(&db, 1, Some(&b), 7_500).await.unwrap());
        assert!(!holds(&db, 1, Some(&a), 7_500).await.unwrap(), "a woke up: not its chat any more");
        assert!(
            leases::claim(&db, "a", 7_600, 10_600).await.unwrap().is_empty(),
            "a cannot renew what b holds"
        );
        assert!(!finish(&db, 1, None, Some(&a), now).await.unwrap(), "a cannot finish it");
        assert_eq!(inbox::status(&db, 1).await.unwrap(), Some(UpdateStatus::Pending));
        assert!(finish(&db, 1, None, Some(&b), now).await.unwrap(), "b answers it, once");
        assert!(!finish(&db, 1, None, Some(&b), now).await.unwrap(), "and only once");
        assert!(!holds(&db, 1, Some(&b), 8_000).await.unwrap(), "a finished update is nobody's");

        // b gives the chat back; a claims it again for a new update: a token neither had.
        assert!(leases::release_if_idle(&db, "b", 10).await.unwrap());
        inbox::record_batch(&db, &[update(2, 10)], now).await.unwrap();
        let again = lease("a", &leases::claim(&db, "a", 9_000, 12_000).await.unwrap());
        assert!(again.token > b.token, "a fresh claim after a release is a new token");
        assert!(!holds(&db, 2, Some(&a), 9_500).await.unwrap(), "a's old run stays fenced");
        assert!(holds(&db, 2, Some(&again), 9_500).await.unwrap());
    }

    #[tokio::test]
    async fn without_leases_only_a_pending_update_is_held_and_finished() {
        let (_dir, db) = crate::store::test_db().await;
        let now = chrono::Utc::now();
        inbox::record_batch(&db, &[update(1, 10), update(2, 10)], now).await.unwrap();
        assert!(holds(&db, 1, None, 0).await.unwrap());
        inbox::skip(&db, 2, "cancelled by the learner", now).await.unwrap();
        assert!(!holds(&db, 2, None, 0).await.unwrap(), "a cancelled update is not run on");
        assert!(!finish(&db, 2, None, None, now).await.unwrap(), "nor marked done over its skip");
        assert_eq!(inbox::status(&db, 2).await.unwrap(), Some(UpdateStatus::Skipped));
        assert!(finish(&db, 1, Some("boom"), None, now).await.unwrap());
        assert_eq!(inbox::status(&db, 1).await.unwrap(), Some(UpdateStatus::Failed));
    }
}
