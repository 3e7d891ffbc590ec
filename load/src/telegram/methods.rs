//! The Bot API methods, as pure functions of the state and the request
//! parameters (no I/O, no waiting: `getUpdates` long polling and file
//! downloads live in `server`).
//!
//! Validation order and error texts follow the real Bot API, so that the
//! bot's error handling is exercised exactly as in production.

use serde_json::{Value, json};

use super::html;
use super::state::{Inner, StoredFile, now_unix};
use super::types::{BotMessage, BotMessageKind, CallbackAnswer};
use crate::body::{Params, UploadedFile};

/// An error reply: HTTP status == `error_code`, as on Telegram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiErr {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u32>,
}

pub(crate) fn bad(what: impl AsRef<str>) -> ApiErr {
    ApiErr {
        code: 400,
        description: format!("Bad Request: {}", what.as_ref()),
        retry_after: None,
    }
}

fn too_many(retry_after: u32) -> ApiErr {
    ApiErr {
        code: 429,
        description: format!("Too Many Requests: retry after {retry_after}"),
        retry_after: Some(retry_after),
    }
}

const NOT_MODIFIED: &str = "message is not modified: specified new message content and reply markup are exactly \
                            the same as a current content and reply markup of the message";
const MAX_UPLOAD: usize = 50 * 1024 * 1024;
const MAX_DOWNLOAD: usize = 20 * 1024 * 1024;
const CHAT_ACTIONS: &[&str] = &[
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
];

/// Runs one method (lower-cased name). `Ok` is the `result` value.
pub(crate) fn dispatch(st: &mut Inner, method: &str, p: &Params) -> Result<Value, ApiErr> {
    match method {
        "getme" => Ok(get_me(st)),
        "sendmessage" => send_message(st, p),
        "sendvoice" => send_media(st, p, Media::Voice),
        "sendaudio" => send_media(st, p, Media::Audio),
        "sendphoto" => send_media(st, p, Media::Photo),
        "senddocument" => send_media(st, p, Media::Document),
        "sendchataction" => send_chat_action(st, p),
        "editmessagetext" => edit_text(st, p),
        "editmessagecaption" => edit_caption(st, p),
        "editmessagereplymarkup" => edit_markup(st, p),
        "deletemessage" => delete_message(st, p),
        "answercallbackquery" => answer_callback(st, p),
        "getfile" => get_file(st, p),
        "setmycommands" => set_my_commands(st, p),
        "getmycommands" => Ok(get_my_commands(st, p)?),
        "deletemycommands" => {
            let key = commands_key(p)?;
            st.commands.remove(&key);
            Ok(json!(true))
        }
        "setwebhook" => set_webhook(st, p),
        "deletewebhook" => {
            st.webhook_url = None;
            if p.bool("drop_pending_updates") {
                st.queue.clear();
            }
            Ok(json!(true))
        }
        "getwebhookinfo" => Ok(json!({
            "url": st.webhook_url.clone().unwrap_or_default(),
            "has_custom_certificate": false,
            "pending_update_count": st.queue.len(),
        })),
        // Harmless settings the bot may make at start-up.
        "setmydescription"
        | "setmyshortdescription"
        | "setmyname"
        | "setchatmenubutton"
        | "logout"
        | "close" => Ok(json!(true)),
        _ => Err(ApiErr {
            code: 404,
            description: "Not Found: method not found".into(),
            retry_after: None,
        }),
    }
}

fn get_me(st: &Inner) -> Value {
    let mut me = st.bot_user_json();
    me["can_join_groups"] = json!(true);
    me["can_read_all_group_messages"] = json!(false);
    me["supports_inline_queries"] = json!(false);
    me["can_connect_to_business"] = json!(false);
    me["has_main_web_app"] = json!(false);
    me
}

/// Resolves `chat_id` to an existing, unblocked private chat.
fn chat_id(st: &Inner, p: &Params) -> Result<i64, ApiErr> {
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

fn message_id(p: &Params) -> Result<i64, ApiErr> {
    match p.i64("message_id") {
        Ok(Some(id)) => Ok(id),
        _ if p.has("inline_message_id") => Err(bad("MESSAGE_ID_INVALID")),
        _ => Err(bad("message identifier is not specified")),
    }
}

/// Validated formatted text: `(raw, parse_mode, visible)`.
fn formatted(
    st: &Inner,
    p: &Params,
    field: &str,
) -> Result<Option<(String, Option<String>, html::ParsedText)>, ApiErr> {
    let Some(raw) = p.str(field) else {
        return Ok(None);
    };
    let mode = p.str("parse_mode").filter(|m| !m.is_empty());
    let parsed =
        html::parse(&raw, mode.as_deref(), st.cfg.strict_html_ampersand).map_err(|d| ApiErr {
            code: 400,
            description: d,
            retry_after: None,
        })?;
    Ok(Some((raw, mode, parsed)))
}

fn message_text(
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
        return Err(bad(if edit {
            "MESSAGE_TOO_LONG"
        } else {
            "message is too long"
        }));
    }
    Ok((raw, mode, parsed))
}

