//! One learner turn as a pipeline: audio → speech-to-text → Honzík → text-to-speech → deliver →
//! store, with a checkpoint after each paid or visible step.
//!
//! The learner's message is stored first, so nothing they sent is lost whatever fails later.
//! A turn interrupted by a crash or a deploy is resumed from its last checkpoint
//! (`store::turns`): a transcribed voice is not transcribed again, an answered turn is not
//! answered again, and the reply's messages that went out are not sent again — only the one
//! being sent at the instant of the crash may be. Anything that stops the turn becomes one
//! localized notice; internal errors are logged and never shown.

mod compose;
mod fence;
pub mod grade;
mod listen;
pub mod memory;
mod show;
mod steps;
mod voice;
pub use fence::Fence;
pub use listen::{transcribe_only, transcribe_timed};
pub use show::{AnswerView, AudioFile, Fetch, FetchError, Notice, Show, ShowError};
use steps::{checked_text, deliver, upstream_back};
pub use voice::{speak_only, speak_only_at};

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use tracing::Instrument;

use crate::ai::client::AiError;
use crate::app::App;
use crate::metrics::{TurnKind, TurnOutcome};
use crate::store::StoreError;
use crate::store::answer::Earned;
use crate::store::learners::Learner;
use crate::store::turns::{self as turn_store, Checkpoint, LearnerMessage, Timings, TurnEnd};
use crate::tutor::{self, HonzikReply};

/// What kind of message the learner sent; stored as [`MessageKind::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    Voice,
    Audio,
    VideoNote,
    Text,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Voice => "voice",
            MessageKind::Audio => "audio",
            MessageKind::VideoNote => "video_note",
            MessageKind::Text => "text",
        }
    }
}

/// Audio the learner sent, as the messenger describes it before anything is downloaded.
#[derive(Clone, Debug)]
pub struct AudioInput {
    pub file: AudioFile,
    pub kind: MessageKind,
    /// False for a document whose type says it is not audio.
    pub declared_audio: bool,
}

#[derive(Clone, Debug)]
pub enum Input {
    Audio(AudioInput),
    Text(String),
}

impl Input {
    fn kind(&self) -> MessageKind {
        match self {
            Input::Audio(a) => a.kind,
            Input::Text(_) => MessageKind::Text,
        }
    }
}

/// One learner message to answer.
#[derive(Clone, Debug)]
pub struct Request {
    /// The update it came in (unique: a redelivery or a restart resumes the same turn).
    pub update_id: i64,
    pub chat_id: i64,
    /// The messenger's id of the learner's message.
    pub message_id: i64,
    pub input: Input,
}

/// The turn's own failures, for its caller; everything the learner should hear about is a
/// [`Notice`] already shown.
#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Show(#[from] ShowError),
    /// The AI service refused the request as made (our fault, not an outage).
    #[error("AI request refused: {0}")]
    AiRefused(String),
    /// This run no longer holds its update (another replica took the chat over while this one
    /// stalled, or the update was finished elsewhere): it stopped without showing or paying for
    /// anything more, and the update is left to its holder.
    #[error("the update is not this run's any more")]
    Fenced,
}

/// Shortest and longest text that makes a turn.
const MIN_TEXT_CHARS: usize = 2;
const MAX_TEXT_CHARS: usize = 4096;

/// Why a turn stopped before Honzík could answer.
pub(crate) enum Stop {
    /// Tell the learner.
    Notice(Notice),
    /// Our fault: log it, tell the learner something went wrong on our side.
    Failed(TurnError),
    /// OpenAI is unreachable or refusing work (after its retries): the turn waits for it and
    /// resumes from its last checkpoint.
    Outage,
    /// The update is not this run's any more ([`Fence`]): stop, show nothing, store nothing.
    Fenced,
}

impl Stop {
    fn notice(key: &'static str) -> Stop {
        Stop::Notice(Notice::new(key))
    }
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Failed(e.into())
    }
}
impl From<ShowError> for Stop {
    fn from(e: ShowError) -> Self {
        Stop::Failed(e.into())
    }
}
impl From<AiError> for Stop {
    fn from(e: AiError) -> Self {
        match e {
            AiError::Unavailable(why) => {
                tracing::warn!(%why, "AI service unavailable");
                Stop::Outage
            }
            AiError::BadAudio(_) => Stop::notice("not-audio"),
            AiError::InvalidReply(_) => Stop::notice("reply-invalid"),
            AiError::Refused(why) => Stop::Failed(TurnError::AiRefused(why)),
        }
    }
}

