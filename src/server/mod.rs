//! The HTTP server on `PORT`: Telegram's webhook (webhook mode), `GET /healthz` (liveness),
//! `GET /readyz` (database and any registered [`Readiness`] check) and `GET /metrics`
//! (Prometheus) — the last two on `OPS_PORT` instead when it is set.
//!
//! The extra readiness checks are the server's own ([`Readiness`], filled at start-up and passed
//! to [`serve`]), not part of the `App`.
//!
//! [`serve`] follows the mini-redis shape — it takes a bound listener and a shutdown token — so
//! tests bind `127.0.0.1:0` and know the address before the bot runs.
//!
//! # Bounded clients
//!
//! `PORT` faces the internet, so nobody may hold it, the bot's memory or its shutdown by being
//! slow or many (`config::HttpSettings`):
//! - **Headers** must arrive within `HTTP_HEADER_TIMEOUT_SECONDS`, or the connection is closed
//!   (an idle keep-alive connection too: the same clock runs while waiting for the next request).
//! - **The webhook's secret** is checked on the headers, before a byte of the body is read: a
//!   wrong one gets 401 at once, whatever body it announces. Only then is the body read, within
//!   `HTTP_BODY_TIMEOUT_SECONDS` and 1 MiB.
//! - **A whole request** gets `HTTP_REQUEST_TIMEOUT_SECONDS`, then 503 and the connection closed.
//! - **Connections** are at most `HTTP_MAX_CONNECTIONS` per port; one more is answered 503 and
//!   closed at once, without a task or a buffer of its own.
//! - **Shutdown** stops accepting, lets the requests under way finish and closes idle
//!   connections, and after [`DRAIN`] (at most `SHUTDOWN_GRACE_SECONDS`) closes whatever is
//!   still open, a slow client's connection included.
//! - `/readyz` and `/metrics` ask the database, so with `OPS_PORT` they move to that port,
//!   which is not published; `/healthz` (answered without I/O) stays on both.

pub mod ops;
pub mod webhook;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::config::HttpSettings;
pub use crate::intake::UpdateSink;
pub use ops::{Ops, Readiness, ReadinessCheck};

/// Telegram's updates are a few kilobytes; anything near this is not an update.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// How long the connections still open at shutdown get to finish (capped by
/// `SHUTDOWN_GRACE_SECONDS`): a webhook request records one update, far quicker than this, and
/// the turns' own wind-down starts only once the server has stopped.
pub const DRAIN: Duration = Duration::from_secs(5);

/// What a connection past `HTTP_MAX_CONNECTIONS` is told before it is closed.
const REFUSED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\
Retry-After: 1\r\nContent-Type: text/plain\r\nContent-Length: 17\r\n\r\ntoo many requests";

/// The routes of the public port: the webhook at `WEBHOOK_URL`'s path when webhook mode is
/// configured and a `sink` is given, `/healthz` always, and `/readyz` and `/metrics` unless
/// `OPS_PORT` gives them a port of their own.
pub fn router(app: Arc<App>, readiness: Arc<Readiness>, sink: Option<UpdateSink>) -> Router {
    let mut router = match app.config.http.ops_port {
        None => ops_router(app.clone(), readiness),
        Some(_) => Router::new().route("/healthz", get(ops::healthz)),
    };
    if let (Some(settings), Some(sink)) = (&app.config.webhook, sink) {
        let hook = webhook::Hook::new(
            settings.secret.clone(),
            app.config.http.body_timeout,
            sink,
            app.clone(),
        );
        let path = match settings.url.path() {
            "" => "/",
            p => p,
        };
        router = router.merge(Router::new().route(path, post(webhook::receive)).with_state(hook));
    }
    router
}

/// The operations routes: `/healthz`, `/readyz`, `/metrics`.
pub fn ops_router(app: Arc<App>, readiness: Arc<Readiness>) -> Router {
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .with_state(Ops { app, readiness })
}

/// Serves the public routes ([`router`]) until `shutdown` fires, then stops taking connections,
/// lets requests under way finish (a webhook request whose update is being recorded still gets
/// its answer) and returns within [`DRAIN`], closing what is left.
pub async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    readiness: Arc<Readiness>,
    sink: Option<UpdateSink>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, webhook = sink.is_some(), "HTTP server listening");
    let drain = app.config.shutdown_grace.min(DRAIN);
    let limits = app.config.http.clone();
    serve_router(listener, router(app, readiness, sink), limits, drain, shutdown).await
}

/// Serves the operations routes ([`ops_router`]) on `OPS_PORT`'s listener, as [`serve`] does.
pub async fn serve_ops(
    listener: TcpListener,
    app: Arc<App>,
    readiness: Arc<Readiness>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "operations endpoints listening (OPS_PORT)");
    let drain = app.config.shutdown_grace.min(DRAIN);
    let limits = app.config.http.clone();
    serve_router(listener, ops_router(app, readiness), limits, drain, shutdown).await
}

