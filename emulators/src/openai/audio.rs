//! The audio endpoints: transcriptions (the learner's voice notes) and
//! speech (Honzík's voice).
//!
//! Transcription checks what OpenAI checks (file name extension, a real
//! audio container, minimum length, ISO-639-1 language, response formats per
//! model) and answers with the registered transcript; speech validates its
//! input and returns one of the real Ogg Opus samples.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use super::faults::AiFault;
use super::state::Shared;
use super::steps::{
    JSON_PARSE_ERROR, arrive, estimate_tokens, next_seq, proceed, record, reject,
    with_openai_headers,
};
use super::tutor;
use super::types::{Endpoint, RecordedRequest};
use crate::body::{BodyError, Params};

const MAX_AUDIO: usize = 25 * 1024 * 1024;
const AUDIO_FORMATS: &str =
    "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']";
const VOICES: &[&str] = &[
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse",
    "marin", "cedar",
];

/// Transcripts for audio nobody registered, picked by a stable hash.
const DEFAULT_TRANSCRIPTS: &[&str] = &[
    "Dobrý den, chtěl bych si procvičit češtinu.",
    "Včera jsem byl v Brno a jedl jsem knedlíky.",
    "Mám rád hokej a české pivo.",
];

pub(super) async fn transcription(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let ep = Endpoint::Transcription;
    if let Some(r) = arrive(&sh, ep, &headers) {
        return r;
    }
    let p = match Params::from_request(req).await {
        Ok(p) => p,
        Err(BodyError::TooLarge) => {
            return reject(
                &sh,
                Some(ep),
                413,
                &format!("Maximum content size limit ({MAX_AUDIO}) exceeded."),
                None,
                None,
            );
        }
        Err(e) => {
            tracing::debug!("unreadable transcription body: {e:?}");
            return reject(&sh, Some(ep), 400, "Could not parse multipart form", None, None);
        }
    };
    let bad = |msg: &str, param: Option<&str>, code: Option<&str>| {
        reject(&sh, Some(ep), 400, msg, param, code)
    };
    let Some(file) = p.files.get("file") else {
        return bad(
            "Missing required parameter: 'file'.",
            Some("file"),
            Some("missing_required_parameter"),
        );
    };
    let model = p.str("model").unwrap_or_default();
    if model.is_empty() {
        return bad("you must provide a model parameter", None, None);
    }
    if file.bytes.len() > MAX_AUDIO {
        let msg = format!(
            "Maximum content size limit ({MAX_AUDIO}) exceeded ({} bytes read)",
            file.bytes.len()
        );
        return reject(&sh, Some(ep), 413, &msg, None, None);
    }
    // OpenAI decides the format from the file name's extension, then decodes.
    let name = file.file_name.clone().unwrap_or_default();
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let format_msg = format!("Invalid file format. Supported formats: {AUDIO_FORMATS}");
    if !AUDIO_FORMATS.contains(&format!("'{ext}'")) || ext.is_empty() {
        return bad(&format_msg, None, None);
    }
    let too_short = "Audio file is too short. Minimum audio length is 0.1 seconds.";
    if file.bytes.is_empty() {
        return bad(too_short, Some("file"), Some("audio_too_short"));
    }
    if crate::audio::sniff(&file.bytes).is_none() {
        return bad(&format_msg, None, None);
    }
    let secs = crate::audio::duration_secs(&file.bytes);
    if secs.is_some_and(|s| s < 0.1) {
        return bad(too_short, Some("file"), Some("audio_too_short"));
    }
    let not_iso =
        |l: &String| !l.is_empty() && (l.len() != 2 || !l.bytes().all(|b| b.is_ascii_lowercase()));
    if let Some(lang) = p.str("language").filter(not_iso) {
        let msg = format!(
            "Invalid language '{lang}'. Language parameter must be specified in ISO-639-1 format."
        );
        return bad(&msg, Some("language"), Some("invalid_language_format"));
    }
    let format =
        p.str("response_format").filter(|f| !f.is_empty()).unwrap_or_else(|| "json".into());
    if !["json", "text", "srt", "verbose_json", "vtt"].contains(&format.as_str()) {
        let msg = format!(
            "Invalid value: '{format}'. Supported values are: 'json', 'text', 'srt', 'verbose_json', and 'vtt'."
        );
        return bad(&msg, Some("response_format"), Some("invalid_value"));
    }
    let token_model = model.starts_with("gpt-");
    if token_model && !["json", "text"].contains(&format.as_str()) {
        let msg = format!(
            "response_format '{format}' is not compatible with model '{model}'. Use 'json' or 'text' instead."
        );
        return bad(&msg, Some("response_format"), Some("unsupported_value"));
    }
    let text = {
        let st = sh.inner.lock();
        st.transcripts.get(file.bytes.as_ref()).cloned()
    }
    .unwrap_or_else(|| {
        let h = file
            .bytes
            .iter()
            .fold(0xcbf29ce484222325u64, |h, b| (h ^ *b as u64).wrapping_mul(0x100000001b3));
        DEFAULT_TRANSCRIPTS[(h % DEFAULT_TRANSCRIPTS.len() as u64) as usize].to_owned()
    });
    let mut body = p.fields_json();
    body["file_name"] = json!(name);
    body["file_size"] = json!(file.bytes.len());
    body["file_content_type"] = json!(file.content_type);
    record(
        &sh,
        RecordedRequest {
            endpoint: ep,
            model: model.clone(),
            body,
            prompt_tokens: 0,
            completion_tokens: 0,
            audio_secs: secs,
        },
    );
    let fault = match proceed(&sh, ep).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let seq = next_seq(&sh);
    let secs = secs.unwrap_or(1.0);
    let usage = if token_model {
        let audio_tokens = (secs * 10.0).ceil() as u32;
        let out = estimate_tokens(text.chars().count());
        json!({ "type": "tokens", "input_tokens": audio_tokens, "output_tokens": out, "total_tokens": audio_tokens + out,
                "input_token_details": { "text_tokens": 0, "audio_tokens": audio_tokens } })
    } else {
        json!({ "type": "duration", "seconds": secs.ceil() as u32 })
    };
    let json_body =
        |v: Value| ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response();
    let resp = match (fault, format.as_str()) {
        (Some(AiFault::InvalidJson), _) => {
            ([(header::CONTENT_TYPE, "application/json")], format!("{{\"text\": \"{text}"))
                .into_response()
        }
        (Some(AiFault::MissingFields), _) => json_body(json!({ "usage": usage })),
        (_, "text") => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{text}\n"))
            .into_response(),
        (_, "srt") => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("1\n00:00:00,000 --> {}\n{text}\n\n", timestamp(secs, ',')),
        )
            .into_response(),
        (_, "vtt") => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("WEBVTT\n\n00:00:00.000 --> {}\n{text}\n\n", timestamp(secs, '.')),
        )
            .into_response(),
        (_, "verbose_json") => json_body(json!({
            "task": "transcribe", "language": "czech", "duration": secs, "text": text,
            "segments": [{ "id": 0, "seek": 0, "start": 0.0, "end": secs, "text": text, "tokens": [],
                           "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.0, "no_speech_prob": 0.01 }],
            "usage": usage,
        })),
        _ => json_body(json!({ "text": text, "usage": usage })),
    };
    with_openai_headers(resp, seq)
}

