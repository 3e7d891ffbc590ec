//! `/shadow`: shadowing. Honzík says a phrase at the learner's level slowly, then at normal
//! speed (two voices, both text-to-speech at different speeds, gated and metered like any voice
//! he makes); the learner says it after him in a voice note. Speech-to-text with word timestamps
//! (metered too) gives what `practice::shadow` compares: missed, changed and extra words, the
//! pace against the native recording's, long pauses. Each attempt's numbers are stored
//! (`store::shadow`) for `/stats`; the session (which phrase, the native recording's length) is
//! a `practice_sessions` row, so a restart or another replica takes the next voice note.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile};

use super::access::{Gate, gate};
use super::callbacks::Press;
use super::misc::{notice, reply};
use super::practice_common::{close, end_pressed, nothing_asked};
use crate::app::App;
use crate::bot::callback::Callback;
use crate::bot::outbox::{Body, To};
use crate::bot::turn_reply::TelegramTurn;
use crate::bot::{HandlerResult, Telegram};
use crate::i18n::{Arg, Lang};
use crate::practice::Mode;
use crate::practice::shadow::{self, Attempt, Phrase, Said};
use crate::store::learners::{self, Awaiting, Learner};
use crate::store::practice::{self as store, Session};
use crate::turn::{AudioInput, Fence};

/// `/shadow`: a new phrase (replacing whatever practice was under way).
pub async fn start(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    update_id: i64,
    learner: &Learner,
) -> HandlerResult {
    if gate(app, tg, msg, update_id, learner).await? == Gate::Closed {
        return Ok(());
    }
    let intro = app.i18n.tr(learner.lang, "shadow-start", &[]);
    tg.outbox.text(To::reply(msg), intro, None).await?;
    present(app, tg, msg.chat.id, learner, None).await
}

/// Picks a phrase (not `previous`), opens the session and says the phrase twice.
async fn present(
    app: &App,
    tg: &Telegram,
    chat: ChatId,
    learner: &Learner,
    previous: Option<&str>,
) -> HandlerResult {
    let now = app.clock.now();
    let seed = now.timestamp_nanos_opt().unwrap_or_default() as u64 ^ learner.id as u64;
    let phrase = shadow::pick(learner.level, seed, previous);
    let session = store::start(&app.db, learner.id, Mode::Shadow, &phrase.id, now).await?;
    let lang = learner.lang;
    let text = app.i18n.tr(
        lang,
        "shadow-phrase",
        &[
            ("phrase", Arg::from(phrase.cs.as_str())),
            ("translation", Arg::from(phrase.tr.get(lang))),
        ],
    );
    tg.outbox.text(To::chat(chat), text, None).await?;
    let speed = learner.voice_speed.factor();
    let slow = super::listen::say(app, learner, &phrase.cs, speed * shadow::SLOW).await;
    let normal = super::listen::say(app, learner, &phrase.cs, speed).await;
    let (Some(slow), Some(normal)) = (slow, normal) else {
        close(app, learner.id, store::end(&app.db, learner.id, session.id)).await?;
        tg.outbox.notice(To::chat(chat), lang, "shadow-no-voice", &[]).await?;
        return Ok(());
    };
    // The native recording's length gives its pace; kept with the session for the answer.
    if let crate::ai::speech::ogg::Length::Seconds(secs) =
        crate::ai::speech::containers::length(&normal)
        && secs > 0.0
    {
        store::set_note(&app.db, session.id, &format!("{secs:.3}")).await?;
    }
    let caption = |key: &str| Body::Html(app.i18n.tr(lang, key, &[]));
    let file = |bytes| InputFile::memory(bytes).file_name("honzik.ogg");
    tg.outbox.voice(To::chat(chat), file(slow), caption("shadow-slow"), None).await?;
    let keyboard = buttons(app, lang, &session);
    tg.outbox.voice(To::chat(chat), file(normal), caption("shadow-normal"), Some(keyboard)).await?;
    if learner.awaiting != Some(Awaiting::ShadowAnswer) {
        learners::set_awaiting(&app.db, learner.id, Some(Awaiting::ShadowAnswer), now).await?;
    }
    Ok(())
}

/// The learner's voice note: transcribed with word times, compared, stored, shown.
pub async fn spoken(
    app_arc: Arc<App>,
    tg: Arc<Telegram>,
    msg: Message,
    update: Update,
    fence: Arc<dyn Fence>,
    learner: Learner,
    input: AudioInput,
) -> HandlerResult {
    let (app, tg, learner) = (app_arc.as_ref(), tg.as_ref(), &learner);
    let Some(session) = store::open_of(&app.db, learner.id, Mode::Shadow).await? else {
        return nothing_asked(app, tg, &msg, learner).await;
    };
    let Some(phrase) = shadow::find(&session.subject) else {
        close(app, learner.id, store::end(&app.db, learner.id, session.id)).await?;
        return notice(tg, &msg, learner.lang, "shadow-no-voice", &[]).await;
    };
    if gate(app, tg, &msg, update.id.0 as i64, learner).await? == Gate::Closed {
        return Ok(());
    }
    let show = TelegramTurn { app: &app_arc, out: &tg.outbox, msg: &msg, lang: learner.lang };
    let heard = crate::turn::transcribe_timed(app, &show, fence.as_ref(), learner, &input).await?;
    let Some((transcript, measured)) = heard else {
        return notice(tg, &msg, learner.lang, "shadow-unheard", &[]).await;
    };
    let said: Vec<Said> = transcript
        .words
        .iter()
        .map(|w| Said { word: w.word.as_str(), start: w.start, end: w.end })
        .collect();
    let native = session.note.as_deref().and_then(|n| n.parse::<f64>().ok());
    let duration = transcript.duration.or(Some(measured));
    let attempt = shadow::compare(&phrase.cs, &transcript.text, &said, duration, native);
    let now = app.clock.now();
    let stored = crate::store::shadow::Attempt {
        phrase_id: &phrase.id,
        accuracy: attempt.accuracy,
        wpm: attempt.wpm,
        native_wpm: attempt.native_wpm,
        long_pauses: attempt.pauses.len() as u32,
    };
    let day = crate::progress::local_day(now, learner.tz);
    crate::store::shadow::record(&app.db, learner.id, &stored, day, now).await?;
    let text = verdict(app, learner.lang, phrase, &attempt);
    let keyboard = buttons(app, learner.lang, &session);
    reply(tg, &msg, text, Some(keyboard)).await
}

