//! Durable intake: the bot's own update loop.
//!
//! teloxide's polling confirms a batch to Telegram as soon as it is queued, and its per-chat
//! queues block every chat once one fills. So the intake replaces that loop (the handler tree
//! stays a dptree `schema()`): each update is written to the `updates` table *before* the next
//! getUpdates confirms it, processed from that record through the per-chat [`scheduler`], and
//! marked done when handled. On start-up whatever was recorded but not done is resumed; a
//! redelivered update is recognised by its `update_id` and not answered twice. `/cancel` runs
//! outside its chat's queue and abandons the update running there, which is then marked skipped
//! (kept, and never resumed).

pub mod poller;
pub mod scheduler;

use std::sync::Arc;

use teloxide::types::Update;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::store;
use scheduler::{Hooks, InFlight, Scheduler};

/// Runs the bot until `shutdown` fires, then finishes the turns in flight (within the grace
/// period) and flushes audio writes.
pub async fn run(app: Arc<App>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let scheduler = scheduler_for(app.clone());
    let resumed = store::inbox::pending(&app.db).await?;
    if !resumed.is_empty() {
        tracing::info!(count = resumed.len(), "resuming updates recorded before the last stop");
    }
    for update in resumed {
        scheduler.submit(update);
    }
    let purger = tokio::spawn(purge_processed(app.clone(), shutdown.clone()));
    poller::poll(&app, &scheduler, &shutdown).await;
    purger.abort();
    tracing::info!("stopped taking updates; finishing turns in flight");
    if tokio::time::timeout(app.config.shutdown_grace, scheduler.drain()).await.is_err() {
        tracing::warn!("grace period over; unfinished updates stay recorded and resume on next start");
    }
    app.background.close();
    if tokio::time::timeout(app.config.shutdown_grace, app.background.wait()).await.is_err() {
        tracing::warn!("background work (summaries) cut short by the grace period");
    }
    app.audio.flush().await;
    Ok(())
}

/// Hourly, forgets updates processed longer ago than `UPDATES_RETENTION_DAYS`.
async fn purge_processed(app: Arc<App>, shutdown: CancellationToken) {
    loop {
        let before = app.clock.now() - app.config.updates_retention;
        match store::inbox::purge(&app.db, before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "forgot processed updates past their retention"),
            Err(e) => tracing::warn!(error = %e, "could not purge processed updates; will try again"),
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

fn scheduler_for(app: Arc<App>) -> Scheduler {
    let (backlog, concurrency) = (app.config.limits.chat_backlog, app.config.limits.max_concurrent_turns);
    let in_flight = Arc::new(InFlight::default());
    let (a, f) = (app.clone(), in_flight.clone());
    let process: scheduler::Handler = Arc::new(move |u| Box::pin(handle(a.clone(), u, f.clone())));
    let a = app.clone();
    let overflow: scheduler::Handler = Arc::new(move |u| Box::pin(crate::bot::overflow(a.clone(), u)));
    let cancelled: scheduler::Handler = Arc::new(move |u| Box::pin(cancelled(app.clone(), u)));
    let hooks = Hooks { process, overflow, cancelled, out_of_band: crate::bot::commands::is_cancel, cancellable: crate::bot::commands::is_turn_message };
    Scheduler::new(backlog, concurrency, hooks, in_flight)
}

/// Runs one recorded update through the handler tree and marks it done.
async fn handle(app: Arc<App>, update: Update, in_flight: Arc<InFlight>) {
    let id = update.id.0 as i64;
    let user = update.from().map(|u| u.id.0 as i64);
    let outcome = crate::bot::dispatch(app.clone(), update, in_flight).await;
    if let (Err(crate::bot::BotError::Telegram(e)), Some(user)) = (&outcome, user) {
        crate::bot::mark_if_blocked(&app, user, e).await;
    }
    let error = outcome.err().map(|e| e.to_string());
    if let Some(e) = &error {
        tracing::error!(update_id = id, error = %e, "update failed");
    }
    if let Err(e) = store::inbox::finish(&app.db, id, error.as_deref(), app.clock.now()).await {
        // Left pending: it will be resumed on the next start.
        tracing::error!(update_id = id, error = %e, "could not mark update done");
    }
}

/// The learner cancelled this update while it ran: kept in the inbox, never resumed.
async fn cancelled(app: Arc<App>, update: Update) {
    let id = update.id.0 as i64;
    tracing::info!(update_id = id, "cancelled by the learner");
    if let Err(e) = store::inbox::skip(&app.db, id, "cancelled by the learner", app.clock.now()).await {
        tracing::error!(update_id = id, error = %e, "could not mark the cancelled update");
    }
}
