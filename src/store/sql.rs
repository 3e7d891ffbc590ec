//! Hand-written SQL for both databases: statements are written once with `$n` placeholders, and
//! SQLite takes them as `?n` (the same numbered-parameter meaning). For the few statements
//! sea-orm's builder cannot express (conditional upserts with RETURNING, scalar sub-selects).

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use super::StoreError;

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
