//! Fault injection at steady rates, through the emulators' `fail_next` hooks, with a count of
//! what was injected.
//!
//! A queued fault fires on the next matching request. Faults are never queued behind unmet ones:
//! while a method's (or endpoint's) earlier faults wait for requests, none is added and its
//! rates do not accrue. Otherwise a bot that slows down (waiting out a 429, an open circuit)
//! would meet an ever longer backlog, every request failing. The rates are therefore upper
//! bounds; the counts say what was injected (a few may still be queued when the run ends).
//!
//! Still, as traffic tapers off at the end of a flood, a per-second rate meets every one of the
//! few requests left (a circuit breaker's probes, say) and the upstream looks dead for good. With
//! `min_calls_between` (`--min-calls-between-faults N`), at least N calls go through unfaulted
//! between two faults on one target, so at most 1/(N+1) of its calls fail at any traffic.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use emulators::openai::{AiFault, Endpoint, OpenAiEmulator};
use emulators::telegram::{TelegramEmulator, TgFault};
use parking_lot::Mutex;

use super::options::Faults;

/// Faults injected so far, by kind (`telegram_429`, `openai_5xx_chat`, …).
pub type Injected = Arc<Mutex<BTreeMap<String, u64>>>;

/// One target's queue of injected faults, tracked from the target's call count: the faults are
/// all met once the count reaches `drained_at` (each call takes the next queued fault). With a
/// `spacing`, the queue only opens again after that many more calls went through unfaulted.
#[derive(Default)]
pub struct Queue {
    drained_at: usize,
    spacing: usize,
}

impl Queue {
    pub fn spaced(spacing: usize) -> Queue {
        Queue { drained_at: 0, spacing }
    }

    /// Whether a fault may be queued: the earlier ones met, and `spacing` calls since.
    pub fn is_open(&self, calls: usize) -> bool {
        calls >= self.drained_at + self.spacing
    }

    pub fn push(&mut self, calls: usize, n: usize) {
        self.drained_at = self.drained_at.max(calls) + n;
    }
}

/// One fault kind's accumulator: how many are due after `dt` more seconds at `rate` per second.
#[derive(Default)]
pub struct Due {
    acc: f64,
}

impl Due {
    pub fn advance(&mut self, rate: f64, dt: f64) -> u64 {
        self.acc += rate * dt;
        // The epsilon keeps 20 × 0.05 from summing to 0.999….
        let n = (self.acc + 1e-9).floor();
        self.acc -= n;
        n as u64
    }
}

fn endpoint_name(ep: Endpoint) -> &'static str {
    match ep {
        Endpoint::Chat => "chat",
        Endpoint::Transcription => "stt",
        Endpoint::Speech => "tts",
    }
}

