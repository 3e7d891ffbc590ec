//! Reading Telegram updates from the JSON Telegram sends, including what teloxide cannot type.
//!
//! teloxide types a message by trying its shapes in turn and falls back to an empty message when
//! none fits. Telegram adds fields and values faster than the library follows, and it leaves out
//! fields the Bot API marks optional, so a perfectly ordinary voice note or text can come out of
//! the library with neither voice nor text: a desktop app's voice note without `mime_type`, a
//! text carrying an entity type newer than the library (`date_time`). Read that way, the learner
//! would be told "I don't understand stickers and pictures". And some shapes make the library
//! panic outright (a `message_reaction` with neither of its optional `user` and `actor_chat`, in
//! teloxide-core 0.13), which in the poller would stop the bot and on the webhook would have
//! Telegram redeliver the update forever.
//!
//! So every update is read here from its raw JSON: the library's reading when it holds what
//! Telegram said, otherwise the voice or text read from the raw JSON with a small struct of our
//! own and handed on as an ordinary message; anything else keeps its raw JSON as
//! `UpdateKind::Error`, which the handler tree deliberately ignores.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use teloxide::types::{Message, MessageEntity, Update, UpdateId, UpdateKind};

/// Reads one update. `None` only when it has no `update_id` (nothing Telegram sends: it could
/// not even be confirmed, let alone answered).
pub fn read(raw: Value) -> Option<Update> {
    let id = UpdateId(u32::try_from(raw.get("update_id")?.as_u64()?).ok()?);
    // A panic in the library's deserializer is its bug, not a reason to lose the update. (Read
    // from a borrowed value: its update visitor asks for borrowed keys, which an owned value
    // cannot give, and would read every update as unknown.)
    let typed = std::panic::catch_unwind(|| Update::deserialize(&raw));
    let update = match typed {
        Ok(Ok(update)) if !matches!(update.kind, UpdateKind::Error(_)) => update,
        _ => Update { id, kind: UpdateKind::Error(raw.clone()) },
    };
    Some(salvage(update, &raw))
}

/// Reads an update stored as text (the inbox's payload, a webhook's body).
pub fn read_str(text: &str) -> Result<Update, String> {
    let raw: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    read(raw).ok_or_else(|| "an update without update_id".to_owned())
}

/// The text to store for an update, read back by [`read_str`]: the raw JSON where the library
/// could not type it (its own serialization of that would name `update_id` twice).
pub fn to_stored(update: &Update) -> Result<String, serde_json::Error> {
    match &update.kind {
        UpdateKind::Error(raw) if raw.get("update_id").is_some() => Ok(raw.to_string()),
        _ => serde_json::to_string(update),
    }
}

/// A learner's message the library read without its voice or text while the raw JSON has one:
/// the message again, from what the bot needs of it.
fn salvage(update: Update, raw: &Value) -> Update {
    let Some(message) = raw.get("message") else { return update };
    let lost = match &update.kind {
        UpdateKind::Message(m) => {
            (m.voice().is_none() && message.get("voice").is_some())
                || (m.text().is_none() && message.get("text").is_some())
        }
        UpdateKind::Error(_) => true,
        _ => false,
    };
    if !lost {
        return update;
    }
    match minimal(message) {
        Some(m) => {
            tracing::info!(
                update_id = update.id.0,
                "message read from its raw JSON: the library could not type it"
            );
            Update { id: update.id, kind: UpdateKind::Message(m) }
        }
        None => update,
    }
}

/// What the bot needs of a learner's message, read leniently: every optional field may be
/// missing, and unknown fields and values are ignored.
#[derive(Deserialize)]
struct RawMessage {
    message_id: i64,
    date: i64,
    chat: Value,
    from: Option<Value>,
    text: Option<String>,
    #[serde(default)]
    entities: Vec<Value>,
    voice: Option<RawVoice>,
}

#[derive(Deserialize)]
struct RawVoice {
    file_id: String,
    file_unique_id: String,
    duration: u32,
    file_size: Option<u64>,
}

