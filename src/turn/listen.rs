//! Hearing the learner: limits checked before downloading, the download capped while streaming,
//! the audio persisted in the background, then speech-to-text.

use std::time::Instant;

use bytes::Bytes;
use tracing::Instrument;

use super::{AudioInput, Fence, Fetch, FetchError, Notice, Stop, TurnError};
use crate::ai::upstream::on_behalf_of;
use crate::ai::{AiError, speech};
use crate::app::App;
use crate::audio_store::budget::Held;
use crate::store;
use crate::store::StoreError;
use crate::store::learners::Learner;
use crate::store::turns::{Timings, Transcript};
use crate::tutor;

/// The learner's audio message being heard: its stored row, where its audio goes, what it is,
/// and the model whose tokens count its transcript.
pub(super) struct Heard<'a> {
    pub message_id: i64,
    pub audio_path: Option<&'a str>,
    pub audio: &'a AudioInput,
    pub model: &'a str,
}

/// Checkpoint "transcribed" on its way to the database while the answer's prompt is read
/// (`compose::answer` waits for both before Honzík is asked): one round trip less of the
/// learner's wait. A task of its own, so the paid transcription is recorded even if the turn
/// stops meanwhile.
pub(super) struct Storing(tokio::task::JoinHandle<Result<(), StoreError>>);

impl Storing {
    /// The transcript is stored (or could not be).
    pub async fn stored(self) -> Result<(), StoreError> {
        match self.0.await {
            Ok(stored) => stored,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(StoreError::Corrupt("the transcript's write was cancelled".into())),
        }
    }
}

/// Downloads and checks the learner's audio, starts saving it, transcribes it (if the update is
/// still this run's: speech-to-text is paid), and starts storing checkpoint "transcribed" with
/// the request's cost ([`Storing`]).
pub(super) async fn hear(
    app: &App,
    fetch: &impl Fetch,
    fence: &dyn Fence,
    learner: &Learner,
    heard: &Heard<'_>,
    timings: &mut Timings,
) -> Result<(String, usize, Storing), Stop> {
    let Heard { message_id, audio_path, audio, model } = *heard;
    // `_held`: the audio's bytes stay counted until speech-to-text is done with them.
    let (bytes, measured, _held) = match fetched(app, fetch, audio, timings).await {
        Ok(fetched) => fetched,
        Err(stop) => {
            // Nothing will be written there: the row must not name a file that does not exist.
            if audio_path.is_some()
                && let Err(e) = store::turns::clear_audio_path(&app.db, message_id).await
            {
                tracing::warn!(message_id, error = %e, "could not forget the path of audio never saved");
            }
            return Err(stop);
        }
    };
    if let Some(path) = audio_path {
        app.audio.persist(app.db.clone(), message_id, path.into(), bytes.clone());
    }
    super::fence::check(fence).await?;
    let t = Instant::now();
    // Billed by the audio's measured length: the declared one is the sender's claim.
    let seconds = measured;
    let request = app.speech.transcribe(bytes.clone(), speech::upload_name(&bytes), seconds);
    let said = on_behalf_of(learner.id, request)
        .instrument(tracing::info_span!("stt"))
        .await
        .map_err(unreadable_transcript)?;
    timings.stt_ms = Some(t.elapsed().as_millis() as u32);
    let (text, usage) = (said.value.text, said.usage);
    let now = app.clock.now();
    let tokens = tutor::count_tokens(model, &text);
    let transcript = Transcript {
        message_id,
        user_id: learner.id,
        text: &text,
        tokens,
        usage,
        day: crate::progress::local_day(now, learner.tz),
    };
    let storing = Storing(tokio::spawn(store::turns::record_transcript(&app.db, &transcript, now)));
    match self::heard(text) {
        Ok(text) => Ok((text, tokens, storing)),
        // Nothing to answer, but the transcription was paid for: stored before the turn ends.
        Err(stop) => {
            storing.stored().await?;
            Err(stop)
        }
    }
}

/// A speech-to-text answer the bot could not read gets its own notice: the server is up, so the
/// learner is not told to wait for it, and "Honzík got confused" would blame the wrong step.
fn unreadable_transcript(e: AiError) -> Stop {
    match e {
        AiError::InvalidReply(_) => Stop::notice("transcript-unreadable"),
        other => other.into(),
    }
}

/// A transcript with words in it; silence or noise gets its own notice.
pub(super) fn heard(text: String) -> Result<String, Stop> {
    if text.chars().filter(|c| c.is_alphanumeric()).count() == 0 {
        return Err(Stop::notice("empty-transcript"));
    }
    Ok(text)
}

/// A review answer said aloud (`/review`): downloaded within the same limits and transcribed;
/// `None` when that fails (too long, unreadable, silence, speech-to-text down) — the learner is
/// asked to say or type it again. It is an answer to a card, not a turn: no message is stored,
/// but the transcription is paid for, so its cost goes to the learner's day (quotas count it)
/// and the caller passes the same paid gate as a turn first (`bot::handlers::access::gate`).
///
/// Like a turn's, the transcription is paid only while the update is still this run's (`fence`):
/// `Err(TurnError::Fenced)` once it is not, and the caller shows nothing.
pub async fn transcribe_only(
    app: &App,
    fetch: &impl Fetch,
    fence: &dyn Fence,
    learner: &Learner,
    audio: &AudioInput,
) -> Result<Option<String>, TurnError> {
    Ok(transcribe_timed(app, fetch, fence, learner, audio).await?.map(|(t, _)| t.text))
}

