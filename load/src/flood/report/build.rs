//! [`Report::build`]: the figures and the correctness verdict from what the learners saw, what
//! the bot stored and what the emulators counted — one function per section of the report.

use std::collections::BTreeMap;
use std::time::Duration;

use emulators::openai::Endpoint;
use hdrhistogram::Histogram;

use super::super::chart;
use super::super::options::Options;
use super::super::script::Action;
use super::tally::{Acc, OverheadAcc, Tally};
use super::{AiSeen, Curves, Inputs, Overhead, Report, Scenario, TelegramFigures, Upstream, mean};

pub(super) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000, 3).expect("static bounds")
}

pub(super) fn ms(d: Duration) -> u64 {
    d.as_millis().max(1) as u64
}

fn endpoint_name(ep: Endpoint) -> &'static str {
    match ep {
        Endpoint::Chat => "chat",
        Endpoint::Transcription => "stt",
        Endpoint::Speech => "tts",
    }
}

/// `p` of a histogram, 0 when it is empty.
fn quantile(h: &Histogram<u64>, p: f64) -> u64 {
    if h.is_empty() { 0 } else { h.value_at_quantile(p) }
}

impl Report {
    pub fn build(opts: &Options, inp: Inputs) -> Report {
        let mut t = Tally::default();
        let onboarded = t.onboarding(opts, &inp.outcomes);
        for o in &inp.outcomes {
            t.learner(o, &inp);
        }
        t.database(&inp);
        t.repeated_requests(&inp);
        t.faults_and_events(&inp);
        let secs = inp.elapsed.as_secs_f64().max(1e-9);
        let mut curves = Curves::default();
        let scenarios = scenarios(std::mem::take(&mut t.scen), secs, &mut t.errors, &mut curves);
        let overhead = overheads(std::mem::take(&mut t.over), &mut curves);
        let turns = t.answered + t.noticed;
        let per_turn = |v: f64| mean(v, turns);
        let upstream = upstream(&inp.ai, mean(t.bot_upstream_sum, t.bot_upstream_n), turns);
        let telegram = telegram(&inp, &t);
        let length = match opts.duration {
            Some(d) => format!("{} s", d.as_secs_f64()),
            None => format!("{} actions per learner", opts.turns),
        };
        let c = &inp.ai.consumption;
        Report {
            users: opts.users,
            onboarded,
            length,
            seconds: secs,
            turns_answered: t.answered,
            turns_with_notice: t.noticed,
            turns_per_second: t.answered as f64 / secs,
            scenarios,
            errors: t.errors,
            overhead,
            upstream,
            telegram_429s: telegram.throttled_429,
            telegram_sends: telegram.rate.sends as usize,
            telegram,
            faults_injected: inp.injected,
            bot_cpu_ms_per_turn: per_turn(inp.bot.cpu_seconds * 1000.0),
            generator_cpu_seconds: inp.generator_cpu_seconds,
            generator_cpu_ms_per_turn: per_turn(inp.generator_cpu_seconds * 1000.0),
            bot: inp.bot,
            prompt_tokens_per_turn: per_turn(c.prompt_tokens as f64),
            completion_tokens_per_turn: per_turn(c.completion_tokens as f64),
            cost_usd_per_turn: per_turn(c.usd()),
            openai: inp.ai.consumption,
            reliability: t.rel,
            violations: t.violations,
            curves,
        }
    }
}

