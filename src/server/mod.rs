//! The operations HTTP server on `PORT`: Telegram's webhook (webhook mode), `GET /healthz`
//! (liveness), `GET /readyz` (database and any registered [`Readiness`] check) and
//! `GET /metrics` (Prometheus).
//!
//! The extra readiness checks are the server's own ([`Readiness`], filled at start-up and passed
//! to [`serve`]), not part of the `App`.
//!
//! [`serve`] follows the mini-redis shape — it takes a bound listener and a shutdown token — so
//! tests bind `127.0.0.1:0` and know the address before the bot runs.

pub mod ops;
pub mod webhook;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tokio_util::sync::CancellationToken;

use crate::app::App;
pub use crate::intake::UpdateSink;
pub use ops::{Ops, Readiness, ReadinessCheck};

/// Telegram's updates are a few kilobytes; anything near this is not an update.
const BODY_LIMIT: usize = 1024 * 1024;

/// The routes: the webhook at `WEBHOOK_URL`'s path when webhook mode is configured and a `sink`
/// is given, the operations endpoints always.
pub fn router(app: Arc<App>, readiness: Arc<Readiness>, sink: Option<UpdateSink>) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .with_state(Ops { app: app.clone(), readiness });
    if let (Some(settings), Some(sink)) = (&app.config.webhook, sink) {
        let hook = webhook::Hook::new(settings.secret.clone(), sink);
        let path = match settings.url.path() {
            "" => "/",
            p => p,
        };
        router = router.merge(Router::new().route(path, post(webhook::receive)).with_state(hook));
    }
    router.layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// Serves until `shutdown` fires, then stops taking connections and lets requests under way
/// finish (a webhook request whose update is being recorded still gets its answer).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    readiness: Arc<Readiness>,
    sink: Option<UpdateSink>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, webhook = sink.is_some(), "operations server listening");
    axum::serve(listener, router(app, readiness, sink))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await?;
    Ok(())
}

/// Binds `PORT` on every interface (a platform's proxy and health checks reach the machine from
/// outside), with the variable's name in the error.
pub async fn bind(port: u16) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(("0.0.0.0", port))
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on PORT={port}: {e}"))
}

/// In polling mode with `PORT` set, serves the operations endpoints (no webhook) until
/// `shutdown`. Binding happens here, so a taken port stops start-up with a clear error.
pub async fn spawn_ops(
    app: &Arc<App>,
    readiness: &Arc<Readiness>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let Some(port) = app.config.port.filter(|_| app.config.webhook.is_none()) else {
        return Ok(());
    };
    let listener = bind(port).await?;
    let (app, readiness, shutdown) = (app.clone(), readiness.clone(), shutdown.clone());
    tokio::spawn(async move {
        if let Err(e) = serve(listener, app, readiness, None, shutdown).await {
            tracing::error!(error = %e, "operations server stopped");
        }
    });
    Ok(())
}
