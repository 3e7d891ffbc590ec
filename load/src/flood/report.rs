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

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use emulators::openai::Endpoint;
use hdrhistogram::Histogram;
use serde::Serialize;

use super::chart::{self, Curve};
use super::cost::Consumption;
use super::learner::{Action, Outcome, Record};
use super::options::Options;
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
    pub db: DbView,
    pub lagged: u64,
    pub sends: SendTimes,
    pub injected: BTreeMap<String, u64>,
    pub tg: TgSeen,
    pub ai: AiSeen,
    pub events: Events,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000, 3).expect("static bounds")
}

fn ms(d: Duration) -> u64 {
    d.as_millis().max(1) as u64
}

fn mean(sum: f64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { sum / n as f64 }
}

fn endpoint_name(ep: Endpoint) -> &'static str {
    match ep {
        Endpoint::Chat => "chat",
        Endpoint::Transcription => "stt",
        Endpoint::Speech => "tts",
    }
}

/// Accumulates one scenario.
#[derive(Default)]
struct Acc {
    hist: Option<Histogram<u64>>,
    sum_ms: f64,
    messages: u64,
    errors: BTreeMap<String, u64>,
}

impl Acc {
    fn time(&mut self, r: &Record) {
        if let Some(l) = r.latency() {
            let _ = self.hist.get_or_insert_with(histogram).record(ms(l));
            self.sum_ms += ms(l) as f64;
            self.messages += r.replies.len() as u64;
        }
    }
    fn error(&mut self, kind: &str) {
        *self.errors.entry(kind.to_owned()).or_default() += 1;
    }
}

#[derive(Default)]
struct OverheadAcc {
    hist: Option<Histogram<u64>>,
    sum: f64,
    upstream: f64,
    before: f64,
    download: f64,
    send: f64,
    unmatched: u64,
}

