//! The figures of a flood, the correctness verdict, the summary table and the JSON report.
//!
//! Definitions (also in the README's "Capacity" section):
//! - **end-to-end latency**: from the learner's update being offered to `getUpdates` to the
//!   last message the bot sent in reply to it (onboarding: /start to the level question).
//! - **bot overhead** (voice and text turns the bot answered): end-to-end minus the time the bot
//!   spent waiting on its OpenAI requests (STT + LLM + TTS, as the bot timed them around each
//!   request and stored them in its `turns` table) — see `timings`.
//! - **emulated upstream per turn**: the latency the OpenAI emulator slept, summed over the
//!   requests that served turns (conversation summaries excluded), per turn — a cross-check on
//!   the bot's own upstream timings.
//! - **fairness**: the worst chat's mean turn latency over the mean over all turns (1.0 = every
//!   chat waited the same).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use emulators::openai::Endpoint;
use serde::Serialize;

use super::chart::{self, Curve};
use super::cost::Consumption;
use super::learner::Outcome;
use super::process::Usage;
use super::sends::{SendRate, SendTimes};
use super::timings::DbView;

/// One scenario's figures. Latencies are end-to-end, in ms, from an HDR histogram.
#[derive(Debug, Default, Serialize)]
pub struct Scenario {
    /// Actions that got their answer (timed).
    pub actions: u64,
    pub per_second: f64,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub p99_ms: u64,
    pub max_ms: u64,
    pub mean_ms: f64,
    /// Messages the bot sent in reply, per timed action.
    pub messages_per_action: f64,
    /// What went wrong, by kind: `lost`, `duplicated`, `no_reply`, `onboarding_stalled`, and
    /// for turns the bot's own outcome (`notice:upstream-busy`, `failed`, …) or
    /// `answered_without_voice`.
    pub errors: BTreeMap<String, u64>,
}

/// The bot's overhead on the turns of one kind it answered (ms, HDR histogram).
#[derive(Debug, Default, Serialize)]
pub struct Overhead {
    /// Answered turns with stage timings in the bot's database.
    pub turns: u64,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub p99_ms: u64,
    pub max_ms: u64,
    pub mean_ms: f64,
    /// Mean STT + LLM + TTS time as the bot timed it (what was subtracted).
    pub upstream_ms_mean: f64,
    /// Mean end-to-end − the bot's `total_ms`: the part spent before the turn's handler ran
    /// (getUpdates, the bot's queues, the learner's earlier turns).
    pub before_handler_ms_mean: f64,
    /// Mean file download (voice) and sending times, both part of the overhead.
    pub download_ms_mean: f64,
    pub send_ms_mean: f64,
    /// Mean end-to-end, and mean sum of the stages the bot timed (download, STT, chat, TTS and
    /// send): a turn whose stages overlap (Honzík's voice made while his answer streams) ends
    /// sooner than its stages add up to, and the difference is the time the overlap saved.
    pub end_to_end_ms_mean: f64,
    pub stages_ms_mean: f64,
    /// Answered turns without a timings row (should be 0).
    pub unmatched: u64,
}

/// Upstream time per turn, two ways.
#[derive(Debug, Default, Serialize)]
pub struct Upstream {
    /// The latency the OpenAI emulator injected, per turn that ended (answered or notice),
    /// conversation summaries excluded.
    pub emulated_ms_per_turn: f64,
    /// STT + LLM + TTS as the bot timed them, mean over answered turns (voice and text).
    pub bot_timed_ms_per_turn: f64,
    /// Mean injected latency per request, by endpoint (`chat`, `stt`, `tts`).
    pub emulated_ms_per_request: BTreeMap<String, f64>,
    pub requests: BTreeMap<String, u64>,
}

