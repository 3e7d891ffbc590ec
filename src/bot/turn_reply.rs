//! The turn as Telegram shows it: the bot's side of [`crate::turn::Show`].
//!
//! A reply is normally two messages (Honzík's voice with a short caption, then the details), one
//! when everything fits in the voice's caption. Every message replies to the learner's message.
//! For a typed message the text comes first and the voice last. The words the learner can save
//! (Honzík's new words, the corrected ones) get buttons under the last message.
//!
//! The layout is a pure function of the stored answer (the turn checkpoints each message as it
//! goes out, so a resumed turn sends only those after its checkpoint). Everything goes out
//! through the [`Outbox`], whose policy decides what a learner who blocked the bot gets.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use teloxide::RequestError;
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{ChatAction, FileId, InlineKeyboardMarkup, InputFile};

use crate::app::App;
use crate::bot::handlers::words;
use crate::bot::outbox::{Body, Outbox, OutboxError, Showing, To};
use crate::bot::render::{self, TEXT_LIMIT, TurnKind, TurnLayout, TurnView};
use crate::i18n::{Arg, I18n, Lang};
use crate::turn::{AnswerView, AudioFile, Fetch, FetchError, Notice, Show, ShowError};

/// One learner message being answered in Telegram.
pub struct TelegramTurn<'a> {
    pub app: &'a Arc<App>,
    pub out: &'a Outbox,
    pub msg: &'a Message,
    /// The learner's interface language, for notices.
    pub lang: Lang,
}

/// One Telegram message of the reply.
pub enum Part {
    Voice { caption: String, keyboard: Option<InlineKeyboardMarkup> },
    Text { text: String, keyboard: Option<InlineKeyboardMarkup> },
}

impl Fetch for TelegramTurn<'_> {
    async fn fetch(&self, file: &AudioFile, cap: u64) -> Result<Bytes, FetchError> {
        download(self.out, file, cap).await
    }
}

/// Downloads a file through getFile, refusing to hold more than `cap` bytes whatever its metadata
/// claimed.
async fn download(out: &Outbox, file: &AudioFile, cap: u64) -> Result<Bytes, FetchError> {
    let file = match out.get_file(&FileId(file.file_id.clone())).await {
        Ok(f) => f,
        Err(RequestError::Api(e)) if e.to_string().to_ascii_lowercase().contains("too big") => {
            return Err(FetchError::TooBig { cap });
        }
        Err(e) => return Err(FetchError::Failed(format!("getFile: {e}"))),
    };
    if file.meta.size as u64 > cap {
        return Err(FetchError::TooBig { cap });
    }
    let mut stream = out.bot().download_file_stream(&file.path);
    let mut buf = BytesMut::with_capacity(file.meta.size as usize);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| FetchError::Failed(e.to_string()))?;
        if (buf.len() + chunk.len()) as u64 > cap {
            return Err(FetchError::TooBig { cap });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

impl Show for TelegramTurn<'_> {
    type Part = Part;
    type Busy = Showing;

    fn busy(&self, voice: bool) -> Showing {
        let action = if voice { ChatAction::RecordVoice } else { ChatAction::Typing };
        self.out.keep_showing(self.msg.chat.id, action)
    }

    async fn notice(&self, notice: &Notice) -> Result<(), ShowError> {
        let args: Vec<(&str, Arg)> = notice.args.iter().map(|(k, v)| (*k, Arg::from(*v))).collect();
        let sent = self.out.notice(self.msg, self.lang, notice.key, &args).await;
        self.shown(sent)
    }

    async fn layout(&self, view: &AnswerView<'_>) -> Vec<Part> {
        let mut keyboard = self.save_buttons(view).await;
        let user = self.msg.from.as_ref().map(|u| u.id.0 as i64).unwrap_or_default();
        let scene =
            crate::bot::handlers::scene::answer_buttons(self.app, user, view.lang, view.reply);
        if let Some(row) = scene.await {
            keyboard = Some(match keyboard {
                Some(k) => k.append_row(row),
                None => InlineKeyboardMarkup::new([row]),
            });
        }
        let mut parts = parts(&self.app.i18n, &turn_view(view));
        if let Some(Part::Voice { keyboard: k, .. } | Part::Text { keyboard: k, .. }) =
            parts.last_mut()
        {
            *k = keyboard;
        }
        parts
    }

    async fn send(&self, part: Part, voice: Option<&Bytes>, _last: bool) -> Result<(), ShowError> {
        let to = To::reply(self.msg);
        let sent = match part {
            Part::Text { text, keyboard } => self.out.text(to, text, keyboard).await,
            Part::Voice { caption, keyboard } => {
                let audio = voice.cloned().unwrap_or_default();
                let file = InputFile::memory(audio).file_name("honzik.ogg");
                self.out.voice(to, file, Body::Html(caption), keyboard).await
            }
        };
        self.shown(sent)
    }
}

