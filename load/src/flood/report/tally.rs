//! [`Tally`]: what one pass over every learner's records accumulates — the scenarios' timings,
//! the bot's overhead per turn, what was answered and stored, and every violation found.

use std::collections::{BTreeMap, HashMap};

use hdrhistogram::Histogram;

use super::super::learner::{Outcome, Record};
use super::super::options::Options;
use super::super::script::Action;
use super::super::timings::TurnTiming;
use super::build::{histogram, ms};
use super::{Inputs, Reliability, mean};

/// Accumulates one scenario.
#[derive(Default)]
pub(super) struct Acc {
    pub(super) hist: Option<Histogram<u64>>,
    pub(super) sum_ms: f64,
    pub(super) messages: u64,
    pub(super) errors: BTreeMap<String, u64>,
}

impl Acc {
    pub(super) fn time(&mut self, r: &Record) {
        if let Some(l) = r.latency() {
            let _ = self.hist.get_or_insert_with(histogram).record(ms(l));
            self.sum_ms += ms(l) as f64;
            self.messages += r.replies.len() as u64;
        }
    }
    pub(super) fn error(&mut self, kind: &str) {
        *self.errors.entry(kind.to_owned()).or_default() += 1;
    }
}

#[derive(Default)]
pub(super) struct OverheadAcc {
    pub(super) hist: Option<Histogram<u64>>,
    pub(super) sum: f64,
    pub(super) upstream: f64,
    pub(super) before: f64,
    pub(super) download: f64,
    pub(super) send: f64,
    /// End-to-end, and the sum of the bot's timed stages (download, STT, chat, TTS, send).
    pub(super) e2e: f64,
    pub(super) stages: f64,
    pub(super) unmatched: u64,
}

/// What one pass over every learner's records accumulates.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) violations: Vec<String>,
    pub(super) errors: BTreeMap<String, u64>,
    pub(super) scen: BTreeMap<Action, Acc>,
    pub(super) over: BTreeMap<&'static str, OverheadAcc>,
    pub(super) answered: u64,
    pub(super) noticed: u64,
    pub(super) rel: Reliability,
    pub(super) answered_messages: u64,
    pub(super) bot_upstream_sum: f64,
    pub(super) bot_upstream_n: u64,
    /// Per chat: (sum of turn latencies, turns).
    pub(super) chats: HashMap<i64, (f64, u64)>,
    /// Turns played inside `/scene` actions (one each): answered and stored like any turn, but
    /// part of their action's messages.
    pub(super) scene_turns: u64,
    /// Voice notes transcribed inside `/shadow` actions (one each): paid, not turns.
    pub(super) shadow_notes: u64,
}

impl Tally {
    /// Learners who finished onboarding; a violation for those who could not.
    pub(super) fn onboarding(&mut self, opts: &Options, outcomes: &[Outcome]) -> usize {
        let onboarded = outcomes.iter().filter(|o| o.onboarded).count();
        if onboarded < opts.users {
            self.violations.push(format!(
                "{} of {} learners could not finish onboarding",
                opts.users - onboarded,
                opts.users
            ));
        }
        onboarded
    }

    /// One learner: onboarding's timing, replies out of order, then every action.
    pub(super) fn learner(&mut self, o: &Outcome, inp: &Inputs) {
        let acc = self.scen.entry(Action::Onboarding).or_default();
        if let Some(r) = &o.onboarding {
            acc.time(r);
        }
        if !o.onboarded {
            acc.error("onboarding_stalled");
        }
        if o.out_of_order > 0 {
            self.violations.push(format!(
                "learner {}: {} replies arrived out of order",
                o.user, o.out_of_order
            ));
            *self.errors.entry("out_of_order".into()).or_default() += o.out_of_order as u64;
        }
        for r in &o.records {
            self.scen.entry(r.action).or_default().time(r);
            if r.action == Action::Scene && !r.replies.is_empty() {
                self.scene_turns += 1;
            }
            // A shadowing round played through transcribed its one voice note.
            if r.action == Action::Shadow && !r.replies.is_empty() {
                self.shadow_notes += 1;
            }
            if r.action.is_turn() {
                self.turn(o.user, r, inp);
            } else if r.replies.is_empty() {
                self.violations.push(format!(
                    "learner {}: {} got no reply",
                    o.user,
                    r.action.name()
                ));
                self.error(r.action, "no_reply");
            }
        }
    }

