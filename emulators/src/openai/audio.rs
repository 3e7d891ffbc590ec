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
use crate::body::{BodyError, Params, UploadedFile};

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

/// A request OpenAI refuses: the status, the message, and the `param` and `code` it names.
struct Refusal {
    status: u16,
    message: String,
    param: Option<&'static str>,
    code: Option<&'static str>,
}

/// A 400 refusal.
fn invalid(
    message: impl Into<String>,
    param: Option<&'static str>,
    code: Option<&'static str>,
) -> Refusal {
    Refusal { status: 400, message: message.into(), param, code }
}

fn refuse(sh: &Shared, ep: Endpoint, r: Refusal) -> Response {
    reject(sh, Some(ep), r.status, &r.message, r.param, r.code)
}

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
            let message = format!("Maximum content size limit ({MAX_AUDIO}) exceeded.");
            return refuse(&sh, ep, Refusal { status: 413, message, param: None, code: None });
        }
        Err(e) => {
            tracing::debug!("unreadable transcription body: {e:?}");
            return refuse(&sh, ep, invalid("Could not parse multipart form", None, None));
        }
    };
    let up = match Upload::check(&p) {
        Ok(up) => up,
        Err(r) => return refuse(&sh, ep, r),
    };
    let text = transcript(&sh, &up.file.bytes);
    let mut body = p.fields_json();
    body["file_name"] = json!(up.name);
    body["file_size"] = json!(up.file.bytes.len());
    body["file_content_type"] = json!(up.file.content_type);
    record(
        &sh,
        RecordedRequest {
            endpoint: ep,
            model: up.model.clone(),
            body,
            prompt_tokens: 0,
            completion_tokens: 0,
            audio_secs: up.secs,
        },
    );
    let fault = match proceed(&sh, ep).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let seq = next_seq(&sh);
    with_openai_headers(transcription_response(fault, &up, &text), seq)
}

/// A transcription request that passed OpenAI's checks.
struct Upload<'a> {
    file: &'a UploadedFile,
    name: String,
    model: String,
    /// `response_format` (default `json`).
    format: String,
    /// Length of the audio, when the container tells.
    secs: Option<f64>,
    /// A `gpt-…` transcription model: usage in tokens, `json` or `text` only.
    token_model: bool,
}

impl Upload<'_> {
    /// OpenAI's checks, in OpenAI's order: the file, the model, the size, the format (from the
    /// file name's extension, then by decoding), the length, the language, the response format.
    fn check(p: &Params) -> Result<Upload<'_>, Refusal> {
        let Some(file) = p.files.get("file") else {
            return Err(invalid(
                "Missing required parameter: 'file'.",
                Some("file"),
                Some("missing_required_parameter"),
            ));
        };
        let model = p.str("model").unwrap_or_default();
        if model.is_empty() {
            return Err(invalid("you must provide a model parameter", None, None));
        }
        if file.bytes.len() > MAX_AUDIO {
            let message = format!(
                "Maximum content size limit ({MAX_AUDIO}) exceeded ({} bytes read)",
                file.bytes.len()
            );
            return Err(Refusal { status: 413, message, param: None, code: None });
        }
        let name = file.file_name.clone().unwrap_or_default();
        let secs = check_audio(&name, &file.bytes)?;
        let not_iso = |l: &String| {
            !l.is_empty() && (l.len() != 2 || !l.bytes().all(|b| b.is_ascii_lowercase()))
        };
        if let Some(lang) = p.str("language").filter(not_iso) {
            let msg = format!(
                "Invalid language '{lang}'. Language parameter must be specified in ISO-639-1 format."
            );
            return Err(invalid(msg, Some("language"), Some("invalid_language_format")));
        }
        let format =
            p.str("response_format").filter(|f| !f.is_empty()).unwrap_or_else(|| "json".into());
        if !["json", "text", "srt", "verbose_json", "vtt"].contains(&format.as_str()) {
            let msg = format!(
                "Invalid value: '{format}'. Supported values are: 'json', 'text', 'srt', 'verbose_json', and 'vtt'."
            );
            return Err(invalid(msg, Some("response_format"), Some("invalid_value")));
        }
        let token_model = model.starts_with("gpt-");
        if token_model && !["json", "text"].contains(&format.as_str()) {
            let msg = format!(
                "response_format '{format}' is not compatible with model '{model}'. Use 'json' or 'text' instead."
            );
            return Err(invalid(msg, Some("response_format"), Some("unsupported_value")));
        }
        Ok(Upload { file, name, model, format, secs, token_model })
    }
}

/// OpenAI decides the format from the file name's extension, then decodes: a supported
/// extension, a real audio container, at least 0.1 s. `Ok` is the length when the container
/// tells.
fn check_audio(name: &str, bytes: &[u8]) -> Result<Option<f64>, Refusal> {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let format_msg = format!("Invalid file format. Supported formats: {AUDIO_FORMATS}");
    if !AUDIO_FORMATS.contains(&format!("'{ext}'")) || ext.is_empty() {
        return Err(invalid(format_msg, None, None));
    }
    let too_short = "Audio file is too short. Minimum audio length is 0.1 seconds.";
    if bytes.is_empty() {
        return Err(invalid(too_short, Some("file"), Some("audio_too_short")));
    }
    if crate::audio::sniff(bytes).is_none() {
        return Err(invalid(format_msg, None, None));
    }
    let secs = crate::audio::duration_secs(bytes);
    if secs.is_some_and(|s| s < 0.1) {
        return Err(invalid(too_short, Some("file"), Some("audio_too_short")));
    }
    Ok(secs)
}

