//! Persistence: sea-orm queries and transactions, one module per aggregate.
//!
//! The same code serves SQLite (the embedded default) and PostgreSQL; anything dialect-specific
//! stays in this module. Entities are generated-style structs in the `entity` crate; the behaviour
//! lives here.

pub mod admin;
pub mod answer;
pub mod audio;
pub mod batch;
pub mod broadcasts;
pub mod cards;
pub mod conversations;
mod ending;
pub mod fencing;
pub mod inbox;
pub mod learners;
pub mod leases;
pub mod mistakes;
pub mod placement;
pub mod practice;
pub mod privacy;
pub mod prompt;
pub mod quotas;
pub mod reminders;
pub mod review;
pub mod shadow;
pub mod sql;
pub mod stats;
mod together;
pub mod turns;
pub mod usage;
pub mod words;
mod writer;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// Everything that can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// Opens the database named by `url` with the default pool size and no statement timeout (see
/// [`connect_with`]): for the `migrate` command and tests.
pub async fn connect(url: &str) -> Result<DatabaseConnection, StoreError> {
    connect_with(url, None, None).await
}

/// What the bot opens at start: the database migrated, then the pool it runs on, each of whose
/// statements is bounded by `statement_timeout`.
///
/// On PostgreSQL the migrations run first on a pool of their own without the timeout — building
/// an index on a large table may rightly take longer than any query, and a replica waiting for
/// another one's migration holds its advisory lock for as long as that takes.
pub async fn open(
    url: &str,
    max_connections: Option<u32>,
    statement_timeout: Duration,
) -> Result<DatabaseConnection, StoreError> {
    if is_sqlite(url) {
        // SQLite's busy timeout bounds waiting for the lock, never a statement's own work, so
        // the migrations share the one pool.
        let db = connect_with(url, max_connections, Some(statement_timeout)).await?;
        migrate(&db).await?;
        return Ok(db);
    }
    let migrating = connect_with(url, Some(2), None).await?;
    let migrated = migrate(&migrating).await;
    migrating.close().await.ok();
    migrated?;
    connect_with(url, max_connections, Some(statement_timeout)).await
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// Read-only connections an SQLite file gets beside its one writer ([`open_readers`]).
pub const SQLITE_READERS: u32 = 4;

/// The pool for reads that need no transaction — the learner, the access gate, a turn's fence,
/// history and focus — opened beside `write`, the pool [`open`] returned.
///
/// On an SQLite file: [`SQLITE_READERS`] connections of their own that can only read (`PRAGMA
/// query_only`). WAL lets them read while the one writer writes, so a turn's reads never queue
/// behind another turn's writes (nor behind each other), and they never take the write lock, so
/// the writer never waits for them in its busy handler. A read sees every write committed
/// before it began: a turn reads what its own earlier steps wrote. Each keeps a small page cache
/// (2 MiB; a write elsewhere empties it anyway). On PostgreSQL, and for an in-memory SQLite database
/// (which another connection would not see), the same pool as `write`.
pub async fn open_readers(
    url: &str,
    write: &DatabaseConnection,
    statement_timeout: Duration,
) -> Result<DatabaseConnection, StoreError> {
    if !is_sqlite(url) || url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(write.clone());
    }
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .max_connections(SQLITE_READERS)
        .min_connections(1)
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(move |o| {
            // No journal mode: the file is in WAL already (the writer set it, and it persists).
            o.busy_timeout(statement_timeout)
                .create_if_missing(false)
                .pragma("query_only", "ON")
                .pragma("cache_size", "-2048")
        });
    Ok(Database::connect(opts).await?)
}

/// How long a PostgreSQL connection may sit idle in the pool before it is pinged on its next
/// loan ([`connect_with`]).
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

