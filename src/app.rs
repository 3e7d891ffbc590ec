//! The application: every long-lived part, built once and shared as one `Arc<App>`.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use teloxide::prelude::*;
use teloxide::types::Me;
use tokio_util::sync::CancellationToken;

use crate::audio_store::AudioStore;
use crate::config::Config;
use crate::i18n::I18n;
use crate::llm::Tutor;
use crate::progress::Clock;
use crate::speech::Speech;
use crate::{intake, openai, store};

pub struct App {
    pub config: Config,
    pub db: DatabaseConnection,
    pub bot: Bot,
    pub me: Me,
    pub i18n: I18n,
    pub tutor: Tutor,
    pub speech: Speech,
    pub audio: AudioStore,
    pub clock: Arc<dyn Clock>,
    /// Which model answers, summarises, or takes over.
    pub models: crate::tutor::ModelPolicy,
    /// Work done after a reply is sent (conversation summaries); shutdown waits for it.
    pub background: tokio_util::task::TaskTracker,
    /// Summary folds in progress.
    pub folds: crate::turn::memory::Folds,
    /// The last edit of each recent message, so an identical edit is not sent again. Owned by
    /// the `App` (two apps in one process, as in the tests, must not share it).
    pub edits: std::sync::Mutex<crate::bot::edit::LastEdits>,
    /// Chats told recently to send one message at a time: the notice goes out once per burst.
    pub overflow_notified: std::sync::Mutex<std::collections::HashMap<i64, std::time::Instant>>,
    /// Every send waits here for its slot within Telegram's limits (one pacer per process).
    pub pacer: crate::bot::pace::Pacer,
}

impl App {
    /// Connects to the database (running migrations) and to Telegram (getMe), so a wrong token or
    /// an unreachable database stops start-up with a clear message.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<App>> {
        // One TLS crypto provider (ring) for every HTTP client; a no-op when already installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let db = store::connect_with(&config.database_url, config.database_max_connections).await.map_err(|e| {
            anyhow::anyhow!("cannot open the database {}: {e}", crate::config::redact_url(&config.database_url))
        })?;
        store::migrate(&db).await?;
        let mut bot = Bot::new(config.telegram_token.clone());
        if let Some(url) = &config.telegram_api_url {
            bot = bot.set_api_url(url.clone());
        }
        let me = bot.get_me().await.map_err(|e| anyhow::anyhow!("cannot reach Telegram with this token: {e}"))?;
        let client = openai::client(&config);
        let m = &config.models;
        Ok(Arc::new(App {
            tutor: Tutor::new(client.clone()),
            speech: Speech::new(client, m.stt.clone(), m.tts.clone(), m.tts_voice.clone()),
            audio: AudioStore::new(config.audio_dir.clone()),
            models: config.model_policy(),
            background: tokio_util::task::TaskTracker::new(),
            folds: Default::default(),
            edits: Default::default(),
            overflow_notified: Default::default(),
            pacer: if config.limits.pacing {
                crate::bot::pace::Pacer::new(crate::bot::pace::Rates {
                    per_second: config.limits.sends_per_second,
                    per_chat_per_second: config.limits.chat_sends_per_second,
                })
            } else {
                crate::bot::pace::Pacer::unlimited()
            },
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
pub async fn run(config: Config, clock: Arc<dyn Clock>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let app = App::build(config, clock).await?;
    tracing::info!(bot = %app.me.username(), "mluvme is running (long polling)");
    crate::bot::register_commands(&app).await;
    intake::run(app, shutdown).await
}
