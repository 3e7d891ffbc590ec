//! The Redis connection (fred): it reconnects by itself, and every command is bounded by
//! [`COMMAND_TIMEOUT`] and fails at once while the connection is down — a dead Redis costs a
//! turn a cache miss or an unenforced limit, never a stall. Failures are logged once per
//! [`WARN_EVERY`] (not once per turn), and the return of Redis once.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fred::prelude::*;
use fred::types::{ClusterHash, CustomCommand};

use super::CacheError;

/// Longest a Redis command may take: well under a turn's own latency, so even a Redis that
/// answers nothing delays a turn by a fraction of a second per command.
pub const COMMAND_TIMEOUT: Duration = Duration::from_millis(250);
/// While Redis stays unavailable, one warning per this long.
pub const WARN_EVERY: Duration = Duration::from_secs(60);

/// A shared handle: cheap to clone, one connection behind it.
#[derive(Clone)]
pub struct Redis {
    client: Client,
    options: Options,
    health: Arc<Health>,
}

#[derive(Default)]
struct Health {
    down: AtomicBool,
    last_warning: Mutex<Option<Instant>>,
}

impl Redis {
    /// Connects in the background: start-up waits at most a second for the first connection and
    /// goes on without it (fred keeps reconnecting; commands fail fast until it is up). A URL that
    /// cannot be parsed is an error — a configuration mistake, not an outage.
    pub async fn connect(url: &str) -> Result<Redis, CacheError> {
        let mut config =
            Config::from_url(url).map_err(|e| CacheError::Url(e.details().to_owned()))?;
        // Keep trying when the first connection fails, rather than giving up for good.
        config.fail_fast = false;
        let client = Builder::from_config(config)
            .with_connection_config(|c| {
                c.connection_timeout = Duration::from_secs(2);
                c.internal_command_timeout = Duration::from_secs(2);
                c.max_command_attempts = 1;
                // A Redis that accepts the connection but stops answering is dropped and redialled.
                c.unresponsive.max_timeout = Some(Duration::from_secs(2));
                c.unresponsive.interval = Duration::from_millis(500);
            })
            .with_performance_config(|p| p.default_command_timeout = COMMAND_TIMEOUT)
            // Forever, quickly: 100 ms doubling up to 2 s, so recovery follows Redis within seconds.
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
            .build()
            .map_err(|e| CacheError::Url(e.details().to_owned()))?;
        let _task = client.connect();
        let redis = Redis {
            client,
            options: Options {
                timeout: Some(COMMAND_TIMEOUT),
                fail_fast: true,
                max_attempts: Some(1),
                ..Default::default()
            },
            health: Default::default(),
        };
        match tokio::time::timeout(Duration::from_secs(1), redis.client.wait_for_connect()).await {
            Ok(Ok(())) => {
                tracing::info!(url = %crate::config::redact_url(url), "connected to Redis")
            }
            Ok(Err(e)) => redis.failed("connect", &CacheError::Redis(e)),
            Err(_) => redis.failed("connect", &CacheError::Unavailable),
        }
        Ok(redis)
    }

    /// Whether the connection is up right now (what `/readyz` may report).
    pub fn is_connected(&self) -> bool {
        self.client.is_connected()
    }

    /// One round trip (for `/readyz`): `Err` with a short reason, no URL or password in it.
    pub async fn ping(&self) -> Result<(), CacheError> {
        let cmd = CustomCommand::new_static("PING", ClusterHash::Random, false);
        self.run(
            "ping",
            Box::pin(self.client.with_options(&self.options).custom::<Value, Value>(cmd, vec![])),
        )
        .await
        .map(|_| ())
    }

    /// Runs a Lua script atomically (`EVAL`: the scripts are a few hundred bytes, so sending
    /// them each time costs less than a second round trip after a `NOSCRIPT`).
    pub async fn eval(
        &self,
        what: &'static str,
        script: &'static str,
        keys: &[&str],
        args: Vec<Value>,
    ) -> Result<Value, CacheError> {
        let mut all: Vec<Value> = Vec::with_capacity(2 + keys.len() + args.len());
        all.push(script.into());
        all.push((keys.len() as i64).into());
        all.extend(keys.iter().map(|k| Value::from(*k)));
        all.extend(args);
        let cmd = CustomCommand::new_static("EVAL", ClusterHash::FirstKey, false);
        let options = self.client.with_options(&self.options);
        self.run(what, Box::pin(options.custom::<Value, Value>(cmd, all))).await
    }

    pub async fn get_bytes(
        &self,
        what: &'static str,
        key: &str,
    ) -> Result<Option<Bytes>, CacheError> {
        let options = self.client.with_options(&self.options);
        self.run(what, Box::pin(options.get::<Option<Bytes>, _>(key))).await
    }

    pub async fn set_bytes(
        &self,
        what: &'static str,
        key: &str,
        value: Bytes,
        ttl: Duration,
    ) -> Result<(), CacheError> {
        let expire = Some(Expiration::PX(ttl.as_millis() as i64));
        self.run(
            what,
            Box::pin(
                self.client
                    .with_options(&self.options)
                    .set::<(), _, _>(key, value, expire, None, false),
            ),
        )
        .await
    }

    /// One command, its failure logged (rate-limited) and its success after an outage noted.
    ///
    /// The command comes boxed: a fred command's future is ~7–14 KiB, and inline it made the
    /// future of everything that may ask Redis — every send (the shared budget), every voice (the
    /// speech cache), so every handler and turn held while it waits — that much larger, with
    /// Redis or without (BENCHMARKS.md, issue 18, session 10).
    async fn run<T>(
        &self,
        what: &'static str,
        command: Pin<Box<impl Future<Output = Result<T, Error>>>>,
    ) -> Result<T, CacheError> {
        if !self.client.is_connected() {
            let e = CacheError::Unavailable;
            self.failed(what, &e);
            return Err(e);
        }
        match command.await {
            Ok(v) => {
                if self.health.down.swap(false, Ordering::Relaxed) {
                    tracing::info!("Redis is available again");
                }
                Ok(v)
            }
            Err(e) => {
                let e = CacheError::Redis(e);
                self.failed(what, &e);
                Err(e)
            }
        }
    }

    fn failed(&self, what: &'static str, e: &CacheError) {
        self.health.down.store(true, Ordering::Relaxed);
        let mut last = self.health.last_warning.lock().unwrap_or_else(PoisonError::into_inner);
        if last.is_none_or(|t| t.elapsed() >= WARN_EVERY) {
            *last = Some(Instant::now());
            tracing::warn!(during = what, error = %e, "Redis unavailable: caches miss, rate limits are not enforced, sends use this replica's share of the budget");
        }
    }
}