impl Report {
    pub fn build(opts: &Options, inp: Inputs) -> Report {
        let mut violations = Vec::new();
        let mut errors: BTreeMap<String, u64> = BTreeMap::new();
        let mut scen: BTreeMap<Action, Acc> = BTreeMap::new();
        let mut over: BTreeMap<&'static str, OverheadAcc> = BTreeMap::new();
        let (mut answered, mut noticed) = (0u64, 0u64);
        let mut rel = Reliability::default();
        let (mut answered_messages, mut bot_upstream_sum, mut bot_upstream_n) = (0u64, 0f64, 0u64);
        // Per chat: (sum of turn latencies, turns).
        let mut chats: HashMap<i64, (f64, u64)> = HashMap::new();
        let onboarded = inp.outcomes.iter().filter(|o| o.onboarded).count();
        if onboarded < opts.users {
            violations.push(format!(
                "{} of {} learners could not finish onboarding",
                opts.users - onboarded,
                opts.users
            ));
        }
        for o in &inp.outcomes {
            let acc = scen.entry(Action::Onboarding).or_default();
            if let Some(r) = &o.onboarding {
                acc.time(r);
            }
            if !o.onboarded {
                acc.error("onboarding_stalled");
            }
            if o.out_of_order > 0 {
                violations.push(format!(
                    "learner {}: {} replies arrived out of order",
                    o.user, o.out_of_order
                ));
                *errors.entry("out_of_order".into()).or_default() += o.out_of_order as u64;
            }
            for r in &o.records {
                let acc = scen.entry(r.action).or_default();
                acc.time(r);
                if !r.action.is_turn() {
                    if r.replies.is_empty() {
                        violations.push(format!(
                            "learner {}: {} got no reply",
                            o.user,
                            r.action.name()
                        ));
                        acc.error("no_reply");
                    }
                    continue;
                }
                let row = inp.db.turns.get(&r.update_id).filter(|t| t.chat_id == o.user);
                let db_answered = row.is_some_and(|t| t.outcome == "answered");
                rel.turns_sent += 1;
                if r.action == Action::Voice {
                    rel.voice_turns += 1;
                }
                // Kills that caught this turn under way: each may have sent one message twice.
                let in_flight = inp.events.kills.iter().filter(|k| r.in_flight_at(k.at)).count();
                if in_flight > 0 {
                    rel.turns_in_flight_at_kills += 1;
                    if r.action == Action::Voice {
                        rel.voice_turns_in_flight_at_kills += 1;
                    }
                }
                let copies = r.copies.max(r.voices().saturating_sub(1));
                let crash_copies = copies <= in_flight;
                if copies > 0 && crash_copies {
                    rel.crash_duplicates += copies as u64;
                    acc.error("crash_duplicate");
                } else if copies > 0 {
                    rel.duplicates += copies as u64;
                    acc.error("duplicated");
                    if r.voices() <= 1 {
                        violations.push(format!(
                            "learner {}: turn {}: {copies} reply messages sent twice",
                            o.user, r.message_id
                        ));
                    }
                }
                if !inp.db.learner_messages.contains(&r.update_id) {
                    violations.push(format!(
                        "learner {}: turn {}: the learner's message is not in the database",
                        o.user, r.message_id
                    ));
                }
                if row.is_none() {
                    violations.push(format!(
                        "learner {}: turn {} (update {}{}): no row in the turns table (the turn never finished)",
                        o.user,
                        r.message_id,
                        r.update_id,
                        if r.told_to_wait { ", told to wait" } else { "" }
                    ));
                }
                if db_answered && !inp.db.honzik_messages.contains(&r.update_id) {
                    violations.push(format!(
                        "learner {}: turn {}: answered, but Honzík's answer is not stored",
                        o.user, r.message_id
                    ));
                }
                let is_answered = match (r.voices(), r.replies.len()) {
                    (1, _) => true,
                    (0, 0) => {
                        violations.push(format!(
                            "learner {}: turn {} was lost (no reply)",
                            o.user, r.message_id
                        ));
                        acc.error("lost");
                        rel.lost += 1;
                        false
                    }
                    // Text only: a notice, or an answer whose voice failed (the bot says which).
                    (0, _) if db_answered => {
                        acc.error("answered_without_voice");
                        true
                    }
                    (0, _) => {
                        noticed += 1;
                        acc.error(row.map_or("notice", |t| t.outcome.as_str()));
                        false
                    }
                    // The voice sent again after a kill caught it going out.
                    (_, _) if crash_copies => true,
                    (n, _) => {
                        violations.push(format!(
                            "learner {}: turn {} answered {n} times",
                            o.user, r.message_id
                        ));
                        false
                    }
                };
                if r.told_to_wait {
                    if is_answered {
                        rel.told_to_wait_then_answered += 1;
                    } else {
                        rel.told_to_wait_unanswered += 1;
                    }
                }
                if let Some(l) = r.latency() {
                    let c = chats.entry(o.user).or_default();
                    c.0 += ms(l) as f64;
                    c.1 += 1;
                }
                if !is_answered {
                    continue;
                }
                answered += 1;
                answered_messages += r.replies.len() as u64;
                if row.is_some_and(|t| t.outcome != "answered") {
                    acc.error(&format!("db:{}", row.map_or("", |t| t.outcome.as_str())));
                }
                let ov = over.entry(r.action.name()).or_default();
                let (Some(t), Some(l)) = (row, r.latency()) else {
                    ov.unmatched += 1;
                    continue;
                };
                let e2e = ms(l);
                let Some(overhead) = t.overhead_ms(e2e) else {
                    ov.unmatched += 1;
                    continue;
                };
                let upstream = t.upstream_ms().unwrap_or(0);
                let _ = ov.hist.get_or_insert_with(histogram).record(overhead.max(1));
                ov.sum += overhead as f64;
                ov.upstream += upstream as f64;
                ov.before += e2e.saturating_sub(t.total_ms.unwrap_or(0)) as f64;
                ov.download += t.download_ms.unwrap_or(0) as f64;
                ov.send += t.send_ms.unwrap_or(0) as f64;
                bot_upstream_sum += upstream as f64;
                bot_upstream_n += 1;
            }
        }
        if inp.db.answered != answered as i64 {
            violations.push(format!(
                "the database records {} answered turns, the learners saw {answered}",
                inp.db.answered
            ));
        }
        let pending = inp.db.inbox.get("pending").copied().unwrap_or(0);
        if pending > 0 {
            violations.push(format!("{pending} updates are still pending in the bot's inbox"));
        }
        rel.inbox = inp.db.inbox.iter().map(|(k, v)| (k.clone(), *v)).collect();
        // Requests beyond one per turn (transcriptions: per voice turn) and one per injected fault
        // on the endpoint repeat a step already done, unless a kill caught the turn before the
        // step's result was stored. Checked only when no faults went to the endpoint (a fault may
        // cost more than one extra request: a contract retry, an escalation).
        let faults_on = |ep: &str| -> u64 {
            inp.injected
                .iter()
                .filter(|(k, _)| k.starts_with("openai_") && k.ends_with(ep))
                .map(|(_, n)| n)
                .sum()
        };
        rel.stt_requests = inp.ai.consumption.stt_requests;
        rel.stt_repeated =
            rel.stt_requests as i64 - faults_on("_stt") as i64 - rel.voice_turns as i64;
        rel.chat_turn_requests =
            inp.ai.consumption.chat_requests.saturating_sub(inp.ai.consumption.summary_requests);
        rel.chat_repeated =
            rel.chat_turn_requests as i64 - faults_on("_chat") as i64 - rel.turns_sent as i64;
        rel.stt_in_flight_at_kills = inp.events.kills.iter().map(|k| k.stt_in_flight).sum();
        rel.chat_in_flight_at_kills = inp.events.kills.iter().map(|k| k.chat_in_flight).sum();
        rel.tts_in_flight_at_kills = inp.events.kills.iter().map(|k| k.tts_in_flight).sum();
        rel.stt_repeated_after_done =
            (rel.stt_repeated - rel.stt_in_flight_at_kills as i64).max(0) as u64;
        rel.chat_repeated_after_done =
            (rel.chat_repeated - rel.chat_in_flight_at_kills as i64).max(0) as u64;
        for (name, repeated, allowed, faulted) in [
            (
                "transcriptions",
                rel.stt_repeated,
                rel.voice_turns_in_flight_at_kills,
                faults_on("_stt") > 0,
            ),
            (
                "chat completions",
                rel.chat_repeated,
                rel.turns_in_flight_at_kills,
                faults_on("_chat") > 0,
            ),
        ] {
            if !faulted && repeated > allowed as i64 {
                violations.push(format!(
                    "{repeated} {name} repeated, more than the {allowed} turns in flight at a kill"
                ));
            }
        }
        rel.kills_planned = inp.events.kills_planned;
        rel.kills_at_s = inp.events.kills.iter().map(|k| k.secs).collect();
        rel.outage_s = inp.events.outage_s;
        rel.outage_refused = inp.ai.outage_refused;
        let tg_faults = inp.injected.get("telegram_429").copied().unwrap_or(0)
            + inp.injected.get("telegram_5xx").copied().unwrap_or(0);
        rel.telegram_fault_fraction = mean(tg_faults as f64, inp.tg.fault_calls as u64);
        let ai_faults: u64 =
            inp.injected.iter().filter(|(k, _)| k.starts_with("openai_")).map(|(_, n)| n).sum();
        rel.openai_fault_fraction = mean(ai_faults as f64, inp.ai.fault_calls);
        if inp.lagged > 0 {
            violations
                .push(format!("the generator missed {} events (it could not keep up)", inp.lagged));
            errors.insert("generator_lagged".into(), inp.lagged);
        }
        let secs = inp.elapsed.as_secs_f64().max(1e-9);
        let mut curves = Curves::default();
        let mut scenarios = BTreeMap::new();
        for (action, acc) in scen {
            for (k, n) in &acc.errors {
                *errors.entry(k.clone()).or_default() += n;
            }
            let h = acc.hist.unwrap_or_else(histogram);
            let q = |p: f64| if h.is_empty() { 0 } else { h.value_at_quantile(p) };
            curves.end_to_end.push((action.name().to_owned(), chart::curve(&h)));
            scenarios.insert(
                action.name().to_owned(),
                Scenario {
                    actions: h.len(),
                    per_second: h.len() as f64 / secs,
                    p50_ms: q(0.5),
                    p95_ms: q(0.95),
                    p99_ms: q(0.99),
                    max_ms: h.max(),
                    mean_ms: mean(acc.sum_ms, h.len()),
                    messages_per_action: mean(acc.messages as f64, h.len()),
                    errors: acc.errors,
                },
            );
        }
        let mut overhead = BTreeMap::new();
        for (name, ov) in over {
            let h = ov.hist.unwrap_or_else(histogram);
            let n = h.len();
            let q = |p: f64| if h.is_empty() { 0 } else { h.value_at_quantile(p) };
            curves.overhead.push((name.to_owned(), chart::curve(&h)));
            overhead.insert(
                name.to_owned(),
                Overhead {
                    turns: n,
                    p50_ms: q(0.5),
                    p95_ms: q(0.95),
                    p99_ms: q(0.99),
                    max_ms: h.max(),
                    mean_ms: mean(ov.sum, n),
                    upstream_ms_mean: mean(ov.upstream, n),
                    before_handler_ms_mean: mean(ov.before, n),
                    download_ms_mean: mean(ov.download, n),
                    send_ms_mean: mean(ov.send, n),
                    unmatched: ov.unmatched,
                },
            );
        }
        let turns = answered + noticed;
        let per_turn = |v: f64| mean(v, turns);
        let c = &inp.ai.consumption;
        let mut upstream = Upstream {
            bot_timed_ms_per_turn: mean(bot_upstream_sum, bot_upstream_n),
            ..Default::default()
        };
        let mut emulated_total = 0.0;
        for (ep, n, total) in &inp.ai.latency {
            let per_request = mean(total.as_secs_f64() * 1000.0, *n);
            let serving_turns =
                if *ep == Endpoint::Chat { n.saturating_sub(c.summary_requests) } else { *n };
            emulated_total += per_request * serving_turns as f64;
            upstream.emulated_ms_per_request.insert(endpoint_name(*ep).into(), per_request);
            upstream.requests.insert(endpoint_name(*ep).into(), *n);
        }
        upstream.emulated_ms_per_turn = per_turn(emulated_total);
        let overall = chats.values().fold((0.0, 0u64), |a, c| (a.0 + c.0, a.1 + c.1));
        let overall_mean = mean(overall.0, overall.1);
        let worst = chats
            .iter()
            .map(|(id, (sum, n))| (*id, mean(*sum, *n)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let rate = inp.sends.rate();
        let telegram = TelegramFigures {
            rate,
            send_calls: inp.tg.send_calls,
            throttled_429: inp.tg.throttled_429,
            injected_429: inp.injected.get("telegram_429").copied().unwrap_or(0),
            injected_5xx: inp.injected.get("telegram_5xx").copied().unwrap_or(0),
            messages_per_turn: mean(answered_messages as f64, answered),
            fairness: worst
                .map_or(0.0, |(_, m)| if overall_mean > 0.0 { m / overall_mean } else { 1.0 }),
            worst_chat: worst.map(|(id, _)| id),
            webhook_deliveries: inp.tg.webhook_deliveries.clone(),
        };
        let length = match opts.duration {
            Some(d) => format!("{} s", d.as_secs_f64()),
            None => format!("{} actions per learner", opts.turns),
        };
        Report {
            users: opts.users,
            onboarded,
            length,
            seconds: secs,
            turns_answered: answered,
            turns_with_notice: noticed,
            turns_per_second: answered as f64 / secs,
            scenarios,
            errors,
            overhead,
            upstream,
            telegram_429s: telegram.throttled_429,
            telegram_sends: rate.sends as usize,
            telegram,
            faults_injected: inp.injected,
            bot_cpu_ms_per_turn: per_turn(inp.bot.cpu_seconds * 1000.0),
            bot: inp.bot,
            prompt_tokens_per_turn: per_turn(c.prompt_tokens as f64),
            completion_tokens_per_turn: per_turn(c.completion_tokens as f64),
            cost_usd_per_turn: per_turn(c.usd()),
            openai: inp.ai.consumption,
            reliability: rel,
            violations,
            curves,
        }
    }

    /// The latency chart (`--png`).
    pub fn png(&self) -> anyhow::Result<Vec<u8>> {
        let title =
            format!("mluvme-load: {} learners, {}, {:.0} s", self.users, self.length, self.seconds);
        chart::png(&self.curves.end_to_end, &self.curves.overhead, &title)
    }

    /// The summary table printed at the end of a run.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} learners ({} onboarded), {}, {:.1} s: {} turns answered ({:.1}/s), {} with a notice",
            self.users,
            self.onboarded,
            self.length,
            self.seconds,
            self.turns_answered,
            self.turns_per_second,
            self.turns_with_notice
        );
        s.push_str(
            "scenario      done   per s   p50 ms   p95 ms   p99 ms   max ms  msgs  errors\n",
        );
        for (name, sc) in &self.scenarios {
            let errors: Vec<String> = sc.errors.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let _ = writeln!(
                s,
                "{name:<11} {:>6} {:>7.1} {:>8} {:>8} {:>8} {:>8} {:>5.1}  {}",
                sc.actions,
                sc.per_second,
                sc.p50_ms,
                sc.p95_ms,
                sc.p99_ms,
                sc.max_ms,
                sc.messages_per_action,
                if errors.is_empty() { "-".into() } else { errors.join(", ") }
            );
        }
        s.push_str("overhead     turns   p50 ms   p95 ms   p99 ms   max ms   mean ms  (upstream, before handler, download, send: means ms)\n");
        for (name, o) in &self.overhead {
            let _ = writeln!(
                s,
                "{name:<11} {:>6} {:>8} {:>8} {:>8} {:>8} {:>9.1}  ({:.0}, {:.0}, {:.0}, {:.0}){}",
                o.turns,
                o.p50_ms,
                o.p95_ms,
                o.p99_ms,
                o.max_ms,
                o.mean_ms,
                o.upstream_ms_mean,
                o.before_handler_ms_mean,
                o.download_ms_mean,
                o.send_ms_mean,
                if o.unmatched > 0 {
                    format!("; {} answered turns without timings", o.unmatched)
                } else {
                    String::new()
                }
            );
        }
        let per_req: Vec<String> = self
            .upstream
            .emulated_ms_per_request
            .iter()
            .map(|(k, v)| format!("{k} {v:.0}"))
            .collect();
        let _ = writeln!(
            s,
            "upstream per turn: {:.0} ms emulated (per request: {}), {:.0} ms as the bot timed it",
            self.upstream.emulated_ms_per_turn,
            per_req.join(", "),
            self.upstream.bot_timed_ms_per_turn
        );
        let t = &self.telegram;
        let _ = writeln!(
            s,
            "telegram: {} sends, {:.1}/s over {:.1} s busy, peak {}/s; {:.2} messages per turn; 429s: {} from the limits, {} injected; worst chat (id {}) waits {:.2}× the mean",
            t.rate.sends,
            t.rate.per_second,
            t.rate.busy_seconds,
            t.rate.peak_per_second,
            t.messages_per_turn,
            t.throttled_429,
            t.injected_429,
            t.worst_chat.map_or("-".into(), |c| c.to_string()),
            t.fairness
        );
        if !t.webhook_deliveries.is_empty() {
            let each: Vec<String> =
                t.webhook_deliveries.iter().map(|(at, n)| format!("{n} to {at}")).collect();
            let _ = writeln!(s, "webhook deliveries: {}", each.join(", "));
        }
        let o = &self.openai;
        let _ = writeln!(
            s,
            "openai: {:.0} prompt + {:.0} completion tokens per turn, ${:.5} per turn (chat ${:.5}, stt ${:.5}, tts ${:.5}){}",
            self.prompt_tokens_per_turn,
            self.completion_tokens_per_turn,
            self.cost_usd_per_turn,
            self.per_turn(o.chat_usd),
            self.per_turn(o.stt_usd),
            self.per_turn(o.tts_usd),
            if o.unpriced_requests > 0 {
                format!("; {} requests of unpriced models", o.unpriced_requests)
            } else {
                String::new()
            }
        );
        if !self.faults_injected.is_empty() {
            let f: Vec<String> =
                self.faults_injected.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let _ = writeln!(s, "faults injected: {}", f.join(", "));
        }
        let r = &self.reliability;
        let _ = writeln!(
            s,
            "turns: {} sent, {} answered ({} told to wait first), {} with a notice, {} lost; duplicated messages: {}, crash duplicates: {}",
            r.turns_sent,
            self.turns_answered,
            r.told_to_wait_then_answered,
            self.turns_with_notice,
            r.lost,
            r.duplicates,
            r.crash_duplicates
        );
        if r.kills_planned > 0 {
            let at: Vec<String> = r.kills_at_s.iter().map(|t| format!("{t:.1} s")).collect();
            let _ = writeln!(
                s,
                "kills: {} of {} done (at {}); {} turns in flight at a kill",
                r.kills_at_s.len(),
                r.kills_planned,
                if at.is_empty() { "-".into() } else { at.join(", ") },
                r.turns_in_flight_at_kills
            );
        }
        if let Some((from, to)) = r.outage_s {
            let _ = writeln!(
                s,
                "openai outage: {from:.1}–{to:.1} s, {} requests refused; {} turns told to wait, {} of them never answered",
                r.outage_refused,
                r.told_to_wait_then_answered + r.told_to_wait_unanswered,
                r.told_to_wait_unanswered
            );
        }
        let _ = writeln!(
            s,
            "upstream calls: {} transcriptions for {} voice turns ({} repeated), {} chat completions for {} turns ({} repeated)",
            r.stt_requests,
            r.voice_turns,
            r.stt_repeated,
            r.chat_turn_requests,
            r.turns_sent,
            r.chat_repeated
        );
        if r.kills_planned > 0 {
            let _ = writeln!(
                s,
                "  at the kills: {} transcriptions, {} chat completions, {} speech requests in flight at the emulator; {} voice turns, {} turns under way (the allowance)",
                r.stt_in_flight_at_kills,
                r.chat_in_flight_at_kills,
                r.tts_in_flight_at_kills,
                r.voice_turns_in_flight_at_kills,
                r.turns_in_flight_at_kills
            );
            if r.stt_repeated_after_done + r.chat_repeated_after_done > 0 {
                let _ = writeln!(
                    s,
                    "  NOTE: repeated although upstream had already answered before the kill (done, not yet checkpointed): {} transcriptions, {} chat completions",
                    r.stt_repeated_after_done, r.chat_repeated_after_done
                );
            }
        }
        if !self.faults_injected.is_empty() {
            let _ = writeln!(
                s,
                "fault fractions: telegram {:.1}% of calls to the targeted methods, openai {:.1}% of requests to the targeted endpoints",
                r.telegram_fault_fraction * 100.0,
                r.openai_fault_fraction * 100.0
            );
        }
        let inbox: Vec<String> = r.inbox.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(
            s,
            "bot inbox at the end: {}",
            if inbox.is_empty() { "-".into() } else { inbox.join(", ") }
        );
        let _ = writeln!(
            s,
            "bot: peak RSS {:.0} MiB, CPU {:.1} s ({:.1} ms per turn){}",
            self.bot.peak_rss_mib,
            self.bot.cpu_seconds,
            self.bot_cpu_ms_per_turn,
            if self.bot.processes > 1 {
                format!(" over {} processes (CPU summed, RSS the highest peak)", self.bot.processes)
            } else {
                String::new()
            }
        );
        if self.violations.is_empty() {
            s.push_str(
                "correctness: every turn answered exactly once, in order; database agrees\n",
            );
        } else {
            let _ = writeln!(s, "VIOLATIONS ({}):", self.violations.len());
            for v in self.violations.iter().take(20) {
                let _ = writeln!(s, "  - {v}");
            }
        }
        s
    }

