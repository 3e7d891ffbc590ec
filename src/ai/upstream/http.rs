//! The HTTP service async-openai executes every request with (installed through
//! `Client::with_http_service`, which replaces the library's own retry layer).
//!
//! Per logical request: one deadline for everything. Per attempt: the circuit's admission, a
//! concurrency slot of the upstream (held until the response headers arrive), a timeout cut to
//! what is left of the deadline, then the retry policy's verdict. The final outcome goes to the
//! circuit breaker. Nothing here logs a body, a header value or the key.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_openai::error::{ApiErrorResponse, OpenAIError};
use async_openai::middleware::HttpRequestFactory;
use reqwest::Response;
use tokio::time::Instant;

use super::retry::{self, Next, Outcome, RetryPolicy};
use super::{Gates, Rejected, Upstream, error_body};

#[derive(Clone)]
pub struct GuardedHttp {
    http: reqwest::Client,
    policy: RetryPolicy,
    gates: Gates,
}

impl GuardedHttp {
    pub fn new(http: reqwest::Client, policy: RetryPolicy, gates: Gates) -> Self {
        GuardedHttp { http, policy, gates }
    }

    /// The HTTP client the attempts go out on (a request may be built with it, too).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// One logical request, as async-openai's client sends it through [`Self::call`]: a success
    /// comes back with its body unread, any other status as the error made of its body.
    ///
    /// [`Self::call`]: tower_service::Service::call
    pub async fn send(self, factory: HttpRequestFactory) -> Result<Response, OpenAIError> {
        let started = Instant::now();
        let deadline = started + self.policy.deadline;
        let mut request = Some(factory.build().await?);
        let upstream = request.as_ref().and_then(|r| Upstream::for_path(r.url().path()));
        let gate = upstream.map(|u| self.gates.gate(u).clone());
        let label = upstream.map_or("other", Upstream::as_str);
        let mut retries = 0;
        loop {
            let refused = |e: Rejected| {
                self.gates.errors.record(metric_label(upstream), rejected_kind(&e));
                boxed(e)
            };
            let ticket = match &gate {
                Some(g) => Some(g.admit(deadline).await.map_err(refused)?),
                None => None,
            };
            let permit = match &gate {
                Some(g) => Some(g.permit(deadline).await.map_err(refused)?),
                None => None,
            };
            let Some(timeout) = self.policy.attempt_timeout(started.elapsed()) else {
                return Err(refused(Rejected::Deadline(label)));
            };
            let mut req = match request.take() {
                Some(r) => r,
                None => factory.build().await?,
            };
            *req.timeout_mut() = Some(timeout);
            let (outcome, retry_after, result) = attempt(&self.http, req).await;
            drop(permit);
            if let Some(kind) = outcome_kind(outcome) {
                self.gates.errors.record(metric_label(upstream), kind);
            }

            let next = match &ticket {
                // The probe's verdict is its one attempt.
                Some(t) if t.is_probe() => Next::GiveUp,
                _ => self.policy.next(
                    outcome,
                    retries,
                    started.elapsed(),
                    retry_after,
                    rand::random::<f64>(),
                ),
            };
            match next {
                Next::Retry(delay) => {
                    tracing::debug!(
                        upstream = label,
                        outcome = outcome.as_str(),
                        retries,
                        delay_ms = delay.as_millis() as u64,
                        "retrying OpenAI request"
                    );
                    drop(ticket);
                    retries += 1;
                    tokio::time::sleep(delay).await;
                }
                Next::GiveUp => {
                    if let Some(t) = ticket {
                        t.finish(outcome.outage_like());
                    }
                    return result;
                }
            }
        }
    }
}

/// One HTTP attempt, classified. An error response's body is read here, whatever its shape
/// ([`error_body`]), so it comes back as the error async-openai makes of OpenAI's own (a 429's
/// body tells a rate limit from an exhausted quota); a body in another shape would otherwise
/// lose its status and read like a broken success.
async fn attempt(
    http: &reqwest::Client,
    req: reqwest::Request,
) -> (Outcome, Option<std::time::Duration>, Result<Response, OpenAIError>) {
    let resp = match http.execute(req).await {
        Ok(resp) => resp,
        Err(e) => {
            let outcome = if e.is_timeout() {
                Outcome::Timeout
            } else if e.is_builder() {
                Outcome::Refused
            } else {
                Outcome::Network
            };
            return (outcome, None, Err(OpenAIError::Reqwest(e)));
        }
    };
    let status = resp.status();
    let header =
        |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let retry_after =
        retry::retry_after(header("retry-after-ms").as_deref(), header("retry-after").as_deref());
    if status.is_success() {
        return (Outcome::from_status(status.as_u16(), None), retry_after, Ok(resp));
    }
    match resp.bytes().await {
        Err(e) => (
            if e.is_timeout() { Outcome::Timeout } else { Outcome::Network },
            None,
            Err(OpenAIError::Reqwest(e)),
        ),
        Ok(bytes) => {
            let api_error = error_body::read(&bytes);
            let quota = [api_error.r#type.as_deref(), api_error.code.as_deref()]
                .into_iter()
                .flatten()
                .find(|k| *k == "insufficient_quota");
            let outcome = Outcome::from_status(status.as_u16(), quota);
            let err = OpenAIError::ApiError(ApiErrorResponse { status_code: status, api_error });
            (outcome, retry_after, Err(err))
        }
    }
}

/// The `upstream` label of `mluvme_upstream_errors_total`.
pub(crate) fn metric_label(upstream: Option<Upstream>) -> &'static str {
    match upstream {
        Some(Upstream::Chat) => "chat",
        Some(Upstream::Transcription) => "stt",
        Some(Upstream::Speech) => "tts",
        None => "other",
    }
}

/// The `kind` label of a failed attempt (None for a success).
fn outcome_kind(outcome: Outcome) -> Option<&'static str> {
    Some(match outcome {
        Outcome::Success => return None,
        Outcome::Refused => "refused",
        Outcome::QuotaExhausted => "quota_exhausted",
        Outcome::RateLimited => "rate_limited",
        Outcome::ServerError => "server_error",
        Outcome::Timeout => "timeout",
        Outcome::Network => "network",
    })
}

fn rejected_kind(e: &Rejected) -> &'static str {
    match e {
        Rejected::CircuitOpen(_) => "circuit_open",
        Rejected::Busy(_) => "busy",
        Rejected::Deadline(_) => "deadline",
    }
}

fn boxed(e: Rejected) -> OpenAIError {
    OpenAIError::Boxed(Box::new(e))
}

impl tower_service::Service<HttpRequestFactory> for GuardedHttp {
    type Response = Response;
    type Error = OpenAIError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, OpenAIError>> + Send + 'static>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Limits are per upstream, known only from the request: waited for in `call`.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        Box::pin(self.clone().send(factory))
    }
}
