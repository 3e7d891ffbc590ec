//! Every button press: checked once here, then handed to the handler of its kind.
//!
//! A press whose data does not decode, that is on a message the bot can no longer see or outside a
//! private chat, that comes from someone other than the learner the keyboard was sent to, or whose
//! data is not a button of the message pressed, gets a short notice and changes nothing. Telegram
//! does not check callback data against the keyboard ("a bad client can send arbitrary data"), so
//! the last check is what stops a forged `del:yes:…` on any message. Every press is answered
//! exactly once (Telegram refuses a second answer).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use teloxide::prelude::*;
use teloxide::types::{
    CallbackQuery, CallbackQueryId, InlineKeyboardButtonKind, InlineKeyboardMarkup,
    MaybeInaccessibleMessage, MessageId,
};

use super::{
    listen, misc, onboarding, placement, privacy, remind, review, scene, settings, shadow,
    timezone, words,
};
use crate::app::App;
use crate::bot::callback::Callback;
use crate::bot::{BotError, HandlerResult, Telegram};
use crate::store::learners::{self, Learner};

/// Locale keys a press can be answered with. answerCallbackQuery shows plain text of at most
/// 200 characters, so these hold no markup and take no arguments (a test checks).
pub const ANSWER_KEYS: &[&str] = &[
    "stale-button",
    "button-busy",
    "button-not-yours",
    "word-saved",
    "word-already-saved",
    "word-removed",
    "word-gone",
];

/// A press that checked out: its data decoded, its message is still there, and the one pressing
/// is the learner it was sent to.
pub struct Press {
    id: CallbackQueryId,
    answered: AtomicBool,
    pub learner: Learner,
    pub message: Message,
    /// The update the press came in (the paid gate counts an update once).
    pub update_id: i64,
}

impl Press {
    pub fn chat(&self) -> ChatId {
        self.message.chat.id
    }

    pub fn message_id(&self) -> MessageId {
        self.message.id
    }

    /// Answers the press (the button stops spinning), with a short notice when `key` is given.
    pub async fn answer(&self, tg: &Telegram, key: Option<&str>) -> HandlerResult {
        self.answered.store(true, Ordering::Relaxed);
        let text = key.map(|k| tg.outbox.i18n().tr(self.learner.lang, k, &[]));
        answer(tg, &self.id, text).await
    }

