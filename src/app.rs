//! The application's lower layers — configuration, database, AI clients, audio store, cache,
//! metrics, clock, locales, models — built once and shared as one `Arc<App>`.
//!
//! Only what sits below the bot belongs here: Telegram's own state (the outbox, who the bot is)
//! is `bot::Telegram`, and the wiring that starts everything is `startup`.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::ai::chat::ChatClient;
use crate::ai::speech::Speech;
use crate::audio_store::AudioStore;
use crate::audio_store::budget::ByteBudget;
use crate::config::Config;
use crate::i18n::I18n;
use crate::progress::Clock;
use crate::{ai, store};

pub struct App {
    pub config: Config,
    pub db: DatabaseConnection,
    /// For reads that need no transaction (the learner, the gate, a turn's fence, history):
    /// read-only connections beside SQLite's one writer, or `db` itself on PostgreSQL
    /// (`store::open_readers`).
    pub read: DatabaseConnection,
    /// Shared with the bot's outbox, which words notices in the learner's language.
    pub i18n: Arc<I18n>,
    pub chat: ChatClient,
    pub speech: Speech,
    pub audio: AudioStore,
    /// Bytes of learners' audio held from download to the end of speech-to-text
    /// (`AUDIO_MEMORY_MB`): what bounds a turn's memory by bytes, not by count.
    pub audio_memory: ByteBudget,
    pub clock: Arc<dyn Clock>,
    /// Which model answers, summarises, or takes over.
    pub models: crate::tutor::ModelPolicy,
    /// Work done after a reply is sent (conversation summaries); shutdown waits for it.
    pub background: tokio_util::task::TaskTracker,
    /// Summary folds in progress.
    pub folds: Folds,
    /// Replicas alive (this one included, so at least 1): each replica's fallback share of the
    /// shared Telegram send budget. Kept current by the replica heartbeat (`intake::leases`);
    /// always 1 in polling mode, where only one process may poll.
    pub replicas: Arc<std::sync::atomic::AtomicUsize>,
    /// The turn limit and Honzík's voice cache, in Redis when `REDIS_URL` is set.
    pub cache: crate::cache::Cache,
    /// Prometheus metrics (`GET /metrics`).
    pub metrics: crate::metrics::Metrics,
}

impl App {
    /// Connects to the database (running migrations), so an unreachable database stops start-up
    /// with a clear message.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<App>> {
        // One TLS crypto provider (ring) for every HTTP client; a no-op when already installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut db = store::open(
            &config.database_url,
            config.database_max_connections,
            config.database_statement_timeout,
        )
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot open the database {}: {e}",
                crate::config::redact_url(&config.database_url)
            )
        })?;
        let mut read =
            store::open_readers(&config.database_url, &db, config.database_statement_timeout)
                .await
                .map_err(|e| anyhow::anyhow!("cannot open the database's readers: {e}"))?;
        let client = ai::client::client(&config);
        let metrics = crate::metrics::Metrics::new(client.upstream_errors());
        count_statements(&mut db, &metrics);
        count_statements(&mut read, &metrics);
        let meter = ai::meter::Meter::new(config.prices.clone(), metrics.usage_counters());
        let m = &config.models;
        let cache = crate::cache::Cache::new(
            config.redis_url.as_deref(),
            config.turns_per_minute,
            config.tts_cache,
        )
        .await?;
        Ok(Arc::new(App {
            chat: ChatClient::new(client.clone(), meter.clone()),
            speech: Speech::new(client, meter, m.stt.clone(), m.tts.clone(), m.tts_voice.clone()),
            audio: AudioStore::open(&config)?,
            audio_memory: ByteBudget::new(config.limits.audio_memory_bytes),
            models: config.model_policy(),
            background: tokio_util::task::TaskTracker::new(),
            folds: Default::default(),
            replicas: Arc::new(std::sync::atomic::AtomicUsize::new(1)),
            cache,
            metrics,
            i18n: Arc::new(I18n::new()),
            db,
            read,
            clock,
            config,
        }))
    }
}

/// Every statement the pool runs is counted (`mluvme_db_statements_total`) and, at `trace` level
/// of the `mluvme::db` target, logged with its time: how round trips per turn are measured.
fn count_statements(db: &mut DatabaseConnection, metrics: &crate::metrics::Metrics) {
    let (count, seconds) = (metrics.db_statements.clone(), metrics.db_statement_seconds.clone());
    db.set_metric_callback(move |info| {
        count.inc();
        seconds.inc_by(info.elapsed.as_secs_f64());
        tracing::trace!(target: "mluvme::db", us = info.elapsed.as_micros() as u64, failed = info.failed, "{}", info.statement.sql);
    });
}

/// Conversations whose summary is being folded right now (`turn::memory`), and whether another
/// turn ended meanwhile (then the running fold looks again when it is done): one fold at a time
/// per conversation, none lost. Owned by the `App`, so two apps in one process (tests) never
/// share it.
#[derive(Default)]
pub struct Folds(pub std::sync::Mutex<std::collections::HashMap<i64, bool>>);
