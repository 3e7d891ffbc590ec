//! Honzík answers: the context within its token budget, the structured reply (escalated once to
//! the main model if the simple one breaks the contract), his voice, and checkpoint "answered" —
//! the answer, its cost and the progress it earned, stored together.

use std::sync::Arc;
use std::time::Instant;

use entity::conversations::Model as Conversation;
use teloxide::prelude::*;

use super::{Answered, Stop, memory};
use crate::ai::client::AiError;
use crate::app::App;
use crate::store::answer::{self, Answer};
use crate::store::learners::Learner;
use crate::store::turns::{StoredAnswer, Timings};
use crate::store::{conversations, usage::Usage};
use crate::tutor::{self, PromptParams};

#[allow(clippy::too_many_arguments)]
pub(super) async fn answer(
    app: &Arc<App>,
    learner: &Learner,
    msg: &Message,
    update_id: i64,
    conversation: &Conversation,
    message_id: i64,
    learner_text: &str,
    voice_reply: bool,
    timings: &mut Timings,
) -> Result<Answered, Stop> {
    let model = app.models.for_turn(learner.level);
    let history: Vec<_> =
        conversations::unsummarized(&app.db, conversation, message_id, memory::CONTEXT_WINDOW)
            .await?
            .into_iter()
            .map(|m| m.turn)
            .collect();
    // The learner's recurring mistakes steer the talk; without them (a database hiccup) the turn
    // goes on as before.
    let focus = crate::store::mistakes::focus(&app.db, learner.id, app.clock.now())
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not read the learner's recurring mistakes");
            [None, None]
        });
    let params = PromptParams {
        level: learner.level,
        style: learner.style,
        corrections: learner.corrections,
        explain_in: learner.lang,
        focus,
    };
    let (system, system_tokens) = tutor::counted_system_prompt(&params, model);
    let summary = conversation.summary.as_deref();
    let summary_tokens = summary.map(|_| {
        conversation.summary_tokens.max(0) as usize
            + tutor::count_tokens(model, crate::ai::chat::SUMMARY_HEADING)
            + 1
    });
    let budget = app.config.limits.context_token_budget;
    let ctx = tutor::fit_context_with_summary(
        model,
        system_tokens,
        summary_tokens,
        &history,
        learner_text,
        budget,
        memory::verbatim_tokens(budget),
    );
    let t = Instant::now();
    let completion = match app.chat.reply(model, &system, summary, &ctx).await {
        // The simple model broke the contract twice: the main model gets one go.
        Err(AiError::InvalidReply(why)) => match app.models.escalation(model) {
            Some(main) => {
                tracing::warn!(model, %why, "escalating the turn to the main model");
                app.chat.reply(main, &system, summary, &ctx).await?
            }
            None => return Err(AiError::InvalidReply(why).into()),
        },
        other => other?,
    };
    timings.llm_ms = Some(t.elapsed().as_millis() as u32);

    let (m, p, c) =
        (completion.model.as_str(), completion.prompt_tokens, completion.completion_tokens);
    let usage = [Usage {
        kind: "chat",
        model: m,
        prompt_tokens: p,
        completion_tokens: c,
        audio_seconds: 0.0,
        characters: 0,
        cost_micros: app.config.prices.chat_micros(m, p, c),
    }];
    app.metrics.usage(p, c, usage[0].cost_micros);
    let reply_text = &completion.reply.honzik_response;
    let reply_tokens = tutor::count_tokens(model, reply_text);
    // Checkpoint "answered" before the voice is made: a crash while Honzík speaks must not
    // throw away a completion already paid for.
    let stored = Answer {
        user_id: learner.id,
        conversation_id: conversation.id,
        chat_id: msg.chat.id.0,
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
    };
    let (id, earned) = answer::record(&app.db, &stored, learner.tz, app.clock.now()).await?;
    let audio = if voice_reply {
        voice(app, learner, msg, update_id, id, reply_text, timings).await
    } else {
        None
    };
    if memory::may_need_folding(
        &history,
        learner_text,
        (reply_text, reply_tokens),
        model,
        app.config.limits.context_token_budget,
    ) {
        memory::after_reply(app, conversation.id, learner.id, learner.tz);
    }
    Ok(Answered { id, reply: completion.reply, earned, delivered_parts: 0, audio })
}

/// Honzík's voice for a stored answer, saved in the background, its key and cost recorded in
/// one round trip. A failure leaves the answer in text only (better than no answer). Words he
/// has said before in the same voice come from the cache: no request, recorded at zero cost.
async fn voice(
    app: &App,
    learner: &Learner,
    msg: &Message,
    update_id: i64,
    answer_id: i64,
    text: &str,
    timings: &mut Timings,
) -> Option<bytes::Bytes> {
    let t = Instant::now();
    let (speed, m) = (learner.voice_speed.factor(), &app.config.models);
    let cache = app
        .cache
        .tts
        .as_ref()
        .map(|c| (c, crate::cache::tts::TtsKey::new(text, &m.tts_voice, speed, &m.tts)));
    let cached = match &cache {
        Some((c, k)) => c.get(k).await,
        None => None,
    };
    let hit = cached.is_some();
    let speech = match cached {
        Some(bytes) => Ok(bytes),
        None => app.speech.synthesize(text, speed).await,
    };
    timings.tts_ms = Some(t.elapsed().as_millis() as u32);
    let bytes = match speech {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(error = %e, "text-to-speech failed; answering in text only");
            return None;
        }
    };
    let key = app.audio.key_for(app.clock.now(), msg.chat.id.0, update_id, "honzik");
    if let (false, Some((c, k))) = (hit, &cache) {
        c.put(k, bytes.clone()).await;
    }
    let (tts, chars) = (app.config.models.tts.as_str(), if hit { 0 } else { text.chars().count() });
    let cost_micros = if hit { Some(0) } else { app.config.prices.tts_micros(tts, chars) };
    let usage = Usage {
        kind: "tts",
        model: tts,
        prompt_tokens: 0,
        completion_tokens: 0,
        audio_seconds: 0.0,
        characters: chars as u32,
        cost_micros,
    };
    app.metrics.usage(0, 0, cost_micros);
    let now = app.clock.now();
    let day = crate::progress::local_day(now, learner.tz);
    match answer::record_voice(&app.db, learner.id, answer_id, &key, &usage, day, now).await {
        Ok(()) => app.audio.persist(app.db.clone(), answer_id, key, bytes.clone()),
        // The voice still goes out; only a restart would have to make it again.
        Err(e) => tracing::warn!(error = %e, "Honzík's voice not recorded"),
    }
    Some(bytes)
}

/// An answer stored before a restart. Honzík's voice is read back from the audio store; only if
/// it never got there (or retention deleted it) is it made again.
pub(super) async fn resumed(
    app: &App,
    learner: &Learner,
    msg: &Message,
    update_id: i64,
    stored: StoredAnswer,
    voice_reply: bool,
    timings: &mut Timings,
) -> Answered {
    let mut audio = match &stored.audio_path {
        Some(key) if voice_reply => app.audio.read(key).await,
        _ => None,
    };
    if voice_reply && audio.is_none() {
        audio = voice(
            app,
            learner,
            msg,
            update_id,
            stored.message_id,
            &stored.reply.honzik_response,
            timings,
        )
        .await;
    }
    Answered {
        id: stored.message_id,
        reply: stored.reply,
        earned: stored.earned,
        delivered_parts: stored.delivered_parts,
        audio,
    }
}
