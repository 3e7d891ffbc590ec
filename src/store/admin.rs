//! What admins change and read: runtime settings (`bot_settings`), the allow-list, bans, the
//! admin log, "once" marks, and the numbers `/admin` shows.
//!
//! Statements are hand-written SQL (`store::sql`); sums are cast to BIGINT because PostgreSQL's
//! SUM of a bigint is numeric.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, Value};

use super::StoreError;
use super::learners::LearnerStatus;
use super::sql::{exec, scalar, stmt};

pub const ACCESS_MODE: &str = "access_mode";
pub const DEFAULT_QUOTA: &str = "default_quota";
pub const SPEND_CAP: &str = "spend_cap";

pub async fn setting(db: &impl ConnectionTrait, key: &str) -> Result<Option<String>, StoreError> {
    scalar(db, "SELECT value FROM bot_settings WHERE key = $1", vec![key.into()]).await
}

pub async fn set_setting(
    db: &impl ConnectionTrait,
    key: &str,
    value: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO bot_settings (key, value, updated_at) VALUES ($1, $2, $3) \
               ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
    exec(db, sql, vec![key.into(), value.into(), now.into()]).await.map(drop)
}

pub async fn is_allowed(db: &impl ConnectionTrait, user_id: i64) -> Result<bool, StoreError> {
    Ok(scalar::<i64>(
        db,
        "SELECT user_id FROM allowed_users WHERE user_id = $1",
        vec![user_id.into()],
    )
    .await?
    .is_some())
}

pub async fn allow(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    exec(db, "INSERT INTO allowed_users (user_id, created_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING", vec![user_id.into(), now.into()])
        .await
        .map(drop)
}

pub async fn deny(db: &impl ConnectionTrait, user_id: i64) -> Result<(), StoreError> {
    exec(db, "DELETE FROM allowed_users WHERE user_id = $1", vec![user_id.into()]).await.map(drop)
}

pub async fn allowed_count(db: &impl ConnectionTrait) -> Result<i64, StoreError> {
    Ok(scalar(db, "SELECT COUNT(*) FROM allowed_users", vec![]).await?.unwrap_or(0))
}

/// Records an admin action (who, what, on what) — the durable twin of its log line.
pub async fn log_action(
    db: &impl ConnectionTrait,
    admin_id: i64,
    action: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sql =
        "INSERT INTO admin_actions (admin_id, action, detail, created_at) VALUES ($1, $2, $3, $4)";
    exec(db, sql, vec![admin_id.into(), action.into(), detail.into(), now.into()]).await.map(drop)
}

/// Claims `key`: true for exactly one caller across every replica, ever (until [`forget_once`]).
pub async fn once(
    db: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(exec(
        db,
        "INSERT INTO once_marks (key, created_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        vec![key.into(), now.into()],
    )
    .await?
        == 1)
}

pub async fn forget_once(db: &impl ConnectionTrait, key: &str) -> Result<(), StoreError> {
    exec(db, "DELETE FROM once_marks WHERE key = $1", vec![key.into()]).await.map(drop)
}

/// The id of the learner with this `@username` (case-insensitive, as Telegram treats them).
pub async fn user_by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<i64>, StoreError> {
    scalar(
        db,
        "SELECT id FROM users WHERE LOWER(username) = LOWER($1) ORDER BY id LIMIT 1",
        vec![username.into()],
    )
    .await
}

/// A learner's status (`active`, `blocked`, `banned`), None if unknown.
pub async fn status(db: &impl ConnectionTrait, user_id: i64) -> Result<Option<String>, StoreError> {
    scalar(db, "SELECT status FROM users WHERE id = $1", vec![user_id.into()]).await
}

/// Bans or lifts a ban; false if the learner is unknown. Lifting sets the status to active: if
/// they blocked the bot meanwhile, the next send finds out (403) and marks them again.
pub async fn set_banned(
    db: &impl ConnectionTrait,
    user_id: i64,
    banned: bool,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let status = if banned { LearnerStatus::Banned } else { LearnerStatus::Active }.as_str();
    let n = exec(
        db,
        "UPDATE users SET status = $1, updated_at = $2 WHERE id = $3",
        vec![status.into(), now.into(), user_id.into()],
    )
    .await?;
    Ok(n > 0)
}

