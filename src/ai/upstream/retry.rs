//! Pure: which upstream failures are worth another attempt, and how long to wait before it.
//!
//! Retried: 429 (unless the quota is exhausted), 408, 5xx, timeouts and network errors.
//! Not retried: other 4xx (our request is wrong: bad audio, unknown model, missing key…) and
//! anything that arrived as a 200 — an answer that breaks Honzík's contract has its own repair and
//! escalation in `llm`. Waits are full-jitter exponential backoff with a cap, or the server's
//! `Retry-After` when it sends one; no wait or attempt ever runs past the request's deadline.

use std::time::Duration;

/// What one HTTP attempt came to, as far as retrying and the circuit breaker care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: the upstream answered (whatever the body says).
    Success,
    /// A 4xx other than 408/429, or a request that could not be built: the upstream is healthy,
    /// the request is not.
    Refused,
    /// 429 `insufficient_quota`: no retry helps, and every request will get the same answer.
    QuotaExhausted,
    /// 429 rate limit.
    RateLimited,
    /// 5xx, or 408.
    ServerError,
    /// The attempt hit its timeout.
    Timeout,
    /// Connecting failed or the connection broke.
    Network,
}

impl Outcome {
    /// Classifies an HTTP status; `error_kind` is the error body's `type` or `code` (only read for 429).
    pub fn from_status(status: u16, error_kind: Option<&str>) -> Self {
        match status {
            200..=299 => Outcome::Success,
            429 if error_kind == Some("insufficient_quota") => Outcome::QuotaExhausted,
            429 => Outcome::RateLimited,
            408 | 500..=599 => Outcome::ServerError,
            _ => Outcome::Refused,
        }
    }

    /// Another attempt may succeed.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            Outcome::RateLimited | Outcome::ServerError | Outcome::Timeout | Outcome::Network
        )
    }

    /// Counts towards opening the circuit when the request finally fails this way.
    pub fn outage_like(self) -> bool {
        matches!(
            self,
            Outcome::QuotaExhausted
                | Outcome::RateLimited
                | Outcome::ServerError
                | Outcome::Timeout
                | Outcome::Network
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Refused => "refused",
            Outcome::QuotaExhausted => "quota exhausted",
            Outcome::RateLimited => "rate limited",
            Outcome::ServerError => "server error",
            Outcome::Timeout => "timeout",
            Outcome::Network => "network error",
        }
    }
}

/// How one logical request is retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub max_retries: u32,
    /// The first backoff is drawn from `0..base`, then `0..2·base`, … (full jitter).
    pub base: Duration,
    /// Upper bound of any backoff (not of a server's `Retry-After`).
    pub cap: Duration,
    /// Longest single attempt.
    pub attempt_timeout: Duration,
    /// Everything — waiting for a slot, attempts, backoff — ends by then, counted from the start.
    pub deadline: Duration,
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    Retry(Duration),
    GiveUp,
}

impl RetryPolicy {
    /// After an attempt that came to `outcome`, with `retries` retries already made and `elapsed`
    /// since the request started: wait and retry, or give up. `unit` is a random number in
    /// `[0, 1)` (the jitter). A `Retry-After` is honoured as given (plus up to one `base` of
    /// jitter, so clients told the same second do not return in lockstep); a wait that would end
    /// at or past the deadline is not started.
    pub fn next(
        &self,
        outcome: Outcome,
        retries: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
        unit: f64,
    ) -> Next {
        if !outcome.retryable() || retries >= self.max_retries {
            return Next::GiveUp;
        }
        let remaining = self.deadline.saturating_sub(elapsed);
        let delay = match retry_after {
            Some(after) => after + self.base.min(self.cap).mul_f64(unit.clamp(0.0, 1.0)),
            None => self.backoff(retries, unit),
        };
        if delay >= remaining {
            // Even a server-requested wait that fits only without its jitter is taken.
            return match retry_after {
                Some(after) if after < remaining => Next::Retry(after),
                _ => Next::GiveUp,
            };
        }
        Next::Retry(delay)
    }

