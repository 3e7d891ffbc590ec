//! Persistence: sea-orm queries and transactions, one module per aggregate.
//!
//! The same code serves SQLite (the embedded default) and PostgreSQL; anything dialect-specific
//! stays in this module. Entities are generated-style structs in the `entity` crate; the behaviour
//! lives here.

pub mod answer;
pub mod batch;
pub mod conversations;
pub mod inbox;
pub mod learners;
pub mod privacy;
pub mod stats;
pub mod turns;
pub mod words;
pub mod usage;

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

/// Opens the database named by `url`. SQLite runs in WAL mode with a busy timeout, so the
/// turn workers' writes wait for each other instead of failing with "database is locked".
pub async fn connect(url: &str) -> Result<DatabaseConnection, StoreError> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false).connect_timeout(Duration::from_secs(10)).acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
        // One writer at a time is SQLite's rule; a few connections let reads run beside it.
        opts.max_connections(4).min_connections(1).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
                // Every write by one connection empties the other connections' page caches in
                // WAL mode; reading pages through a memory map instead of read() calls makes
                // refilling them cheap.
                .pragma("mmap_size", "268435456")
        });
    } else {
        opts.max_connections(16).min_connections(1);
    }
    Ok(Database::connect(opts).await?)
}

/// Applies every pending migration (idempotent).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), StoreError> {
    Migrator::up(db, None).await?;
    Ok(())
}
