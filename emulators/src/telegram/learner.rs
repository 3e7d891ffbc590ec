//! The simulated Telegram user.
//!
//! Each action builds the exact Update JSON the real Telegram would deliver
//! for it (message ids shared with the bot's messages in the private chat,
//! files stored so `getFile` and downloads work) and queues it for
//! `getUpdates`. Actions are synchronous: they only touch memory, so the
//! load generator can call them from any thread.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::state::{Inner, Shared, UserInfo, now_unix};
use super::types::{BotMessage, Sent};
use crate::samples::Sample;

/// A cheap handle (clone freely) to one user and their private chat with
/// the bot (chat id == user id).
#[derive(Clone)]
pub struct Learner {
    pub(crate) shared: Arc<Shared>,
    pub(crate) user: UserInfo,
}

/// A 1×1 PNG (a red pixel), the payload of [`Learner::send_photo`].
const PIXEL_PNG: &[u8] = include_bytes!("../../assets/pixel.png");
/// Stand-in bytes for a sticker (the bot never downloads stickers).
const STICKER_WEBP: &[u8] = b"RIFF\x0c\0\0\0WEBPVP8 ";

impl Learner {
    pub fn user_id(&self) -> i64 {
        self.user.id
    }

    /// Private chat id (same as the user id).
    pub fn chat_id(&self) -> i64 {
        self.user.id
    }

    /// Gives the user a `@username` (appears in `from` and `chat`).
    pub fn with_username(mut self, username: &str) -> Self {
        self.user.username = Some(username.to_owned());
        self.shared.inner.lock().chat_or_create(self.user.clone());
        self
    }

    /// Queues a new message whose content fields `fill` returns.
    fn deliver(&self, fill: impl FnOnce(&mut Inner) -> Map<String, Value>) -> Sent {
        let sent = {
            let mut st = self.shared.inner.lock();
            let content = fill(&mut st);
            let chat = st.chat_or_create(self.user.clone());
            let message_id = chat.next_id();
            let mut msg = json!({
                "message_id": message_id,
                "from": self.user.json(),
                "chat": self.user.chat_json(),
                "date": now_unix(),
            });
            msg.as_object_mut().expect("object").extend(content);
            chat.learner_messages.insert(message_id, msg.clone());
            let update_id = st.push_update(json!({ "message": msg }));
            Sent { update_id, message_id }
        };
        self.shared.notify_updates();
        self.shared.notify_observers();
        sent
    }

    fn push(&self, update: Value) -> i64 {
        let id = self.shared.inner.lock().push_update(update);
        self.shared.notify_updates();
        self.shared.notify_observers();
        id
    }

    /// A text message. A leading `/command` gets its `bot_command` entity,
    /// as Telegram adds it.
    pub fn send_text(&self, text: &str) -> Sent {
        let mut content = Map::new();
        content.insert("text".into(), json!(text));
        if text.starts_with('/') {
            let cmd = text.split_whitespace().next().unwrap_or(text);
            let len = cmd.encode_utf16().count();
            content.insert(
                "entities".into(),
                json!([{ "type": "bot_command", "offset": 0, "length": len }]),
            );
        }
        self.deliver(|_| content)
    }

    /// A command such as "/start" or "/start ref42" (same as `send_text`,
    /// named for readability).
    pub fn send_command(&self, command: &str) -> Sent {
        assert!(command.starts_with('/'), "commands start with '/': {command:?}");
        self.send_text(command)
    }

    /// A voice note with truthful metadata.
    pub fn send_voice(&self, bytes: Vec<u8>, duration_secs: u32) -> Sent {
        let size = bytes.len() as u64;
        self.send_voice_claiming(bytes, duration_secs, Some(size))
    }

    /// A voice note whose `file_size` metadata may lie (or be absent, as
    /// Telegram allows): tests the bot's size limits. `getFile` and the
    /// download still report the true size.
    pub fn send_voice_claiming(
        &self,
        bytes: Vec<u8>,
        duration_secs: u32,
        claimed_file_size: Option<u64>,
    ) -> Sent {
        self.deliver(|st| {
            let f = st.store_file(bytes, "voice", "oga");
            let mut voice = json!({
                "file_id": f.file_id, "file_unique_id": f.unique_id,
                "duration": duration_secs, "mime_type": "audio/ogg",
            });
            if let Some(size) = claimed_file_size {
                voice["file_size"] = json!(size);
            }
            one("voice", voice)
        })
    }

