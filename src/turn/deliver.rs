//! Sending a turn's reply: normally two messages (Honzík's voice with a short caption, then the
//! details), one when everything fits in the voice's caption. Every message replies to the
//! learner's message, and the last one is the turn's final reply. For a typed message the text
//! comes first and the voice last.
//!
//! The words the learner can save (Honzík's new words, the corrected ones) get buttons under the
//! details — under the voice when it is the only message. A 403 (the learner blocked the bot)
//! marks them blocked (in the outbox), and the reply stops there.
//!
//! The layout is a pure function of the stored answer, so a resumed turn rebuilds the same
//! messages and sends only those after its checkpoint. Each message but the last is
//! checkpointed as it goes out; the last one's checkpoint closes the turn (`store::turns::finish`).

use bytes::Bytes;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, InputFile};

use super::Stop;
use crate::app::App;
use crate::bot::handlers::words;
use crate::bot::outbox::{Body, Outbox, OutboxError, To};
use crate::bot::render::{self, TEXT_LIMIT, TurnKind, TurnLayout, TurnView};

/// One Telegram message of the reply.
enum Part {
    Voice { caption: String },
    Text(String),
}

/// Sends the reply's messages after the first `already_sent`; returns how many the reply has.
/// `answer_id` is the stored answer's id, which the save buttons refer to.
pub(super) async fn send(
    app: &App,
    out: &Outbox,
    msg: &Message,
    view: &TurnView<'_>,
    audio: Option<Bytes>,
    answer_id: i64,
    already_sent: u32,
) -> Result<u32, Stop> {
    let parts = layout(app, view, audio.is_some());
    let total = parts.len() as u32;
    let buttons =
        if already_sent < total { save_buttons(app, msg, view, answer_id).await } else { None };
    for (i, part) in parts.into_iter().enumerate().skip(already_sent as usize) {
        let last = i as u32 + 1 == total;
        let keyboard = buttons.clone().filter(|_| last);
        match part {
            Part::Voice { caption } => {
                let voice = InputFile::memory(audio.clone().unwrap_or_default());
                let voice = voice.file_name("honzik.ogg");
                failed(out.voice(msg, voice, Body::Html(caption), keyboard).await)?
            }
            Part::Text(text) => failed(out.text(To::reply(msg), text, keyboard).await)?,
        }
        if !last {
            crate::store::turns::set_delivered(&app.db, answer_id, i as u32 + 1).await?;
        }
    }
    Ok(total)
}

/// The reply's messages in order; the save buttons go under the last.
fn layout(app: &App, view: &TurnView<'_>, with_voice: bool) -> Vec<Part> {
    let i18n = &app.i18n;
    if !with_voice {
        // No voice (turned off, or TTS failed): the caption line heads the details.
        let text = format!("{}\n\n{}", render::caption(i18n, view), render::details(i18n, view));
        return render::split_message(&text, TEXT_LIMIT).into_iter().map(Part::Text).collect();
    }
    match (render::layout(i18n, view), view.kind) {
        (TurnLayout::Single { caption }, _) => vec![Part::Voice { caption }],
        (TurnLayout::Split { caption, details }, TurnKind::Voice) => {
            std::iter::once(Part::Voice { caption })
                .chain(details.into_iter().map(Part::Text))
                .collect()
        }
        (TurnLayout::Split { caption, details }, TurnKind::Text) => details
            .into_iter()
            .map(Part::Text)
            .chain(std::iter::once(Part::Voice { caption }))
            .collect(),
    }
}

/// Without buttons is better than without an answer: a failure here is only logged.
async fn save_buttons(
    app: &App,
    msg: &Message,
    view: &TurnView<'_>,
    honzik_message: i64,
) -> Option<InlineKeyboardMarkup> {
    let user = msg.from.as_ref()?.id.0 as i64;
    words::save_keyboard(app, user, honzik_message, view.reply).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "no save buttons for this turn");
        None
    })
}

fn failed(sent: Result<Message, OutboxError>) -> Result<(), Stop> {
    sent.map(drop).map_err(|e| Stop::Failed(e.into()))
}
