//! Per-chat leases and replica heartbeats: what lets several replicas share one inbox.
//!
//! Every replica records the updates it receives into the same `updates` table (the unique
//! `update_id` already stops two replicas answering one update). Which replica *runs* a chat's
//! updates is decided here: the one holding the chat's lease. Claiming is one conditional upsert
//! — take every chat with pending updates whose lease is free, expired, or already ours — so two
//! replicas can never both hold a chat, and a chat's turns run in order on one replica at a time.
//! Times are epoch milliseconds of the replicas' clocks; the lease length (tens of seconds) dwarfs
//! any clock skew between machines kept by NTP.
//!
//! Statements are hand-written SQL (`store::sql`): a conditional upsert with RETURNING is beyond
//! sea-orm's builder.

use sea_orm::{ConnectionTrait, Value};
use teloxide::types::Update;

use super::StoreError;
use super::inbox::PENDING;
use super::sql::{IN_CHUNK, marks, stmt};

/// A chat's lease as its holder holds it: the token is what the holder's runs are fenced by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    pub chat: i64,
    /// Grows each time the lease passes to a holder that did not have it; a renewal keeps it.
    pub token: i64,
}

/// The chats of a claim's answer.
pub fn chats(held: &[Held]) -> Vec<i64> {
    held.iter().map(|h| h.chat).collect()
}

/// A new row's token is the claim's time in milliseconds, so a row forgotten by [`purge`] and
/// made again later never gives out a token its chat had before (tokens are only compared for
/// equality). What a claim sets on a chat it takes or renews: a renewal (same holder, even after its lease
/// ran out while nobody took it) keeps the token — nothing ran elsewhere meanwhile — while a
/// lease passing to anyone else, or back to a replica that had released it, gets the next one.
const TAKE: &str = "holder = excluded.holder, expires_at = excluded.expires_at, \
    token = CASE WHEN chat_leases.holder = excluded.holder THEN chat_leases.token ELSE chat_leases.token + 1 END";

fn held(r: &sea_orm::QueryResult) -> Result<Held, StoreError> {
    Ok(Held { chat: r.try_get_by_index(0)?, token: r.try_get_by_index(1)? })
}

/// Claims (or renews) the lease of every chat with pending updates that no other live replica
/// holds, until `expires_at`; returns the chats this replica now holds that have pending work.
/// Renewing is the same statement: a chat stays ours as long as it has work and we keep claiming.
pub async fn claim(
    db: &impl ConnectionTrait,
    holder: &str,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<Vec<Held>, StoreError> {
    let backend = db.get_database_backend();
    let sql = format!(
        "INSERT INTO chat_leases (chat_id, holder, expires_at, token) \
         SELECT DISTINCT chat_id, CAST($1 AS TEXT), CAST($2 AS BIGINT), CAST($3 AS BIGINT) FROM updates \
         WHERE status = '{PENDING}' AND chat_id IS NOT NULL ORDER BY chat_id \
         ON CONFLICT (chat_id) DO UPDATE SET {TAKE} \
         WHERE chat_leases.holder = excluded.holder OR chat_leases.expires_at < $3 \
         RETURNING chat_id, token"
    );
    let rows = db
        .query_all_raw(stmt(
            backend,
            &sql,
            vec![holder.into(), expires_at_ms.into(), now_ms.into()],
        ))
        .await?;
    rows.iter().map(held).collect()
}

/// As [`claim`], for these chats only: what a replica does the moment it records an update, so
/// the claim costs the size of what arrived, not of everything pending.
pub async fn claim_chats(
    db: &impl ConnectionTrait,
    holder: &str,
    chats: &[i64],
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<Vec<Held>, StoreError> {
    let backend = db.get_database_backend();
    // In chunks (`IN_CHUNK`), each its own statement: a chat's claim stands on its own anyway.
    // Sorted first, so every chunk (and every replica) takes its rows' locks in one order.
    let mut chats = chats.to_vec();
    chats.sort_unstable();
    chats.dedup();
    let mut held = Vec::new();
    for chunk in chats.chunks(IN_CHUNK) {
        let sql = format!(
            "INSERT INTO chat_leases (chat_id, holder, expires_at, token) \
             SELECT DISTINCT chat_id, CAST($1 AS TEXT), CAST($2 AS BIGINT), CAST($3 AS BIGINT) FROM updates \
             WHERE status = '{PENDING}' AND chat_id IN ({}) ORDER BY chat_id \
             ON CONFLICT (chat_id) DO UPDATE SET {TAKE} \
             WHERE chat_leases.holder = excluded.holder OR chat_leases.expires_at < $3 \
             RETURNING chat_id, token",
            marks(4, chunk.len())
        );
        let mut values: Vec<Value> = vec![holder.into(), expires_at_ms.into(), now_ms.into()];
        values.extend(chunk.iter().map(|&c| Value::from(c)));
        for r in db.query_all_raw(stmt(backend, &sql, values)).await? {
            held.push(self::held(&r)?);
        }
    }
    held.sort_unstable_by_key(|h| h.chat);
    Ok(held)
}

/// Ids of the pending updates in these chats, oldest first.
pub async fn pending_ids_in(
    db: &impl ConnectionTrait,
    chats: &[i64],
) -> Result<Vec<i64>, StoreError> {
    let backend = db.get_database_backend();
    let mut ids = Vec::new();
    for chunk in chats.chunks(IN_CHUNK) {
        let sql = format!(
            "SELECT update_id FROM updates WHERE status = '{PENDING}' AND chat_id IN ({}) ORDER BY update_id",
            marks(1, chunk.len())
        );
        let values = chunk.iter().map(|&c| Value::from(c)).collect();
        for r in db.query_all_raw(stmt(backend, &sql, values)).await? {
            ids.push(r.try_get_by_index::<i64>(0)?);
        }
    }
    // Each chunk is in order; together they are put back in order.
    ids.sort_unstable();
    Ok(ids)
}

/// Ids of the pending updates in chats this replica holds, oldest first (ids only: most of them
/// are usually running here already, and their payloads need not be read again).
pub async fn pending_ids(db: &impl ConnectionTrait, holder: &str) -> Result<Vec<i64>, StoreError> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT update_id FROM updates WHERE status = '{PENDING}' \
         AND chat_id IN (SELECT chat_id FROM chat_leases WHERE holder = $1) ORDER BY update_id"
    );
    let rows = db.query_all_raw(stmt(backend, &sql, vec![holder.into()])).await?;
    rows.iter().map(|r| r.try_get_by_index::<i64>(0).map_err(StoreError::from)).collect()
}

