//! The one way out to Telegram: every message, edit, chat action and button answer the bot
//! makes goes through [`Outbox`], so pacing, retries and what happens when a learner has
//! blocked the bot are decided once, here.
//!
//! # Pacing and retries
//!
//! Every send (text, voice, photo, document) waits for its slot in the [`Pacer`] — retries
//! included — so Telegram's limits are kept by the whole bot, turns, reminders and broadcasts
//! together; 429s, network errors and 5xx are retried as far as that is safe (`outbox::retry`).
//! Edits, chat actions and button answers are not rate-limited by Telegram and skip the pacer.
//!
//! # A learner who blocked the bot
//!
//! One policy, applied here and nowhere else:
//!
//! - **Telegram says so.** A send or an edit answered 403 "blocked by the user" (or the account
//!   deactivated, the chat gone) marks the learner blocked in the store (`learners::LearnerStatus::Blocked`),
//!   and the caller gets [`OutboxError::Blocked`]. Unblocking reaches the bot as a membership
//!   update, which marks them active again (`handlers::misc::membership`).
//! - **Background sends skip them.** A send nobody asked for just now ([`To::unprompted`]:
//!   daily reminders, broadcasts, alerts to admins) to a learner already marked blocked is not
//!   attempted ([`OutboxError::Skipped`]): it would only meet the same 403.
//! - **Answers are sent regardless.** An answer to an update just received (a reply to a
//!   message, what follows a button press, any notice about it) goes out whatever the mark says:
//!   whoever just wrote to the bot can read its answer, and a stale mark must not silence it.
//! - **Nothing more after a 403.** The error propagates, so the handler stops there: no further
//!   message for that update meets the 403 again (the turn sends no "something went wrong" after
//!   one, see [`OutboxError::recipient_gone`]).
//!
//! A private chat's id is its user's id, so the learner marked is the chat's; a group (negative
//! id) is nobody's learner and is never marked.

mod address;
mod edits;
mod poll;
mod retry;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{
    CallbackQueryId, ChatAction, FileId, InlineKeyboardMarkup, InputFile, MessageId, ParseMode,
    ReplyParameters,
};

use address::addressed;
pub use edits::LastEdits;
pub use poll::Quiz;
pub use retry::{is_blocked, is_transient};

use super::pace::Pacer;
use crate::i18n::{Arg, I18n, Lang};
use crate::progress::Clock;
use crate::store::{StoreError, learners};

/// How long a chat told to send one message at a time is not told again.
const OVERFLOW_QUIET: Duration = Duration::from_secs(60);

/// Notices that a burst would repeat, told once per burst ([`Outbox::first_in_burst`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Repeated {
    /// "Send one message at a time": an update did not fit its chat's backlog.
    Overflow,
    /// "There is nothing to cancel".
    NothingToCancel,
}

/// Why something did not reach Telegram.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// Telegram refused, or could not be reached even after the safe retries.
    #[error("telegram: {0}")]
    Telegram(RequestError),
    /// The learner blocked the bot (or is gone): Telegram answered 403, and they are now marked.
    #[error("the recipient blocked the bot: {0}")]
    Blocked(RequestError),
    /// Not attempted: a background send to a learner already marked blocked.
    #[error("not sent: the learner blocked the bot")]
    Skipped,
    /// Whether the learner is marked blocked could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OutboxError {
    /// Telegram failing on its side (5xx, network) after the retries: a later try may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, OutboxError::Telegram(e) if is_transient(e))
    }

    /// The recipient cannot be written to: nothing more is to be sent to them for this update.
    pub fn recipient_gone(&self) -> bool {
        matches!(self, OutboxError::Blocked(_) | OutboxError::Skipped)
    }
}

/// Where a message goes, and on what occasion (which decides the blocked-learner policy).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct To {
    pub chat: ChatId,
    /// Shown as a reply to this message (sent anyway should it have been deleted meanwhile).
    pub reply_to: Option<MessageId>,
    /// Nobody asked for it just now (reminders, broadcasts, alerts): skipped for a learner
    /// marked blocked.
    pub unprompted: bool,
}

impl To {
    /// In a chat whose update is being answered (a button press's follow-up, onboarding).
    pub fn chat(chat: ChatId) -> To {
        To { chat, reply_to: None, unprompted: false }
    }

    /// As a reply to a message just received.
    pub fn reply(msg: &Message) -> To {
        To { chat: msg.chat.id, reply_to: Some(msg.id), unprompted: false }
    }