/// Injects faults at the configured rates until aborted. Telegram faults go to the configured
/// methods in turn, OpenAI faults to the configured endpoints in turn.
pub async fn inject(
    faults: Faults,
    tg: Arc<TelegramEmulator>,
    ai: Arc<OpenAiEmulator>,
    injected: Injected,
) {
    let tick = Duration::from_millis(100);
    let dt = tick.as_secs_f64();
    let tg_kinds: [(f64, &str, TgFault); 2] = [
        (faults.telegram_429_per_s, "telegram_429", TgFault::TooManyRequests { retry_after: 1 }),
        (faults.telegram_5xx_per_s, "telegram_5xx", TgFault::ServerError(500)),
    ];
    let ai_kinds: [(f64, &str, AiFault); 4] = [
        (faults.openai_5xx_per_s, "openai_5xx", AiFault::Status(503)),
        (
            faults.openai_429_per_s,
            "openai_429",
            AiFault::RateLimited { retry_after_secs: faults.openai_retry_after_s },
        ),
        (faults.openai_timeouts_per_s, "openai_timeout", AiFault::Timeout),
        (faults.openai_invalid_json_per_s, "openai_invalid_json", AiFault::InvalidJson),
    ];
    let methods = if faults.telegram_methods.is_empty() {
        vec!["sendMessage".to_owned()]
    } else {
        faults.telegram_methods.clone()
    };
    let mut next_method = 0usize;
    let spacing = faults.min_calls_between;
    let mut tg_queues: Vec<Queue> = methods.iter().map(|_| Queue::spaced(spacing)).collect();
    let mut tg_due: Vec<Due> = tg_kinds.iter().map(|_| Due::default()).collect();
    let mut ai_due: Vec<Due> = ai_kinds.iter().map(|_| Due::default()).collect();
    let endpoints = if faults.openai_endpoints.is_empty() {
        vec![Endpoint::Chat]
    } else {
        faults.openai_endpoints.clone()
    };
    let mut next_endpoint = 0usize;
    let mut ai_queues: Vec<Queue> = endpoints.iter().map(|_| Queue::spaced(spacing)).collect();
    loop {
        tokio::time::sleep(tick).await;
        let calls: Vec<usize> = methods.iter().map(|m| tg.calls(m)).collect();
        let mut open: Vec<usize> =
            (0..methods.len()).filter(|i| tg_queues[*i].is_open(calls[*i])).collect();
        for ((rate, name, fault), due) in tg_kinds.iter().zip(&mut tg_due) {
            if open.is_empty() {
                break;
            }
            for _ in 0..due.advance(*rate, dt) {
                // Spaced faults: one per target and tick, the rest of the tick's due dropped.
                let Some(k) = (!open.is_empty()).then(|| next_method % open.len()) else { break };
                let i = open[k];
                next_method += 1;
                tg.fail_next(&methods[i], 1, fault.clone());
                tg_queues[i].push(calls[i], 1);
                *injected.lock().entry((*name).to_owned()).or_default() += 1;
                if spacing > 0 {
                    open.remove(k);
                }
            }
        }
        // Calls an outage refused never reached the fault queue.
        let calls: Vec<usize> =
            endpoints.iter().map(|ep| ai.calls(*ep) - ai.outage_refused(*ep)).collect();
        let mut open: Vec<usize> =
            (0..endpoints.len()).filter(|i| ai_queues[*i].is_open(calls[*i])).collect();
        for ((rate, name, fault), due) in ai_kinds.iter().zip(&mut ai_due) {
            if open.is_empty() {
                break;
            }
            for _ in 0..due.advance(*rate, dt) {
                let Some(k) = (!open.is_empty()).then(|| next_endpoint % open.len()) else { break };
                let i = open[k];
                next_endpoint += 1;
                let ep = endpoints[i];
                ai.fail_next(ep, 1, fault.clone());
                ai_queues[i].push(calls[i], 1);
                *injected.lock().entry(format!("{name}_{}", endpoint_name(ep))).or_default() += 1;
                if spacing > 0 {
                    open.remove(k);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Due, Queue};

    #[test]
    fn a_queue_is_empty_once_as_many_calls_came_as_faults_were_queued() {
        let mut q = Queue::default();
        assert!(q.is_open(0));
        q.push(10, 2);
        assert!(!q.is_open(10) && !q.is_open(11));
        assert!(q.is_open(12));
        q.push(11, 1);
        assert!(!q.is_open(12), "queued behind the two earlier ones");
        assert!(q.is_open(13));
        q.push(20, 1);
        assert!(!q.is_open(20) && q.is_open(21));
    }

    #[test]
    fn a_spaced_queue_waits_for_that_many_unfaulted_calls() {
        let mut q = Queue::spaced(4);
        assert!(!q.is_open(3) && q.is_open(4), "four calls before the first fault");
        q.push(4, 1);
        // Call 5 meets the fault; calls 6–9 go through; the next may be queued at 9.
        assert!(!q.is_open(5) && !q.is_open(8));
        assert!(q.is_open(9), "at most one call in five faulted");
    }

    #[test]
    fn fractional_rates_accumulate_to_whole_faults() {
        let mut d = Due::default();
        let fired: u64 = (0..100).map(|_| d.advance(0.5, 0.1)).sum();
        assert_eq!(fired, 5, "0.5/s over 10 s");
        let mut d = Due::default();
        assert_eq!(d.advance(25.0, 0.1), 2);
        assert_eq!(d.advance(25.0, 0.1), 3, "the half left over carries");
        assert_eq!(Due::default().advance(0.0, 0.1), 0);
    }
}
