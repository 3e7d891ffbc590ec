//! Speed and limits, shared through Redis when `REDIS_URL` is set and in-process otherwise, so one
//! machine needs nothing: the per-learner turn limit ([`rate`]), the cache of Honzík's voice
//! ([`tts`]) and the Telegram send budget shared by replicas ([`budget`], used by `bot::pace`).
//!
//! Nothing here is needed for correctness (that lives in the database): with Redis down the bot
//! keeps answering — caches miss, limits fail open, each replica sends within its share of the
//! budget — and uses Redis again as soon as it is back ([`redis`] reconnects by itself).
//!
//! Not cached, on purpose: the learner's profile and settings (one primary-key query per turn;
//! the row changes on every answered turn — streak, stars — so a cache would cost a Redis round
//! trip plus an invalidation per turn to save one, and a missed invalidation during a Redis
//! outage would serve stale settings), and Honzík's replies (each depends on the whole
//! conversation so far; see README).

pub mod budget;
pub mod rate;
pub mod redis;
pub mod tts;

use self::redis::Redis;

/// Why Redis could not help (callers fall back; nothing here reaches a learner).
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("REDIS_URL is not a Redis URL: {0}")]
    Url(String),
    #[error("not connected")]
    Unavailable,
    #[error("{0}")]
    Redis(#[from] fred::error::Error),
}

/// The app's caches and limits.
pub struct Cache {
    /// The connection, when `REDIS_URL` is set (connected or not).
    pub redis: Option<Redis>,
    pub turns: rate::RateLimiter,
    /// None with `TTS_CACHE=off`.
    pub tts: Option<tts::TtsCache>,
}

impl Cache {
    /// Connects to Redis when a URL is given (start-up goes on if it is down), else in-process.
    pub async fn new(
        redis_url: Option<&str>,
        turns_per_minute: u32,
        tts_cache: bool,
    ) -> Result<Cache, CacheError> {
        let redis = match redis_url {
            Some(url) => Some(Redis::connect(url).await?),
            None => None,
        };
        Ok(Cache {
            turns: rate::RateLimiter::new(turns_per_minute, redis.clone()),
            tts: tts_cache.then(|| tts::TtsCache::new(redis.clone(), tts::LOCAL_BYTES)),
            redis,
        })
    }
}
