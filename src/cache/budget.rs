//! The bot's Telegram send budget (~30 messages a second per bot token) shared by every replica:
//! one GCRA schedule in Redis. Each send reserves the next evenly spaced slot with one atomic
//! script call and waits until it; the slots of all replicas together are never closer than
//! `1 / TELEGRAM_SENDS_PER_SECOND`, whichever replica took them.
//!
//! The schedule runs on Redis's own clock (`TIME`), so replicas' clocks need not agree. Redis
//! failing: [`SharedBudget::reserve`] says so and the pacer falls back to this replica's share
//! (`bot::pace`); the next send tries Redis again, so the shared budget comes back by itself.

use std::time::Duration;

use fred::prelude::Value;

use super::redis::Redis;

/// Reserves the next slot: returns it and Redis's now, in microseconds since the epoch.
const RESERVE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(tat, now)
local nxt = slot + interval
redis.call('SET', KEYS[1], string.format('%d', nxt), 'PX', math.floor((nxt - now) / 1000) + 1000)
return {slot, now}
"#;

/// Telegram answered 429: no slot before `now + retry_after` for anyone.
const THROTTLE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local untl = now + tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < untl then
  redis.call('SET', KEYS[1], string.format('%d', untl), 'PX', math.floor((untl - now) / 1000) + 1000)
end
return 0
"#;

/// A slot taken from the shared schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// When the send may go, in Redis's microseconds since the epoch.
    pub slot_us: i64,
    /// Redis's now when the slot was taken.
    pub now_us: i64,
}

impl Reservation {
    /// How long to wait from now.
    pub fn wait(&self) -> Duration {
        Duration::from_micros((self.slot_us - self.now_us).max(0) as u64)
    }
}

#[derive(Clone)]
pub struct SharedBudget {
    redis: Redis,
    key: String,
    interval_us: i64,
}

impl SharedBudget {
    /// The budget of bot `bot_id` (one schedule per token, whatever the replica).
    pub fn new(redis: Redis, bot_id: u64, per_second: f64) -> SharedBudget {
        SharedBudget {
            redis,
            key: format!("mluvme:sends:{bot_id}"),
            interval_us: (1_000_000.0 / per_second).ceil() as i64,
        }
    }

    /// The next slot, or `None` when Redis cannot be asked (fall back to the local share).
    pub async fn reserve(&self) -> Option<Reservation> {
        let v = self
            .redis
            .eval("send budget", RESERVE, &[&self.key], vec![Value::from(self.interval_us)])
            .await
            .ok()?;
        match v.into_array().as_slice() {
            [slot, now] => Some(Reservation { slot_us: slot.as_i64()?, now_us: now.as_i64()? }),
            _ => None,
        }
    }

    /// Pushes every replica's next slot to after `retry_after`.
    pub async fn throttled(&self, retry_after: Duration) {
        let us = Value::from(retry_after.as_micros().min(i64::MAX as u128) as i64);
        let _ = self.redis.eval("send budget pause", THROTTLE, &[&self.key], vec![us]).await;
    }
}
