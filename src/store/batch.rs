//! Several statements in one round trip to the database.
//!
//! With SQLite every statement sea-orm runs is handed to the connection's worker thread and its
//! answer handed back: two thread wake-ups per statement, which dominated the bot's CPU under
//! load (BENCHMARKS.md, "Capacity"). A turn's writes are known together, so on SQLite they go as
//! one multi-statement query (SQLite runs them in order, each binding its own `?` parameters).
//! PostgreSQL's extended protocol takes one statement per query, so there they run one after
//! another.
//!
//! Writes ([`write()`], [`Batch::run`]) on SQLite go to the pool's writer task
//! (`store::writer`), which commits the writes of many turns in one transaction, each write
//! all or nothing: one loan of the connection and one commit for a group instead of one per
//! statement (a commit writes the changed pages to the WAL; it was a third of SQLite's own
//! work). [`write_atomic`] is all or nothing on PostgreSQL too (a transaction
//! there), and [`write_independent`], for writes that do not depend on each other, is one
//! statement there (`WITH w0 AS (…), w1 AS (…) …`). Reads sent together ([`query_rows`]) take no
//! transaction; `store::together` makes them one statement on PostgreSQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::sqlx;
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, QueryTrait,
    RuntimeErr, Statement, TransactionTrait, Values,
};

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

    /// The statements, for a caller adding one of its own (one that returns rows, or one sent
    /// with them through [`write_independent`]).
    pub fn into_statements(self) -> Vec<Statement> {
        self.statements
    }

    /// Executes every statement, in order: all or nothing on SQLite ([`write()`]).
    pub async fn run(self, db: &DatabaseConnection) -> Result<(), StoreError> {
        write(db, self.statements).await.map(drop)
    }

    /// Executes statements that do not depend on each other ([`write_independent`]).
    pub async fn run_independent(self, db: &DatabaseConnection) -> Result<(), StoreError> {
        write_independent(db, self.statements).await.map(drop)
    }
}

/// Writes sent together, returning every row their `RETURNING` clauses give, in statement
/// order. On SQLite one query, all or nothing, committed with whatever other writes are
/// queued (`store::writer`). On PostgreSQL one statement after another, each committed alone:
/// a failure part-way leaves the ones before it.
pub async fn write(
    db: &DatabaseConnection,
    statements: Vec<Statement>,
) -> Result<Vec<QueryResult>, StoreError> {
    if statements.is_empty() {
        return Ok(Vec::new());
    }
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            super::writer::write(db.get_sqlite_connection_pool(), statements).await
        }
        _ => query_rows(db, statements).await,
    }
}

/// [`write()`], all or nothing on every database (a transaction on PostgreSQL).
pub async fn write_atomic(
    db: &DatabaseConnection,
    statements: Vec<Statement>,
) -> Result<Vec<QueryResult>, StoreError> {
    if statements.len() < 2 || db.get_database_backend() == DbBackend::Sqlite {
        return write(db, statements).await;
    }
    let txn = db.begin().await?;
    let rows = query_rows(&txn, statements).await?;
    txn.commit().await?;
    Ok(rows)
}

/// [`write()`] for statements that each change rows none of the others changes, and read nothing
/// the others write: on PostgreSQL one statement, all or nothing, in one round trip — the first
/// ones as data-modifying `WITH` queries before the last. There all of them see the database as
/// it was before the statement, hence independent — save for what an earlier one's `RETURNING`
/// gives, which a later one may read as [`returned_by`] its position. Only the last one's rows
/// come back. On SQLite, [`write()`].
pub async fn write_independent(
    db: &DatabaseConnection,
    statements: Vec<Statement>,
) -> Result<Vec<QueryResult>, StoreError> {
    if statements.len() > 1 && db.get_database_backend() == DbBackend::Postgres {
        return Ok(db.query_all_raw(chained(statements)).await?);
    }
    write(db, statements).await
}