/// The updates with these ids, oldest first.
pub async fn updates(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Update>, StoreError> {
    let backend = db.get_database_backend();
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IN_CHUNK) {
        let sql = format!(
            "SELECT update_id, payload FROM updates WHERE update_id IN ({}) ORDER BY update_id",
            marks(1, chunk.len())
        );
        let values = chunk.iter().map(|&id| id.into()).collect();
        for r in db.query_all_raw(stmt(backend, &sql, values)).await? {
            let id: i64 = r.try_get_by_index(0)?;
            let payload: String = r.try_get_by_index(1)?;
            let update = crate::update_json::read_str(&payload)
                .map_err(|e| StoreError::Corrupt(format!("update {id}: {e}")))?;
            found.push(update);
        }
    }
    found.sort_unstable_by_key(|u| u.id.0);
    Ok(found)
}

/// Gives a chat's lease back once its queue here is empty — unless an update arrived meanwhile
/// (possibly recorded by another replica that could not claim the chat while we held it): then
/// the lease stays, and the next claim runs that update here. Returns whether it was released.
pub async fn release_if_idle(
    db: &impl ConnectionTrait,
    holder: &str,
    chat_id: i64,
) -> Result<bool, StoreError> {
    let backend = db.get_database_backend();
    // The row stays (holder cleared) until [`purge`]: a chat that comes back soon keeps counting
    // its tokens up.
    let sql = format!(
        "UPDATE chat_leases SET holder = '', expires_at = 0 WHERE chat_id = $1 AND holder = $2 \
         AND NOT EXISTS (SELECT 1 FROM updates WHERE chat_id = $1 AND status = '{PENDING}')"
    );
    Ok(db
        .execute_raw(stmt(backend, &sql, vec![chat_id.into(), holder.into()]))
        .await?
        .rows_affected()
        > 0)
}

/// Forgets the leases that ran out (or were given back) before `before_ms` on chats with nothing
/// pending: without this the table kept a row for every chat that ever wrote. Nobody can hold
/// those (a run's fence needs its update pending), and a chat that writes again gets a new row
/// whose token ([`claim`]) its old ones never reached.
pub async fn purge(db: &impl ConnectionTrait, before_ms: i64) -> Result<u64, StoreError> {
    let backend = db.get_database_backend();
    let sql = format!(
        "DELETE FROM chat_leases WHERE expires_at < $1 AND NOT EXISTS \
         (SELECT 1 FROM updates WHERE updates.chat_id = chat_leases.chat_id AND status = '{PENDING}')"
    );
    Ok(db.execute_raw(stmt(backend, &sql, vec![before_ms.into()])).await?.rows_affected())
}

/// Gives back every lease this replica holds (at shutdown, after the grace period): another
/// replica resumes what is left at once instead of waiting for the leases to expire.
pub async fn release_all(db: &impl ConnectionTrait, holder: &str) -> Result<u64, StoreError> {
    let backend = db.get_database_backend();
    Ok(db
        .execute_raw(stmt(
            backend,
            "UPDATE chat_leases SET holder = '', expires_at = 0 WHERE holder = $1",
            vec![holder.into()],
        ))
        .await?
        .rows_affected())
}

