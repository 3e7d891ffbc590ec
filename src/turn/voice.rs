//! Honzík's voice: made (or found in the cache), then kept with the stored answer.
//!
//! Making it and keeping it are apart so the voice can be made while the rest of the answer is
//! still streaming ([`early`]): the answer's id, which the kept voice is recorded under, exists
//! only once the whole answer is stored.

use bytes::Bytes;
use std::time::Instant;

use super::{Fence, fence};
use crate::ai::meter::Usage;
use crate::app::App;
use crate::store::answer;
use crate::store::learners::Learner;
use crate::store::turns::Timings;

/// Honzík's words as a voice note, and what making it cost.
pub(super) struct Spoken {
    pub text: String,
    pub bytes: Bytes,
    usage: Usage,
    /// From the cache: nothing to put back there.
    hit: bool,
}

/// Makes the voice for `text` in `speaker`'s voice (Honzík's, or paní Nováková's in her
/// scenes) — from the cache when he has said the same words in the same
/// voice before (no request, recorded at zero cost). A failure leaves the answer in text only
/// (better than no answer).
pub(super) async fn speak(
    app: &App,
    learner: &Learner,
    (text, speaker): (&str, &str),
    timings: &mut Timings,
) -> Option<Spoken> {
    speak_at(app, (text, speaker, learner.voice_speed.factor()), timings).await
}

/// [`speak`] at `speed` (a practice phrase said slowly, a dictation's pace).
async fn speak_at(
    app: &App,
    (text, speaker, speed): (&str, &str, f32),
    timings: &mut Timings,
) -> Option<Spoken> {
    let t = Instant::now();
    let m = &app.config.models;
    let cache = app
        .cache
        .tts
        .as_ref()
        .map(|c| (c, crate::cache::tts::TtsKey::new(text, speaker, speed, &m.tts)));
    let cached = match &cache {
        Some((c, k)) => c.get(k).await,
        None => None,
    };
    let hit = cached.is_some();
    let speech = match cached {
        Some(bytes) => Ok((bytes, app.speech.cached_voice())),
        None => app.speech.synthesize_in(text, speed, speaker).await.map(|m| (m.value, m.usage)),
    };
    timings.tts_ms = Some(t.elapsed().as_millis() as u32);
    let (bytes, usage) = match speech {
        Ok(spoken) => spoken,
        Err(e) => {
            tracing::warn!(error = %e, "text-to-speech failed; answering in text only");
            return None;
        }
    };
    if let (false, Some((c, k))) = (hit, &cache) {
        c.put(k, bytes.clone()).await;
    }
    Some(Spoken { text: text.to_owned(), bytes, usage, hit })
}

/// Honzík says `text` outside a turn (a placement dictation), at the learner's speed: made or
/// found in the cache like a turn's voice, its usage recorded at once (no answer to record it
/// with). `None` when text-to-speech failed. The caller has passed the paid gate.
pub async fn speak_only(app: &App, learner: &Learner, text: &str) -> Option<Bytes> {
    speak_only_at(app, learner, text, learner.voice_speed.factor()).await
}

/// The same at `speed` (dictation and shadowing: `bot::handlers::{listen, shadow}`).
pub async fn speak_only_at(app: &App, learner: &Learner, text: &str, speed: f32) -> Option<Bytes> {
    let voice = app.config.models.tts_voice.as_str();
    let spoken = speak_at(app, (text, voice, speed), &mut Timings::default()).await?;
    let now = app.clock.now();
    let day = crate::progress::local_day(now, learner.tz);
    let recorded = crate::store::usage::record(&app.db, learner.id, None, &spoken.usage, day, now);
    if let Err(e) = recorded.await {
        tracing::warn!(error = %e, "the cost of a voice outside a turn not recorded");
    }
    Some(spoken.bytes)
}

/// The voice made for the words handed over early, while the rest of the reply streams: waits
/// for the words (none when the reply was not streamed or failed before they were whole), and
/// pays for the voice only while the update is still this run's.
pub(super) async fn early(
    app: &App,
    fence: &dyn Fence,
    learner: &Learner,
    (words, speaker): (tokio::sync::oneshot::Receiver<String>, &str),
    timings: &mut Timings,
) -> Option<Spoken> {
    let words = words.await.ok()?;
    // Fenced: nothing paid here, and the check after the completion stops the turn.
    fence::check(fence).await.ok()?;
    speak(app, learner, (&words, speaker), timings).await
}

/// A turn that ended without an answer (the model's replies were unreadable, or it went away
/// after a first unreadable one): the attempts already answered, and a voice made early from
/// the words that had streamed, were paid for all the same, so their costs are recorded.
pub(super) async fn unanswered(
    app: &App,
    learner: &Learner,
    mut paid: Vec<Usage>,
    early: Option<Spoken>,
) {
    paid.extend(early.filter(|s| !s.hit).map(|s| s.usage));
    let now = app.clock.now();
    let day = crate::progress::local_day(now, learner.tz);
    for usage in &paid {
        let recorded = crate::store::usage::record(&app.db, learner.id, None, usage, day, now);
        if let Err(e) = recorded.await {
            tracing::warn!(error = %e, "the cost of an unanswered turn not recorded");
        }
    }
}

/// The voice made early, against the final reply: kept when the reply (repaired, sifted,
/// clipped) still says exactly its words, discarded otherwise; and the usage to record with the
/// answer — a kept voice's always (a cached one at zero cost), a discarded one's when it was
/// paid for.
pub(super) fn settle(early: Option<Spoken>, reply_text: &str) -> (Option<Spoken>, Option<Usage>) {
    match early {
        Some(v) if v.text == reply_text => {
            let usage = v.usage.clone();
            (Some(v), Some(usage))
        }
        Some(v) => (None, (!v.hit).then_some(v.usage)),
        None => (None, None),
    }
}

/// A voice recorded with its answer ([`settle`]): saved in the background under `key`.
pub(super) fn kept(app: &App, answer_id: i64, key: String, spoken: Spoken) -> Bytes {
    app.audio.persist(app.db.clone(), answer_id, key, spoken.bytes.clone());
    spoken.bytes
}

/// Keeps the voice with its answer: its key and cost recorded in one round trip, the audio
/// saved in the background.
pub(super) async fn keep(
    app: &App,
    learner: &Learner,
    (chat_id, update_id): (i64, i64),
    answer_id: i64,
    spoken: Spoken,
) -> Bytes {
    let key = app.audio.key_for(app.clock.now(), chat_id, update_id, "honzik");
    let now = app.clock.now();
    let day = crate::progress::local_day(now, learner.tz);
    match answer::record_voice(&app.db, learner.id, answer_id, &key, &spoken.usage, day, now).await
    {
        Ok(()) => app.audio.persist(app.db.clone(), answer_id, key, spoken.bytes.clone()),
        // The voice still goes out; only a restart would have to make it again.
        Err(e) => tracing::warn!(error = %e, "Honzík's voice not recorded"),
    }
    spoken.bytes
}
