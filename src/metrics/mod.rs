//! Prometheus metrics, served at `GET /metrics` by [`crate::server`].
//!
//! Every series with a known label set is created once, here, and kept as a handle: an
//! observation is an atomic add on that handle — no label formatting, no map lookup, no
//! allocation on a turn's path — and every series shows up (at 0) from the first scrape, so a
//! dashboard or an alert never waits for the first failure to learn a series exists.
//!
//! - `mluvme_turns_total{kind="voice|text", outcome="answered|notice|failed|cancelled"}`: a
//!   `notice` is a turn stopped with a message to the learner (too long, not audio, …).
//! - `mluvme_stage_seconds{stage="download|stt|llm|tts|send|turn"}`: per-stage latency.
//! - `mluvme_upstream_errors_total{upstream="chat|stt|tts|telegram", kind}`: every failed
//!   attempt (retried or not), by what went wrong.
//! - `mluvme_tokens_total{direction="prompt|completion"}`, `mluvme_cost_usd_total`.
//! - gauges `mluvme_turns_in_flight`, `mluvme_updates_pending` (recorded, not yet handled:
//!   read from the database at scrape time), `mluvme_audio_writes_queued`,
//!   `mluvme_audio_bytes{held_by="turns|write_queue"}` (against `AUDIO_MEMORY_MB` and
//!   `AUDIO_QUEUE_MB`), `mluvme_audio_bytes_peak` (the most the turns held at once) and
//!   `mluvme_audio_memory_waiting` (turns waiting for `AUDIO_MEMORY_MB` to free up).
//! - `mluvme_db_statements_total`: statements sent to the database (each a round trip; a
//!   transaction's `BEGIN` and `COMMIT` are not counted, several writes sent together on
//!   SQLite count once), and
//!   `mluvme_db_statement_seconds_total`, the time they took, waits for a connection excluded.
//! - breakers, refusals, spend, cost by model, Telegram sends and the webhook: [`operations`].
//!
//! `ops/grafana/mluvme.json` and `ops/prometheus/alerts.yml` use these names; a test checks
//! that every name they use is one this module exports.

pub mod operations;

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// What kind of turn: a voice (or any audio) or a typed text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TurnKind {
    Voice = 0,
    Text = 1,
}

/// How a turn ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TurnOutcome {
    Answered = 0,
    Notice = 1,
    Failed = 2,
    Cancelled = 3,
}

