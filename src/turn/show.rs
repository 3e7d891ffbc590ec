//! What a turn needs from the messenger that carries it, as two small traits the bot implements
//! (`bot::turn_reply` for Telegram). The turn decides *what* happens — which notice, which
//! answer, in which order, with a checkpoint after each message — and knows nothing of how it is
//! shown: no Telegram types, no HTML, no pacing. That keeps calls running one way (bot → turn)
//! and lets the turn be driven by anything that can fetch a file and show a message.

use std::future::Future;

use bytes::Bytes;

use crate::i18n::Lang;
use crate::settings::Level;
use crate::store::answer::Earned;
use crate::tutor::HonzikReply;

/// A file the learner sent, as the messenger describes it before anything is downloaded.
#[derive(Clone, Debug)]
pub struct AudioFile {
    /// The messenger's handle for downloading it.
    pub file_id: String,
    /// Seconds, as the sender's app claims.
    pub duration: u32,
    /// Bytes, as claimed; `None` when the messenger did not say.
    pub size: Option<u32>,
}

/// Why a download gave nothing.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("the file is larger than {cap} bytes")]
    TooBig { cap: u64 },
    #[error("download failed: {0}")]
    Failed(String),
}

/// Downloading what the learner sent (a voice note, an audio file).
pub trait Fetch: Send + Sync {
    /// The whole file, refusing to hold more than `cap` bytes whatever its metadata claimed.
    fn fetch(
        &self,
        file: &AudioFile,
        cap: u64,
    ) -> impl Future<Output = Result<Bytes, FetchError>> + Send;
}

/// Why showing something failed.
#[derive(Debug, thiserror::Error)]
pub enum ShowError {
    /// The messenger is failing for now (after its own retries): the answer is stored, so the
    /// turn delivers it from its checkpoint once the messenger is back.
    #[error("the messenger is failing for now: {0}")]
    Transient(String),
    /// The learner cannot be written to (they blocked the bot): nothing more is shown for this
    /// turn, not even a "something went wrong".
    #[error("the learner cannot be written to: {0}")]
    Gone(String),
    /// It will not work however often it is tried (a bad request).
    #[error("could not show it: {0}")]
    Final(String),
}

/// A short localized message instead of an answer: a locale key and its numeric arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub key: &'static str,
    pub args: Vec<(&'static str, i64)>,
}

impl Notice {
    pub fn new(key: &'static str) -> Notice {
        Notice { key, args: Vec::new() }
    }

    pub fn with(key: &'static str, args: &[(&'static str, i64)]) -> Notice {
        Notice { key, args: args.to_vec() }
    }
}

/// Everything the learner is shown of an answered turn: a pure function of the stored answer,
/// so a resumed turn lays out the same messages and sends only those after its checkpoint.
#[derive(Clone, Copy, Debug)]
pub struct AnswerView<'a> {
    /// The stored answer (the save buttons refer to it).
    pub answer_id: i64,
    pub lang: Lang,
    pub level: Level,
    /// Spoken (transcribed) rather than typed.
    pub spoken: bool,
    pub learner_text: &'a str,
    pub reply: &'a HonzikReply,
    pub earned: Earned,
    /// The learner seems to write in another language: Honzík nudges them back to Czech.
    pub nudge_czech: bool,
    /// Honzík's voice goes with the answer.
    pub with_voice: bool,
    /// Which of the reply's words (normalized) the learner has saved already, when the turn
    /// read them with the answer; `None`: the messenger reads them for the save buttons.
    pub saved_words: Option<&'a std::collections::HashSet<String>>,
}

/// Showing a turn to the learner who sent it.
pub trait Show: Fetch {
    /// One message of an answer, as the messenger lays it out.
    type Part: Send;
    /// Keeps a "recording voice…" / "typing…" indicator up while the turn runs; dropping it
    /// stops it.
    type Busy: Send;

    fn busy(&self, voice: bool) -> Self::Busy;

    /// Tells the learner something instead of an answer.
    fn notice(&self, notice: &Notice) -> impl Future<Output = Result<(), ShowError>> + Send;

    /// The answer's messages in order (the same every time for the same answer).
    fn layout(&self, view: &AnswerView<'_>) -> impl Future<Output = Vec<Self::Part>> + Send;

    /// Sends one message of the answer (`last`: the turn's final message), with Honzík's voice
    /// where the part carries it.
    fn send(
        &self,
        part: Self::Part,
        voice: Option<&Bytes>,
        last: bool,
    ) -> impl Future<Output = Result<(), ShowError>> + Send;
}
