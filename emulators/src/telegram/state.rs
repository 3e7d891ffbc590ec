//! Everything the Telegram emulator remembers, behind one lock.
//!
//! One `parking_lot::Mutex<Inner>` keeps it simple and consistent: every
//! Bot API call and every learner action is a short critical section with no
//! `.await` inside. Two `watch` channels wake waiters without polling: one
//! for long-polling `getUpdates`, one for tests waiting on what the bot did.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::html;
use super::types::{
    BotMessage, BotMessageKind, CallbackAnswer, Rejection, TelegramConfig, TgFault,
};

/// State shared by the HTTP server, the emulator handle and learners.
pub(crate) struct Shared {
    pub inner: Mutex<Inner>,
    pub token: String,
    /// Bumped on every new update and every new `getUpdates` call.
    pub updates_tx: watch::Sender<u64>,
    /// Bumped on every change a test could observe.
    pub observe_tx: watch::Sender<u64>,
    /// Set to `true` when the emulator is dropped: stops the server and
    /// releases hanging handlers.
    pub shutdown_tx: watch::Sender<bool>,
}

impl Shared {
    pub fn new(cfg: TelegramConfig) -> Arc<Self> {
        let token = format!("{}:TEST", cfg.bot_id);
        Arc::new(Self {
            inner: Mutex::new(Inner::new(cfg)),
            token,
            updates_tx: watch::channel(0).0,
            observe_tx: watch::channel(0).0,
            shutdown_tx: watch::channel(false).0,
        })
    }

    pub fn notify_updates(&self) {
        self.updates_tx.send_modify(|v| *v += 1);
    }

    pub fn notify_observers(&self) {
        self.observe_tx.send_modify(|v| *v += 1);
    }
}

#[derive(Debug, Clone)]
pub(crate) struct UserInfo {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub language_code: Option<String>,
}

impl UserInfo {
    pub fn json(&self) -> Value {
        let mut v = json!({ "id": self.id, "is_bot": false, "first_name": self.first_name });
        if let Some(u) = &self.username {
            v["username"] = json!(u);
        }
        if let Some(l) = &self.language_code {
            v["language_code"] = json!(l);
        }
        v
    }

    /// The private chat with this user (chat id == user id).
    pub fn chat_json(&self) -> Value {
        let mut v = json!({ "id": self.id, "type": "private", "first_name": self.first_name });
        if let Some(u) = &self.username {
            v["username"] = json!(u);
        }
        v
    }
}

pub(crate) struct Chat {
    pub user: UserInfo,
    /// The `Chat` object of a group this is (the private chat with `user` when `None`).
    pub group: Option<Value>,
    /// Private chats number their messages with one counter for both sides.
    pub next_message_id: i64,
    /// The learner's messages as last delivered (for replies and edits).
    pub learner_messages: HashMap<i64, Value>,
    pub bot_messages: Vec<BotMessage>,
    pub actions: Vec<String>,
    pub blocked: bool,
    /// Flood-control token bucket.
    pub tokens: f64,
    pub refilled: Instant,
}

impl Chat {
    pub fn next_id(&mut self) -> i64 {
        self.next_message_id += 1;
        self.next_message_id
    }

    pub fn bot_message(&self, id: i64) -> Option<&BotMessage> {
        self.bot_messages.iter().find(|m| m.message_id == id && !m.deleted)
    }

    pub fn bot_message_mut(&mut self, id: i64) -> Option<&mut BotMessage> {
        self.bot_messages.iter_mut().find(|m| m.message_id == id && !m.deleted)
    }
}

/// A file Telegram stores (uploaded by the learner or by the bot).
#[derive(Clone)]
pub(crate) struct StoredFile {
    pub file_id: String,
    pub unique_id: String,
    pub path: String,
    pub bytes: Arc<Vec<u8>>,
}