    fn per_turn(&self, v: f64) -> f64 {
        mean(v, self.turns_answered + self.turns_with_notice)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::super::timings::TurnTiming;
    use super::*;
    use BotMessageKind::{Photo, Text, Voice};
    use emulators::telegram::BotMessageKind;

    /// A record built from offsets.
    fn record(
        action: Action,
        update_id: i64,
        t0: Instant,
        replies_ms: &[(u64, BotMessageKind)],
    ) -> Record {
        Record {
            action,
            message_id: update_id + 1000,
            update_id,
            offered: t0,
            replies: replies_ms.iter().map(|(m, k)| (t0 + Duration::from_millis(*m), *k)).collect(),
            told_to_wait: false,
            copies: 0,
        }
    }

    fn timing(
        chat: i64,
        kind: &str,
        stt: Option<u64>,
        llm: u64,
        tts: u64,
        total: u64,
    ) -> TurnTiming {
        TurnTiming {
            chat_id: chat,
            kind: kind.into(),
            download_ms: stt.map(|_| 2),
            stt_ms: stt,
            llm_ms: Some(llm),
            tts_ms: Some(tts),
            send_ms: Some(5),
            total_ms: Some(total),
            outcome: "answered".into(),
        }
    }

    /// Two learners: chat 1 has two voice turns and a text turn, chat 2 a voice turn, a notice
    /// and /stats.
    fn inputs() -> Inputs {
        let t0 = Instant::now();
        let onboarding = |u| Some(record(Action::Onboarding, u, t0, &[(20, Text), (40, Text)]));
        let outcomes = vec![
            Outcome {
                user: 1,
                onboarded: true,
                onboarding: onboarding(1),
                records: vec![
                    record(Action::Voice, 11, t0, &[(1000, Voice), (1010, Text)]),
                    record(Action::Voice, 12, t0, &[(1200, Voice), (1210, Text)]),
                    record(Action::Text, 13, t0, &[(500, Text), (600, Voice)]),
                ],
                out_of_order: 0,
            },
            Outcome {
                user: 2,
                onboarded: true,
                onboarding: onboarding(2),
                records: vec![
                    record(Action::Voice, 21, t0, &[(1900, Voice), (1910, Text)]),
                    record(Action::Voice, 22, t0, &[(100, Text)]),
                    record(Action::Stats, 23, t0, &[(30, Photo)]),
                ],
                out_of_order: 0,
            },
        ];
        let mut turns = HashMap::new();
        turns.insert(11, timing(1, "voice", Some(200), 500, 250, 990));
        turns.insert(12, timing(1, "voice", Some(200), 600, 300, 1150));
        turns.insert(13, timing(1, "text", None, 400, 150, 590));
        turns.insert(21, timing(2, "voice", Some(300), 600, 300, 1300));
        turns.insert(
            22,
            TurnTiming {
                outcome: "notice:upstream-busy".into(),
                llm_ms: None,
                tts_ms: None,
                ..timing(2, "voice", Some(300), 0, 0, 95)
            },
        );
        let ai = AiSeen {
            consumption: Consumption {
                chat_requests: 6,
                summary_requests: 1,
                prompt_tokens: 5000,
                completion_tokens: 500,
                chat_usd: 0.01,
                stt_requests: 4,
                ..Default::default()
            },
            latency: vec![
                (Endpoint::Chat, 6, Duration::from_millis(3000)),
                (Endpoint::Transcription, 4, Duration::from_millis(1000)),
            ],
            fault_calls: 6,
            outage_refused: 0,
        };
        let updates = [11, 12, 13, 21, 22, 23];
        Inputs {
            outcomes,
            elapsed: Duration::from_secs(10),
            bot: Usage { peak_rss_mib: 80.0, cpu_seconds: 0.5, processes: 1 },
            db: DbView {
                answered: 4,
                turns,
                learner_messages: updates.into_iter().collect(),
                honzik_messages: [11, 12, 13, 21].into_iter().collect(),
                inbox: [("done".to_owned(), 14)].into(),
            },
            lagged: 0,
            sends: SendTimes::from_secs(vec![0.0, 0.5, 1.0, 1.5, 2.0]),
            injected: [("telegram_429".to_owned(), 3), ("openai_5xx_chat".to_owned(), 2)].into(),
            tg: TgSeen {
                send_calls: 9,
                throttled_429: 1,
                fault_calls: 6,
                webhook_deliveries: Vec::new(),
            },
            ai,
            events: Events::default(),
        }
    }

    #[test]
    fn scenarios_count_time_and_classify_every_action() {
        let r = Report::build(&Options { users: 2, ..Options::default() }, inputs());
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        assert_eq!((r.turns_answered, r.turns_with_notice), (4, 1));
        let voice = &r.scenarios["voice"];
        assert_eq!(voice.actions, 4, "the notice is timed too");
        assert!((voice.per_second - 0.4).abs() < 1e-9);
        assert_eq!(voice.max_ms, 1910);
        assert_eq!(voice.errors, [("notice:upstream-busy".to_owned(), 1)].into());
        assert!((voice.messages_per_action - 7.0 / 4.0).abs() < 1e-9);
        assert_eq!(r.scenarios["onboarding"].actions, 2);
        assert_eq!(r.scenarios["onboarding"].max_ms, 40);
        assert_eq!(r.scenarios["stats"].actions, 1);
        assert_eq!(r.errors, [("notice:upstream-busy".to_owned(), 1)].into());
        assert!((r.telegram.messages_per_turn - 2.0).abs() < 1e-9);
        assert!((r.bot_cpu_ms_per_turn - 100.0).abs() < 1e-9, "0.5 s over 5 turns");
        assert!((r.prompt_tokens_per_turn - 1000.0).abs() < 1e-9);
        assert!((r.cost_usd_per_turn - 0.002).abs() < 1e-12);
        assert_eq!((r.telegram.injected_429, r.telegram.throttled_429, r.telegram_429s), (3, 1, 1));
        let table = r.table();
        for needle in [
            "onboarding",
            "notice:upstream-busy 1",
            "overhead",
            "upstream per turn",
            "telegram: 5 sends",
            "faults injected: openai_5xx_chat 2, telegram_429 3",
            "correctness",
        ] {
            assert!(table.contains(needle), "{needle:?} missing from\n{table}");
        }
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["scenarios"]["voice"]["errors"]["notice:upstream-busy"], 1);
        assert_eq!(json["telegram"]["peak_per_second"], 2, "sends at 0, 0.5, 1, 1.5, 2 s");
        assert!(json["overhead"]["voice"]["p99_ms"].is_u64());
        assert!(json.get("curves").is_none());
    }

