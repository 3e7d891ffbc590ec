//! `/broadcast`: preview → Confirm/Cancel → sent to every recipient once, within Telegram's
//! global limit, resumable after a restart.
//!
//! On confirm the recipients are fixed (one `broadcast_recipients` row each) and [`run`] — a
//! background task every replica starts — sends them. Exactly one replica sends a broadcast at a
//! time: it holds the broadcast's lease (renewed every batch, given back on a graceful stop, left
//! to expire after a crash). Each recipient is marked right after their send, so a restart goes
//! on with those still pending and nobody gets the message twice; only a crash between Telegram
//! accepting a send and the mark being written (an instant) could repeat one message.
//! Sends go through the shared pacer (`send::paced`), so a broadcast and the learners' turns
//! share Telegram's ~30 messages/s between them; a learner who blocked the bot is marked blocked
//! and counted as skipped. The admin's progress message is edited at most every 2 s, then shows
//! the final tally. The text is sent as plain text (no markup to get wrong). `/broadcast …` sent
//! as a reply to a voice message sends that voice with the text as its caption.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use teloxide::prelude::*;
use teloxide::types::MessageId;
use tokio_util::sync::CancellationToken;

use super::callbacks::Press;
use super::misc::reply;
use crate::admin::args::{Audience, BroadcastArgs};
use crate::app::App;
use crate::bot::callback::Callback;
use crate::bot::{HandlerResult, edit, keyboards, send};
use crate::i18n::{Arg, Lang};
use crate::store::broadcasts::{self, FAILED, SENT, SKIPPED, Sending, Tally};
use crate::store::{StoreError, admin as admin_store};

/// A sender holds a broadcast this long without renewing before another replica may take it.
const LEASE: Duration = Duration::from_secs(60);
/// Recipients read (and the lease renewed) per round.
const BATCH: i64 = 32;
/// Sends in flight at once: enough to reach the pacer's rate over a slow network.
const IN_FLIGHT: usize = 8;
/// The progress message is edited at most this often.
const EDIT_EVERY: Duration = Duration::from_secs(2);
/// Telegram's limit for a caption (a voice broadcast's text).
const MAX_CAPTION_CHARS: usize = 1024;
/// How often an idle sender looks for a confirmed broadcast.
const IDLE_POLL: Duration = Duration::from_secs(1);

fn audience_label(app: &App, lang: Lang, audience: Audience) -> String {
    match audience {
        Audience::All => app.i18n.tr(lang, "broadcast-audience-all", &[]),
        Audience::Lang(l) => l.code().to_owned(),
    }
}

/// Shows what would be sent, to how many, with Confirm/Cancel. Nobody to send to: said, and
/// nothing stored.
pub async fn preview(
    app: &App,
    msg: &Message,
    lang: Lang,
    admin_id: i64,
    args: BroadcastArgs,
) -> HandlerResult {
    let count = broadcasts::audience_size(&app.db, args.audience).await?;
    let audience = audience_label(app, lang, args.audience);
    if count == 0 {
        return reply(
            app,
            msg,
            app.i18n.tr(lang, "broadcast-nobody", &[("audience", Arg::from(&audience))]),
            None,
        )
        .await;
    }
    // Sent as a reply to a voice message, the broadcast carries that voice (the text is its
    // caption, so it must fit Telegram's 1024 characters).
    let voice = msg.reply_to_message().and_then(|m| m.voice()).map(|v| v.file.id.0.clone());
    if voice.is_some() && args.text.chars().count() > MAX_CAPTION_CHARS {
        return reply(app, msg, app.i18n.tr(lang, "broadcast-caption-too-long", &[]), None).await;
    }
    let id = broadcasts::draft(
        &app.db,
        admin_id,
        msg.chat.id.0,
        args.audience,
        &args.text,
        voice.as_deref(),
        app.clock.now(),
    )
    .await?;
    let mut text = app.i18n.tr(
        lang,
        "broadcast-preview",
        &[
            ("count", Arg::from(count)),
            ("audience", Arg::from(&audience)),
            ("text", Arg::from(&args.text)),
        ],
    );
    if voice.is_some() {
        text = text + "\n\n" + &app.i18n.tr(lang, "broadcast-preview-voice", &[]);
    }
    let keyboard = keyboards::confirm(
        &app.i18n,
        lang,
        ("broadcast-confirm", Callback::BroadcastYes { id }),
        ("broadcast-cancel", Callback::BroadcastNo { id }),
    );
    reply(app, msg, text, Some(keyboard)).await
}

/// "Send": fixes the recipients and hands the broadcast to the sender. A second press finds it
/// no longer a draft and changes nothing.
pub async fn confirmed(app: &App, press: &Press, id: i64) -> HandlerResult {
    let admin_id = press.learner.id;
    if !app.config.is_admin(admin_id) {
        return press.answer(app, Some("stale-button")).await;
    }
    let lang = press.learner.lang;
    let Some(count) = broadcasts::confirm(&app.db, id).await? else {
        return press.answer(app, Some("stale-button")).await;
    };
    press.answer(app, None).await?;
    tracing::info!(
        admin_id,
        broadcast = id,
        recipients = count,
        "admin action: broadcast confirmed"
    );
    admin_store::log_action(
        &app.db,
        admin_id,
        "broadcast",
        &format!("id={id} recipients={count}"),
        app.clock.now(),
    )
    .await?;
    if count == 0 {
        let text = app.i18n.tr(lang, "broadcast-nobody", &[("audience", Arg::from("—"))]);
        return edit::text(app, press.chat(), press.message_id(), text, None).await;
    }
    broadcasts::set_progress_message(&app.db, id, press.message_id().0.into()).await?;
    let tally = Tally { pending: count, ..Default::default() };
    edit::text(app, press.chat(), press.message_id(), progress_text(app, lang, &tally, false), None)
        .await
}

