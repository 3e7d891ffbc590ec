//! Hearing the learner: limits checked before downloading, the download capped while streaming,
//! the audio persisted in the background, then speech-to-text.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use teloxide::net::Download;

use super::{AudioInput, Stop};
use crate::ai::speech;
use crate::app::App;
use crate::bot::outbox::Outbox;
use crate::store::learners::Learner;
use crate::store::turns::{Timings, Transcript};
use crate::store::{self, usage::Usage};
use crate::tutor;

/// Downloads and checks the learner's audio, starts saving it, transcribes it, and stores
/// checkpoint "transcribed" with the request's cost.
#[allow(clippy::too_many_arguments)]
pub(super) async fn hear(
    app: &App,
    out: &Outbox,
    learner: &Learner,
    message_id: i64,
    audio_path: Option<&str>,
    audio: &AudioInput,
    model: &str,
    timings: &mut Timings,
) -> Result<String, Stop> {
    let (bytes, measured) = match fetch(app, out, audio, timings).await {
        Ok(fetched) => fetched,
        Err(stop) => {
            // Nothing will be written there: the row must not name a file that does not exist.
            if audio_path.is_some() {
                if let Err(e) = store::turns::clear_audio_path(&app.db, message_id).await {
                    tracing::warn!(message_id, error = %e, "could not forget the path of audio never saved");
                }
            }
            return Err(stop);
        }
    };
    if let Some(path) = audio_path {
        app.audio.persist(app.db.clone(), message_id, path.into(), bytes.clone());
    }
    let t = Instant::now();
    let text = app.speech.transcribe(bytes.clone(), speech::upload_name(&bytes)).await?;
    timings.stt_ms = Some(t.elapsed().as_millis() as u32);
    let stt = app.config.models.stt.as_str();
    // Billed by the audio's real length when measured: the declared one is the sender's claim.
    let seconds = measured.unwrap_or(audio.duration as f64);
    let usage = Usage {
        kind: "stt",
        model: stt,
        prompt_tokens: 0,
        completion_tokens: 0,
        audio_seconds: seconds,
        characters: 0,
        cost_micros: app.config.prices.stt_micros(stt, seconds),
    };
    app.metrics.usage(0, 0, usage.cost_micros);
    let now = app.clock.now();
    let transcript = Transcript {
        message_id,
        user_id: learner.id,
        text: &text,
        tokens: tutor::count_tokens(model, &text),
        usage,
        day: crate::progress::local_day(now, learner.tz),
    };
    store::turns::record_transcript(&app.db, &transcript, now).await?;
    heard(text)
}

/// A transcript with words in it; silence or noise gets its own notice.
pub(super) fn heard(text: String) -> Result<String, Stop> {
    if text.chars().filter(|c| c.is_alphanumeric()).count() == 0 {
        return Err(Stop::Notice("empty-transcript", vec![]));
    }
    Ok(text)
}

/// A review answer said aloud (`/review`): downloaded within the same limits and transcribed;
/// `None` when that fails (too long, unreadable, silence, speech-to-text down) — the learner is
/// asked to say or type it again. It is an answer to a card, not a turn: no message is stored,
/// but the transcription is paid for, so its cost goes to the learner's day (quotas count it).
pub(crate) async fn transcribe_only(
    app: &App,
    out: &Outbox,
    learner: &Learner,
    audio: &AudioInput,
) -> Option<String> {
    let (bytes, measured) = fetch(app, out, audio, &mut Timings::default()).await.ok()?;
    match app.speech.transcribe(bytes.clone(), speech::upload_name(&bytes)).await {
        Ok(text) => {
            let stt = app.config.models.stt.as_str();
            let seconds = measured.unwrap_or(audio.duration as f64);
            let usage = Usage {
                kind: "stt",
                model: stt,
                prompt_tokens: 0,
                completion_tokens: 0,
                audio_seconds: seconds,
                characters: 0,
                cost_micros: app.config.prices.stt_micros(stt, seconds),
            };
            app.metrics.usage(0, 0, usage.cost_micros);
            let now = app.clock.now();
            if let Err(e) = store::usage::record(
                &app.db,
                learner.id,
                None,
                &usage,
                crate::progress::local_day(now, learner.tz),
                now,
            )
            .await
            {
                tracing::warn!(error = %e, "could not record the cost of a review answer's transcription");
            }
            heard(text).ok()
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not transcribe a review answer");
            None
        }
    }
}