/// Extends every lease this replica holds, taking nothing new: what a replica winding down does
/// until its last turn has finished or been aborted, so no other replica takes a chat whose turn
/// is still running here.
pub async fn renew_all(
    db: &impl ConnectionTrait,
    holder: &str,
    expires_at_ms: i64,
) -> Result<u64, StoreError> {
    let backend = db.get_database_backend();
    Ok(db
        .execute_raw(stmt(
            backend,
            "UPDATE chat_leases SET expires_at = $2 WHERE holder = $1",
            vec![holder.into(), expires_at_ms.into()],
        ))
        .await?
        .rows_affected())
}

/// Who holds a chat's lease, for tests and diagnostics.
pub async fn holder(db: &impl ConnectionTrait, chat_id: i64) -> Result<Option<String>, StoreError> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(stmt(
            backend,
            "SELECT holder FROM chat_leases WHERE chat_id = $1 AND holder <> ''",
            vec![chat_id.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get_by_index::<String>(0)).transpose()?)
}

/// Records that this replica is alive and returns how many replicas are (seen since
/// `alive_since_ms`, this one included). Rows of replicas gone for long are forgotten.
pub async fn heartbeat(
    db: &impl ConnectionTrait,
    replica: &str,
    now_ms: i64,
    alive_since_ms: i64,
) -> Result<usize, StoreError> {
    let backend = db.get_database_backend();
    db.execute_raw(stmt(
        backend,
        "INSERT INTO replicas (id, seen_at) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
        vec![replica.into(), now_ms.into()],
    ))
    .await?;
    let forget_before = now_ms - 24 * 3600 * 1000;
    db.execute_raw(stmt(
        backend,
        "DELETE FROM replicas WHERE seen_at < $1",
        vec![forget_before.into()],
    ))
    .await?;
    let row = db
        .query_one_raw(stmt(
            backend,
            "SELECT COUNT(*) FROM replicas WHERE seen_at >= $1",
            vec![alive_since_ms.into()],
        ))
        .await?;
    let n: i64 = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(1);
    Ok(n.max(1) as usize)
}