    /// A send nobody asked for just now: not attempted to a learner marked blocked.
    pub fn unprompted(chat: ChatId) -> To {
        To { chat, reply_to: None, unprompted: true }
    }

    /// The same, shown as a reply to `id` when there is one.
    pub fn replying_to(self, id: Option<MessageId>) -> To {
        To { reply_to: id, ..self }
    }

    fn reply_parameters(&self) -> Option<ReplyParameters> {
        self.reply_to.map(|id| ReplyParameters::new(id).allow_sending_without_reply())
    }
}

impl From<&Message> for To {
    fn from(msg: &Message) -> To {
        To::reply(msg)
    }
}

impl From<ChatId> for To {
    fn from(chat: ChatId) -> To {
        To::chat(chat)
    }
}

/// A caption or text and how Telegram is to read it.
#[derive(Clone, Debug)]
pub enum Body {
    /// Our own HTML (escaped where it carries anyone's text).
    Html(String),
    /// Shown as typed (an admin's broadcast: no markup to get wrong).
    Plain(String),
}

/// The bot's way out; one per process, built at start-up and shared through `bot::Telegram`.
pub struct Outbox {
    bot: Bot,
    pacer: Pacer,
    i18n: Arc<I18n>,
    /// Where blocked learners are marked (and looked up before a background send).
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    /// The last edit of each recent message, so an identical edit is not sent again. Owned
    /// here, not process-wide: two bots in one process (as in the tests) must not share it.
    edits: Mutex<LastEdits>,
    /// Chats told recently something that would only repeat itself in a burst (send one message
    /// at a time, nothing to cancel): the notice goes out once per burst.
    told: Mutex<HashMap<(Repeated, i64), Instant>>,
}

impl Outbox {
    pub fn new(
        bot: Bot,
        pacer: Pacer,
        i18n: Arc<I18n>,
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Outbox { bot, pacer, i18n, db, clock, edits: Default::default(), told: Default::default() }
    }

    /// The client itself, for what is not a message: polling, the webhook's registration, the
    /// command menu, downloads.
    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    pub fn i18n(&self) -> &I18n {
        &self.i18n
    }

