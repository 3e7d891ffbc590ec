//! The application: every long-lived part, built once and shared as one `Arc<App>`.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use teloxide::prelude::*;
use teloxide::types::Me;
use tokio_util::sync::CancellationToken;

use crate::ai::chat::ChatClient;
use crate::ai::speech::Speech;
use crate::audio_store::AudioStore;
use crate::config::Config;
use crate::i18n::I18n;
use crate::progress::Clock;
use crate::{ai, intake, store};

pub struct App {
    pub config: Config,
    pub db: DatabaseConnection,
    pub bot: Bot,
    pub me: Me,
    pub i18n: I18n,
    pub chat: ChatClient,
    pub speech: Speech,
    pub audio: AudioStore,
    pub clock: Arc<dyn Clock>,
    /// Which model answers, summarises, or takes over.
    pub models: crate::tutor::ModelPolicy,
    /// Work done after a reply is sent (conversation summaries); shutdown waits for it.
    pub background: tokio_util::task::TaskTracker,
    /// Summary folds in progress.
    pub folds: Folds,
    /// The last edit of each recent message, so an identical edit is not sent again. Owned by
    /// the `App` (two apps in one process, as in the tests, must not share it).
    pub edits: std::sync::Mutex<crate::bot::edit::LastEdits>,
    /// Chats told recently to send one message at a time: the notice goes out once per burst.
    pub overflow_notified: std::sync::Mutex<std::collections::HashMap<i64, std::time::Instant>>,
    /// Every send waits here for its slot within Telegram's limits (one pacer per process).
    pub pacer: crate::bot::pace::Pacer,
    /// Replicas alive (this one included, so at least 1): each replica's fallback share of the
    /// shared Telegram send budget. Kept current by the replica heartbeat (`intake::leases`);
    /// always 1 in polling mode, where only one process may poll.
    pub replicas: Arc<std::sync::atomic::AtomicUsize>,
    /// The turn limit and Honzík's voice cache, in Redis when `REDIS_URL` is set.
    pub cache: crate::cache::Cache,
    /// Prometheus metrics (`GET /metrics`).
    pub metrics: crate::metrics::Metrics,
    /// Checks `/readyz` runs besides the database's `SELECT 1` (e.g. Redis when configured).
    pub readiness: crate::server::Readiness,
    /// The access mode (public / allow-list) as last read, for a few seconds.
    pub access: crate::bot::handlers::access::AccessCache,
}

impl App {
    /// Connects to the database (running migrations) and to Telegram (getMe), so a wrong token or
    /// an unreachable database stops start-up with a clear message.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<App>> {
        // One TLS crypto provider (ring) for every HTTP client; a no-op when already installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let db = store::connect_with(&config.database_url, config.database_max_connections)
            .await
            .map_err(|e| {
            anyhow::anyhow!(
                "cannot open the database {}: {e}",
                crate::config::redact_url(&config.database_url)
            )
        })?;
        store::migrate(&db).await?;
        let mut bot = Bot::new(config.telegram_token.clone());
        if let Some(url) = &config.telegram_api_url {
            bot = bot.set_api_url(url.clone());
        }
        let me = bot
            .get_me()
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach Telegram with this token: {e}"))?;
        let client = ai::client::client(&config);
        let metrics = crate::metrics::Metrics::new(client.upstream_errors());
        let meter = ai::meter::Meter::new(config.prices.clone(), metrics.usage_counters());
        let m = &config.models;
        let cache = crate::cache::Cache::new(
            config.redis_url.as_deref(),
            config.turns_per_minute,
            config.tts_cache,
        )
        .await?;
        let replicas = Arc::new(std::sync::atomic::AtomicUsize::new(1));
        let rates = crate::bot::pace::Rates {
            per_second: config.limits.sends_per_second,
            per_chat_per_second: config.limits.chat_sends_per_second,
        };
        Ok(Arc::new(App {
            chat: ChatClient::new(client.clone(), meter.clone()),
            speech: Speech::new(client, meter, m.stt.clone(), m.tts.clone(), m.tts_voice.clone()),
            audio: AudioStore::open(&config)?,
            models: config.model_policy(),
            background: tokio_util::task::TaskTracker::new(),
            folds: Default::default(),
            edits: Default::default(),
            overflow_notified: Default::default(),
            pacer: match (&cache.redis, config.limits.pacing) {
                (_, false) => crate::bot::pace::Pacer::unlimited(),
                (None, true) => crate::bot::pace::Pacer::new(rates),
                (Some(redis), true) => {
                    let budget = crate::cache::budget::SharedBudget::new(
                        redis.clone(),
                        me.id.0,
                        rates.per_second,
                    );
                    crate::bot::pace::Pacer::shared(rates, budget, replicas.clone())
                }
            },
            replicas,
            cache,
            metrics,
            readiness: Default::default(),
            access: Default::default(),
            i18n: I18n::new(),
            db,
            bot,
            me,
            clock,
            config,
        }))
    }
}

/// Builds the app and runs it until `shutdown` fires: what `main` and the tests both call.
/// Long polling by default; webhook mode when `WEBHOOK_URL` is set (then any number of replicas
/// may share the database, see `intake::leases`).
pub async fn run(
    config: Config,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let app = App::build(config, clock).await?;
    crate::bot::register_commands(&app).await;
    tracing::info!(store = %app.audio.backend(), "audio storage");
    // Audio retention: hourly, stops with the bot (it only deletes, so it need not be waited for).
    tokio::spawn(crate::audio_store::retention::run(app.clone(), shutdown.clone()));
    // Daily reminders: every replica sweeps; the database claim lets one of them send each.
    tokio::spawn(crate::bot::handlers::remind::run(app.clone(), shutdown.clone()));
    // Broadcasts: every replica runs a sender; a lease per broadcast lets one send it. Awaited
    // before returning, so a stop never abandons a send between Telegram and its mark.
    let broadcasts =
        tokio::spawn(crate::bot::handlers::broadcast::run(app.clone(), shutdown.clone()));
    if let (Some(_), Some(port)) = (&app.config.webhook, app.config.port) {
        // Listening before registering: Telegram's first delivery finds the port open.
        let listener = crate::server::bind(port).await?;
        crate::server::webhook::register_webhook(&app).await?;
        tracing::info!(bot = %app.me.username(), replica = %app.config.replica_id, "mluvme is running (webhook)");
        let (a, s) = (app.clone(), shutdown.clone());
        let result = intake::run_leased(app, shutdown.clone(), move |sink| {
            crate::server::serve(listener, a, Some(sink), s)
        })
        .await;
        shutdown.cancel();
        let _ = broadcasts.await;
        return result;
    }
    // A webhook left registered by an earlier deployment would refuse every getUpdates.
    if let Err(e) = app.bot.delete_webhook().await {
        tracing::warn!(error = %e, "could not remove an earlier webhook");
    }
    tracing::info!(bot = %app.me.username(), "mluvme is running (long polling)");
    // Operations endpoints in polling mode too, whenever PORT is set.
    crate::server::spawn_ops(&app, &shutdown).await?;
    let result = intake::run(app, shutdown.clone()).await;
    // Normally stopped with the shutdown; should the intake end on its own, so does the sender.
    shutdown.cancel();
    let _ = broadcasts.await;
    result
}

/// Conversations whose summary is being folded right now (`turn::memory`), and whether another
/// turn ended meanwhile (then the running fold looks again when it is done): one fold at a time
/// per conversation, none lost. Owned by the `App`, so two apps in one process (tests) never
/// share it.
#[derive(Default)]
pub struct Folds(pub std::sync::Mutex<std::collections::HashMap<i64, bool>>);
