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
mod deliver;
mod listen;
pub mod memory;
pub(crate) use listen::transcribe_only;

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use teloxide::prelude::*;
use teloxide::types::{ChatAction, FileId};

use crate::ai::client::AiError;
use crate::app::App;
use crate::bot::outbox::{Outbox, OutboxError};
use crate::bot::{BotError, HandlerResult};
use crate::i18n::Arg;
use crate::metrics::{TurnKind, TurnOutcome};
use crate::store::answer::Earned;
use crate::store::conversations;
use crate::store::learners::Learner;
use crate::store::turns::{self as turn_store, Checkpoint, LearnerMessage, Timings, TurnEnd};
use crate::tutor::{self, HonzikReply};

/// Audio the learner sent, as Telegram describes it before we download anything.
#[derive(Clone, Debug)]
pub struct AudioInput {
    pub file_id: FileId,
    pub duration: u32,
    pub size: u32,
    pub kind: &'static str,
    /// False for a document whose type says it is not audio.
    pub declared_audio: bool,
}

#[derive(Clone, Debug)]
pub enum Input {
    Audio(AudioInput),
    Text(String),
}

/// Shortest and longest text that makes a turn.
const MIN_TEXT_CHARS: usize = 2;
const MAX_TEXT_CHARS: usize = 4096;

/// Why a turn stopped before Honzík could answer.
pub(crate) enum Stop {
    /// Tell the learner (locale key and numeric arguments).
    Notice(&'static str, Vec<(&'static str, i64)>),
    /// Our fault: log it, tell the learner something went wrong on our side.
    Failed(BotError),
    /// OpenAI is unreachable or refusing work (after its retries): the turn waits for it and
    /// resumes from its last checkpoint.
    Outage,
}