/// What a later statement of [`write_independent`] on PostgreSQL reads to see the rows the
/// `RETURNING` of statement `i` gave (a table expression: `SELECT "id" FROM w0`).
pub fn returned_by(i: usize) -> String {
    format!("w{i}")
}

/// PostgreSQL statements as one: `WITH w0 AS (s0), w1 AS (s1) s2`, each statement's `$n`
/// parameters renumbered after the ones before it.
fn chained(statements: Vec<Statement>) -> Statement {
    let last = statements.len() - 1;
    let mut withs: Vec<String> = Vec::with_capacity(last);
    let mut sql = String::new();
    let mut values = Vec::new();
    for (i, s) in statements.into_iter().enumerate() {
        let renumbered = renumbered(&s.sql, values.len());
        if i < last {
            withs.push(format!("{} AS ({renumbered})", returned_by(i)));
        } else {
            sql = renumbered;
        }
        if let Some(Values(v)) = s.values {
            values.extend(v);
        }
    }
    debug_assert!(
        withs.iter().enumerate().all(|(i, w)| !w.contains("RETURNING")
            || withs[i + 1..]
                .iter()
                .chain([&sql])
                .any(|later| later.contains(&format!("FROM {}", returned_by(i))))),
        "rows an earlier statement returns are lost unless a later one reads them: {withs:?}"
    );
    if !withs.is_empty() {
        sql = format!("WITH {} {sql}", withs.join(", "));
    }
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// `sql` with each `$n` parameter outside quotes made `$(n + offset)`.
fn renumbered(sql: &str, offset: usize) -> String {
    if offset == 0 {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        match (quote, c) {
            // A doubled quote inside a literal closes and reopens it: same result.
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '$') if chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut n = 0usize;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n * 10 + d as usize;
                    chars.next();
                }
                out.push_str(&(n + offset).to_string());
            }
            (None, _) => {}
        }
    }
    out
}

/// Statements sent to SQLite as one held transaction ([`write()`]) and the microseconds they
/// took: sea-orm's statement callback (`mluvme_db_statements_total`) does not see them, so
/// the metrics add these at scrape time.
pub fn held_statements() -> (u64, u64) {
    (HELD.0.load(Ordering::Relaxed), HELD.1.load(Ordering::Relaxed))
}

pub(super) static HELD: (AtomicU64, AtomicU64) = (AtomicU64::new(0), AtomicU64::new(0));

pub(super) fn acquire_error(e: sqlx::Error) -> DbErr {
    match e {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        e => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))),
    }
}

