//! Upstream faults without pile-ups: every OpenAI request goes through a [`Gate`] per upstream
//! (chat, transcription, speech) — a concurrency limit and a circuit breaker — and is retried by
//! the policy in [`retry`] within one deadline, by the HTTP service in [`http`] that async-openai
//! executes requests with (its own retry layer is replaced, so retries are never doubled).
//!
//! - [`retry`] (pure): what is retried, full-jitter backoff, `Retry-After`, the deadline.
//! - [`breaker`] (pure): closed → open → half-open → closed on explicit instants.
//! - [`http`]: the tower service: route by path, permit, breaker, attempts, retries.
//! - [`error_body`] (pure): any compatible server's error body, read as OpenAI's.
//! - [`Outage`]: what the turn pipeline watches — is an upstream's circuit open, and wait until
//!   requests may go again.

pub mod breaker;
pub mod error_body;
pub mod http;
pub mod retry;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;

use crate::config::UpstreamLimits;
use breaker::{Admission, Breaker, Transition};

/// One OpenAI endpoint family, with its own concurrency limit and circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Upstream {
    Chat,
    Transcription,
    Speech,
}

impl Upstream {
    pub fn as_str(self) -> &'static str {
        match self {
            Upstream::Chat => "chat",
            Upstream::Transcription => "transcription",
            Upstream::Speech => "speech",
        }
    }

    /// Which upstream a request path belongs to (`…/chat/completions`, `…/audio/transcriptions`
    /// or `…/audio/translations`, `…/audio/speech`); other paths have no gate.
    pub fn for_path(path: &str) -> Option<Upstream> {
        let path = path.trim_end_matches('/');
        if path.ends_with("/chat/completions") {
            Some(Upstream::Chat)
        } else if path.ends_with("/audio/transcriptions") || path.ends_with("/audio/translations") {
            Some(Upstream::Transcription)
        } else if path.ends_with("/audio/speech") {
            Some(Upstream::Speech)
        } else {
            None
        }
    }
}