    /// Full jitter: uniform in `[0, min(cap, base · 2^retries))`.
    pub fn backoff(&self, retries: u32, unit: f64) -> Duration {
        let ceiling = self.base.saturating_mul(2u32.saturating_pow(retries.min(31))).min(self.cap);
        ceiling.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// The timeout of an attempt starting `elapsed` after the request began; `None` when the
    /// deadline has passed.
    pub fn attempt_timeout(&self, elapsed: Duration) -> Option<Duration> {
        let remaining = self.deadline.checked_sub(elapsed).filter(|d| !d.is_zero())?;
        Some(self.attempt_timeout.min(remaining))
    }
}

/// The server's requested wait: `retry-after-ms` (OpenAI's, milliseconds) wins over
/// `retry-after` (seconds; an HTTP date is ignored). Absurd values are ignored.
pub fn retry_after(retry_after_ms: Option<&str>, retry_after: Option<&str>) -> Option<Duration> {
    let parse = |v: &str, scale: f64| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0 && *x / scale <= 86_400.0)
            .map(|x| Duration::from_secs_f64(x / scale))
    };
    retry_after_ms
        .and_then(|v| parse(v, 1000.0))
        .or_else(|| retry_after.and_then(|v| parse(v, 1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(2),
            attempt_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(15),
        }
    }
    const NONE: Option<Duration> = None;
    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn rate_limits_server_errors_timeouts_and_network_errors_are_retried() {
        for o in [Outcome::RateLimited, Outcome::ServerError, Outcome::Timeout, Outcome::Network] {
            assert!(
                matches!(policy().next(o, 0, Duration::ZERO, NONE, 0.5), Next::Retry(_)),
                "{o:?}"
            );
        }
        assert_eq!(Outcome::from_status(429, Some("rate_limit_exceeded")), Outcome::RateLimited);
        assert_eq!(Outcome::from_status(429, None), Outcome::RateLimited);
        for s in [408, 500, 502, 503, 504] {
            assert_eq!(Outcome::from_status(s, None), Outcome::ServerError, "{s}");
        }
    }

    #[test]
    fn refusals_exhausted_quota_and_answers_are_not_retried() {
        for s in [400, 401, 403, 404, 413, 422] {
            assert_eq!(Outcome::from_status(s, None), Outcome::Refused, "{s}");
        }
        assert_eq!(Outcome::from_status(429, Some("insufficient_quota")), Outcome::QuotaExhausted);
        assert_eq!(Outcome::from_status(200, None), Outcome::Success);
        for o in [Outcome::Refused, Outcome::QuotaExhausted, Outcome::Success] {
            assert_eq!(policy().next(o, 0, Duration::ZERO, NONE, 0.5), Next::GiveUp, "{o:?}");
        }
    }

    #[test]
    fn only_upstream_trouble_counts_towards_the_breaker() {
        assert!(!Outcome::Success.outage_like());
        assert!(!Outcome::Refused.outage_like());
        assert!(Outcome::QuotaExhausted.outage_like() && !Outcome::QuotaExhausted.retryable());
        assert!(Outcome::Timeout.outage_like());
    }

    #[test]
    fn backoff_is_full_jitter_doubling_up_to_the_cap() {
        let p = policy();
        assert_eq!(p.backoff(0, 0.0), Duration::ZERO);
        assert_eq!(p.backoff(0, 0.5), MS(100));
        assert_eq!(p.backoff(1, 0.5), MS(200));
        assert_eq!(p.backoff(2, 0.5), MS(400));
        assert_eq!(p.backoff(3, 0.999_999), MS(1600).mul_f64(0.999_999));
        assert_eq!(p.backoff(4, 0.5), MS(1000), "capped at 2 s");
        assert_eq!(p.backoff(60, 0.5), MS(1000), "no overflow");
        assert!(p.backoff(5, 0.999) < p.cap);
    }

    #[test]
    fn retries_stop_after_the_maximum() {
        let p = policy();
        assert_eq!(
            p.next(Outcome::ServerError, 2, Duration::ZERO, NONE, 0.5),
            Next::Retry(MS(400))
        );
        assert_eq!(p.next(Outcome::ServerError, 3, Duration::ZERO, NONE, 0.5), Next::GiveUp);
        let none = RetryPolicy { max_retries: 0, ..policy() };
        assert_eq!(none.next(Outcome::ServerError, 0, Duration::ZERO, NONE, 0.5), Next::GiveUp);
    }

    #[test]
    fn retry_after_is_honoured_with_a_little_jitter_and_beyond_the_backoff_cap() {
        let p = policy();
        assert_eq!(
            p.next(Outcome::RateLimited, 0, Duration::ZERO, Some(Duration::from_secs(1)), 0.0),
            Next::Retry(Duration::from_secs(1))
        );
        assert_eq!(
            p.next(Outcome::RateLimited, 0, Duration::ZERO, Some(Duration::from_secs(1)), 0.5),
            Next::Retry(MS(1100))
        );
        assert_eq!(
            p.next(Outcome::ServerError, 0, Duration::ZERO, Some(Duration::from_secs(5)), 0.0),
            Next::Retry(Duration::from_secs(5))
        );
    }

    #[test]
    fn nothing_waits_past_the_deadline() {
        let p = policy();
        // 14.9 s gone of 15: a 1 s Retry-After cannot be honoured.
        assert_eq!(
            p.next(Outcome::RateLimited, 0, MS(14_900), Some(Duration::from_secs(1)), 0.0),
            Next::GiveUp
        );
        assert_eq!(
            p.next(Outcome::RateLimited, 0, Duration::ZERO, Some(Duration::from_secs(60)), 0.0),
            Next::GiveUp
        );
        // Fits without its jitter: taken without it.
        assert_eq!(
            p.next(Outcome::RateLimited, 0, MS(13_900), Some(Duration::from_secs(1)), 0.9),
            Next::Retry(Duration::from_secs(1))
        );
        // A backoff that would end at the deadline is not started.
        assert_eq!(p.next(Outcome::Timeout, 1, MS(14_800), NONE, 0.999), Next::GiveUp);
        assert_eq!(p.next(Outcome::Timeout, 1, Duration::from_secs(20), NONE, 0.0), Next::GiveUp);
    }

    #[test]
    fn attempts_are_cut_to_what_is_left_of_the_deadline() {
        let p = policy();
        assert_eq!(p.attempt_timeout(Duration::ZERO), Some(Duration::from_secs(10)));
        assert_eq!(p.attempt_timeout(Duration::from_secs(12)), Some(Duration::from_secs(3)));
        assert_eq!(p.attempt_timeout(Duration::from_secs(15)), None);
        assert_eq!(p.attempt_timeout(Duration::from_secs(16)), None);
    }

    #[test]
    fn retry_after_headers_are_read_in_seconds_or_milliseconds() {
        assert_eq!(retry_after(None, Some("1")), Some(Duration::from_secs(1)));
        assert_eq!(retry_after(None, Some(" 2.5 ")), Some(MS(2500)));
        assert_eq!(retry_after(Some("250"), Some("1")), Some(MS(250)));
        assert_eq!(retry_after(Some("junk"), Some("1")), Some(Duration::from_secs(1)));
        assert_eq!(retry_after(None, Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after(None, Some("-1")), None);
        assert_eq!(retry_after(None, Some("1e12")), None);
        assert_eq!(retry_after(None, None), None);
    }
}
