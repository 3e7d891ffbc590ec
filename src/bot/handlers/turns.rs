//! Voice and text messages: extract the input, hand it to the turn pipeline.

use std::sync::Arc;

use teloxide::prelude::*;

use crate::app::App;
use crate::bot::HandlerResult;
use crate::store::learners::Learner;
use crate::turn::{self, AudioInput, Input};

/// A voice note, an audio file, a round video note, or a document that says it is audio.
pub fn voice_input(msg: Message) -> Option<AudioInput> {
    if let Some(v) = msg.voice() {
        return Some(AudioInput { file_id: v.file.id.clone(), duration: v.duration.seconds(), size: v.file.size, kind: "voice", declared_audio: true });
    }
    if let Some(a) = msg.audio() {
        return Some(AudioInput { file_id: a.file.id.clone(), duration: a.duration.seconds(), size: a.file.size, kind: "audio", declared_audio: true });
    }
    if let Some(v) = msg.video_note() {
        return Some(AudioInput { file_id: v.file.id.clone(), duration: v.duration.seconds(), size: v.file.size, kind: "video_note", declared_audio: true });
    }
    let d = msg.document()?;
    let declared_audio = d.mime_type.as_ref().is_some_and(|m| m.type_() == "audio" || m.subtype() == "ogg");
    Some(AudioInput { file_id: d.file.id.clone(), duration: 0, size: d.file.size, kind: "audio", declared_audio })
}

/// Plain text that is not a command.
pub fn text_input(msg: Message) -> Option<String> {
    msg.text().map(str::to_owned)
}

pub async fn voice(app: Arc<App>, msg: Message, update: Update, learner: Learner, input: AudioInput) -> HandlerResult {
    turn::run(&app, &learner, &msg, update.id.0 as i64, Input::Audio(input)).await
}

pub async fn text(app: Arc<App>, msg: Message, update: Update, learner: Learner, text: String) -> HandlerResult {
    turn::run(&app, &learner, &msg, update.id.0 as i64, Input::Text(text)).await
}
