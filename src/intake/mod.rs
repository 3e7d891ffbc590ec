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
//!
//! Every run of an update carries a fence ([`fence::UpdateFence`]): the turn checks it before each
//! paid or visible step, and the update is marked done only while it holds. With several replicas
//! (lease mode) that is what keeps a replica that stalled past its chat's lease from answering an
//! update the chat's new holder answers too.
//!
//! Each update is handled inside one `update` span (its id, chat, user and kind), so every log
//! line of its handling — the bot's, the turn's — says which update it belongs to.

pub mod fence;
pub mod leases;
pub mod poller;
pub mod scheduler;

use std::future::Future;
use std::sync::{Arc, OnceLock, Weak};

use futures::future::BoxFuture;
use teloxide::types::{Update, UpdateKind};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::app::App;
use crate::bot::{CancelTurn, Telegram};
use crate::store;
use leases::Claimer;
use scheduler::{Hooks, InFlight, Scheduler};

/// How a webhook hands over an update: Ok once it is durably recorded (only then may the webhook
/// answer Telegram 200).
pub type UpdateSink = Arc<dyn Fn(Update) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// Long polling (one process): runs the bot until `shutdown` fires, then finishes the turns in
/// flight (within the grace period) and flushes audio writes.
pub async fn run(
    app: Arc<App>,
    tg: Arc<Telegram>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let scheduler = scheduler_for(app.clone(), tg.clone(), None);
    let Some(resumed) = pending_when_reachable(&app, &shutdown).await else { return Ok(()) };
    if !resumed.is_empty() {
        tracing::info!(count = resumed.len(), "resuming updates recorded before the last stop");
    }
    for update in resumed {
        scheduler.submit(update);
    }
    let purger = tokio::spawn(purge_processed(app.clone(), shutdown.clone()));
    poller::poll(&app, &tg, &scheduler, &shutdown).await;
    purger.abort();
    let deadline = tokio::time::Instant::now() + app.config.shutdown_grace;
    finish_turns(&scheduler, deadline).await;
    finish_background(&app, deadline).await;
    Ok(())
}

/// The updates a restart resumes, read once the database answers: a database that is down as
/// the bot starts is waited for (the operations server is already up and says "not ready"),
/// never a reason to stop. `None` when the bot is stopped first.
async fn pending_when_reachable(
    app: &App,
    shutdown: &CancellationToken,
) -> Option<Vec<teloxide::types::Update>> {
    loop {
        match store::inbox::pending(&app.db).await {
            Ok(pending) => return Some(pending),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the pending updates; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return None,
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                }
            }
        }
    }
}

/// Webhook mode (any number of replicas on one database): `serve` answers Telegram's requests,
/// handing each update to the sink, until `shutdown`. Updates run on whichever replica holds
/// their chat's lease ([`leases`]); at the end this replica's unfinished chats are handed over.
pub async fn run_leased<F, Fut>(
    app: Arc<App>,
    tg: Arc<Telegram>,
    shutdown: CancellationToken,
    serve: F,
) -> anyhow::Result<()>
where
    F: FnOnce(UpdateSink) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let claimer_cell: Arc<OnceLock<Weak<Claimer>>> = Arc::default();
    let scheduler = scheduler_for(app.clone(), tg, Some(claimer_cell.clone()));
    let claimer = Claimer::new(app.clone(), scheduler.clone());
    let _ = claimer_cell.set(Arc::downgrade(&claimer));
    let (a, c, s) = (app.clone(), claimer.clone(), scheduler.clone());
    let sink: UpdateSink = Arc::new(move |update| {
        let (app, claimer, scheduler) = (a.clone(), c.clone(), s.clone());
        Box::pin(async move {
            let new =
                store::inbox::record_batch(&app.db, std::slice::from_ref(&update), app.clock.now())
                    .await?;
            if !new.is_empty() {
                // No chat, no order to keep and no lease to take: run it here.
                match update.chat() {
                    Some(chat) => claimer.poke(chat.id.0),
                    None => scheduler.submit(update),
                }
            }
            Ok(())
        })
    });
    let claiming = tokio::spawn(claimer.clone().run(shutdown.clone()));
    let heartbeat = tokio::spawn(leases::heartbeat(app.clone(), shutdown.clone()));
    let purger = tokio::spawn(purge_processed(app.clone(), shutdown.clone()));
    let served = serve(sink).await;
    shutdown.cancel();
    let _ = claiming.await;
    // No chat is taken any more, but those held here keep their leases until no turn runs here.
    let turns_over = CancellationToken::new();
    let renewing = tokio::spawn(claimer.clone().keep_renewing(turns_over.clone()));
    purger.abort();
    let deadline = tokio::time::Instant::now() + app.config.shutdown_grace;
    finish_turns(&scheduler, deadline).await;
    turns_over.cancel();
    let _ = renewing.await;
    claimer.release_all().await;
    finish_background(&app, deadline).await;
    let _ = heartbeat.await;
    served
}