impl From<BotError> for Stop {
    fn from(e: BotError) -> Self {
        Stop::Failed(e)
    }
}
impl From<crate::store::StoreError> for Stop {
    fn from(e: crate::store::StoreError) -> Self {
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
            AiError::BadAudio(_) => Stop::Notice("not-audio", vec![]),
            AiError::InvalidReply(_) => Stop::Notice("reply-invalid", vec![]),
            AiError::Refused(why) => {
                Stop::Failed(BotError::Turn(format!("AI request refused: {why}")))
            }
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
}

pub async fn run(
    app: &Arc<App>,
    out: &Outbox,
    learner: &Learner,
    msg: &Message,
    update_id: i64,
    input: Input,
) -> HandlerResult {
    let started = Instant::now();
    let mut timings = Timings::default();
    let kind = match &input {
        Input::Audio(a) => a.kind,
        Input::Text(_) => "text",
    };
    let metered = app.metrics.turn_started(if matches!(input, Input::Text(_)) {
        TurnKind::Text
    } else {
        TurnKind::Voice
    });
    let mut waiting_until = None;
    let (mut telegram_until, mut telegram_tries) = (None, 0u32);
    let result = loop {
        match turn(app, out, learner, msg, update_id, input.clone(), &mut timings).await {
            Err(Stop::Outage) if app.config.limits.outage_wait.is_zero() => {
                break Err(Stop::Notice("upstream-gave-up", vec![]));
            }
            Err(Stop::Outage) => {
                if waiting_until.is_none() {
                    // Said once: the message is saved and Honzík answers when the service is back.
                    out.notice(msg, learner.lang, "upstream-busy", &[]).await?;
                }
                let until = *waiting_until.get_or_insert_with(|| {
                    tokio::time::Instant::now() + app.config.limits.outage_wait
                });
                if !upstream_back(app, until).await {
                    break Err(Stop::Notice("upstream-gave-up", vec![]));
                }
            }
            // Telegram itself failing (5xx, network) after the sender's retries: the answer is
            // stored, so the turn is delivered from its checkpoint once Telegram is back.
            Err(Stop::Failed(BotError::Outbox(OutboxError::Telegram(e))))
                if crate::bot::outbox::is_transient(&e) =>
            {
                let until = *telegram_until.get_or_insert_with(|| {
                    tokio::time::Instant::now() + app.config.limits.outage_wait
                });
                let pause = std::time::Duration::from_secs(5 << telegram_tries.min(3));
                telegram_tries += 1;
                app.metrics.upstream_error("telegram", crate::metrics::telegram_error_kind(&e));
                if tokio::time::Instant::now() + pause >= until {
                    break Err(Stop::Failed(BotError::Outbox(OutboxError::Telegram(e))));
                }
                tracing::warn!(update_id, error = %e, "Telegram keeps failing; delivering again in a moment");
                tokio::time::sleep(pause).await;
            }
            other => break other,
        }
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
    let (outcome, delivered) = match result {
        Ok(delivered) => ("answered".to_owned(), Some(delivered)),
        Err(Stop::Notice(key, args)) => {
            let args: Vec<(&str, Arg)> = args.iter().map(|(k, v)| (*k, Arg::from(*v))).collect();
            out.notice(msg, learner.lang, key, &args).await?;
            (format!("notice:{key}"), None)
        }
        Err(Stop::Failed(e)) => {
            tracing::error!(update_id, error = %e, "turn failed");
            // A learner who blocked the bot meanwhile cannot read it either (see `bot::outbox`).
            if !matches!(&e, BotError::Outbox(o) if o.recipient_gone()) {
                out.notice(msg, learner.lang, "internal-error", &[]).await?;
            }
            ("failed".to_owned(), None)
        }
        Err(Stop::Outage) => unreachable!("outages are waited out above"),
    };
    let end = TurnEnd {
        update_id,
        user_id: learner.id,
        chat_id: msg.chat.id.0,
        kind,
        timings: &timings,
        outcome: &outcome,
        delivered,
    };
    turn_store::finish(&app.db, &end, app.clock.now()).await?;
    Ok(())
}

/// Runs the turn from its last checkpoint; returns the answer's id and how many messages it took.
async fn turn(
    app: &Arc<App>,
    out: &Outbox,
    learner: &Learner,
    msg: &Message,
    update_id: i64,
    input: Input,
    timings: &mut Timings,
) -> Result<(i64, u32), Stop> {
    let now = app.clock.now();
    let model = app.models.for_turn(learner.level);
    let conversation = conversations::current(&app.db, learner.id, now).await?;
    let typed = match &input {
        Input::Text(t) => Some(t.trim().to_owned()),
        Input::Audio(_) => None,
    };
    let mut audio_path = match &input {
        Input::Audio(_) => Some(app.audio.key_for(now, msg.chat.id.0, update_id, "learner")),
        Input::Text(_) => None,
    };
    let stored = LearnerMessage {
        user_id: learner.id,
        conversation_id: conversation.id,
        chat_id: msg.chat.id.0,
        update_id,
        kind: match &input {
            Input::Audio(a) => a.kind,
            Input::Text(_) => "text",
        },
        text: typed.as_deref(),
        tokens: typed.as_deref().map(|t| tutor::count_tokens(model, t)).unwrap_or(0),
        audio_duration_secs: match &input {
            Input::Audio(a) => Some(a.duration),
            Input::Text(_) => None,
        },
        audio_path: audio_path.as_deref(),
        telegram_message_id: msg.id.0 as i64,
    };
    let (message_id, transcript, answered) = match turn_store::receive(&app.db, &stored, now)
        .await?
    {
        Checkpoint::Received { learner_message_id } => (learner_message_id, None, None),
        Checkpoint::Resumed { learner_message_id, transcript, audio_path: stored_path, answer } => {
            tracing::info!(
                update_id,
                transcribed = transcript.is_some(),
                answered = answer.is_some(),
                "resuming a turn"
            );
            audio_path = stored_path;
            (learner_message_id, transcript, answer)
        }
    };

    let voice_reply = matches!(input, Input::Audio(_)) || learner.voice_replies;
    let _action = out.keep_showing(
        msg.chat.id,
        if voice_reply { ChatAction::RecordVoice } else { ChatAction::Typing },
    );

    let learner_text = match (input, transcript) {
        (Input::Text(text), _) => checked_text(text)?,
        (Input::Audio(_), Some(text)) => listen::heard(text)?,
        (Input::Audio(audio), None) => {
            let path = audio_path.as_deref();
            listen::hear(app, out, learner, message_id, path, &audio, model, timings).await?
        }
    };
    let answer = match answered {
        Some(stored) => {
            compose::resumed(app, learner, msg, update_id, stored, voice_reply, timings).await
        }
        None => {
            compose::answer(
                app,
                learner,
                msg,
                update_id,
                &conversation,
                message_id,
                &learner_text,
                voice_reply,
                timings,
            )
            .await?
        }
    };

    let t = Instant::now();
    let kind = if typed.is_some() {
        crate::bot::render::TurnKind::Text
    } else {
        crate::bot::render::TurnKind::Voice
    };
    let view = crate::bot::render::TurnView {
        lang: learner.lang,
        level: learner.level,
        kind,
        learner_text: &learner_text,
        reply: &answer.reply,
        stars_earned: answer.earned.stars,
        streak_days: answer.earned.streak,
        challenge_completed: answer.earned.challenge_completed,
        nudge_czech: tutor::looks_non_czech(&learner_text),
    };
    let parts =
        deliver::send(app, out, msg, &view, answer.audio, answer.id, answer.delivered_parts)
            .await?;
    timings.send_ms = Some(t.elapsed().as_millis() as u32);
    Ok((answer.id, parts))
}

/// Waits until the chat and speech-to-text services take requests again (their circuit closed,
/// or its cooldown over so the next request probes it), at most until `until` (the turn's first
/// outage plus `OUTAGE_WAIT_SECONDS`). A pause between tries keeps a service that fails without
/// opening its circuit from being hammered. `false` when the time ran out.
async fn upstream_back(app: &App, until: tokio::time::Instant) -> bool {
    let (chat, stt) = (app.chat.outage(), app.speech.transcription_outage());
    let back = async {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        chat.ready().await;
        stt.ready().await;
    };
    tokio::time::timeout_at(until, back).await.is_ok() && tokio::time::Instant::now() < until
}

/// A typed text long and short enough to answer.
fn checked_text(text: String) -> Result<String, Stop> {
    let text = text.trim().to_owned();
    let chars = text.chars().count();
    if chars < MIN_TEXT_CHARS {
        return Err(Stop::Notice("text-too-short", vec![]));
    }
    if chars > MAX_TEXT_CHARS {
        return Err(Stop::Notice("text-too-long", vec![("max", MAX_TEXT_CHARS as i64)]));
    }
    Ok(text)
}
