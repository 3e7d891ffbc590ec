//! `POST /v1/chat/completions`: Honzík's replies (see `tutor`), shaped to the caller's JSON schema,
//! with the content faults (invalid JSON, missing fields, truncation, refusal) applied, in
//! OpenAI's shape or the minimal compatible one (no `usage`, `id`, `created`, `model`,
//! `system_fingerprint` or `service_tier`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use super::faults::AiFault;
use super::state::Shared;
use super::steps::{
    JSON_PARSE_ERROR, answered, arrive, estimate_tokens, next_seq, now_unix, proceed_then, record,
    reject, unsupported, with_openai_headers,
};
use super::types::{Endpoint, RecordedRequest, Shapes};
use super::validate::{content_text, offered, validate_chat};
use super::{placement, schema, stream, tutor};

pub(super) async fn chat(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ep = Endpoint::Chat;
    if let Some(r) = arrive(&sh, ep, &headers) {
        return r;
    }
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return reject(&sh, Some(ep), 400, JSON_PARSE_ERROR, None, None);
    };
    if let Err((msg, param, code)) = validate_chat(&req) {
        return reject(&sh, Some(ep), 400, &msg, param.as_deref(), code);
    }
    if let Err((status, body)) = offered(&req, &sh.cfg) {
        return unsupported(&sh, ep, status, body);
    }
    let streamed = req["stream"].as_bool() == Some(true);
    if streamed && !sh.cfg.streaming_supported {
        let msg = "Streaming is not supported by this server; send stream=false.";
        return reject(&sh, Some(ep), 400, msg, Some("stream"), None);
    }
    let prompt = Prompt::of(&req);
    let model = req["model"].as_str().unwrap_or_default().to_owned();
    let idx = record(
        &sh,
        RecordedRequest {
            endpoint: ep,
            model: model.clone(),
            body: req.clone(),
            prompt_tokens: estimate_tokens(prompt.chars),
            completion_tokens: 0,
            audio_secs: None,
        },
    );
    let (fault, later) = match proceed_then(&sh, ep, streamed).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let content = content(&sh, &req, &prompt, fault.as_ref());
    let (content, finish) = cut(content, &req, fault.as_ref());
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
    let replaced = sh.inner.lock().next_body.get_mut(&ep).and_then(|q| q.pop_front());
    if let Some(body) = replaced.filter(|_| fault.is_none()) {
        if streamed {
            let events = stream::respond(sh.clone(), idx, later, Err(body));
            return with_openai_headers(events, seq);
        }
        answered(&sh, ep, idx);
        let json = [(axum::http::header::CONTENT_TYPE, "application/json")];
        return with_openai_headers((json, body).into_response(), seq);
    }
    if streamed {
        let usage = (req["stream_options"]["include_usage"] == true)
            .then_some((prompt_tokens, completion_tokens));
        let s = stream::Streamed { seq, model, content, refusal, finish, usage };
        return with_openai_headers(stream::respond(sh.clone(), idx, later, Ok(s)), seq);
    }
    answered(&sh, ep, idx);
    let resp = match sh.cfg.shapes {
        Shapes::OpenAi => {
            completion(seq, &model, content, refusal, finish, prompt_tokens, completion_tokens)
        }
        Shapes::Minimal => json!({
            "choices": [{ "message": { "role": "assistant", "content": content }, "finish_reason": finish }],
        }),
    };
    with_openai_headers(axum::Json(resp).into_response(), seq)
}

/// What the tutor reads from a request's messages.
struct Prompt {
    /// System and developer messages, joined.
    system: String,
    /// The learner's (user) messages, oldest first.
    learner: Vec<String>,
    /// Characters over all messages (for the token estimate).
    chars: usize,
}

impl Prompt {
    fn of(req: &Value) -> Prompt {
        let messages = req["messages"].as_array().cloned().unwrap_or_default();
        let text_of = |roles: &[&str]| -> Vec<String> {
            messages
                .iter()
                .filter(|m| roles.contains(&m["role"].as_str().unwrap_or("")))
                .map(|m| content_text(&m["content"]))
                .collect()
        };
        Prompt {
            system: text_of(&["system", "developer"]).join("\n"),
            learner: text_of(&["user"]),
            chars: messages.iter().map(|m| content_text(&m["content"]).chars().count()).sum(),
        }
    }
}

/// The reply's content: a content fault, a queued raw reply, a summary, or Honzík's reply shaped
/// to the caller's JSON schema (and word count, when configured).
fn content(sh: &Shared, req: &Value, prompt: &Prompt, fault: Option<&AiFault>) -> String {
    let schema = req["response_format"]["json_schema"]["schema"].clone();
    let structured = req["response_format"]["type"] == "json_schema" && schema.is_object();
    let shape = |v: Value| {
        if structured { schema::conform(&v, &schema, &schema) } else { v }
    };
    let (system, last) = (&prompt.system, prompt.learner.last().cloned().unwrap_or_default());
    let queued = if fault.is_none() { sh.inner.lock().next_content.pop_front() } else { None };
    match (fault, queued) {
        (Some(AiFault::InvalidJson), _) => {
            format!(
                "Ahoj! Tady je moje odpověď: {{\"honzik_response\": \"{}",
                tutor::reply(system, &last)["honzik_response"].as_str().unwrap_or("")
            )
        }
        (Some(AiFault::MissingFields), _) => {
            json!({ "honzik_response": tutor::reply(system, &last)["honzik_response"] }).to_string()
        }
        (_, Some(raw)) => raw,
        _ if placement::wants_grade(&prompt.learner.join("\n")) => {
            shape(placement::grade(&prompt.learner.join("\n"))).to_string()
        }
        _ if tutor::wants_summary(system) => {
            let text = tutor::summary(&prompt.learner);
            if structured { shape(json!({ "summary": text })).to_string() } else { text }
        }
        _ => {
            let mut reply = tutor::reply(system, &last);
            if let Some(range) = sh.cfg.reply_words {
                reply["honzik_response"] = json!(tutor::to_word_count(
                    reply["honzik_response"].as_str().unwrap_or(""),
                    &last,
                    range
                ));
            }
            shape(reply).to_string()
        }
    }
}

/// The content cut to the request's token limit, or in half by a `Truncated` fault; the finish
/// reason says which (`length`) or that it was not cut (`stop`).
fn cut(mut content: String, req: &Value, fault: Option<&AiFault>) -> (String, &'static str) {
    let mut finish = "stop";
    let limit = req["max_completion_tokens"].as_u64().or_else(|| req["max_tokens"].as_u64());
    if let Some(limit) = limit.filter(|l| estimate_tokens(content.chars().count()) as u64 > *l) {
        content = content.chars().take(limit as usize * 4).collect();
        finish = "length";
    }
    if fault == Some(&AiFault::Truncated) {
        let half = content.chars().count() / 2;
        content = content.chars().take(half).collect();
        finish = "length";
    }
    (content, finish)
}

/// A `chat.completion` object as OpenAI returns it.
fn completion(
    seq: u64,
    model: &str,
    content: Value,
    refusal: Value,
    finish: &str,
    prompt_tokens: u32,
    completion_tokens: u32,
) -> Value {
    json!({
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
    })
}