/// After the last update was taken: lets the turns in flight finish until `deadline` (the grace
/// period), then aborts those left — before the caller gives their chats to other replicas, so a
/// turn never runs on here while another replica answers the same update. What was aborted stays
/// pending and resumes from its checkpoint on the chat's next holder (or the next start).
async fn finish_turns(scheduler: &Scheduler, deadline: tokio::time::Instant) {
    tracing::info!("stopped taking updates; finishing turns in flight");
    if tokio::time::timeout_at(deadline, scheduler.drain()).await.is_err() {
        tracing::warn!(
            "grace period over; aborting the turns left, which resume elsewhere or on next start"
        );
        scheduler.abort().await;
    }
}

/// Then the background work (summaries) and the audio writes, within the same grace period —
/// plus a few seconds for audio, so the whole stop stays well inside the platform's kill timeout
/// (`fly.toml`).
async fn finish_background(app: &App, deadline: tokio::time::Instant) {
    use tokio::time::{Instant, timeout_at};
    app.background.close();
    if timeout_at(deadline, app.background.wait()).await.is_err() {
        tracing::warn!("background work (summaries) cut short by the grace period");
    }
    // A hanging object store must not hold the stop: rows whose audio was not written name a
    // missing object, which every reader copes with.
    let audio_deadline = deadline.max(Instant::now() + std::time::Duration::from_secs(5));
    if timeout_at(audio_deadline, app.audio.flush()).await.is_err() {
        tracing::warn!("audio writes cut short by the grace period");
    }
}

