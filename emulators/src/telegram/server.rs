//! HTTP side of the Telegram emulator: routes, token check, fault
//! injection, `getUpdates` long polling and file downloads.
//!
//! Routes mirror api.telegram.org: `/bot{token}/{method}` (any HTTP verb,
//! method name case-insensitive) and `/file/bot{token}/{file_path}`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::{Value, json};

use super::error::{ApiErr, bad};
use super::methods;
use super::state::{Shared, drop_unwanted};
use super::types::{Rejection, TgFault};
use crate::body::{BodyError, Params};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{bot}/{method}", any(method_handler))
        .route("/file/{bot}/{*path}", get(file_handler))
        .fallback(|| async { error_response(&not_found()) })
        // Above Telegram's 50 MB upload limit, so that limit is the one hit.
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .with_state(shared)
}

fn not_found() -> ApiErr {
    ApiErr { code: 404, description: "Not Found".into(), retry_after: None }
}

fn ok_response(result: Value) -> Response {
    axum::Json(json!({ "ok": true, "result": result })).into_response()
}

fn error_response(e: &ApiErr) -> Response {
    let mut body = json!({ "ok": false, "error_code": e.code, "description": e.description });
    if let Some(r) = e.retry_after {
        body["parameters"] = json!({ "retry_after": r });
    }
    let status = StatusCode::from_u16(e.code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum::Json(body)).into_response()
}

/// Sends an error to the bot, recording it unless it was injected.
fn reject(sh: &Shared, method: &str, e: ApiErr) -> Response {
    if (400..500).contains(&e.code) {
        sh.inner.lock().rejected.push(Rejection {
            method: method.to_owned(),
            error_code: e.code,
            description: e.description.clone(),
        });
        sh.notify_observers();
    }
    error_response(&e)
}

fn fault_response(fault: TgFault) -> Option<Response> {
    let e = match fault {
        TgFault::TooManyRequests { retry_after } => ApiErr {
            code: 429,
            description: format!("Too Many Requests: retry after {retry_after}"),
            retry_after: Some(retry_after),
        },
        TgFault::ServerError(code) => ApiErr {
            code,
            description: match code {
                502 => "Bad Gateway".into(),
                503 => "Service Unavailable".into(),
                504 => "Gateway Timeout".into(),
                _ => "Internal Server Error".into(),
            },
            retry_after: None,
        },
        TgFault::Api { code, description } => ApiErr { code, description, retry_after: None },
        TgFault::Hang => return None,
    };
    Some(error_response(&e))
}

async fn until_shutdown(sh: &Shared) {
    let mut rx = sh.shutdown_tx.subscribe();
    let _ = rx.wait_for(|s| *s).await;
}

async fn method_handler(
    State(sh): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    req: Request,
) -> Response {
    let Some(token) = bot.strip_prefix("bot") else {
        return error_response(&not_found());
    };
    if token != sh.token {
        return error_response(&ApiErr {
            code: 401,
            description: "Unauthorized".into(),
            retry_after: None,
        });
    }
    let lc = method.to_ascii_lowercase();
    let (fault, latency) = {
        let mut st = sh.inner.lock();
        *st.calls.entry(lc.clone()).or_default() += 1;
        (st.take_fault(&lc), st.cfg.method_latency)
    };
    sh.notify_observers();
    latency.sleep().await;
    if let Some(fault) = fault {
        return match fault_response(fault) {
            Some(r) => r,
            None => {
                until_shutdown(&sh).await;
                error_response(&ApiErr {
                    code: 502,
                    description: "Bad Gateway".into(),
                    retry_after: None,
                })
            }
        };
    }
    let params = match Params::from_request(req).await {
        Ok(p) => p,
        Err(BodyError::TooLarge) => {
            let e = ApiErr {
                code: 413,
                description: "Request Entity Too Large".into(),
                retry_after: None,
            };
            return reject(&sh, &method, e);
        }
        Err(BodyError::Json(e)) | Err(BodyError::Malformed(e)) => {
            tracing::debug!("unreadable {method} body: {e}");
            return reject(&sh, &method, bad("can't parse request body"));
        }
    };
    if lc == "getupdates" {
        return get_updates(&sh, &method, &params).await;
    }
    let result = {
        let mut st = sh.inner.lock();
        methods::dispatch(&mut st, &lc, &params)
    };
    if lc.ends_with("webhook") {
        sh.notify_updates(); // starts or stops webhook delivery
    }
    sh.notify_observers();
    match result {
        Ok(v) => {
            let mut resp = json!({ "ok": true, "result": v });
            match lc.as_str() {
                "setwebhook" => resp["description"] = json!("Webhook was set"),
                "deletewebhook" => resp["description"] = json!("Webhook was deleted"),
                _ => {}
            }
            axum::Json(resp).into_response()
        }
        Err(e) => reject(&sh, &method, e),
    }
}

