//! Everything that is not onboarding, a turn or a setting: help, unknown commands, `/reset`,
//! `/cancel`, unsupported messages, edits, membership — and the two reply helpers the other
//! handlers share.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{ChatMemberUpdated, InlineKeyboardMarkup};

use super::callbacks::Press;
use crate::app::App;
use crate::bot::callback::Callback;
use crate::bot::outbox::{Repeated, To};
use crate::bot::views::{ECHO_MAX, clip};
use crate::bot::{BotError, CancelTurn, HandlerResult, Telegram, keyboards};
use crate::i18n::{Arg, Lang};
use crate::store::{self, StoreError, learners::Learner};

/// Who sent a message, as far as the database can tell right now.
#[derive(Clone, Debug)]
pub enum Lookup {
    Known(Box<Learner>),
    /// Nobody we know: onboarding starts.
    Stranger,
    /// The database failed (why, for the log). Not a stranger: treating a lookup error as "no
    /// learner" would greet a learner in the middle of a conversation with onboarding. The update
    /// waits for the database instead ([`unavailable`]).
    Failed(String),
}

impl Lookup {
    pub fn learner(self) -> Option<Learner> {
        match self {
            Lookup::Known(l) => Some(*l),
            _ => None,
        }
    }

    pub fn failed(self) -> bool {
        matches!(self, Lookup::Failed(_))
    }
}

/// Looks up the learner who sent `msg` (injected into the handler tree).
pub async fn lookup(app: Arc<App>, msg: Message, sender: Arc<super::access::Sender>) -> Lookup {
    let found = match sender.take() {
        Some(read_by_the_gate) => Ok(read_by_the_gate),
        None => load_learner_of(&app, &msg).await,
    };
    match found {
        Ok(Some(l)) => Lookup::Known(Box::new(l)),
        Ok(None) => Lookup::Stranger,
        Err(e) => {
            tracing::error!(error = %e, "could not load learner");
            Lookup::Failed(e.to_string())
        }
    }
}

/// The learner lookup failed: nothing is done now; the intake tells the learner and tries the
/// update again (`BotError::Unavailable`).
pub async fn unavailable(lookup: Lookup) -> HandlerResult {
    match lookup {
        Lookup::Failed(why) => Err(BotError::Unavailable(why)),
        _ => Ok(()),
    }
}

pub async fn load_learner_of(app: &App, msg: &Message) -> Result<Option<Learner>, StoreError> {
    let Some(user) = msg.from.as_ref() else { return Ok(None) };
    store::learners::find(&app.read, user.id.0 as i64).await
}

/// The learner's language, or the one Telegram reports for them, or English.
pub async fn lang_of(app: &App, user: Option<&teloxide::types::User>) -> Lang {
    let Some(user) = user else { return Lang::En };
    if let Ok(Some(l)) = store::learners::find(&app.read, user.id.0 as i64).await {
        return l.lang;
    }
    Lang::from_telegram(user.language_code.as_deref()).unwrap_or(Lang::En)
}