    /// HTML text with an optional keyboard.
    pub async fn text(
        &self,
        to: impl Into<To>,
        html: String,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> Result<Message, OutboxError> {
        let to = to.into();
        self.deliver(to, "text", || {
            let req = self.bot.send_message(to.chat, html.clone()).parse_mode(ParseMode::Html);
            addressed(req, &to, keyboard.as_ref()).into_future()
        })
        .await
    }

    /// Text shown exactly as given (no markup).
    pub async fn plain_text(
        &self,
        to: impl Into<To>,
        text: String,
    ) -> Result<Message, OutboxError> {
        let to = to.into();
        self.deliver(to, "plain text", || {
            addressed(self.bot.send_message(to.chat, text.clone()), &to, None).into_future()
        })
        .await
    }

    /// A short localized notice: the locale's `key` with `args`, in `lang`.
    pub async fn notice(
        &self,
        to: impl Into<To>,
        lang: Lang,
        key: &str,
        args: &[(&str, Arg<'_>)],
    ) -> Result<Message, OutboxError> {
        self.text(to, self.i18n.tr(lang, key, args), None).await
    }

    /// A voice message with a caption and an optional keyboard.
    pub async fn voice(
        &self,
        to: impl Into<To>,
        voice: InputFile,
        caption: Body,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> Result<Message, OutboxError> {
        let to = to.into();
        self.deliver(to, "voice", || {
            let req = self.bot.send_voice(to.chat, voice.clone());
            let req = match &caption {
                Body::Html(c) => req.caption(c.clone()).parse_mode(ParseMode::Html),
                Body::Plain(c) => req.caption(c.clone()),
            };
            addressed(req, &to, keyboard.as_ref()).into_future()
        })
        .await
    }

    /// A picture with an HTML caption.
    pub async fn photo(
        &self,
        to: impl Into<To>,
        photo: InputFile,
        caption: String,
    ) -> Result<Message, OutboxError> {
        let to = to.into();
        self.deliver(to, "photo", || {
            let req = self
                .bot
                .send_photo(to.chat, photo.clone())
                .caption(caption.clone())
                .parse_mode(ParseMode::Html);
            addressed(req, &to, None).into_future()
        })
        .await
    }

    /// A file with an HTML caption.
    pub async fn document(
        &self,
        to: impl Into<To>,
        document: InputFile,
        caption: String,
    ) -> Result<Message, OutboxError> {
        let to = to.into();
        self.deliver(to, "document", || {
            let req = self
                .bot
                .send_document(to.chat, document.clone())
                .caption(caption.clone())
                .parse_mode(ParseMode::Html);
            addressed(req, &to, None).into_future()
        })
        .await
    }

    /// Keeps "typing…" or "recording voice…" visible in `chat` until the returned guard is
    /// dropped (Telegram drops an action after ~5 s, so it is sent again every 4). Best effort:
    /// it only decorates, and a failure is not worth a word.
    pub fn keep_showing(&self, chat: ChatId, action: ChatAction) -> Showing {
        let bot = self.bot.clone();
        Showing(tokio::spawn(async move {
            loop {
                let _ = bot.send_chat_action(chat, action).await;
                tokio::time::sleep(Duration::from_secs(4)).await;
            }
        }))
    }

    /// Answers a button press (its spinner stops), with a short plain notice when given.
    pub async fn answer_press(
        &self,
        id: &CallbackQueryId,
        text: Option<String>,
    ) -> Result<(), OutboxError> {
        let req = self.bot.answer_callback_query(id.clone());
        let answered = match text {
            Some(t) => req.text(t).await,
            None => req.await,
        };
        answered.map(drop).map_err(OutboxError::Telegram)
    }

    /// A file's download path (getFile), with the safe retries.
    pub async fn get_file(&self, id: &FileId) -> Result<teloxide::types::File, RequestError> {
        retry::with_retry("getFile", || self.bot.get_file(id.clone()).into_future()).await
    }

    /// Whether `chat`, whose update did not fit its backlog, is to be told to send one message
    /// at a time now: once per burst (after a minute without overflowing it is told again).
    pub fn first_overflow(&self, chat: ChatId) -> bool {
        self.first_in_burst(Repeated::Overflow, chat)
    }

    /// Whether `chat` is to be told `what` now: once per burst of the same notice (after a
    /// minute without one it is told again), so a flood of `/cancel` — which runs outside the
    /// chat's queue — or of overflowing updates costs one message, not one each.
    pub fn first_in_burst(&self, what: Repeated, chat: ChatId) -> bool {
        let mut told = self.told.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        told.retain(|_, t| now.duration_since(*t) < OVERFLOW_QUIET);
        told.insert((what, chat.0), now).is_none()
    }

    /// One send under the policy: skipped when it may not go, paced and retried when it may,
    /// the learner marked when Telegram says they blocked the bot.
    async fn deliver<T, F, Fut>(&self, to: To, what: &'static str, f: F) -> Result<T, OutboxError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, RequestError>>,
    {
        if to.unprompted
            && let Some(user) = learner_of(to.chat)
            && learners::is_blocked(&self.db, user).await?
        {
            return Err(OutboxError::Skipped);
        }
        let sent = retry::paced(&self.pacer, to.chat, what, f).await;
        self.settle(to.chat, sent).await
    }

    /// Telegram's answer to a request for `chat`, with a 403 turned into the learner's mark.
    async fn settle<T>(
        &self,
        chat: ChatId,
        sent: Result<T, RequestError>,
    ) -> Result<T, OutboxError> {
        match sent {
            Ok(v) => Ok(v),
            Err(e) if is_blocked(&e) => {
                if let Some(user) = learner_of(chat) {
                    self.mark_blocked(user).await;
                }
                Err(OutboxError::Blocked(e))
            }
            Err(e) => Err(OutboxError::Telegram(e)),
        }
    }

    async fn mark_blocked(&self, user_id: i64) {
        tracing::info!(user_id, "the learner blocked the bot; not sending to them any more");
        let now = self.clock.now();
        if let Err(e) =
            learners::set_status(&self.db, user_id, learners::LearnerStatus::Blocked, now).await
        {
            tracing::warn!(user_id, error = %e, "could not mark the learner blocked");
        }
    }
}

/// A chat action kept up by [`Outbox::keep_showing`]; it stops when this is dropped.
pub struct Showing(tokio::task::JoinHandle<()>);

impl Drop for Showing {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The learner a chat belongs to: a private chat's id is its user's; a group's is nobody's.
fn learner_of(chat: ChatId) -> Option<i64> {
    (chat.0 > 0).then_some(chat.0)
}