pub(crate) struct Inner {
    pub cfg: TelegramConfig,
    /// Every message the bot sends, as it is sent: what a load generator listens to instead of
    /// polling every chat.
    pub sent_tx: tokio::sync::broadcast::Sender<super::types::SentEvent>,
    pub next_update_id: i64,
    /// Updates not yet confirmed, oldest first, each with its `update_id`.
    pub queue: VecDeque<Value>,
    pub confirmed_offset: i64,
    /// Last `allowed_updates` the bot gave (Telegram remembers it).
    pub allowed_updates: Option<Vec<String>>,
    pub webhook_url: Option<String>,
    /// Delivery state of the webhook (`super::webhook`).
    pub webhook: WebhookState,
    /// Incremented by each `getUpdates`; an older long poll that sees a newer
    /// generation is "terminated by other getUpdates request".
    pub poll_generation: u64,
    /// getUpdates requests being served right now (long polls included).
    pub long_polls: usize,
    pub chats: HashMap<i64, Chat>,
    pub files: HashMap<String, StoredFile>,
    pub paths: HashMap<String, String>,
    next_file: u64,
    /// Callback query id → answered.
    pub callbacks: HashMap<String, bool>,
    next_callback: u64,
    pub callback_answers: Vec<CallbackAnswer>,
    /// (scope JSON, language code) → commands.
    pub commands: BTreeMap<(String, String), Vec<(String, String)>>,
    pub rejected: Vec<Rejection>,
    pub calls: HashMap<String, usize>,
    pub downloads: usize,
    pub faults: HashMap<String, VecDeque<TgFault>>,
    pub global_sends: VecDeque<Instant>,
}

pub(crate) fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

impl Inner {
    fn new(cfg: TelegramConfig) -> Self {
        Self {
            cfg,
            sent_tx: tokio::sync::broadcast::channel(1 << 16).0,
            // Real update ids are large and do not start at 1; a bot that
            // assumes otherwise should notice.
            next_update_id: 815_000_000,
            queue: VecDeque::new(),
            confirmed_offset: 0,
            allowed_updates: None,
            webhook_url: None,
            webhook: Default::default(),
            poll_generation: 0,
            long_polls: 0,
            chats: HashMap::new(),
            files: HashMap::new(),
            paths: HashMap::new(),
            next_file: 0,
            callbacks: HashMap::new(),
            next_callback: 0,
            callback_answers: Vec::new(),
            commands: BTreeMap::new(),
            rejected: Vec::new(),
            calls: HashMap::new(),
            downloads: 0,
            faults: HashMap::new(),
            global_sends: VecDeque::new(),
        }
    }

    pub fn bot_user_json(&self) -> Value {
        json!({
            "id": self.cfg.bot_id,
            "is_bot": true,
            "first_name": self.cfg.bot_first_name,
            "username": self.cfg.bot_username,
        })
    }

    /// Appends an update (without id) and returns its id.
    pub fn push_update(&mut self, mut update: Value) -> i64 {
        // Any callback query delivered (raw ones included) can be answered once.
        if let Some(q) = update["callback_query"]["id"].as_str() {
            self.callbacks.entry(q.to_owned()).or_insert(false);
        }
        let id = self.next_update_id;
        self.next_update_id += 1;
        update["update_id"] = json!(id);
        self.queue.push_back(update);
        id
    }

    pub fn chat_or_create(&mut self, user: UserInfo) -> &mut Chat {
        let chat = self.chats.entry(user.id).or_insert_with(|| Chat {
            user: user.clone(),
            group: None,
            next_message_id: 0,
            learner_messages: HashMap::new(),
            bot_messages: Vec::new(),
            actions: Vec::new(),
            blocked: false,
            tokens: 3.0,
            refilled: Instant::now(),
        });
        chat.user = user;
        chat
    }