/// The audio, within every limit, downloaded, with its measured length when it could be measured.
async fn fetch(
    app: &App,
    out: &Outbox,
    audio: &AudioInput,
    timings: &mut Timings,
) -> Result<(Bytes, Option<f64>), Stop> {
    let limits = &app.config.limits;
    if !audio.declared_audio {
        return Err(Stop::Notice("not-audio", vec![]));
    }
    if audio.duration > limits.max_voice_secs {
        return Err(Stop::Notice(
            "voice-too-long",
            vec![("max", limits.max_voice_secs as i64), ("duration", audio.duration as i64)],
        ));
    }
    let max_mb = (limits.max_file_bytes / (1024 * 1024)) as i64;
    // Telegram may omit the size (teloxide then reports u32::MAX): the download cap decides then.
    if audio.size != u32::MAX && audio.size as u64 > limits.max_file_bytes {
        return Err(Stop::Notice("file-too-big", vec![("max_mb", max_mb)]));
    }
    let t = Instant::now();
    let bytes = download(out, audio, limits.max_file_bytes).await?;
    timings.download_ms = Some(t.elapsed().as_millis() as u32);
    if bytes.is_empty() || !speech::looks_like_audio(&bytes) {
        return Err(Stop::Notice("not-audio", vec![]));
    }
    let measured = check_real_length(&bytes, limits.max_voice_secs).await?;
    Ok((bytes, measured))
}

/// The declared duration is the sender's claim; an Ogg file (every voice note) is measured from its
/// pages before speech-to-text is paid for. Damaged Ogg, or Ogg with nothing after its headers, is
/// refused as damaged; audio longer than `MAX_VOICE_SECONDS` (plus the second Telegram's rounding
/// may add) is refused with its real length. Other containers keep the declared duration and the
/// size cap.
async fn check_real_length(bytes: &Bytes, max_secs: u32) -> Result<Option<f64>, Stop> {
    if !bytes.starts_with(b"OggS") {
        return Ok(None);
    }
    // A voice note is tens of kilobytes: measuring it costs microseconds, less than a hop to the
    // blocking pool. Only a large file is measured off the async workers.
    let length = if bytes.len() <= 512 * 1024 {
        speech::ogg::length(bytes)
    } else {
        let b = bytes.clone();
        tokio::task::spawn_blocking(move || speech::ogg::length(&b))
            .await
            .unwrap_or(speech::ogg::Length::Unmeasured)
    };
    match length {
        speech::ogg::Length::Broken => Err(Stop::Notice("audio-damaged", vec![])),
        speech::ogg::Length::Seconds(s) if s < 0.1 => Err(Stop::Notice("audio-damaged", vec![])),
        speech::ogg::Length::Seconds(s) if s > f64::from(max_secs) + 1.0 => {
            tracing::info!(real_secs = s, "voice note longer than it claimed");
            Err(Stop::Notice(
                "voice-too-long",
                vec![("max", i64::from(max_secs)), ("duration", s.ceil() as i64)],
            ))
        }
        speech::ogg::Length::Seconds(s) => Ok(Some(s)),
        _ => Ok(None),
    }
}

/// Downloads a file, refusing to hold more than `cap` bytes whatever its metadata claimed.
async fn download(out: &Outbox, audio: &AudioInput, cap: u64) -> Result<Bytes, Stop> {
    let too_big = || Stop::Notice("file-too-big", vec![("max_mb", (cap / (1024 * 1024)) as i64)]);
    let file = match out.get_file(&audio.file_id).await {
        Ok(f) => f,
        Err(teloxide::RequestError::Api(e))
            if e.to_string().to_ascii_lowercase().contains("too big") =>
        {
            return Err(too_big());
        }
        Err(e) => {
            tracing::warn!(error = %e, "getFile failed");
            return Err(Stop::Notice("download-failed", vec![]));
        }
    };
    if file.meta.size as u64 > cap {
        return Err(too_big());
    }
    let mut stream = out.bot().download_file_stream(&file.path);
    let mut buf = BytesMut::with_capacity(file.meta.size as usize);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            tracing::warn!(error = %e, "download failed");
            Stop::Notice("download-failed", vec![])
        })?;
        if (buf.len() + chunk.len()) as u64 > cap {
            return Err(too_big());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}
