//! One learner turn as a pipeline: audio → speech-to-text → Honzík → text-to-speech → deliver →
//! store.
//!
//! The learner's message is stored first, so nothing they sent is lost whatever fails later.
//! Anything that stops the turn becomes one localized notice that *replaces* the turn's
//! messages; internal errors are logged and never shown.

mod deliver;
mod listen;
pub mod memory;

use std::sync::Arc;
use std::time::Instant;

use teloxide::prelude::*;
use teloxide::types::{ChatAction, FileId};

use crate::app::App;
use crate::bot::{BotError, HandlerResult, handlers::misc::notice};
use crate::i18n::Arg;
use crate::openai::AiError;
use crate::store::learners::Learner;
use crate::store::turns::{self as turn_store, Answer, LearnerMessage, Timings};
use crate::store::{conversations, usage::Usage};
use crate::tutor::{self, PromptParams};

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
                Stop::Notice("upstream-busy", vec![])
            }
            AiError::BadAudio(_) => Stop::Notice("not-audio", vec![]),
            AiError::InvalidReply(_) => Stop::Notice("reply-invalid", vec![]),
            AiError::Refused(why) => Stop::Failed(BotError::Turn(format!("AI request refused: {why}"))),
        }
    }
}

pub async fn run(app: &Arc<App>, learner: &Learner, msg: &Message, update_id: i64, input: Input) -> HandlerResult {
    let started = Instant::now();
    let mut timings = Timings::default();
    let kind = match &input {
        Input::Audio(a) => a.kind,
        Input::Text(_) => "text",
    };
    let result = turn(app, learner, msg, update_id, input, &mut timings).await;
    timings.total_ms = Some(started.elapsed().as_millis() as u32);
    let outcome = match result {
        Ok(()) => "answered".to_owned(),
        Err(Stop::Notice(key, args)) => {
            let args: Vec<(&str, Arg)> = args.iter().map(|(k, v)| (*k, Arg::from(*v))).collect();
            notice(app, msg, learner.lang, key, &args).await?;
            format!("notice:{key}")
        }
        Err(Stop::Failed(e)) => {
            tracing::error!(update_id, error = %e, "turn failed");
            notice(app, msg, learner.lang, "internal-error", &[]).await?;
            "failed".to_owned()
        }
    };
    turn_store::record_timings(&app.db, update_id, learner.id, msg.chat.id.0, kind, &timings, &outcome, app.clock.now()).await?;
    Ok(())
}

