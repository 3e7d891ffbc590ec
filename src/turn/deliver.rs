//! Sending a turn's reply: normally two messages (Honzík's voice with a short caption, then the
//! details), one when everything fits in the voice's caption. Every message replies to the
//! learner's message, and the last one is the turn's final reply. For a typed message the text
//! comes first and the voice last.
//!
//! The words the learner can save (Honzík's new words, the corrected ones) get buttons under the
//! details — under the voice when it is the only message. A 403 (the learner blocked the bot)
//! marks them blocked, so nothing more is sent to them.

use bytes::Bytes;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, InputFile, MessageId, ParseMode, ReplyParameters};
use teloxide::RequestError;

use super::Stop;
use crate::app::App;
use crate::bot::handlers::words;
use crate::bot::render::{self, TEXT_LIMIT, TurnKind, TurnLayout, TurnView};
use crate::bot::send;

/// `honzik_message` is the stored answer's id, which the save buttons refer to.
pub(super) async fn send(app: &App, msg: &Message, view: &TurnView<'_>, audio: Option<Bytes>, honzik_message: i64) -> Result<(), Stop> {
    let i18n = &app.i18n;
    let buttons = save_buttons(app, msg, view, honzik_message).await;
    let Some(audio) = audio else {
        // No voice (turned off, or TTS failed): the caption line heads the details.
        let text = format!("{}\n\n{}", render::caption(i18n, view), render::details(i18n, view));
        return send_texts(app, msg, render::split_message(&text, TEXT_LIMIT), buttons).await;
    };
    match (render::layout(i18n, view), view.kind) {
        (TurnLayout::Single { caption }, _) => send_voice(app, msg, audio, caption, buttons).await,
        (TurnLayout::Split { caption, details }, TurnKind::Voice) => {
            send_voice(app, msg, audio, caption, None).await?;
            send_texts(app, msg, details, buttons).await
        }
        (TurnLayout::Split { caption, details }, TurnKind::Text) => {
            send_texts(app, msg, details, buttons).await?;
            send_voice(app, msg, audio, caption, None).await
        }
    }
}

/// Without buttons is better than without an answer: a failure here is only logged.
async fn save_buttons(app: &App, msg: &Message, view: &TurnView<'_>, honzik_message: i64) -> Option<InlineKeyboardMarkup> {
    let user = msg.from.as_ref()?.id.0 as i64;
    words::save_keyboard(app, user, honzik_message, view.reply).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "no save buttons for this turn");
        None
    })
}

fn reply_to(id: MessageId) -> ReplyParameters {
    ReplyParameters::new(id).allow_sending_without_reply()
}

/// The parts in order, the buttons under the last one.
async fn send_texts(app: &App, msg: &Message, parts: Vec<String>, buttons: Option<InlineKeyboardMarkup>) -> Result<(), Stop> {
    let last = parts.len().saturating_sub(1);
    for (i, part) in parts.into_iter().enumerate() {
        send_text(app, msg, part, buttons.as_ref().filter(|_| i == last)).await?;
    }
    Ok(())
}

async fn send_text(app: &App, msg: &Message, text: String, buttons: Option<&InlineKeyboardMarkup>) -> Result<(), Stop> {
    let sent = send::with_retry("reply text", || {
        let req = app.bot.send_message(msg.chat.id, text.clone()).parse_mode(ParseMode::Html).reply_parameters(reply_to(msg.id));
        match buttons {
            Some(k) => req.reply_markup(k.clone()).into_future(),
            None => req.into_future(),
        }
    })
    .await;
    failed(app, msg, sent).await
}

async fn send_voice(app: &App, msg: &Message, audio: Bytes, caption: String, buttons: Option<InlineKeyboardMarkup>) -> Result<(), Stop> {
    let sent = send::with_retry("reply voice", || {
        let req = app
            .bot
            .send_voice(msg.chat.id, InputFile::memory(audio.clone()).file_name("honzik.ogg"))
            .caption(caption.clone())
            .parse_mode(ParseMode::Html)
            .reply_parameters(reply_to(msg.id));
        match &buttons {
            Some(k) => req.reply_markup(k.clone()).into_future(),
            None => req.into_future(),
        }
    })
    .await;
    failed(app, msg, sent).await
}

async fn failed(app: &App, msg: &Message, sent: Result<Message, RequestError>) -> Result<(), Stop> {
    let Err(e) = sent else { return Ok(()) };
    if let Some(user) = &msg.from {
        crate::bot::mark_if_blocked(app, user.id.0 as i64, &e).await;
    }
    Err(Stop::Failed(e.into()))
}
