//! Honzík answers: the context within its token budget, the structured reply (escalated once to
//! the main model if the simple one breaks the contract), his voice, and checkpoint "answered" —
//! the answer, its cost and the progress it earned, stored together. A voice reply streams the
//! completion and makes the voice from his words while the rest of the answer arrives; it is
//! made again after the checkpoint only if the final reply says something else.

use std::sync::Arc;
use std::time::Instant;

use tracing::Instrument;

use super::{Answered, Fence, Stop, listen, memory, voice};
use crate::ai::chat::{ChatFailure, Completion, EarlyWords};
use crate::ai::client::AiError;
use crate::ai::meter::Usage;
use crate::app::App;
use crate::store::answer::{self, Answer};
use crate::store::learners::Learner;
use crate::store::turns::{StoredAnswer, Timings};
use crate::store::{practice, prompt};
use crate::tutor::{self, FittedContext, PromptParams};

/// Where the learner's message stands: the conversation it belongs to, its stored row, and the
/// chat and update it came in.
pub(super) struct Asked {
    pub conversation_id: i64,
    pub message_id: i64,
    pub chat_id: i64,
    pub update_id: i64,
    /// Spoken (transcribed) rather than typed: the spelling is the transcriber's.
    pub spoken: bool,
}

/// What the learner said: their words, the tokens counted with them (if they were), and their
/// transcript while it is still being stored.
pub(super) struct Said<'a> {
    pub text: &'a str,
    pub tokens: Option<usize>,
    pub transcript: Option<listen::Storing>,
}