/// Statements sent together without a transaction (reads; [`write()`] is for writes): on SQLite
/// one multi-statement query (SQLite returns every statement's rows, in order); elsewhere one
/// after another, in order (selects of different shapes go as one statement there:
/// `store::together`). Returns every row, in statement order.
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
pub(super) fn joined(statements: Vec<Statement>) -> Statement {
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
    async fn a_write_that_fails_part_way_leaves_nothing_and_the_writer_free() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        db.execute_unprepared("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT NOT NULL)")
            .await
            .unwrap();
        let insert = |a: i64, b: Option<&str>| {
            Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO t (a, b) VALUES (?, ?) RETURNING a",
                [a.into(), b.map(str::to_owned).into()],
            )
        };
        let failed = write(&db, vec![insert(1, Some("one")), insert(2, None)]).await;
        assert!(failed.is_err(), "the second insert breaks NOT NULL");
        let count = |db: DatabaseConnection| async move {
            let row = db
                .query_one_raw(Statement::from_string(
                    DbBackend::Sqlite,
                    "SELECT COUNT(*) AS n FROM t",
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get::<i64>("", "n").unwrap()
        };
        assert_eq!(count(db.clone()).await, 0, "the first insert was rolled back with it");
        // Not left inside the failed transaction: the next write commits on its own.
        let rows =
            write(&db, vec![insert(3, Some("three")), insert(4, Some("four"))]).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].try_get::<i64>("", "a").unwrap(), 4);
        db.execute_unprepared("INSERT INTO t (a, b) VALUES (5, 'five')").await.unwrap();
        assert_eq!(count(db.clone()).await, 3);
        let (held, _) = held_statements();
        assert!(held >= 2, "the held writes are counted for the metrics");
    }

    #[test]
    fn postgres_parameters_are_renumbered_outside_quotes_only() {
        assert_eq!(
            renumbered(r#"UPDATE "t$1" SET a = $1, b = 'x$2''$3' WHERE c = $12"#, 4),
            r#"UPDATE "t$1" SET a = $5, b = 'x$2''$3' WHERE c = $16"#
        );
        let s = |sql: &str, n: i64| {
            Statement::from_sql_and_values(DbBackend::Postgres, sql, [n.into(), n.into()])
        };
        let one = chained(vec![
            s("UPDATE a SET x = $1 WHERE id = $2", 1),
            s("INSERT INTO b (x, y) VALUES ($1, $2)", 2),
            s("UPDATE c SET x = $1 WHERE id = $2 RETURNING id", 3),
        ]);
        assert_eq!(
            one.sql,
            "WITH w0 AS (UPDATE a SET x = $1 WHERE id = $2), \
             w1 AS (INSERT INTO b (x, y) VALUES ($3, $4)) \
             UPDATE c SET x = $5 WHERE id = $6 RETURNING id"
        );
        assert_eq!(one.values.unwrap().0.len(), 6);
    }

    /// On PostgreSQL independent writes go as one statement, all or nothing; SKIP without
    /// `TEST_DATABASE_URL` (`scripts/test-all.sh` starts one).
    #[tokio::test]
    async fn independent_writes_on_postgres_are_one_statement_all_or_nothing() {
        let Some(url) = crate::store::test_postgres_url() else { return };
        let db = Database::connect(url.as_str()).await.unwrap();
        let table = format!("batch_{}", std::process::id());
        db.execute_unprepared(&format!(
            "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (a BIGINT PRIMARY KEY, b TEXT NOT NULL)"
        ))
        .await
        .unwrap();
        let pg = DbBackend::Postgres;
        let insert = |a: i64, b: Option<&str>| {
            Statement::from_sql_and_values(
                pg,
                format!("INSERT INTO {table} (a, b) VALUES ($1, $2)"),
                [a.into(), b.map(str::to_owned).into()],
            )
        };
        let rename = Statement::from_sql_and_values(
            pg,
            format!("UPDATE {table} SET b = $1 WHERE a = $2 RETURNING a"),
            ["uno".into(), 1i64.into()],
        );
        db.execute_unprepared(&format!("INSERT INTO {table} VALUES (1, 'one')")).await.unwrap();
        let rows =
            write_independent(&db, vec![insert(2, Some("two")), insert(3, Some("three")), rename])
                .await
                .unwrap();
        assert_eq!(rows.len(), 1, "the last statement's rows");
        assert_eq!(rows[0].try_get::<i64>("", "a").unwrap(), 1);
        let failed = write_independent(&db, vec![insert(4, Some("four")), insert(5, None)]).await;
        assert!(failed.is_err(), "the second insert breaks NOT NULL");
        let got: Vec<(i64, String)> = db
            .query_all_raw(Statement::from_string(
                pg,
                format!("SELECT a, b FROM {table} ORDER BY a"),
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| (r.try_get("", "a").unwrap(), r.try_get("", "b").unwrap()))
            .collect();
        db.execute_unprepared(&format!("DROP TABLE {table}")).await.unwrap();
        let want = [(1, "uno"), (2, "two"), (3, "three")].map(|(a, b)| (a, b.to_owned()));
        assert_eq!(got, want.to_vec(), "the failed pair left nothing");
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
