//! Public types of the Telegram emulator: configuration, faults, and what a
//! test observes (the bot's messages as the user would see them).

use std::time::Duration;

use serde_json::Value;

use crate::latency::LatencyRange;

/// How the emulator behaves. `Default` is what integration tests want: no
/// latency, no flood control, Telegram-strict validation.
#[derive(Debug, Clone)]
pub struct TelegramConfig {
    /// Enforce Telegram's flood limits (about 1 message/s per chat with a
    /// burst of 3, 30 messages/s overall) with 429 `retry_after`. Off by
    /// default so functional tests are not slowed down.
    pub flood_limits: bool,
    /// Delay before a file download starts (`GET /file/bot…`), to exercise
    /// the bot's timeouts and concurrency.
    pub download_delay: Option<Duration>,
    /// Delay added to every Bot API method call.
    pub method_latency: LatencyRange,
    /// Reject a bare `&` that does not start an entity in HTML text.
    /// Telegram itself silently keeps such a `&`, but text containing one
    /// was almost always built without escaping, so tests are stricter by
    /// default. Set to `false` for exactly Telegram's behaviour.
    pub strict_html_ampersand: bool,
    pub bot_id: i64,
    pub bot_first_name: String,
    pub bot_username: String,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        Self {
            flood_limits: false,
            download_delay: None,
            method_latency: LatencyRange::ZERO,
            strict_html_ampersand: true,
            bot_id: 123_456,
            bot_first_name: "Honzík".into(),
            bot_username: "mluvme_test_bot".into(),
        }
    }
}

/// An injected failure for the next calls of one method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TgFault {
    /// 429 "Too Many Requests: retry after N" with `parameters.retry_after`.
    TooManyRequests { retry_after: u32 },
    /// A 5xx with Telegram's JSON error body (note: teloxide sleeps 10 s
    /// after any 5xx before returning the error).
    ServerError(u16),
    /// Any other error, e.g. `Api { code: 403, description: "Forbidden: bot
    /// was blocked by the user".into() }`.
    Api { code: u16, description: String },
    /// Never answer (until the emulator is dropped): exercises client
    /// timeouts.
    Hang,
}

/// What a learner action produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub update_id: i64,
    pub message_id: i64,
}

/// A message the bot just sent (see `TelegramEmulator::subscribe_sent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentEvent {
    pub chat_id: i64,
    pub message_id: i64,
    pub reply_to: Option<i64>,
    pub kind: BotMessageKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotMessageKind {
    Text,
    Voice,
    Photo,
    Audio,
    /// Also what a `sendVoice` whose file is not OGG/MP3/M4A becomes, as on
    /// Telegram.
    Document,
    /// `sendPoll` (see [`BotMessage::poll`]).
    Poll,
}

/// One message the bot sent, as it currently stands (edits applied).
#[derive(Debug, Clone, PartialEq)]
pub struct BotMessage {
    pub message_id: i64,
    pub chat_id: i64,
    pub kind: BotMessageKind,
    /// Raw text as the bot sent it (HTML source when `parse_mode` is HTML).
    pub text: Option<String>,
    /// Raw caption as the bot sent it.
    pub caption: Option<String>,
    pub parse_mode: Option<String>,
    /// Message id this one replies to, if the reply was honoured.
    pub reply_to: Option<i64>,
    /// The markup as sent (inline keyboards, but also reply keyboards,
    /// `remove_keyboard` and `force_reply`, which Telegram does not echo).
    pub reply_markup: Option<Value>,
    pub file_id: Option<String>,
    /// Uploaded bytes (voice, photo, audio, document).
    pub file_bytes: Option<Vec<u8>>,
    /// Voice/audio duration in seconds (given or computed from the file).
    pub duration: Option<u32>,
    /// Unix time of sending.
    pub date: i64,
    pub deleted: bool,
    /// How many successful edits (text, caption or markup).
    pub edits: u32,
    /// A poll as Telegram returns it (`id`, `question`, `options`, `type`,
    /// `correct_option_id`, …), with the votes cast so far.
    pub poll: Option<Value>,
}

impl BotMessage {
    /// The text (or caption) as the user sees it: tags removed, entities
    /// decoded, surrounding whitespace trimmed like Telegram does.
    pub fn plain_text(&self) -> String {
        let raw = self.text.as_deref().or(self.caption.as_deref()).unwrap_or("");
        super::html::visible_text(raw, self.parse_mode.as_deref())
    }

    /// A poll's question and option texts.
    pub fn poll_options(&self) -> Option<(String, Vec<String>)> {
        let p = self.poll.as_ref()?;
        let options = p["options"].as_array()?.iter();
        let texts = options.filter_map(|o| o["text"].as_str().map(str::to_owned)).collect();
        Some((p["question"].as_str()?.to_owned(), texts))
    }

    /// Inline keyboard callback buttons, row by row: `(text, callback_data)`.
    pub fn buttons(&self) -> Vec<(String, String)> {
        self.inline_buttons()
            .filter_map(|b| {
                Some((b["text"].as_str()?.to_owned(), b["callback_data"].as_str()?.to_owned()))
            })
            .collect()
    }

    /// Inline keyboard URL buttons: `(text, url)`.
    pub fn url_buttons(&self) -> Vec<(String, String)> {
        self.inline_buttons()
            .filter_map(|b| Some((b["text"].as_str()?.to_owned(), b["url"].as_str()?.to_owned())))
            .collect()
    }

    /// Reply-keyboard button texts (`ReplyKeyboardMarkup`), row by row.
    pub fn keyboard(&self) -> Vec<String> {
        let rows = self.reply_markup.as_ref().and_then(|m| m["keyboard"].as_array());
        rows.into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(|b| b.as_str().or_else(|| b["text"].as_str()).map(str::to_owned))
            .collect()
    }

    fn inline_buttons(&self) -> impl Iterator<Item = &Value> {
        let rows = self.reply_markup.as_ref().and_then(|m| m["inline_keyboard"].as_array());
        rows.into_iter().flatten().filter_map(Value::as_array).flatten()
    }
}

/// Bot commands as `(command, description)` pairs, in the order set.
pub type CommandList = Vec<(String, String)>;

/// One `answerCallbackQuery` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackAnswer {
    pub id: String,
    pub text: Option<String>,
    pub show_alert: bool,
    pub url: Option<String>,
}

/// A 4xx the emulator returned to the bot (injected faults excluded).
/// Integration tests assert this list is empty: each entry is a request the
/// real Telegram would have refused too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Method name as the bot spelled it.
    pub method: String,
    pub error_code: u16,
    pub description: String,
}