/// Sends a short localized notice as a reply to `msg`.
pub async fn notice(
    tg: &Telegram,
    msg: &Message,
    lang: Lang,
    key: &str,
    args: &[(&str, Arg<'_>)],
) -> HandlerResult {
    tg.outbox.notice(To::reply(msg), lang, key, args).await?;
    Ok(())
}

/// Replies to `msg` with HTML text and an optional keyboard.
pub async fn reply(
    tg: &Telegram,
    msg: &Message,
    text: String,
    keyboard: Option<InlineKeyboardMarkup>,
) -> HandlerResult {
    tg.outbox.text(To::reply(msg), text, keyboard).await?;
    Ok(())
}

pub async fn help(app: Arc<App>, tg: Arc<Telegram>, msg: Message) -> HandlerResult {
    let lang = lang_of(&app, msg.from.as_ref()).await;
    notice(&tg, &msg, lang, "help", &[]).await
}

/// `/foo`: not a command we know — a hint instead of a turn about "/foo".
pub async fn unknown_command(app: Arc<App>, tg: Arc<Telegram>, msg: Message) -> HandlerResult {
    let lang = lang_of(&app, msg.from.as_ref()).await;
    let command = msg.text().and_then(|t| t.split_whitespace().next()).unwrap_or("/");
    notice(
        &tg,
        &msg,
        lang,
        "unknown-command",
        &[("command", clip(command, ECHO_MAX).as_str().into())],
    )
    .await
}

/// `/reset`: asks first — a new conversation makes Honzík forget the context.
pub async fn ask_reset(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    learner: &Learner,
) -> HandlerResult {
    let current = store::conversations::current(&app.db, learner.id, app.clock.now()).await?;
    let yes = ("reset-yes", Callback::ResetYes { conversation: current.id });
    let keyboard =
        keyboards::confirm(&app.i18n, learner.lang, yes, ("reset-no", Callback::ResetNo));
    reply(tg, msg, app.i18n.tr(learner.lang, "reset-ask", &[]), Some(keyboard)).await
}

/// "Yes, start fresh": a new conversation, unless the one asked about is already gone (the
/// button was pressed twice, or after another reset) — then nothing changes.
pub async fn reset(app: &App, tg: &Telegram, press: &Press, asked_about: i64) -> HandlerResult {
    let now = app.clock.now();
    if store::conversations::current(&app.db, press.learner.id, now).await?.id != asked_about {
        return press.answer(tg, Some("stale-button")).await;
    }
    store::conversations::start_new(&app.db, press.learner.id, now).await?;
    press.answer(tg, None).await?;
    press.edit(tg, app.i18n.tr(press.learner.lang, "reset-done", &[]), None).await
}

/// "No" under a question: say nothing changed, in place of the question.
pub async fn keep(app: &App, tg: &Telegram, press: &Press, key: &str) -> HandlerResult {
    press.answer(tg, None).await?;
    press.edit(tg, app.i18n.tr(press.learner.lang, key, &[]), None).await
}

/// `/cancel`: abandons the turn running for this chat (it runs outside the chat's queue, so it
/// acts while that turn is still going), and any question the bot was waiting on.
pub async fn cancel(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    running: &dyn CancelTurn,
) -> HandlerResult {
    let lang = lang_of(app, msg.from.as_ref()).await;
    let stopped = running.cancel(msg.chat.id.0);
    let mut dropped_question = false;
    if let Some(learner) = load_learner_of(app, msg).await? {
        if learner.awaiting.is_some() {
            store::learners::set_awaiting(&app.db, learner.id, None, app.clock.now()).await?;
            dropped_question = true;
            // A review session ends with its summary instead of the generic notice.
            if !stopped
                && learner.awaiting == Some(store::learners::Awaiting::ReviewAnswer)
                && super::review::cancelled(app, tg, msg, &learner).await?
            {
                return Ok(());
            }
        }
        // So does a scene (with its debrief), a dictation or shadowing.
        if !stopped && super::practice_common::cancelled(app, tg, msg, &learner).await? {
            return Ok(());
        }
        // A placement test stops, and says so.
        if !stopped
            && learner.awaiting == Some(store::learners::Awaiting::Placement)
            && super::placement::cancelled(app, tg, msg, &learner).await?
        {
            return Ok(());
        }
    }
    let key = match (stopped, dropped_question) {
        (true, _) => "cancel-done",
        (false, true) => "cancel-question",
        // Said once per burst: `/cancel` runs outside the chat's queue, so a flood of them
        // would otherwise cost one message each.
        (false, false) if !tg.outbox.first_in_burst(Repeated::NothingToCancel, msg.chat.id) => {
            return Ok(());
        }
        (false, false) => "cancel-nothing",
    };
    notice(tg, msg, lang, key, &[]).await
}

/// Stickers, photos, documents that are not audio…: say what Honzík understands.
pub async fn unsupported(tg: Arc<Telegram>, msg: Message, learner: Learner) -> HandlerResult {
    notice(&tg, &msg, learner.lang, "unsupported-message", &[]).await
}

/// Edits are not new turns: the original message already has its turn (answered, or on its way),
/// and answering the edit as well would be a second turn — a second model call, a second score
/// and a second set of stars — for one message. Silently ignoring it would leave the learner
/// waiting for an answer that never comes, so a one-line note says to send it anew. (Edits in
/// groups never get here: see `groups`.)
pub async fn edited(app: Arc<App>, tg: Arc<Telegram>, msg: Message) -> HandlerResult {
    let lang = lang_of(&app, msg.from.as_ref()).await;
    notice(&tg, &msg, lang, "edited-ignored", &[]).await
}

/// The learner blocked or unblocked the bot: remember it, so nothing is sent in vain. Only the
/// private chat says that: someone adding the bot to a group or removing it from one has not
/// blocked it.
pub async fn membership(app: Arc<App>, upd: ChatMemberUpdated) -> HandlerResult {
    if !upd.chat.is_private() {
        return Ok(());
    }
    let status = if upd.new_chat_member.is_banned() || upd.new_chat_member.is_left() {
        store::learners::LearnerStatus::Blocked
    } else {
        store::learners::LearnerStatus::Active
    };
    store::learners::set_status(&app.db, upd.from.id.0 as i64, status, app.clock.now()).await?;
    Ok(())
}
