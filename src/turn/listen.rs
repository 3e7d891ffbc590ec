//! Hearing the learner: limits checked before downloading, the download capped while streaming,
//! the audio persisted in the background, then speech-to-text.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use teloxide::net::Download;
use teloxide::prelude::*;

use super::{AudioInput, Stop};
use crate::app::App;
use crate::bot::send;
use crate::speech;
use crate::store::turns::Timings;

pub(super) async fn transcribe(app: &App, msg: &Message, update_id: i64, message_id: i64, audio: &AudioInput, timings: &mut Timings) -> Result<String, Stop> {
    let limits = &app.config.limits;
    if !audio.declared_audio {
        return Err(Stop::Notice("not-audio", vec![]));
    }
    if audio.duration > limits.max_voice_secs {
        return Err(Stop::Notice("voice-too-long", vec![("max", limits.max_voice_secs as i64), ("duration", audio.duration as i64)]));
    }
    let max_mb = (limits.max_file_bytes / (1024 * 1024)) as i64;
    // Telegram may omit the size (teloxide then reports u32::MAX): the download cap decides then.
    if audio.size != u32::MAX && audio.size as u64 > limits.max_file_bytes {
        return Err(Stop::Notice("file-too-big", vec![("max_mb", max_mb)]));
    }
    let t = Instant::now();
    let bytes = download(app, audio, limits.max_file_bytes).await?;
    timings.download_ms = Some(t.elapsed().as_millis() as u32);
    if bytes.is_empty() || !speech::looks_like_audio(&bytes) {
        return Err(Stop::Notice("not-audio", vec![]));
    }
    let path = app.audio.path_for(app.clock.now(), msg.chat.id.0, update_id, "learner", "ogg");
    app.audio.persist(app.db.clone(), message_id, path, bytes.clone());

    let t = Instant::now();
    let text = app.speech.transcribe(bytes.clone(), speech::upload_name(&bytes)).await?;
    timings.stt_ms = Some(t.elapsed().as_millis() as u32);
    if text.chars().filter(|c| c.is_alphanumeric()).count() == 0 {
        return Err(Stop::Notice("empty-transcript", vec![]));
    }
    Ok(text)
}

/// Downloads a file, refusing to hold more than `cap` bytes whatever its metadata claimed.
async fn download(app: &App, audio: &AudioInput, cap: u64) -> Result<Bytes, Stop> {
    let too_big = || Stop::Notice("file-too-big", vec![("max_mb", (cap / (1024 * 1024)) as i64)]);
    let file = match send::with_retry("getFile", || app.bot.get_file(audio.file_id.clone()).into_future()).await {
        Ok(f) => f,
        Err(teloxide::RequestError::Api(e)) if e.to_string().to_ascii_lowercase().contains("too big") => return Err(too_big()),
        Err(e) => {
            tracing::warn!(error = %e, "getFile failed");
            return Err(Stop::Notice("download-failed", vec![]));
        }
    };
    if file.meta.size as u64 > cap {
        return Err(too_big());
    }
    let mut stream = app.bot.download_file_stream(&file.path);
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