/// The message with only the fields the library reads reliably; `None` when it has neither a
/// voice nor a text, or not even a chat the library can read.
fn minimal(message: &Value) -> Option<Message> {
    let m = RawMessage::deserialize(message).ok()?;
    let mut out = Map::new();
    out.insert("message_id".into(), json!(m.message_id));
    out.insert("date".into(), json!(m.date));
    out.insert("chat".into(), m.chat);
    if let Some(from) = m.from {
        out.insert("from".into(), from);
    }
    if let Some(v) = m.voice {
        // The MIME type is what the library trips over; the bot decides on the bytes anyway.
        let mut voice = json!({
            "file_id": v.file_id, "file_unique_id": v.file_unique_id,
            "duration": v.duration, "mime_type": null,
        });
        if let Some(size) = v.file_size {
            voice["file_size"] = json!(size);
        }
        out.insert("voice".into(), voice);
    } else if let Some(text) = m.text {
        out.insert("text".into(), json!(text));
        // Entity types the library knows are kept (a command's `bot_command` among them).
        let known: Vec<Value> =
            m.entities.into_iter().filter(|e| MessageEntity::deserialize(e).is_ok()).collect();
        if !known.is_empty() {
            out.insert("entities".into(), Value::Array(known));
        }
    } else {
        return None;
    }
    let message = Message::deserialize(&Value::Object(out)).ok()?;
    (message.voice().is_some() || message.text().is_some()).then_some(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(message: Value) -> Value {
        let mut m = json!({
            "message_id": 3, "date": 1_700_000_000,
            "chat": { "id": 42, "type": "private", "first_name": "Olga" },
            "from": { "id": 42, "is_bot": false, "first_name": "Olga" },
        });
        m.as_object_mut().unwrap().extend(message.as_object().unwrap().clone());
        json!({ "update_id": 7, "message": m })
    }

    fn message(u: &Update) -> &Message {
        match &u.kind {
            UpdateKind::Message(m) => m,
            other => panic!("not a message: {other:?}"),
        }
    }

    #[test]
    fn a_voice_note_without_mime_type_and_size_is_still_a_voice_note() {
        let raw =
            update(json!({ "voice": { "file_id": "f1", "file_unique_id": "u1", "duration": 4 } }));
        let u = read(raw).unwrap();
        let voice = message(&u).voice().expect("a voice note");
        assert_eq!(voice.file.id.0, "f1");
        assert_eq!(voice.duration.seconds(), 4);
        assert_eq!(message(&u).chat.id.0, 42);
    }

    #[test]
    fn a_stored_voice_note_without_mime_type_reads_back_as_a_voice_note() {
        let raw =
            update(json!({ "voice": { "file_id": "f1", "file_unique_id": "u1", "duration": 4 } }));
        let stored = to_stored(&read(raw).unwrap()).unwrap();
        let back = read_str(&stored).unwrap();
        assert!(message(&back).voice().is_some(), "{stored}");
    }

    #[test]
    fn a_text_with_an_entity_type_newer_than_the_library_is_still_a_text_and_keeps_its_command() {
        let raw = update(json!({ "text": "/start zítra", "entities": [
            { "type": "bot_command", "offset": 0, "length": 6 },
            { "type": "date_time", "offset": 7, "length": 5, "unix_time": 1_700_000_000 },
        ] }));
        let u = read(raw).unwrap();
        assert_eq!(message(&u).text(), Some("/start zítra"));
        assert_eq!(message(&u).entities().map(<[_]>::len), Some(1));
    }

    #[test]
    fn a_message_the_library_reads_fully_is_left_as_it_read_it() {
        let raw = update(
            json!({ "text": "ahoj", "quote": { "text": "a", "position": 0, "is_manual": true } }),
        );
        let u = read(raw.clone()).unwrap();
        assert_eq!(u, serde_json::from_str::<Update>(&raw.to_string()).unwrap());
    }

    #[test]
    fn a_reaction_is_read_as_a_reaction() {
        let raw = json!({ "update_id": 9, "message_reaction": {
            "chat": { "id": 42, "type": "private", "first_name": "Olga" }, "message_id": 5,
            "user": { "id": 42, "is_bot": false, "first_name": "Olga" }, "date": 1_700_000_000,
            "old_reaction": [], "new_reaction": [{ "type": "emoji", "emoji": "👍" }] } });
        let u = read(raw).unwrap();
        assert!(matches!(u.kind, UpdateKind::MessageReaction(_)), "{u:?}");
    }

    #[test]
    fn an_update_that_makes_the_library_panic_keeps_its_raw_json() {
        // `user` and `actor_chat` are both optional in the Bot API; teloxide-core 0.13 unwraps
        // one of them.
        let raw = json!({ "update_id": 9, "message_reaction": {
            "chat": { "id": -100_123, "type": "channel", "title": "Kanál" }, "message_id": 5,
            "date": 1_700_000_000, "old_reaction": [], "new_reaction": [] } });
        let u = read(raw.clone()).unwrap();
        assert_eq!(u.id.0, 9);
        assert!(matches!(&u.kind, UpdateKind::Error(v) if *v == raw), "{u:?}");
        let stored = to_stored(&u).unwrap();
        assert_eq!(read_str(&stored).unwrap().id.0, 9);
    }

    #[test]
    fn a_sticker_stays_a_sticker() {
        let raw =
            update(json!({ "sticker": { "file_id": "s", "file_unique_id": "su", "type": "regular",
            "width": 512, "height": 512, "is_animated": false, "is_video": false } }));
        let u = read(raw).unwrap();
        assert!(message(&u).sticker().is_some());
    }

    #[test]
    fn an_update_without_an_id_is_not_read() {
        assert!(read(json!({ "message": {} })).is_none());
    }
}
