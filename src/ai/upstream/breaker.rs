//! Pure: a circuit breaker on explicit instants.
//!
//! Closed → open after `threshold` consecutive requests that failed like an outage (after their
//! retries). While open every request is refused at once. Once the cooldown has passed the next
//! request is let through as the one probe (half-open) while others wait for its verdict: success
//! closes the circuit, failure opens it for another cooldown. A probe abandoned midway (its caller
//! went away) leaves the circuit open with the cooldown over, so the next request probes again.
//!
//! A failure may name its source (the learner whose input the request carried): one source counts
//! once per streak of failures, and a probe that fails on the input of a learner whose failures
//! opened the circuit is treated as abandoned. One learner's audio that makes the service time
//! out — however often they send it — cannot open the circuit for everyone, nor keep it open.

use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen,
}

/// Whether a request may go now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Closed: go, and report how the request ended.
    Go,
    /// The cooldown is over and this request is the probe: its result decides.
    Probe,
    /// Open: refuse without a request.
    Refuse { until: Instant },
    /// Another request is probing: wait for its verdict.
    Wait,
}

/// A change worth logging and publishing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Closed → open after this many consecutive failures.
    Opened { failures: u32 },
    /// Open → half-open: a probe goes out.
    Probing,
    /// The probe failed: open for another cooldown.
    Reopened,
    /// The probe succeeded: closed.
    Closed,
}