    #[test]
    fn overhead_subtracts_the_upstream_time_of_each_turn() {
        let r = Report::build(&Options { users: 2, ..Options::default() }, inputs());
        let v = &r.overhead["voice"];
        // 1010 − 950, 1210 − 1100, 1910 − 1200; the notice has no figure.
        assert_eq!((v.turns, v.unmatched), (3, 0));
        assert_eq!((v.p50_ms, v.max_ms), (110, 710));
        assert!((v.mean_ms - (60.0 + 110.0 + 710.0) / 3.0).abs() < 1e-9);
        assert!((v.before_handler_ms_mean - (20.0 + 60.0 + 610.0) / 3.0).abs() < 1e-9);
        let t = &r.overhead["text"];
        assert_eq!((t.turns, t.max_ms), (1, 50), "600 − (400 + 150)");
        assert!(
            (r.upstream.bot_timed_ms_per_turn - (950.0 + 1100.0 + 550.0 + 1200.0) / 4.0).abs()
                < 1e-9
        );
        // Chat: 500 ms per request, 5 of 6 served turns; STT: 250 ms × 4; over 5 turns.
        assert!((r.upstream.emulated_ms_per_turn - (2500.0 + 1000.0) / 5.0).abs() < 1e-9);
        assert_eq!(r.upstream.emulated_ms_per_request["chat"], 500.0);
        assert_eq!(r.curves.overhead.len(), 2);
    }

