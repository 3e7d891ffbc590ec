//! Telegram Bot API emulator.
//!
//! The bot under test is pointed at [`TelegramEmulator::api_url`] (teloxide's
//! `Bot::set_api_url` / `TELOXIDE_API_URL`) with [`TelegramEmulator::token`],
//! and otherwise runs unchanged. A test plays the user through
//! [`Learner`] handles and asserts on what the user would see
//! ([`TelegramEmulator::messages`]) and on what Telegram refused
//! ([`TelegramEmulator::rejected`], which a passing test expects empty).
//!
//! Modules, each using only those after it: `server` (routes, long polling,
//! downloads), `methods` and `send` (the Bot API methods), `webhook` (delivery
//! to the bot), `learner`, `state` (the single lock), `types`, `html` +
//! `markdown` (formatted-text parsing with Telegram's errors) over `entities`,
//! `error` (a method's error reply).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

mod entities;
mod error;
pub mod html;
mod learner;
mod markdown;
mod methods;
mod poll;
mod raw;
mod send;
mod server;
mod state;
mod types;
mod webhook;

pub use learner::Learner;
pub use types::{
    BotMessage, BotMessageKind, CallbackAnswer, CommandList, Rejection, Sent, SentEvent,
    TelegramConfig, TgFault,
};

use state::{Shared, UserInfo};

/// A running emulator; the server stops when this is dropped.
pub struct TelegramEmulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    _task: tokio::task::JoinHandle<()>,
    _webhook: tokio::task::JoinHandle<()>,
}

impl Drop for TelegramEmulator {
    fn drop(&mut self) {
        self.shared.shutdown_tx.send_replace(true);
    }
}

impl TelegramEmulator {
    /// Starts serving on `127.0.0.1:<free port>`.
    pub async fn start(cfg: TelegramConfig) -> anyhow::Result<Self> {
        let shared = Shared::new(cfg);
        let router = server::router(shared.clone());
        let (addr, task) =
            crate::loopback::serve_loopback(router, shared.shutdown_tx.subscribe()).await?;
        let webhook = tokio::spawn(webhook::run(shared.clone()));
        Ok(Self { shared, addr, _task: task, _webhook: webhook })
    }

    /// `http://127.0.0.1:PORT`, for `Bot::set_api_url` / `TELOXIDE_API_URL`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The only token accepted (others get 401 Unauthorized).
    pub fn token(&self) -> String {
        self.shared.token.clone()
    }

    /// The bot's `User` object, as `getMe` describes it (without the
    /// `can_*` capability flags).
    pub fn bot_user(&self) -> Value {
        self.shared.inner.lock().bot_user_json()
    }

    /// A user with a private chat with the bot (chat id == `user_id`).
    /// Calling it again for the same id returns a handle to the same chat,
    /// with the name and language updated.
    pub fn learner(&self, user_id: i64, first_name: &str, language_code: Option<&str>) -> Learner {
        let user = UserInfo {
            id: user_id,
            first_name: first_name.to_owned(),
            username: None,
            language_code: language_code.map(str::to_owned),
        };
        let mut st = self.shared.inner.lock();
        let existing = st.chats.get(&user_id).and_then(|c| c.user.username.clone());
        let user = UserInfo { username: existing, ..user };
        st.chat_or_create(user.clone());
        Learner { shared: self.shared.clone(), user }
    }

    /// Queues any update (give it no `update_id`; one is assigned and
    /// returned). For updates the `Learner` cannot produce.
    pub fn push_raw_update(&self, update_without_id: Value) -> i64 {
        let id = self.shared.inner.lock().push_update(update_without_id);
        self.shared.notify_updates();
        self.shared.notify_observers();
        id
    }

    /// Every message the bot sent to `chat_id`, in send order, edits
    /// applied, deleted ones included (flagged `deleted`).
    pub fn messages(&self, chat_id: i64) -> Vec<BotMessage> {
        let st = self.shared.inner.lock();
        st.chats.get(&chat_id).map(|c| c.bot_messages.clone()).unwrap_or_default()
    }

    /// Waits until at least `n` messages were sent to `chat_id` and returns
    /// them all. Panics on timeout with the chat's messages and every
    /// rejection, which usually explains why.
    pub async fn wait_messages(
        &self,
        chat_id: i64,
        n: usize,
        timeout: Duration,
    ) -> Vec<BotMessage> {
        let arrived = self.wait_until(timeout, |em| em.messages(chat_id).len() >= n).await;
        let msgs = self.messages(chat_id);
        if !arrived {
            let shown: Vec<String> = msgs
                .iter()
                .map(|m| format!("  #{} {:?}: {:?}", m.message_id, m.kind, m.plain_text()))
                .collect();
            panic!(
                "timed out after {timeout:?} waiting for {n} bot message(s) in chat {chat_id}; got {}:\n{}\n\
                 rejected requests: {:#?}\ncalls: {:?}",
                msgs.len(),
                shown.join("\n"),
                self.rejected(),
                self.shared.inner.lock().calls,
            );
        }
        msgs
    }

