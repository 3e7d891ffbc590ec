//! The broadcast sender: a background job every replica runs (`/broadcast` and its buttons are
//! `bot::handlers::broadcast`).
//!
//! One replica sends a broadcast at a time: it holds the broadcast's lease (`CHAT_LEASE_SECONDS`,
//! renewed every batch, given back on a graceful stop, left to expire after a crash). Each
//! recipient is claimed just before their send, only while the lease is still this replica's,
//! and marked right after it (`store::broadcasts`): a restart or another replica goes on with
//! those still pending, and a sender that stalled past its lease can claim nobody more — nobody
//! gets the message twice. A crash between a claim and its mark leaves that one recipient
//! counted failed rather than risk a second message. Sends go through the outbox, so a broadcast and the
//! learners' turns share Telegram's ~30 messages/s between them; they are unprompted sends, so a
//! learner marked blocked is skipped, and one whose 403 says so is marked and counted as skipped.
//! The admin's progress message is edited at most every 2 s, then shows the final tally.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use teloxide::types::{ChatId, FileId, InputFile, MessageId};
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::bot::Telegram;
use crate::bot::handlers::broadcast::progress_text;
use crate::bot::outbox::{Body, To};
use crate::i18n::Lang;
use crate::store::StoreError;
use crate::store::broadcasts::{self, FAILED, SENT, SKIPPED, Sending, Tally};

/// How long a sender holds a broadcast without renewing before another replica may take it: the
/// replicas' one lease length (`CHAT_LEASE_SECONDS`).
fn lease_ms(app: &App) -> i64 {
    app.config.chat_lease.as_millis() as i64
}

/// Recipients read (and the lease renewed) per round.
const BATCH: i64 = 32;
/// Sends in flight at once: enough to reach the pacer's rate over a slow network.
const IN_FLIGHT: usize = 8;
/// The progress message is edited at most this often.
const EDIT_EVERY: Duration = Duration::from_secs(2);
/// How often an idle sender looks for a confirmed broadcast.
const IDLE_POLL: Duration = Duration::from_secs(1);

fn epoch_ms() -> i64 {
    // Wall time, not the app's clock: leases are between processes, like `intake::leases`.
    chrono::Utc::now().timestamp_millis()
}

/// The sender: started at start-up on every replica; sends whatever broadcast it can claim
/// until `shutdown`, then gives its lease back.
pub async fn run(app: Arc<App>, tg: Arc<Telegram>, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        let now = epoch_ms();
        let wait = match broadcasts::claim(
            &app.db,
            &app.config.replica_id,
            now,
            now + lease_ms(&app),
        )
        .await
        {
            Ok(Some(b)) => match send_all(&app, &tg, &b, &shutdown).await {
                Ok(()) => Duration::ZERO,
                Err(e) => {
                    tracing::error!(broadcast = b.id, error = %e, "broadcast interrupted; resuming shortly");
                    IDLE_POLL * 5
                }
            },
            Ok(None) => IDLE_POLL,
            Err(e) => {
                tracing::error!(error = %e, "could not look for broadcasts");
                IDLE_POLL * 5
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

async fn send_all(
    app: &App,
    tg: &Telegram,
    b: &Sending,
    shutdown: &CancellationToken,
) -> Result<(), StoreError> {
    let holder = app.config.replica_id.as_str();
    let lang = admin_lang(app, b.admin_chat_id).await;
    let mut last_edit: Option<Instant> = None;
    loop {
        if shutdown.is_cancelled() {
            tracing::info!(broadcast = b.id, "stopping; the broadcast resumes at the next start");
            return broadcasts::release(&app.db, b.id, holder).await;
        }
        if !broadcasts::renew(&app.db, b.id, holder, epoch_ms() + lease_ms(app)).await? {
            tracing::warn!(broadcast = b.id, "lost the broadcast's lease; another replica goes on");
            return Ok(());
        }
        let batch = broadcasts::pending(&app.db, b.id, BATCH).await?;
        if batch.is_empty() {
            break;
        }
        let marks = futures::stream::iter(batch)
            .map(|(user_id, chat_id, reachable)| async move {
                if shutdown.is_cancelled()
                    || !broadcasts::claim_recipient(&app.db, b.id, user_id, holder).await?
                {
                    // Stopping, or the broadcast is another replica's now: not ours to send.
                    return Ok(());
                }
                let status =
                    if reachable { send_one(tg, b, user_id, chat_id).await } else { SKIPPED };
                broadcasts::mark(&app.db, b.id, user_id, status).await
            })
            .buffer_unordered(IN_FLIGHT)
            .collect::<Vec<_>>()
            .await;
        marks.into_iter().collect::<Result<Vec<()>, _>>()?;
        if last_edit.is_none_or(|t| t.elapsed() >= EDIT_EVERY) {
            last_edit = Some(Instant::now());
            show_progress(app, tg, b, lang, false).await?;
        }
    }
    broadcasts::finish(&app.db, b.id).await?;
    let t = show_progress(app, tg, b, lang, true).await?;
    tracing::info!(
        broadcast = b.id,
        sent = t.sent,
        skipped = t.skipped,
        failed = t.failed,
        "broadcast finished"
    );
    Ok(())
}

/// Sends to one recipient; returns what to mark them.
async fn send_one(tg: &Telegram, b: &Sending, user_id: i64, chat_id: i64) -> &'static str {
    let to = To::unprompted(ChatId(chat_id));
    let sent = match &b.voice_file_id {
        Some(voice) => {
            let file = InputFile::file_id(FileId(voice.clone()));
            tg.outbox.voice(to, file, Body::Plain(b.text.clone()), None).await
        }
        None => tg.outbox.plain_text(to, b.text.clone()).await,
    };
    match sent {
        Ok(_) => SENT,
        Err(e) if e.recipient_gone() => SKIPPED,
        Err(e) => {
            tracing::warn!(broadcast = b.id, user_id, error = %e, "broadcast not delivered to a learner");
            FAILED
        }
    }
}

async fn show_progress(
    app: &App,
    tg: &Telegram,
    b: &Sending,
    lang: Lang,
    done: bool,
) -> Result<Tally, StoreError> {
    let t = broadcasts::tally(&app.db, b.id).await?;
    if let Some(id) = b.progress_message_id.and_then(|id| i32::try_from(id).ok())
        && let Err(e) = tg
            .outbox
            .edit_text(
                ChatId(b.admin_chat_id),
                MessageId(id),
                progress_text(app, lang, &t, done),
                None,
            )
            .await
    {
        tracing::warn!(broadcast = b.id, error = %e, "could not update the broadcast's progress message");
    }
    Ok(t)
}

async fn admin_lang(app: &App, admin_id: i64) -> Lang {
    match crate::store::learners::find(&app.db, admin_id).await {
        Ok(Some(l)) => l.lang,
        _ => Lang::En,
    }
}
