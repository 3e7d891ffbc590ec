//! `/broadcast`: preview → Confirm/Cancel; on confirm the recipients are fixed (one
//! `broadcast_recipients` row each) and the sender (`jobs::broadcasts`), a background job every
//! replica runs, sends them — once each, within Telegram's global limit, resumable after a
//! restart. The text is sent as plain text (no markup to get wrong). `/broadcast …` sent as a
//! reply to a voice message sends that voice with the text as its caption.

use teloxide::prelude::*;

use super::callbacks::Press;
use super::misc::reply;
use crate::admin::args::{Audience, BroadcastArgs};
use crate::app::App;
use crate::bot::callback::Callback;
use crate::bot::{HandlerResult, Telegram, keyboards};
use crate::i18n::{Arg, Lang};
use crate::store::admin as admin_store;
use crate::store::broadcasts::{self, Tally};

/// Telegram's limit for a caption (a voice broadcast's text).
const MAX_CAPTION_CHARS: usize = 1024;

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
    tg: &Telegram,
    msg: &Message,
    lang: Lang,
    admin_id: i64,
    args: BroadcastArgs,
) -> HandlerResult {
    let count = broadcasts::audience_size(&app.db, args.audience).await?;
    let audience = audience_label(app, lang, args.audience);
    if count == 0 {
        return reply(
            tg,
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
        return reply(tg, msg, app.i18n.tr(lang, "broadcast-caption-too-long", &[]), None).await;
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
    reply(tg, msg, text, Some(keyboard)).await
}

/// "Send": fixes the recipients and hands the broadcast to the sender. A second press finds it
/// no longer a draft and changes nothing.
pub async fn confirmed(app: &App, tg: &Telegram, press: &Press, id: i64) -> HandlerResult {
    let admin_id = press.learner.id;
    if !app.config.is_admin(admin_id) {
        return press.answer(tg, Some("stale-button")).await;
    }
    let lang = press.learner.lang;
    let Some(count) = broadcasts::confirm(&app.db, id).await? else {
        return press.answer(tg, Some("stale-button")).await;
    };
    press.answer(tg, None).await?;
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
        return press.edit(tg, text, None).await;
    }
    broadcasts::set_progress_message(&app.db, id, press.message_id().0.into()).await?;
    let tally = Tally { pending: count, ..Default::default() };
    press.edit(tg, progress_text(app, lang, &tally, false), None).await
}

pub async fn cancelled(app: &App, tg: &Telegram, press: &Press, id: i64) -> HandlerResult {
    if !app.config.is_admin(press.learner.id) || !broadcasts::cancel(&app.db, id).await? {
        return press.answer(tg, Some("stale-button")).await;
    }
    press.answer(tg, None).await?;
    tracing::info!(
        admin_id = press.learner.id,
        broadcast = id,
        "admin action: broadcast cancelled"
    );
    press.edit(tg, app.i18n.tr(press.learner.lang, "broadcast-cancelled", &[]), None).await
}

/// The admin's progress message: the tally so far, or the final one.
pub fn progress_text(app: &App, lang: Lang, t: &Tally, done: bool) -> String {
    let args = [
        ("sent", Arg::from(t.sent)),
        ("skipped", Arg::from(t.skipped)),
        ("failed", Arg::from(t.failed)),
        ("total", Arg::from(t.total())),
    ];
    app.i18n.tr(lang, if done { "broadcast-done" } else { "broadcast-progress" }, &args)
}