/// Telegram's side: the send rate against its cap, 429s, messages per turn, fairness.
#[derive(Debug, Default, Serialize)]
pub struct TelegramFigures {
    #[serde(flatten)]
    pub rate: SendRate,
    /// Send-method calls (sendMessage, sendVoice, sendPhoto, sendDocument), refused ones included.
    pub send_calls: usize,
    /// 429s the emulator's flood limits answered.
    pub throttled_429: usize,
    /// 429s and 5xx injected by the fault options (queued for sendMessage).
    pub injected_429: u64,
    pub injected_5xx: u64,
    /// Messages the bot sent per turn it answered (voice and text).
    pub messages_per_turn: f64,
    /// The worst chat's mean turn latency over the mean of all turns.
    pub fairness: f64,
    pub worst_chat: Option<i64>,
    /// Webhook mode: updates delivered (answered 200) by each replica's `host:port`.
    pub webhook_deliveries: Vec<(String, usize)>,
}

/// What the faults did (see `options::Kill`, `options::Outage` and the fault rates).
#[derive(Debug, Default, Serialize)]
pub struct Reliability {
    /// Voice and text turns the learners sent.
    pub turns_sent: u64,
    /// Turns that got the "upstream-busy" notice and then Honzík's answer (part of
    /// `turns_answered`).
    pub told_to_wait_then_answered: u64,
    /// Turns that got the notice but never the answer (part of `turns_with_notice` or lost).
    pub told_to_wait_unanswered: u64,
    /// Turns without any reply.
    pub lost: u64,
    /// Reply messages sent more than once beyond what the kills allow (violations).
    pub duplicates: u64,
    /// Reply messages sent twice by turns a kill caught under way, at most one per turn and kill:
    /// the message going out at the instant of the kill, which the Bot API cannot make
    /// idempotent (allowed).
    pub crash_duplicates: u64,
    pub kills_planned: usize,
    /// When the kills happened, seconds after the learners started.
    pub kills_at_s: Vec<f64>,
    /// Turns offered before a kill and not finished by it.
    pub turns_in_flight_at_kills: u64,
    /// The OpenAI outage as it happened, seconds after the learners started.
    pub outage_s: Option<(f64, f64)>,
    /// Requests the outage refused (all endpoints).
    pub outage_refused: u64,
    /// Voice turns offered before a kill and not finished by it.
    pub voice_turns_in_flight_at_kills: u64,
    /// Transcription requests the emulator took (an outage's refusals excluded, injected faults
    /// included).
    pub stt_requests: u64,
    pub voice_turns: u64,
    /// `stt_requests` − injected STT faults − voice turns: transcriptions repeated. At most the
    /// voice turns in flight at a kill (a transcript is checkpointed once stored); a violation
    /// beyond that when no faults went to STT.
    pub stt_repeated: i64,
    /// Transcriptions the emulator was serving at the kills (summed): the ones expected to repeat.
    pub stt_in_flight_at_kills: u64,
    /// Chat completions for turns (summaries excluded; retries after faults, contract retries and
    /// escalations included).
    pub chat_turn_requests: u64,
    /// `chat_turn_requests` − injected chat faults − turns sent; at most the turns in flight at a
    /// kill when no faults went to chat.
    pub chat_repeated: i64,
    pub chat_in_flight_at_kills: u64,
    pub tts_in_flight_at_kills: u64,
    /// Repeats beyond the requests the emulator was serving at the kills: steps that had been
    /// answered upstream before the kill but were not yet checkpointed by the bot (paid twice).
    /// Only meaningful when no faults went to the endpoint.
    pub stt_repeated_after_done: u64,
    pub chat_repeated_after_done: u64,
    /// Injected faults over the calls to the targeted Telegram methods / OpenAI endpoints.
    pub telegram_fault_fraction: f64,
    pub openai_fault_fraction: f64,
    /// The bot's inbox (`updates`) at the end, by status.
    pub inbox: BTreeMap<String, i64>,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub users: usize,
    pub onboarded: usize,
    /// `N actions per learner` or `N s`.
    pub length: String,
    pub seconds: f64,
    pub turns_answered: u64,
    pub turns_with_notice: u64,
    pub turns_per_second: f64,
    /// voice, text, settings, stats, onboarding.
    pub scenarios: BTreeMap<String, Scenario>,
    /// Every error, by kind, over all scenarios (plus `out_of_order` and `generator_lagged`).
    pub errors: BTreeMap<String, u64>,
    /// voice, text.
    pub overhead: BTreeMap<String, Overhead>,
    pub upstream: Upstream,
    pub telegram: TelegramFigures,
    pub faults_injected: BTreeMap<String, u64>,
    pub bot: Usage,
    pub bot_cpu_ms_per_turn: f64,
    /// The generator's own CPU (emulators and learners) while the learners played: what runs
    /// beside the bot, so a headroom figure says what its machine spent on both.
    pub generator_cpu_seconds: f64,
    pub generator_cpu_ms_per_turn: f64,
    pub prompt_tokens_per_turn: f64,
    pub completion_tokens_per_turn: f64,
    pub cost_usd_per_turn: f64,
    pub openai: Consumption,
    /// Faults and their effects: kills, the outage, waits, duplicates, losses, repeated
    /// transcriptions, the bot's inbox.
    pub reliability: Reliability,
    /// Same as `telegram.throttled_429` / `telegram.rate.sends` (kept for older scripts).
    pub telegram_429s: usize,
    pub telegram_sends: usize,
    /// Everything that broke a promise: lost or duplicated answers, out-of-order replies, a
    /// database that disagrees with what was answered. Empty on a good run.
    pub violations: Vec<String>,
    /// Percentile curves for `--png`.
    #[serde(skip)]
    pub curves: Curves,
}