const KINDS: [&str; 2] = ["voice", "text"];
const OUTCOMES: [&str; 4] = ["answered", "notice", "failed", "cancelled"];
const STAGES: [&str; 6] = ["download", "stt", "llm", "tts", "send", "turn"];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TurnLabels {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageLabels {
    stage: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DirectionLabels {
    direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    upstream: &'static str,
    kind: &'static str,
}

/// Failed upstream attempts. Cheap to clone (one shared family): the OpenAI HTTP service holds
/// one before the `App` — and its [`Metrics`] — exist.
#[derive(Clone, Default)]
pub struct UpstreamErrors(Family<ErrorLabels, Counter>);

impl UpstreamErrors {
    /// Counts one failed attempt. Both labels are static strings: after a pair's first
    /// occurrence this is a read-locked lookup and an atomic add.
    pub fn record(&self, upstream: &'static str, kind: &'static str) {
        self.0.get_or_create(&ErrorLabels { upstream, kind }).inc();
    }
}

/// Every metric of the process and the registry that encodes them.
pub struct Metrics {
    registry: Registry,
    turns: [[Counter; 4]; 2],
    stages: [Histogram; 6],
    prompt_tokens: Counter,
    completion_tokens: Counter,
    cost_usd: Counter<f64, AtomicU64>,
    upstream_errors: UpstreamErrors,
    turns_in_flight: Gauge,
    pub updates_pending: Gauge,
    pub audio_writes_queued: Gauge,
    pub audio_bytes: Family<AudioBytes, Gauge>,
    pub audio_bytes_peak: Gauge,
    pub audio_memory_waiting: Gauge,
    pub db_statements: Counter,
    pub db_statement_seconds: Counter<f64, AtomicU64>,
    /// The held SQLite writes (`store::batch::held_statements`) already added to the two above.
    db_held_seen: std::sync::Mutex<(u64, u64)>,
    pub ops: operations::Operations,
}

/// Who holds audio bytes in memory.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AudioBytes {
    pub held_by: &'static str,
}

/// Per-stage timings of one turn, in milliseconds (stored with the turn's end by
/// `store::turns`).
#[derive(Clone, Debug, Default)]
pub struct Timings {
    pub download_ms: Option<u32>,
    pub stt_ms: Option<u32>,
    pub llm_ms: Option<u32>,
    pub tts_ms: Option<u32>,
    pub send_ms: Option<u32>,
    pub total_ms: Option<u32>,
}

/// Tokens and cost counters, shared with the [`Metrics`] they were taken from.
#[derive(Clone)]
pub struct UsageCounters {
    prompt_tokens: Counter,
    completion_tokens: Counter,
    cost_usd: Counter<f64, AtomicU64>,
    model_cost: operations::ModelCost,
}

impl UsageCounters {
    /// Tokens and cost of one upstream request to `model` (`cost_micros` None = unpriced model).
    pub fn observe(
        &self,
        model: &str,
        prompt_tokens: u32,
        completion_tokens: u32,
        cost_micros: Option<i64>,
    ) {
        self.prompt_tokens.inc_by(u64::from(prompt_tokens));
        self.completion_tokens.inc_by(u64::from(completion_tokens));
        if let Some(micros) = cost_micros.filter(|m| *m > 0) {
            let usd = micros as f64 / 1_000_000.0;
            self.cost_usd.inc_by(usd);
            let label = operations::ModelLabel { model: model.to_owned() };
            self.model_cost.get_or_create(&label).inc_by(usd);
        }
    }
}

impl Metrics {
    /// Registers everything; `upstream_errors` is the OpenAI client's (see [`UpstreamErrors`]).
    pub fn new(upstream_errors: UpstreamErrors) -> Metrics {
        let mut registry = Registry::default();
        let turns_family = Family::<TurnLabels, Counter>::default();
        let turns = std::array::from_fn(|k| {
            std::array::from_fn(|o| {
                turns_family
                    .get_or_create_owned(&TurnLabels { kind: KINDS[k], outcome: OUTCOMES[o] })
            })
        });
        registry.register(
            "mluvme_turns",
            "Learner turns, by kind and how they ended",
            turns_family,
        );

        // 50 ms … ~100 s: a send takes tens of milliseconds, a whole turn with an outage seconds.
        let stage_family = Family::<StageLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.05, 2.0, 12))
        });
        let stages = std::array::from_fn(|i| {
            stage_family.get_or_create_owned(&StageLabels { stage: STAGES[i] })
        });
        registry.register(
            "mluvme_stage_seconds",
            "Time spent in each stage of a turn",
            stage_family,
        );

        let tokens = Family::<DirectionLabels, Counter>::default();
        let prompt_tokens = tokens.get_or_create_owned(&DirectionLabels { direction: "prompt" });
        let completion_tokens =
            tokens.get_or_create_owned(&DirectionLabels { direction: "completion" });
        registry.register("mluvme_tokens", "Chat model tokens used", tokens);

        let cost_usd = Counter::<f64, AtomicU64>::default();
        registry.register(
            "mluvme_cost_usd",
            "What the upstream requests cost, in US dollars (priced models only)",
            cost_usd.clone(),
        );

        for upstream in ["chat", "stt", "tts", "telegram"] {
            // Present from the start, so a rate of errors reads 0 rather than "no data".
            upstream_errors.0.get_or_create_owned(&ErrorLabels { upstream, kind: "server_error" });
        }
        registry.register(
            "mluvme_upstream_errors",
            "Failed upstream attempts, by upstream and kind",
            upstream_errors.0.clone(),
        );

        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let turns_in_flight = gauge(&mut registry, "mluvme_turns_in_flight", "Turns running now");
        let updates_pending = gauge(
            &mut registry,
            "mluvme_updates_pending",
            "Updates recorded and not yet handled (the intake's queue depth)",
        );
        let audio_writes_queued =
            gauge(&mut registry, "mluvme_audio_writes_queued", "Audio files waiting to be written");
        let audio_bytes = Family::<AudioBytes, Gauge>::default();
        registry.register(
            "mluvme_audio_bytes",
            "Bytes of audio held in memory: by turns (download to speech-to-text) and waiting for the audio store",
            audio_bytes.clone(),
        );
        for held_by in ["turns", "write_queue"] {
            audio_bytes.get_or_create(&AudioBytes { held_by }).set(0);
        }
        let audio_bytes_peak = gauge(
            &mut registry,
            "mluvme_audio_bytes_peak",
            "The most bytes of audio turns held at once since start",
        );
        let audio_memory_waiting = gauge(
            &mut registry,
            "mluvme_audio_memory_waiting",
            "Turns waiting for audio memory (AUDIO_MEMORY_MB) before downloading",
        );
        let db_statements = Counter::default();
        registry.register(
            "mluvme_db_statements",
            "Statements sent to the database (round trips; BEGIN and COMMIT not counted)",
            db_statements.clone(),
        );
        let db_statement_seconds = Counter::<f64, AtomicU64>::default();
        registry.register(
            "mluvme_db_statement_seconds",
            "Time the database statements took, waits for a connection excluded",
            db_statement_seconds.clone(),
        );
        let ops = operations::Operations::register(&mut registry);
        Metrics {
            registry,
            turns,
            stages,
            prompt_tokens,
            completion_tokens,
            cost_usd,
            upstream_errors,
            turns_in_flight,
            updates_pending,
            audio_writes_queued,
            audio_bytes,
            audio_bytes_peak,
            audio_memory_waiting,
            db_statements,
            db_statement_seconds,
            db_held_seen: Default::default(),
            ops,
        }
    }

    /// Adds the statements sent on held SQLite connections since the last call (`held`: their
    /// count and microseconds so far, `store::batch::held_statements`): sea-orm's callback,
    /// which counts the rest, does not see them.
    pub fn catch_up_statements(&self, held: (u64, u64)) {
        let mut seen = self.db_held_seen.lock().unwrap_or_else(|e| e.into_inner());
        let (n, us) = (held.0.saturating_sub(seen.0), held.1.saturating_sub(seen.1));
        self.db_statements.inc_by(n);
        self.db_statement_seconds.inc_by(us as f64 / 1e6);
        *seen = held;
    }

    /// A turn starts: counted in flight until the guard is finished or dropped. Dropped without
    /// [`TurnGuard::finish`] — the learner's `/cancel` abandons the turn's future where it
    /// stands — it counts as cancelled.
    pub fn turn_started(&self, kind: TurnKind) -> TurnGuard<'_> {
        self.turns_in_flight.inc();
        TurnGuard { metrics: self, kind, done: false }
    }

    /// Counts a finished turn and observes the stages it went through.
    fn turn_finished(&self, kind: TurnKind, outcome: TurnOutcome, t: &Timings) {
        self.turns[kind as usize][outcome as usize].inc();
        for (i, ms) in [t.download_ms, t.stt_ms, t.llm_ms, t.tts_ms, t.send_ms, t.total_ms]
            .into_iter()
            .enumerate()
        {
            if let Some(ms) = ms {
                self.stages[i].observe(f64::from(ms) / 1000.0);
            }
        }
    }

    /// The counters every paid request adds to, for the meter (`ai::meter`), which alone
    /// observes them.
    pub fn usage_counters(&self) -> UsageCounters {
        UsageCounters {
            prompt_tokens: self.prompt_tokens.clone(),
            completion_tokens: self.completion_tokens.clone(),
            cost_usd: self.cost_usd.clone(),
            model_cost: self.ops.model_cost.clone(),
        }
    }

    /// One failed upstream attempt (`upstream` = chat, stt, tts or telegram).
    pub fn upstream_error(&self, upstream: &'static str, kind: &'static str) {
        self.upstream_errors.record(upstream, kind);
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }

    /// How many turns of this kind ended this way (for tests and the admin report).
    pub fn turns(&self, kind: TurnKind, outcome: TurnOutcome) -> u64 {
        self.turns[kind as usize][outcome as usize].get()
    }

    pub fn turns_in_flight(&self) -> i64 {
        self.turns_in_flight.get()
    }
}

