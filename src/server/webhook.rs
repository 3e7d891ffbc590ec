//! Telegram's webhook: the route that receives updates, and registering it with Telegram.
//!
//! An update is acknowledged (200) only once the sink has recorded it durably; a failure to
//! record answers 500, so Telegram delivers it again. Requests without the right
//! `X-Telegram-Bot-Api-Secret-Token` are refused (401) before the body is looked at.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use subtle::ConstantTimeEq;
use teloxide::payloads::SetWebhookSetters;
use teloxide::prelude::*;
use teloxide::types::{AllowedUpdate, Update};

use super::UpdateSink;
use crate::app::App;
use crate::bot::Telegram;

const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// The webhook route's state.
#[derive(Clone)]
pub struct Hook {
    secret: std::sync::Arc<str>,
    sink: UpdateSink,
}

impl Hook {
    pub fn new(secret: String, sink: UpdateSink) -> Self {
        Hook { secret: secret.into(), sink }
    }
}

pub async fn receive(State(hook): State<Hook>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers.get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    // Constant time: how long the comparison takes says nothing about how much of a guess
    // was right.
    if !bool::from(given.ct_eq(hook.secret.as_bytes())) {
        tracing::warn!(
            secret_given = !given.is_empty(),
            "webhook request refused: wrong or missing secret token"
        );
        return StatusCode::UNAUTHORIZED;
    }
    let update: Update = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => {
            // Acknowledged anyway: Telegram redelivers anything but a 200, so refusing an update
            // we can never read would have it sent again, forever, ahead of the chat's next one.
            tracing::warn!(error = %e, bytes = body.len(), "unreadable webhook update acknowledged and dropped");
            return StatusCode::OK;
        }
    };
    let id = update.id.0;
    match (hook.sink)(update).await {
        Ok(()) => StatusCode::OK,
        Err(e) => {
            tracing::error!(update_id = id, error = %e, "webhook update not recorded; Telegram will deliver it again");
            StatusCode::INTERNAL_SERVER_ERROR
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