    /// One of the bundled samples as a voice note.
    pub fn send_sample(&self, sample: &Sample) -> Sent {
        self.send_voice(sample.bytes.to_vec(), sample.duration_secs)
    }

    /// A music/audio file (not a voice note).
    pub fn send_audio(
        &self,
        bytes: Vec<u8>,
        duration_secs: u32,
        mime_type: &str,
        file_name: &str,
    ) -> Sent {
        self.deliver(|st| {
            let size = bytes.len();
            let f = st.store_file(bytes, "music", ext(file_name, "mp3"));
            one(
                "audio",
                json!({
                    "file_id": f.file_id, "file_unique_id": f.unique_id, "duration": duration_secs,
                    "file_name": file_name, "mime_type": mime_type, "file_size": size,
                }),
            )
        })
    }

    /// A round video message.
    pub fn send_video_note(&self, bytes: Vec<u8>, duration_secs: u32) -> Sent {
        self.deliver(|st| {
            let size = bytes.len();
            let f = st.store_file(bytes, "video_notes", "mp4");
            one(
                "video_note",
                json!({
                    "file_id": f.file_id, "file_unique_id": f.unique_id, "length": 240,
                    "duration": duration_secs, "file_size": size,
                }),
            )
        })
    }

    pub fn send_document(&self, bytes: Vec<u8>, mime_type: &str, file_name: &str) -> Sent {
        self.deliver(|st| {
            let size = bytes.len();
            let f = st.store_file(bytes, "documents", ext(file_name, "bin"));
            one(
                "document",
                json!({
                    "file_id": f.file_id, "file_unique_id": f.unique_id, "file_name": file_name,
                    "mime_type": mime_type, "file_size": size,
                }),
            )
        })
    }

    pub fn send_sticker(&self) -> Sent {
        self.deliver(|st| {
            let f = st.store_file(STICKER_WEBP.to_vec(), "stickers", "webp");
            one(
                "sticker",
                json!({
                    "file_id": f.file_id, "file_unique_id": f.unique_id, "type": "regular",
                    "width": 512, "height": 512, "is_animated": false, "is_video": false,
                    "emoji": "👍", "set_name": "HonzikStickers", "file_size": STICKER_WEBP.len(),
                }),
            )
        })
    }

    /// A photo (two sizes, as Telegram sends a thumbnail too).
    pub fn send_photo(&self) -> Sent {
        self.deliver(|st| {
            let small = st.store_file(PIXEL_PNG.to_vec(), "photos", "jpg");
            let large = st.store_file(PIXEL_PNG.to_vec(), "photos", "jpg");
            let size = |f: &super::state::StoredFile, w: u32| {
                json!({ "file_id": f.file_id, "file_unique_id": f.unique_id, "file_size": PIXEL_PNG.len(), "width": w, "height": w })
            };
            one("photo", json!([size(&small, 90), size(&large, 800)]))
        })
    }

    /// Edits one of the learner's own text messages (`edited_message`).
    /// Panics if that message does not exist: a test bug.
    pub fn edit_text(&self, message_id: i64, new_text: &str) -> i64 {
        let msg = {
            let mut st = self.shared.inner.lock();
            let chat = st.chats.get_mut(&self.user.id).expect("learner chat exists");
            let msg = chat.learner_messages.get_mut(&message_id).unwrap_or_else(|| {
                panic!("learner {} has no message {message_id} to edit", self.user.id)
            });
            msg["text"] = json!(new_text);
            msg["edit_date"] = json!(now_unix());
            msg.clone()
        };
        self.push(json!({ "edited_message": msg }))
    }

    /// Presses an inline button of the bot's message; returns the callback
    /// query id. Panics if the message or the button does not exist (the
    /// Telegram app cannot press what is not there); forge anything else
    /// with `TelegramEmulator::push_raw_update`.
    pub fn press(&self, message_id: i64, data: &str) -> String {
        let (id, update) = {
            let mut st = self.shared.inner.lock();
            let chat = st.chats.get(&self.user.id).expect("learner chat exists");
            let m: BotMessage = chat
                .bot_message(message_id)
                .unwrap_or_else(|| {
                    panic!("no live bot message {message_id} in chat {}", self.user.id)
                })
                .clone();
            let buttons = m.buttons();
            assert!(
                buttons.iter().any(|(_, d)| d == data),
                "message {message_id} has no button with data {data:?}; buttons: {buttons:?}"
            );
            let message = st.bot_message_json(&m, true);
            let id = st.new_callback_id(self.user.id);
            let update = json!({ "callback_query": {
                "id": id,
                "from": self.user.json(),
                "message": message,
                "chat_instance": format!("-{}", 7_000_000_000_000_000u64 + self.user.id.unsigned_abs()),
                "data": data,
            }});
            (id, update)
        };
        self.push(update);
        id
    }

