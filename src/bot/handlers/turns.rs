//! Voice and text messages: extract the input, pass the paid gate (`access::gate`), hand it to
//! the turn pipeline.

use std::sync::Arc;

use teloxide::prelude::*;
use tokio_util::task::AbortOnDropHandle;
use tracing::Instrument;

use crate::app::App;
use crate::bot::handlers::access::{Gate, Sender, gate_with};
use crate::bot::turn_reply::TelegramTurn;
use crate::bot::{HandlerResult, Telegram};
use crate::store::learners::Learner;
use crate::turn::{self, AudioFile, AudioInput, Fence, Input, MessageKind, Request};

/// A voice note, an audio file, a round video note, or a document that says it is audio.
pub fn voice_input(msg: Message) -> Option<AudioInput> {
    let audio = |file: &teloxide::types::FileMeta, duration: u32, kind, declared_audio| {
        // teloxide reports a size Telegram left out as u32::MAX.
        let size = Some(file.size).filter(|s| *s != u32::MAX);
        let file = AudioFile { file_id: file.id.0.clone(), duration, size };
        Some(AudioInput { file, kind, declared_audio })
    };
    if let Some(v) = msg.voice() {
        return audio(&v.file, v.duration.seconds(), MessageKind::Voice, true);
    }
    if let Some(a) = msg.audio() {
        return audio(&a.file, a.duration.seconds(), MessageKind::Audio, true);
    }
    if let Some(v) = msg.video_note() {
        return audio(&v.file, v.duration.seconds(), MessageKind::VideoNote, true);
    }
    let d = msg.document()?;
    let declared_audio =
        d.mime_type.as_ref().is_some_and(|m| m.type_() == "audio" || m.subtype() == "ogg");
    audio(&d.file, 0, MessageKind::Audio, declared_audio)
}

/// Plain text that is not a command, without the invisible junk [`clean_text`] drops.
pub fn text_input(msg: Message) -> Option<String> {
    msg.text().map(clean_text)
}

/// Drops what no learner types on purpose and what would harm on the way: control characters but
/// line breaks and tabs (a NUL cannot even be stored in PostgreSQL text, and escape sequences
/// and bells have no place in a prompt or a reply), bidirectional overrides and isolates (they
/// would reverse the "you wrote" line shown back), byte-order marks and Unicode noncharacters.
/// Letters, emoji (with their joiners) and punctuation are kept as typed. Text of nothing but
/// junk comes out empty, and the turn explains that it is too short — after storing it.
pub fn clean_text(text: &str) -> String {
    let junk = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{FDD0}'..='\u{FDEF}')
            || (c as u32) & 0xFFFE == 0xFFFE
    };
    text.chars().filter(|c| !junk(*c)).collect()
}

/// What a turn answers: a voice (or other audio, see [`voice_input`]) or plain text (see
/// [`text_input`]). A text message carries no audio, so which one it is never depends on order.
pub fn turn_input(msg: Message) -> Option<Input> {
    if msg.text().is_some() {
        return text_input(msg).map(Input::Text);
    }
    voice_input(msg).map(Input::Audio)
}

/// A voice or text message that nothing else was waiting for: a turn, once the paid gate lets
/// it through. One handler for both, as only the input differs.
// What the tree injects by type, each named: grouping them would only hide which is which.
#[allow(clippy::too_many_arguments)]
pub async fn turn(
    app: Arc<App>,
    tg: Arc<Telegram>,
    msg: Message,
    update: Update,
    fence: Arc<dyn Fence>,
    learner: Learner,
    input: Input,
    sender: Arc<Sender>,
) -> HandlerResult {
    // Spawned in a statement of its own: the turn's future is moved into its task, and this
    // one keeps no room for it (awaited in the same statement, it did: ~28 KB a turn).
    let turn = own_task(async move {
        let known = sender.take_standing();
        if gate_with(&app, &tg, &msg, update.id.0 as i64, &learner, known).await? == Gate::Closed {
            return Ok(());
        }
        let to = Asked { msg: &msg, update: &update, fence: fence.as_ref() };
        answer(&app, &tg, to, &learner, input).await
    });
    turn.await
}

/// Starts a turn as a task of its own; the future returned waits for it. The handler tree wraps
/// a handler in a dozen and more nested futures, and a turn is woken a hundred times and more
/// (each query, each streamed piece of the answer); polled down through the tree on every wake,
/// that was ~5 % of the bot's CPU (BENCHMARKS.md, issue 18). Dropping the future returned (a
/// cancelled update) aborts the task, as dropping the turn did; a panic in it goes on up.
fn own_task<F>(turn: F) -> impl std::future::Future<Output = HandlerResult> + Send
where
    F: std::future::Future<Output = HandlerResult> + Send + 'static,
{
    let task = AbortOnDropHandle::new(tokio::spawn(turn.in_current_span()));
    async move {
        match task.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only the runtime shutting down cancels it while it is awaited here.
            Err(_) => Ok(()),
        }
    }
}

/// The learner's message to answer, the update it came in, and what tells the turn whether that
/// update is still this run's.
struct Asked<'a> {
    msg: &'a Message,
    update: &'a Update,
    fence: &'a dyn Fence,
}

/// Hands the message to the turn, shown in this chat.
async fn answer(
    app: &Arc<App>,
    tg: &Telegram,
    Asked { msg, update, fence }: Asked<'_>,
    learner: &Learner,
    input: Input,
) -> HandlerResult {
    let request = Request {
        update_id: update.id.0 as i64,
        chat_id: msg.chat.id.0,
        message_id: msg.id.0 as i64,
        input,
    };
    let show = TelegramTurn { app, out: &tg.outbox, msg, lang: learner.lang };
    let ran = turn::run(app, &show, fence, learner, request).await?;
    // A scene whose goal this turn reached ends with its debrief (nothing to read when the turn
    // found no scene open).
    if !ran.maybe_in_scene {
        return Ok(());
    }
    super::scene::after_turn(app, tg, msg, learner).await
}

#[cfg(test)]
mod tests {
    use super::clean_text;

    #[test]
    fn control_characters_and_bidi_overrides_go_and_czech_and_emoji_stay() {
        assert_eq!(
            clean_text("Ahoj\0\u{7} jak\u{1b}[31m se máš?\u{202E}\u{FEFF}"),
            "Ahoj jak[31m se máš?"
        );
        assert_eq!(
            clean_text("Dobrý den,\r\nmám\trád pivo 🍺👨\u{200D}👩\u{200D}👧"),
            "Dobrý den,\nmám\trád pivo 🍺👨\u{200D}👩\u{200D}👧"
        );
        assert_eq!(clean_text("\0\u{1}\u{2}\u{3}\u{7f}\u{85}\u{FFFF}\u{1FFFE}"), "");
        assert_eq!(clean_text("Příliš žluťoučký kůň"), "Příliš žluťoučký kůň");
    }
}
