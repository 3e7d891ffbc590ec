//! `/placement`: about five minutes that measure the learner's level instead of asking for it
//! (the rules in `tutor::placement`, the state in `store::placement`).
//!
//! Two dictations — Honzík says a sentence (text-to-speech at the learner's speed), the learner
//! types what they heard — then three spoken answers to prompts of rising difficulty (voice notes,
//! transcribed verbatim), then one grading request. The result sets the learner's level and shows
//! in `/stats`. Every paid step passes the one paid gate (`access::gate`) first: the dictation's
//! voice, the transcription of an answer, the grade. The step is stored after each answer, so a
//! restart or another replica carries on where the learner was; while a test is under way the
//! learner's messages are its answers (`Awaiting::Placement`), not turns. `/placement` during a
//! test asks whether to carry on, start over or stop; `/cancel` stops it.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId};

use super::access::{Gate, gate};
use super::callbacks::Press;
use super::misc::notice;
use crate::app::App;
use crate::bot::callback::Callback;
use crate::bot::outbox::{Body, To};
use crate::bot::turn_reply::TelegramTurn;
use crate::bot::{BotError, HandlerResult, Telegram};
use crate::i18n::{Arg, Lang};
use crate::store::learners::{self, Awaiting, Learner};
use crate::store::placement as store;
use crate::turn::{AudioInput, Fence};
use crate::tutor::placement::{ITEMS, Item};
use result::{grade, with_reminder_offer};

mod result;

/// The dictations and the spoken answers: how many of each, for "1 of 2".
const DICTATIONS: usize = 2;

/// Where the learner's message or press came from: the chat, the message to reply to, and the
/// message the paid gate's notices answer.
struct Origin<'a> {
    chat: ChatId,
    reply_to: Option<MessageId>,
    msg: &'a Message,
    update_id: i64,
}

impl<'a> Origin<'a> {
    /// A message of the learner's: the answers go out as replies to it.
    fn message(msg: &'a Message, update_id: i64) -> Self {
        Origin { chat: msg.chat.id, reply_to: Some(msg.id), msg, update_id }
    }

    /// A press of one of the test's buttons: the answers follow in its chat.
    fn press(press: &'a Press) -> Self {
        Origin {
            chat: press.chat(),
            reply_to: None,
            msg: &press.message,
            update_id: press.update_id,
        }
    }

    /// Whether the paid gate refuses the step asked from here (the learner is told why).
    async fn refused(&self, app: &App, tg: &Telegram, learner: &Learner) -> Result<bool, BotError> {
        Ok(gate(app, tg, self.msg, self.update_id, learner).await? == Gate::Closed)
    }
}

/// `/placement`: starts the test, or — one under way — asks whether to carry on, start over
/// or stop.
pub async fn command(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    update_id: i64,
    learner: &Learner,
) -> HandlerResult {
    if let Some(u) = store::under_way(&app.db, learner.id).await? {
        let step = (u.step + 1).min(ITEMS.len());
        let text = app.i18n.tr(
            learner.lang,
            "placement-under-way",
            &[("position", Arg::from(step)), ("total", ITEMS.len().into())],
        );
        let keyboard = InlineKeyboardMarkup::new([
            vec![button(app, learner.lang, "placement-resume", Callback::PlacementResume)],
            vec![
                button(app, learner.lang, "placement-restart", Callback::PlacementStart),
                button(app, learner.lang, "placement-stop", Callback::PlacementStop),
            ],
        ]);
        tg.outbox.text(To::reply(msg), text, Some(keyboard)).await?;
        return Ok(());
    }
    let from = Origin::message(msg, update_id);
    if from.refused(app, tg, learner).await? {
        return Ok(());
    }
    begin(app, tg, learner, from).await
}

/// "Take the placement" (end of onboarding) or "Start over": the test from its first item. The
/// buttons stay when the paid gate refuses (the learner was told why and can press again).
pub async fn start_pressed(app: &App, tg: &Telegram, press: &Press) -> HandlerResult {
    press.answer(tg, None).await?;
    let from = Origin::press(press);
    if from.refused(app, tg, &press.learner).await? {
        return Ok(());
    }
    press.edit_keyboard(tg, None).await?;
    begin(app, tg, &press.learner, from).await
}

/// "Carry on": the item the learner is at, asked again.
pub async fn resume_pressed(app: &App, tg: &Telegram, press: &Press) -> HandlerResult {
    press.answer(tg, None).await?;
    press.edit_keyboard(tg, None).await?;
    let learner = &press.learner;
    let Some(u) = store::under_way(&app.db, learner.id).await? else {
        return say(app, tg, press.chat(), learner.lang, "placement-none").await;
    };
    let from = Origin::press(press);
    if paid(u.step) && from.refused(app, tg, learner).await? {
        return Ok(());
    }
    learners::set_awaiting(&app.db, learner.id, Some(Awaiting::Placement), app.clock.now()).await?;
    ask(app, tg, learner, u.step, u.answers, &from).await
}

