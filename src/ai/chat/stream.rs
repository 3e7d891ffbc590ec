//! A reply streamed as server-sent events, so Honzík's words can be voiced before the rest of
//! the answer (corrections, translation, words, tip) has arrived.
//!
//! The request goes through the same guarded HTTP service as every other (deadline, retries,
//! concurrency slot and circuit until the response's headers arrive); a stream that breaks off
//! after that is a failure of this request ([`crate::ai::client::classify`]), and a stream that
//! ends without a finish reason is read as what it is — an answer that may be cut, which the
//! reply contract then judges.

use async_openai::{Client, config::OpenAIConfig, error::OpenAIError};
use futures::StreamExt;
use serde_json::{Value, json};

use super::early::EarlyWords;
use crate::ai::wire::{ChatChunk, Streamed};

/// The request body asking for a stream, with the usage in a last chunk (servers that do not
/// report usage leave it out; the bot then counts the tokens itself).
pub(super) fn streaming(mut body: Value) -> Value {
    body["stream"] = Value::Bool(true);
    body["stream_options"] = json!({ "include_usage": true });
    body
}

/// Sends `body` (already [`streaming`]) and reads the stream to its end, offering the text so far
/// to `early` each time it grows.
pub(super) async fn read(
    client: &Client<OpenAIConfig>,
    body: Value,
    early: &EarlyWords,
) -> Result<Streamed, OpenAIError> {
    // Each event straight into our chunk type: read as a `Value` first, it was built twice.
    let mut events = client.chat().create_stream_byot::<_, ChatChunk>(body).await?;
    let mut answer = Streamed::default();
    while let Some(chunk) = events.next().await {
        if answer.push(chunk?) {
            early.offer(answer.content());
        }
    }
    Ok(answer)
}