fn caption(
    st: &Inner,
    p: &Params,
) -> Result<Option<(String, Option<String>, html::ParsedText)>, ApiErr> {
    let c = formatted(st, p, "caption")?;
    if c.as_ref()
        .is_some_and(|(_, _, parsed)| parsed.utf16_len() > 1024)
    {
        return Err(bad("message caption is too long"));
    }
    Ok(c)
}

/// Validates `reply_markup`; returns it as JSON.
fn reply_markup(p: &Params) -> Result<Option<Value>, ApiErr> {
    let unparsable = || bad("can't parse reply keyboard markup JSON object");
    let Some(m) = p.json("reply_markup").map_err(|_| unparsable())? else {
        return Ok(None);
    };
    if !m.is_object() {
        return Err(unparsable());
    }
    if let Some(rows) = m.get("inline_keyboard") {
        let rows = rows
            .as_array()
            .ok_or_else(|| bad("field \"inline_keyboard\" must be an Array"))?;
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
fn reply_target(st: &Inner, chat: i64, p: &Params) -> Result<Option<i64>, ApiErr> {
    let rp = p
        .json("reply_parameters")
        .map_err(|_| bad("can't parse reply parameters JSON object"))?;
    let (id, allow) = match rp {
        Some(rp) => (
            rp["message_id"].as_i64(),
            rp["allow_sending_without_reply"].as_bool().unwrap_or(false),
        ),
        None => (
            p.i64("reply_to_message_id").ok().flatten(),
            p.bool("allow_sending_without_reply"),
        ),
    };
    match id {
        None => Ok(None),
        Some(id) if st.message_exists(chat, id) => Ok(Some(id)),
        Some(_) if allow => Ok(None),
        Some(_) => Err(bad("message to be replied not found")),
    }
}

fn flood(st: &mut Inner, chat: i64) -> Result<(), ApiErr> {
    st.flood_check(chat).map_err(too_many)
}

fn push_message(st: &mut Inner, mut m: BotMessage) -> Value {
    let chat = st.chats.get_mut(&m.chat_id).expect("chat checked");
    m.message_id = chat.next_id();
    chat.bot_messages.push(m.clone());
    st.bot_message_json(&m, true)
}

fn new_message(chat_id: i64, kind: BotMessageKind) -> BotMessage {
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
    }
}

fn send_message(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
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
enum Media {
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

fn send_media(st: &mut Inner, p: &Params, media: Media) -> Result<Value, ApiErr> {
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
    m.duration = matches!(kind, BotMessageKind::Voice | BotMessageKind::Audio)
        .then_some(duration)
        .flatten();
    Ok(push_message(st, m))
}

fn send_chat_action(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
    let chat = chat_id(st, p)?;
    let action = p.str("action").unwrap_or_default();
    if !CHAT_ACTIONS.contains(&action.as_str()) {
        return Err(bad("wrong parameter action in request"));
    }
    st.chats
        .get_mut(&chat)
        .expect("checked")
        .actions
        .push(action);
    Ok(json!(true))
}

/// Finds the bot message an edit targets, with Telegram's errors.
fn edit_target<'a>(st: &'a mut Inner, p: &Params) -> Result<&'a mut BotMessage, ApiErr> {
    let chat = chat_id(st, p)?;
    let id = message_id(p)?;
    let c = st.chats.get_mut(&chat).expect("checked");
    if c.learner_messages.contains_key(&id) {
        return Err(bad("message can't be edited"));
    }
    c.bot_message_mut(id)
        .ok_or_else(|| bad("message to edit not found"))
}

fn inline_only(m: &Option<Value>) -> Option<&Value> {
    m.as_ref().filter(|m| m.get("inline_keyboard").is_some())
}

fn visible(raw: &Option<String>, mode: &Option<String>) -> html::ParsedText {
    raw.as_deref()
        .map(|r| html::parse(r, mode.as_deref(), false).unwrap_or_default())
        .unwrap_or_default()
}

fn edit_text(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
    let (raw, mode, parsed) = message_text(st, p, true)?;
    let markup = reply_markup(p)?;
    let m = edit_target(st, p)?;
    if m.kind != BotMessageKind::Text {
        return Err(bad("there is no text in the message to edit"));
    }
    if visible(&m.text, &m.parse_mode) == parsed
        && inline_only(&m.reply_markup) == inline_only(&markup)
    {
        return Err(bad(NOT_MODIFIED));
    }
    m.text = Some(raw);
    m.parse_mode = mode;
    m.reply_markup = markup;
    m.edits += 1;
    let m = m.clone();
    Ok(st.bot_message_json(&m, true))
}

fn edit_caption(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
    let cap = caption(st, p)?;
    let markup = reply_markup(p)?;
    let m = edit_target(st, p)?;
    if m.kind == BotMessageKind::Text {
        return Err(bad("there is no caption in the message to edit"));
    }
    let (raw, mode) = match cap {
        Some((raw, mode, _)) => (Some(raw), mode),
        None => (None, None),
    };
    if visible(&m.caption, &m.parse_mode) == visible(&raw, &mode)
        && inline_only(&m.reply_markup) == inline_only(&markup)
    {
        return Err(bad(NOT_MODIFIED));
    }
    m.caption = raw;
    m.parse_mode = mode;
    m.reply_markup = markup;
    m.edits += 1;
    let m = m.clone();
    Ok(st.bot_message_json(&m, true))
}

fn edit_markup(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
    let markup = reply_markup(p)?;
    let m = edit_target(st, p)?;
    if inline_only(&m.reply_markup) == inline_only(&markup) {
        return Err(bad(NOT_MODIFIED));
    }
    m.reply_markup = markup;
    m.edits += 1;
    let m = m.clone();
    Ok(st.bot_message_json(&m, true))
}

fn delete_message(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
    let chat = chat_id(st, p)?;
    let id = message_id(p)?;
    let c = st.chats.get_mut(&chat).expect("checked");
    if c.learner_messages.remove(&id).is_some() {
        return Ok(json!(true));
    }
    match c.bot_message_mut(id) {
        Some(m) => {
            m.deleted = true;
            Ok(json!(true))
        }
        None => Err(bad("message to delete not found")),
    }
}

fn answer_callback(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
    let id = p.str("callback_query_id").unwrap_or_default();
    match st.callbacks.get_mut(&id) {
        Some(answered) if !*answered => *answered = true,
        _ => {
            return Err(bad(
                "query is too old and response timeout expired or query ID is invalid",
            ));
        }
    }
    let text = p.str("text").filter(|t| !t.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
        return Err(bad("MESSAGE_TOO_LONG"));
    }
    st.callback_answers.push(CallbackAnswer {
        id,
        text,
        show_alert: p.bool("show_alert"),
        url: p.str("url"),
    });
    Ok(json!(true))
}

fn get_file(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
    let id = p.str("file_id").unwrap_or_default();
    let f = st.files.get(&id).ok_or_else(|| bad("invalid file id"))?;
    if f.bytes.len() > MAX_DOWNLOAD {
        return Err(bad("file is too big"));
    }
    Ok(json!({
        "file_id": f.file_id,
        "file_unique_id": f.unique_id,
        "file_size": f.bytes.len(),
        "file_path": f.path,
    }))
}

/// `(scope, language_code)`; the scope canonicalised as compact JSON.
fn commands_key(p: &Params) -> Result<(String, String), ApiErr> {
    let scope = p
        .json("scope")
        .map_err(|_| bad("can't parse BotCommandScope JSON object"))?;
    let scope = scope.unwrap_or_else(|| json!({ "type": "default" }));
    let lang = p.str("language_code").unwrap_or_default();
    if !(lang.is_empty() || (lang.len() == 2 && lang.bytes().all(|b| b.is_ascii_lowercase()))) {
        return Err(bad("invalid language code specified"));
    }
    Ok((scope.to_string(), lang))
}

fn set_my_commands(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
    let key = commands_key(p)?;
    let cmds = p
        .json("commands")
        .map_err(|_| bad("can't parse commands JSON object"))?;
    let cmds = cmds
        .and_then(|c| c.as_array().cloned())
        .ok_or_else(|| bad("can't parse commands JSON object"))?;
    if cmds.len() > 100 {
        return Err(bad("too many commands specified"));
    }
    let mut list = Vec::new();
    for c in cmds {
        let command = c["command"].as_str().unwrap_or_default();
        let description = c["description"].as_str().unwrap_or_default();
        let valid = (1..=32).contains(&command.len())
            && command
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(bad("BOT_COMMAND_INVALID"));
        }
        if description.trim().is_empty() || description.chars().count() > 256 {
            return Err(bad("BOT_COMMAND_DESCRIPTION_INVALID"));
        }
        list.push((command.to_owned(), description.to_owned()));
    }
    if list.is_empty() {
        st.commands.remove(&key);
    } else {
        st.commands.insert(key, list);
    }
    Ok(json!(true))
}

fn get_my_commands(st: &Inner, p: &Params) -> Result<Value, ApiErr> {
    let key = commands_key(p)?;
    let list = st.commands.get(&key).cloned().unwrap_or_default();
    Ok(Value::Array(
        list.into_iter()
            .map(|(c, d)| json!({ "command": c, "description": d }))
            .collect(),
    ))
}

fn set_webhook(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
    let url = p.str("url").unwrap_or_default();
    if url.is_empty() {
        st.webhook_url = None;
        return Ok(json!(true));
    }
    if !url.starts_with("https://") {
        return Err(bad("bad webhook: HTTPS url must be provided for webhook"));
    }
    st.webhook_url = Some(url);
    if p.bool("drop_pending_updates") {
        st.queue.clear();
    }
    Ok(json!(true))
}