pub(super) async fn answer(
    app: &Arc<App>,
    fence: &dyn Fence,
    learner: &Learner,
    asked: &Asked,
    said: Said<'_>,
    voice_reply: bool,
    timings: &mut Timings,
) -> Result<Answered, Stop> {
    let Asked { conversation_id, message_id, chat_id, update_id, spoken } = *asked;
    let Said { text: learner_text, tokens: learner_tokens, transcript } = said;
    let model = app.models.for_turn(learner.level);
    // The conversation's summary and history, the learner's recurring mistakes (they steer the
    // talk) and a scene under way, read together (`store::prompt`) while the transcript is
    // stored: the history stops before the learner's message, so nothing read waits for it.
    let window = (message_id, memory::CONTEXT_WINDOW);
    let now = app.clock.now();
    let today = crate::progress::local_day(now, learner.tz);
    let reads = prompt::read(&app.read, conversation_id, window, learner.id, (now, today));
    let stored = async {
        match transcript {
            Some(storing) => storing.stored().await,
            None => Ok(()),
        }
    };
    let (reads, stored) = tokio::join!(reads, stored);
    stored?;
    let reads = reads?;
    let conversation = &reads.conversation;
    let history: Vec<_> = reads.history.into_iter().map(|m| m.turn).collect();
    let focus = reads.focus;
    let params = PromptParams {
        level: learner.level,
        style: learner.style,
        corrections: learner.corrections,
        explain_in: learner.lang,
        register: learner.register,
        spoken,
        focus,
    };
    let (mut system, mut system_tokens) = tutor::counted_system_prompt(&params, model);
    // A role-play under way: Honzík plays the scene (its section counted like the rest).
    let open_scene = reads.session.filter(|s| s.mode == crate::practice::Mode::Scene);
    let maybe_in_scene = open_scene.is_some();
    let scene = open_scene.and_then(|s| {
        let scene = crate::practice::scenes::find(&s.subject)?;
        Some((s, scene))
    });
    if let Some((_, s)) = &scene {
        let section = crate::practice::scenes::prompt(s, learner.level);
        system_tokens += tutor::count_tokens(model, &section);
        system = format!("{system}{section}").into();
    }
    let summary = conversation.summary.as_deref();
    // The summary's own tokens plus its frame (heading and delimiters).
    let summary_tokens = summary.map(|_| {
        conversation.summary_tokens.max(0) as usize
            + tutor::count_tokens(model, &crate::ai::chat::summary_context(""))
            + 1
    });
    let budget = app.config.limits.context_token_budget;
    let ctx = tutor::fit_context_counted(
        model,
        system_tokens,
        summary_tokens,
        &history,
        (learner_text, learner_tokens),
        budget,
        memory::verbatim_tokens(budget),
    );
    let learner_tokens = ctx.message_tokens;
    super::fence::check(fence).await?;
    let t = Instant::now();
    // A voice reply streams the completion: Honzík's words are voiced while the corrections
    // are still arriving (`voice::early`).
    let (early, words) = EarlyWords::new();
    let asked = async move {
        let early = voice_reply.then_some(&early);
        let asked = ask(app, model, &system, summary, &ctx, early).await;
        (asked, t.elapsed())
    };
    let speaker = speaker(app, scene.as_ref().map(|(_, s)| *s));
    let voiced = voice::early(app, fence, learner, (words, speaker), timings);
    let (((completion, wasted), took), early_voice) = tokio::join!(
        asked.instrument(tracing::info_span!("llm")),
        voiced.instrument(tracing::info_span!("tts"))
    );
    let mut completion = match completion {
        Ok(c) => c,
        Err(e) => {
            // No answer, but what was paid for is recorded all the same.
            voice::unanswered(app, learner, wasted, early_voice).await;
            return Err(e.into());
        }
    };
    timings.llm_ms = Some(took.as_millis() as u32);
    // The answer came back (paid); storing, voicing and sending it are this run's only while
    // the update is: a replica that stalled through the request finds here that another one
    // has taken the chat over and answered.
    super::fence::check(fence).await?;
    // Before anything is shown, stored or counted: the transcriber's spelling out, the level's
    // number of corrections kept.
    completion.reply = tutor::sift(completion.reply, spoken, tutor::policy(learner.level));

    let reply_text = &completion.reply.honzik_response;
    // The voice made early is sent only if the final reply (repaired, sifted, clipped) still
    // says exactly those words; otherwise it is made again. Either way it was paid for, and it
    // is recorded with the answer.
    let (early_voice, early_paid) = voice::settle(early_voice, reply_text);
    let voice_key = early_voice
        .as_ref()
        .map(|_| app.audio.key_for(app.clock.now(), chat_id, update_id, "honzik"));
    // The answer's own request first (its model and tokens go with the message), then any
    // attempts of another model that broke the contract and the early voice: paid for too.
    let usage: Vec<Usage> =
        std::iter::once(completion.usage.clone()).chain(wasted).chain(early_paid).collect();
    let (m, p, c) = (usage[0].model.as_str(), usage[0].prompt_tokens, usage[0].completion_tokens);
    let reply_tokens = tutor::count_tokens(model, reply_text);
    let word_keys: Vec<String> =
        crate::words::candidates(&completion.reply).into_iter().map(|c| c.key).collect();
    // Checkpoint "answered" before the voice is made again: a crash while Honzík speaks must
    // not throw away a completion already paid for.
    let stored = Answer {
        user_id: learner.id,
        conversation_id: conversation.id,
        chat_id,
        update_id,
        learner_message_id: message_id,
        learner_text,
        reply: &completion.reply,
        reply_tokens,
        model: m,
        prompt_tokens: p,
        completion_tokens: c,
        usage: &usage,
        streak: learner.streak,
        day_so_far: reads.day,
        audio_path: voice_key.as_deref(),
        word_keys: &word_keys,
    };
    let recorded = answer::record(&app.db, &stored, learner.tz, app.clock.now()).await?;
    let id = recorded.id;
    if let Some((session, _)) = &scene {
        let progress = completion.reply.scene.as_ref();
        let reached = progress.is_some_and(|p| p.goal_reached);
        let hint = progress.map(|p| p.hint.as_str()).filter(|h| !h.is_empty());
        // The turn stands without it; the scene only misses one step (and its debrief waits
        // for ⏹ End).
        if let Err(e) = practice::scene_turn(&app.db, session.id, reached, hint).await {
            tracing::warn!(error = %e, "could not record the scene's progress");
        }
    }
    let audio = match (early_voice, voice_key) {
        (Some(v), Some(key)) => Some(voice::kept(app, id, key, v)),
        _ if voice_reply => {
            super::fence::check(fence).await?;
            let spoken = voice::speak(app, learner, (reply_text, speaker), timings)
                .instrument(tracing::info_span!("tts"))
                .await;
            match spoken {
                Some(v) => Some(voice::keep(app, learner, (chat_id, update_id), id, v).await),
                None => None,
            }
        }
        _ => None,
    };
    if memory::may_need_folding(
        &history,
        (learner_text, learner_tokens),
        (reply_text, reply_tokens),
        app.config.limits.context_token_budget,
    ) {
        memory::after_reply(app, conversation.id, learner.id, learner.tz);
    }
    Ok(Answered {
        id,
        reply: completion.reply,
        earned: recorded.earned,
        delivered_parts: 0,
        audio,
        maybe_in_scene,
        saved_words: Some(recorded.saved_words),
    })
}