    /// Stores bytes as a Telegram file; `dir` and `ext` shape the
    /// `file_path` like Telegram's ("voice/file_3.oga").
    pub fn store_file(&mut self, bytes: Vec<u8>, dir: &str, ext: &str) -> StoredFile {
        self.next_file += 1;
        let n = self.next_file;
        let file = StoredFile {
            // Opaque, URL-safe, unique; shaped like real ids.
            file_id: format!("AwACAgIAAxkBAAI{n:06}{:x}", self.cfg.bot_id),
            unique_id: format!("AgAD{n:06}"),
            path: format!("{dir}/file_{n}.{ext}"),
            bytes: Arc::new(bytes),
        };
        self.paths.insert(file.path.clone(), file.file_id.clone());
        self.files.insert(file.file_id.clone(), file.clone());
        file
    }

    pub fn new_callback_id(&mut self, user_id: i64) -> String {
        self.next_callback += 1;
        let id = format!("{}{:06}", user_id.unsigned_abs() % 1_000_000_000, self.next_callback);
        self.callbacks.insert(id.clone(), false);
        id
    }

    /// The Message JSON Telegram returns for (and attaches to updates
    /// about) a bot message.
    pub fn bot_message_json(&self, m: &BotMessage, with_reply: bool) -> Value {
        let chat = &self.chats[&m.chat_id];
        let mut v = json!({
            "message_id": m.message_id,
            "from": self.bot_user_json(),
            "chat": chat.group.clone().unwrap_or_else(|| chat.user.chat_json()),
            "date": m.date,
        });
        if m.edits > 0 {
            v["edit_date"] = json!(now_unix());
        }
        let parsed =
            |raw: &str| html::parse(raw, m.parse_mode.as_deref(), false).unwrap_or_default();
        if let Some(t) = &m.text {
            let p = parsed(t);
            v["text"] = json!(p.text);
            if !p.entities.is_empty() {
                v["entities"] =
                    Value::Array(p.entities.iter().map(html::Entity::to_json).collect());
            }
        }
        if let Some(c) = &m.caption {
            let p = parsed(c);
            if !p.text.is_empty() {
                v["caption"] = json!(p.text);
            }
            if !p.entities.is_empty() {
                v["caption_entities"] =
                    Value::Array(p.entities.iter().map(html::Entity::to_json).collect());
            }
        }
        if let Some(fid) = &m.file_id {
            let f = &self.files[fid];
            let size = f.bytes.len();
            match m.kind {
                BotMessageKind::Voice => {
                    v["voice"] = json!({
                        "file_id": f.file_id, "file_unique_id": f.unique_id,
                        "duration": m.duration.unwrap_or(0), "mime_type": "audio/ogg", "file_size": size,
                    });
                }
                BotMessageKind::Audio => {
                    v["audio"] = json!({
                        "file_id": f.file_id, "file_unique_id": f.unique_id,
                        "duration": m.duration.unwrap_or(0), "mime_type": "audio/mpeg", "file_size": size,
                    });
                }
                BotMessageKind::Photo => {
                    v["photo"] = json!([{
                        "file_id": f.file_id, "file_unique_id": f.unique_id,
                        "file_size": size, "width": 800, "height": 800,
                    }]);
                }
                BotMessageKind::Document => {
                    v["document"] = json!({
                        "file_id": f.file_id, "file_unique_id": f.unique_id, "file_size": size,
                        "file_name": f.path.rsplit('/').next().unwrap_or("file"),
                    });
                }
                BotMessageKind::Text | BotMessageKind::Poll => {}
            }
        }
        if let Some(poll) = &m.poll {
            v["poll"] = poll.clone();
        }
        let reply =
            m.reply_to.filter(|_| with_reply).and_then(|r| self.message_json(m.chat_id, r, false));
        if let Some(target) = reply {
            v["reply_to_message"] = target;
        }
        // Telegram echoes only inline keyboards in Message.reply_markup.
        if let Some(markup) = m.reply_markup.as_ref().filter(|m| m.get("inline_keyboard").is_some())
        {
            v["reply_markup"] = markup.clone();
        }
        v
    }

