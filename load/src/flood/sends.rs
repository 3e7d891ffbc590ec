//! The bot's sends as the Telegram emulator accepted them (its broadcast of every message sent),
//! timed as they arrive: the send rate against Telegram's cap.

use std::time::Instant;

use serde::Serialize;

/// Every accepted send's time, in seconds since the counter started.
#[derive(Clone, Debug)]
pub struct SendTimes {
    t0: Instant,
    at: Vec<f64>,
}

impl SendTimes {
    pub fn new() -> SendTimes {
        SendTimes { t0: Instant::now(), at: Vec::new() }
    }

    pub fn note(&mut self, at: Instant) {
        self.at.push(at.saturating_duration_since(self.t0).as_secs_f64());
    }

    /// From seconds directly (tests).
    pub fn from_secs(mut at: Vec<f64>) -> SendTimes {
        at.sort_by(f64::total_cmp);
        SendTimes { t0: Instant::now(), at }
    }

    pub fn rate(&self) -> SendRate {
        let mut at = self.at.clone();
        at.sort_by(f64::total_cmp);
        let (Some(first), Some(last)) = (at.first(), at.last()) else { return SendRate::default() };
        // The busy period runs from the first send to the last; at least a second, so a burst
        // is not read as a rate above what it sent.
        let busy = (last - first).max(1.0);
        // Most sends within any one second (a sliding window, as Telegram's limit counts).
        let (mut peak, mut lo) = (0usize, 0usize);
        for hi in 0..at.len() {
            while at[hi] - at[lo] >= 1.0 {
                lo += 1;
            }
            peak = peak.max(hi - lo + 1);
        }
        SendRate {
            sends: at.len() as u64,
            busy_seconds: busy,
            per_second: at.len() as f64 / busy,
            peak_per_second: peak as u64,
        }
    }
}

impl Default for SendTimes {
    fn default() -> Self {
        SendTimes::new()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct SendRate {
    /// Messages the bot sent (accepted by the emulator; 429s and other refusals excluded).
    pub sends: u64,
    /// First send to last send, seconds.
    pub busy_seconds: f64,
    /// Average over the busy period.
    pub per_second: f64,
    /// The most sends within one second (sliding window).
    pub peak_per_second: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_over_the_busy_period_and_sliding_peak() {
        // 30 sends spread over [10, 20) s, and a burst of 5 at 15.5 s.
        let mut at: Vec<f64> = (0..30).map(|i| 10.0 + i as f64 / 3.0).collect();
        at.extend([15.5, 15.55, 15.6, 15.65, 15.7]);
        let r = SendTimes::from_secs(at).rate();
        assert_eq!(r.sends, 35);
        assert!((r.busy_seconds - (29.0 / 3.0)).abs() < 1e-9);
        assert!((r.per_second - 35.0 / (29.0 / 3.0)).abs() < 1e-9);
        assert_eq!(r.peak_per_second, 3 + 5, "three regular sends fall in the burst's second");
    }

    #[test]
    fn no_sends_and_a_single_burst() {
        assert_eq!(SendTimes::from_secs(vec![]).rate(), SendRate::default());
        let r = SendTimes::from_secs(vec![1.0, 1.1, 1.2]).rate();
        assert_eq!((r.per_second, r.peak_per_second), (3.0, 3), "a burst counts over one second");
    }
}
