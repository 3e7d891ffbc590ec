//! The sending methods (`sendMessage`, `sendVoice`, `sendAudio`,
//! `sendPhoto`, `sendDocument`) and the parameter checks every method that
//! targets a message shares: chat, text/caption, markup, reply target,
//! flood control.

use serde_json::Value;

use super::error::{ApiErr, bad};
use super::html;
use super::state::{Inner, StoredFile, now_unix};
use super::types::{BotMessage, BotMessageKind};
use crate::body::{Params, UploadedFile};

const MAX_UPLOAD: usize = 50 * 1024 * 1024;

fn too_many(retry_after: u32) -> ApiErr {
    ApiErr {
        code: 429,
        description: format!("Too Many Requests: retry after {retry_after}"),
        retry_after: Some(retry_after),
    }
}

/// Resolves `chat_id` to an existing, unblocked private chat.
pub(super) fn chat_id(st: &Inner, p: &Params) -> Result<i64, ApiErr> {
    let id = match p.i64("chat_id") {
        Ok(Some(id)) => id,
        Ok(None) => return Err(bad("chat_id is empty")),
        Err(()) => return Err(bad("chat not found")), // "@username": not for private chats
    };
    match st.chats.get(&id) {
        None => Err(bad("chat not found")),
        Some(c) if c.blocked => Err(ApiErr {
            code: 403,
            description: "Forbidden: bot was blocked by the user".into(),
            retry_after: None,
        }),
        Some(_) => Ok(id),
    }
}

pub(super) fn message_id(p: &Params) -> Result<i64, ApiErr> {
    match p.i64("message_id") {
        Ok(Some(id)) => Ok(id),
        _ if p.has("inline_message_id") => Err(bad("MESSAGE_ID_INVALID")),
        _ => Err(bad("message identifier is not specified")),
    }
}

/// Validated formatted text: `(raw, parse_mode, visible)`.
pub(super) fn formatted(
    st: &Inner,
    p: &Params,
    field: &str,
) -> Result<Option<(String, Option<String>, html::ParsedText)>, ApiErr> {
    let Some(raw) = p.str(field) else {
        return Ok(None);
    };
    let mode = p.str("parse_mode").filter(|m| !m.is_empty());
    let parsed = html::parse(&raw, mode.as_deref(), st.cfg.strict_html_ampersand)
        .map_err(|d| ApiErr { code: 400, description: d, retry_after: None })?;
    Ok(Some((raw, mode, parsed)))
}

pub(super) fn message_text(
    st: &Inner,
    p: &Params,
    edit: bool,
) -> Result<(String, Option<String>, html::ParsedText), ApiErr> {
    let Some((raw, mode, parsed)) = formatted(st, p, "text")? else {
        return Err(bad("message text is empty"));
    };
    if parsed.text.is_empty() {
        return Err(bad("message text is empty"));
    }
    if parsed.utf16_len() > 4096 {
        return Err(bad(if edit { "MESSAGE_TOO_LONG" } else { "message is too long" }));
    }
    Ok((raw, mode, parsed))
}

pub(super) fn caption(
    st: &Inner,
    p: &Params,
) -> Result<Option<(String, Option<String>, html::ParsedText)>, ApiErr> {
    let c = formatted(st, p, "caption")?;
    if c.as_ref().is_some_and(|(_, _, parsed)| parsed.utf16_len() > 1024) {
        return Err(bad("message caption is too long"));
    }
    Ok(c)
}

