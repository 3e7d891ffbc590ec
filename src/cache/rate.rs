//! The per-learner turn limit (`TURNS_PER_MINUTE`): a burst of that many turns, then one more
//! each `60 s / limit` — GCRA, so a refused learner can be told exactly when to try again, and
//! there is no window edge where twice the limit gets through.
//!
//! Time comes from the app's clock (tests freeze and move it). In Redis the state is one key per
//! learner updated by a Lua script (atomic across replicas; the key expires when it no longer
//! matters); without Redis the same arithmetic runs in-process. Redis configured but failing:
//! the turn goes ahead (fail open) — a limit is a courtesy to the budget, never a reason to
//! leave a learner unanswered. The last update admitted per learner is remembered with the
//! schedule: a turn resumed after a crash or on another replica asks again with the same update,
//! and is let through without being counted twice.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use fred::prelude::Value;

use super::redis::Redis;

/// What the limiter says about one turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Go,
    /// Over the limit: the next turn is allowed after this long.
    Wait(Duration),
}

/// The limit as GCRA parameters, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gcra {
    /// Between two turns in the long run.
    pub interval_ms: i64,
    /// How far ahead of now the schedule may run: `(burst - 1) * interval`.
    pub tolerance_ms: i64,
}

impl Gcra {
    /// `per_minute` turns in any minute after a quiet spell, then one per `60 s / per_minute`.
    pub fn per_minute(per_minute: u32) -> Gcra {
        let interval_ms = 60_000 / i64::from(per_minute.max(1));
        Gcra { interval_ms, tolerance_ms: interval_ms * (i64::from(per_minute.max(1)) - 1) }
    }

    /// One step: given the stored theoretical arrival time (`None`: never seen or expired), the
    /// new one to store, or how long to wait.
    pub fn step(self, tat: Option<i64>, now_ms: i64) -> Result<i64, i64> {
        let tat = tat.unwrap_or(now_ms).max(now_ms);
        let allowed_at = tat - self.tolerance_ms;
        if now_ms < allowed_at { Err(allowed_at - now_ms) } else { Ok(tat + self.interval_ms) }
    }
}

/// Same arithmetic as [`Gcra::step`]; the key lives until the schedule has caught up with now.
const SCRIPT: &str = r#"
if redis.call('GET', KEYS[2]) == ARGV[4] then return 0 end
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
local allowed_at = tat - tolerance
if now < allowed_at then return allowed_at - now end
local new = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new), 'PX', new - now)
redis.call('SET', KEYS[2], ARGV[4], 'PX', new - now)
return 0
"#;

pub struct RateLimiter {
    gcra: Option<Gcra>,
    redis: Option<Redis>,
    local: Mutex<Local>,
}

#[derive(Default)]
struct Local {
    /// Per learner: the schedule and the last update admitted.
    tat: HashMap<i64, (i64, i64)>,
    sweep_at: usize,
}

impl RateLimiter {
    /// `per_minute` 0 = no limit.
    pub fn new(per_minute: u32, redis: Option<Redis>) -> RateLimiter {
        RateLimiter {
            gcra: (per_minute > 0).then(|| Gcra::per_minute(per_minute)),
            redis,
            local: Default::default(),
        }
    }

    /// Counts the turn of `user` carried by `update_id` at `now` if it is within the limit (the
    /// update admitted last is admitted again, uncounted: a resumed turn).
    pub async fn check(&self, user: i64, update_id: i64, now: DateTime<Utc>) -> Verdict {
        let Some(gcra) = self.gcra else { return Verdict::Go };
        let now_ms = now.timestamp_millis();
        let wait = match &self.redis {
            Some(redis) => {
                let (key, last) =
                    (format!("mluvme:turns:{user}"), format!("mluvme:turns:{user}:last"));
                let args = vec![
                    Value::from(now_ms),
                    Value::from(gcra.interval_ms),
                    Value::from(gcra.tolerance_ms),
                    Value::from(update_id.to_string()),
                ];
                match redis.eval("turn limit", SCRIPT, &[&key, &last], args).await {
                    Ok(v) => v.as_i64().unwrap_or(0),
                    Err(_) => 0, // fail open; logged by `Redis`
                }
            }
            None => self.local_step(gcra, user, update_id, now_ms),
        };
        if wait > 0 { Verdict::Wait(Duration::from_millis(wait as u64)) } else { Verdict::Go }
    }

    fn local_step(&self, gcra: Gcra, user: i64, update_id: i64, now_ms: i64) -> i64 {
        let mut local = self.local.lock().unwrap_or_else(PoisonError::into_inner);
        // A learner whose schedule has caught up with now is like one never seen: forget them
        // when the map doubles, so it holds only the recently active.
        if local.tat.len() >= local.sweep_at.max(1024) {
            local.tat.retain(|_, (tat, _)| *tat > now_ms);
            local.sweep_at = local.tat.len() * 2;
        }
        let seen = local.tat.get(&user).copied();
        if seen.is_some_and(|(_, last)| last == update_id) {
            return 0;
        }
        match gcra.step(seen.map(|(tat, _)| tat), now_ms) {
            Ok(next) => {
                local.tat.insert(user, (next, update_id));
                0
            }
            Err(wait) => wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_turns_a_minute_pass_and_the_eleventh_waits_six_seconds() {
        let g = Gcra::per_minute(10);
        let mut tat = None;
        for _ in 0..10 {
            tat = Some(g.step(tat, 0).expect("within the burst"));
        }
        assert_eq!(g.step(tat, 0), Err(6_000));
        assert_eq!(g.step(tat, 5_999), Err(1));
        assert!(g.step(tat, 6_000).is_ok(), "one more after a sixth of a minute");
    }

    #[test]
    fn a_quiet_learner_gets_the_whole_burst_back() {
        let g = Gcra::per_minute(3);
        let mut tat = None;
        for _ in 0..3 {
            tat = Some(g.step(tat, 0).unwrap());
        }
        assert!(g.step(tat, 1).is_err());
        for _ in 0..3 {
            tat = Some(g.step(tat, 60_000).expect("a minute later the burst is back"));
        }
    }

    #[tokio::test]
    async fn the_in_process_limiter_counts_each_learner_separately_and_zero_means_off() {
        let limiter = RateLimiter::new(2, None);
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(limiter.check(1, 101, now).await, Verdict::Go);
        assert_eq!(limiter.check(1, 102, now).await, Verdict::Go);
        assert_eq!(
            limiter.check(1, 102, now).await,
            Verdict::Go,
            "the same turn resumed is not counted again"
        );
        assert_eq!(limiter.check(1, 103, now).await, Verdict::Wait(Duration::from_secs(30)));
        assert_eq!(limiter.check(2, 104, now).await, Verdict::Go, "another learner is not held up");
        let off = RateLimiter::new(0, None);
        for i in 0..100 {
            assert_eq!(off.check(1, i, now).await, Verdict::Go);
        }
    }
}
