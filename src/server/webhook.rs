//! Telegram's webhook: the route that receives updates, and registering it with Telegram.
//!
//! An update is acknowledged (200) only once the sink has recorded it durably; a failure to
//! record answers 500, so Telegram delivers it again. Requests without the right
//! `X-Telegram-Bot-Api-Secret-Token` are refused (401) on their headers, before a byte of the
//! body is read: a stranger cannot make the bot read, buffer or wait for anything.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;
use teloxide::payloads::SetWebhookSetters;
use teloxide::prelude::*;
use teloxide::types::AllowedUpdate;

use super::{BODY_LIMIT, UpdateSink};
use crate::app::App;
use crate::bot::Telegram;
use crate::metrics::operations::WebhookOutcome;

const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// The webhook route's state.
#[derive(Clone)]
pub struct Hook {
    secret: std::sync::Arc<str>,
    /// How long the body may take once the headers were accepted (`HTTP_BODY_TIMEOUT_SECONDS`).
    body_timeout: Duration,
    sink: UpdateSink,
    /// Where each request's outcome is counted (`mluvme_webhook_requests_total`).
    app: std::sync::Arc<App>,
}

impl Hook {
    pub fn new(
        secret: String,
        body_timeout: Duration,
        sink: UpdateSink,
        app: std::sync::Arc<App>,
    ) -> Self {
        Hook { secret: secret.into(), body_timeout, sink, app }
    }
}

/// A refusal that also closes the connection: whatever body the client still means to send is
/// never read.
fn refuse(status: StatusCode) -> Response {
    (status, [(header::CONNECTION, "close")]).into_response()
}

pub async fn receive(State(hook): State<Hook>, request: Request) -> Response {
    let (response, outcome) = answer(&hook, request).await;
    hook.app.metrics.ops.webhook(outcome);
    response
}

async fn answer(hook: &Hook, request: Request) -> (Response, WebhookOutcome) {
    let headers = request.headers();
    let given = headers.get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    // Constant time: how long the comparison takes says nothing about how much of a guess
    // was right.
    if !bool::from(given.ct_eq(hook.secret.as_bytes())) {
        tracing::warn!(
            secret_given = !given.is_empty(),
            "webhook request refused: wrong or missing secret token"
        );
        return (refuse(StatusCode::UNAUTHORIZED), WebhookOutcome::Refused);
    }
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > BODY_LIMIT as u64) {
        tracing::warn!(bytes = announced, "webhook request refused: body over 1 MiB");
        return (refuse(StatusCode::PAYLOAD_TOO_LARGE), WebhookOutcome::Refused);
    }
    let read = axum::body::to_bytes(request.into_body(), BODY_LIMIT);
    let body = match tokio::time::timeout(hook.body_timeout, read).await {
        Ok(Ok(body)) => body,
        // Over the limit without announcing it (chunked), or the client went away.
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "webhook body unreadable or over 1 MiB");
            return (refuse(StatusCode::PAYLOAD_TOO_LARGE), WebhookOutcome::Refused);
        }
        Err(_) => {
            tracing::warn!(
                timeout_s = hook.body_timeout.as_secs(),
                "webhook request refused: body not received in time"
            );
            return (refuse(StatusCode::REQUEST_TIMEOUT), WebhookOutcome::Refused);
        }
    };
    let update = match std::str::from_utf8(&body)
        .map_err(|e| e.to_string())
        .and_then(crate::update_json::read_str)
    {
        Ok(u) => u,
        Err(e) => {
            // Acknowledged anyway: Telegram redelivers anything but a 200, so refusing an update
            // we can never read would have it sent again, forever, ahead of the chat's next one.
            tracing::warn!(error = %e, bytes = body.len(), "unreadable webhook update acknowledged and dropped");
            return (StatusCode::OK.into_response(), WebhookOutcome::Unreadable);
        }
    };
    let id = update.id.0;
    // Recorded on a task of its own: a request cut off by its timeout (or a client gone) must
    // not stop a recording half-way; the update is then recorded, Telegram delivers it again
    // for want of a 200, and the inbox takes it once.
    let recording = tokio::spawn((hook.sink)(update));
    match recording.await {
        Ok(Ok(())) => (StatusCode::OK.into_response(), WebhookOutcome::Recorded),
        Ok(Err(e)) => {
            tracing::error!(update_id = id, error = %e, "webhook update not recorded; Telegram will deliver it again");
            (StatusCode::INTERNAL_SERVER_ERROR.into_response(), WebhookOutcome::Failed)
        }
        Err(e) => {
            tracing::error!(update_id = id, error = %e, "webhook update recording failed; Telegram will deliver it again");
            (StatusCode::INTERNAL_SERVER_ERROR.into_response(), WebhookOutcome::Failed)
        }
    }
}

/// The update types the bot handles (the same list polling asks for).
pub fn allowed_updates() -> Vec<AllowedUpdate> {
    vec![
        AllowedUpdate::Message,
        AllowedUpdate::EditedMessage,
        AllowedUpdate::CallbackQuery,
        AllowedUpdate::MyChatMember,
        // `/listen`'s quiz answers.
        AllowedUpdate::PollAnswer,
    ]
}

/// Registers `WEBHOOK_URL` with its secret. Pending updates are kept: they were sent before the
/// switch and still deserve an answer. Every replica calls this at start; the settings are
/// identical, so the last call wins harmlessly.
pub async fn register_webhook(app: &App, tg: &Telegram) -> anyhow::Result<()> {
    let settings =
        app.config.webhook.as_ref().ok_or_else(|| anyhow::anyhow!("WEBHOOK_URL is not set"))?;
    tg.outbox
        .bot()
        .set_webhook(settings.url.clone())
        .secret_token(settings.secret.clone())
        .allowed_updates(allowed_updates())
        .drop_pending_updates(false)
        .await
        .map_err(|e| anyhow::anyhow!("cannot register the webhook {}: {e}", settings.url))?;
    tracing::info!(url = %settings.url, "webhook registered");
    Ok(())
}