/// Validates `reply_markup`; returns it as JSON.
pub(super) fn reply_markup(p: &Params) -> Result<Option<Value>, ApiErr> {
    let unparsable = || bad("can't parse reply keyboard markup JSON object");
    let Some(m) = p.json("reply_markup").map_err(|_| unparsable())? else {
        return Ok(None);
    };
    if !m.is_object() {
        return Err(unparsable());
    }
    if let Some(rows) = m.get("inline_keyboard") {
        let rows =
            rows.as_array().ok_or_else(|| bad("field \"inline_keyboard\" must be an Array"))?;
        for row in rows {
            let row = row
                .as_array()
                .ok_or_else(|| bad("field \"inline_keyboard\" must be an Array of Arrays"))?;
            for b in row {
                if !b["text"].is_string() {
                    return Err(bad(
                        "can't parse inline keyboard button: Field \"text\" must be of type String",
                    ));
                }
                if let Some(data) = b.get("callback_data") {
                    let data = data.as_str().unwrap_or("");
                    if data.is_empty() || data.len() > 64 {
                        return Err(bad("BUTTON_DATA_INVALID"));
                    }
                } else if let Some(url) = b.get("url") {
                    let url = url.as_str().unwrap_or("");
                    if !(url.starts_with("http://")
                        || url.starts_with("https://")
                        || url.starts_with("tg://"))
                    {
                        return Err(bad("BUTTON_URL_INVALID"));
                    }
                } else if ![
                    "switch_inline_query",
                    "switch_inline_query_current_chat",
                    "login_url",
                    "web_app",
                    "pay",
                    "copy_text",
                    "callback_game",
                    "switch_inline_query_chosen_chat",
                ]
                .iter()
                .any(|k| b.get(*k).is_some())
                {
                    return Err(bad(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                    ));
                }
            }
        }
    }
    Ok(Some(m))
}

/// The message this one replies to, from `reply_parameters` or the legacy
/// `reply_to_message_id` / `allow_sending_without_reply`.
pub(super) fn reply_target(st: &Inner, chat: i64, p: &Params) -> Result<Option<i64>, ApiErr> {
    let rp =
        p.json("reply_parameters").map_err(|_| bad("can't parse reply parameters JSON object"))?;
    let (id, allow) = match rp {
        Some(rp) => (
            rp["message_id"].as_i64(),
            rp["allow_sending_without_reply"].as_bool().unwrap_or(false),
        ),
        None => {
            (p.i64("reply_to_message_id").ok().flatten(), p.bool("allow_sending_without_reply"))
        }
    };
    match id {
        None => Ok(None),
        Some(id) if st.message_exists(chat, id) => Ok(Some(id)),
        Some(_) if allow => Ok(None),
        Some(_) => Err(bad("message to be replied not found")),
    }
}

pub(super) fn flood(st: &mut Inner, chat: i64) -> Result<(), ApiErr> {
    st.flood_check(chat).map_err(too_many)
}

pub(super) fn push_message(st: &mut Inner, mut m: BotMessage) -> Value {
    let chat = st.chats.get_mut(&m.chat_id).expect("chat checked");
    m.message_id = chat.next_id();
    chat.bot_messages.push(m.clone());
    let _ = st.sent_tx.send(super::types::SentEvent {
        chat_id: m.chat_id,
        message_id: m.message_id,
        reply_to: m.reply_to,
        kind: m.kind,
    });
    st.bot_message_json(&m, true)
}

pub(super) fn new_message(chat_id: i64, kind: BotMessageKind) -> BotMessage {
    BotMessage {
        message_id: 0,
        chat_id,
        kind,
        text: None,
        caption: None,
        parse_mode: None,
        reply_to: None,
        reply_markup: None,
        file_id: None,
        file_bytes: None,
        duration: None,
        date: now_unix(),
        deleted: false,
        edits: 0,
        poll: None,
    }
}

pub(super) fn send_message(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
    let chat = chat_id(st, p)?;
    let (raw, mode, _) = message_text(st, p, false)?;
    let markup = reply_markup(p)?;
    let reply_to = reply_target(st, chat, p)?;
    flood(st, chat)?;
    let mut m = new_message(chat, BotMessageKind::Text);
    m.text = Some(raw);
    m.parse_mode = mode;
    m.reply_markup = markup;
    m.reply_to = reply_to;
    Ok(push_message(st, m))
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Media {
    Voice,
    Audio,
    Photo,
    Document,
}

impl Media {
    fn field(self) -> &'static str {
        match self {
            Media::Voice => "voice",
            Media::Audio => "audio",
            Media::Photo => "photo",
            Media::Document => "document",
        }
    }
}