/// Opens the database named by `url`; `max_connections` None = the default for its kind.
///
/// SQLite runs in WAL mode. Its default pool is **one** connection: SQLite takes one writer at a
/// time anyway, and with several connections a waiting writer sleeps in SQLite's busy handler
/// (1, 2, 5 … 100 ms), which showed as a tail of ~400 ms under load, while every write also
/// empties the other connections' page caches. One connection measured faster and flatter
/// (BENCHMARKS.md); reads that need no transaction go to read-only connections of their own
/// ([`open_readers`]). The price: a transaction holds the only writer, so code inside one must
/// use the transaction, never `db` (it would wait for itself; `acquire_timeout` turns that bug
/// into an error after 30 s rather than a hang). PostgreSQL gets 16.
///
/// `statement_timeout` (None = none on PostgreSQL, 10 s of busy waiting on SQLite): on
/// PostgreSQL, `SET statement_timeout` as each pooled connection opens — a plain `SET` rather
/// than a startup option, because connection poolers such as PgBouncer refuse unknown startup
/// options but pass a `SET` through — so a runaway statement is cancelled by the server and its
/// connection comes back to the pool. On SQLite, the busy timeout: how long a statement waits
/// for another writer before it fails with "database is locked".
pub async fn connect_with(
    url: &str,
    max_connections: Option<u32>,
    statement_timeout: Option<Duration>,
) -> Result<DatabaseConnection, StoreError> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if is_sqlite(url) {
        // An SQLite connection is a file in this process: nothing between can drop it, so the
        // ping sqlx sends before lending it out (a round trip to its worker thread on every
        // statement) only ever costs.
        opts.test_before_acquire(false);
        use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
        let busy = statement_timeout.unwrap_or(Duration::from_secs(10));
        opts.max_connections(max_connections.unwrap_or(1)).min_connections(1).map_sqlx_sqlite_opts(
            move |o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(busy)
                    .foreign_keys(true)
                    .create_if_missing(true)
                    // 16 MiB of page cache (the default is 2 MiB): the hot pages of a busy bot —
                    // recent messages, today's stats, the inbox — stay in memory. It was 32 MiB
                    // before most reads moved to the readers; 16 kept 10,000 learners at once
                    // under 256 MiB with them (BENCHMARKS.md).
                    .pragma("cache_size", "-16384")
            },
        );
    } else {
        // A round trip to the server before every statement, to find a connection the server,
        // a proxy or a firewall dropped while it sat idle: only one idle long enough for that
        // to be plausible is pinged; a busy pool's connections are lent out as they are.
        opts.max_connections(max_connections.unwrap_or(16))
            .min_connections(1)
            .test_before_acquire_if_idle_for(IDLE_BEFORE_PING);
        if let Some(timeout) = statement_timeout {
            // A number of milliseconds we formatted ourselves: nothing from outside reaches it.
            let set: std::sync::Arc<str> =
                format!("SET statement_timeout = {}", timeout.as_millis()).into();
            opts.map_sqlx_postgres_pool_opts(move |pool| {
                let set = set.clone();
                pool.after_connect(move |conn, _| {
                    let sql = sea_orm::sqlx::AssertSqlSafe(set.clone());
                    Box::pin(
                        async move { sea_orm::sqlx::Executor::execute(conn, sql).await.map(drop) },
                    )
                })
            });
        }
    }
    Ok(Database::connect(opts).await?)
}

/// Applies every pending migration (idempotent).
///
/// On PostgreSQL several replicas start at once, and two migrating together collide on the
/// catalogue ("duplicate key … pg_type"): a transaction-scoped advisory lock, held on one pooled
/// connection while the migrations run on others, lets one replica migrate and the rest find the
/// work done.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), StoreError> {
    use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
    if db.get_database_backend() != DbBackend::Postgres {
        Migrator::up(db, None).await?;
        return Ok(());
    }
    let lock = db.begin().await?;
    lock.execute_unprepared("SELECT pg_advisory_xact_lock(7152764903)").await?;
    let result = Migrator::up(db, None).await;
    lock.commit().await?;
    Ok(result?)
}