#[derive(Debug, Default)]
pub struct Curves {
    pub end_to_end: Vec<Curve>,
    pub overhead: Vec<Curve>,
}

/// What the Telegram emulator counted.
#[derive(Clone, Debug, Default)]
pub struct TgSeen {
    pub send_calls: usize,
    pub throttled_429: usize,
    /// Calls to the methods faults were injected into.
    pub fault_calls: usize,
    /// Webhook deliveries by replica (empty when polling).
    pub webhook_deliveries: Vec<(String, usize)>,
}

/// What the OpenAI emulator saw.
#[derive(Clone, Debug, Default)]
pub struct AiSeen {
    pub consumption: Consumption,
    /// Per endpoint: requests that slept, total injected latency.
    pub latency: Vec<(Endpoint, u64, Duration)>,
    /// Calls to the endpoints faults were injected into (an outage's refusals excluded).
    pub fault_calls: u64,
    /// Requests an outage refused.
    pub outage_refused: u64,
}

/// One kill -9 of the bot.
#[derive(Clone, Debug)]
pub struct KillSeen {
    pub at: Instant,
    /// Seconds after the learners started.
    pub secs: f64,
    /// Transcriptions and chat completions the OpenAI emulator was serving at that instant.
    pub stt_in_flight: u64,
    pub chat_in_flight: u64,
    pub tts_in_flight: u64,
}

/// What the generator did to the bot during the run.
#[derive(Clone, Debug, Default)]
pub struct Events {
    pub kills: Vec<KillSeen>,
    pub kills_planned: usize,
    /// The outage window, seconds after the learners started.
    pub outage_s: Option<(f64, f64)>,
}

/// Everything a report is built from.
pub struct Inputs {
    pub outcomes: Vec<Outcome>,
    pub elapsed: Duration,
    pub bot: Usage,
    /// The generator's own CPU seconds over `elapsed` and the settling after it.
    pub generator_cpu_seconds: f64,
    pub db: DbView,
    pub lagged: u64,
    pub sends: SendTimes,
    pub injected: BTreeMap<String, u64>,
    pub tg: TgSeen,
    pub ai: AiSeen,
    pub events: Events,
}

mod build;
mod table;
mod tally;
#[cfg(test)]
mod tests;

fn mean(sum: f64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { sum / n as f64 }
}

impl Report {
    /// The latency chart (`--png`).
    pub fn png(&self) -> anyhow::Result<Vec<u8>> {
        let title =
            format!("mluvme-load: {} learners, {}, {:.0} s", self.users, self.length, self.seconds);
        chart::png(&self.curves.end_to_end, &self.curves.overhead, &title)
    }
}