    fn error(&mut self, action: Action, kind: &str) {
        self.scen.entry(action).or_default().error(kind);
    }

    /// One voice or text turn: copies, what the database holds, answered or not, its timings.
    fn turn(&mut self, user: i64, r: &Record, inp: &Inputs) {
        let row = inp.db.turns.get(&r.update_id).filter(|t| t.chat_id == user);
        let db_answered = row.is_some_and(|t| t.outcome == "answered");
        self.rel.turns_sent += 1;
        if r.action == Action::Voice {
            self.rel.voice_turns += 1;
        }
        let crash_copies = self.copies(user, r, inp);
        self.stored(user, r, row, db_answered, inp);
        let is_answered = self.answered(user, r, row, db_answered, crash_copies);
        if r.told_to_wait {
            if is_answered {
                self.rel.told_to_wait_then_answered += 1;
            } else {
                self.rel.told_to_wait_unanswered += 1;
            }
        }
        if let Some(l) = r.latency() {
            let c = self.chats.entry(user).or_default();
            c.0 += ms(l) as f64;
            c.1 += 1;
        }
        if !is_answered {
            return;
        }
        self.answered += 1;
        self.answered_messages += r.replies.len() as u64;
        if let Some(t) = row.filter(|t| t.outcome != "answered") {
            self.error(r.action, &format!("db:{}", t.outcome));
        }
        self.overhead(r, row);
    }

    /// Reply messages sent more than once: allowed up to one per kill that caught the turn under
    /// way (true then), a duplicate otherwise.
    fn copies(&mut self, user: i64, r: &Record, inp: &Inputs) -> bool {
        let in_flight = inp.events.kills.iter().filter(|k| r.in_flight_at(k.at)).count();
        if in_flight > 0 {
            self.rel.turns_in_flight_at_kills += 1;
            if r.action == Action::Voice {
                self.rel.voice_turns_in_flight_at_kills += 1;
            }
        }
        let copies = r.copies.max(r.voices().saturating_sub(1));
        let crash_copies = copies <= in_flight;
        if copies > 0 && crash_copies {
            self.rel.crash_duplicates += copies as u64;
            self.error(r.action, "crash_duplicate");
        } else if copies > 0 {
            self.rel.duplicates += copies as u64;
            self.error(r.action, "duplicated");
            if r.voices() <= 1 {
                self.violations.push(format!(
                    "learner {user}: turn {}: {copies} reply messages sent twice",
                    r.message_id
                ));
            }
        }
        crash_copies
    }

    /// The learner's message, the turn's row and (when answered) Honzík's answer are stored.
    fn stored(
        &mut self,
        user: i64,
        r: &Record,
        row: Option<&TurnTiming>,
        db_answered: bool,
        inp: &Inputs,
    ) {
        if !inp.db.learner_messages.contains(&r.update_id) {
            self.violations.push(format!(
                "learner {user}: turn {}: the learner's message is not in the database",
                r.message_id
            ));
        }
        if row.is_none() {
            self.violations.push(format!(
                "learner {user}: turn {} (update {}{}): no row in the turns table (the turn never finished)",
                r.message_id,
                r.update_id,
                if r.told_to_wait { ", told to wait" } else { "" }
            ));
        }
        if db_answered && !inp.db.honzik_messages.contains(&r.update_id) {
            self.violations.push(format!(
                "learner {user}: turn {}: answered, but Honzík's answer is not stored",
                r.message_id
            ));
        }
    }

    /// Whether the learner got the turn's answer: one voice, or text only when the bot says the
    /// voice failed; lost, a notice or answered twice otherwise.
    fn answered(
        &mut self,
        user: i64,
        r: &Record,
        row: Option<&TurnTiming>,
        db_answered: bool,
        crash_copies: bool,
    ) -> bool {
        match (r.voices(), r.replies.len()) {
            (1, _) => true,
            (0, 0) => {
                self.violations
                    .push(format!("learner {user}: turn {} was lost (no reply)", r.message_id));
                self.error(r.action, "lost");
                self.rel.lost += 1;
                false
            }
            // Text only: a notice, or an answer whose voice failed (the bot says which).
            (0, _) if db_answered => {
                self.error(r.action, "answered_without_voice");
                true
            }
            (0, _) => {
                self.noticed += 1;
                self.error(r.action, row.map_or("notice", |t| t.outcome.as_str()));
                false
            }
            // The voice sent again after a kill caught it going out.
            (_, _) if crash_copies => true,
            (n, _) => {
                self.violations
                    .push(format!("learner {user}: turn {} answered {n} times", r.message_id));
                false
            }
        }
    }

