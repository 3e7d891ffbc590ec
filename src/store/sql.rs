//! Hand-written SQL for both databases: statements are written once with `$n` placeholders, and
//! SQLite takes them as `?n` (the same numbered-parameter meaning). For the few statements
//! sea-orm's builder cannot express (conditional upserts with RETURNING, scalar sub-selects).

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use super::StoreError;

/// Values in one `IN (…)` list at most. A list built from an unbounded input (every chat with
/// pending updates after an outage, every learner due a reminder) is sent as several statements
/// of at most this many: one statement with tens of thousands of values fails outright (SQLite
/// binds at most 32,766 parameters, PostgreSQL 65,535), and long before that it is slow to parse
/// and plan and holds its connection for the whole list.
pub(crate) const IN_CHUNK: usize = 500;

/// `n` numbered placeholders from `$first`: `$first, $first+1, …` (for an `IN (…)` list).
pub(crate) fn marks(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

pub(crate) fn stmt(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DbBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// Runs a statement; returns the rows it affected.
pub(crate) async fn exec(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<u64, StoreError> {
    Ok(db.execute_raw(stmt(db.get_database_backend(), sql, values)).await?.rows_affected())
}

/// The first column of the first row, if any.
pub(crate) async fn scalar<T: sea_orm::TryGetable>(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<T>, StoreError> {
    let row = db.query_one_raw(stmt(db.get_database_backend(), sql, values)).await?;
    Ok(match row {
        Some(r) => r.try_get_by_index::<Option<T>>(0)?,
        None => None,
    })
}