    /// Re-evaluates `pred` after every observable change until it holds
    /// (`true`) or `timeout` passes (`false`).
    pub async fn wait_until(&self, timeout: Duration, pred: impl Fn(&Self) -> bool) -> bool {
        let mut rx = self.shared.observe_tx.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            rx.borrow_and_update();
            if pred(self) {
                return true;
            }
            tokio::select! {
                _ = rx.changed() => {}
                _ = tokio::time::sleep_until(deadline) => return pred(self),
            }
        }
    }

    /// Every message the bot sends from now on, as it is sent (lagging receivers lose events and
    /// are told so by `RecvError::Lagged`).
    pub fn subscribe_sent(&self) -> tokio::sync::broadcast::Receiver<SentEvent> {
        self.shared.inner.lock().sent_tx.subscribe()
    }

    /// `sendChatAction` actions sent to the chat, in order.
    pub fn chat_actions(&self, chat_id: i64) -> Vec<String> {
        let st = self.shared.inner.lock();
        st.chats.get(&chat_id).map(|c| c.actions.clone()).unwrap_or_default()
    }

    pub fn callback_answers(&self) -> Vec<CallbackAnswer> {
        self.shared.inner.lock().callback_answers.clone()
    }

    /// Commands set with `setMyCommands`, per language code (`None` = all
    /// languages), sorted by language, across all scopes.
    pub fn my_commands(&self) -> Vec<(Option<String>, CommandList)> {
        let st = self.shared.inner.lock();
        let mut out: Vec<_> = st
            .commands
            .iter()
            .map(|((_, lang), cmds)| ((!lang.is_empty()).then(|| lang.clone()), cmds.clone()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Highest `offset` the bot confirmed via `getUpdates` (0 if none).
    pub fn confirmed_offset(&self) -> i64 {
        self.shared.inner.lock().confirmed_offset
    }

    /// Updates queued and not yet confirmed.
    pub fn pending_updates(&self) -> usize {
        self.shared.inner.lock().queue.len()
    }

    /// Spreads webhook deliveries round-robin over these base URLs (`http://127.0.0.1:PORT`), the
    /// way a load balancer in front of several bot replicas does; the registered URL's path and
    /// query are kept. An empty list delivers to the registered URL itself again.
    pub fn balance_webhook(&self, base_urls: Vec<String>) {
        self.shared.inner.lock().webhook.balance = base_urls;
        self.shared.notify_updates();
    }

    /// The webhook URL and secret token the bot registered (`None` when no webhook is set).
    pub fn webhook(&self) -> Option<(String, Option<String>)> {
        let st = self.shared.inner.lock();
        st.webhook_url.clone().map(|u| (u, st.webhook.secret.clone()))
    }

    /// Webhook deliveries the bot answered with 200.
    pub fn webhook_deliveries(&self) -> usize {
        self.shared.inner.lock().webhook.delivered
    }

    /// Webhook deliveries answered 200, by the `host:port` that answered, sorted.
    pub fn webhook_deliveries_by_target(&self) -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> = self
            .shared
            .inner
            .lock()
            .webhook
            .delivered_to
            .iter()
            .map(|(k, n)| (k.clone(), *n))
            .collect();
        v.sort();
        v
    }

    /// Webhook deliveries that failed (another status, refused connection, timeout), each of
    /// which is retried.
    pub fn webhook_refusals(&self) -> usize {
        self.shared.inner.lock().webhook.refused
    }

    /// The last failed delivery's error, as getWebhookInfo's `last_error_message` says it.
    pub fn webhook_last_error(&self) -> Option<String> {
        self.shared.inner.lock().webhook.last_error.as_ref().map(|(_, m)| m.clone())
    }

    /// getUpdates requests being served right now: a bot restarted while its predecessor's long
    /// poll is still open would meet Telegram's 409 "terminated by other getUpdates request".
    pub fn long_polls(&self) -> usize {
        self.shared.inner.lock().long_polls
    }

    /// Every 4xx returned to the bot, except injected faults.
    pub fn rejected(&self) -> Vec<Rejection> {
        self.shared.inner.lock().rejected.clone()
    }

    /// How many times `method` (case-insensitive) was called.
    pub fn calls(&self, method: &str) -> usize {
        self.shared.inner.lock().calls.get(&method.to_ascii_lowercase()).copied().unwrap_or(0)
    }

    /// Completed file downloads.
    pub fn downloaded_files(&self) -> usize {
        self.shared.inner.lock().downloads
    }

    /// The next `n` calls of `method` (case-insensitive) fail with `fault`
    /// (after being counted by `calls`, before their body is read).
    pub fn fail_next(&self, method: &str, n: usize, fault: TgFault) {
        let mut st = self.shared.inner.lock();
        let q = st.faults.entry(method.to_ascii_lowercase()).or_default();
        q.extend(std::iter::repeat_n(fault, n));
    }
}