pub async fn cancelled(app: &App, press: &Press, id: i64) -> HandlerResult {
    if !app.config.is_admin(press.learner.id) || !broadcasts::cancel(&app.db, id).await? {
        return press.answer(app, Some("stale-button")).await;
    }
    press.answer(app, None).await?;
    tracing::info!(
        admin_id = press.learner.id,
        broadcast = id,
        "admin action: broadcast cancelled"
    );
    edit::text(
        app,
        press.chat(),
        press.message_id(),
        app.i18n.tr(press.learner.lang, "broadcast-cancelled", &[]),
        None,
    )
    .await
}

fn progress_text(app: &App, lang: Lang, t: &Tally, done: bool) -> String {
    let args = [
        ("sent", Arg::from(t.sent)),
        ("skipped", Arg::from(t.skipped)),
        ("failed", Arg::from(t.failed)),
        ("total", Arg::from(t.total())),
    ];
    app.i18n.tr(lang, if done { "broadcast-done" } else { "broadcast-progress" }, &args)
}

fn epoch_ms() -> i64 {
    // Wall time, not the app's clock: leases are between processes, like `intake::leases`.
    chrono::Utc::now().timestamp_millis()
}

/// The sender: started by `app::run` on every replica; sends whatever broadcast it can claim
/// until `shutdown`, then gives its lease back.
pub async fn run(app: Arc<App>, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        let now = epoch_ms();
        let wait = match broadcasts::claim(
            &app.db,
            &app.config.replica_id,
            now,
            now + LEASE.as_millis() as i64,
        )
        .await
        {
            Ok(Some(b)) => match send_all(&app, &b, &shutdown).await {
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

async fn send_all(app: &App, b: &Sending, shutdown: &CancellationToken) -> Result<(), StoreError> {
    let holder = app.config.replica_id.as_str();
    let lang = admin_lang(app, b.admin_chat_id).await;
    let mut last_edit: Option<Instant> = None;
    loop {
        if shutdown.is_cancelled() {
            tracing::info!(broadcast = b.id, "stopping; the broadcast resumes at the next start");
            return broadcasts::release(&app.db, b.id, holder).await;
        }
        if !broadcasts::renew(&app.db, b.id, holder, epoch_ms() + LEASE.as_millis() as i64).await? {
            tracing::warn!(broadcast = b.id, "lost the broadcast's lease; another replica goes on");
            return Ok(());
        }
        let batch = broadcasts::pending(&app.db, b.id, BATCH).await?;
        if batch.is_empty() {
            break;
        }
        let marks = futures::stream::iter(batch)
            .map(|(user_id, chat_id, reachable)| async move {
                if shutdown.is_cancelled() {
                    return Ok(());
                }
                let status =
                    if reachable { send_one(app, b, user_id, chat_id).await } else { SKIPPED };
                broadcasts::mark(&app.db, b.id, user_id, status).await
            })
            .buffer_unordered(IN_FLIGHT)
            .collect::<Vec<_>>()
            .await;
        marks.into_iter().collect::<Result<Vec<()>, _>>()?;
        if last_edit.is_none_or(|t| t.elapsed() >= EDIT_EVERY) {
            last_edit = Some(Instant::now());
            show_progress(app, b, lang, false).await?;
        }
    }
    broadcasts::finish(&app.db, b.id).await?;
    let t = show_progress(app, b, lang, true).await?;
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
async fn send_one(app: &App, b: &Sending, user_id: i64, chat_id: i64) -> &'static str {
    let chat = ChatId(chat_id);
    let sent = match &b.voice_file_id {
        Some(voice) => {
            let file =
                || teloxide::types::InputFile::file_id(teloxide::types::FileId(voice.clone()));
            send::paced(&app.pacer, chat, "broadcast", || {
                app.bot.send_voice(chat, file()).caption(b.text.clone()).into_future()
            })
            .await
            .map(drop)
        }
        None => send::paced(&app.pacer, chat, "broadcast", || {
            app.bot.send_message(chat, b.text.clone()).into_future()
        })
        .await
        .map(drop),
    };
    match sent {
        Ok(()) => SENT,
        Err(e) if send::is_blocked(&e) => {
            crate::bot::mark_if_blocked(app, user_id, &e).await;
            SKIPPED
        }
        Err(e) => {
            tracing::warn!(broadcast = b.id, user_id, error = %e, "broadcast not delivered to a learner");
            FAILED
        }
    }
}

async fn show_progress(
    app: &App,
    b: &Sending,
    lang: Lang,
    done: bool,
) -> Result<Tally, StoreError> {
    let t = broadcasts::tally(&app.db, b.id).await?;
    if let Some(id) = b.progress_message_id.and_then(|id| i32::try_from(id).ok())
        && let Err(e) = edit::text(
            app,
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
