//! `stream: true` chat answers: server-sent events of `chat.completion.chunk` objects, the
//! content in small pieces in the order it is written (for a structured reply, the key order
//! of the request's schema), the request's latency spread evenly over the pieces, a last
//! chunk with the finish reason, the usage in a chunk of its own when
//! `stream_options.include_usage` asks for it (OpenAI's shape only: a minimal server reports
//! none), then `data: [DONE]`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::state::Shared;
use super::steps::{answered, now_unix};
use super::types::{Endpoint, Shapes};

/// Characters of content per chunk (about a token or four).
const PIECE_CHARS: usize = 16;

/// What the stream says.
pub(super) struct Streamed {
    pub seq: u64,
    pub model: String,
    /// The text, or null for a refusal.
    pub content: Value,
    pub refusal: Value,
    pub finish: &'static str,
    /// `(prompt, completion)` tokens, sent when asked for.
    pub usage: Option<(u32, u32)>,
}

/// The events of a stream, each a `data:` payload.
fn events(sh: &Shared, s: &Streamed) -> Vec<String> {
    let openai = sh.cfg.shapes == Shapes::OpenAi;
    let with_usage = openai && s.usage.is_some();
    let chunk = |delta: Value, finish: Value| {
        let mut c = json!({ "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }] });
        if openai {
            c["id"] = json!(format!("chatcmpl-emu{:021}", s.seq));
            c["object"] = json!("chat.completion.chunk");
            c["created"] = json!(now_unix());
            c["model"] = json!(s.model);
            c["system_fingerprint"] = json!("fp_emulator");
            c["choices"][0]["logprobs"] = Value::Null;
        }
        if with_usage {
            c["usage"] = Value::Null;
        }
        c.to_string()
    };
    let mut out = vec![chunk(json!({ "role": "assistant", "content": "" }), Value::Null)];
    match s.content.as_str() {
        Some(text) => {
            let chars: Vec<char> = text.chars().collect();
            for piece in chars.chunks(PIECE_CHARS) {
                let piece: String = piece.iter().collect();
                out.push(chunk(json!({ "content": piece }), Value::Null));
            }
        }
        None => out.push(chunk(json!({ "refusal": s.refusal }), Value::Null)),
    }
    out.push(chunk(json!({}), json!(s.finish)));
    if let (true, Some((prompt, completion))) = (with_usage, s.usage) {
        let mut last = json!({
            "choices": [],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        });
        last["id"] = json!(format!("chatcmpl-emu{:021}", s.seq));
        last["object"] = json!("chat.completion.chunk");
        out.push(last.to_string());
    }
    out
}

/// The stream's response: `events` (or one event with a queued raw body), `latency` spread over
/// them, the request (`index`) marked answered after the last one.
pub(super) fn respond(
    sh: Arc<Shared>,
    index: usize,
    latency: Duration,
    what: Result<Streamed, String>,
) -> Response {
    let events: VecDeque<String> = match what {
        Ok(s) => events(&sh, &s).into(),
        Err(raw) => VecDeque::from([raw]),
    };
    let pause = latency / events.len().max(1) as u32;
    let state = (events, sh, false);
    let body = futures_util::stream::unfold(state, move |(mut events, sh, done)| async move {
        if done {
            return None;
        }
        let Some(event) = events.pop_front() else {
            answered(&sh, Endpoint::Chat, index);
            let end = bytes::Bytes::from_static(b"data: [DONE]\n\n");
            return Some((Ok::<_, std::convert::Infallible>(end), (events, sh, true)));
        };
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        // One `data:` field per line (a queued raw body may span lines), then the blank line.
        let lines: String = event.lines().map(|l| format!("data: {l}\n")).collect();
        let frame = bytes::Bytes::from(format!("{lines}\n"));
        Some((Ok(frame), (events, sh, false)))
    });
    (
        [(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")],
        Body::from_stream(body),
    )
        .into_response()
}
