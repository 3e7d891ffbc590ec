//! Liveness, readiness and metrics.
//!
//! `/healthz` answers while the process runs (a platform restarts a machine that stops
//! answering). `/readyz` answers 200 only while the database takes a `SELECT 1` and every
//! registered check passes — a replica that cannot record updates must not get traffic — and
//! otherwise 503 with a short plain-text reason (details go to the log, never to the response).
//! A configured Redis that is down leaves it at 200 with "degraded" in the body: Redis is never
//! needed to answer, and failing every replica's check at once would take the bot offline.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use sea_orm::ConnectionTrait;

use crate::app::App;

/// How long one readiness probe may take: a database that slow is not ready.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The operations routes' state.
#[derive(Clone)]
pub struct Ops {
    pub app: Arc<App>,
    pub readiness: Arc<Readiness>,
}

/// One extra readiness check: `Err` carries a short reason without secrets (it is shown to
/// whoever calls `/readyz`).
pub type ReadinessCheck = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// Checks besides the database that `/readyz` runs, e.g. Redis when it is configured. Add one
/// with [`Readiness::add`] at start-up; they run in the order added.
#[derive(Default)]
pub struct Readiness {
    checks: RwLock<Vec<(&'static str, ReadinessCheck)>>,
}

impl Readiness {
    pub fn add(&self, name: &'static str, check: ReadinessCheck) {
        self.checks.write().unwrap_or_else(|e| e.into_inner()).push((name, check));
    }

    /// Runs every check (each within `CHECK_TIMEOUT`); the first failure as "name: reason".
    pub async fn check(&self) -> Result<(), String> {
        let checks = self.checks.read().unwrap_or_else(|e| e.into_inner()).clone();
        for (name, check) in checks {
            match tokio::time::timeout(CHECK_TIMEOUT, check()).await {
                Ok(Ok(())) => {}
                Ok(Err(why)) => return Err(format!("{name}: {why}")),
                Err(_) => {
                    return Err(format!("{name}: no answer within {}s", CHECK_TIMEOUT.as_secs()));
                }
            }
        }
        Ok(())
    }
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(Ops { app, readiness }): State<Ops>) -> Response {
    let db = tokio::time::timeout(CHECK_TIMEOUT, app.db.execute_unprepared("SELECT 1")).await;
    let verdict = match db {
        Ok(Ok(_)) => readiness.check().await,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready: the database refused SELECT 1");
            Err("database: unavailable".to_owned())
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer SELECT 1 in time");
            Err(format!("database: no answer within {}s", CHECK_TIMEOUT.as_secs()))
        }
    };
    match verdict {
        Ok(()) => match redis_state(&app).await {
            // Redis is optional: without it the replica still answers every update (caches miss,
            // limits let turns through), so it stays in rotation and says it is degraded.
            Some(why) => (StatusCode::OK, format!("ready (degraded: redis {why})")).into_response(),
            None => (StatusCode::OK, "ready").into_response(),
        },
        Err(why) => {
            tracing::warn!(reason = %why, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, why).into_response()
        }
    }
}

/// Why the configured Redis is not usable right now (None when it answers or is not configured).
async fn redis_state(app: &App) -> Option<&'static str> {
    let redis = app.cache.redis.as_ref()?;
    match tokio::time::timeout(CHECK_TIMEOUT, redis.ping()).await {
        Ok(Ok(())) => None,
        Ok(Err(_)) => Some("unavailable"),
        Err(_) => Some("not answering"),
    }
}

use crate::metrics::AudioBytes;

/// The exposition, with the gauges that are sampled rather than tracked brought up to date.
pub async fn metrics(State(Ops { app, .. }): State<Ops>) -> Response {
    // Queue depth is what the inbox holds unfinished: the same number whether the updates came
    // by polling or by webhook, and across replicas sharing the database. Left as last seen when
    // the database does not answer quickly (a scrape must not hang on it).
    let sql = "SELECT COUNT(*) AS n FROM updates WHERE status = 'pending'";
    let stmt = sea_orm::Statement::from_string(app.db.get_database_backend(), sql);
    if let Ok(Ok(Some(row))) =
        tokio::time::timeout(Duration::from_secs(1), app.db.query_one_raw(stmt)).await
        && let Ok(n) = row.try_get::<i64>("", "n")
    {
        app.metrics.updates_pending.set(n);
    }
    let m = &app.metrics;
    m.catch_up_statements(crate::store::batch::held_statements());
    m.audio_writes_queued.set(app.audio.queued() as i64);
    m.audio_bytes
        .get_or_create(&AudioBytes { held_by: "turns" })
        .set(app.audio_memory.in_use() as i64);
    m.audio_bytes
        .get_or_create(&AudioBytes { held_by: "write_queue" })
        .set(app.audio.queued_bytes() as i64);
    m.audio_bytes_peak.set(app.audio_memory.peak() as i64);
    m.audio_memory_waiting.set(app.audio_memory.waiting() as i64);
    let circuits =
        [app.chat.outage(), app.speech.transcription_outage(), app.speech.speech_outage()];
    app.metrics.ops.set_breakers(circuits.map(|c| c.is_open()));
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], app.metrics.encode()).into_response()
}