/// The file a send method refers to: an upload (direct part or
/// `attach://name`) or an existing `file_id`.
enum FileArg {
    Upload(UploadedFile),
    Existing(StoredFile),
}

fn input_file(st: &Inner, p: &Params, field: &str) -> Result<FileArg, ApiErr> {
    if let Some(f) = p.files.get(field) {
        return Ok(FileArg::Upload(f.clone()));
    }
    let Some(v) = p.str(field).filter(|s| !s.is_empty()) else {
        return Err(bad(format!("there is no {field} in the request")));
    };
    if let Some(name) = v.strip_prefix("attach://") {
        let part = p.files.get(name).cloned();
        return part
            .map(FileArg::Upload)
            .ok_or_else(|| bad("wrong file identifier/HTTP URL specified"));
    }
    if v.starts_with("http://") || v.starts_with("https://") {
        // The emulator is offline; the real Telegram would fetch the URL.
        return Err(bad("failed to get HTTP URL content"));
    }
    st.files
        .get(&v)
        .cloned()
        .map(FileArg::Existing)
        .ok_or_else(|| bad("wrong file identifier/HTTP URL specified"))
}

fn is_image(b: &[u8]) -> bool {
    b.starts_with(&[0xFF, 0xD8, 0xFF])
        || b.starts_with(b"\x89PNG\r\n\x1a\n")
        || b.starts_with(b"GIF8")
        || (b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP")
}

pub(super) fn send_media(st: &mut Inner, p: &Params, media: Media) -> Result<Value, ApiErr> {
    let chat = chat_id(st, p)?;
    let file = input_file(st, p, media.field())?;
    let cap = caption(st, p)?;
    let markup = reply_markup(p)?;
    let reply_to = reply_target(st, chat, p)?;
    let mut kind = match media {
        Media::Voice => BotMessageKind::Voice,
        Media::Audio => BotMessageKind::Audio,
        Media::Photo => BotMessageKind::Photo,
        Media::Document => BotMessageKind::Document,
    };
    if let FileArg::Upload(up) = &file {
        if up.bytes.is_empty() {
            return Err(bad("file must be non-empty"));
        }
        if up.bytes.len() > MAX_UPLOAD {
            return Err(ApiErr {
                code: 413,
                description: "Request Entity Too Large".into(),
                retry_after: None,
            });
        }
        if media == Media::Photo && !is_image(&up.bytes) {
            return Err(bad("IMAGE_PROCESS_FAILED"));
        }
        // Telegram shows a voice note only for OGG/Opus, MP3 and M4A;
        // anything else becomes a document.
        use crate::audio::Container::{Mp3, Mp4, Ogg};
        if media == Media::Voice && !matches!(crate::audio::sniff(&up.bytes), Some(Ogg | Mp3 | Mp4))
        {
            kind = BotMessageKind::Document;
        }
    }
    flood(st, chat)?;
    let stored = match file {
        FileArg::Existing(f) => f,
        FileArg::Upload(up) => {
            let (dir, ext) = match kind {
                BotMessageKind::Voice => ("voice", "oga"),
                BotMessageKind::Audio => ("music", "mp3"),
                BotMessageKind::Photo => ("photos", "jpg"),
                _ => ("documents", "bin"),
            };
            st.store_file(up.bytes.to_vec(), dir, ext)
        }
    };
    let duration = match p.i64("duration") {
        Ok(Some(d)) => Some(d.max(0) as u32),
        _ => crate::audio::duration_secs(&stored.bytes).map(|d| d.round().max(1.0) as u32),
    };
    let mut m = new_message(chat, kind);
    if let Some((raw, mode, _)) = cap {
        m.caption = Some(raw);
        m.parse_mode = mode;
    }
    m.reply_markup = markup;
    m.reply_to = reply_to;
    m.file_id = Some(stored.file_id.clone());
    m.file_bytes = Some(stored.bytes.to_vec());
    m.duration =
        matches!(kind, BotMessageKind::Voice | BotMessageKind::Audio).then_some(duration).flatten();
    Ok(push_message(st, m))
}