    /// Presses a button that is not there: a callback query with any `data`
    /// on the bot's live message `message_id`, as a modified client can send
    /// (Telegram does not check the data against the keyboard). Returns the
    /// callback query id.
    pub fn press_forged(&self, message_id: i64, data: &str) -> String {
        let (id, update) = {
            let mut st = self.shared.inner.lock();
            let chat = st.chats.get(&self.user.id).expect("learner chat exists");
            let m: BotMessage = chat
                .bot_message(message_id)
                .unwrap_or_else(|| {
                    panic!("no live bot message {message_id} in chat {}", self.user.id)
                })
                .clone();
            let message = st.bot_message_json(&m, true);
            let id = st.new_callback_id(self.user.id);
            let update = json!({ "callback_query": {
                "id": id,
                "from": self.user.json(),
                "message": message,
                "chat_instance": format!("-{}", 7_000_000_000_000_000u64 + self.user.id.unsigned_abs()),
                "data": data,
            }});
            (id, update)
        };
        self.push(update);
        id
    }

    /// A text message from this user in the group (`kind` "group" or
    /// "supergroup") `group_id` — negative, as Telegram's are. The group is
    /// created on first use; the bot can send to it, and its messages are
    /// read with `TelegramEmulator::messages(group_id)`.
    pub fn send_in_group(&self, group_id: i64, kind: &str, text: &str) -> Sent {
        assert!(group_id < 0, "group ids are negative: {group_id}");
        let sent = {
            let mut st = self.shared.inner.lock();
            let group_json = json!({ "id": group_id, "type": kind, "title": "Čeština u piva" });
            let holder = UserInfo {
                id: group_id,
                first_name: "Čeština u piva".into(),
                username: None,
                language_code: None,
            };
            let chat = st.chat_or_create(holder);
            chat.group = Some(group_json.clone());
            let message_id = chat.next_id();
            let mut msg = json!({
                "message_id": message_id,
                "from": self.user.json(),
                "chat": group_json,
                "date": now_unix(),
                "text": text,
            });
            if text.starts_with('/') {
                let cmd = text.split_whitespace().next().unwrap_or(text);
                msg["entities"] = json!([{ "type": "bot_command", "offset": 0, "length": cmd.encode_utf16().count() }]);
            }
            chat.learner_messages.insert(message_id, msg.clone());
            let update_id = st.push_update(json!({ "message": msg }));
            Sent { update_id, message_id }
        };
        self.shared.notify_updates();
        self.shared.notify_observers();
        sent
    }

    /// The user blocks the bot: a `my_chat_member` update (status
    /// "kicked"), after which sends to this chat fail with 403.
    pub fn block_bot(&self) -> i64 {
        self.set_blocked(true)
    }

    /// The user unblocks the bot (status back to "member").
    pub fn unblock_bot(&self) -> i64 {
        self.set_blocked(false)
    }

    fn set_blocked(&self, blocked: bool) -> i64 {
        let update = {
            let mut st = self.shared.inner.lock();
            let bot = st.bot_user_json();
            st.chat_or_create(self.user.clone()).blocked = blocked;
            let (old, new) = if blocked { ("member", "kicked") } else { ("kicked", "member") };
            let member = |status: &str| {
                let mut m = json!({ "user": bot, "status": status });
                if status == "kicked" {
                    m["until_date"] = json!(0);
                }
                m
            };
            json!({ "my_chat_member": {
                "chat": self.user.chat_json(),
                "from": self.user.json(),
                "date": now_unix(),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            }})
        };
        self.push(update)
    }

    /// Everything the bot sent to this learner (see
    /// `TelegramEmulator::messages`).
    pub fn messages(&self) -> Vec<BotMessage> {
        let st = self.shared.inner.lock();
        st.chats.get(&self.user.id).map(|c| c.bot_messages.clone()).unwrap_or_default()
    }

    /// The bot's latest live (not deleted) message to this learner.
    pub fn last_message(&self) -> Option<BotMessage> {
        self.messages().into_iter().rev().find(|m| !m.deleted)
    }
}

fn one(key: &str, value: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(key.into(), value);
    m
}

/// The file name's extension, for a Telegram-like `file_path`.
fn ext<'a>(file_name: &'a str, default: &'a str) -> &'a str {
    file_name
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.len() <= 5)
        .unwrap_or(default)
}