    #[test]
    fn fairness_is_the_worst_chats_mean_over_the_overall_mean() {
        let r = Report::build(&Options { users: 2, ..Options::default() }, inputs());
        // Chat 1: 1010, 1210, 600 → 940; chat 2: 1910, 100 → 1005; all: 4830 / 5 = 966.
        assert_eq!(r.telegram.worst_chat, Some(2));
        assert!((r.telegram.fairness - 1005.0 / 966.0).abs() < 1e-9);
    }

    #[test]
    fn lost_duplicated_and_disagreeing_turns_are_violations() {
        let mut inp = inputs();
        let t0 = Instant::now();
        inp.outcomes[0].records.push(record(Action::Voice, 14, t0, &[]));
        inp.outcomes[0].records.push(record(Action::Text, 15, t0, &[(100, Voice), (200, Voice)]));
        inp.outcomes[1].records.push(record(Action::Settings, 24, t0, &[]));
        inp.outcomes[1].onboarded = false;
        inp.outcomes[1].out_of_order = 2;
        inp.lagged = 7;
        let r = Report::build(&Options { users: 2, ..Options::default() }, inp);
        let all = r.violations.join("\n");
        for needle in [
            "could not finish onboarding",
            "turn 1014 was lost",
            "answered 2 times",
            "settings got no reply",
            "out of order",
            "missed 7 events",
        ] {
            assert!(all.contains(needle), "{needle:?} missing from\n{all}");
        }
        assert_eq!(r.scenarios["voice"].errors["lost"], 1);
        assert_eq!(r.scenarios["text"].errors["duplicated"], 1);
        assert_eq!(r.scenarios["settings"].errors["no_reply"], 1);
        assert_eq!(r.scenarios["onboarding"].errors["onboarding_stalled"], 1);
        assert_eq!((r.errors["out_of_order"], r.errors["generator_lagged"]), (2, 7));
        assert!(r.table().contains("VIOLATIONS"));
    }