/// One period's numbers for `/admin`. Days are learners' local days (`daily_stats`), instants
/// are UTC (`since`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub active: i64,
    pub new: i64,
    pub voice_turns: i64,
    pub text_turns: i64,
    pub score_sum: i64,
    pub scored_turns: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub stt_seconds: f64,
    pub tts_chars: i64,
    /// Cost per model, most expensive first.
    pub cost_by_model: Vec<ModelCost>,
    pub failed_updates: i64,
    pub failed_turns: i64,
    pub p95_turn_ms: Option<i64>,
}

/// What one model cost in a period.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelCost {
    pub model: String,
    pub micros: i64,
    /// Some of it was counted by the bot, the server having reported no tokens: an estimate.
    pub estimated: bool,
}

pub async fn report(
    db: &impl ConnectionTrait,
    since_day: NaiveDate,
    since: DateTime<Utc>,
) -> Result<Report, StoreError> {
    let backend = db.get_database_backend();
    let day = || vec![Value::from(since_day)];
    let at = || vec![Value::from(since)];
    let mut r = Report {
        active: scalar(
            db,
            "SELECT COUNT(DISTINCT user_id) FROM daily_stats WHERE day >= $1 AND turns > 0",
            day(),
        )
        .await?
        .unwrap_or(0),
        ..Default::default()
    };
    let sums = "SELECT CAST(COALESCE(SUM(score_sum), 0) AS BIGINT), CAST(COALESCE(SUM(scored_turns), 0) AS BIGINT), \
                CAST(COALESCE(SUM(prompt_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(completion_tokens), 0) AS BIGINT), \
                CAST(COALESCE(SUM(stt_seconds), 0) AS DOUBLE PRECISION), CAST(COALESCE(SUM(tts_chars), 0) AS BIGINT) \
                FROM daily_stats WHERE day >= $1";
    if let Some(row) = db.query_one_raw(stmt(backend, sums, day())).await? {
        r.score_sum = row.try_get_by_index(0)?;
        r.scored_turns = row.try_get_by_index(1)?;
        r.prompt_tokens = row.try_get_by_index(2)?;
        r.completion_tokens = row.try_get_by_index(3)?;
        r.stt_seconds = row.try_get_by_index(4)?;
        r.tts_chars = row.try_get_by_index(5)?;
    }
    r.new =
        scalar(db, "SELECT COUNT(*) FROM users WHERE created_at >= $1", at()).await?.unwrap_or(0);
    for row in db
        .query_all_raw(stmt(
            backend,
            "SELECT kind, COUNT(*) FROM turns WHERE created_at >= $1 GROUP BY kind",
            at(),
        ))
        .await?
    {
        let (kind, n): (String, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        if kind == "text" { r.text_turns += n } else { r.voice_turns += n }
    }
    let costs = "SELECT model, CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) AS c, \
                 CAST(MAX(CASE WHEN estimated THEN 1 ELSE 0 END) AS BIGINT) \
                 FROM usage WHERE created_at >= $1 GROUP BY model ORDER BY c DESC, model";
    for row in db.query_all_raw(stmt(backend, costs, at())).await? {
        let estimated: i64 = row.try_get_by_index(2)?;
        r.cost_by_model.push(ModelCost {
            model: row.try_get_by_index(0)?,
            micros: row.try_get_by_index(1)?,
            estimated: estimated > 0,
        });
    }
    r.failed_updates = scalar(
        db,
        "SELECT COUNT(*) FROM updates WHERE status = 'failed' AND received_at >= $1",
        at(),
    )
    .await?
    .unwrap_or(0);
    r.failed_turns = scalar(
        db,
        "SELECT COUNT(*) FROM turns WHERE outcome = 'failed' AND created_at >= $1",
        at(),
    )
    .await?
    .unwrap_or(0);
    // The 95th percentile by rank, counted in the database: OFFSET skips the fastest 95%.
    let n: i64 = scalar(
        db,
        "SELECT COUNT(*) FROM turns WHERE total_ms IS NOT NULL AND created_at >= $1",
        at(),
    )
    .await?
    .unwrap_or(0);
    if n > 0 {
        let rank = ((n as f64) * 0.95).ceil() as i64 - 1;
        let sql = "SELECT CAST(total_ms AS BIGINT) FROM turns WHERE total_ms IS NOT NULL AND created_at >= $1 ORDER BY total_ms LIMIT 1 OFFSET $2";
        r.p95_turn_ms = scalar(db, sql, vec![since.into(), rank.max(0).into()]).await?;
    }
    Ok(r)
}