/// Hourly, forgets updates processed longer ago than `UPDATES_RETENTION_DAYS`, and chat leases
/// idle for an hour.
async fn purge_processed(app: Arc<App>, shutdown: CancellationToken) {
    loop {
        let before = app.clock.now() - app.config.updates_retention;
        match store::inbox::purge(&app.db, before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "forgot processed updates past their retention"),
            Err(e) => {
                tracing::warn!(error = %e, "could not purge processed updates; will try again")
            }
        }
        // Chat leases idle for an hour: the table would otherwise keep every chat ever seen.
        let idle_since = leases::now_ms() - 3_600_000;
        if let Err(e) = store::leases::purge(&app.db, idle_since).await {
            tracing::warn!(error = %e, "could not purge idle chat leases; will try again");
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

/// The scheduler, its handlers wired. In lease mode `claimer` is where the claimer will be once
/// built (it needs the scheduler first): each run takes its fence's lease from it, and a chat
/// gone idle goes back to it.
fn scheduler_for(
    app: Arc<App>,
    tg: Arc<Telegram>,
    claimer: Option<Arc<OnceLock<Weak<Claimer>>>>,
) -> Scheduler {
    let (backlog, concurrency) =
        (app.config.limits.chat_backlog, app.config.limits.max_concurrent_turns);
    let in_flight = Arc::new(InFlight::default());
    let (a, t, f, c) = (app.clone(), tg.clone(), in_flight.clone(), claimer.clone());
    let process: scheduler::Handler = Arc::new(move |u| {
        let span = update_span(&u);
        let running: Arc<dyn CancelTurn> = f.clone();
        let claimer = c.as_ref().and_then(|cell| cell.get()).and_then(Weak::upgrade);
        Box::pin(handle(a.clone(), t.clone(), u, running, claimer).instrument(span))
    });
    let a = app.clone();
    let overflow: scheduler::Handler = Arc::new(move |u| {
        let span = update_span(&u);
        Box::pin(crate::bot::overflow(a.clone(), tg.clone(), u).instrument(span))
    });
    let cancelled: scheduler::Handler = Arc::new(move |u| {
        let span = update_span(&u);
        Box::pin(cancelled(app.clone(), u).instrument(span))
    });
    let idle = claimer.map(|cell| -> Arc<dyn Fn(i64) + Send + Sync> {
        Arc::new(move |chat| {
            if let Some(claimer) = cell.get().and_then(Weak::upgrade) {
                tokio::spawn(async move { claimer.chat_idle(chat).await });
            }
        })
    });
    let hooks = Hooks {
        process,
        overflow,
        cancelled,
        out_of_band: crate::bot::commands::is_cancel,
        cancellable: crate::bot::commands::is_turn_message,
        idle,
    };
    Scheduler::new(backlog, concurrency, hooks, in_flight)
}

/// The span every log line of one update's handling carries: which update, in which chat, from
/// whom, of what kind — never what it says.
pub fn update_span(update: &Update) -> tracing::Span {
    tracing::info_span!(
        "update",
        update_id = update.id.0,
        chat = update.chat().map(|c| c.id.0),
        user = update.from().map(|u| u.id.0),
        kind = kind_of(update),
    )
}

fn kind_of(update: &Update) -> &'static str {
    match &update.kind {
        UpdateKind::Message(_) => "message",
        UpdateKind::EditedMessage(_) => "edited_message",
        UpdateKind::CallbackQuery(_) => "callback_query",
        UpdateKind::MyChatMember(_) => "my_chat_member",
        _ => "other",
    }
}

/// How many times an update is run when the database fails before its handling began
/// ([`crate::bot::BotError::is_retryable`]): a blip (a failover, a lock, a full pool) is ridden
/// out in seconds, while an outage ends in a clear "send it again" rather than the chat's queue
/// waiting on it for ever.
pub const ATTEMPTS: u32 = 3;
/// The pause before each retry (the update holds its chat's queue and a turn slot meanwhile:
/// during an outage that is the back-pressure wanted, not more load on the database).
pub const RETRY_PAUSES: [std::time::Duration; 2] =
    [std::time::Duration::from_secs(2), std::time::Duration::from_secs(4)];

/// Runs one recorded update through the handler tree and marks it done. (A learner who blocked
/// the bot is marked by the outbox, where Telegram says so.) An update whose handling failed on
/// the database before anything happened is run again, up to [`ATTEMPTS`] times, the learner told
/// once that it is coming and, if it never does, to send it again — never silently marked failed.
/// The retries stay in the chat's queue, so the chat's order holds; a learner's message waiting
/// for its retry is abandoned by `/cancel` like a turn.
///
/// In lease mode the run is fenced by the chat's lease as it starts (`claimer`): an update whose
/// chat another replica took over meanwhile is not run, a turn that finds that part-way stops,
/// and neither is marked — the chat's holder runs and marks it, once.
async fn handle(
    app: Arc<App>,
    tg: Arc<Telegram>,
    update: Update,
    running: Arc<dyn CancelTurn>,
    claimer: Option<Arc<Claimer>>,
) {
    let id = update.id.0 as i64;
    let chat = update.chat().map(|c| c.id.0);
    let lease = claimer.as_ref().zip(chat).map(|(c, chat)| c.lease_for(chat));
    let fence = Arc::new(match &claimer {
        Some(_) => fence::UpdateFence::new(app.read.clone(), id, lease),
        None => fence::UpdateFence::own(app.read.clone(), id),
    });
    let left = || {
        tracing::warn!("not this replica's update any more; left to the chat's holder");
        if let (Some(c), Some(chat)) = (&claimer, chat) {
            c.fenced(id, chat);
        }
    };
    match crate::turn::Fence::holds(fence.as_ref()).await {
        Ok(false) => return left(),
        Ok(true) => {}
        // Handled as before; the steps' own checks and the marking still guard it.
        Err(e) => tracing::warn!(error = %e, "could not check that the update is still ours"),
    }
    let mut attempt = 1;
    let outcome = loop {
        let outcome = crate::bot::dispatch(
            app.clone(),
            tg.clone(),
            update.clone(),
            running.clone(),
            fence.clone(),
        )
        .await;
        match outcome {
            Err(e) if e.is_retryable() && attempt < ATTEMPTS => {
                tracing::warn!(attempt, error = %e, "the database failed before the update was handled; trying again");
                if attempt == 1 {
                    crate::bot::unavailable(&app, &tg, &update, false).await;
                }
                tokio::time::sleep(RETRY_PAUSES[attempt as usize - 1]).await;
                attempt += 1;
            }
            Err(e) if e.is_retryable() => {
                crate::bot::unavailable(&app, &tg, &update, true).await;
                break Err(e);
            }
            Err(e) if e.is_fenced() => return left(),
            other => break other,
        }
    };
    // The turn marked it with its own last write (long polling, nothing after the turn).
    match (fence.closed(), &outcome) {
        (Some(true), Ok(())) => return,
        (Some(false), Ok(())) => return left(),
        _ => {}
    }
    let error = outcome.err().map(|e| e.to_string());
    if let Some(e) = &error {
        tracing::error!(error = %e, attempts = attempt, "update failed");
    }
    match store::fencing::finish(&app.db, id, error.as_deref(), fence.lease(), app.clock.now())
        .await
    {
        Ok(true) => {}
        Ok(false) => left(),
        // Left pending: it will be resumed on the next start (or by the chat's next holder).
        Err(e) => tracing::error!(error = %e, "could not mark update done"),
    }
}

/// The learner cancelled this update while it ran: kept in the inbox, never resumed.
async fn cancelled(app: Arc<App>, update: Update) {
    let id = update.id.0 as i64;
    tracing::info!("cancelled by the learner");
    if let Err(e) =
        store::inbox::skip(&app.db, id, "cancelled by the learner", app.clock.now()).await
    {
        tracing::error!(error = %e, "could not mark the cancelled update");
    }
}
