//! `POST /v1/audio/transcriptions`: the learner's voice notes.
//!
//! Checks what OpenAI checks (file name extension, a real audio container, minimum length,
//! ISO-639-1 language, response formats per model, word timestamps only with `verbose_json`) and
//! answers with the registered transcript: verbatim (the learner's mistakes kept) when the
//! request carries a `prompt`, "repaired" otherwise — the difference a verbatim prompt makes is
//! tested, not assumed. In the minimal shapes `verbose_json` is refused, as by a server that does
//! not offer it, in FastAPI's error shape.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::faults::AiFault;
use super::state::{Heard, Shared};
use super::steps::{arrive, next_seq, proceed, record, reject, unsupported, with_openai_headers};
use super::transcript::{self, Audio};
use super::types::{Endpoint, RecordedRequest, Shapes};
use crate::body::{BodyError, Params, UploadedFile};

const MAX_AUDIO: usize = 25 * 1024 * 1024;
const AUDIO_FORMATS: &str =
    "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']";

/// Transcripts for audio nobody registered, picked by a stable hash: (verbatim, repaired).
const DEFAULT_TRANSCRIPTS: &[(&str, &str)] = &[
    ("Dobrý den, chtěl bych si procvičit češtinu.", "Dobrý den, chtěl bych si procvičit češtinu."),
    ("Včera jsem byl v Brno a jedl jsem knedlíky.", "Včera jsem byl v Brně a jedl jsem knedlíky."),
    ("Mám rád hokej a české pivo.", "Mám rád hokej a české pivo."),
];

/// A request OpenAI refuses: the status, the message, and the `param` and `code` it names.
pub(super) struct Refusal {
    pub status: u16,
    pub message: String,
    pub param: Option<&'static str>,
    pub code: Option<&'static str>,
}

/// A 400 refusal.
pub(super) fn invalid(
    message: impl Into<String>,
    param: Option<&'static str>,
    code: Option<&'static str>,
) -> Refusal {
    Refusal { status: 400, message: message.into(), param, code }
}

pub(super) fn refuse(sh: &Shared, ep: Endpoint, r: Refusal) -> Response {
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
    if sh.cfg.shapes == Shapes::Minimal && up.format == "verbose_json" {
        let detail = json!({ "detail": [{ "type": "enum", "loc": ["body", "response_format"],
            "msg": "Input should be 'json' or 'text'", "input": "verbose_json" }] });
        return unsupported(&sh, ep, 422, detail);
    }
    let heard = transcript(&sh, &up.file.bytes);
    let verbatim = p.str("prompt").is_some_and(|prompt| !prompt.trim().is_empty());
    let text = if verbatim { heard.verbatim } else { heard.repaired };
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
    let replaced = sh.inner.lock().next_body.get_mut(&ep).and_then(|q| q.pop_front());
    let resp = match replaced.filter(|_| fault.is_none()) {
        Some(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        None => transcription_response(fault, &up, &text, sh.cfg.shapes),
    };
    with_openai_headers(resp, seq)
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
    /// `timestamp_granularities[]` includes `word`.
    words: bool,
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
        let granularities = p.fields.get("timestamp_granularities[]").map(|g| match g {
            Value::Array(a) => a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            other => other.as_str().map(str::to_owned).into_iter().collect::<Vec<_>>(),
        });
        if granularities.is_some() && format != "verbose_json" {
            let msg =
                "timestamp_granularities is only supported with response_format verbose_json.";
            return Err(invalid(msg, Some("timestamp_granularities"), Some("invalid_value")));
        }
        let words = granularities.is_some_and(|g| g.iter().any(|g| g == "word"));
        Ok(Upload { file, name, model, format, secs, token_model, words })
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
fn transcript(sh: &Shared, bytes: &[u8]) -> Heard {
    let registered = sh.inner.lock().transcripts.get(bytes).cloned();
    registered.unwrap_or_else(|| {
        let h = bytes
            .iter()
            .fold(0xcbf29ce484222325u64, |h, b| (h ^ *b as u64).wrapping_mul(0x100000001b3));
        let (verbatim, repaired) =
            DEFAULT_TRANSCRIPTS[(h % DEFAULT_TRANSCRIPTS.len() as u64) as usize];
        Heard { verbatim: verbatim.to_owned(), repaired: repaired.to_owned() }
    })
}

/// The transcript in the requested format and shapes (or broken by a content fault).
fn transcription_response(
    fault: Option<AiFault>,
    up: &Upload,
    text: &str,
    shapes: Shapes,
) -> Response {
    let secs = up.secs.unwrap_or(1.0);
    let audio = Audio { secs: up.secs, token_model: up.token_model };
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
        (Some(AiFault::MissingFields), _) => {
            let mut body = transcript::json_body(text, &audio, shapes);
            body.as_object_mut().expect("an object").remove("text");
            json_body(body)
        }
        (_, "text") => plain(format!("{text}\n")),
        (_, "srt") => plain(format!("1\n00:00:00,000 --> {}\n{text}\n\n", timestamp(secs, ','))),
        (_, "vtt") => {
            plain(format!("WEBVTT\n\n00:00:00.000 --> {}\n{text}\n\n", timestamp(secs, '.')))
        }
        (_, "verbose_json") => json_body(transcript::verbose_body(text, &audio, up.words)),
        _ => json_body(transcript::json_body(text, &audio, shapes)),
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