async fn turn(app: &Arc<App>, learner: &Learner, msg: &Message, update_id: i64, input: Input, timings: &mut Timings) -> Result<(), Stop> {
    let now = app.clock.now();
    let model = app.models.for_turn(learner.level);
    let conversation = conversations::current(&app.db, learner.id, now).await?;
    let typed = match &input {
        Input::Text(t) => Some(t.trim().to_owned()),
        Input::Audio(_) => None,
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
        telegram_message_id: msg.id.0 as i64,
    };
    let message_id = turn_store::insert_learner_message(&app.db, &stored, now).await?;

    let voice_reply = matches!(input, Input::Audio(_)) || learner.voice_replies;
    let _action = ChatActionGuard::start(app, msg.chat.id, if voice_reply { ChatAction::RecordVoice } else { ChatAction::Typing });

    let learner_text = match input {
        Input::Text(text) => {
            let text = text.trim().to_owned();
            let chars = text.chars().count();
            if chars < MIN_TEXT_CHARS {
                return Err(Stop::Notice("text-too-short", vec![]));
            }
            if chars > MAX_TEXT_CHARS {
                return Err(Stop::Notice("text-too-long", vec![("max", MAX_TEXT_CHARS as i64)]));
            }
            text
        }
        Input::Audio(audio) => {
            let text = listen::transcribe(app, msg, update_id, message_id, &audio, timings).await?;
            turn_store::set_transcript(&app.db, message_id, &text, tutor::count_tokens(model, &text)).await?;
            let stt = &app.config.models.stt;
            let seconds = audio.duration as f64;
            let cost = app.config.prices.stt_micros(stt, seconds);
            record_usage(app, learner, Some(message_id), Usage { kind: "stt", model: stt, prompt_tokens: 0, completion_tokens: 0, audio_seconds: seconds, characters: 0, cost_micros: cost }).await?;
            text
        }
    };

    let history: Vec<_> = conversations::unsummarized(&app.db, &conversation, message_id, memory::CONTEXT_WINDOW).await?.into_iter().map(|m| m.turn).collect();
    let system = tutor::system_prompt(&PromptParams { level: learner.level, style: learner.style, corrections: learner.corrections, explain_in: learner.lang });
    let summary = conversation.summary.as_deref();
    let summary_tokens = summary.map(|_| conversation.summary_tokens.max(0) as usize + tutor::count_tokens(model, crate::llm::SUMMARY_HEADING) + 1);
    let budget = app.config.limits.context_token_budget;
    let cap = memory::verbatim_tokens(budget);
    let ctx = tutor::fit_context_with_summary(model, tutor::count_tokens(model, &system), summary_tokens, &history, &learner_text, budget, cap);
    let t = Instant::now();
    let completion = match app.tutor.reply(model, &system, summary, &ctx).await {
        // The simple model broke the contract twice: the main model gets one go.
        Err(AiError::InvalidReply(why)) => match app.models.escalation(model) {
            Some(main) => {
                tracing::warn!(model, %why, "escalating the turn to the main model");
                app.tutor.reply(main, &system, summary, &ctx).await?
            }
            None => return Err(AiError::InvalidReply(why).into()),
        },
        other => other?,
    };
    timings.llm_ms = Some(t.elapsed().as_millis() as u32);

    let audio = if voice_reply {
        let t = Instant::now();
        let speech = app.speech.synthesize(&completion.reply.honzik_response, learner.voice_speed.factor()).await;
        timings.tts_ms = Some(t.elapsed().as_millis() as u32);
        match speech {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                // Honzík's text still goes out; a missing voice is better than no answer.
                tracing::warn!(error = %e, "text-to-speech failed; answering in text only");
                None
            }
        }
    } else {
        None
    };

    let answer = Answer {
        user_id: learner.id,
        conversation_id: conversation.id,
        chat_id: msg.chat.id.0,
        update_id,
        learner_message_id: message_id,
        learner_text: &learner_text,
        reply: &completion.reply,
        reply_tokens: tutor::count_tokens(model, &completion.reply.honzik_response),
        model: &completion.model,
        prompt_tokens: completion.prompt_tokens,
        completion_tokens: completion.completion_tokens,
    };
    let (honzik_message_id, earned) = turn_store::record_answer(&app.db, &answer, learner.tz, app.clock.now()).await?;
    let (m, p, c) = (completion.model.as_str(), completion.prompt_tokens, completion.completion_tokens);
    let chat_cost = app.config.prices.chat_micros(m, p, c);
    record_usage(app, learner, Some(honzik_message_id), Usage { kind: "chat", model: m, prompt_tokens: p, completion_tokens: c, audio_seconds: 0.0, characters: 0, cost_micros: chat_cost }).await?;
    if audio.is_some() {
        let (tts, chars) = (&app.config.models.tts, completion.reply.honzik_response.chars().count());
        let cost = app.config.prices.tts_micros(tts, chars);
        record_usage(app, learner, Some(honzik_message_id), Usage { kind: "tts", model: tts, prompt_tokens: 0, completion_tokens: 0, audio_seconds: 0.0, characters: chars as u32, cost_micros: cost }).await?;
    }
    if let Some(bytes) = &audio {
        let path = app.audio.path_for(now, msg.chat.id.0, update_id, "honzik", "ogg");
        app.audio.persist(app.db.clone(), honzik_message_id, path, bytes.clone());
    }

    let t = Instant::now();
    let kind = if stored.kind == "text" { crate::bot::render::TurnKind::Text } else { crate::bot::render::TurnKind::Voice };
    let view = crate::bot::render::TurnView {
        lang: learner.lang,
        level: learner.level,
        kind,
        learner_text: &learner_text,
        reply: &completion.reply,
        stars_earned: earned.stars,
        streak_days: earned.streak,
        challenge_completed: earned.challenge_completed,
        nudge_czech: tutor::looks_non_czech(&learner_text),
    };
    deliver::send(app, msg, &view, audio, honzik_message_id).await?;
    timings.send_ms = Some(t.elapsed().as_millis() as u32);
    memory::after_reply(app, conversation.id, learner.id, learner.tz);
    Ok(())
}

/// Adds one request's consumption to the ledger and the learner's day.
async fn record_usage(app: &App, learner: &Learner, message_id: Option<i64>, usage: Usage<'_>) -> Result<(), Stop> {
    let now = app.clock.now();
    crate::store::usage::record(&app.db, learner.id, message_id, &usage, crate::progress::local_day(now, learner.tz), now).await?;
    Ok(())
}

/// Keeps "recording voice…" / "typing…" visible while the turn runs (Telegram drops it after
/// ~5 s); stops when dropped.
struct ChatActionGuard(tokio::task::JoinHandle<()>);

impl ChatActionGuard {
    fn start(app: &App, chat: ChatId, action: ChatAction) -> Self {
        let bot = app.bot.clone();
        ChatActionGuard(tokio::spawn(async move {
            loop {
                let _ = bot.send_chat_action(chat, action).await;
                tokio::time::sleep(std::time::Duration::from_secs(4)).await;
            }
        }))
    }
}

impl Drop for ChatActionGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}