/// "Stop": the test ends unfinished; the level and the last result stay, and the reminder
/// offer a test taken at the end of onboarding put off is made now (when never answered).
pub async fn stop_pressed(app: &App, tg: &Telegram, press: &Press) -> HandlerResult {
    press.answer(tg, None).await?;
    press.edit_keyboard(tg, None).await?;
    let learner = &press.learner;
    if store::under_way(&app.db, learner.id).await?.is_none() {
        return say(app, tg, press.chat(), learner.lang, "placement-none").await;
    }
    stop(app, learner).await?;
    stopped(app, tg, To::chat(press.chat()), learner).await
}

/// `/cancel` during a test: it stops, and says so. `false` when none was under way.
pub async fn cancelled(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    learner: &Learner,
) -> Result<bool, crate::bot::BotError> {
    if store::under_way(&app.db, learner.id).await?.is_none() {
        return Ok(false);
    }
    stop(app, learner).await?;
    stopped(app, tg, To::reply(msg), learner).await?;
    Ok(true)
}

async fn stop(app: &App, learner: &Learner) -> HandlerResult {
    store::cancel(&app.db, learner.id).await?;
    learners::set_awaiting(&app.db, learner.id, None, app.clock.now()).await?;
    Ok(())
}

/// "Stopped", with the reminder offer under it when it was never answered.
async fn stopped(app: &App, tg: &Telegram, to: To, learner: &Learner) -> HandlerResult {
    let text = app.i18n.tr(learner.lang, "placement-stopped", &[]);
    with_reminder_offer(app, tg, to, learner, text).await
}

/// "Skip" under the offer at the end of onboarding: no test, and the reminder offer takes its
/// place under the onboarding message, as it would have without the placement.
pub async fn skip_pressed(app: &App, tg: &Telegram, press: &Press) -> HandlerResult {
    press.answer(tg, None).await?;
    let done = super::onboarding::done_text(app, &press.learner);
    match super::remind::offer(app, &press.learner).await? {
        Some((offer, keyboard)) => {
            press.edit(tg, format!("{done}\n\n{offer}"), Some(keyboard)).await
        }
        None => press.edit(tg, done, None).await,
    }
}

/// The offer under the message that ends onboarding: its line and its two buttons.
pub fn offer(app: &App, lang: Lang) -> (String, InlineKeyboardMarkup) {
    let keyboard = InlineKeyboardMarkup::new([
        vec![button(app, lang, "placement-offer-take", Callback::PlacementStart)],
        vec![button(app, lang, "placement-offer-skip", Callback::PlacementSkip)],
    ]);
    (app.i18n.tr(lang, "placement-offer", &[]), keyboard)
}

/// A typed message during the test: a dictation's answer, or a reminder that the item asks for
/// a voice note.
pub async fn typed(
    app: Arc<App>,
    tg: Arc<Telegram>,
    msg: Message,
    update: Update,
    learner: Learner,
    text: String,
) -> HandlerResult {
    let (app, tg) = (app.as_ref(), tg.as_ref());
    let Some(u) = current(app, tg, &msg, &learner).await? else { return Ok(()) };
    let from = Origin::message(&msg, update.id.0 as i64);
    match ITEMS.get(u.step) {
        Some(Item::Dictation { .. }) => {
            let typed = text.trim();
            if typed.is_empty() {
                return notice(tg, &msg, learner.lang, "placement-type-it", &[]).await;
            }
            if paid(u.step + 1) && from.refused(app, tg, &learner).await? {
                return Ok(());
            }
            advance(app, tg, &learner, u, typed, &from).await
        }
        Some(Item::Speak { .. }) => notice(tg, &msg, learner.lang, "placement-say-it", &[]).await,
        None => {
            if from.refused(app, tg, &learner).await? {
                return Ok(());
            }
            grade(app, tg, &learner, u.answers, &from).await
        }
    }
}