    /// Replaces the pressed message's text (HTML) and keyboard (`None` removes it).
    pub async fn edit(
        &self,
        tg: &Telegram,
        text: String,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> HandlerResult {
        tg.outbox.edit_text(self.chat(), self.message_id(), text, keyboard).await?;
        Ok(())
    }

    /// Replaces the pressed message's keyboard only.
    pub async fn edit_keyboard(
        &self,
        tg: &Telegram,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> HandlerResult {
        tg.outbox.edit_keyboard(self.chat(), self.message_id(), keyboard).await?;
        Ok(())
    }
}

async fn answer(tg: &Telegram, id: &CallbackQueryId, text: Option<String>) -> HandlerResult {
    tg.outbox.answer_press(id, text).await?;
    Ok(())
}

/// A press that did not fit in its chat's backlog (see `bot::overflow`): not acted on, but
/// answered — "still busy, press again" — so the button stops spinning and says why.
pub async fn answer_busy(app: &App, tg: &Telegram, q: &CallbackQuery) {
    let lang = misc::lang_of(app, Some(&q.from)).await;
    if let Err(e) = answer(tg, &q.id, Some(app.i18n.tr(lang, "button-busy", &[]))).await {
        tracing::warn!(error = %e, "could not answer a press beyond the backlog");
    }
}

pub async fn on_callback(
    app: Arc<App>,
    tg: Arc<Telegram>,
    q: CallbackQuery,
    update: Update,
    sender: Arc<super::access::Sender>,
) -> HandlerResult {
    match check(&app, &q, update.id.0 as i64, &sender).await? {
        Ok((press, cb)) => {
            let outcome = route(&app, &tg, &press, cb).await;
            if outcome.is_err() && !press.answered.load(Ordering::Relaxed) {
                // Failed before answering: at least stop the button spinning.
                let _ = answer(&tg, &press.id, None).await;
            }
            outcome
        }
        Err(key) => {
            let lang = misc::lang_of(&app, Some(&q.from)).await;
            answer(&tg, &q.id, Some(app.i18n.tr(lang, key, &[]))).await
        }
    }
}

/// The press and its button, or the key of the notice that refuses it.
async fn check(
    app: &App,
    q: &CallbackQuery,
    update_id: i64,
    sender: &super::access::Sender,
) -> Result<Result<(Press, Callback), &'static str>, BotError> {
    let (Some(data), Some(MaybeInaccessibleMessage::Regular(message))) =
        (q.data.as_deref(), &q.message)
    else {
        return Ok(Err("stale-button"));
    };
    let Some(cb) = Callback::decode(data).filter(|_| message.chat.is_private()) else {
        return Ok(Err("stale-button"));
    };
    if message.chat.id.0 != q.from.id.0 as i64 {
        return Ok(Err("button-not-yours"));
    }
    if !has_button(message, data) {
        return Ok(Err("stale-button"));
    }
    // A lookup error is no reason to call the button stale: the press waits for the database.
    let found = match sender.take() {
        Some(read_by_the_gate) => Ok(read_by_the_gate),
        None => learners::find(&app.db, q.from.id.0 as i64).await,
    };
    let Some(learner) = found.map_err(|e| BotError::Unavailable(e.to_string()))? else {
        return Ok(Err("stale-button"));
    };
    Ok(Ok((
        Press {
            id: q.id.clone(),
            answered: AtomicBool::new(false),
            learner,
            message: message.as_ref().clone(),
            update_id,
        },
        cb,
    )))
}

/// Whether `data` is the data of one of the message's buttons (Telegram sends the message with
/// its keyboard as it was when pressed).
fn has_button(message: &Message, data: &str) -> bool {
    message.reply_markup().is_some_and(|k| {
        k.inline_keyboard
            .iter()
            .flatten()
            .any(|b| matches!(&b.kind, InlineKeyboardButtonKind::CallbackData(d) if d == data))
    })
}

async fn route(app: &App, tg: &Telegram, press: &Press, cb: Callback) -> HandlerResult {
    match cb {
        Callback::Lang(lang) => onboarding::language_chosen(app, tg, press, lang).await,
        Callback::Level(level) => onboarding::level_chosen(app, tg, press, level).await,
        Callback::Set(setting) => settings::choose(app, tg, press, setting).await,
        Callback::TypeTimezone => timezone::ask_typed(app, tg, press).await,
        Callback::ResetYes { conversation } => misc::reset(app, tg, press, conversation).await,
        Callback::ResetNo => misc::keep(app, tg, press, "reset-kept").await,
        Callback::DeleteYes { deletions } => privacy::delete(app, tg, press, deletions).await,
        Callback::DeleteNo => misc::keep(app, tg, press, "delete-kept").await,
        Callback::Save { message, index } => words::save(app, tg, press, message, index).await,
        Callback::Unsave { word, page } => words::remove(app, tg, press, word, page).await,
        Callback::SavedPage(page) => words::show_page(app, tg, press, page).await,
        Callback::ReviewShow { session, position } => {
            review::show(app, tg, press, session, position).await
        }
        Callback::ReviewGrade { session, position, grade } => {
            review::grade(app, tg, press, session, position, grade).await
        }
        Callback::ReviewEnd { session } => review::end(app, tg, press, session).await,
        Callback::ScenePick(n) => scene::pick(app, tg, press, n).await,
        Callback::SceneHint { session } => scene::hint(app, tg, press, session).await,
        Callback::SceneEnd { session } => scene::end(app, tg, press, session).await,
        Callback::ListenNext { session, position } => {
            listen::next(app, tg, press, session, position).await
        }
        Callback::ListenEnd { session } => listen::end(app, tg, press, session).await,
        Callback::ShadowNext { session } => shadow::next(app, tg, press, session).await,
        Callback::ShadowEnd { session } => shadow::end(app, tg, press, session).await,
        Callback::BroadcastYes { id } => super::broadcast::confirmed(app, tg, press, id).await,
        Callback::BroadcastNo { id } => super::broadcast::cancelled(app, tg, press, id).await,
        Callback::RemindAccept { minute } => remind::offer_accepted(app, tg, press, minute).await,
        Callback::RemindDecline => remind::offer_declined(app, tg, press).await,
        Callback::PlacementStart => placement::start_pressed(app, tg, press).await,
        Callback::PlacementResume => placement::resume_pressed(app, tg, press).await,
        Callback::PlacementStop => placement::stop_pressed(app, tg, press).await,
        Callback::PlacementSkip => placement::skip_pressed(app, tg, press).await,
    }
}
