//! HTTP side of the OpenAI emulator: routes, the steps every endpoint
//! shares (API key, recording, holds, latency, injected faults), and the
//! chat-completions handler. Audio endpoints are in `audio`, chat request
//! validation in `validate`.
//!
//! Each endpoint handler is: validate (400 on what OpenAI refuses) →
//! record → `proceed` (fault, hold, latency) → answer.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::faults::{AiFault, api_error, rate_limited, status_response};
use super::validate::{content_text, validate_chat};
use super::{AiRejection, Endpoint, OpenAiConfig, RecordedRequest, audio, schema, tutor};

pub(crate) struct Shared {
    pub cfg: OpenAiConfig,
    pub inner: Mutex<Inner>,
    /// Number of live holds per endpoint.
    pub holds_tx: watch::Sender<HashMap<Endpoint, usize>>,
    pub shutdown_tx: watch::Sender<bool>,
    pub observe_tx: watch::Sender<u64>,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub transcripts: HashMap<Vec<u8>, String>,
    pub faults: HashMap<Endpoint, VecDeque<AiFault>>,
    pub next_content: VecDeque<String>,
    pub requests: Vec<RecordedRequest>,
    pub calls: HashMap<Endpoint, usize>,
    pub waiting: HashMap<Endpoint, usize>,
    pub rejected: Vec<AiRejection>,
    /// Emulated latency actually slept, per endpoint: (requests, total).
    pub injected_latency: HashMap<Endpoint, (u64, Duration)>,
    /// While set, every request fails with this status (a full outage), see
    /// [`super::OpenAiEmulator::set_outage`].
    pub outage: Option<u16>,
    /// Requests refused by the outage, per endpoint.
    pub outage_refused: HashMap<Endpoint, usize>,
    /// Requests being served right now, per endpoint (from arrival until the handler returns or
    /// the client goes away).
    pub in_flight: HashMap<Endpoint, usize>,
    seq: u64,
}

impl Shared {
    pub fn new(cfg: OpenAiConfig) -> Arc<Self> {
        Arc::new(Self {
            cfg,
            inner: Mutex::new(Inner::default()),
            holds_tx: watch::channel(HashMap::new()).0,
            shutdown_tx: watch::channel(false).0,
            observe_tx: watch::channel(0).0,
        })
    }

    pub(crate) fn changed(&self) {
        self.observe_tx.send_modify(|v| *v += 1);
    }
}

pub(super) const JSON_PARSE_ERROR: &str = "We could not parse the JSON body of your request. (HINT: This likely means you \
    aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid \
    JSON. If you have trouble figuring out how to fix this, please contact us through our help center at \
    help.openai.com.)";

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/audio/transcriptions", post(audio::transcription))
        .route("/v1/audio/speech", post(audio::speech))
        .route("/v1/models", get(models))
        .fallback(|req: Request| async move {
            let msg = format!("Invalid URL ({} {})", req.method(), req.uri().path());
            api_error(404, &msg, "invalid_request_error", None, None)
        })
        .layer(axum::middleware::from_fn_with_state(shared.clone(), in_flight))
        .layer(DefaultBodyLimit::max(32 * 1024 * 1024))
        .with_state(shared)
}

/// Counts each endpoint's requests under way (see `Inner::in_flight`).
async fn in_flight(
    State(sh): State<Arc<Shared>>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let ep = match req.uri().path() {
        "/v1/chat/completions" => Some(Endpoint::Chat),
        "/v1/audio/transcriptions" => Some(Endpoint::Transcription),
        "/v1/audio/speech" => Some(Endpoint::Speech),
        _ => None,
    };
    let _serving = ep.map(|ep| {
        *sh.inner.lock().in_flight.entry(ep).or_default() += 1;
        Serving(sh.clone(), ep)
    });
    next.run(req).await
}

/// Decrements the endpoint's in-flight count when the request ends, however it ends.
struct Serving(Arc<Shared>, Endpoint);

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(n) = self.0.inner.lock().in_flight.get_mut(&self.1) {
            *n = n.saturating_sub(1);
        }
    }
}

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

/// Records the request; returns its index.
pub(super) fn record(sh: &Shared, rec: RecordedRequest) -> usize {
    let mut st = sh.inner.lock();
    st.requests.push(rec);
    let i = st.requests.len() - 1;
    drop(st);
    sh.changed();
    i
}

