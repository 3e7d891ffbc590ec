//! Runs the migrations up and down and exercises the entities on SQLite (always) and
//! PostgreSQL (when `TEST_DATABASE_URL` is set).

use std::io::Write;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entity::prelude::*;
use entity::{
    daily_stats, messages, mistakes, saved_words, stars, turns, updates, user_settings, users,
};
use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DbErr, EntityTrait, ModelTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    SqlErr,
};

const TABLES: [&str; 26] = [
    "users",
    "user_settings",
    "updates",
    "messages",
    "mistakes",
    "turns",
    "daily_stats",
    "stars",
    "saved_words",
    "chat_leases",
    "replicas",
    "bot_settings",
    "quotas",
    "allowed_users",
    "admin_actions",
    "once_marks",
    "broadcasts",
    "broadcast_recipients",
    "review_cards",
    "review_sessions",
    "reminders",
    "reminders_sent",
    "reminder_offers",
    "placements",
    "practice_sessions",
    "shadow_attempts",
];

/// A whole-second instant, so it round-trips exactly on both backends.
fn at(secs: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, secs).unwrap()
}

fn assert_unique_violation(result: Result<impl std::fmt::Debug, DbErr>, what: &str) {
    match result {
        Ok(v) => panic!("{what}: duplicate insert succeeded: {v:?}"),
        Err(err) => assert!(
            matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))),
            "{what}: expected a unique constraint violation, got {err:?}"
        ),
    }
}

async fn assert_tables(db: &DatabaseConnection, present: bool) -> Result<(), DbErr> {
    let manager = SchemaManager::new(db);
    for table in TABLES {
        assert_eq!(manager.has_table(table).await?, present, "table {table}");
    }
    Ok(())
}