/// A fresh, migrated SQLite database in a temporary directory, for unit tests (keep the directory
/// alive as long as the connection).
#[cfg(test)]
pub(crate) async fn test_db() -> (tempfile::TempDir, DatabaseConnection) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = connect(&format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()))
        .await
        .expect("SQLite opens");
    migrate(&db).await.expect("migrations apply");
    (dir, db)
}

/// A learner who has just started the bot (Telegram id and chat `id`, Telegram's `language`),
/// for unit tests.
#[cfg(test)]
pub(crate) async fn test_learner(
    db: &DatabaseConnection,
    id: i64,
    language: &str,
) -> learners::Learner {
    let tg = learners::TelegramUser {
        id,
        chat_id: id,
        first_name: "Tester",
        username: None,
        language_code: Some(language),
    };
    learners::find_or_create(db, &tg, chrono::Utc::now()).await.expect("the learner is stored").0
}

/// The suite's PostgreSQL (`TEST_DATABASE_URL`, which `scripts/test-all.sh` starts), or `None`
/// after saying the test is skipped; with `CI=true` its absence fails the test instead.
#[cfg(test)]
pub(crate) fn test_postgres_url() -> Option<String> {
    let url = std::env::var("TEST_DATABASE_URL").ok();
    if url.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but TEST_DATABASE_URL is not set"
        );
        eprintln!("SKIP postgres: TEST_DATABASE_URL is not set");
    }
    url
}

/// The databases a store test runs on: SQLite (its directory kept with it), and a fresh,
/// migrated database on the suite's PostgreSQL when there is one ([`test_postgres_url`]).
#[cfg(test)]
pub(crate) async fn test_dbs() -> Vec<(Option<tempfile::TempDir>, DatabaseConnection)> {
    use sea_orm::ConnectionTrait;
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let (dir, sqlite) = test_db().await;
    let mut dbs = vec![(Some(dir), sqlite)];
    if let Some(base) = test_postgres_url() {
        let name = format!("mluvme_u{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
        let admin = sea_orm::Database::connect(&base).await.expect("TEST_DATABASE_URL reachable");
        for sql in [format!("DROP DATABASE IF EXISTS {name}"), format!("CREATE DATABASE {name}")] {
            admin.execute_unprepared(&sql).await.expect("a database of the test's own");
        }
        let mut url = url::Url::parse(&base).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        let db = connect(url.as_str()).await.expect("PostgreSQL connects");
        migrate(&db).await.expect("migrations apply");
        dbs.push((None, db));
    }
    dbs
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, Statement};

    #[tokio::test]
    async fn sqlite_waits_for_the_write_lock_as_long_as_the_statement_timeout_says() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = open(&url, None, Duration::from_millis(4321)).await.unwrap();
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), "PRAGMA busy_timeout"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 4321);
    }

    /// PostgreSQL cancels a statement past the timeout, on every pooled connection; SKIP without
    /// `TEST_DATABASE_URL` (`scripts/test-all.sh` starts one).
    #[tokio::test]
    async fn postgres_cancels_a_statement_that_runs_past_the_statement_timeout() {
        let Some(url) = test_postgres_url() else { return };
        // Connected without migrating: the server's own database is only asked questions.
        let db = connect_with(&url, Some(3), Some(Duration::from_secs(1))).await.unwrap();
        let backend = db.get_database_backend();
        // Three at once, so more than one pooled connection answers.
        let shows =
            futures::future::join_all((0..3).map(|_| {
                db.query_one_raw(Statement::from_string(backend, "SHOW statement_timeout"))
            }))
            .await;
        for row in shows {
            assert_eq!(row.unwrap().unwrap().try_get_by_index::<String>(0).unwrap(), "1s");
        }
        let err = db
            .execute_unprepared("SELECT pg_sleep(30)")
            .await
            .expect_err("a statement past the timeout is cancelled");
        assert!(err.to_string().contains("statement timeout"), "{err}");
        // The connection is back in the pool and answers.
        db.execute_unprepared("SELECT 1").await.unwrap();
    }
}