    #[test]
    fn a_voice_that_failed_is_still_an_answer_when_the_bot_says_so() {
        let mut inp = inputs();
        let t0 = Instant::now();
        inp.outcomes[0].records.push(record(Action::Voice, 16, t0, &[(700, Text), (710, Text)]));
        inp.db.turns.insert(16, timing(1, "voice", Some(100), 300, 200, 690));
        inp.db.answered = 5;
        inp.db.learner_messages.insert(16);
        inp.db.honzik_messages.insert(16);
        inp.ai.consumption.stt_requests += 1;
        let r = Report::build(&Options { users: 2, ..Options::default() }, inp);
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        assert_eq!(r.turns_answered, 5);
        assert_eq!(r.scenarios["voice"].errors["answered_without_voice"], 1);
        let mut inp = inputs();
        inp.db.answered = 5;
        assert!(
            Report::build(&Options { users: 2, ..Options::default() }, inp).violations[0]
                .contains("database records 5")
        );
    }

    fn kill(at: Instant) -> KillSeen {
        KillSeen { at, secs: 5.0, stt_in_flight: 1, chat_in_flight: 0, tts_in_flight: 0 }
    }

    #[test]
    fn a_kill_allows_one_copy_per_turn_it_caught_and_one_repeated_transcription() {
        let mut inp = inputs();
        let t0 = inp.outcomes[0].records[0].offered;
        // Killed at 1100 ms: turn 12 (voice at 1200) was under way, 11 (done at 1010) was not.
        inp.events = Events {
            kills: vec![kill(t0 + Duration::from_millis(1100))],
            kills_planned: 1,
            outage_s: None,
        };
        inp.outcomes[0].records[1].replies.insert(1, (t0 + Duration::from_millis(1205), Voice));
        inp.ai.consumption.stt_requests += 1;
        let r = Report::build(&Options { users: 2, ..Options::default() }, inp);
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        let rel = &r.reliability;
        assert_eq!((rel.crash_duplicates, rel.duplicates, rel.lost), (1, 0, 0));
        assert_eq!(r.turns_answered, 4, "the turn whose voice went out twice is answered");
        assert_eq!(
            (rel.stt_repeated, rel.voice_turns_in_flight_at_kills, rel.stt_in_flight_at_kills),
            (1, 2, 1),
            "turns 12 and 21 were under way"
        );
        assert_eq!(rel.kills_at_s, vec![5.0]);
        assert!(r.table().contains("kills: 1 of 1 done (at 5.0 s)"), "{}", r.table());

        // A copy in a turn no kill caught, two copies for one kill, a transcription too many.
        let mut inp = inputs();
        inp.outcomes[0].records[0].copies = 1;
        inp.outcomes[0].records[2].copies = 2;
        inp.events = Events {
            kills: vec![kill(t0 + Duration::from_millis(1500))],
            kills_planned: 1,
            outage_s: None,
        };
        inp.ai.consumption.stt_requests += 3;
        inp.ai.consumption.chat_requests += 2;
        inp.injected.clear();
        let r = Report::build(&Options { users: 2, ..Options::default() }, inp);
        let all = r.violations.join("\n");
        for needle in [
            "turn 1011: 1 reply messages sent twice",
            "turn 1013: 2 reply messages sent twice",
            "3 transcriptions repeated, more than the 1",
            "2 chat completions repeated, more than the 1",
        ] {
            assert!(all.contains(needle), "{needle:?} missing from\n{all}");
        }
        assert_eq!((r.reliability.duplicates, r.reliability.crash_duplicates), (3, 0));
    }