/// Removes this replica's heartbeat (a clean stop: the others take its share at once).
pub async fn leave(db: &impl ConnectionTrait, replica: &str) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    db.execute_raw(stmt(backend, "DELETE FROM replicas WHERE id = $1", vec![replica.into()]))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::inbox;
    use chats as chats_of;

    fn update(id: u32, chat: i64) -> Update {
        serde_json::from_str(&format!(
            r#"{{"update_id":{id},"message":{{"message_id":{id},"date":0,"chat":{{"id":{chat},"type":"private","first_name":"A"}},"text":"m{id}"}}}}"#
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn idle_leases_are_forgotten_and_a_chat_that_comes_back_never_gets_an_old_token() {
        let (_dir, db) = crate::store::test_db().await;
        let now = chrono::Utc::now();
        inbox::record_batch(&db, &[update(1, 10), update(2, 20), update(3, 30)], now)
            .await
            .unwrap();
        let first = claim(&db, "a", 1_000, 31_000).await.unwrap();
        let token_of = |held: &[Held], chat| held.iter().find(|h| h.chat == chat).unwrap().token;
        let old = token_of(&first, 10);
        // 10: done and given back; 20: done, its lease left to run out; 30: still pending.
        inbox::finish(&db, 1, None, now).await.unwrap();
        assert!(release_if_idle(&db, "a", 10).await.unwrap());
        inbox::finish(&db, 2, None, now).await.unwrap();

        assert_eq!(purge(&db, 20_000).await.unwrap(), 1, "only the lease given back, so far");
        assert_eq!(purge(&db, 40_000).await.unwrap(), 1, "then the one that ran out");
        assert_eq!(holder(&db, 30).await.unwrap().as_deref(), Some("a"), "pending work stays held");

        // Chat 10 writes again, later: a new row, and a token its old runs never had.
        inbox::record_batch(&db, &[update(4, 10)], now).await.unwrap();
        let again = claim_chats(&db, "a", &[10], 50_000, 80_000).await.unwrap();
        assert_ne!(token_of(&again, 10), old);
        assert!(token_of(&again, 10) > old);
    }

    #[tokio::test]
    async fn a_chat_is_held_by_one_replica_until_it_is_idle_or_its_lease_expires() {
        let (_dir, db) = crate::store::test_db().await;
        let now = chrono::Utc::now();
        inbox::record_batch(&db, &[update(1, 10), update(2, 20)], now).await.unwrap();
        let mut a = chats(&claim(&db, "a", 0, 30_000).await.unwrap());
        a.sort();
        assert_eq!(a, vec![10, 20], "a free chat with work is claimed");
        assert!(
            claim(&db, "b", 1_000, 31_000).await.unwrap().is_empty(),
            "held chats are not claimed by another replica"
        );
        assert_eq!(pending_ids(&db, "a").await.unwrap(), vec![1, 2]);
        assert!(pending_ids(&db, "b").await.unwrap().is_empty());

        // Claiming named chats only: a chat held by another replica is not taken.
        inbox::record_batch(&db, &[update(9, 30)], now).await.unwrap();
        assert!(
            chats(&claim_chats(&db, "b", &[10, 30], 500, 30_500).await.unwrap()) == vec![30],
            "30 is free, 10 is a's"
        );
        assert_eq!(pending_ids_in(&db, &[30]).await.unwrap(), vec![9]);
        inbox::finish(&db, 9, None, now).await.unwrap();
        assert!(release_if_idle(&db, "b", 30).await.unwrap());

        // Chat 10's update is done: its lease goes back; chat 20 still has work and stays held.
        inbox::finish(&db, 1, None, now).await.unwrap();
        assert!(release_if_idle(&db, "a", 10).await.unwrap());
        assert!(!release_if_idle(&db, "a", 20).await.unwrap(), "pending work keeps the lease");

        // A new update for chat 10, recorded by b: b may now claim it.
        inbox::record_batch(&db, &[update(3, 10)], now).await.unwrap();
        assert_eq!(chats(&claim(&db, "b", 2_000, 32_000).await.unwrap()), vec![10]);
        assert_eq!(holder(&db, 10).await.unwrap().as_deref(), Some("b"));

        // a stops renewing (it crashed): once chat 20's lease expires, b takes it over.
        assert!(!chats(&claim(&db, "b", 29_999, 60_000).await.unwrap()).contains(&20));
        assert!(chats(&claim(&db, "b", 30_001, 60_000).await.unwrap()).contains(&20));
        assert_eq!(pending_ids(&db, "b").await.unwrap(), vec![2, 3]);
        let payloads = updates(&db, &[2, 3]).await.unwrap();
        assert_eq!(payloads.iter().map(|u| u.id.0).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(release_all(&db, "b").await.unwrap(), 2);
    }

    #[tokio::test]
    async fn claims_and_reads_span_more_chats_and_updates_than_one_statement_takes() {
        let (_dir, db) = crate::store::test_db().await;
        let now = chrono::Utc::now();
        let n = 2 * IN_CHUNK as u32 + 7;
        // Each update in a chat of its own, recorded as polling would (100 at a time).
        let all: Vec<Update> = (1..=n).map(|i| update(i, i64::from(i) * 10)).collect();
        for batch in all.chunks(100) {
            inbox::record_batch(&db, batch, now).await.unwrap();
        }
        let ids: Vec<i64> = (1..=n).map(i64::from).collect();
        let chats: Vec<i64> = ids.iter().rev().map(|i| i * 10).collect();

        let held = chats_of(&claim_chats(&db, "a", &chats, 0, 30_000).await.unwrap());
        assert_eq!(held, ids.iter().map(|i| i * 10).collect::<Vec<_>>(), "every chat, in order");
        assert_eq!(pending_ids_in(&db, &chats).await.unwrap(), ids, "every update, oldest first");
        let read = updates(&db, &ids).await.unwrap();
        assert_eq!(read.iter().map(|u| i64::from(u.id.0)).collect::<Vec<_>>(), ids);

        // More values than either database binds in one statement (SQLite 32,766, PostgreSQL
        // 65,535): still answered, where one statement would fail on every try.
        let huge: Vec<i64> = (0..70_000).collect();
        assert_eq!(pending_ids_in(&db, &huge).await.unwrap(), ids);
        assert_eq!(updates(&db, &huge).await.unwrap().len(), ids.len());
        assert!(claim_chats(&db, "b", &huge, 1_000, 31_000).await.unwrap().is_empty(), "a's");
    }

    #[tokio::test]
    async fn replicas_alive_are_counted_and_a_replica_that_left_is_not() {
        let (_dir, db) = crate::store::test_db().await;
        assert_eq!(heartbeat(&db, "a", 10_000, 0).await.unwrap(), 1);
        assert_eq!(heartbeat(&db, "b", 11_000, 0).await.unwrap(), 2);
        assert_eq!(
            heartbeat(&db, "a", 30_000, 20_000).await.unwrap(),
            1,
            "b has not been seen since 11 s"
        );
        leave(&db, "a").await.unwrap();
        assert_eq!(heartbeat(&db, "b", 31_000, 20_000).await.unwrap(), 1);
    }
}
