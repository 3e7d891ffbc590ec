//! The review-cards migration on data saved before it: a correction saved as a word (its
//! explanation for a translation) becomes a correction of its mistake; words stay words. On
//! SQLite always, and on PostgreSQL when `TEST_DATABASE_URL` is set.

use std::io::Write;

use entity::{mistakes, saved_words};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, EntityTrait, QueryOrder,
};

/// Migrations before `m20261204_000010_review_cards`.
const BEFORE: u32 = 8;

async fn saved_corrections_become_their_mistakes(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, Some(BEFORE)).await?;
    for sql in [
        "INSERT INTO users (id, chat_id, first_name, onboarding, created_at, updated_at) \
         VALUES (7, 7, 'Jan', 'done', '2026-11-28 12:00:00+00:00', '2026-11-28 12:00:00+00:00')",
        "INSERT INTO messages (id, user_id, chat_id, role, kind, text, tokens, created_at, delivered_parts) \
         VALUES (1, 7, 7, 'learner', 'text', 'Bydlím v Praha.', 4, '2026-11-28 12:00:00+00:00', 0)",
        "INSERT INTO mistakes (id, message_id, user_id, original, corrected, explanation, category, created_at) \
         VALUES (5, 1, 7, 'v Praha', 'v Praze', 'locative after v', 'case_endings', '2026-11-28 12:00:00+00:00')",
        "INSERT INTO saved_words (id, user_id, czech, translation, normalized, created_at) \
         VALUES (1, 7, 'v Praze', 'locative after v', 'v praze', '2026-11-28 12:00:00+00:00'), \
                (2, 7, 'pivo', 'beer', 'pivo', '2026-11-28 12:00:00+00:00'), \
                (3, 7, 'Praze', 'Prague (locative)', 'praze', '2026-11-28 12:00:00+00:00')",
    ] {
        db.execute_unprepared(sql).await?;
    }
    Migrator::up(db, None).await?;

    let words = saved_words::Entity::find().order_by_asc(saved_words::Column::Id).all(db).await?;
    let kinds: Vec<(&str, Option<i64>)> =
        words.iter().map(|w| (w.kind.as_str(), w.mistake_id)).collect();
    assert_eq!(kinds, [("correction", Some(5)), ("word", None), ("word", None)]);
    let mistake = mistakes::Entity::find_by_id(5).one(db).await?.expect("kept");
    assert_eq!(
        (mistake.sentence, mistake.corrected_sentence),
        (None, None),
        "an old mistake's sentence is found in its message when it is reviewed"
    );

    // And back down: the columns go, the rows stay.
    Migrator::down(db, Some(1)).await?;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM saved_words",
        ))
        .await?
        .expect("a count");
    assert_eq!(row.try_get::<i64>("", "n")?, 3);
    Ok(())
}

#[tokio::test]
async fn on_sqlite_saved_corrections_become_corrections_of_their_mistakes() -> Result<(), DbErr> {
    let db = Database::connect("sqlite::memory:").await?;
    saved_corrections_become_their_mistakes(&db).await
}

#[tokio::test]
async fn on_postgres_saved_corrections_become_corrections_of_their_mistakes() -> Result<(), DbErr> {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but TEST_DATABASE_URL is not set: run scripts/test-all.sh"
        );
        let _ = writeln!(std::io::stderr(), "SKIP postgres: TEST_DATABASE_URL not set");
        return Ok(());
    };
    const SCHEMA: &str = "mluvme_review_cards_test";
    let admin = Database::connect(&url).await?;
    admin
        .execute_unprepared(&format!(
            "DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}"
        ))
        .await?;
    let mut options = ConnectOptions::new(url);
    options.set_schema_search_path(SCHEMA);
    let db = Database::connect(options).await?;
    saved_corrections_become_their_mistakes(&db).await?;
    admin.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")).await?;
    Ok(())
}
