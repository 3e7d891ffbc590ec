//! `POST /v1/audio/speech`: Honzík's voice. Validates its input like OpenAI and returns one of
//! the real Ogg Opus samples.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::Value;

use super::audio::{Refusal, invalid, refuse};
use super::faults::AiFault;
use super::state::Shared;
use super::steps::{JSON_PARSE_ERROR, arrive, next_seq, proceed, record, with_openai_headers};
use super::tutor;
use super::types::{Endpoint, RecordedRequest};

const VOICES: &[&str] = &[
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse",
    "marin", "cedar",
];

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