    /// An answered turn's overhead: end-to-end minus the upstream time the bot timed.
    fn overhead(&mut self, r: &Record, row: Option<&TurnTiming>) {
        let ov = self.over.entry(r.action.name()).or_default();
        let (Some(t), Some(l)) = (row, r.latency()) else {
            ov.unmatched += 1;
            return;
        };
        let e2e = ms(l);
        let Some(overhead) = t.overhead_ms(e2e) else {
            ov.unmatched += 1;
            return;
        };
        let upstream = t.upstream_ms().unwrap_or(0);
        let _ = ov.hist.get_or_insert_with(histogram).record(overhead.max(1));
        ov.sum += overhead as f64;
        ov.upstream += upstream as f64;
        ov.before += e2e.saturating_sub(t.total_ms.unwrap_or(0)) as f64;
        ov.download += t.download_ms.unwrap_or(0) as f64;
        ov.send += t.send_ms.unwrap_or(0) as f64;
        ov.e2e += e2e as f64;
        ov.stages += (upstream + t.download_ms.unwrap_or(0) + t.send_ms.unwrap_or(0)) as f64;
        self.bot_upstream_sum += upstream as f64;
        self.bot_upstream_n += 1;
    }

    /// The database agrees with what the learners saw, and nothing is left pending.
    pub(super) fn database(&mut self, inp: &Inputs) {
        let seen = self.answered + self.scene_turns;
        if inp.db.answered != seen as i64 {
            self.violations.push(format!(
                "the database records {} answered turns, the learners saw {seen}",
                inp.db.answered
            ));
        }
        let pending = inp.db.inbox.get("pending").copied().unwrap_or(0);
        if pending > 0 {
            self.violations.push(format!("{pending} updates are still pending in the bot's inbox"));
        }
        self.rel.inbox = inp.db.inbox.iter().map(|(k, v)| (k.clone(), *v)).collect();
    }

    /// Requests beyond one per turn (transcriptions: per voice turn and shadowing voice note) and one per injected fault
    /// on the endpoint repeat a step already done, unless a kill caught the turn before the
    /// step's result was stored. Checked only when no faults went to the endpoint (a fault may
    /// cost more than one extra request: a contract retry, an escalation).
    pub(super) fn repeated_requests(&mut self, inp: &Inputs) {
        let faults_on = |ep: &str| -> u64 {
            inp.injected
                .iter()
                .filter(|(k, _)| k.starts_with("openai_") && k.ends_with(ep))
                .map(|(_, n)| n)
                .sum()
        };
        let (c, kills, rel) = (&inp.ai.consumption, &inp.events.kills, &mut self.rel);
        rel.stt_requests = c.stt_requests;
        rel.stt_repeated = rel.stt_requests as i64
            - faults_on("_stt") as i64
            - rel.voice_turns as i64
            - self.shadow_notes as i64;
        rel.chat_turn_requests = c.chat_requests.saturating_sub(c.summary_requests);
        rel.chat_repeated = rel.chat_turn_requests as i64
            - faults_on("_chat") as i64
            - (rel.turns_sent + self.scene_turns) as i64;
        rel.stt_in_flight_at_kills = kills.iter().map(|k| k.stt_in_flight).sum();
        rel.chat_in_flight_at_kills = kills.iter().map(|k| k.chat_in_flight).sum();
        rel.tts_in_flight_at_kills = kills.iter().map(|k| k.tts_in_flight).sum();
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
                self.violations.push(format!(
                    "{repeated} {name} repeated, more than the {allowed} turns in flight at a kill"
                ));
            }
        }
    }

    /// What the generator did to the bot (kills, the outage, injected faults) and whether it
    /// kept up with the events.
    pub(super) fn faults_and_events(&mut self, inp: &Inputs) {
        let rel = &mut self.rel;
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
            self.violations
                .push(format!("the generator missed {} events (it could not keep up)", inp.lagged));
            self.errors.insert("generator_lagged".into(), inp.lagged);
        }
    }
}