/// The same, with the whole transcript — words with their times — and the recording's measured
/// length in seconds: what shadowing (`/shadow`) compares. `None` when nothing could be heard.
pub async fn transcribe_timed(
    app: &App,
    fetch: &impl Fetch,
    fence: &dyn Fence,
    learner: &Learner,
    audio: &AudioInput,
) -> Result<Option<(speech::Transcript, f64)>, TurnError> {
    let Ok((bytes, measured, _held)) = fetched(app, fetch, audio, &mut Timings::default()).await
    else {
        return Ok(None);
    };
    if super::fence::check(fence).await.is_err() {
        return Err(TurnError::Fenced);
    }
    let request = app.speech.transcribe(bytes.clone(), speech::upload_name(&bytes), measured);
    match on_behalf_of(learner.id, request).await {
        Ok(said) => {
            let now = app.clock.now();
            if let Err(e) = store::usage::record(
                &app.db,
                learner.id,
                None,
                &said.usage,
                crate::progress::local_day(now, learner.tz),
                now,
            )
            .await
            {
                tracing::warn!(error = %e, "could not record the cost of a practice transcription");
            }
            let transcript = said.value;
            Ok(heard(transcript.text.clone()).ok().map(|_| (transcript, measured)))
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not transcribe a practice answer");
            Ok(None)
        }
    }
}

/// The audio, within every limit, downloaded, with its measured length in seconds and its share
/// of `AUDIO_MEMORY_MB` (held by the caller for as long as it holds the bytes).
async fn fetched(
    app: &App,
    fetch: &impl Fetch,
    audio: &AudioInput,
    timings: &mut Timings,
) -> Result<(Bytes, f64, Held), Stop> {
    let limits = &app.config.limits;
    let file = &audio.file;
    if !audio.declared_audio {
        return Err(Stop::notice("not-audio"));
    }
    if file.duration > limits.max_voice_secs {
        return Err(Stop::Notice(Notice::with(
            "voice-too-long",
            &[("max", limits.max_voice_secs as i64), ("duration", file.duration as i64)],
        )));
    }
    let too_big = || {
        let max_mb = (limits.max_file_bytes / (1024 * 1024)) as i64;
        Stop::Notice(Notice::with("file-too-big", &[("max_mb", max_mb)]))
    };
    // The messenger may not say the size: the download cap decides then.
    if file.size.is_some_and(|size| u64::from(size) > limits.max_file_bytes) {
        return Err(too_big());
    }
    // What the download may take, reserved before it starts: a burst of large files waits here
    // for memory rather than taking it. Telegram's declared size, else the most a download may be.
    let mut held = app
        .audio_memory
        .reserve(file.size.map_or(limits.max_file_bytes, u64::from).min(limits.max_file_bytes))
        .instrument(tracing::info_span!("audio_memory"))
        .await;
    let t = Instant::now();
    let bytes = match fetch
        .fetch(file, limits.max_file_bytes)
        .instrument(tracing::info_span!("download"))
        .await
    {
        Ok(bytes) => bytes,
        Err(FetchError::TooBig { .. }) => return Err(too_big()),
        Err(FetchError::Failed(why)) => {
            tracing::warn!(error = %why, "download failed");
            return Err(Stop::notice("download-failed"));
        }
    };
    timings.download_ms = Some(t.elapsed().as_millis() as u32);
    held.shrink_to(bytes.len() as u64);
    if bytes.is_empty() || !speech::looks_like_audio(&bytes) {
        return Err(Stop::notice("not-audio"));
    }
    let measured = check_real_length(&bytes, limits.max_voice_secs).await?;
    Ok((bytes, measured, held))
}

/// The declared duration is the sender's claim: every accepted container (Ogg, WAV, MP3, MP4/M4A)
/// is measured from what a decoder will read (`speech::containers`) before speech-to-text is
/// paid for, and the transcription is billed by that length. Damaged audio, or audio with nothing
/// in it, is refused as damaged; audio longer than `MAX_VOICE_SECONDS` (plus the second Telegram's
/// rounding may add) is refused with its real length; audio that cannot be measured (another
/// container, an Ogg codec other than Opus or Vorbis) is refused rather than trusted.
async fn check_real_length(bytes: &Bytes, max_secs: u32) -> Result<f64, Stop> {
    use speech::ogg::Length;
    // Off the async workers whatever the size: measuring is linear in the file's length (see
    // `ogg::crc_budget`), but a 20 MB file still takes milliseconds no other turn should wait on.
    let b = bytes.clone();
    let length = tokio::task::spawn_blocking(move || speech::containers::length(&b))
        .await
        .unwrap_or(Length::Broken);
    match length {
        Length::Broken => Err(Stop::notice("audio-damaged")),
        Length::Seconds(s) if s < 0.1 => Err(Stop::notice("audio-damaged")),
        Length::Seconds(s) if s > f64::from(max_secs) + 1.0 => {
            tracing::info!(real_secs = s, "audio longer than it claimed");
            Err(Stop::Notice(Notice::with(
                "voice-too-long",
                &[("max", i64::from(max_secs)), ("duration", s.ceil() as i64)],
            )))
        }
        Length::Seconds(s) => Ok(s),
        Length::Unmeasured => Err(Stop::notice("audio-unmeasured")),
    }
}