/// A typed message while a phrase waits: shadowing is said, not typed.
pub async fn typed(tg: Arc<Telegram>, msg: Message, learner: Learner) -> HandlerResult {
    notice(&tg, &msg, learner.lang, "shadow-say-it", &[]).await
}

/// "➡️ Another phrase" (voiced, so gated).
pub async fn next(app: &App, tg: &Telegram, press: &Press, session_id: i64) -> HandlerResult {
    let learner = &press.learner;
    let open = store::open_of(&app.db, learner.id, Mode::Shadow).await?;
    let Some(session) = open.filter(|s| s.id == session_id) else {
        return press.answer(tg, Some("stale-button")).await;
    };
    press.answer(tg, None).await?;
    if gate(app, tg, &press.message, press.update_id, learner).await? == Gate::Closed {
        return Ok(());
    }
    press.edit_keyboard(tg, None).await?;
    present(app, tg, press.chat(), learner, Some(&session.subject)).await
}

/// "⏹ End".
pub async fn end(app: &App, tg: &Telegram, press: &Press, session_id: i64) -> HandlerResult {
    let ending = store::end(&app.db, press.learner.id, session_id);
    if end_pressed(app, tg, press, ending).await?.is_none() {
        return Ok(());
    }
    press.edit_keyboard(tg, None).await?;
    tg.outbox.text(To::chat(press.chat()), stopped(app, press.learner.lang), None).await?;
    Ok(())
}

/// How shadowing stopped ("⏹ End", `/cancel`).
pub(super) fn stopped(app: &App, lang: Lang) -> String {
    app.i18n.tr(lang, "shadow-stopped", &[]) + "\n" + &app.i18n.tr(lang, "practice-more", &[])
}

fn buttons(app: &App, lang: Lang, session: &Session) -> InlineKeyboardMarkup {
    let b = |key: &str, cb: Callback| {
        InlineKeyboardButton::callback(app.i18n.tr(lang, key, &[]), cb.encode())
    };
    InlineKeyboardMarkup::new([vec![
        b("shadow-next-button", Callback::ShadowNext { session: session.id }),
        b("shadow-end-button", Callback::ShadowEnd { session: session.id }),
    ]])
}

/// The result: words, pace, pauses, and what is not measured.
fn verdict(app: &App, lang: Lang, phrase: &Phrase, a: &Attempt) -> String {
    let t = |key: &str, args: &[(&str, Arg)]| app.i18n.tr(lang, key, args);
    let line = |key: &str, items: Vec<String>| t(key, &[("list", Arg::from(&items.join(", ")))]);
    let mut lines = vec![
        t(
            "shadow-phrase",
            &[
                ("phrase", Arg::from(phrase.cs.as_str())),
                ("translation", Arg::from(phrase.tr.get(lang))),
            ],
        ),
        String::new(),
        t("shadow-accuracy", &[("accuracy", Arg::from(u32::from(a.accuracy)))]),
    ];
    let (missed, changed, extra) = (a.missed(), a.changed(), a.extra());
    if missed.is_empty() && changed.is_empty() && extra.is_empty() {
        lines.push(t("shadow-all-words", &[]));
    }
    if !missed.is_empty() {
        lines.push(line("shadow-missed", missed.iter().map(|w| w.to_string()).collect()));
    }
    if !changed.is_empty() {
        let pairs = changed.iter().map(|(said, heard)| format!("{said} → {heard}")).collect();
        lines.push(line("shadow-changed", pairs));
    }
    if !extra.is_empty() {
        lines.push(line("shadow-extra", extra.iter().map(|w| w.to_string()).collect()));
    }
    let native = ("native", Arg::from(a.native_wpm));
    lines.push(match a.wpm {
        Some(wpm) => t("shadow-rate", &[("wpm", Arg::from(wpm)), native]),
        None => t("shadow-rate-unknown", &[native]),
    });
    if a.pauses.is_empty() {
        lines.push(t("shadow-no-pauses", &[]));
    } else {
        let each: Vec<String> = a
            .pauses
            .iter()
            .map(|p| {
                let secs = decimal(lang, p.secs);
                t(
                    "shadow-pause",
                    &[("word", Arg::from(p.after.as_str())), ("secs", Arg::from(&secs))],
                )
            })
            .collect();
        lines.push(format!("{} {}", t("shadow-pauses", &[]), each.join(", ")));
    }
    lines.push(t("shadow-limits", &[]));
    lines.push(t("shadow-again", &[]));
    lines.join("\n")
}

/// Seconds with one decimal, as the learner's language writes it: "1.2", "1,2".
fn decimal(lang: Lang, secs: f64) -> String {
    let s = format!("{secs:.1}");
    match lang {
        Lang::En => s,
        Lang::Ru | Lang::Uk => s.replace('.', ","),
    }
}
