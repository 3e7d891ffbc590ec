//! Long polling with record-before-confirm.
//!
//! getUpdates confirms every update below `offset`; the offset moves past an update only after
//! it has been committed to the inbox, so a crash at any instant loses nothing: Telegram
//! redelivers what was not confirmed and the inbox recognises what it already holds.
//!
//! The batch is fetched as raw JSON and each update read by [`crate::update_json`]: the library's
//! own reading of a batch loses what it cannot type (a voice note without `mime_type`) and stops
//! at a shape that makes it panic.

use std::time::Duration;

use teloxide::payloads::{GetUpdates, GetUpdatesSetters};
use teloxide::prelude::*;
use teloxide::requests::{JsonRequest, Payload};
use teloxide::types::{AllowedUpdate, Update};
use tokio_util::sync::CancellationToken;

use super::scheduler::Scheduler;
use crate::app::App;
use crate::bot::Telegram;
use crate::store;

pub async fn poll(app: &App, tg: &Telegram, scheduler: &Scheduler, shutdown: &CancellationToken) {
    let bot = tg.outbox.bot();
    let mut offset: i32 = 0;
    let mut backoff = Duration::from_millis(500);
    let allowed = vec![
        AllowedUpdate::Message,
        AllowedUpdate::EditedMessage,
        AllowedUpdate::CallbackQuery,
        AllowedUpdate::MyChatMember,
        // `/listen`'s quiz answers.
        AllowedUpdate::PollAnswer,
    ];
    loop {
        let request = JsonRequest::new(
            bot.clone(),
            RawUpdates(
                GetUpdates::new()
                    .offset(offset)
                    .timeout(app.config.poll_timeout_secs)
                    .allowed_updates(allowed.clone()),
            ),
        );
        if shutdown.is_cancelled() {
            // No poll is open: confirm what was recorded, so a restart is not sent it again.
            if offset > 0 {
                let _ = bot.get_updates().offset(offset).timeout(0).limit(1).send().await;
            }
            return;
        }
        let updates = tokio::select! {
            // The open poll already carries `offset`, which confirms everything recorded. A new
            // confirming request here would race the abandoned poll and meet a 409; and if the
            // abandoned one never reached Telegram, the redelivered updates are recognised by the
            // inbox and skipped.
            _ = shutdown.cancelled() => return,
            res = request.send() => res,
        };
        let updates: Vec<Update> = match updates {
            Ok(raw) => {
                backoff = Duration::from_millis(500);
                raw.into_iter().filter_map(read).collect()
            }
            Err(e) => {
                tracing::warn!(error = %e, "getUpdates failed; retrying");
                let wait = match e {
                    teloxide::RequestError::RetryAfter(s) => s.duration(),
                    _ => backoff,
                };
                backoff = (backoff * 2).min(Duration::from_secs(30));
                tokio::select! { _ = shutdown.cancelled() => return, _ = tokio::time::sleep(wait) => continue }
            }
        };
        let new = loop {
            match store::inbox::record_batch(&app.db, &updates, app.clock.now()).await {
                Ok(new) => break Some(new),
                Err(e) => {
                    tracing::error!(count = updates.len(), error = %e, "could not record updates; retrying");
                    tokio::select! { _ = shutdown.cancelled() => break None, _ = tokio::time::sleep(Duration::from_secs(1)) => {} }
                }
            }
        };
        // Shutting down with the batch unrecorded: it stays unconfirmed, Telegram sends it again.
        let Some(new) = new else { return };
        for update in updates {
            offset = offset.max(update.id.0 as i32 + 1);
            if new.contains(&(update.id.0 as i64)) {
                scheduler.submit(update);
            } else {
                tracing::info!(update_id = update.id.0, "redelivered update skipped");
            }
        }
    }
}

/// getUpdates answered as raw JSON, each update read by [`crate::update_json`].
#[derive(serde::Serialize)]
#[serde(transparent)]
struct RawUpdates(GetUpdates);

impl Payload for RawUpdates {
    type Output = Vec<serde_json::Value>;
    const NAME: &'static str = GetUpdates::NAME;

    fn timeout_hint(&self) -> Option<Duration> {
        self.0.timeout_hint()
    }
}

fn read(raw: serde_json::Value) -> Option<Update> {
    let update = crate::update_json::read(raw);
    if update.is_none() {
        tracing::warn!("an update without update_id dropped");
    }
    update
}
