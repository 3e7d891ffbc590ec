//! SQLite's writes of many turns committed together, by one task that holds the writer.
//!
//! SQLite takes one writer at a time, and the pool's one writer connection was idle three
//! quarters of a busy run while every write waited ~180 ms for it (BENCHMARKS.md, issue 18,
//! session 12): handing the connection on costs more than using it. sqlx returns a connection
//! to its pool from a task it spawns, which pings the connection (a round trip to its worker
//! thread) before the next waiter is woken — several trips through the runtime's queue per
//! write, each behind every turn that is ready to run.
//!
//! So the writes sent through `store::batch` go to one task per pool instead, which takes the
//! connection once for every write queued meanwhile and commits them as **one transaction**
//! (`BEGIN IMMEDIATE`, each write between `SAVEPOINT` and `RELEASE`, `COMMIT`): one hand-over
//! and one commit for a group, however many turns are in it. Each write is still its own query
//! with its own rows and its own outcome: one that breaks a constraint is rolled back to its
//! savepoint and fails by itself, as it would have without the others.
//!
//! Writes made through sea-orm directly still take the pool's connection as before; the task
//! gives the connection back after every group, so they are served in turn, never starved.
//!
//! The task belongs to its pool (found by the pool's address while the task keeps the pool
//! alive) and ends when no write has come for a while: a test's database goes with its test;
//! the bot's writer comes back with the next write.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::sqlite::{SqliteQueryResult, SqliteRow};
use sea_orm::sqlx::{self, Either, Executor, Sqlite, SqlitePool};
use sea_orm::{DbErr, QueryResult, RuntimeErr, Statement, Values};
use tokio::sync::{mpsc, oneshot};

use super::StoreError;
use super::batch::{HELD, acquire_error, joined};

/// The most writes one transaction takes: enough that a busy bot's queue goes in a few groups,
/// few enough that a write queued behind a group does not wait long for it.
const MOST_WRITES: usize = 128;

/// How long a writer task waits for a write before it lets its pool go (briefly in tests, so
/// they meet the hand-over to a new task).
const IDLE: Duration = if cfg!(test) { Duration::from_millis(30) } else { Duration::from_secs(5) };

/// One write: its statements as one text, their values, how many statements, and where its
/// outcome goes.
struct Write {
    sql: String,
    values: Vec<sea_orm::Value>,
    statements: usize,
    reply: oneshot::Sender<Result<Vec<SqliteRow>, DbErr>>,
}

/// `statements` run in order as one all-or-nothing write on `pool`'s writer, committed with
/// whatever other writes are queued; every statement's rows, in order.
pub(super) async fn write(
    pool: &SqlitePool,
    statements: Vec<Statement>,
) -> Result<Vec<QueryResult>, StoreError> {
    let count = statements.len();
    let joined = joined(statements);
    let (reply, outcome) = oneshot::channel();
    let mut write = Write {
        sql: joined.sql,
        values: joined.values.map(|Values(v)| v).unwrap_or_default(),
        statements: count,
        reply,
    };
    loop {
        let (key, sender) = writer_of(pool);
        match sender.send(write) {
            Ok(()) => break,
            // That task has let its pool go (or its runtime ended): a new one takes over.
            Err(mpsc::error::SendError(back)) => {
                write = back;
                forget(key, &sender);
            }
        }
    }
    let rows = outcome
        .await
        .map_err(|_| DbErr::Custom("the database's writer stopped before the write".into()))??;
    Ok(rows.into_iter().map(QueryResult::from).collect())
}

type Writers = Mutex<HashMap<usize, mpsc::UnboundedSender<Write>>>;

fn writers() -> &'static Writers {
    static WRITERS: OnceLock<Writers> = OnceLock::new();
    WRITERS.get_or_init(Default::default)
}

/// The pool's identity while it lives: the address of its options, inside its shared state.
fn key_of(pool: &SqlitePool) -> usize {
    std::ptr::from_ref(pool.options()) as usize
}

/// The sender to `pool`'s writer task, started if there is none.
fn writer_of(pool: &SqlitePool) -> (usize, mpsc::UnboundedSender<Write>) {
    let key = key_of(pool);
    let mut writers = writers().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(sender) = writers.get(&key).filter(|s| !s.is_closed()) {
        return (key, sender.clone());
    }
    let (sender, receiver) = mpsc::unbounded_channel();
    writers.insert(key, sender.clone());
    tokio::spawn(run(pool.clone(), key, receiver));
    (key, sender)
}

