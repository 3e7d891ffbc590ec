//! HTTP side of the OpenAI emulator: the routes, and the count of requests under way. The
//! handlers are in `chat` and `audio`; the steps they share in `steps`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::faults::api_error;
use super::state::Shared;
use super::types::Endpoint;
use super::{audio, chat, speech};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat::chat))
        .route("/v1/audio/transcriptions", post(audio::transcription))
        .route("/v1/audio/speech", post(speech::speech))
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