async fn get_updates(sh: &Shared, method: &str, p: &Params) -> Response {
    let mut rx = sh.updates_tx.subscribe();
    let limit = p.i64("limit").ok().flatten().unwrap_or(100).clamp(1, 100) as usize;
    let timeout = p.i64("timeout").ok().flatten().unwrap_or(0).clamp(0, 50) as u64;
    let generation = match begin_poll(sh, p) {
        Ok(generation) => generation,
        Err(e) => return reject(sh, method, e),
    };
    // Counts the poll until it returns or its client goes away (the future is dropped).
    struct Polling<'a>(&'a Shared);
    impl Drop for Polling<'_> {
        fn drop(&mut self) {
            self.0.inner.lock().long_polls -= 1;
            self.0.notify_observers();
        }
    }
    let _polling = Polling(sh);
    sh.notify_updates(); // terminates an older long poll
    sh.notify_observers();
    rx.borrow_and_update();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    let mut shutdown = sh.shutdown_tx.subscribe();
    loop {
        {
            let mut st = sh.inner.lock();
            if st.poll_generation != generation {
                drop(st);
                let e = conflict(
                    "Conflict: terminated by other getUpdates request; make sure that only one bot \
                     instance is running",
                );
                return reject(sh, method, e);
            }
            // Updates of types the bot did not ask for are dropped, as on Telegram.
            drop_unwanted(&mut st);
            let batch: Vec<Value> = st.queue.iter().take(limit).cloned().collect();
            if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
                return ok_response(Value::Array(batch));
            }
        }
        tokio::select! {
            _ = rx.changed() => {}
            _ = tokio::time::sleep_until(deadline) => {}
            _ = shutdown.wait_for(|s| *s) => return ok_response(json!([])),
        }
    }
}

fn conflict(description: &str) -> ApiErr {
    ApiErr { code: 409, description: description.into(), retry_after: None }
}

/// Starts a long poll: refused while a webhook is set; otherwise applies `allowed_updates` and
/// `offset` (confirming or dropping updates) and returns the poll's generation (a newer poll
/// ends this one).
fn begin_poll(sh: &Shared, p: &Params) -> Result<u64, ApiErr> {
    let mut st = sh.inner.lock();
    if st.webhook_url.is_some() {
        return Err(conflict(
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook \
             to delete the webhook first",
        ));
    }
    if let Ok(Some(list)) = p.json("allowed_updates") {
        let list: Vec<String> = list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        st.allowed_updates = (!list.is_empty()).then_some(list);
    }
    match p.i64("offset").ok().flatten() {
        Some(off) if off > 0 => {
            st.queue.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= off);
            st.confirmed_offset = st.confirmed_offset.max(off);
        }
        Some(off) if off < 0 => {
            let keep = off.unsigned_abs() as usize;
            while st.queue.len() > keep {
                st.queue.pop_front();
            }
        }
        _ => {}
    }
    st.poll_generation += 1;
    st.long_polls += 1;
    Ok(st.poll_generation)
}

async fn file_handler(
    State(sh): State<Arc<Shared>>,
    Path((bot, path)): Path<(String, String)>,
) -> Response {
    if bot.strip_prefix("bot") != Some(sh.token.as_str()) {
        return error_response(&ApiErr {
            code: 401,
            description: "Unauthorized".into(),
            retry_after: None,
        });
    }
    let (bytes, delay) = {
        let st = sh.inner.lock();
        let file = st.paths.get(&path).and_then(|id| st.files.get(id));
        (file.map(|f| f.bytes.clone()), st.cfg.download_delay)
    };
    let Some(bytes) = bytes else {
        return error_response(&not_found());
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    sh.inner.lock().downloads += 1;
    sh.notify_observers();
    ([(header::CONTENT_TYPE, "application/octet-stream")], bytes.as_ref().clone()).into_response()
}