/// The registered transcript of these bytes, or one of the default ones picked by their hash.
fn transcript(sh: &Shared, bytes: &[u8]) -> String {
    let registered = sh.inner.lock().transcripts.get(bytes).cloned();
    registered.unwrap_or_else(|| {
        let h = bytes
            .iter()
            .fold(0xcbf29ce484222325u64, |h, b| (h ^ *b as u64).wrapping_mul(0x100000001b3));
        DEFAULT_TRANSCRIPTS[(h % DEFAULT_TRANSCRIPTS.len() as u64) as usize].to_owned()
    })
}

/// The transcript in the requested format, with its usage (or broken by a content fault).
fn transcription_response(fault: Option<AiFault>, up: &Upload, text: &str) -> Response {
    let secs = up.secs.unwrap_or(1.0);
    let usage = if up.token_model {
        let audio_tokens = (secs * 10.0).ceil() as u32;
        let out = estimate_tokens(text.chars().count());
        json!({ "type": "tokens", "input_tokens": audio_tokens, "output_tokens": out, "total_tokens": audio_tokens + out,
                "input_token_details": { "text_tokens": 0, "audio_tokens": audio_tokens } })
    } else {
        json!({ "type": "duration", "seconds": secs.ceil() as u32 })
    };
    let json_body =
        |v: Value| ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response();
    let plain = |body: String| {
        ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
    };
    match (fault, up.format.as_str()) {
        (Some(AiFault::InvalidJson), _) => {
            ([(header::CONTENT_TYPE, "application/json")], format!("{{\"text\": \"{text}"))
                .into_response()
        }
        (Some(AiFault::MissingFields), _) => json_body(json!({ "usage": usage })),
        (_, "text") => plain(format!("{text}\n")),
        (_, "srt") => plain(format!("1\n00:00:00,000 --> {}\n{text}\n\n", timestamp(secs, ','))),
        (_, "vtt") => {
            plain(format!("WEBVTT\n\n00:00:00.000 --> {}\n{text}\n\n", timestamp(secs, '.')))
        }
        (_, "verbose_json") => json_body(json!({
            "task": "transcribe", "language": "czech", "duration": secs, "text": text,
            "segments": [{ "id": 0, "seek": 0, "start": 0.0, "end": secs, "text": text, "tokens": [],
                           "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.0, "no_speech_prob": 0.01 }],
            "usage": usage,
        })),
        _ => json_body(json!({ "text": text, "usage": usage })),
    }
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
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return refuse(&sh, ep, invalid(JSON_PARSE_ERROR, None, None));
    };
    let (model, input, ctype) = match check_speech(&req) {
        Ok(checked) => checked,
        Err(r) => return refuse(&sh, ep, r),
    };
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

/// OpenAI's checks of a speech request, in its order: `Ok` is the model, the input and the
/// audio's content type.
fn check_speech(req: &Value) -> Result<(String, &str, &'static str), Refusal> {
    let model = req["model"].as_str().unwrap_or_default().to_owned();
    if model.is_empty() {
        return Err(invalid("you must provide a model parameter", None, None));
    }
    let Some(input) = req["input"].as_str() else {
        return Err(invalid(
            "Missing required parameter: 'input'.",
            Some("input"),
            Some("missing_required_parameter"),
        ));
    };
    let len = input.chars().count();
    if len == 0 {
        return Err(invalid(
            "Invalid 'input': empty string. Expected a string with minimum length 1, but got an empty string instead.",
            Some("input"),
            Some("empty_string"),
        ));
    }
    if len > 4096 {
        let msg = format!(
            "Invalid 'input': string too long. Expected a string with maximum length 4096, but got a string with length {len} instead."
        );
        return Err(invalid(msg, Some("input"), Some("string_above_max_length")));
    }
    check_voice(&req["voice"])?;
    let ctype = content_type(req["response_format"].as_str().unwrap_or("mp3"))?;
    check_speed(req)?;
    Ok((model, input, ctype))
}

fn check_voice(voice: &Value) -> Result<(), Refusal> {
    match voice {
        Value::Null => Err(invalid(
            "Missing required parameter: 'voice'.",
            Some("voice"),
            Some("missing_required_parameter"),
        )),
        Value::String(v) if !VOICES.contains(&v.as_str()) => {
            let msg = format!(
                "Invalid value: '{v}'. Supported values are: {}.",
                VOICES.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ")
            );
            Err(invalid(msg, Some("voice"), Some("invalid_value")))
        }
        _ => Ok(()),
    }
}

/// The content type of a speech `response_format`.
fn content_type(format: &str) -> Result<&'static str, Refusal> {
    Ok(match format {
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
            return Err(invalid(msg, Some("response_format"), Some("invalid_value")));
        }
    })
}

fn check_speed(req: &Value) -> Result<(), Refusal> {
    let Some(speed) = req.get("speed").filter(|s| !s.is_null()) else {
        return Ok(());
    };
    let s = speed.as_f64().unwrap_or(-1.0);
    if s > 4.0 {
        return Err(invalid(
            format!(
                "Invalid 'speed': decimal above maximum value. Expected a value <= 4, but got {s} instead."
            ),
            Some("speed"),
            Some("decimal_above_max_value"),
        ));
    }
    if s < 0.25 {
        return Err(invalid(
            format!(
                "Invalid 'speed': decimal below minimum value. Expected a value >= 0.25, but got {s} instead."
            ),
            Some("speed"),
            Some("decimal_below_min_value"),
        ));
    }
    Ok(())
}
