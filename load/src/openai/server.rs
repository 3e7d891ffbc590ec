//! HTTP side of the OpenAI emulator: routes, request validation with
//! OpenAI's error texts, recording, holds, latency and injected faults.
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
use super::{AiRejection, Endpoint, OpenAiConfig, RecordedRequest, schema, tutor};
use crate::body::{BodyError, Params};

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

    fn changed(&self) {
        self.observe_tx.send_modify(|v| *v += 1);
    }
}

const MAX_AUDIO: usize = 25 * 1024 * 1024;
const JSON_PARSE_ERROR: &str = "We could not parse the JSON body of your request. (HINT: This likely means you \
    aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid \
    JSON. If you have trouble figuring out how to fix this, please contact us through our help center at \
    help.openai.com.)";
const AUDIO_FORMATS: &str =
    "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']";
const VOICES: &[&str] = &[
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse",
    "marin", "cedar",
];

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/audio/transcriptions", post(transcription))
        .route("/v1/audio/speech", post(speech))
        .route("/v1/models", get(models))
        .fallback(|req: Request| async move {
            let msg = format!("Invalid URL ({} {})", req.method(), req.uri().path());
            api_error(404, &msg, "invalid_request_error", None, None)
        })
        .layer(DefaultBodyLimit::max(32 * 1024 * 1024))
        .with_state(shared)
}

/// Counts the call and checks the API key; `Some` is the 401 to return.
fn arrive(sh: &Shared, ep: Endpoint, headers: &HeaderMap) -> Option<Response> {
    *sh.inner.lock().calls.entry(ep).or_default() += 1;
    sh.changed();
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
            Some(reject(
                sh,
                Some(ep),
                401,
                &msg,
                None,
                Some("invalid_api_key"),
            ))
        }
    }
}

/// Records and returns an OpenAI error (4xx go to `rejected`).
fn reject(
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
    let kind = if status >= 500 {
        "server_error"
    } else {
        "invalid_request_error"
    };
    api_error(status, message, kind, param, code)
}

/// Records the request; returns its index.
fn record(sh: &Shared, rec: RecordedRequest) -> usize {
    let mut st = sh.inner.lock();
    st.requests.push(rec);
    let i = st.requests.len() - 1;
    drop(st);
    sh.changed();
    i
}