    #[test]
    fn turns_told_to_wait_are_counted_and_the_database_is_checked() {
        let mut inp = inputs();
        inp.outcomes[0].records[0].told_to_wait = true;
        inp.outcomes[1].records[1].told_to_wait = true;
        inp.events.outage_s = Some((10.0, 40.0));
        inp.ai.outage_refused = 12;
        let r = Report::build(&Options { users: 2, ..Options::default() }, inp);
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        assert_eq!(
            (r.reliability.told_to_wait_then_answered, r.reliability.told_to_wait_unanswered),
            (1, 1)
        );
        assert!(
            r.table().contains("openai outage: 10.0–40.0 s, 12 requests refused"),
            "{}",
            r.table()
        );

        let mut inp = inputs();
        inp.db.learner_messages.remove(&12);
        inp.db.honzik_messages.remove(&13);
        inp.db.turns.remove(&21);
        inp.db.inbox.insert("pending".into(), 2);
        let all =
            Report::build(&Options { users: 2, ..Options::default() }, inp).violations.join("\n");
        for needle in [
            "turn 1012: the learner's message is not in the database",
            "turn 1013: answered, but Honzík's answer is not stored",
            "turn 1021 (update 21): no row in the turns table",
            "2 updates are still pending",
        ] {
            assert!(all.contains(needle), "{needle:?} missing from\n{all}");
        }
    }

    #[test]
    fn an_empty_run_reports_zeros_not_nans() {
        let inp = Inputs {
            outcomes: Vec::new(),
            elapsed: Duration::ZERO,
            bot: Usage::default(),
            db: DbView::default(),
            lagged: 0,
            sends: SendTimes::from_secs(Vec::new()),
            injected: BTreeMap::new(),
            tg: TgSeen::default(),
            ai: AiSeen::default(),
            events: Events::default(),
        };
        let r = Report::build(&Options { users: 0, ..Options::default() }, inp);
        let json = serde_json::to_string(&r).unwrap();
        assert!(
            !json
                .replace("\"worst_chat\":null", "")
                .replace("\"outage_s\":null", "")
                .contains("null"),
            "no NaN (serialized as null): {json}"
        );
        assert_eq!(r.telegram.fairness, 0.0);
        assert!(r.png().is_ok());
    }
}