/// A voice note during the test: a spoken answer, transcribed (paid, so gated first: refused,
/// it is not transcribed and the item keeps waiting), or a reminder that a dictation is typed.
pub async fn spoken(
    app: Arc<App>,
    tg: Arc<Telegram>,
    msg: Message,
    update: Update,
    fence: Arc<dyn Fence>,
    learner: Learner,
    input: AudioInput,
) -> HandlerResult {
    let (app_ref, tg_ref) = (app.as_ref(), tg.as_ref());
    let Some(u) = current(app_ref, tg_ref, &msg, &learner).await? else { return Ok(()) };
    let from = Origin::message(&msg, update.id.0 as i64);
    if let Some(Item::Dictation { .. }) = ITEMS.get(u.step) {
        return notice(tg_ref, &msg, learner.lang, "placement-type-it", &[]).await;
    }
    if from.refused(app_ref, tg_ref, &learner).await? {
        return Ok(());
    }
    if u.step >= ITEMS.len() {
        return grade(app_ref, tg_ref, &learner, u.answers, &from).await;
    }
    let show = TelegramTurn { app: &app, out: &tg.outbox, msg: &msg, lang: learner.lang };
    match crate::turn::transcribe_only(app_ref, &show, fence.as_ref(), &learner, &input).await? {
        Some(said) => advance(app_ref, tg_ref, &learner, u, &said, &from).await,
        None => notice(tg_ref, &msg, learner.lang, "placement-unheard", &[]).await,
    }
}

/// The test under way; none (it was stopped elsewhere): the learner's messages are turns again.
async fn current(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    learner: &Learner,
) -> Result<Option<store::UnderWay>, crate::bot::BotError> {
    let u = store::under_way(&app.db, learner.id).await?;
    if u.is_none() {
        learners::set_awaiting(&app.db, learner.id, None, app.clock.now()).await?;
        notice(tg, msg, learner.lang, "placement-none", &[]).await?;
    }
    Ok(u)
}

/// Starts (or starts over) the test: its intro and its first item. The caller has passed the
/// paid gate (the first dictation is Honzík's voice).
async fn begin(app: &App, tg: &Telegram, learner: &Learner, from: Origin<'_>) -> HandlerResult {
    let now = app.clock.now();
    store::start(&app.db, learner.id, now).await?;
    learners::set_awaiting(&app.db, learner.id, Some(Awaiting::Placement), now).await?;
    say(app, tg, from.chat, learner.lang, "placement-intro").await?;
    ask(app, tg, learner, 0, Vec::new(), &from).await
}

/// Whether asking item `step` is paid for: a dictation's voice, or the grade after the last.
fn paid(step: usize) -> bool {
    !matches!(ITEMS.get(step), Some(Item::Speak { .. }))
}

/// Stores the answer to the current item and asks the next (or grades the test). An answer to
/// an item already answered (a redelivered update) changes nothing.
async fn advance(
    app: &App,
    tg: &Telegram,
    learner: &Learner,
    u: store::UnderWay,
    given: &str,
    from: &Origin<'_>,
) -> HandlerResult {
    if !store::answer(&app.db, learner.id, u.step, Some(given)).await? {
        return Ok(());
    }
    let mut answers = u.answers;
    answers.resize(u.step, None);
    answers.push(Some(given.to_owned()));
    ask(app, tg, learner, u.step + 1, answers, from).await
}

/// Asks item `step`: a dictation as Honzík's voice, a spoken prompt as text; past the last,
/// the grade.
async fn ask(
    app: &App,
    tg: &Telegram,
    learner: &Learner,
    step: usize,
    answers: Vec<Option<String>>,
    from: &Origin<'_>,
) -> HandlerResult {
    let lang = learner.lang;
    let to = To::chat(from.chat).replying_to(from.reply_to);
    let stop =
        InlineKeyboardMarkup::new([[button(app, lang, "placement-stop", Callback::PlacementStop)]]);
    match ITEMS.get(step) {
        Some(Item::Dictation { czech }) => {
            let Some(voice) = crate::turn::speak_only(app, learner, czech).await else {
                return say(app, tg, from.chat, lang, "placement-no-voice").await;
            };
            let caption = app.i18n.tr(
                lang,
                "placement-dictation",
                &[("position", Arg::from(step + 1)), ("total", DICTATIONS.into())],
            );
            let file = InputFile::memory(voice).file_name("honzik.ogg");
            tg.outbox.voice(to, file, Body::Html(caption), Some(stop)).await?;
            Ok(())
        }
        Some(Item::Speak { czech }) => {
            let text = app.i18n.tr(
                lang,
                "placement-speak",
                &[
                    ("position", Arg::from(step + 1 - DICTATIONS)),
                    ("total", (ITEMS.len() - DICTATIONS).into()),
                    ("question", Arg::from(*czech)),
                ],
            );
            tg.outbox.text(to, text, Some(stop)).await?;
            Ok(())
        }
        None => grade(app, tg, learner, answers, from).await,
    }
}

async fn say(app: &App, tg: &Telegram, chat: ChatId, lang: Lang, key: &str) -> HandlerResult {
    tg.outbox.text(To::chat(chat), app.i18n.tr(lang, key, &[]), None).await?;
    Ok(())
}

fn button(app: &App, lang: Lang, key: &str, cb: Callback) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(app.i18n.tr(lang, key, &[]), cb.encode())
}