/// Fault, hold and latency, in that order. `Err` is a finished response
/// (status faults); `Ok(Some)` a content fault for the handler to apply.
async fn proceed(sh: &Shared, ep: Endpoint) -> Result<Option<AiFault>, Response> {
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
    latency.sleep().await;
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
fn with_openai_headers(mut r: Response, seq: u64) -> Response {
    let h = r.headers_mut();
    h.insert(
        "x-request-id",
        HeaderValue::from_str(&format!("req_{seq:032x}")).expect("ascii"),
    );
    h.insert("openai-processing-ms", HeaderValue::from_static("1"));
    r
}

fn next_seq(sh: &Shared) -> u64 {
    let mut st = sh.inner.lock();
    st.seq += 1;
    st.seq
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// About four characters per token, at least one.
fn estimate_tokens(chars: usize) -> u32 {
    chars.div_ceil(4).max(1) as u32
}

/// A message's text: a string, or the text parts of a content array.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// Chat request validation; `Err((message, param, code))`.
type Invalid = (String, Option<String>, Option<&'static str>);

fn validate_chat(req: &Value, cfg: &OpenAiConfig) -> Result<(), Invalid> {
    let err =
        |m: String, p: Option<&str>, c: Option<&'static str>| Err((m, p.map(str::to_owned), c));
    if req["model"].as_str().is_none_or(str::is_empty) {
        return err("you must provide a model parameter".into(), None, None);
    }
    let Some(messages) = req.get("messages") else {
        return err(
            "Missing required parameter: 'messages'.".into(),
            Some("messages"),
            Some("missing_required_parameter"),
        );
    };
    let Some(messages) = messages.as_array() else {
        return err(
            "Invalid type for 'messages': expected an array of objects.".into(),
            Some("messages"),
            Some("invalid_type"),
        );
    };
    if messages.is_empty() {
        return err(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead."
                .into(),
            Some("messages"),
            Some("empty_array"),
        );
    }
    for (i, m) in messages.iter().enumerate() {
        let Some(role) = m["role"].as_str() else {
            let p = format!("messages[{i}].role");
            return err(
                format!("Missing required parameter: '{p}'."),
                Some(&p),
                Some("missing_required_parameter"),
            );
        };
        if ![
            "system",
            "developer",
            "user",
            "assistant",
            "tool",
            "function",
        ]
        .contains(&role)
        {
            return err(
                format!(
                    "Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', \
                     and 'developer'."
                ),
                Some(&format!("messages[{i}].role")),
                Some("invalid_value"),
            );
        }
        let content = m.get("content").filter(|c| !c.is_null());
        if content.is_none() && role != "assistant" {
            let p = format!("messages[{i}].content");
            return err(
                format!("Missing required parameter: '{p}'."),
                Some(&p),
                Some("missing_required_parameter"),
            );
        }
        if content.is_some_and(|c| !c.is_string() && !c.is_array()) {
            let p = format!("messages[{i}].content");
            return err(
                format!("Invalid type for '{p}': expected one of a string or array of objects."),
                Some(&p),
                Some("invalid_type"),
            );
        }
    }
    if let Some(t) = req.get("temperature").filter(|t| !t.is_null()) {
        let t = t.as_f64().unwrap_or(-1.0);
        if t > 2.0 {
            return err(
                format!(
                    "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got {t} instead."
                ),
                Some("temperature"),
                Some("decimal_above_max_value"),
            );
        }
        if t < 0.0 {
            return err(
                format!(
                    "Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got {t} instead."
                ),
                Some("temperature"),
                Some("decimal_below_min_value"),
            );
        }
    }
    if req["stream"].as_bool() == Some(true) {
        return err(
            "Streaming is not supported by this emulator; send stream=false.".into(),
            Some("stream"),
            None,
        );
    }
    let Some(rf) = req.get("response_format").filter(|r| !r.is_null()) else {
        return Ok(());
    };
    match rf["type"].as_str().unwrap_or("") {
        "text" => Ok(()),
        "json_object" => {
            let mentions_json = messages
                .iter()
                .any(|m| content_text(&m["content"]).to_lowercase().contains("json"));
            if mentions_json {
                Ok(())
            } else {
                err("'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.".into(), Some("messages"), None)
            }
        }
        "json_schema" => {
            if !cfg.json_schema_supported {
                return err("Invalid parameter: 'response_format' of type 'json_schema' is not supported with this \
                    model. Learn more about supported models at the Structured Outputs guide: \
                    https://platform.openai.com/docs/guides/structured-outputs".into(), Some("response_format"), None);
            }
            let Some(js) = rf.get("json_schema").filter(|j| j.is_object()) else {
                return err(
                    "Missing required parameter: 'response_format.json_schema'.".into(),
                    Some("response_format.json_schema"),
                    Some("missing_required_parameter"),
                );
            };
            let Some(name) = js["name"].as_str() else {
                return err(
                    "Missing required parameter: 'response_format.json_schema.name'.".into(),
                    Some("response_format.json_schema.name"),
                    Some("missing_required_parameter"),
                );
            };
            if js["strict"].as_bool() == Some(true) {
                let schema = &js["schema"];
                if let Some(problem) = strict_problem(schema, "()", 0) {
                    return err(
                        format!("Invalid schema for response_format '{name}': {problem}"),
                        Some("response_format"),
                        None,
                    );
                }
            }
            Ok(())
        }
        other => err(
            format!(
                "Invalid value: '{other}'. Supported values are: 'json_object', 'json_schema', and 'text'."
            ),
            Some("response_format.type"),
            Some("invalid_value"),
        ),
    }
}

/// Structured Outputs' strict-mode rules OpenAI enforces on a schema:
/// every object has `additionalProperties: false` and lists every property
/// in `required`.
fn strict_problem(s: &Value, ctx: &str, depth: usize) -> Option<String> {
    if depth > 32 {
        return None;
    }
    let is_object = s["type"] == "object"
        || s["type"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("object")));
    if is_object || s.get("properties").is_some() {
        if s.get("additionalProperties") != Some(&Value::Bool(false)) {
            return Some(format!(
                "In context={ctx}, 'additionalProperties' is required to be supplied and to be false."
            ));
        }
        let props = s["properties"].as_object().cloned().unwrap_or_default();
        let required: Vec<&str> = s["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if let Some(missing) = props.keys().find(|k| !required.contains(&k.as_str())) {
            return Some(format!(
                "In context={ctx}, 'required' is required to be supplied and to be an array including every key in \
                 properties. Missing '{missing}'."
            ));
        }
        for (k, sub) in &props {
            if let Some(p) = strict_problem(sub, &format!("('properties', '{k}')"), depth + 1) {
                return Some(p);
            }
        }
    }
    let items = s
        .get("items")
        .and_then(|items| strict_problem(items, &format!("{ctx}, 'items'"), depth + 1));
    if items.is_some() {
        return items;
    }
    for key in ["anyOf", "oneOf"] {
        for v in s[key].as_array().into_iter().flatten() {
            if let Some(p) = strict_problem(v, ctx, depth + 1) {
                return Some(p);
            }
        }
    }
    for key in ["$defs", "definitions"] {
        for (name, def) in s[key].as_object().into_iter().flatten() {
            if let Some(p) = strict_problem(def, &format!("('{key}', '{name}')"), depth + 1) {
                return Some(p);
            }
        }
    }
    None
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
    let prompt_chars: usize = messages
        .iter()
        .map(|m| content_text(&m["content"]).chars().count())
        .sum();
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
        if structured {
            schema::conform(&v, &schema, &schema)
        } else {
            v
        }
    };
    let last = learner.last().cloned().unwrap_or_default();
    let queued = if fault.is_none() {
        sh.inner.lock().next_content.pop_front()
    } else {
        None
    };
    let mut content = match (&fault, queued) {
        (Some(AiFault::InvalidJson), _) => {
            format!(
                "Ahoj! Tady je moje odpověď: {{\"honzik_response\": \"{}",
                tutor::reply(&system, &last)["honzik_response"]
                    .as_str()
                    .unwrap_or("")
            )
        }
        (Some(AiFault::MissingFields), _) => {
            json!({ "honzik_response": tutor::reply(&system, &last)["honzik_response"] })
                .to_string()
        }
        (_, Some(raw)) => raw,
        _ if tutor::wants_summary(&system) => {
            let text = tutor::summary(&learner);
            if structured {
                shape(json!({ "summary": text })).to_string()
            } else {
                text
            }
        }
        _ => shape(tutor::reply(&system, &last)).to_string(),
    };
    let mut finish = "stop";
    let limit = req["max_completion_tokens"]
        .as_u64()
        .or_else(|| req["max_tokens"].as_u64());
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
        (
            Value::Null,
            json!("I'm sorry, but I can't help with that request."),
        )
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

/// Transcripts for audio nobody registered, picked by a stable hash.
const DEFAULT_TRANSCRIPTS: &[&str] = &[
    "Dobrý den, chtěl bych si procvičit češtinu.",
    "Včera jsem byl v Brno a jedl jsem knedlíky.",
    "Mám rád hokej a české pivo.",
];

async fn transcription(
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
            return reject(
                &sh,
                Some(ep),
                400,
                "Could not parse multipart form",
                None,
                None,
            );
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
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
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
    let format = p
        .str("response_format")
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| "json".into());
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
        let h = file.bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ *b as u64).wrapping_mul(0x100000001b3)
        });
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
        (Some(AiFault::InvalidJson), _) => (
            [(header::CONTENT_TYPE, "application/json")],
            format!("{{\"text\": \"{text}"),
        )
            .into_response(),
        (Some(AiFault::MissingFields), _) => json_body(json!({ "usage": usage })),
        (_, "text") => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{text}\n"),
        )
            .into_response(),
        (_, "srt") => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("1\n00:00:00,000 --> {}\n{text}\n\n", timestamp(secs, ',')),
        )
            .into_response(),
        (_, "vtt") => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!(
                "WEBVTT\n\n00:00:00.000 --> {}\n{text}\n\n",
                timestamp(secs, '.')
            ),
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

async fn speech(State(sh): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
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
                VOICES
                    .iter()
                    .map(|v| format!("'{v}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
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
        Some(AiFault::InvalidJson) => (
            [(header::CONTENT_TYPE, "application/json")],
            "{\"status\":\"ok\"}",
        )
            .into_response(),
        Some(AiFault::MissingFields) => {
            ([(header::CONTENT_TYPE, ctype)], Bytes::new()).into_response()
        }
        _ => (
            [(header::CONTENT_TYPE, ctype)],
            Bytes::from_static(sample.bytes),
        )
            .into_response(),
    };
    with_openai_headers(resp, seq)
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