/// The accept loop: a slot per connection (or a 503 when none is free), each connection served
/// on a task of its own, and a shutdown bounded by `drain`.
async fn serve_router(
    listener: TcpListener,
    router: Router,
    limits: HttpSettings,
    drain: Duration,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut connections = JoinSet::new();
    let mut refusals = Refusals::default();
    loop {
        let stream = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            // Finished connections are collected first, so the set holds only live ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, mostly: wait for connections to close rather
                    // than spin on the error.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refusals.refuse(stream, limits.max_connections);
            continue;
        };
        let connection = serve_connection(stream, router.clone(), limits.clone(), shutdown.clone());
        connections.spawn(async move {
            connection.await;
            drop(slot);
        });
    }
    // No more connections: the kernel refuses new ones once the listener is gone.
    drop(listener);
    let finished =
        tokio::time::timeout(drain, async { while connections.join_next().await.is_some() {} })
            .await;
    if finished.is_err() {
        tracing::warn!(
            connections = connections.len(),
            "closing HTTP connections still open at shutdown"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Connections refused for want of a slot, reported at most every ten seconds (a flood must
/// not become a flood of log lines).
#[derive(Default)]
struct Refusals {
    since_said: u64,
    said_at: Option<Instant>,
}

impl Refusals {
    /// Answers 503 if the socket takes it at once (a fresh socket's buffer is empty) and closes
    /// it: no task, no waiting, nothing held for the refused client.
    fn refuse(&mut self, stream: TcpStream, max: usize) {
        let _ = stream.try_write(REFUSED);
        drop(stream);
        self.since_said += 1;
        if self.said_at.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
            tracing::warn!(
                refused = self.since_said,
                max_connections = max,
                "HTTP connection limit reached; refusing connections (HTTP_MAX_CONNECTIONS)"
            );
            self.since_said = 0;
            self.said_at = Some(Instant::now());
        }
    }
}

/// One connection, HTTP/1.1 with keep-alive: headers within the header timeout, every request
/// within the request timeout; at shutdown it finishes the request under way and closes.
async fn serve_connection(
    stream: TcpStream,
    router: Router,
    limits: HttpSettings,
    shutdown: CancellationToken,
) {
    let _ = stream.set_nodelay(true);
    let request_timeout = limits.request_timeout;
    let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
        let mut router = router.clone();
        async move {
            let routed = tower_service::Service::call(&mut router, request);
            Ok::<_, Infallible>(match tokio::time::timeout(request_timeout, routed).await {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_) => too_slow(),
            })
        }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let connection = http.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        // A client that timed out or went away: its own business, not the bot's.
        tracing::debug!(error = %e, "HTTP connection ended with an error");
    }
}

/// The answer to a request that ran past `HTTP_REQUEST_TIMEOUT_SECONDS`.
fn too_slow() -> Response<Body> {
    let mut response = Response::new(Body::from("request timed out"));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
    response
}

/// Binds `PORT` on every interface (a platform's proxy and health checks reach the machine from
/// outside), with the variable's name in the error.
pub async fn bind(port: u16) -> anyhow::Result<TcpListener> {
    bind_named("PORT", port).await
}

async fn bind_named(var: &str, port: u16) -> anyhow::Result<TcpListener> {
    TcpListener::bind(("0.0.0.0", port))
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {var}={port}: {e}"))
}

/// Serves what is not the webhook, until `shutdown`: `/readyz` and `/metrics` on `OPS_PORT`
/// when it is set (either mode), and in polling mode the endpoints of `PORT` when it is set.
/// Binding happens here, so a taken port stops start-up with a clear error.
pub async fn spawn_ops(
    app: &Arc<App>,
    readiness: &Arc<Readiness>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    if let Some(port) = app.config.http.ops_port {
        let listener = bind_named("OPS_PORT", port).await?;
        let (app, readiness, shutdown) = (app.clone(), readiness.clone(), shutdown.clone());
        tokio::spawn(async move {
            if let Err(e) = serve_ops(listener, app, readiness, shutdown).await {
                tracing::error!(error = %e, "operations server stopped");
            }
        });
    }
    if let Some(port) = app.config.port.filter(|_| app.config.webhook.is_none()) {
        let listener = bind(port).await?;
        let (app, readiness, shutdown) = (app.clone(), readiness.clone(), shutdown.clone());
        tokio::spawn(async move {
            if let Err(e) = serve(listener, app, readiness, None, shutdown).await {
                tracing::error!(error = %e, "HTTP server stopped");
            }
        });
    }
    Ok(())
}