/// Fault, hold and latency, in that order. `Err` is a finished response
/// (status faults); `Ok(Some)` a content fault for the handler to apply.
pub(super) async fn proceed(sh: &Shared, ep: Endpoint) -> Result<Option<AiFault>, Response> {
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
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
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
        other => Ok(other),
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

async fn chat(State(sh): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let ep = Endpoint::Chat;
    if let Some(r) = arrive(&sh, ep, &headers) {
        return r;
    }
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return reject(&sh, Some(ep), 400, JSON_PARSE_ERROR, None, None);
    };
    if let Err((msg, param, code)) = validate_chat(&req, &sh.cfg) {
        return reject(&sh, Some(ep), 400, &msg, param.as_deref(), code);
    }
    let messages = req["messages"].as_array().cloned().unwrap_or_default();
    let text_of = |roles: &[&str]| -> Vec<String> {
        messages
            .iter()
            .filter(|m| roles.contains(&m["role"].as_str().unwrap_or("")))
            .map(|m| content_text(&m["content"]))
            .collect()
    };
    let system = text_of(&["system", "developer"]).join("\n");
    let learner = text_of(&["user"]);
    let prompt_chars: usize =
        messages.iter().map(|m| content_text(&m["content"]).chars().count()).sum();
    let model = req["model"].as_str().unwrap_or_default().to_owned();
    let idx = record(
        &sh,
        RecordedRequest {
            endpoint: ep,
            model: model.clone(),
            body: req.clone(),
            prompt_tokens: estimate_tokens(prompt_chars),
            completion_tokens: 0,
            audio_secs: None,
        },
    );
    let fault = match proceed(&sh, ep).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let schema = req["response_format"]["json_schema"]["schema"].clone();
    let structured = req["response_format"]["type"] == "json_schema" && schema.is_object();
    let shape = |v: Value| {
        if structured { schema::conform(&v, &schema, &schema) } else { v }
    };
    let last = learner.last().cloned().unwrap_or_default();
    let queued = if fault.is_none() { sh.inner.lock().next_content.pop_front() } else { None };
    let mut content = match (&fault, queued) {
        (Some(AiFault::InvalidJson), _) => {
            format!(
                "Ahoj! Tady je moje odpověď: {{\"honzik_response\": \"{}",
                tutor::reply(&system, &last)["honzik_response"].as_str().unwrap_or("")
            )
        }
        (Some(AiFault::MissingFields), _) => {
            json!({ "honzik_response": tutor::reply(&system, &last)["honzik_response"] })
                .to_string()
        }
        (_, Some(raw)) => raw,
        _ if tutor::wants_summary(&system) => {
            let text = tutor::summary(&learner);
            if structured { shape(json!({ "summary": text })).to_string() } else { text }
        }
        _ => {
            let mut reply = tutor::reply(&system, &last);
            if let Some(range) = sh.cfg.reply_words {
                reply["honzik_response"] = json!(tutor::to_word_count(
                    reply["honzik_response"].as_str().unwrap_or(""),
                    &last,
                    range
                ));
            }
            shape(reply).to_string()
        }
    };
    let mut finish = "stop";
    let limit = req["max_completion_tokens"].as_u64().or_else(|| req["max_tokens"].as_u64());
    if let Some(limit) = limit.filter(|l| estimate_tokens(content.chars().count()) as u64 > *l) {
        content = content.chars().take(limit as usize * 4).collect();
        finish = "length";
    }
    if fault == Some(AiFault::Truncated) {
        let half = content.chars().count() / 2;
        content = content.chars().take(half).collect();
        finish = "length";
    }
    let completion_tokens = estimate_tokens(content.chars().count());
    let prompt_tokens = {
        let mut st = sh.inner.lock();
        st.requests[idx].completion_tokens = completion_tokens;
        st.requests[idx].prompt_tokens
    };
    sh.changed();
    let (content, refusal) = if fault == Some(AiFault::Refusal) {
        (Value::Null, json!("I'm sorry, but I can't help with that request."))
    } else {
        (json!(content), Value::Null)
    };
    let seq = next_seq(&sh);
    let resp = json!({
        "id": format!("chatcmpl-emu{seq:021}"),
        "object": "chat.completion",
        "created": now_unix(),
        "model": model,
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content, "refusal": refusal, "annotations": [] },
            "logprobs": null,
            "finish_reason": finish,
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": { "cached_tokens": 0, "audio_tokens": 0 },
            "completion_tokens_details": {
                "reasoning_tokens": 0, "audio_tokens": 0,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_emulator",
    });
    with_openai_headers(axum::Json(resp).into_response(), seq)
}

async fn models() -> Response {
    let data: Vec<Value> = [
        "gpt-4o-mini",
        "gpt-4o",
        "whisper-1",
        "gpt-4o-mini-transcribe",
        "gpt-4o-transcribe",
        "tts-1",
        "gpt-4o-mini-tts",
    ]
    .iter()
    .map(
        |id| json!({ "id": id, "object": "model", "created": 1_700_000_000, "owned_by": "system" }),
    )
    .collect();
    axum::Json(json!({ "object": "list", "data": data })).into_response()
}
