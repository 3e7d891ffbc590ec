//! Failures the OpenAI emulator can be told to produce, OpenAI's error
//! bodies, and holds (requests parked until a test lets them go).
//!
//! Error bodies copy OpenAI's: `{"error":{"message","type","param","code"}}`
//! with the same status codes and, for 429, the `retry-after` and
//! `x-ratelimit-*` headers, so the bot's retry and backoff logic sees what it
//! would see in production.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An injected failure for the next requests of one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AiFault {
    /// That HTTP status with OpenAI's body for it (400, 401, 403, 404, 429,
    /// 500, 502, 503, …).
    Status(u16),
    /// 429 "Rate limit reached" with a `retry-after` header.
    RateLimited { retry_after_secs: u32 },
    /// The request is never answered within 120 s (it is answered 504 after
    /// 150 s, or dropped with the emulator): exercises client timeouts.
    Timeout,
    /// 200, but the content is not JSON (chat: prose instead of the JSON
    /// object; transcription: a broken JSON body; speech: a JSON text
    /// instead of audio).
    InvalidJson,
    /// 200, valid JSON, but required fields are missing (chat: only
    /// `honzik_response`; transcription: no `text`).
    MissingFields,
    /// Chat only: `content: null` with a `refusal` message.
    Refusal,
    /// Chat only: `finish_reason: "length"` with the content cut mid-JSON.
    Truncated,
}

pub(crate) fn error_json(
    message: &str,
    kind: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Value {
    json!({ "error": { "message": message, "type": kind, "param": param, "code": code } })
}

/// A 4xx/5xx with OpenAI's error body.
pub(crate) fn api_error(
    status: u16,
    message: &str,
    kind: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum::Json(error_json(message, kind, param, code))).into_response()
}

pub(crate) fn rate_limited(retry_after_secs: u32) -> Response {
    let msg = format!(
        "Rate limit reached for gpt-4o-mini in organization org-emulator on requests per min (RPM): Limit 500, \
         Used 500, Requested 1. Please try again in {retry_after_secs}s. Visit \
         https://platform.openai.com/account/rate-limits to learn more."
    );
    let mut r = api_error(429, &msg, "requests", Some("requests"), Some("rate_limit_exceeded"));
    let h = r.headers_mut();
    h.insert("retry-after", HeaderValue::from(retry_after_secs));
    h.insert("x-ratelimit-limit-requests", HeaderValue::from_static("500"));
    h.insert("x-ratelimit-remaining-requests", HeaderValue::from_static("0"));
    h.insert(
        "x-ratelimit-reset-requests",
        HeaderValue::from_str(&format!("{retry_after_secs}s")).expect("ascii"),
    );
    r
}

/// OpenAI's body for a bare status code.
pub(crate) fn status_response(status: u16) -> Response {
    match status {
        400 => {
            api_error(400, "Invalid request (injected fault).", "invalid_request_error", None, None)
        }
        401 => api_error(
            401,
            "Incorrect API key provided: sk-emul***. You can find your API key at \
             https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            None,
            Some("invalid_api_key"),
        ),
        403 => api_error(
            403,
            "Country, region, or territory not supported",
            "request_forbidden",
            None,
            Some("unsupported_country_region_territory"),
        ),
        404 => api_error(
            404,
            "The model `gpt-4o-mini` does not exist or you do not have access to it.",
            "invalid_request_error",
            None,
            Some("model_not_found"),
        ),
        429 => api_error(
            429,
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            None,
            Some("insufficient_quota"),
        ),
        502 => api_error(502, "Bad gateway.", "cf_bad_gateway", None, None),
        503 => api_error(
            503,
            "The engine is currently overloaded, please try again later.",
            "server_error",
            None,
            None,
        ),
        504 => api_error(504, "Gateway timeout.", "cf_gateway_timeout", None, None),
        s if s >= 500 => api_error(
            s,
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            None,
            None,
        ),
        s => api_error(s, "Injected error.", "invalid_request_error", None, None),
    }
}
