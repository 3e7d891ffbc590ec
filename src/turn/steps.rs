//! The turn's last step and its two small checks: delivering the answer message by message, each
//! behind the fence and checkpointed; waiting for OpenAI to come back; and whether a typed text
//! can make a turn at all.

use bytes::Bytes;

use super::{AnswerView, Fence, MAX_TEXT_CHARS, MIN_TEXT_CHARS, Notice, Show, Stop, fence};
use crate::app::App;
use crate::store::turns as turn_store;

/// Sends the answer's messages after the first `already_sent`, each but the last checkpointed
/// as it goes out (the last one's checkpoint closes the turn: `store::turns::finish`); returns
/// how many messages the answer has.
pub(super) async fn deliver<S: Show>(
    app: &App,
    show: &S,
    fence: &dyn Fence,
    view: &AnswerView<'_>,
    voice: Option<&Bytes>,
    already_sent: u32,
) -> Result<u32, Stop> {
    let parts = show.layout(view).await;
    let total = parts.len() as u32;
    for (i, part) in parts.into_iter().enumerate().skip(already_sent as usize) {
        let last = i as u32 + 1 == total;
        fence::check(fence).await?;
        show.send(part, voice, last).await?;
        if !last {
            turn_store::set_delivered(&app.db, view.answer_id, i as u32 + 1).await?;
        }
    }
    Ok(total)
}

/// Waits until the chat and speech-to-text services take requests again (their circuit closed,
/// or its cooldown over so the next request probes it), at most until `until` (the turn's first
/// outage plus `OUTAGE_WAIT_SECONDS`). A pause between tries keeps a service that fails without
/// opening its circuit from being hammered. `false` when the time ran out.
pub(super) async fn upstream_back(app: &App, until: tokio::time::Instant) -> bool {
    let (chat, stt) = (app.chat.outage(), app.speech.transcription_outage());
    let back = async {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        chat.ready().await;
        stt.ready().await;
    };
    tokio::time::timeout_at(until, back).await.is_ok() && tokio::time::Instant::now() < until
}

/// A typed text long and short enough to answer.
pub(super) fn checked_text(text: &str) -> Result<String, Stop> {
    let text = text.trim().to_owned();
    let chars = text.chars().count();
    if chars < MIN_TEXT_CHARS {
        return Err(Stop::notice("text-too-short"));
    }
    if chars > MAX_TEXT_CHARS {
        return Err(Stop::Notice(Notice::with("text-too-long", &[("max", MAX_TEXT_CHARS as i64)])));
    }
    Ok(text)
}