/// Removes `key`'s entry if it is still `sender`'s.
fn forget(key: usize, sender: &mpsc::UnboundedSender<Write>) {
    let mut writers = writers().lock().unwrap_or_else(|e| e.into_inner());
    if writers.get(&key).is_some_and(|s| s.same_channel(sender)) {
        writers.remove(&key);
    }
}

/// The writer task: a group of queued writes per loan of the connection.
async fn run(pool: SqlitePool, key: usize, mut queue: mpsc::UnboundedReceiver<Write>) {
    let mut leaving = false;
    loop {
        let first = if leaving {
            // Closed to new writes: finish the ones already sent, then go.
            match queue.recv().await {
                Some(w) => w,
                None => return,
            }
        } else {
            match tokio::time::timeout(IDLE, queue.recv()).await {
                Ok(Some(w)) if !pool.is_closed() => w,
                Ok(Some(w)) => {
                    let _ = w.reply.send(Err(DbErr::ConnectionAcquire(
                        sea_orm::ConnAcquireErr::ConnectionClosed,
                    )));
                    continue;
                }
                Ok(None) => return,
                Err(_idle) => {
                    // Senders that look the pool up from now on start a new task; the ones
                    // that already hold this one's find it closed and do the same.
                    leaving = true;
                    writers().lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
                    queue.close();
                    continue;
                }
            }
        };
        let mut group = vec![first];
        take_queued(&mut queue, &mut group);
        let mut conn = match pool.acquire().await {
            Ok(conn) => conn,
            Err(e) => {
                let e = acquire_error(e);
                for w in group {
                    let _ = w.reply.send(Err(DbErr::Custom(e.to_string())));
                }
                continue;
            }
        };
        // Writes that came while the connection was on its way join this group.
        take_queued(&mut queue, &mut group);
        commit(&mut conn, group).await;
    }
}

fn take_queued(queue: &mut mpsc::UnboundedReceiver<Write>, group: &mut Vec<Write>) {
    while group.len() < MOST_WRITES {
        match queue.try_recv() {
            Ok(w) => group.push(w),
            Err(_) => break,
        }
    }
}

/// The group as one transaction: each write between a savepoint and its release, so one that
/// fails is undone alone (and told so) while the others commit. A failure that ends the
/// transaction itself (SQLite rolls back on its own after an I/O error or a full disk) fails
/// the whole group.
///
/// Each write is its own query, the same text every time for the same kind of write, so the
/// connection's cache of prepared statements serves it: one query of a whole group would be a
/// new text each time, prepared anew and cached in vain (it held ~200 MiB of SQLite's memory in
/// a busy run).
async fn commit(conn: &mut PoolConnection<Sqlite>, group: Vec<Write>) {
    let started = Instant::now();
    let statements: usize = group.iter().map(|w| w.statements).sum();
    let writes = group.len();
    let mut done = Vec::with_capacity(writes);
    let mut broken = execute(conn, "BEGIN IMMEDIATE").await.err();
    for w in group {
        if broken.is_some() {
            done.push((w.reply, Ok(Vec::new())));
            continue;
        }
        let sql = format!("SAVEPOINT w;\n{};\nRELEASE w", w.sql);
        match run_query(conn, sql, w.values).await {
            Ok(results) => {
                let rows = split_by_statement(results).into_iter().skip(1).take(w.statements);
                done.push((w.reply, Ok(rows.flatten().collect())));
            }
            Err(e) => {
                broken = execute(conn, "ROLLBACK TO w; RELEASE w").await.err();
                done.push((w.reply, Err(as_db_err(e))));
            }
        }
    }
    if broken.is_none() {
        broken = execute(conn, "COMMIT").await.err();
    }
    if let Some(e) = &broken {
        tracing::warn!(target: "mluvme::db", writes, "a group of writes was rolled back: {e}");
        if execute(conn, "ROLLBACK").await.is_err() {
            // Not in a transaction any more (SQLite rolled back itself), or the connection is
            // broken: either way it must not go back as it is.
            conn.close_on_drop();
        }
    }
    let us = started.elapsed().as_micros() as u64;
    HELD.0.fetch_add(writes as u64, Ordering::Relaxed);
    HELD.1.fetch_add(us, Ordering::Relaxed);
    tracing::trace!(target: "mluvme::db", us, writes, statements, "a group of writes");
    for (reply, outcome) in done {
        let outcome = match &broken {
            None => outcome,
            Some(e) => Err(DbErr::Custom(format!("the write was rolled back: {e}"))),
        };
        let _ = reply.send(outcome);
    }
}

async fn execute(conn: &mut PoolConnection<Sqlite>, sql: &'static str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut **conn).await.map(drop)
}

fn as_db_err(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}