/// How a turn ended, as stored with its timings.
enum Outcome {
    Answered,
    Notice(&'static str),
    Failed,
}

impl Outcome {
    fn label(&self) -> String {
        match self {
            Outcome::Answered => "answered".to_owned(),
            Outcome::Notice(key) => format!("notice:{key}"),
            Outcome::Failed => "failed".to_owned(),
        }
    }
}

/// Honzík's answer, stored, with the voice to send (if any).
struct Answered {
    id: i64,
    reply: HonzikReply,
    earned: Earned,
    delivered_parts: u32,
    audio: Option<Bytes>,
    /// False only when the turn read the learner's scenes and none was open.
    maybe_in_scene: bool,
    /// Which of the reply's words the learner has saved, when read with the answer.
    saved_words: Option<std::collections::HashSet<String>>,
}

/// What the caller learns from a turn that ran.
#[derive(Clone, Copy, Debug)]
pub struct Ran {
    /// Whether a role-play scene may have been under way (and its goal reached): false only when
    /// the turn looked and found none, so the caller need not read the scenes again. The caller
    /// then does nothing more for the update: the turn may have marked it done already
    /// ([`Fence::closes_with_turn`]).
    pub maybe_in_scene: bool,
}

/// Runs one turn to its end — an answer or a notice shown — and stores how it ended. An
/// OpenAI outage is announced once and waited out (up to `OUTAGE_WAIT_SECONDS`); a messenger
/// that keeps failing is waited out the same way, since the answer is stored.
pub async fn run<S: Show>(
    app: &Arc<App>,
    show: &S,
    fence: &dyn Fence,
    learner: &Learner,
    request: Request,
) -> Result<Ran, TurnError> {
    let started = Instant::now();
    let mut timings = Timings::default();
    let kind = request.input.kind();
    let metered = app.metrics.turn_started(match kind {
        MessageKind::Text => TurnKind::Text,
        _ => TurnKind::Voice,
    });
    let mut waiting_until = None;
    let (mut show_until, mut show_tries) = (None, 0u32);
    let outage_wait = app.config.limits.outage_wait;
    let result = loop {
        match turn(app, show, fence, learner, &request, &mut timings).await {
            Err(Stop::Outage) if outage_wait.is_zero() => {
                break Err(Stop::notice("upstream-gave-up"));
            }
            Err(Stop::Outage) => {
                if waiting_until.is_none() {
                    if let Err(stop) = fence::check(fence).await {
                        break Err(stop);
                    }
                    // Said once: the message is saved and Honzík answers when the service is back.
                    show.notice(&Notice::new("upstream-busy")).await?;
                }
                let until =
                    *waiting_until.get_or_insert_with(|| tokio::time::Instant::now() + outage_wait);
                if !upstream_back(app, until).await {
                    break Err(Stop::notice("upstream-gave-up"));
                }
            }
            // The messenger itself failing (5xx, network) after its retries: the answer is
            // stored, so the turn is delivered from its checkpoint once it is back.
            Err(Stop::Failed(TurnError::Show(ShowError::Transient(why)))) => {
                let until =
                    *show_until.get_or_insert_with(|| tokio::time::Instant::now() + outage_wait);
                let pause = std::time::Duration::from_secs(5 << show_tries.min(3));
                show_tries += 1;
                if tokio::time::Instant::now() + pause >= until {
                    break Err(Stop::Failed(ShowError::Transient(why).into()));
                }
                tracing::warn!(error = %why, "the messenger keeps failing; delivering again in a moment");
                tokio::time::sleep(pause).await;
            }
            other => break other,
        }
    };
    // Stopped because the update is someone else's now: nothing more to show or store (the
    // turn's metric counts it as cancelled).
    let result = match result {
        Err(Stop::Fenced) => return Err(TurnError::Fenced),
        Err(Stop::Notice(_) | Stop::Failed(_)) => match fence::check(fence).await {
            Err(Stop::Fenced) => return Err(TurnError::Fenced),
            _ => result,
        },
        other => other,
    };
    timings.total_ms = Some(started.elapsed().as_millis() as u32);
    metered.finish(
        match &result {
            Ok(_) => TurnOutcome::Answered,
            Err(Stop::Notice(..)) => TurnOutcome::Notice,
            Err(_) => TurnOutcome::Failed,
        },
        &timings,
    );
    let mut ran = Ran { maybe_in_scene: true };
    let (outcome, delivered) = match result {
        Ok((id, parts, maybe_in_scene)) => {
            ran.maybe_in_scene = maybe_in_scene;
            (Outcome::Answered, Some((id, parts)))
        }
        Err(Stop::Notice(notice)) => {
            show.notice(&notice).await?;
            (Outcome::Notice(notice.key), None)
        }
        Err(Stop::Failed(e)) => {
            tracing::error!(error = %e, "turn failed");
            // A learner who blocked the bot meanwhile cannot read it either.
            if !matches!(e, TurnError::Show(ShowError::Gone(_))) {
                show.notice(&Notice::new("internal-error")).await?;
            }
            (Outcome::Failed, None)
        }
        Err(Stop::Outage | Stop::Fenced) => unreachable!("waited out or returned above"),
    };
    // An answer with no scene to follow up is the update's last step (see [`Ran`]): where the
    // fence allows, the update is marked done with the turn's own last write.
    let close_update =
        matches!(outcome, Outcome::Answered) && !ran.maybe_in_scene && fence.closes_with_turn();
    let end = TurnEnd {
        update_id: request.update_id,
        user_id: learner.id,
        chat_id: request.chat_id,
        kind: kind.as_str(),
        timings: &timings,
        outcome: &outcome.label(),
        delivered,
        close_update,
    };
    let marked = turn_store::finish(&app.db, &end, app.clock.now()).await?;
    if close_update {
        fence.closed_by_turn(marked);
    }
    Ok(ran)
}

/// Runs the turn from its last checkpoint; returns the answer's id, how many messages it took and
/// whether a scene may be under way.
async fn turn<S: Show>(
    app: &Arc<App>,
    show: &S,
    fence: &dyn Fence,
    learner: &Learner,
    request: &Request,
    timings: &mut Timings,
) -> Result<(i64, u32, bool), Stop> {
    let now = app.clock.now();
    let model = app.models.for_turn(learner.level);
    let (update_id, chat_id) = (request.update_id, request.chat_id);
    let typed = match &request.input {
        Input::Text(t) => Some(t.trim().to_owned()),
        Input::Audio(_) => None,
    };
    let mut audio_path = match &request.input {
        Input::Audio(_) => Some(app.audio.key_for(now, chat_id, update_id, "learner")),
        Input::Text(_) => None,
    };
    let typed_tokens = typed.as_deref().map(|t| tutor::count_tokens(model, t));
    let stored = LearnerMessage {
        user_id: learner.id,
        chat_id,
        update_id,
        kind: request.input.kind().as_str(),
        text: typed.as_deref(),
        tokens: typed_tokens.unwrap_or(0),
        audio_duration_secs: match &request.input {
            Input::Audio(a) => Some(a.file.duration),
            Input::Text(_) => None,
        },
        audio_path: audio_path.as_deref(),
        telegram_message_id: request.message_id,
    };
    let (message_id, conversation_id, transcript, answered) =
        match turn_store::receive(&app.db, &stored, now).await? {
            Checkpoint::Received { learner_message_id, conversation_id } => {
                (learner_message_id, conversation_id, None, None)
            }
            Checkpoint::Resumed {
                learner_message_id,
                conversation_id,
                transcript,
                audio_path: stored_path,
                answer,
            } => {
                tracing::info!(
                    transcribed = transcript.is_some(),
                    answered = answer.is_some(),
                    "resuming a turn"
                );
                audio_path = stored_path;
                (learner_message_id, conversation_id, transcript, answer)
            }
        };

    let voice_reply = matches!(request.input, Input::Audio(_)) || learner.voice_replies;
    let _busy = show.busy(voice_reply);

    // The learner's words, their tokens where they were counted already (stored with them), and
    // a transcript still being stored.
    let (learner_text, learner_tokens, storing) = match (&request.input, transcript) {
        (Input::Text(text), _) => (checked_text(text)?, typed_tokens, None),
        (Input::Audio(_), Some(text)) => (listen::heard(text)?, None, None),
        (Input::Audio(audio), None) => {
            let path = audio_path.as_deref();
            let heard = listen::Heard { message_id, audio_path: path, audio, model };
            let (text, tokens, storing) = listen::hear(app, show, fence, learner, &heard, timings)
                .instrument(tracing::info_span!("listen"))
                .await?;
            (text, Some(tokens), Some(storing))
        }
    };
    let answer = match answered {
        Some(stored) => {
            compose::resumed(
                app,
                fence,
                learner,
                (chat_id, update_id),
                *stored,
                voice_reply,
                timings,
            )
            .instrument(tracing::info_span!("resume"))
            .await?
        }
        None => {
            let spoken = typed.is_none();
            let asked = compose::Asked { conversation_id, message_id, chat_id, update_id, spoken };
            let said = compose::Said {
                text: learner_text.as_str(),
                tokens: learner_tokens,
                transcript: storing,
            };
            compose::answer(app, fence, learner, &asked, said, voice_reply, timings)
                .instrument(tracing::info_span!("answer"))
                .await?
        }
    };

    let t = Instant::now();
    let view = AnswerView {
        answer_id: answer.id,
        lang: learner.lang,
        level: learner.level,
        spoken: typed.is_none(),
        learner_text: &learner_text,
        reply: &answer.reply,
        earned: answer.earned,
        nudge_czech: tutor::looks_non_czech(&learner_text),
        with_voice: answer.audio.is_some(),
        saved_words: answer.saved_words.as_ref(),
    };
    let parts = deliver(app, show, fence, &view, answer.audio.as_ref(), answer.delivered_parts)
        .instrument(tracing::info_span!("deliver"))
        .await?;
    timings.send_ms = Some(t.elapsed().as_millis() as u32);
    Ok((answer.id, parts, answer.maybe_in_scene))
}
