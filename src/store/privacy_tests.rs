//! The data-rights duty of every table: each table with a user column is in [`DUTIES`], and each
//! entry says what [`export`] and [`delete_content`] really do — checked on a fresh, migrated
//! database where the learner has one row in every such table.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ConnectionTrait, DatabaseConnection, Value};

use super::*;
use crate::store::learners::TelegramUser;
use crate::store::sql::{exec, scalar, stmt};

/// The learner's Telegram user id and private chat id (different on purpose, so a query that
/// mixes them up misses).
const USER: i64 = 7001;
const CHAT: i64 = 7002;

/// Columns that say whose a row is. A new table with one of these (or a `…_user_id`,
/// `…_chat_id`) holds user data and needs its [`Duty`].
const USER_COLUMNS: &[&str] = &["user_id", "admin_id", "telegram_id", "username"];
const CHAT_COLUMNS: &[&str] = &["chat_id", "admin_chat_id"];

fn is_user_column(table: &str, column: &str) -> bool {
    (table == "users" && column == "id")
        || USER_COLUMNS.contains(&column)
        || column.ends_with("_user_id")
}

fn is_chat_column(column: &str) -> bool {
    CHAT_COLUMNS.contains(&column) || column.ends_with("_chat_id")
}

/// A column of the schema, as `pragma table_info` says.
struct Column {
    name: String,
    kind: String,
}

async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<Vec<String>> {
    let rows = db.query_all_raw(stmt(db.get_database_backend(), sql, vec![])).await.unwrap();
    rows.iter()
        .map(|r| {
            (0..)
                .map_while(|i| r.try_get_by_index::<Option<String>>(i).ok())
                .map(Option::unwrap_or_default)
                .collect()
        })
        .collect()
}

/// Every table the migrations create, with its columns.
async fn schema(db: &DatabaseConnection) -> BTreeMap<String, Vec<Column>> {
    let tables = strings(
        db,
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations'",
    )
    .await;
    let mut out = BTreeMap::new();
    for t in tables {
        let cols = strings(db, &format!("SELECT name, type FROM pragma_table_info('{}')", t[0]))
            .await
            .into_iter()
            .map(|c| Column { name: c[0].clone(), kind: c[1].to_ascii_lowercase() })
            .collect();
        out.insert(t[0].clone(), cols);
    }
    out
}

/// The tables holding user data: those with a user or chat column.
fn user_tables(schema: &BTreeMap<String, Vec<Column>>) -> BTreeSet<&str> {
    schema
        .iter()
        .filter(|(t, cols)| {
            cols.iter().any(|c| is_user_column(t, &c.name) || is_chat_column(&c.name))
        })
        .map(|(t, _)| t.as_str())
        .collect()
}

fn duty(table: &str) -> Option<&'static Duty> {
    DUTIES.iter().find(|d| d.table == table)
}

#[tokio::test]
async fn every_table_holding_user_data_has_its_duty_and_no_duty_is_stale() {
    let (_dir, db) = crate::store::test_db().await;
    let schema = schema(&db).await;
    let tables = user_tables(&schema);
    assert!(tables.contains("messages") && tables.contains("updates"), "{tables:?}");
    let missing: Vec<_> = tables.iter().filter(|t| duty(t).is_none()).collect();
    assert!(
        missing.is_empty(),
        "tables holding user data but missing from store::privacy::DUTIES: {missing:?} — \
         export and erase them, or list them as exempt with the reason"
    );
    for d in DUTIES {
        assert!(tables.contains(d.table), "{} is in DUTIES but holds no user data", d.table);
        let reasons = [
            if let Export::No(why) = d.export { Some(why) } else { None },
            match d.erase {
                Erase::Partly(why) | Erase::Kept(why) => Some(why),
                Erase::Rows => None,
            },
        ];
        assert!(reasons.iter().flatten().all(|why| why.len() > 10), "{}: say why", d.table);
    }
    let names: BTreeSet<_> = DUTIES.iter().map(|d| d.table).collect();
    assert_eq!(names.len(), DUTIES.len(), "a table listed twice");
}

/// A value of the column's type for a seeded row: the learner's ids in user and chat columns, 1
/// in every other number (so a foreign key to another table's `id` finds the seeded row there).
fn value(table: &str, c: &Column) -> Value {
    let k = c.kind.as_str();
    if is_user_column(table, &c.name) && k.contains("int") {
        USER.into()
    } else if is_chat_column(&c.name) {
        CHAT.into()
    } else if k.contains("bool") {
        false.into()
    } else if k.contains("int") {
        1i64.into()
    } else if k.contains("real") || k.contains("double") || k.contains("float") {
        0.5f64.into()
    } else if k.contains("timestamp") {
        "2026-12-01T10:00:00+00:00".into()
    } else if k.contains("date") {
        "2026-12-01".into()
    } else {
        "x".into()
    }
}

/// Tables in an order where each comes after the tables its foreign keys point to.
async fn by_dependencies(db: &DatabaseConnection, tables: &BTreeSet<&str>) -> Vec<String> {
    let mut deps = BTreeMap::new();
    for t in tables {
        let refs = strings(db, &format!("SELECT \"table\" FROM pragma_foreign_key_list('{t}')"))
            .await
            .into_iter()
            .map(|r| r[0].clone())
            .filter(|r| r != t)
            .collect::<BTreeSet<_>>();
        deps.insert(t.to_string(), refs);
    }
    let mut order: Vec<String> = Vec::new();
    while order.len() < deps.len() {
        let ready: Vec<String> = deps
            .iter()
            .filter(|(t, refs)| {
                !order.contains(t)
                    && refs.iter().all(|r| order.contains(r) || !deps.contains_key(r))
            })
            .map(|(t, _)| t.clone())
            .collect();
        assert!(!ready.is_empty(), "a foreign key cycle among {deps:?}");
        order.extend(ready);
    }
    order
}