/// Expects the schema to be migrated up; leaves it migrated up again.
async fn exercise_schema(db: &DatabaseConnection) -> Result<(), DbErr> {
    assert_tables(db, true).await?;

    // A user, inserted with only the required columns: defaults fill the rest.
    let user = users::ActiveModel {
        id: Set(4_000_000_001),
        chat_id: Set(4_000_000_001),
        username: Set(Some("petra".into())),
        first_name: Set("Petra".into()),
        language_code: Set(Some("en".into())),
        onboarding: Set("done".into()),
        last_practice_day: Set(Some(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())),
        created_at: Set(at(0)),
        updated_at: Set(at(0)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assert_eq!(user.status, "active");
    assert_eq!((user.streak_current, user.streak_best, user.stars_total), (0, 0, 0));
    assert_eq!(user.created_at, at(0));

    user_settings::ActiveModel {
        user_id: Set(user.id),
        interface_lang: Set("en".into()),
        level: Set("A2".into()),
        style: Set("friendly".into()),
        corrections: Set("gentle".into()),
        voice_speed: Set("normal".into()),
        voice_replies: Set(true),
        timezone: Set("Europe/Prague".into()),
        updated_at: Set(at(1)),
        register: Set(None),
    }
    .insert(db)
    .await?;
    let settings = user.find_related(UserSettings).one(db).await?.expect("settings of the user");
    assert!(settings.voice_replies);
    assert_eq!(settings.timezone, "Europe/Prague");
    assert_eq!(settings.register, None, "no register until the learner chooses one");
    let mut chosen: user_settings::ActiveModel = settings.into();
    chosen.register = Set(Some("obecna".into()));
    assert_eq!(chosen.update(db).await?.register.as_deref(), Some("obecna"));

    // A usage row written without `estimated` (as every row before it existed) is exact.
    db.execute_unprepared(&format!(
        "INSERT INTO usage (user_id, kind, model, prompt_tokens, completion_tokens, audio_seconds, \
         characters, cost_micros, day, created_at) \
         VALUES ({}, 'chat', 'gpt-4o-mini', 10, 5, 0, 0, 12, '2026-11-28', '2026-11-28T12:00:00Z')",
        user.id
    ))
    .await?;
    let row = Usage::find().one(db).await?.expect("the usage row");
    assert!(!row.estimated);
    Usage::delete_by_id(row.id).exec(db).await?;

    // The inbox: update_id is the primary key, so a redelivered update is rejected.
    let update = updates::ActiveModel {
        update_id: Set(900_000_001),
        chat_id: Set(Some(user.chat_id)),
        kind: Set("message".into()),
        payload: Set(r#"{"update_id":900000001}"#.into()),
        status: Set("pending".into()),
        received_at: Set(at(2)),
        ..Default::default()
    };
    let stored = update.clone().insert(db).await?;
    assert_eq!(stored.attempts, 0);
    assert_eq!(stored.done_at, None);
    assert_unique_violation(update.insert(db).await, "updates.update_id");
    let pending = Updates::find()
        .filter(updates::Column::Status.eq("pending"))
        .order_by_asc(updates::Column::UpdateId)
        .all(db)
        .await?;
    assert_eq!(pending.len(), 1);

    let learner = messages::ActiveModel {
        user_id: Set(user.id),
        chat_id: Set(user.chat_id),
        update_id: Set(Some(900_000_001)),
        role: Set("learner".into()),
        kind: Set("voice".into()),
        text: Set(Some("Já jsem byl v Praha.".into())),
        audio_path: Set(Some("audio/1.ogg".into())),
        audio_duration_secs: Set(Some(3)),
        telegram_message_id: Set(Some(42)),
        tokens: Set(7),
        created_at: Set(at(3)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assert!(learner.id > 0);
    let reply = messages::ActiveModel {
        user_id: Set(user.id),
        chat_id: Set(user.chat_id),
        update_id: Set(Some(900_000_001)),
        role: Set("honzik".into()),
        kind: Set("text".into()),
        text: Set(Some("Byl jsi v Praze? Super!".into())),
        reply_json: Set(Some(r#"{"reply":"Byl jsi v Praze? Super!"}"#.into())),
        model: Set(Some("gpt-test".into())),
        prompt_tokens: Set(Some(120)),
        completion_tokens: Set(Some(30)),
        score: Set(Some(80)),
        created_at: Set(at(4)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assert!(reply.id > learner.id);
    assert_eq!(reply.tokens, 0);

    let mistake = mistakes::ActiveModel {
        message_id: Set(learner.id),
        user_id: Set(user.id),
        original: Set("v Praha".into()),
        corrected: Set("v Praze".into()),
        explanation: Set("Locative after 'v'.".into()),
        category: Set("case".into()),
        created_at: Set(at(5)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let of_message = learner.find_related(Mistakes).all(db).await?;
    assert_eq!(of_message, vec![mistake.clone()]);

    let recent = Messages::find()
        .filter(messages::Column::UserId.eq(user.id))
        .order_by_desc(messages::Column::Id)
        .all(db)
        .await?;
    assert_eq!(recent.iter().map(|m| m.role.as_str()).collect::<Vec<_>>(), ["honzik", "learner"]);
    assert_eq!(recent[1].text.as_deref(), Some("Já jsem byl v Praha."));

    // turns.update_id is unique.
    let turn = turns::ActiveModel {
        update_id: Set(900_000_001),
        user_id: Set(user.id),
        chat_id: Set(user.chat_id),
        kind: Set("voice".into()),
        stt_ms: Set(Some(800)),
        total_ms: Set(Some(2500)),
        outcome: Set("ok".into()),
        created_at: Set(at(6)),
        ..Default::default()
    };
    turn.clone().insert(db).await?;
    assert_unique_violation(turn.insert(db).await, "turns.update_id");

    // daily_stats: composite key (user_id, day).
    let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    let stats = daily_stats::ActiveModel {
        user_id: Set(user.id),
        day: Set(day),
        turns: Set(1),
        words: Set(5),
        score_sum: Set(80),
        scored_turns: Set(1),
        challenge_done: Set(false),
        ..Default::default()
    };
    stats.clone().insert(db).await?;
    assert_unique_violation(stats.insert(db).await, "daily_stats (user_id, day)");
    let found = DailyStats::find_by_id((user.id, day)).one(db).await?;
    assert_eq!(found.map(|s| s.words), Some(5));

    stars::ActiveModel {
        user_id: Set(user.id),
        amount: Set(3),
        reason: Set("streak".into()),
        created_at: Set(at(7)),
        ..Default::default()
    }
    .insert(db)
    .await?;

    // saved_words: unique (user_id, normalized).
    let word = saved_words::ActiveModel {
        user_id: Set(user.id),
        czech: Set("Praze".into()),
        translation: Set("Prague (locative)".into()),
        normalized: Set("praze".into()),
        source_sentence: Set(Some("Byl jsi v Praze?".into())),
        created_at: Set(at(8)),
        ..Default::default()
    };
    word.clone().insert(db).await?;
    assert_unique_violation(word.insert(db).await, "saved_words (user_id, normalized)");

    // Deleting the user cascades to everything hanging off it; turns and updates stay.
    Users::delete_by_id(user.id).exec(db).await?;
    assert_eq!(UserSettings::find().count(db).await?, 0);
    assert_eq!(Messages::find().count(db).await?, 0);
    assert_eq!(Mistakes::find().count(db).await?, 0);
    assert_eq!(DailyStats::find().count(db).await?, 0);
    assert_eq!(Stars::find().count(db).await?, 0);
    assert_eq!(SavedWords::find().count(db).await?, 0);
    assert_eq!(Turns::find().count(db).await?, 1);
    assert_eq!(Updates::find().count(db).await?, 1);

    // Down removes every table; up works again on the emptied database.
    Migrator::down(db, None).await?;
    assert_tables(db, false).await?;
    Migrator::up(db, None).await?;
    assert_tables(db, true).await?;
    assert_eq!(Users::find().count(db).await?, 0);
    Ok(())
}

/// The store-query idiom for `messages` (kept compiling as documentation for callers).
async fn store_and_load_history(
    db: &DatabaseConnection,
    user_id: i64,
) -> Result<Vec<messages::Model>, DbErr> {
    let saved: messages::Model = messages::ActiveModel {
        user_id: Set(user_id),
        chat_id: Set(user_id),
        role: Set("learner".into()),
        kind: Set("text".into()),
        text: Set(Some("Ahoj!".into())),
        tokens: Set(2),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let history = Messages::find()
        .filter(messages::Column::UserId.eq(user_id))
        .order_by_desc(messages::Column::Id)
        .limit(20)
        .all(db)
        .await?;
    assert_eq!(history[0].id, saved.id);
    Ok(history)
}

#[tokio::test]
async fn the_messages_store_idiom_inserts_and_reads_back() -> Result<(), DbErr> {
    let db = Database::connect("sqlite::memory:").await?;
    Migrator::up(&db, None).await?;
    users::ActiveModel {
        id: Set(7),
        chat_id: Set(7),
        first_name: Set("Jan".into()),
        onboarding: Set("done".into()),
        created_at: Set(at(0)),
        updated_at: Set(at(0)),
        ..Default::default()
    }
    .insert(&db)
    .await?;
    let history = store_and_load_history(&db, 7).await?;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].text.as_deref(), Some("Ahoj!"));
    Ok(())
}

#[tokio::test]
async fn migrations_and_entities_work_on_sqlite() -> Result<(), DbErr> {
    let db = Database::connect("sqlite::memory:").await?;
    Migrator::up(&db, None).await?;
    exercise_schema(&db).await
}

#[tokio::test]
async fn migrations_and_entities_work_on_postgres_when_configured() -> Result<(), DbErr> {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but TEST_DATABASE_URL is not set: run scripts/test-all.sh"
        );
        // Written straight to stderr so the test harness's output capture doesn't hide it.
        let _ = writeln!(std::io::stderr(), "SKIP postgres: TEST_DATABASE_URL not set");
        return Ok(());
    };
    // A dedicated schema keeps this test away from anything else in that database.
    const SCHEMA: &str = "mluvme_migration_test";
    let admin = Database::connect(&url).await?;
    admin
        .execute_unprepared(&format!(
            "DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}"
        ))
        .await?;
    let mut options = ConnectOptions::new(url);
    options.set_schema_search_path(SCHEMA);
    let db = Database::connect(options).await?;
    Migrator::fresh(&db).await?;
    exercise_schema(&db).await?;
    Migrator::reset(&db).await?;
    admin.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")).await?;
    Ok(())
}
