//! The steps every endpoint handler shares: arrive (count, outage, API key) → validate (a
//! [`reject`] on what OpenAI refuses) → [`record`] → [`proceed`] (fault, hold, latency) → answer
//! ([`with_openai_headers`]).

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

use super::faults::{AiFault, api_error, rate_limited, status_response};
use super::state::Shared;
use super::types::{AiRejection, Endpoint, Event, Moment, RecordedRequest};

pub(super) const JSON_PARSE_ERROR: &str = "We could not parse the JSON body of your request. (HINT: This likely means you \
    aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid \
    JSON. If you have trouble figuring out how to fix this, please contact us through our help center at \
    help.openai.com.)";

/// Counts the call, refuses it during an outage and checks the API key; `Some` is the 503 or
/// 401 to return.
pub(super) fn arrive(sh: &Shared, ep: Endpoint, headers: &HeaderMap) -> Option<Response> {
    let outage = {
        let mut st = sh.inner.lock();
        *st.calls.entry(ep).or_default() += 1;
        let outage = st.outage;
        if outage.is_some() {
            *st.outage_refused.entry(ep).or_default() += 1;
        }
        outage
    };
    sh.changed();
    if let Some(status) = outage {
        // Before validation, recording and queued faults: the service is not there.
        return Some(status_response(status));
    }
    let key = sh.cfg.api_key.as_ref()?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(g) if g == key => None,
        None => Some(reject(
            sh,
            Some(ep),
            401,
            "You didn't provide an API key. You need to provide your API key in an \
            Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field \
            (with blank username) if you're accessing the API from your browser and are prompted for a username. You \
            can obtain an API key from https://platform.openai.com/account/api-keys.",
            None,
            None,
        )),
        Some(g) => {
            let shown: String = g.chars().take(6).collect();
            let msg = format!(
                "Incorrect API key provided: {shown}***. You can find your API key at \
                 https://platform.openai.com/account/api-keys."
            );
            Some(reject(sh, Some(ep), 401, &msg, None, Some("invalid_api_key")))
        }
    }
}

/// Records and returns an OpenAI error (4xx go to `rejected`).
pub(super) fn reject(
    sh: &Shared,
    ep: Option<Endpoint>,
    status: u16,
    message: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Response {
    sh.inner.lock().rejected.push(AiRejection {
        endpoint: ep,
        status,
        message: message.to_owned(),
    });
    sh.changed();
    let kind = if status >= 500 { "server_error" } else { "invalid_request_error" };
    api_error(status, message, kind, param, code)
}

/// A refusal of what the configured server does not offer (`verbose_json`, `json_schema`,
/// `json_object`), with that server's error body as it is: recorded in `unsupported`, not in
/// `rejected` — such a server answers this to every client, and the bot is expected to step down.
/// Nor does it count in `calls`: it is the client learning once what the server offers, and a
/// test counting the requests a turn paid for runs unchanged against either shapes.
pub(super) fn unsupported(
    sh: &Shared,
    ep: Endpoint,
    status: u16,
    body: serde_json::Value,
) -> Response {
    {
        let mut st = sh.inner.lock();
        if let Some(n) = st.calls.get_mut(&ep) {
            *n = n.saturating_sub(1);
        }
        st.unsupported.push(AiRejection { endpoint: Some(ep), status, message: body.to_string() });
    }
    sh.changed();
    let status =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_REQUEST);
    axum::response::IntoResponse::into_response((status, axum::Json(body)))
}

/// Records the request; returns its index.
pub(super) fn record(sh: &Shared, rec: RecordedRequest) -> usize {
    let mut st = sh.inner.lock();
    let endpoint = rec.endpoint;
    st.requests.push(rec);
    let i = st.requests.len() - 1;
    st.timeline.push(Event { endpoint, request: i, moment: Moment::Arrived });
    drop(st);
    sh.changed();
    i
}

/// Fault, hold and latency, in that order. `Err` is a finished response
/// (status faults); `Ok(Some)` a content fault for the handler to apply.
pub(super) async fn proceed(sh: &Shared, ep: Endpoint) -> Result<Option<AiFault>, Response> {
    proceed_then(sh, ep, false).await.map(|(fault, _)| fault)
}

/// Records that request `index` of `ep` has been answered to its last byte.
pub(super) fn answered(sh: &Shared, ep: Endpoint, index: usize) {
    sh.inner.lock().timeline.push(Event { endpoint: ep, request: index, moment: Moment::Answered });
    sh.changed();
}

/// [`proceed`], but a successful request's latency is returned rather than slept (`spread`): a
/// stream spreads it over its chunks. A failing one still waits it out first.
pub(super) async fn proceed_then(
    sh: &Shared,
    ep: Endpoint,
    spread: bool,
) -> Result<(Option<AiFault>, Duration), Response> {
    let fault = {
        let mut st = sh.inner.lock();
        let q = st.faults.get_mut(&ep);
        q.and_then(|q| q.pop_front())
    };
    let mut shutdown = sh.shutdown_tx.subscribe();
    let mut holds = sh.holds_tx.subscribe();
    if holds.borrow().get(&ep).copied().unwrap_or(0) > 0 {
        *sh.inner.lock().waiting.entry(ep).or_default() += 1;
        sh.changed();
        tokio::select! {
            _ = holds.wait_for(|h| h.get(&ep).copied().unwrap_or(0) == 0) => {}
            _ = shutdown.wait_for(|s| *s) => {}
        }
        *sh.inner.lock().waiting.entry(ep).or_default() -= 1;
        sh.changed();
    }
    let latency = match ep {
        Endpoint::Chat => sh.cfg.latency.chat,
        Endpoint::Transcription => sh.cfg.latency.transcription,
        Endpoint::Speech => sh.cfg.latency.speech,
    };
    let delay = latency.sample();
    {
        let mut st = sh.inner.lock();
        let e = st.injected_latency.entry(ep).or_default();
        e.0 += 1;
        e.1 += delay;
    }
    let fails =
        matches!(fault, Some(AiFault::Status(_) | AiFault::RateLimited { .. } | AiFault::Timeout));
    let later = if spread && !fails { delay } else { Duration::ZERO };
    if !(delay - later).is_zero() {
        tokio::time::sleep(delay - later).await;
    }
    match fault {
        Some(AiFault::Status(s)) => Err(status_response(s)),
        Some(AiFault::RateLimited { retry_after_secs }) => Err(rate_limited(retry_after_secs)),
        Some(AiFault::Timeout) => {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(150)) => {}
                _ = shutdown.wait_for(|s| *s) => {}
            }
            Err(status_response(504))
        }
        other => Ok((other, later)),
    }
}

/// Adds the headers OpenAI puts on every answer.
pub(super) fn with_openai_headers(mut r: Response, seq: u64) -> Response {
    let h = r.headers_mut();
    h.insert("x-request-id", HeaderValue::from_str(&format!("req_{seq:032x}")).expect("ascii"));
    h.insert("openai-processing-ms", HeaderValue::from_static("1"));
    r
}

pub(super) fn next_seq(sh: &Shared) -> u64 {
    let mut st = sh.inner.lock();
    st.seq += 1;
    st.seq
}

pub(super) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// About four characters per token, at least one.
pub(super) fn estimate_tokens(chars: usize) -> u32 {
    chars.div_ceil(4).max(1) as u32
}
