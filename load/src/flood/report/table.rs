//! [`Report::table`]: the summary printed at the end of a run.

use std::fmt::Write as _;

use super::{Report, mean};

impl Report {
    /// The summary table printed at the end of a run.
    pub fn table(&self) -> String {
        let mut s = String::new();
        self.headline(&mut s);
        self.overhead(&mut s);
        self.upstream_and_telegram(&mut s);
        self.openai(&mut s);
        self.reliability(&mut s);
        self.verdict(&mut s);
        s
    }

    /// The run in one line, and each scenario's end-to-end latency.
    fn headline(&self, s: &mut String) {
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
    }

    /// The bot's own time per answered turn: end-to-end minus upstream.
    fn overhead(&self, s: &mut String) {
        s.push_str("overhead     turns   p50 ms   p95 ms   p99 ms   max ms   mean ms  (upstream, before handler, download, send: means ms; end-to-end vs the stages' sum)\n");
        for (name, o) in &self.overhead {
            let _ = writeln!(
                s,
                "{name:<11} {:>6} {:>8} {:>8} {:>8} {:>8} {:>9.1}  ({:.0}, {:.0}, {:.0}, {:.0}; {:.0} vs {:.0}){}",
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
                o.end_to_end_ms_mean,
                o.stages_ms_mean,
                if o.unmatched > 0 {
                    format!("; {} answered turns without timings", o.unmatched)
                } else {
                    String::new()
                }
            );
        }
    }

    /// Upstream time per turn, and Telegram's side: send rate, 429s, fairness, webhook deliveries.
    fn upstream_and_telegram(&self, s: &mut String) {
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
    }

    /// Tokens and cost per turn, and the faults injected.
    fn openai(&self, s: &mut String) {
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
    }

    /// Turns lost or duplicated, kills, the outage, repeated upstream calls, the bot's inbox.
    fn reliability(&self, s: &mut String) {
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
    }

    /// The bot's resources, and the correctness verdict.
    fn verdict(&self, s: &mut String) {
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
        let _ = writeln!(
            s,
            "generator beside it (emulators and learners): CPU {:.1} s ({:.1} ms per turn)",
            self.generator_cpu_seconds, self.generator_cpu_ms_per_turn
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
    }

    fn per_turn(&self, v: f64) -> f64 {
        mean(v, self.turns_answered + self.turns_with_notice)
    }
}