fn timestamp(secs: f64, sep: char) -> String {
    let ms = (secs * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}{sep}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

pub(super) async fn speech(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ep = Endpoint::Speech;
    if let Some(r) = arrive(&sh, ep, &headers) {
        return r;
    }
    let bad = |msg: &str, param: Option<&str>, code: Option<&str>| {
        reject(&sh, Some(ep), 400, msg, param, code)
    };
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return bad(JSON_PARSE_ERROR, None, None);
    };
    let model = req["model"].as_str().unwrap_or_default().to_owned();
    if model.is_empty() {
        return bad("you must provide a model parameter", None, None);
    }
    let Some(input) = req["input"].as_str() else {
        return bad(
            "Missing required parameter: 'input'.",
            Some("input"),
            Some("missing_required_parameter"),
        );
    };
    let len = input.chars().count();
    if len == 0 {
        return bad(
            "Invalid 'input': empty string. Expected a string with minimum length 1, but got an empty string instead.",
            Some("input"),
            Some("empty_string"),
        );
    }
    if len > 4096 {
        let msg = format!(
            "Invalid 'input': string too long. Expected a string with maximum length 4096, but got a string with length {len} instead."
        );
        return bad(&msg, Some("input"), Some("string_above_max_length"));
    }
    match &req["voice"] {
        Value::Null => {
            return bad(
                "Missing required parameter: 'voice'.",
                Some("voice"),
                Some("missing_required_parameter"),
            );
        }
        Value::String(v) if !VOICES.contains(&v.as_str()) => {
            let msg = format!(
                "Invalid value: '{v}'. Supported values are: {}.",
                VOICES.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ")
            );
            return bad(&msg, Some("voice"), Some("invalid_value"));
        }
        _ => {}
    }
    let format = req["response_format"].as_str().unwrap_or("mp3").to_owned();
    let ctype = match format.as_str() {
        "mp3" => "audio/mpeg",
        "opus" => "audio/ogg",
        "aac" => "audio/aac",
        "flac" => "audio/flac",
        "wav" => "audio/wav",
        "pcm" => "audio/pcm",
        other => {
            let msg = format!(
                "Invalid value: '{other}'. Supported values are: 'mp3', 'opus', 'aac', 'flac', 'wav', and 'pcm'."
            );
            return bad(&msg, Some("response_format"), Some("invalid_value"));
        }
    };
    if let Some(speed) = req.get("speed").filter(|s| !s.is_null()) {
        let s = speed.as_f64().unwrap_or(-1.0);
        if s > 4.0 {
            return bad(
                &format!(
                    "Invalid 'speed': decimal above maximum value. Expected a value <= 4, but got {s} instead."
                ),
                Some("speed"),
                Some("decimal_above_max_value"),
            );
        }
        if s < 0.25 {
            return bad(
                &format!(
                    "Invalid 'speed': decimal below minimum value. Expected a value >= 0.25, but got {s} instead."
                ),
                Some("speed"),
                Some("decimal_below_min_value"),
            );
        }
    }
    record(
        &sh,
        RecordedRequest {
            endpoint: ep,
            model,
            body: req.clone(),
            prompt_tokens: 0,
            completion_tokens: 0,
            audio_secs: None,
        },
    );
    let fault = match proceed(&sh, ep).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let seq = next_seq(&sh);
    let speech = crate::samples::speech();
    let sample = speech[(tutor::stable_hash(input) % speech.len() as u64) as usize];
    let resp = match fault {
        Some(AiFault::InvalidJson) => {
            ([(header::CONTENT_TYPE, "application/json")], "{\"status\":\"ok\"}").into_response()
        }
        Some(AiFault::MissingFields) => {
            ([(header::CONTENT_TYPE, ctype)], Bytes::new()).into_response()
        }
        _ => ([(header::CONTENT_TYPE, ctype)], Bytes::from_static(sample.bytes)).into_response(),
    };
    with_openai_headers(resp, seq)
}