impl TelegramTurn<'_> {
    /// The outbox's answer in the turn's terms: a learner gone, Telegram failing for now (the
    /// turn waits and delivers from its checkpoint), or a final refusal.
    fn shown(&self, sent: Result<Message, OutboxError>) -> Result<(), ShowError> {
        let Err(e) = sent else { return Ok(()) };
        if e.recipient_gone() {
            return Err(ShowError::Gone(e.to_string()));
        }
        if let (true, OutboxError::Telegram(t)) = (e.is_transient(), &e) {
            self.app.metrics.upstream_error("telegram", crate::metrics::telegram_error_kind(t));
            return Err(ShowError::Transient(e.to_string()));
        }
        Err(ShowError::Final(e.to_string()))
    }

    /// Without buttons is better than without an answer: a failure here is only logged.
    async fn save_buttons(&self, view: &AnswerView<'_>) -> Option<InlineKeyboardMarkup> {
        let user = self.msg.from.as_ref()?.id.0 as i64;
        // Read with the answer, usually; a resumed answer's are read here.
        if let Some(saved) = view.saved_words {
            return words::save_keyboard_of(view.answer_id, view.reply, saved);
        }
        words::save_keyboard(self.app, user, view.answer_id, view.reply).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "no save buttons for this turn");
            None
        })
    }
}

fn turn_view<'a>(v: &AnswerView<'a>) -> TurnView<'a> {
    TurnView {
        lang: v.lang,
        level: v.level,
        kind: if v.spoken { TurnKind::Voice } else { TurnKind::Text },
        learner_text: v.learner_text,
        reply: v.reply,
        stars_earned: v.earned.stars,
        streak_days: v.earned.streak,
        challenge_completed: v.earned.challenge_completed,
        nudge_czech: v.nudge_czech,
        with_voice: v.with_voice,
    }
}

/// The reply's messages in order, without buttons.
fn parts(i18n: &I18n, view: &TurnView<'_>) -> Vec<Part> {
    let text = |text| Part::Text { text, keyboard: None };
    let voice = |caption| Part::Voice { caption, keyboard: None };
    if !view.with_voice {
        // No voice (turned off, or TTS failed): the caption line heads the details.
        let all = format!("{}\n\n{}", render::caption(i18n, view), render::details(i18n, view));
        return render::split_message(&all, TEXT_LIMIT).into_iter().map(text).collect();
    }
    match (render::layout(i18n, view), view.kind) {
        (TurnLayout::Single { caption }, _) => vec![voice(caption)],
        (TurnLayout::Split { caption, details }, TurnKind::Voice) => {
            std::iter::once(voice(caption)).chain(details.into_iter().map(text)).collect()
        }
        (TurnLayout::Split { caption, details }, TurnKind::Text) => {
            details.into_iter().map(text).chain(std::iter::once(voice(caption))).collect()
        }
    }
}