/// The `kind` label of a failed Telegram request.
pub fn telegram_error_kind(e: &teloxide::RequestError) -> &'static str {
    use teloxide::RequestError as E;
    match e {
        E::RetryAfter(_) => "rate_limited",
        E::Network(err) if err.is_timeout() => "timeout",
        E::Network(_) => "network",
        E::Api(_) | E::MigrateToChatId(_) => "refused",
        E::InvalidJson { .. } | E::Io(_) => "server_error",
    }
}

/// The content type of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// A turn in flight (see [`Metrics::turn_started`]).
pub struct TurnGuard<'a> {
    metrics: &'a Metrics,
    kind: TurnKind,
    done: bool,
}

impl TurnGuard<'_> {
    pub fn finish(mut self, outcome: TurnOutcome, timings: &Timings) {
        self.done = true;
        self.metrics.turn_finished(self.kind, outcome, timings);
    }
}

impl Drop for TurnGuard<'_> {
    fn drop(&mut self) {
        self.metrics.turns_in_flight.dec();
        if !self.done {
            self.metrics.turns[self.kind as usize][TurnOutcome::Cancelled as usize].inc();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_series_is_exposed_from_the_start() {
        let m = Metrics::new(UpstreamErrors::default());
        let text = m.encode();
        for line in [
            "mluvme_turns_total{kind=\"voice\",outcome=\"answered\"} 0",
            "mluvme_turns_total{kind=\"text\",outcome=\"cancelled\"} 0",
            "mluvme_stage_seconds_count{stage=\"stt\"} 0",
            "mluvme_tokens_total{direction=\"completion\"} 0",
            "mluvme_upstream_errors_total{upstream=\"telegram\",kind=\"server_error\"} 0",
            "mluvme_turns_in_flight 0",
            "mluvme_updates_pending 0",
        ] {
            assert!(text.contains(line), "missing {line:?} in:\n{text}");
        }
    }

    #[test]
    fn a_finished_turn_is_counted_with_its_stages_and_a_dropped_one_counts_as_cancelled() {
        let m = Metrics::new(UpstreamErrors::default());
        let timings = Timings {
            download_ms: Some(20),
            stt_ms: Some(300),
            llm_ms: Some(900),
            tts_ms: None,
            send_ms: Some(40),
            total_ms: Some(1300),
        };
        let guard = m.turn_started(TurnKind::Voice);
        assert_eq!(m.turns_in_flight(), 1);
        guard.finish(TurnOutcome::Answered, &timings);
        drop(m.turn_started(TurnKind::Text));
        assert_eq!(m.turns_in_flight(), 0);
        assert_eq!(m.turns(TurnKind::Voice, TurnOutcome::Answered), 1);
        assert_eq!(m.turns(TurnKind::Text, TurnOutcome::Cancelled), 1);
        let text = m.encode();
        assert!(text.contains("mluvme_stage_seconds_count{stage=\"llm\"} 1"), "{text}");
        assert!(text.contains("mluvme_stage_seconds_count{stage=\"tts\"} 0"), "{text}");
        m.usage_counters().observe("gpt-4o-mini", 100, 20, Some(1_500_000));
        m.upstream_error("chat", "rate_limited");
        let text = m.encode();
        assert!(text.contains("mluvme_tokens_total{direction=\"prompt\"} 100"), "{text}");
        assert!(text.contains("mluvme_cost_usd_total 1.5"), "{text}");
        assert!(text.contains("mluvme_model_cost_usd_total{model=\"gpt-4o-mini\"} 1.5"), "{text}");
        assert!(
            text.contains(
                "mluvme_upstream_errors_total{upstream=\"chat\",kind=\"rate_limited\"} 1"
            ),
            "{text}"
        );
    }
}
