//! Sending a turn's reply: normally two messages (Honzík's voice with a short caption, then the
//! details), one when everything fits in the voice's caption. Every message replies to the
//! learner's message, and the last one is the turn's final reply. For a typed message the text
//! comes first and the voice last.

use bytes::Bytes;
use teloxide::prelude::*;
use teloxide::types::{InputFile, MessageId, ParseMode, ReplyParameters};

use super::Stop;
use crate::app::App;
use crate::bot::render::{self, TEXT_LIMIT, TurnKind, TurnLayout, TurnView};
use crate::bot::send;

pub(super) async fn send(app: &App, msg: &Message, view: &TurnView<'_>, audio: Option<Bytes>) -> Result<(), Stop> {
    let i18n = &app.i18n;
    let Some(audio) = audio else {
        // No voice (turned off, or TTS failed): the caption line heads the details.
        let text = format!("{}\n\n{}", render::caption(i18n, view), render::details(i18n, view));
        for part in render::split_message(&text, TEXT_LIMIT) {
            send_text(app, msg, part).await?;
        }
        return Ok(());
    };
    match (render::layout(i18n, view), view.kind) {
        (TurnLayout::Single { caption }, _) => send_voice(app, msg, audio, caption).await?,
        (TurnLayout::Split { caption, details }, TurnKind::Voice) => {
            send_voice(app, msg, audio, caption).await?;
            for part in details {
                send_text(app, msg, part).await?;
            }
        }
        (TurnLayout::Split { caption, details }, TurnKind::Text) => {
            for part in details {
                send_text(app, msg, part).await?;
            }
            send_voice(app, msg, audio, caption).await?;
        }
    }
    Ok(())
}

fn reply_to(id: MessageId) -> ReplyParameters {
    ReplyParameters::new(id).allow_sending_without_reply()
}

async fn send_text(app: &App, msg: &Message, text: String) -> Result<(), Stop> {
    send::with_retry("reply text", || {
        app.bot.send_message(msg.chat.id, text.clone()).parse_mode(ParseMode::Html).reply_parameters(reply_to(msg.id)).into_future()
    })
    .await
    .map_err(|e| Stop::Failed(e.into()))?;
    Ok(())
}

async fn send_voice(app: &App, msg: &Message, audio: Bytes, caption: String) -> Result<(), Stop> {
    send::with_retry("reply voice", || {
        app.bot
            .send_voice(msg.chat.id, InputFile::memory(audio.clone()).file_name("honzik.ogg"))
            .caption(caption.clone())
            .parse_mode(ParseMode::Html)
            .reply_parameters(reply_to(msg.id))
            .into_future()
    })
    .await
    .map_err(|e| Stop::Failed(e.into()))?;
    Ok(())
}