    /// Any live message of the chat (learner's or bot's) as JSON.
    pub fn message_json(&self, chat_id: i64, message_id: i64, with_reply: bool) -> Option<Value> {
        let chat = self.chats.get(&chat_id)?;
        if let Some(m) = chat.learner_messages.get(&message_id) {
            let mut m = m.clone();
            if let Some(o) = m.as_object_mut().filter(|_| !with_reply) {
                o.remove("reply_to_message");
            }
            return Some(m);
        }
        chat.bot_message(message_id).map(|m| self.bot_message_json(m, with_reply))
    }

    pub fn message_exists(&self, chat_id: i64, message_id: i64) -> bool {
        self.chats.get(&chat_id).is_some_and(|c| {
            c.learner_messages.contains_key(&message_id) || c.bot_message(message_id).is_some()
        })
    }

    /// Flood control for one outgoing message. `Err(retry_after)` when over
    /// the limit; the message is not counted then.
    pub fn flood_check(&mut self, chat_id: i64) -> Result<(), u32> {
        if !self.cfg.flood_limits {
            return Ok(());
        }
        let now = Instant::now();
        while self.global_sends.front().is_some_and(|t| now.duration_since(*t).as_secs_f64() >= 1.0)
        {
            self.global_sends.pop_front();
        }
        if self.global_sends.len() >= 30 {
            return Err(1);
        }
        let chat = self.chats.get_mut(&chat_id).expect("caller checked the chat");
        let refill = now.duration_since(chat.refilled).as_secs_f64();
        chat.tokens = (chat.tokens + refill).min(3.0);
        chat.refilled = now;
        if chat.tokens < 1.0 {
            return Err((1.0 - chat.tokens).ceil().max(1.0) as u32);
        }
        chat.tokens -= 1.0;
        self.global_sends.push_back(now);
        Ok(())
    }

    /// Takes the next injected fault for `method` (lower-cased), if any.
    pub fn take_fault(&mut self, method: &str) -> Option<TgFault> {
        let q = self.faults.get_mut(method)?;
        let f = q.pop_front();
        if q.is_empty() {
            self.faults.remove(method);
        }
        f
    }
}

/// Drops queued updates of types the bot did not ask for (its last `allowed_updates`, or
/// Telegram's default set), as Telegram does before delivering by either method.
pub(crate) fn drop_unwanted(st: &mut Inner) {
    const NOT_BY_DEFAULT: &[&str] = &["chat_member", "message_reaction", "message_reaction_count"];
    let allowed = st.allowed_updates.clone();
    st.queue.retain(|u| {
        let kind = update_kind(u);
        match &allowed {
            Some(list) => list.iter().any(|k| k == kind),
            None => !NOT_BY_DEFAULT.contains(&kind),
        }
    });
}

/// The update type of an update JSON: its one key besides `update_id`.
pub(crate) fn update_kind(update: &Value) -> &str {
    update
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "update_id"))
        .map(String::as_str)
        .unwrap_or("")
}

/// What the emulator remembers about the webhook besides its URL (`Inner::webhook_url`).
#[derive(Default)]
pub(crate) struct WebhookState {
    pub secret: Option<String>,
    pub max_connections: usize,
    /// Base URLs (scheme, host, port) deliveries rotate over; empty = the registered URL's own.
    pub balance: Vec<String>,
    pub next_target: usize,
    /// update_id → (failed attempts, not to be sent again before).
    pub retry: HashMap<i64, (u32, Instant)>,
    pub in_flight: HashSet<i64>,
    /// Deliveries answered 200.
    pub delivered: usize,
    /// Deliveries answered 200, by the `host:port` that answered (which replica served what).
    pub delivered_to: HashMap<String, usize>,
    /// Deliveries answered otherwise, or not answered.
    pub refused: usize,
    /// Unix time and text of the last failed delivery.
    pub last_error: Option<(i64, String)>,
}
