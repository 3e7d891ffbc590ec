//! Wiring at the top: builds the layers (`App`, then the bot's `Telegram`), starts the background
//! jobs and the operations server, and runs the intake until shutdown. What `main` and the tests
//! both call.

use std::sync::Arc;

use teloxide::requests::Requester;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::bot::Telegram;
use crate::config::Config;
use crate::progress::Clock;
use crate::server::Readiness;
use crate::{intake, jobs, server};

/// The app and the bot's state, connected: the database migrated and Telegram reached (getMe),
/// so a wrong token or an unreachable database stops start-up with a clear message. Also what a
/// test uses to stand up a second replica beside a running bot.
pub async fn build(
    config: Config,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<(Arc<App>, Arc<Telegram>)> {
    // Beside the migrations rather than on the first turns (see `load_in_background`).
    crate::tutor::budget::load_in_background(config.model_policy().models());
    let app = App::build(config, clock).await?;
    let tg = Arc::new(Telegram::connect(&app).await?);
    Ok((app, tg))
}

/// Builds the app and runs it until `shutdown` fires.
/// Long polling by default; webhook mode when `WEBHOOK_URL` is set (then any number of replicas
/// may share the database, see `intake::leases`).
pub async fn run(
    config: Config,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let (app, tg) = build(config, clock).await?;
    // The `/` menu is cosmetic and Telegram keeps it between starts: registered beside the
    // intake rather than before it, so its four round trips to Telegram never delay the first
    // answer after a start or deploy.
    let menu = tg.clone();
    tokio::spawn(async move { menu.register_commands().await });
    tracing::info!(store = %app.audio.backend(), "audio storage");
    // Checks `/readyz` runs besides the database's `SELECT 1`: none yet (Redis being down only
    // degrades a replica, see `server::ops`).
    let readiness = Arc::new(Readiness::default());
    // Audio retention: hourly, stops with the bot (it only deletes, so it need not be waited for).
    tokio::spawn(jobs::audio_retention::run(app.clone(), shutdown.clone()));
    // Daily reminders: every replica sweeps; the database claim lets one of them send each.
    tokio::spawn(jobs::reminders::run(app.clone(), tg.clone(), shutdown.clone()));
    // Broadcasts: every replica runs a sender; a lease per broadcast lets one send it. Awaited
    // before returning, so a stop never abandons a send between Telegram and its mark.
    let broadcasts = tokio::spawn(jobs::broadcasts::run(app.clone(), tg.clone(), shutdown.clone()));
    if let (Some(_), Some(port)) = (&app.config.webhook, app.config.port) {
        // Listening before registering: Telegram's first delivery finds the port open.
        let listener = server::bind(port).await?;
        // `OPS_PORT`, when set: readiness and metrics off the public port.
        server::spawn_ops(&app, &readiness, &shutdown).await?;
        server::webhook::register_webhook(&app, &tg).await?;
        tracing::info!(bot = %tg.me.username(), replica = %app.config.replica_id, "mluvme is running (webhook)");
        let (a, s) = (app.clone(), shutdown.clone());
        let result = intake::run_leased(app, tg, shutdown.clone(), move |sink| {
            server::serve(listener, a, readiness, Some(sink), s)
        })
        .await;
        shutdown.cancel();
        let _ = broadcasts.await;
        return result;
    }
    // A webhook left registered by an earlier deployment would refuse every getUpdates.
    if let Err(e) = tg.outbox.bot().delete_webhook().await {
        tracing::warn!(error = %e, "could not remove an earlier webhook");
    }
    tracing::info!(bot = %tg.me.username(), "mluvme is running (long polling)");
    // Operations endpoints in polling mode too, whenever PORT (or OPS_PORT) is set.
    server::spawn_ops(&app, &readiness, &shutdown).await?;
    let result = intake::run(app, tg, shutdown.clone()).await;
    // Normally stopped with the shutdown; should the intake end on its own, so does the sender.
    shutdown.cancel();
    let _ = broadcasts.await;
    result
}
