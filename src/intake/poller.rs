//! Long polling with record-before-confirm.
//!
//! getUpdates confirms every update below `offset`; the offset moves past an update only after
//! it has been committed to the inbox, so a crash at any instant loses nothing: Telegram
//! redelivers what was not confirmed and the inbox recognises what it already holds.

use std::time::Duration;

use teloxide::payloads::GetUpdatesSetters;
use teloxide::prelude::*;
use teloxide::types::AllowedUpdate;
use tokio_util::sync::CancellationToken;

use super::scheduler::Scheduler;
use crate::app::App;
use crate::store;

pub async fn poll(app: &App, scheduler: &Scheduler, shutdown: &CancellationToken) {
    let mut offset: i32 = 0;
    let mut backoff = Duration::from_millis(500);
    let allowed = vec![AllowedUpdate::Message, AllowedUpdate::EditedMessage, AllowedUpdate::CallbackQuery, AllowedUpdate::MyChatMember];
    loop {
        let request = app.bot.get_updates().offset(offset).timeout(app.config.poll_timeout_secs).allowed_updates(allowed.clone());
        let updates = tokio::select! {
            _ = shutdown.cancelled() => break,
            res = request.send() => res,
        };
        let updates = match updates {
            Ok(u) => {
                backoff = Duration::from_millis(500);
                u
            }
            Err(e) => {
                tracing::warn!(error = %e, "getUpdates failed; retrying");
                let wait = match e {
                    teloxide::RequestError::RetryAfter(s) => s.duration(),
                    _ => backoff,
                };
                backoff = (backoff * 2).min(Duration::from_secs(30));
                tokio::select! { _ = shutdown.cancelled() => break, _ = tokio::time::sleep(wait) => continue }
            }
        };
        for update in updates {
            // Keep trying to record: confirming an update we could not store would lose it.
            let is_new = loop {
                match store::inbox::record(&app.db, &update, app.clock.now()).await {
                    Ok(new) => break Some(new),
                    Err(e) => {
                        tracing::error!(update_id = update.id.0, error = %e, "could not record update; retrying");
                        tokio::select! { _ = shutdown.cancelled() => break None, _ = tokio::time::sleep(Duration::from_secs(1)) => {} }
                    }
                }
            };
            match is_new {
                None => return, // shutting down; the unrecorded update stays unconfirmed
                Some(true) => {
                    offset = offset.max(update.id.0 as i32 + 1);
                    scheduler.submit(update);
                }
                Some(false) => {
                    tracing::info!(update_id = update.id.0, "redelivered update skipped");
                    offset = offset.max(update.id.0 as i32 + 1);
                }
            }
        }
    }
    // Confirm what is recorded so Telegram does not hand it out again after a clean stop.
    if offset > 0 {
        let _ = app.bot.get_updates().offset(offset).timeout(0).limit(1).send().await;
    }
}
