//! The emulator's state, shared by the server's handlers and the [`super::OpenAiEmulator`] handle:
//! recorded requests, queued faults, holds, counters (one lock).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::watch;

use super::faults::AiFault;
use super::types::{AiRejection, Endpoint, OpenAiConfig, RecordedRequest};

/// The state behind every handler: the configuration, the locked [`Inner`], and the channels
/// that wake waiters (holds, shutdown, "something changed" for `wait_until`).
pub(crate) struct Shared {
    pub cfg: OpenAiConfig,
    pub inner: Mutex<Inner>,
    /// Number of live holds per endpoint.
    pub holds_tx: watch::Sender<HashMap<Endpoint, usize>>,
    pub shutdown_tx: watch::Sender<bool>,
    pub observe_tx: watch::Sender<u64>,
}

/// What a voice note says: as spoken (the learner's mistakes kept), and as a transcriber that
/// "repairs" speech writes it down when not asked for a verbatim transcript.
#[derive(Clone, Debug)]
pub(crate) struct Heard {
    pub verbatim: String,
    pub repaired: String,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub transcripts: HashMap<Vec<u8>, Heard>,
    /// Bodies to answer with instead of the emulator's own, per endpoint.
    pub next_body: HashMap<Endpoint, VecDeque<String>>,
    /// Refusals of what the configured server does not offer.
    pub unsupported: Vec<AiRejection>,
    pub faults: HashMap<Endpoint, VecDeque<AiFault>>,
    pub next_content: VecDeque<String>,
    pub requests: Vec<RecordedRequest>,
    /// Arrivals and answers, in order.
    pub timeline: Vec<super::types::Event>,
    pub calls: HashMap<Endpoint, usize>,
    pub waiting: HashMap<Endpoint, usize>,
    pub rejected: Vec<AiRejection>,
    /// Emulated latency actually slept, per endpoint: (requests, total).
    pub injected_latency: HashMap<Endpoint, (u64, Duration)>,
    /// While set, every request fails with this status (a full outage), see
    /// `OpenAiEmulator::set_outage`.
    pub outage: Option<u16>,
    /// Requests refused by the outage, per endpoint.
    pub outage_refused: HashMap<Endpoint, usize>,
    /// Requests being served right now, per endpoint (from arrival until the handler returns or
    /// the client goes away).
    pub in_flight: HashMap<Endpoint, usize>,
    /// The last response's sequence number (`x-request-id`, completion ids).
    pub seq: u64,
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

    pub(crate) fn changed(&self) {
        self.observe_tx.send_modify(|v| *v += 1);
    }
}

/// While alive, requests to its endpoint wait (after being recorded)
/// instead of being answered. Dropping it, or [`HoldGuard::release`], lets
/// them proceed; several guards on one endpoint nest.
#[must_use = "the hold ends when the guard is dropped"]
pub struct HoldGuard {
    pub(crate) shared: Arc<Shared>,
    pub(crate) endpoint: Endpoint,
}

impl HoldGuard {
    /// Ends the hold now (same as dropping).
    pub fn release(self) {}
}

impl Drop for HoldGuard {
    fn drop(&mut self) {
        self.shared.holds_tx.send_modify(|h| {
            if let Some(n) = h.get_mut(&self.endpoint) {
                *n = n.saturating_sub(1);
            }
        });
    }
}