impl std::fmt::Display for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request refused on our side, without (another) HTTP request.
#[derive(Debug, thiserror::Error)]
pub enum Rejected {
    #[error("{0}: circuit open")]
    CircuitOpen(&'static str),
    #[error("{0}: no free slot before the deadline")]
    Busy(&'static str),
    #[error("{0}: deadline passed")]
    Deadline(&'static str),
}

/// An upstream's circuit as the rest of the bot sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Closed: requests go through.
    Up,
    /// Open: requests are refused at once until `until`; the first one after it is the probe.
    Down { until: Instant },
    /// Half-open: a probe is out; other requests wait for its verdict.
    Probing,
}

/// A cheap, cloneable view of one upstream's circuit.
#[derive(Clone, Debug)]
pub struct Outage {
    upstream: Upstream,
    health: watch::Receiver<Health>,
}

impl Outage {
    pub fn upstream(&self) -> Upstream {
        self.upstream
    }

    pub fn health(&self) -> Health {
        *self.health.borrow()
    }

    /// The circuit is not closed: requests are refused at once, or wait for a probe.
    pub fn is_open(&self) -> bool {
        self.health() != Health::Up
    }

    /// Returns once a request would be let through: the circuit is closed, or its cooldown is
    /// over (the next request is the probe, and concurrent ones wait for its verdict). Returns at
    /// once when the circuit is closed. A failed probe opens it again: call again after the
    /// retried request failed with `AiError::Unavailable`.
    pub async fn ready(&self) {
        let mut rx = self.health.clone();
        loop {
            let health = *rx.borrow_and_update();
            match health {
                Health::Up => return,
                Health::Down { until } if until <= Instant::now() => return,
                Health::Down { until } => tokio::select! {
                    _ = tokio::time::sleep_until(until) => return,
                    changed = rx.changed() => if changed.is_err() { return },
                },
                Health::Probing => {
                    if rx.changed().await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// The concurrency limit and circuit of one upstream.
pub struct Gate {
    upstream: Upstream,
    permits: Arc<Semaphore>,
    state: Mutex<GateState>,
    health: watch::Sender<Health>,
    cooldown: Duration,
}

struct GateState {
    breaker: Breaker,
    /// When the circuit last opened from closed (for the recovery log line).
    down_since: Option<Instant>,
}

impl Gate {
    pub fn new(
        upstream: Upstream,
        max_concurrent: usize,
        failures: u32,
        cooldown: Duration,
    ) -> Arc<Gate> {
        Arc::new(Gate {
            upstream,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            state: Mutex::new(GateState {
                breaker: Breaker::new(failures, cooldown),
                down_since: None,
            }),
            health: watch::channel(Health::Up).0,
            cooldown,
        })
    }

    pub fn outage(&self) -> Outage {
        Outage { upstream: self.upstream, health: self.health.subscribe() }
    }

    /// Waits (within `deadline`) until the circuit lets a request through: at once when closed,
    /// refused at once when open, after the probe's verdict when half-open.
    pub(crate) async fn admit(self: &Arc<Self>, deadline: Instant) -> Result<Ticket, Rejected> {
        let mut rx = self.health.subscribe();
        loop {
            rx.borrow_and_update();
            let admission = self.with_breaker(|b, now| b.admit(now));
            match admission {
                Admission::Go => {
                    return Ok(Ticket { gate: self.clone(), probe: false, done: false });
                }
                Admission::Probe => {
                    return Ok(Ticket { gate: self.clone(), probe: true, done: false });
                }
                Admission::Refuse { .. } => {
                    return Err(Rejected::CircuitOpen(self.upstream.as_str()));
                }
                Admission::Wait => match tokio::time::timeout_at(deadline, rx.changed()).await {
                    Ok(Ok(())) => continue,
                    _ => return Err(Rejected::CircuitOpen(self.upstream.as_str())),
                },
            }
        }
    }

    /// One of the upstream's concurrent slots, if one frees up before `deadline`.
    pub(crate) async fn permit(&self, deadline: Instant) -> Result<OwnedSemaphorePermit, Rejected> {
        match tokio::time::timeout_at(deadline, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Rejected::Busy(self.upstream.as_str())),
        }
    }

    /// Runs one breaker step under the lock, then publishes and logs what changed.
    fn with_breaker<T>(
        &self,
        step: impl FnOnce(&mut Breaker, std::time::Instant) -> (T, Option<Transition>),
    ) -> T {
        let now = Instant::now();
        let (out, transition, health, down_for) = {
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let (out, transition) = step(&mut st.breaker, now.into_std());
            let mut down_for = None;
            match transition {
                Some(Transition::Opened { .. }) => st.down_since = Some(now),
                Some(Transition::Closed) => {
                    down_for = st.down_since.take().map(|t| now.saturating_duration_since(t))
                }
                _ => {}
            }
            let health = match st.breaker.state() {
                breaker::State::Closed { .. } => Health::Up,
                breaker::State::Open { until } => Health::Down { until: Instant::from_std(until) },
                breaker::State::HalfOpen => Health::Probing,
            };
            (out, transition, health, down_for)
        };
        self.health.send_if_modified(|h| std::mem::replace(h, health) != health);
        let upstream = self.upstream.as_str();
        match transition {
            Some(Transition::Opened { failures }) => tracing::warn!(
                upstream,
                failures,
                cooldown_secs = self.cooldown.as_secs(),
                "OpenAI upstream failing: circuit open, requests refused at once until a probe succeeds"
            ),
            Some(Transition::Reopened) => {
                tracing::warn!(
                    upstream,
                    cooldown_secs = self.cooldown.as_secs(),
                    "OpenAI upstream probe failed: circuit open again"
                )
            }
            Some(Transition::Probing) => {
                tracing::debug!(upstream, "OpenAI upstream cooldown over: probing")
            }
            Some(Transition::Closed) => {
                tracing::info!(
                    upstream,
                    down_secs = down_for.map(|d| d.as_secs()),
                    "OpenAI upstream answers again: circuit closed"
                )
            }
            None => {}
        }
        out
    }
}

tokio::task_local! {
    static ON_BEHALF_OF: i64;
}

/// Runs `request` as one made with `learner`'s input: its failure counts toward the circuit at
/// most once per streak of failures (see [`breaker`]).
pub async fn on_behalf_of<F: std::future::Future>(learner: i64, request: F) -> F::Output {
    ON_BEHALF_OF.scope(learner, request).await
}

/// Admission of one attempt; the result is reported with [`Ticket::finish`]. Dropping an
/// unfinished probe ticket lets the next request probe.
pub(crate) struct Ticket {
    gate: Arc<Gate>,
    probe: bool,
    done: bool,
}

impl Ticket {
    pub(crate) fn is_probe(&self) -> bool {
        self.probe
    }

    /// Reports how the request ended: `failed` when like an outage (after its retries). A
    /// transcription names the learner whose audio it carried ([`on_behalf_of`]): their audio
    /// failing counts once, so no learner's files can open the circuit for everyone.
    pub(crate) fn finish(mut self, failed: bool) {
        self.done = true;
        let probe = self.probe;
        let source = match self.gate.upstream {
            Upstream::Transcription => ON_BEHALF_OF.try_with(|s| *s).ok(),
            Upstream::Chat | Upstream::Speech => None,
        };
        self.gate.with_breaker(|b, now| ((), b.record_from(now, probe, failed, source)));
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.probe && !self.done {
            self.gate.with_breaker(|b, now| {
                b.abandon_probe(now);
                ((), None)
            });
        }
    }
}

/// The three gates, built once from the settings and shared by the HTTP service and the clients.
#[derive(Clone)]
pub struct Gates {
    chat: Arc<Gate>,
    transcription: Arc<Gate>,
    speech: Arc<Gate>,
    /// Failed attempts, for `/metrics` (the `App`'s metrics register this same family).
    pub errors: crate::metrics::UpstreamErrors,
}

impl Gates {
    pub fn new(limits: &UpstreamLimits) -> Self {
        let gate = |u, n| Gate::new(u, n, limits.breaker_failures, limits.breaker_cooldown);
        Gates {
            chat: gate(Upstream::Chat, limits.max_concurrent_chat),
            transcription: gate(Upstream::Transcription, limits.max_concurrent_stt),
            speech: gate(Upstream::Speech, limits.max_concurrent_tts),
            errors: Default::default(),
        }
    }

    pub fn gate(&self, upstream: Upstream) -> &Arc<Gate> {
        match upstream {
            Upstream::Chat => &self.chat,
            Upstream::Transcription => &self.transcription,
            Upstream::Speech => &self.speech,
        }
    }

    pub fn outage(&self, upstream: Upstream) -> Outage {
        self.gate(upstream).outage()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_routed_by_path() {
        assert_eq!(Upstream::for_path("/v1/chat/completions"), Some(Upstream::Chat));
        assert_eq!(Upstream::for_path("/chat/completions/"), Some(Upstream::Chat));
        assert_eq!(Upstream::for_path("/v1/audio/transcriptions"), Some(Upstream::Transcription));
        assert_eq!(Upstream::for_path("/v1/audio/translations"), Some(Upstream::Transcription));
        assert_eq!(Upstream::for_path("/v1/audio/speech"), Some(Upstream::Speech));
        assert_eq!(Upstream::for_path("/v1/models"), None);
    }

    #[tokio::test]
    async fn an_open_gate_refuses_at_once_and_reports_its_outage() {
        let gate = Gate::new(Upstream::Chat, 4, 2, Duration::from_secs(3600));
        let outage = gate.outage();
        let deadline = Instant::now() + Duration::from_secs(3600);
        assert!(!outage.is_open());
        outage.ready().await; // closed: returns at once
        gate.admit(deadline).await.unwrap().finish(true);
        assert!(!outage.is_open(), "one failure of two");
        gate.admit(deadline).await.unwrap().finish(true);
        assert!(outage.is_open());
        assert!(matches!(outage.health(), Health::Down { .. }));
        assert!(matches!(gate.admit(deadline).await, Err(Rejected::CircuitOpen("chat"))));
    }

    #[tokio::test]
    async fn after_the_cooldown_one_probe_goes_and_its_success_closes_the_circuit() {
        let gate = Gate::new(Upstream::Speech, 4, 1, Duration::ZERO);
        let outage = gate.outage();
        let deadline = Instant::now() + Duration::from_secs(3600);
        gate.admit(deadline).await.unwrap().finish(true);
        assert!(outage.is_open());
        outage.ready().await; // cooldown over
        let probe = gate.admit(deadline).await.unwrap();
        assert!(probe.is_probe());
        assert_eq!(outage.health(), Health::Probing);
        // A second request waits for the probe's verdict, then goes.
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.admit(deadline).await.map(|t| t.is_probe()) }
        });
        tokio::task::yield_now().await;
        probe.finish(false);
        assert!(!outage.is_open());
        assert!(matches!(waiting.await.unwrap(), Ok(false)));
    }

    #[tokio::test]
    async fn an_abandoned_probe_does_not_wedge_the_circuit() {
        let gate = Gate::new(Upstream::Transcription, 4, 1, Duration::ZERO);
        let deadline = Instant::now() + Duration::from_secs(3600);
        gate.admit(deadline).await.unwrap().finish(true);
        drop(gate.admit(deadline).await.unwrap());
        assert!(gate.admit(deadline).await.unwrap().is_probe());
    }

    #[tokio::test]
    async fn permits_bound_concurrency_and_waiting_ends_at_the_deadline() {
        let gate = Gate::new(Upstream::Chat, 1, 5, Duration::from_secs(30));
        let held = gate.permit(Instant::now() + Duration::from_secs(1)).await.unwrap();
        assert!(matches!(gate.permit(Instant::now()).await, Err(Rejected::Busy("chat"))));
        drop(held);
        assert!(gate.permit(Instant::now() + Duration::from_secs(1)).await.is_ok());
    }
}