/// Per scenario: its end-to-end latencies and errors (added to `errors`), and its curve.
fn scenarios(
    scen: BTreeMap<Action, Acc>,
    secs: f64,
    errors: &mut BTreeMap<String, u64>,
    curves: &mut Curves,
) -> BTreeMap<String, Scenario> {
    let mut scenarios = BTreeMap::new();
    for (action, acc) in scen {
        for (k, n) in &acc.errors {
            *errors.entry(k.clone()).or_default() += n;
        }
        let h = acc.hist.unwrap_or_else(histogram);
        curves.end_to_end.push((action.name().to_owned(), chart::curve(&h)));
        scenarios.insert(
            action.name().to_owned(),
            Scenario {
                actions: h.len(),
                per_second: h.len() as f64 / secs,
                p50_ms: quantile(&h, 0.5),
                p95_ms: quantile(&h, 0.95),
                p99_ms: quantile(&h, 0.99),
                max_ms: h.max(),
                mean_ms: mean(acc.sum_ms, h.len()),
                messages_per_action: mean(acc.messages as f64, h.len()),
                errors: acc.errors,
            },
        );
    }
    scenarios
}

/// Per turn kind: the bot's overhead, and its curve.
fn overheads(
    over: BTreeMap<&'static str, OverheadAcc>,
    curves: &mut Curves,
) -> BTreeMap<String, Overhead> {
    let mut overhead = BTreeMap::new();
    for (name, ov) in over {
        let h = ov.hist.unwrap_or_else(histogram);
        let n = h.len();
        curves.overhead.push((name.to_owned(), chart::curve(&h)));
        overhead.insert(
            name.to_owned(),
            Overhead {
                turns: n,
                p50_ms: quantile(&h, 0.5),
                p95_ms: quantile(&h, 0.95),
                p99_ms: quantile(&h, 0.99),
                max_ms: h.max(),
                mean_ms: mean(ov.sum, n),
                upstream_ms_mean: mean(ov.upstream, n),
                before_handler_ms_mean: mean(ov.before, n),
                download_ms_mean: mean(ov.download, n),
                send_ms_mean: mean(ov.send, n),
                end_to_end_ms_mean: mean(ov.e2e, n),
                stages_ms_mean: mean(ov.stages, n),
                unmatched: ov.unmatched,
            },
        );
    }
    overhead
}

/// The upstream time per turn as the bot timed it, against the latency the emulator slept.
fn upstream(ai: &AiSeen, bot_timed_ms_per_turn: f64, turns: u64) -> Upstream {
    let mut upstream = Upstream { bot_timed_ms_per_turn, ..Default::default() };
    let mut emulated_total = 0.0;
    for (ep, n, total) in &ai.latency {
        let per_request = mean(total.as_secs_f64() * 1000.0, *n);
        let serving_turns = if *ep == Endpoint::Chat {
            n.saturating_sub(ai.consumption.summary_requests)
        } else {
            *n
        };
        emulated_total += per_request * serving_turns as f64;
        upstream.emulated_ms_per_request.insert(endpoint_name(*ep).into(), per_request);
        upstream.requests.insert(endpoint_name(*ep).into(), *n);
    }
    upstream.emulated_ms_per_turn = mean(emulated_total, turns);
    upstream
}

/// Telegram's side: the send rate, 429s, messages per turn and how fairly chats were served.
fn telegram(inp: &Inputs, t: &Tally) -> TelegramFigures {
    let overall = t.chats.values().fold((0.0, 0u64), |a, c| (a.0 + c.0, a.1 + c.1));
    let overall_mean = mean(overall.0, overall.1);
    let worst = t
        .chats
        .iter()
        .map(|(id, (sum, n))| (*id, mean(*sum, *n)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    TelegramFigures {
        rate: inp.sends.rate(),
        send_calls: inp.tg.send_calls,
        throttled_429: inp.tg.throttled_429,
        injected_429: inp.injected.get("telegram_429").copied().unwrap_or(0),
        injected_5xx: inp.injected.get("telegram_5xx").copied().unwrap_or(0),
        messages_per_turn: mean(t.answered_messages as f64, t.answered),
        fairness: worst
            .map_or(0.0, |(_, m)| if overall_mean > 0.0 { m / overall_mean } else { 1.0 }),
        worst_chat: worst.map(|(id, _)| id),
        webhook_deliveries: inp.tg.webhook_deliveries.clone(),
    }
}
