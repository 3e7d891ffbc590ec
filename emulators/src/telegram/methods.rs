//! The Bot API methods, as pure functions of the state and the request
//! parameters (no I/O, no waiting: `getUpdates` long polling and file
//! downloads live in `server`).
//!
//! Validation order and error texts follow the real Bot API, so that the
//! bot's error handling is exercised exactly as in production. The sending
//! methods and the shared parameter checks are in `send`.

use serde_json::{Value, json};

use super::error::{ApiErr, bad};
use super::html;
use super::send::{
    Media, caption, chat_id, message_id, message_text, reply_markup, send_media, send_message,
};
use super::state::Inner;
use super::types::{BotMessage, BotMessageKind, CallbackAnswer};
use crate::body::Params;

const NOT_MODIFIED: &str = "message is not modified: specified new message content and reply markup are exactly \
                            the same as a current content and reply markup of the message";
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
        "sendpoll" => super::poll::send_poll(st, p),
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
        "setwebhook" => super::webhook::set_webhook(st, p),
        "deletewebhook" => super::webhook::delete_webhook(st, p),
        "getwebhookinfo" => Ok(super::webhook::webhook_info(st)),
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

fn send_chat_action(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
    let chat = chat_id(st, p)?;
    let action = p.str("action").unwrap_or_default();
    if !CHAT_ACTIONS.contains(&action.as_str()) {
        return Err(bad("wrong parameter action in request"));
    }
    st.chats.get_mut(&chat).expect("checked").actions.push(action);
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
    c.bot_message_mut(id).ok_or_else(|| bad("message to edit not found"))
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
    let scope = p.json("scope").map_err(|_| bad("can't parse BotCommandScope JSON object"))?;
    let scope = scope.unwrap_or_else(|| json!({ "type": "default" }));
    let lang = p.str("language_code").unwrap_or_default();
    if !(lang.is_empty() || (lang.len() == 2 && lang.bytes().all(|b| b.is_ascii_lowercase()))) {
        return Err(bad("invalid language code specified"));
    }
    Ok((scope.to_string(), lang))
}

fn set_my_commands(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
    let key = commands_key(p)?;
    let cmds = p.json("commands").map_err(|_| bad("can't parse commands JSON object"))?;
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
            && command.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
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
        list.into_iter().map(|(c, d)| json!({ "command": c, "description": d })).collect(),
    ))
}
