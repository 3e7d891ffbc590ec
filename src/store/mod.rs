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
pub mod conversations;
pub mod inbox;
pub mod learners;
pub mod leases;
pub mod mistakes;
pub mod privacy;
pub mod quotas;
pub mod reminders;
pub mod review;
pub mod sql;
pub mod stats;
pub mod turns;
pub mod usage;
pub mod words;

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

/// Opens the database named by `url` with the default pool size (see [`connect_with`]).
pub async fn connect(url: &str) -> Result<DatabaseConnection, StoreError> {
    connect_with(url, None).await
}

/// Opens the database named by `url`; `max_connections` None = the default for its kind.
///
/// SQLite runs in WAL mode. Its default pool is **one** connection: SQLite takes one writer at a
/// time anyway, and with several connections a waiting writer sleeps in SQLite's busy handler
/// (1, 2, 5 … 100 ms), which showed as a tail of ~400 ms under load, while every write also
/// empties the other connections' page caches. One connection measured faster and flatter
/// (BENCHMARKS.md). The price: a transaction holds the only connection, so code inside one must
/// use the transaction, never `db` (it would wait for itself; `acquire_timeout` turns that bug
/// into an error after 30 s rather than a hang). PostgreSQL gets 16.
pub async fn connect_with(
    url: &str,
    max_connections: Option<u32>,
) -> Result<DatabaseConnection, StoreError> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
        opts.max_connections(max_connections.unwrap_or(1)).min_connections(1).map_sqlx_sqlite_opts(
            |o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .create_if_missing(true)
                    // 32 MiB of page cache (the default is 2 MiB): the hot pages of a busy bot —
                    // recent messages, today's stats, the inbox — stay in memory.
                    .pragma("cache_size", "-32768")
            },
        );
    } else {
        opts.max_connections(max_connections.unwrap_or(16)).min_connections(1);
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
