//! Updates in the exact shapes Telegram sends (recorded fixtures), delivered as one learner's.
//!
//! The [`Learner`]'s other actions build the fields this emulator knows to send; a fixture keeps
//! every field as written — optional ones left out, fields and values newer than any client
//! library — so a test shows what the bot makes of Telegram's own shapes, not of ours.

use serde_json::{Value, json};

use super::learner::Learner;
use super::types::Sent;

impl Learner {
    /// Delivers `update` (an update body without `update_id`) as Telegram shaped it, made this
    /// learner's: the object it carries gets this learner as its `from` (or reacting `user`) and,
    /// where its chat is private, this chat; a new `message` gets the chat's next message id and
    /// is kept, so the bot can reply to it; a `voice` in it gets `voice_bytes` as its file (so
    /// `getFile` and the download serve them). Everything else stays as written. Returns the
    /// update id and the message id it carries (0 when it carries none).
    pub fn send_raw(&self, mut update: Value, voice_bytes: Option<Vec<u8>>) -> Sent {
        let sent = {
            let mut st = self.shared.inner.lock();
            let key = update
                .as_object()
                .and_then(|o| o.keys().find(|k| *k != "update_id").cloned())
                .expect("an update carries one object");
            let payload = &mut update[&key];
            for who in ["from", "user"] {
                if payload.get(who).is_some() {
                    payload[who] = self.user.json();
                }
            }
            if payload["chat"]["type"] == "private" {
                payload["chat"] = self.user.chat_json();
            }
            if let (Some(bytes), Some(voice)) = (voice_bytes, payload.get_mut("voice")) {
                let f = st.store_file(bytes, "voice", "oga");
                voice["file_id"] = json!(f.file_id);
                voice["file_unique_id"] = json!(f.unique_id);
            }
            let mut message_id = payload["message_id"].as_i64().unwrap_or(0);
            if key == "message" {
                let chat = st.chat_or_create(self.user.clone());
                message_id = chat.next_id();
                payload["message_id"] = json!(message_id);
                chat.learner_messages.insert(message_id, payload.clone());
            }
            let update_id = st.push_update(update);
            Sent { update_id, message_id }
        };
        self.shared.notify_updates();
        self.shared.notify_observers();
        sent
    }
}
