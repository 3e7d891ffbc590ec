//! A reply streamed as server-sent events, so Honzík's words can be voiced before the rest of
//! the answer (corrections, translation, words, tip) has arrived.
//!
//! The request goes through the same guarded HTTP service as every other (deadline, retries,
//! concurrency slot and circuit until the response's headers arrive); a stream that breaks off
//! after that is a failure of this request ([`crate::ai::client::classify`]), and a stream that
//! ends without a finish reason is read as what it is — an answer that may be cut, which the
//! reply contract then judges.
//!
//! The request is the one async-openai's client would send (its URL, query and headers from the
//! chat server's [`Config`]), but the events are read here, inline in the turn's own future:
//! the client reads each stream in a task of its own and hands every event over through a
//! channel, a task and a hop per event the bot does not need.

use std::sync::Arc;

use async_openai::config::{Config, OpenAIConfig};
use async_openai::error::{ApiErrorResponse, OpenAIError, StreamError};
use async_openai::middleware::HttpRequestFactory;
use bytes::Bytes;
use eventsource_stream::{EventStream, EventStreamError};
use futures::StreamExt;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde_json::{Value, json};

use super::early::EarlyWords;
use crate::ai::upstream::{error_body, http::GuardedHttp};
use crate::ai::wire::{ChatChunk, Streamed};

/// The path of a chat completion, under the server's base URL.
const PATH: &str = "/chat/completions";

/// The request body asking for a stream, with the usage in a last chunk (servers that do not
/// report usage leave it out; the bot then counts the tokens itself).
pub(super) fn streaming(body: &mut Value) {
    body["stream"] = Value::Bool(true);
    body["stream_options"] = json!({ "include_usage": true });
}

/// Sends `body` (already [`streaming`]) to the chat server `config` names through `service`, and
/// reads the stream to its end, offering the text so far to `early` each time it grows.
pub(super) async fn read(
    config: &OpenAIConfig,
    service: &GuardedHttp,
    body: &Value,
    early: &EarlyWords,
) -> Result<Streamed, OpenAIError> {
    let response = service.clone().send(request(config, service.http(), body)?).await?;
    let status = response.status();
    if !status.is_success() {
        // The service answers any other status as an error already; should one get through,
        // it is read the same way.
        let body = response.bytes().await?;
        let api_error = error_body::read(&body);
        return Err(OpenAIError::ApiError(ApiErrorResponse { status_code: status, api_error }));
    }
    let bytes = response.bytes_stream().map(|r| r.map_err(std::io::Error::other));
    let mut events = std::pin::pin!(EventStream::new(bytes));
    let mut answer = Streamed::default();
    while let Some(event) = events.next().await {
        let event = event.map_err(broke_off)?;
        if event.data == "[DONE]" {
            break;
        }
        if event.event == "keepalive" {
            continue;
        }
        // Each event straight into our chunk type.
        let chunk = serde_json::from_str::<ChatChunk>(&event.data).map_err(unreadable)?;
        if answer.push(chunk) {
            early.offer(answer.content());
        }
    }
    Ok(answer)
}

/// The request, rebuilt for each attempt: what async-openai's `create_stream_byot` builds (the
/// config's URL, query and headers, then the JSON body).
fn request(
    config: &OpenAIConfig,
    http: &reqwest::Client,
    body: &Value,
) -> Result<HttpRequestFactory, OpenAIError> {
    struct Parts {
        http: reqwest::Client,
        url: String,
        query: Vec<(String, String)>,
        headers: HeaderMap,
        body: Bytes,
    }
    let body = serde_json::to_vec(body)
        .map_err(|e| OpenAIError::InvalidArgument(format!("failed to serialize request: {e}")))?;
    let query = config.query().into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let parts = Arc::new(Parts {
        http: http.clone(),
        url: config.url(PATH),
        query,
        headers: config.headers(),
        body: Bytes::from(body),
    });
    Ok(HttpRequestFactory::new(move || {
        let p = parts.clone();
        async move {
            let request = p
                .http
                .post(p.url.as_str())
                .query(&p.query)
                .headers(p.headers.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(p.body.clone())
                .build()?;
            Ok(request)
        }
    }))
}

/// A chunk that is not one: where it stopped being readable, never what it said (the learner's
/// words and Honzík's answer; serde's message quotes a string of the wrong type, and
/// async-openai's own reading logs the whole event).
fn unreadable(e: serde_json::Error) -> OpenAIError {
    let why = format!("a chunk unreadable ({:?}) at column {}", e.classify(), e.column());
    OpenAIError::JSONDeserialize(serde::de::Error::custom(why), String::new())
}

/// A stream that could not be read on after its headers: async-openai's error for it, without
/// the text the parser stopped at (it would be the answer's).
fn broke_off(e: EventStreamError<std::io::Error>) -> OpenAIError {
    let why = match e {
        EventStreamError::Transport(e) => format!("Transport error: {e}"),
        EventStreamError::Utf8(e) => format!("UTF8 error: {e}"),
        EventStreamError::Parser(_) => "Parse error".to_owned(),
    };
    OpenAIError::StreamError(Box::new(StreamError::EventStream(why)))
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