async fn run_query(
    conn: &mut PoolConnection<Sqlite>,
    sql: String,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<Either<SqliteQueryResult, SqliteRow>>, sqlx::Error> {
    let query =
        sqlx::query_with(sqlx::AssertSqlSafe(sql), sea_query_sqlx::SqlxValues(Values(values)));
    (&mut **conn).fetch_many(query).try_collect().await
}

/// Each statement's rows, in order: SQLite ends every statement with a "done".
fn split_by_statement(results: Vec<Either<SqliteQueryResult, SqliteRow>>) -> Vec<Vec<SqliteRow>> {
    let mut statements = Vec::new();
    let mut rows = Vec::new();
    for r in results {
        match r {
            Either::Right(row) => rows.push(row),
            Either::Left(_done) => statements.push(std::mem::take(&mut rows)),
        }
    }
    statements
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::batch;
    use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

    async fn table() -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
        let db = crate::store::connect(&url).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT NOT NULL)")
            .await
            .unwrap();
        (dir, db)
    }

    fn insert(a: i64, b: Option<&str>) -> Statement {
        Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO t (a, b) VALUES (?, ?) RETURNING a",
            [a.into(), b.map(str::to_owned).into()],
        )
    }

    async fn stored(db: &DatabaseConnection) -> Vec<i64> {
        let rows = db
            .query_all_raw(Statement::from_string(DbBackend::Sqlite, "SELECT a FROM t ORDER BY a"))
            .await
            .unwrap();
        rows.iter().map(|r| r.try_get::<i64>("", "a").unwrap()).collect()
    }

    #[tokio::test]
    async fn writes_queued_together_commit_together_each_with_its_own_rows_and_outcome() {
        let (_dir, db) = table().await;
        // The writer is lent out: every write below queues, and they go as one group.
        let held = db.get_sqlite_connection_pool().acquire().await.unwrap();
        let writes: Vec<_> = (1..=40i64)
            .map(|a| {
                let db = db.clone();
                // Write 7's second statement breaks NOT NULL: its first must go with it.
                let statements = if a == 7 {
                    vec![insert(a, Some("seven")), insert(1000, None)]
                } else {
                    vec![insert(a, Some("x")), insert(a + 100, Some("y"))]
                };
                tokio::spawn(async move { batch::write(&db, statements).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(held);
        for (a, write) in (1..=40i64).zip(writes) {
            let outcome = write.await.unwrap();
            if a == 7 {
                assert!(outcome.is_err(), "write 7 breaks NOT NULL");
                continue;
            }
            let rows = outcome.unwrap();
            let got: Vec<i64> = rows.iter().map(|r| r.try_get("", "a").unwrap()).collect();
            assert_eq!(got, vec![a, a + 100], "write {a} gets its own rows, in order");
        }
        let want: Vec<i64> = (1..=40).chain(101..=140).filter(|a| *a != 7 && *a != 107).collect();
        assert_eq!(stored(&db).await, want, "every write but the broken one, whole");
    }

    #[tokio::test]
    async fn a_write_its_caller_stopped_waiting_for_still_commits_whole() {
        let (_dir, db) = table().await;
        let held = db.get_sqlite_connection_pool().acquire().await.unwrap();
        let write = batch::write(&db, vec![insert(1, Some("one")), insert(2, Some("two"))]);
        // Sent to the writer, then given up on while it waits for the connection.
        let gave_up = tokio::time::timeout(Duration::from_millis(20), write).await;
        assert!(gave_up.is_err(), "the write waits while the connection is lent out");
        drop(held);
        for _ in 0..200 {
            if !stored(&db).await.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(stored(&db).await, vec![1, 2]);
        // The connection went back out of the transaction: the next write is its own.
        batch::write(&db, vec![insert(3, Some("three"))]).await.unwrap();
        assert_eq!(stored(&db).await, vec![1, 2, 3]);
    }

    #[tokio::test]
    async fn a_writer_that_let_its_pool_go_is_followed_by_a_new_one() {
        let (_dir, db) = table().await;
        for a in 1..=3i64 {
            batch::write(&db, vec![insert(a, Some("x"))]).await.unwrap();
            // Longer than the writer waits for work: the next write meets a new task.
            tokio::time::sleep(IDLE * 3).await;
        }
        // Writes spread around the moments writers leave and new ones start: none is lost.
        let writes = (4..=60i64).map(|a| {
            let db = db.clone();
            async move {
                tokio::time::sleep(IDLE * (a as u32 % 3)).await;
                batch::write(&db, vec![insert(a, Some("x"))]).await
            }
        });
        for outcome in futures::future::join_all(writes).await {
            outcome.unwrap();
        }
        assert_eq!(stored(&db).await, (1..=60).collect::<Vec<i64>>());
    }
}
