//! Several writes in one round trip to the database.
//!
//! With SQLite every statement sea-orm runs is handed to the connection's worker thread and its
//! answer handed back: two thread wake-ups per statement, which dominated the bot's CPU under
//! load (BENCHMARKS.md, "Capacity"). A turn's writes are known together, so on SQLite they go as
//! one multi-statement query (SQLite runs them in order, each binding its own `?` parameters).
//! PostgreSQL's extended protocol takes one statement per query, so there they run one after
//! another. Either way, run a batch inside a transaction when it must be all or nothing.

use sea_orm::{ConnectionTrait, DbBackend, QueryTrait, Statement, Values};

use super::StoreError;

/// Writes collected in order and executed together by [`Batch::run`].
#[derive(Default)]
pub struct Batch {
    statements: Vec<Statement>,
}

impl Batch {
    pub fn new() -> Self {
        Batch::default()
    }

    /// Adds a sea-orm insert, update or delete, built for `backend`.
    pub fn push(&mut self, backend: DbBackend, query: impl QueryTrait) -> &mut Self {
        self.statements.push(query.build(backend));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The statements, for [`query_rows`] with one that returns rows.
    pub fn into_statements(self) -> Vec<Statement> {
        self.statements
    }

    /// Executes every statement, in order.
    pub async fn run(self, db: &impl ConnectionTrait) -> Result<(), StoreError> {
        if self.statements.is_empty() {
            return Ok(());
        }
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                db.execute_raw(joined(self.statements)).await?;
            }
            _ => {
                for s in self.statements {
                    db.execute_raw(s).await?;
                }
            }
        }
        Ok(())
    }
}

/// Statements that each return rows (`… RETURNING …`), sent together: on SQLite one
/// multi-statement query (SQLite returns every statement's rows, in order), elsewhere one
/// after another. Returns every row, in statement order.
pub async fn query_rows(
    db: &impl ConnectionTrait,
    statements: Vec<Statement>,
) -> Result<Vec<sea_orm::QueryResult>, StoreError> {
    match db.get_database_backend() {
        DbBackend::Sqlite => Ok(db.query_all_raw(joined(statements)).await?),
        _ => {
            let mut rows = Vec::new();
            for s in statements {
                rows.extend(db.query_all_raw(s).await?);
            }
            Ok(rows)
        }
    }
}

/// One SQLite query text with every statement's parameters, in order. The statements must bind
/// plain `?` parameters, as sea-orm's builder writes them: SQLite reads a numbered `?2` against
/// the values of the whole query, not of its own statement (sqlx binds each statement's plain
/// `?`s from where the previous statement's ended, and a numbered one from the start).
fn joined(statements: Vec<Statement>) -> Statement {
    let mut sql = String::new();
    let mut values = Vec::new();
    let several = statements.len() > 1;
    for s in statements {
        debug_assert!(
            !several || !numbered(&s.sql),
            "a statement sent with others binds numbered parameters: {}",
            s.sql
        );
        if !sql.is_empty() {
            sql.push_str(";\n");
        }
        sql.push_str(&s.sql);
        if let Some(Values(v)) = s.values {
            values.extend(v);
        }
    }
    Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
}

/// Whether `sql` has a numbered parameter (`?1`, `$1`).
fn numbered(sql: &str) -> bool {
    let b = sql.as_bytes();
    b.windows(2).any(|w| matches!(w[0], b'?' | b'$') && w[1].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Database;

    #[tokio::test]
    async fn a_sqlite_batch_runs_every_statement_with_its_own_parameters() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        db.execute_unprepared("CREATE TABLE t (a INTEGER, b TEXT)").await.unwrap();
        let stmt = |a: i64, b: &str| {
            Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO t (a, b) VALUES (?, ?)",
                [a.into(), b.into()],
            )
        };
        let mut batch = Batch::new();
        batch.statements.extend([stmt(1, "one"), stmt(2, "two")]);
        batch.statements.push(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "UPDATE t SET b = ? WHERE a = ?",
            ["uno".into(), 1i64.into()],
        ));
        batch.run(&db).await.unwrap();
        let rows = db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT a, b FROM t ORDER BY a",
            ))
            .await
            .unwrap();
        let got: Vec<(i64, String)> = rows
            .iter()
            .map(|r| (r.try_get("", "a").unwrap(), r.try_get("", "b").unwrap()))
            .collect();
        assert_eq!(got, vec![(1, "uno".to_owned()), (2, "two".to_owned())]);
    }

    #[tokio::test]
    async fn statements_sent_together_return_each_ones_rows_in_order() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        db.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT)").await.unwrap();
        db.execute_unprepared("CREATE TABLE u (id INTEGER PRIMARY KEY, n INTEGER)").await.unwrap();
        let insert = |sql: &str, v: sea_orm::Value| {
            Statement::from_sql_and_values(DbBackend::Sqlite, sql, [v])
        };
        let rows = query_rows(
            &db,
            vec![
                insert("INSERT INTO t (b) VALUES (?) RETURNING b", "one".into()),
                insert("INSERT INTO u (n) VALUES (?) RETURNING id, n", 7i64.into()),
            ],
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].try_get::<String>("", "b").unwrap(), "one");
        assert_eq!(rows[1].try_get::<i64>("", "n").unwrap(), 7);
        assert_eq!(rows[1].try_get::<i64>("", "id").unwrap(), 1);
    }

    #[tokio::test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "numbered parameters")]
    async fn numbered_parameters_are_refused_in_statements_sent_together() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        db.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT)").await.unwrap();
        // `?1` in the second statement would bind "x" (the query's first value), not 1.
        let _ = query_rows(
            &db,
            vec![
                Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "INSERT INTO t (b) VALUES (?) RETURNING id",
                    ["x".into()],
                ),
                Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "UPDATE t SET b = 'y' WHERE id = ?1",
                    [1i64.into()],
                ),
            ],
        )
        .await;
    }
}
