//! OpenAI-compatible emulator: chat completions (the Honzík tutor),
//! audio transcriptions and speech.
//!
//! The bot's async-openai client is pointed at [`OpenAiEmulator::base_url`]
//! (`OPENAI_BASE_URL`) and otherwise runs unchanged. Requests are validated
//! like OpenAI validates them (same status codes and error bodies), replies
//! are deterministic (see `tutor`), and tests can inject faults, hold
//! requests mid-flight, and inspect every request the bot made.
//!
//! Modules, each using only those after it: `server` (routes), `chat` (chat
//! completions), `speech` (Honzík's voice), `audio` (transcriptions), `transcript` (their bodies
//! in OpenAI's or the minimal shapes), `steps` (what every
//! handler does: count, record, fault, hold, latency), `validate` (chat
//! request checks), `state` (the shared state and holds), `faults` (error
//! bodies, injected failures), `types` (endpoints, configuration, recorded
//! requests), `tutor` (reply generation), `schema` (conforming replies to the
//! caller's JSON schema).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

mod audio;
mod chat;
mod corrections;
mod faults;
mod placement;
pub mod scene;
pub mod schema;
mod server;
mod speech;
mod state;
mod steps;
mod stream;
mod transcript;
pub mod tutor;
mod types;
mod validate;

pub use faults::AiFault;
pub use state::HoldGuard;
pub use types::{AiRejection, Endpoint, Event, Moment, OpenAiConfig, RecordedRequest, Shapes};

use state::Shared;

/// A running emulator; the server stops when this is dropped (held and
/// timed-out requests are then dropped too).
pub struct OpenAiEmulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    _task: tokio::task::JoinHandle<()>,
}

impl Drop for OpenAiEmulator {
    fn drop(&mut self) {
        self.shared.shutdown_tx.send_replace(true);
    }
}

impl OpenAiEmulator {
    /// Starts serving on `127.0.0.1:<free port>`, with the bundled samples'
    /// transcripts registered.
    pub async fn start(cfg: OpenAiConfig) -> anyhow::Result<Self> {
        let shared = Shared::new(cfg);
        {
            let mut st = shared.inner.lock();
            for s in crate::samples::ALL {
                let heard =
                    state::Heard { verbatim: s.text.to_owned(), repaired: s.repaired.to_owned() };
                st.transcripts.insert(s.bytes.to_vec(), heard);
            }
        }
        let router = server::router(shared.clone());
        let (addr, task) =
            crate::loopback::serve_loopback(router, shared.shutdown_tx.subscribe()).await?;
        Ok(Self { shared, addr, _task: task })
    }

    /// `http://127.0.0.1:PORT/v1`, for `OPENAI_BASE_URL` /
    /// `OpenAIConfig::with_api_base`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Exactly these bytes will transcribe to `text` (verbatim or not).
    pub fn register_transcript(&self, audio: &[u8], text: &str) {
        let heard = state::Heard { verbatim: text.to_owned(), repaired: text.to_owned() };
        self.shared.inner.lock().transcripts.insert(audio.to_vec(), heard);
    }

    /// The next successful answer of `endpoint` is exactly this body (status 200, JSON), in
    /// place of the emulator's own: a server's documented shape, fed to the bot as it is.
    pub fn set_next_body(&self, endpoint: Endpoint, body: &str) {
        let mut st = self.shared.inner.lock();
        st.next_body.entry(endpoint).or_default().push_back(body.to_owned());
    }

    /// Requests refused because the configured server does not offer what they asked for
    /// (`verbose_json`, `json_schema`, `json_object`): what such a server answers, not a bug,
    /// so they are kept out of [`Self::rejected`].
    pub fn unsupported(&self) -> Vec<AiRejection> {
        self.shared.inner.lock().unsupported.clone()
    }

    /// The next `n` requests to `endpoint` that pass validation fail with
    /// `fault`.
    pub fn fail_next(&self, endpoint: Endpoint, n: usize, fault: AiFault) {
        let mut st = self.shared.inner.lock();
        st.faults.entry(endpoint).or_default().extend(std::iter::repeat_n(fault, n));
    }

    /// A full outage: while `Some(status)`, every request to every endpoint fails at once with
    /// that status and OpenAI's body for it (503: "The engine is currently overloaded"), before
    /// validation, recording ([`Self::requests`] leaves it out; [`Self::calls`] counts it) and
    /// queued faults (which wait for the outage to end). `None` ends it.
    pub fn set_outage(&self, status: Option<u16>) {
        self.shared.inner.lock().outage = status;
        self.shared.changed();
    }

    /// Requests to `endpoint` being served right now (arrived, not yet answered; a request
    /// whose client went away ends there).
    pub fn in_flight(&self, endpoint: Endpoint) -> usize {
        self.shared.inner.lock().in_flight.get(&endpoint).copied().unwrap_or(0)
    }

    /// Requests to `endpoint` refused by an outage so far.
    pub fn outage_refused(&self, endpoint: Endpoint) -> usize {
        self.shared.inner.lock().outage_refused.get(&endpoint).copied().unwrap_or(0)
    }

    /// The next successful chat completion returns exactly `raw` as its
    /// content (queued: several calls queue several contents).
    pub fn set_next_chat_content(&self, raw: &str) {
        self.shared.inner.lock().next_content.push_back(raw.to_owned());
    }

    /// Parks requests to `endpoint` (after recording them) until the guard
    /// is dropped or released.
    pub fn hold(&self, endpoint: Endpoint) -> HoldGuard {
        self.shared.holds_tx.send_modify(|h| *h.entry(endpoint).or_default() += 1);
        HoldGuard { shared: self.shared.clone(), endpoint }
    }

    /// Requests currently parked by a hold on `endpoint`.
    pub fn held_requests(&self, endpoint: Endpoint) -> usize {
        self.shared.inner.lock().waiting.get(&endpoint).copied().unwrap_or(0)
    }

    /// Every accepted request, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.inner.lock().requests.clone()
    }

    /// Requests that reached `endpoint`, valid or not (refusals of what the server does not
    /// offer excluded: see [`Self::unsupported`]).
    pub fn calls(&self, endpoint: Endpoint) -> usize {
        self.shared.inner.lock().calls.get(&endpoint).copied().unwrap_or(0)
    }

    /// The emulated latency each endpoint slept so far: (requests that waited, total wait).
    /// Requests parked by a hold or failed by an injected timeout count only their latency.
    pub fn injected_latency(&self, endpoint: Endpoint) -> (u64, Duration) {
        self.shared.inner.lock().injected_latency.get(&endpoint).copied().unwrap_or_default()
    }

    /// Every 4xx returned (injected faults excluded).
    pub fn rejected(&self) -> Vec<AiRejection> {
        self.shared.inner.lock().rejected.clone()
    }

    /// Arrivals and answers of every request so far, in the order they happened: whether one
    /// request started before another ended (a stream's end is its last chunk).
    pub fn timeline(&self) -> Vec<Event> {
        self.shared.inner.lock().timeline.clone()
    }

    /// Waits until `pred` holds after some change, or `timeout` passes.
    pub async fn wait_until(&self, timeout: Duration, pred: impl Fn(&Self) -> bool) -> bool {
        let mut rx = self.shared.observe_tx.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            rx.borrow_and_update();
            if pred(self) {
                return true;
            }
            tokio::select! {
                _ = rx.changed() => {}
                _ = tokio::time::sleep_until(deadline) => return pred(self),
            }
        }
    }
}