#[derive(Clone, Debug)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    state: State,
    /// Sources of the failures counted in the current closed streak.
    streak: Vec<i64>,
    /// Sources of the streak that opened the circuit.
    opened_by: Vec<i64>,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Breaker {
            threshold: threshold.max(1),
            cooldown,
            state: State::Closed { failures: 0 },
            streak: Vec::new(),
            opened_by: Vec::new(),
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn admit(&mut self, now: Instant) -> (Admission, Option<Transition>) {
        match self.state {
            State::Closed { .. } => (Admission::Go, None),
            State::Open { until } if now < until => (Admission::Refuse { until }, None),
            State::Open { .. } => {
                self.state = State::HalfOpen;
                (Admission::Probe, Some(Transition::Probing))
            }
            State::HalfOpen => (Admission::Wait, None),
        }
    }

    /// How an admitted request ended: `failed` when it failed like an outage (after retries).
    /// Results of requests admitted before the circuit opened (`probe` false while it is open or
    /// half-open) change nothing.
    pub fn record(&mut self, now: Instant, probe: bool, failed: bool) -> Option<Transition> {
        self.record_from(now, probe, failed, None)
    }

    /// [`Breaker::record`] for a request that carried `source`'s input (see the module doc).
    pub fn record_from(
        &mut self,
        now: Instant,
        probe: bool,
        failed: bool,
        source: Option<i64>,
    ) -> Option<Transition> {
        match (self.state, probe) {
            (State::Closed { failures }, false) => {
                if !failed {
                    self.state = State::Closed { failures: 0 };
                    self.streak.clear();
                    return None;
                }
                if let Some(source) = source {
                    if self.streak.contains(&source) {
                        return None; // this learner's failures count once
                    }
                    self.streak.push(source);
                }
                let failures = failures + 1;
                if failures >= self.threshold {
                    self.state = State::Open { until: now + self.cooldown };
                    self.opened_by = std::mem::take(&mut self.streak);
                    Some(Transition::Opened { failures })
                } else {
                    self.state = State::Closed { failures };
                    None
                }
            }
            (State::HalfOpen, true)
                if failed && source.is_some_and(|s| self.opened_by.contains(&s)) =>
            {
                self.abandon_probe(now);
                None
            }
            (State::HalfOpen, true) if failed => {
                self.state = State::Open { until: now + self.cooldown };
                Some(Transition::Reopened)
            }
            (State::HalfOpen, true) => {
                self.state = State::Closed { failures: 0 };
                self.opened_by.clear();
                Some(Transition::Closed)
            }
            _ => None,
        }
    }

    /// The probe's caller went away before it had a result.
    pub fn abandon_probe(&mut self, now: Instant) {
        if self.state == State::HalfOpen {
            self.state = State::Open { until: now };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COOL: Duration = Duration::from_secs(30);
    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn opens_after_consecutive_failures_only() {
        let t = Instant::now();
        let mut b = Breaker::new(3, COOL);
        assert_eq!(b.record(t, false, true), None);
        assert_eq!(b.record(t, false, true), None);
        assert_eq!(b.record(t, false, false), None, "a success resets the count");
        assert_eq!(b.record(t, false, true), None);
        assert_eq!(b.record(t, false, true), None);
        assert_eq!(b.admit(t).0, Admission::Go);
        assert_eq!(b.record(t + s(1), false, true), Some(Transition::Opened { failures: 3 }));
        assert_eq!(b.state(), State::Open { until: t + s(31) });
    }

    #[test]
    fn an_open_circuit_refuses_until_the_cooldown_then_lets_one_probe_through() {
        let t = Instant::now();
        let mut b = Breaker::new(1, COOL);
        b.record(t, false, true);
        assert_eq!(b.admit(t + s(29)), (Admission::Refuse { until: t + s(30) }, None));
        assert_eq!(b.admit(t + s(30)), (Admission::Probe, Some(Transition::Probing)));
        assert_eq!(b.admit(t + s(30)), (Admission::Wait, None), "one probe at a time");
        assert_eq!(b.admit(t + s(90)), (Admission::Wait, None));
    }

    #[test]
    fn a_successful_probe_closes_and_a_failed_one_reopens() {
        let t = Instant::now();
        let mut b = Breaker::new(1, COOL);
        b.record(t, false, true);
        b.admit(t + s(30));
        assert_eq!(b.record(t + s(31), true, true), Some(Transition::Reopened));
        assert_eq!(b.admit(t + s(60)), (Admission::Refuse { until: t + s(61) }, None));
        assert_eq!(b.admit(t + s(61)).0, Admission::Probe);
        assert_eq!(b.record(t + s(62), true, false), Some(Transition::Closed));
        assert_eq!(b.state(), State::Closed { failures: 0 });
        assert_eq!(b.admit(t + s(62)).0, Admission::Go);
    }

    #[test]
    fn late_results_of_requests_from_before_the_opening_change_nothing() {
        let t = Instant::now();
        let mut b = Breaker::new(1, COOL);
        b.record(t, false, true);
        assert_eq!(b.record(t + s(1), false, false), None);
        assert_eq!(b.record(t + s(1), false, true), None);
        assert_eq!(b.state(), State::Open { until: t + s(30) });
        b.admit(t + s(30));
        assert_eq!(b.record(t + s(31), false, false), None, "only the probe decides");
        assert_eq!(b.state(), State::HalfOpen);
    }

    #[test]
    fn an_abandoned_probe_lets_the_next_request_probe() {
        let t = Instant::now();
        let mut b = Breaker::new(1, COOL);
        b.record(t, false, true);
        b.admit(t + s(30));
        b.abandon_probe(t + s(35));
        assert_eq!(b.admit(t + s(35)), (Admission::Probe, Some(Transition::Probing)));
    }

    #[test]
    fn one_sources_failures_count_once_however_many_there_are() {
        let t = Instant::now();
        let mut b = Breaker::new(2, COOL);
        for _ in 0..10 {
            assert_eq!(b.record_from(t, false, true, Some(7)), None);
        }
        assert_eq!(b.state(), State::Closed { failures: 1 });
        assert_eq!(
            b.record_from(t, false, true, Some(8)),
            Some(Transition::Opened { failures: 2 }),
            "a second learner's failure is a second failure"
        );
    }

    #[test]
    fn a_success_starts_a_new_streak_where_the_same_source_counts_again() {
        let t = Instant::now();
        let mut b = Breaker::new(2, COOL);
        b.record_from(t, false, true, Some(7));
        b.record_from(t, false, false, Some(9));
        assert_eq!(b.state(), State::Closed { failures: 0 });
        b.record_from(t, false, true, Some(7));
        assert_eq!(b.state(), State::Closed { failures: 1 });
        assert_eq!(b.record(t, false, true), Some(Transition::Opened { failures: 2 }));
    }

    #[test]
    fn a_probe_failing_on_the_input_of_one_who_opened_the_circuit_lets_the_next_request_probe() {
        let t = Instant::now();
        let mut b = Breaker::new(2, COOL);
        b.record_from(t, false, true, Some(7));
        b.record_from(t, false, true, Some(8));
        assert_eq!(b.admit(t + s(30)).0, Admission::Probe);
        assert_eq!(b.record_from(t + s(31), true, true, Some(7)), None, "not a verdict");
        assert_eq!(b.admit(t + s(31)).0, Admission::Probe, "someone else probes at once");
        assert_eq!(b.record_from(t + s(32), true, true, Some(9)), Some(Transition::Reopened));
    }

    #[test]
    fn a_zero_threshold_means_one() {
        let t = Instant::now();
        let mut b = Breaker::new(0, COOL);
        assert_eq!(b.record(t, false, false), None);
        assert_eq!(b.record(t, false, true), Some(Transition::Opened { failures: 1 }));
    }
}
