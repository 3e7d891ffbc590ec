//! `POST /v1/chat/completions`: Honzík's replies (see `tutor`), shaped to the caller's JSON schema,
//! with the content faults (invalid JSON, missing fields, truncation, refusal) applied.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use super::faults::AiFault;
use super::state::Shared;
use super::steps::{
    JSON_PARSE_ERROR, arrive, estimate_tokens, next_seq, now_unix, proceed, record, reject,
    with_openai_headers,
};
use super::types::{Endpoint, RecordedRequest};
use super::validate::{content_text, validate_chat};
use super::{schema, tutor};

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