/// The scene the learner is playing, if any (a database hiccup: the turn goes on as free talk),
/// and whether one may be under way (false only when the read found none).
async fn scene_of(
    app: &App,
    learner: &Learner,
) -> (Option<(practice::Session, &'static crate::practice::scenes::Scene)>, bool) {
    match practice::open_of(&app.read, learner.id, crate::practice::Mode::Scene).await {
        Ok(Some(session)) => {
            let scene = crate::practice::scenes::find(&session.subject);
            (scene.map(|scene| (session, scene)), true)
        }
        Ok(None) => (None, false),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the learner's scene");
            (None, true)
        }
    }
}

/// Whose voice speaks the answer: paní Nováková's in her scenes, Honzík's otherwise.
fn speaker<'a>(app: &'a App, scene: Option<&crate::practice::scenes::Scene>) -> &'a str {
    let m = &app.config.models;
    match scene.map(|s| s.character) {
        Some(crate::practice::scenes::Character::Novakova) => &m.tts_voice_second,
        _ => &m.tts_voice,
    }
}

/// An answer stored before a restart. Honzík's voice is read back from the audio store; only if
/// it never got there (or retention deleted it) is it made again.
pub(super) async fn resumed(
    app: &App,
    fence: &dyn Fence,
    learner: &Learner,
    (chat_id, update_id): (i64, i64),
    stored: StoredAnswer,
    voice_reply: bool,
    timings: &mut Timings,
) -> Result<Answered, Stop> {
    let mut audio = match &stored.audio_path {
        Some(key) if voice_reply => app.audio.read(key).await,
        _ => None,
    };
    if voice_reply && audio.is_none() {
        super::fence::check(fence).await?;
        let text = &stored.reply.honzik_response;
        let speaker = speaker(app, scene_of(app, learner).await.0.map(|(_, s)| s));
        if let Some(v) = voice::speak(app, learner, (text, speaker), timings).await {
            let ids = (chat_id, update_id);
            audio = Some(voice::keep(app, learner, ids, stored.message_id, v).await);
        }
    }
    Ok(Answered {
        id: stored.message_id,
        reply: stored.reply,
        earned: stored.earned,
        delivered_parts: stored.delivered_parts,
        audio,
        // Resumed: the scene was not looked at here.
        maybe_in_scene: true,
        saved_words: None,
    })
}

/// Honzík's reply from `model`; where it broke the contract twice, one go on the main model. The
/// failed attempts' costs come back beside the result, whatever it is.
async fn ask(
    app: &App,
    model: &str,
    system: &str,
    summary: Option<&str>,
    ctx: &FittedContext,
    early: Option<&EarlyWords>,
) -> (Result<Completion, AiError>, Vec<Usage>) {
    let mut wasted = Vec::new();
    let mut model = model;
    loop {
        match app.chat.reply(model, system, summary, ctx, early).await {
            Ok(c) => return (Ok(c), wasted),
            Err(ChatFailure { error, paid }) => {
                wasted.extend(paid);
                match (error, app.models.escalation(model)) {
                    (AiError::InvalidReply(why), Some(main)) => {
                        tracing::warn!(model, %why, "escalating the turn to the main model");
                        model = main;
                    }
                    (error, _) => return (Err(error), wasted),
                }
            }
        }
    }
}