/// The learner (through the store, as a real one is made) and one row of theirs in every other
/// table holding user data (generic, from the schema, so a new table needs no seeding code).
async fn seed(db: &DatabaseConnection) -> BTreeMap<String, Vec<Column>> {
    let tg = TelegramUser {
        id: USER,
        chat_id: CHAT,
        first_name: "Olga",
        username: Some("olga"),
        language_code: Some("en"),
    };
    learners::find_or_create(db, &tg, Utc::now()).await.unwrap();
    let schema = schema(db).await;
    for table in by_dependencies(db, &user_tables(&schema)).await {
        let cols = &schema[&table];
        if count(db, &table, cols).await > 0 {
            continue;
        }
        let names: Vec<_> = cols.iter().map(|c| format!("\"{}\"", c.name)).collect();
        let marks: Vec<_> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        let sql =
            format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), marks.join(", "));
        let values = cols.iter().map(|c| value(&table, c)).collect();
        exec(db, &sql, values).await.unwrap_or_else(|e| panic!("seeding {table}: {e}"));
    }
    schema
}

/// The learner's rows in `table`: those with their user or chat id in any such column.
async fn count(db: &DatabaseConnection, table: &str, cols: &[Column]) -> i64 {
    let conds: Vec<_> = cols
        .iter()
        .filter_map(|c| {
            if is_user_column(table, &c.name) && c.kind.contains("int") {
                Some(format!("\"{}\" = {USER}", c.name))
            } else if is_chat_column(&c.name) {
                Some(format!("\"{}\" = {CHAT}", c.name))
            } else {
                None
            }
        })
        .collect();
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE {}", conds.join(" OR "));
    scalar::<i64>(db, &sql, vec![]).await.unwrap().unwrap_or(0)
}

#[tokio::test]
async fn export_and_delete_do_what_the_duties_say() {
    let (_dir, db) = crate::store::test_db().await;
    let schema = seed(&db).await;
    let mut before = BTreeMap::new();
    for d in DUTIES {
        let n = count(&db, d.table, &schema[d.table]).await;
        assert!(n > 0, "the learner has a row in {}", d.table);
        before.insert(d.table, n);
    }

    let doc = export(&db, USER, Utc::now()).await.unwrap().expect("a learner");
    let keys: BTreeSet<&str> = doc.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected: BTreeSet<&str> = ["format", "exported_at"].into();
    for d in DUTIES {
        if let Export::Under(key) = d.export {
            expected.insert(key);
            let v = &doc[key];
            let empty = v.is_null() || v.as_array().is_some_and(Vec::is_empty);
            assert!(!empty, "{} has a row but the export's `{key}` is empty: {v}", d.table);
        }
    }
    assert_eq!(keys, expected, "the export's parts are the duties' export keys");

    delete_content(&db, USER, Utc::now()).await.unwrap();
    for d in DUTIES {
        let after = count(&db, d.table, &schema[d.table]).await;
        match d.erase {
            Erase::Rows => assert_eq!(after, 0, "/delete_me leaves rows in {}", d.table),
            Erase::Kept(_) => assert_eq!(after, before[d.table], "{} is kept", d.table),
            // What stays of a reset row differs per table; tests/bot/controls.rs pins it
            // (a ban and the spend survive, the learning columns are zeroed).
            Erase::Partly(_) => {}
        }
    }
}

#[tokio::test]
async fn what_the_learner_said_in_groups_is_scrubbed_and_what_others_said_about_them_is_not() {
    let (_dir, db) = crate::store::test_db().await;
    seed(&db).await;
    let group = -100_555;
    let said = |id: i64, from: i64, text: &str, status: &str| {
        let payload = json!({
            "update_id": id,
            "message": {"message_id": id, "date": 0, "chat": {"id": group, "type": "supergroup"},
                        "from": {"id": from, "is_bot": false, "first_name": "X"}, "text": text},
        });
        exec(
            &db,
            "INSERT INTO updates (update_id, chat_id, kind, payload, status, attempts, received_at) \
             VALUES ($1, $2, 'message', $3, $4, 0, '2026-12-01T10:00:00+00:00')",
            vec![id.into(), group.into(), payload.to_string().into(), status.into()],
        )
    };
    said(91, USER, "@mluvme_bot ahoj, tady Olga", "done").await.unwrap();
    said(92, USER, "@mluvme_bot ještě jednou", "pending").await.unwrap();
    said(93, 8001, &format!("Olga má id {USER}"), "done").await.unwrap();

    delete_content(&db, USER, Utc::now()).await.unwrap();
    let rows =
        strings(&db, "SELECT payload, status FROM updates WHERE update_id > 90 ORDER BY update_id")
            .await;
    assert!(rows[0][0].contains("erased") && !rows[0][0].contains("Olga"), "{rows:?}");
    assert!(rows[1][0].contains("erased") && !rows[1][0].contains("jednou"), "{rows:?}");
    assert_eq!(rows[1][1], "skipped", "a pending one is never handled with its content gone");
    assert!(rows[2][0].contains("Olga má id"), "someone else's message stays: {rows:?}");
    assert_eq!(rows[2][1], "done");
}
