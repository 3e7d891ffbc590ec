//! Selects read together in one round trip, each row tagged with the select it came from.
//!
//! On SQLite: one multi-statement query ([`batch::query_rows`]), each select with its tag as a
//! column of its own. On PostgreSQL, whose extended protocol takes one statement per query (sqlx
//! sends nothing else): **one** statement, each select's rows as JSON beside their tag —
//!
//! ```sql
//! SELECT 'history' AS "together", to_json("r") AS "j" FROM (SELECT … ) AS "r"
//! UNION ALL (SELECT 'conversation', to_json("r") FROM (SELECT … ) AS "r") …
//! ```
//!
//! one round trip instead of one per select, and one snapshot: every select sees the database
//! at the same moment. Read one after another, a turn's history and its conversation's summary
//! came from two moments, and a fold committed in between could leave a turn in both (or, in
//! the other order, in neither: BENCHMARKS.md, issue 18, session 10).
//!
//! Either way a row decodes into the same type ([`Tagged::decode`]): sea-orm's own decoding on
//! SQLite, serde's on PostgreSQL (the models derive both, with the columns' names).

use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, QueryResult};
use serde::de::DeserializeOwned;

use super::{StoreError, batch};

/// The column naming the select a row came from.
const TAG: &str = "together";
/// PostgreSQL's column holding the row itself, as JSON.
const JSON: &str = "j";

/// One row of [`read`]: which select it came from, and the row.
pub struct Tagged {
    pub tag: String,
    row: Row,
}

enum Row {
    Sql(QueryResult),
    Json(serde_json::Value),
}

impl Tagged {
    /// The row as `M`, which must name its fields as the select names its columns.
    pub fn decode<M: FromQueryResult + DeserializeOwned>(self) -> Result<M, StoreError> {
        match self.row {
            Row::Sql(row) => Ok(M::from_query_result(&row, "")?),
            Row::Json(json) => serde_json::from_value(json)
                .map_err(|e| StoreError::Corrupt(format!("a row of the {} read: {e}", self.tag))),
        }
    }
}

/// Runs every select of `selects` — each with its tag, a word of ours (letters and `_`) — and
/// returns their rows, each select's in its own order, the selects' in the order given.
pub async fn read(
    db: &impl ConnectionTrait,
    selects: Vec<(&'static str, SelectStatement)>,
) -> Result<Vec<Tagged>, StoreError> {
    let backend = db.get_database_backend();
    if backend != DbBackend::Postgres {
        let statements = selects
            .into_iter()
            .map(|(tag, mut select)| backend.build(select.expr_as(Expr::val(tag), Alias::new(TAG))))
            .collect();
        let rows = batch::query_rows(db, statements).await?;
        return rows
            .into_iter()
            .map(|row| Ok(Tagged { tag: row.try_get("", TAG)?, row: Row::Sql(row) }))
            .collect();
    }
    let mut parts = selects.into_iter().map(|(tag, select)| as_json(tag, select));
    let Some(mut union) = parts.next() else { return Ok(Vec::new()) };
    // Appended in the order given: PostgreSQL runs a UNION ALL's parts one after another.
    union.unions(parts.map(|part| (UnionType::All, part)));
    let rows = db.query_all_raw(backend.build(&union)).await?;
    rows.into_iter()
        .map(|row| {
            Ok(Tagged { tag: row.try_get("", TAG)?, row: Row::Json(row.try_get("", JSON)?) })
        })
        .collect()
}

/// `SELECT 'tag', to_json(r) FROM (select) AS r`.
fn as_json(tag: &'static str, select: SelectStatement) -> SelectStatement {
    assert!(
        !tag.is_empty() && tag.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "a read's tag is written into its SQL: {tag:?}"
    );
    Query::select()
        .expr_as(Expr::cust(format!("'{tag}'")), Alias::new(TAG))
        .expr_as(Expr::cust(r#"to_json("r")"#), Alias::new(JSON))
        .from_subquery(select, Alias::new("r"))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::users;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};

    #[derive(FromQueryResult, serde::Deserialize)]
    struct Id {
        id: i64,
    }

    #[derive(FromQueryResult, serde::Deserialize)]
    struct Total {
        n: i64,
    }

    #[tokio::test]
    async fn each_selects_rows_come_tagged_and_in_its_own_order_on_sqlite_and_postgres() {
        for (_dir, db) in crate::store::test_dbs().await {
            for id in [7, 9, 8] {
                crate::store::test_learner(&db, id, "en").await;
            }
            let newest_first = users::Entity::find()
                .select_only()
                .column(users::Column::Id)
                .order_by_desc(users::Column::Id)
                .into_query();
            let total = Query::select()
                .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
                .from(users::Entity)
                .to_owned();
            let nobody = users::Entity::find()
                .select_only()
                .column(users::Column::Id)
                .filter(users::Column::Id.eq(1))
                .into_query();
            let selects = vec![("total", total), ("learners", newest_first), ("nobody", nobody)];
            let mut ids = Vec::new();
            let mut totals = Vec::new();
            for row in read(&db, selects).await.unwrap() {
                match row.tag.as_str() {
                    "learners" => ids.push(row.decode::<Id>().unwrap().id),
                    "total" => totals.push(row.decode::<Total>().unwrap().n),
                    other => panic!("a row of {other:?}"),
                }
            }
            assert_eq!(ids, [9, 8, 7]);
            assert_eq!(totals, [3]);
            assert!(read(&db, Vec::new()).await.unwrap().is_empty());
        }
    }
}
