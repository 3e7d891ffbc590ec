//! The figures of a flood, the correctness verdict, the summary table and the JSON report.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::learner::{Action, Outcome};
use super::options::Options;
use super::process::Usage;
use crate::openai::{Endpoint, OpenAiEmulator};
use crate::telegram::TelegramEmulator;

/// The live progress bar (a no-op when disabled).
#[derive(Clone)]
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    pub fn new(opts: &Options) -> Progress {
        if !opts.progress {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new((opts.users * opts.turns) as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} actions · {per_sec} · {msg}")
                .expect("static template")
                .progress_chars("=> "),
        );
        Progress(Some(bar))
    }

    pub fn action_done(&self, rec: &super::learner::Record) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
            if let Some(l) = rec.latency() {
                bar.set_message(format!("last {} {} ms", rec.action.name(), l.as_millis()));
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish();
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Scenario {
    pub actions: u64,
    pub per_second: f64,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub p99_ms: u64,
    pub max_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub users: usize,
    pub onboarded: usize,
    pub seconds: f64,
    pub turns_answered: u64,
    pub turns_with_notice: u64,
    pub turns_per_second: f64,
    pub scenarios: BTreeMap<String, Scenario>,
    pub bot: Usage,
    pub bot_cpu_ms_per_turn: f64,
    pub prompt_tokens_per_turn: f64,
    pub telegram_429s: usize,
    pub telegram_sends: usize,
    /// Everything that broke a promise: lost or duplicated answers, out-of-order replies, a
    /// database that disagrees with what was answered. Empty on a good run.
    pub violations: Vec<String>,
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    pub fn build(opts: &Options, outcomes: Vec<Outcome>, elapsed: Duration, bot: Usage, answered_in_db: i64, lagged: u64, tg: &TelegramEmulator, ai: &OpenAiEmulator) -> Report {
        let mut violations = Vec::new();
        let mut hists: BTreeMap<&str, Histogram<u64>> = BTreeMap::new();
        let (mut answered, mut noticed) = (0u64, 0u64);
        let onboarded = outcomes.iter().filter(|o| o.onboarded).count();
        if onboarded < opts.users {
            violations.push(format!("{} of {} learners could not finish onboarding", opts.users - onboarded, opts.users));
        }
        for o in &outcomes {
            if o.out_of_order > 0 {
                violations.push(format!("learner {}: {} replies arrived out of order", o.user, o.out_of_order));
            }
            for r in &o.records {
                let h = hists.entry(r.action.name()).or_insert_with(|| Histogram::new_with_bounds(1, 3_600_000, 3).expect("static bounds"));
                if let Some(l) = r.latency() {
                    let _ = h.record(l.as_millis().max(1) as u64);
                }
                if !r.action.is_turn() {
                    if r.replies.is_empty() {
                        violations.push(format!("learner {}: {} got no reply", o.user, r.action.name()));
                    }
                    continue;
                }
                match (r.voices(), r.replies.len()) {
                    (1, _) => answered += 1,
                    (0, 0) => violations.push(format!("learner {}: turn {} was lost (no reply)", o.user, r.message_id)),
                    (0, _) => noticed += 1,
                    (n, _) => violations.push(format!("learner {}: turn {} answered {n} times", o.user, r.message_id)),
                }
            }
        }
        if answered_in_db != answered as i64 {
            violations.push(format!("the database records {answered_in_db} answered turns, the learners saw {answered}"));
        }
        if lagged > 0 {
            violations.push(format!("the generator missed {lagged} events (it could not keep up)"));
        }
        let secs = elapsed.as_secs_f64().max(1e-9);
        let scenarios = hists
            .into_iter()
            .map(|(name, h)| {
                let q = |p: f64| h.value_at_quantile(p);
                (name.to_owned(), Scenario { actions: h.len(), per_second: h.len() as f64 / secs, p50_ms: q(0.5), p95_ms: q(0.95), p99_ms: q(0.99), max_ms: h.max() })
            })
            .collect();
        let chat_prompt: u64 = ai.requests().iter().filter(|r| r.endpoint == Endpoint::Chat).map(|r| r.prompt_tokens as u64).sum();
        let turns = (answered + noticed).max(1) as f64;
        let tg_429 = tg.rejected().iter().filter(|r| r.error_code == 429).count();
        let sends = ["sendMessage", "sendVoice", "sendPhoto", "sendDocument"].iter().map(|m| tg.calls(m)).sum();
        let _ = Action::Voice;
        Report {
            users: opts.users,
            onboarded,
            seconds: secs,
            turns_answered: answered,
            turns_with_notice: noticed,
            turns_per_second: answered as f64 / secs,
            scenarios,
            bot_cpu_ms_per_turn: bot.cpu_seconds * 1000.0 / turns,
            bot,
            prompt_tokens_per_turn: chat_prompt as f64 / turns,
            telegram_429s: tg_429,
            telegram_sends: sends,
            violations,
        }
    }

    /// The summary table printed at the end of a run.
    pub fn table(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "{} learners ({} onboarded), {:.1} s: {} turns answered ({:.1}/s), {} with a notice\n",
            self.users, self.onboarded, self.seconds, self.turns_answered, self.turns_per_second, self.turns_with_notice
        ));
        s.push_str("scenario   actions   per s     p50 ms   p95 ms   p99 ms   max ms\n");
        for (name, sc) in &self.scenarios {
            s.push_str(&format!(
                "{name:<10} {:>7} {:>7.1} {:>10} {:>8} {:>8} {:>8}\n",
                sc.actions, sc.per_second, sc.p50_ms, sc.p95_ms, sc.p99_ms, sc.max_ms
            ));
        }
        s.push_str(&format!(
            "bot: peak RSS {:.0} MiB, CPU {:.1} s ({:.1} ms per turn); prompt tokens per turn {:.0}; Telegram sends {}, 429s {}\n",
            self.bot.peak_rss_mib, self.bot.cpu_seconds, self.bot_cpu_ms_per_turn, self.prompt_tokens_per_turn, self.telegram_sends, self.telegram_429s
        ));
        if self.violations.is_empty() {
            s.push_str("correctness: every turn answered exactly once, in order; database agrees\n");
        } else {
            s.push_str(&format!("VIOLATIONS ({}):\n", self.violations.len()));
            for v in self.violations.iter().take(20) {
                s.push_str(&format!("  - {v}\n"));
            }
        }
        s
    }
}
