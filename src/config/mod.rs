//! Typed settings from the environment.
//!
//! Every setting is read once at start-up; a missing or malformed value stops the process with one
//! line naming the variable and how to fix it (zero-to-production style: fail fast, fail clearly).
//! Defaults run the bot on one machine with nothing else installed (SQLite file, local audio dir).

use std::path::PathBuf;
use std::time::Duration;

mod parse;
mod settings;

pub use parse::redact_url;
use parse::*;
pub use settings::*;

/// Why the configuration could not be built: always names the variable and the fix.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("{var} is not set: {hint}")]
    Missing { var: &'static str, hint: &'static str },
    #[error("{var}={value:?} is invalid: {hint}")]
    Invalid { var: &'static str, value: String, hint: String },
}

/// Everything the bot needs to run, already validated. Its `Debug` (hand-written below) never
/// shows a secret: the value is logged with `{:?}` in places, and a log line outlives a rotation.
#[derive(Clone)]
pub struct Config {
    pub telegram_token: String,
    /// Bot API base URL (a self-hosted telegram-bot-api server, or an emulator in tests).
    pub telegram_api_url: Option<url::Url>,
    /// The chat server (`OPENAI_API_KEY`, `OPENAI_BASE_URL`): OpenAI unless a base URL is given.
    pub openai_api_key: String,
    pub openai_base_url: Option<String>,
    /// Speech-to-text's server (`STT_BASE_URL`, `STT_API_KEY`), the chat server's unless set:
    /// speech can run on a local Whisper server while chat stays on OpenAI, or the reverse.
    pub stt_server: AiServer,
    /// Text-to-speech's server (`TTS_BASE_URL`, `TTS_API_KEY`), the chat server's unless set.
    pub tts_server: AiServer,
    pub database_url: String,
    /// Pool size; None = one for SQLite, 16 for PostgreSQL (`store::connect_with` says why).
    pub database_max_connections: Option<u32>,
    /// Longest one statement may run (`DATABASE_STATEMENT_TIMEOUT_SECONDS`): PostgreSQL's
    /// `statement_timeout` on every connection, SQLite's busy timeout (how long a statement waits
    /// for the write lock). A runaway query fails instead of holding a pooled connection forever.
    pub database_statement_timeout: Duration,
    pub audio_dir: PathBuf,
    /// S3-compatible storage for the audio instead of `audio_dir` (`AUDIO_S3_BUCKET` set).
    pub audio_s3: Option<S3Settings>,
    /// How long audio is kept (`AUDIO_RETENTION_DAYS`); None = forever.
    pub audio_retention: Option<chrono::Duration>,
    pub admin_ids: Vec<i64>,
    /// Running the bot (`admin`): who may talk to Honzík and what learners may spend.
    pub admin: AdminSettings,
    pub models: Models,
    pub adaptive_model_selection: bool,
    /// Per-level model overrides, indexed like `Level::ALL` (`OPENAI_MODEL_BEGINNER`, …).
    pub level_models: [Option<String>; 4],
    /// What requests cost (`PRICES_JSON` adds or replaces entries of the defaults).
    pub prices: crate::tutor::Prices,
    pub limits: Limits,
    /// Redis shared by the replicas (`REDIS_URL`): caches, the turn limit, the send budget.
    /// None = the same in-process, for one machine.
    pub redis_url: Option<String>,
    /// Turns one learner may start per minute (`TURNS_PER_MINUTE`); 0 = no limit.
    pub turns_per_minute: u32,
    /// Whether Honzík's voice for a text said before is reused (`TTS_CACHE`).
    pub tts_cache: bool,
    /// Cards in one `/review` session (`REVIEW_CARDS`).
    pub review_cards: usize,
    /// How often each replica looks for daily reminders to send (`REMINDER_SWEEP_SECONDS`).
    pub reminder_sweep: Duration,
    /// How long a single OpenAI request may take before it counts as failed.
    pub openai_timeout: Duration,
    /// Retries, deadline, concurrency and circuit breaking of the OpenAI upstream.
    pub upstream: UpstreamLimits,
    /// Long-poll timeout for getUpdates (must stay under the HTTP client's 17 s total timeout).
    pub poll_timeout_secs: u32,
    /// How long SIGTERM waits for turns in flight before exiting anyway.
    pub shutdown_grace: Duration,
    /// How long processed updates stay in the inbox (Telegram redelivers unconfirmed ones for a
    /// day at most; what the learner said stays in `messages` regardless).
    pub updates_retention: chrono::Duration,
    /// What a group chat hears when it talks to the bot (`GROUP_CHATS`).
    pub group_chats: GroupChats,
    /// This replica's name in chat leases and heartbeats (`REPLICA_ID`, else Fly's
    /// `FLY_MACHINE_ID`, else random). A stable name lets a restarted machine take its own
    /// chats back at once instead of waiting for their leases to expire.
    pub replica_id: String,
    /// How long a chat's lease lasts without renewal (`CHAT_LEASE_SECONDS`, webhook mode): how
    /// long the chats of a replica that died wait before another replica takes them over.
    pub chat_lease: Duration,
    /// Port of the operations server (`PORT`): /healthz, /readyz, /metrics, and the webhook in
    /// webhook mode. None = no HTTP server (polling mode only).
    pub port: Option<u16>,
    /// Webhook mode (`WEBHOOK_URL` + `WEBHOOK_SECRET`); None = long polling.
    pub webhook: Option<WebhookSettings>,
    /// The HTTP server's bounds and where the operations endpoints live (`server`).
    pub http: HttpSettings,
    /// How log lines are written (`LOG_FORMAT`); `main` reads it first, through
    /// [`LogFormat::from_lookup`], so even a failing start logs in the chosen format.
    pub log_format: LogFormat,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Destructured, so a new field does not compile until someone decides whether it is a
        // secret.
        let Config {
            telegram_token: _,
            telegram_api_url,
            openai_api_key: _,
            openai_base_url,
            stt_server,
            tts_server,
            database_url,
            database_max_connections,
            database_statement_timeout,
            audio_dir,
            audio_s3,
            audio_retention,
            admin_ids,
            admin,
            models,
            adaptive_model_selection,
            level_models,
            prices,
            limits,
            redis_url,
            turns_per_minute,
            tts_cache,
            review_cards,
            reminder_sweep,
            openai_timeout,
            upstream,
            poll_timeout_secs,
            shutdown_grace,
            updates_retention,
            group_chats,
            replica_id,
            chat_lease,
            port,
            webhook,
            http,
            log_format,
        } = self;
        f.debug_struct("Config")
            .field("telegram_token", &HIDDEN)
            .field("telegram_api_url", &telegram_api_url.as_ref().map(|u| redact_url(u.as_str())))
            .field("openai_api_key", &HIDDEN)
            .field("openai_base_url", &openai_base_url.as_deref().map(redact_url))
            .field("stt_server", stt_server)
            .field("tts_server", tts_server)
            .field("database_url", &redact_url(database_url))
            .field("database_max_connections", database_max_connections)
            .field("database_statement_timeout", database_statement_timeout)
            .field("audio_dir", audio_dir)
            .field("audio_s3", audio_s3)
            .field("audio_retention", audio_retention)
            .field("admin_ids", admin_ids)
            .field("admin", admin)
            .field("models", models)
            .field("adaptive_model_selection", adaptive_model_selection)
            .field("level_models", level_models)
            .field("prices", prices)
            .field("limits", limits)
            .field("redis_url", &redis_url.as_deref().map(redact_url))
            .field("turns_per_minute", turns_per_minute)
            .field("tts_cache", tts_cache)
            .field("review_cards", review_cards)
            .field("reminder_sweep", reminder_sweep)
            .field("openai_timeout", openai_timeout)
            .field("upstream", upstream)
            .field("poll_timeout_secs", poll_timeout_secs)
            .field("shutdown_grace", shutdown_grace)
            .field("updates_retention", updates_retention)
            .field("group_chats", group_chats)
            .field("replica_id", replica_id)
            .field("chat_lease", chat_lease)
            .field("port", port)
            .field("webhook", webhook)
            .field("http", http)
            .field("log_format", log_format)
            .finish()
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Builds the configuration from any key → value lookup, so tests need not touch the process
    /// environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |k: &str| get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let telegram_token = var("TELOXIDE_TOKEN").ok_or(ConfigError::Missing {
            var: "TELOXIDE_TOKEN",
            hint: "set it to the bot token from @BotFather, e.g. TELOXIDE_TOKEN=123456:ABC…",
        })?;
        if !telegram_token.contains(':') {
            return Err(ConfigError::Invalid {
                var: "TELOXIDE_TOKEN",
                value: "<hidden>".into(),
                hint: "a bot token looks like 123456:ABC… (copy it from @BotFather)".into(),
            });
        }
        let telegram_api_url =
            var("TELOXIDE_API_URL").map(|v| parse_url("TELOXIDE_API_URL", &v)).transpose()?;
        let openai_api_key = var("OPENAI_API_KEY").ok_or(ConfigError::Missing {
            var: "OPENAI_API_KEY",
            hint: "set it to your OpenAI key (any value works for a local OpenAI-compatible server)",
        })?;
        let openai_base_url =
            var("OPENAI_BASE_URL").map(|v| base_url("OPENAI_BASE_URL", &v)).transpose()?;
        let chat_server =
            AiServer { base_url: openai_base_url.clone(), api_key: openai_api_key.clone() };
        let stt_server = ai_server(&var, "STT_BASE_URL", "STT_API_KEY", &chat_server)?;
        let tts_server = ai_server(&var, "TTS_BASE_URL", "TTS_API_KEY", &chat_server)?;
        let database_url =
            var("DATABASE_URL").unwrap_or_else(|| "sqlite://mluvme.db?mode=rwc".to_owned());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                var: "DATABASE_URL",
                value: redact_url(&database_url),
                hint: "use sqlite://path.db?mode=rwc or postgres://user:pass@host/db".into(),
            });
        }
        let admin_ids = match var("ADMIN_IDS") {
            None => Vec::new(),
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<i64>())
                .collect::<Result<_, _>>()
                .map_err(|_| ConfigError::Invalid {
                    var: "ADMIN_IDS",
                    value: v.clone(),
                    hint: "a comma-separated list of numeric Telegram user ids, e.g. 1234,5678"
                        .into(),
                })?,
        };
        let config = Config {
            telegram_token,
            telegram_api_url,
            openai_api_key,
            openai_base_url,
            stt_server,
            tts_server,
            database_url,
            database_max_connections: match var("DATABASE_MAX_CONNECTIONS") {
                None => None,
                Some(_) => Some(parse_num(&var, "DATABASE_MAX_CONNECTIONS", 1, 1, 1000)?),
            },
            // A turn's statements take milliseconds; 30 s is far past any healthy one and still
            // short enough that a stuck query frees its connection before the pool runs dry.
            database_statement_timeout: Duration::from_secs(parse_num(&var, "DATABASE_STATEMENT_TIMEOUT_SECONDS", 30, 1, 3600)?),
            audio_dir: PathBuf::from(var("AUDIO_DIR").unwrap_or_else(|| "./data/audio".into())),
            audio_s3: audio_s3(&var)?,
            audio_retention: match parse_num(&var, "AUDIO_RETENTION_DAYS", 90, 0, 36_500)? {
                0 => None,
                days => Some(chrono::Duration::days(days)),
            },
            admin: admin_settings(&var)?,
            admin_ids,
            models: Models {
                main: var("OPENAI_MODEL").unwrap_or_else(|| "gpt-4o".into()),
                simple: var("OPENAI_MODEL_SIMPLE").unwrap_or_else(|| "gpt-4o-mini".into()),
                stt: var("STT_MODEL").unwrap_or_else(|| "whisper-1".into()),
                tts: var("TTS_MODEL").unwrap_or_else(|| "tts-1".into()),
                tts_voice: var("TTS_VOICE").unwrap_or_else(|| "onyx".into()),
                tts_voice_second: var("TTS_VOICE_SECOND").unwrap_or_else(|| "shimmer".into()),
            },
            adaptive_model_selection: parse_bool(&var, "ADAPTIVE_MODEL_SELECTION", true)?,
            level_models: ["OPENAI_MODEL_BEGINNER", "OPENAI_MODEL_INTERMEDIATE", "OPENAI_MODEL_ADVANCED", "OPENAI_MODEL_NATIVE"].map(&var),
            prices: match var("PRICES_JSON") {
                None => crate::tutor::Prices::default(),
                Some(json) => crate::tutor::Prices::with_overrides(&json).map_err(|e| ConfigError::Invalid {
                    var: "PRICES_JSON",
                    value: json.chars().take(80).collect(),
                    hint: format!("expected JSON like {{\"chat\": {{\"my-model\": {{\"input\": 0.5, \"output\": 1.5}}}}}} ({e})"),
                })?,
            },
            limits: Limits {
                max_voice_secs: parse_num(&var, "MAX_VOICE_SECONDS", 60, 1, 600)?,
                max_file_bytes: 20 * 1024 * 1024,
                context_token_budget: parse_num(&var, "CONTEXT_TOKEN_BUDGET", 3000, 500, 200_000)?,
                chat_backlog: parse_num(&var, "CHAT_BACKLOG", 5, 1, 64)?,
                max_concurrent_turns: parse_num(&var, "MAX_CONCURRENT_TURNS", 1024, 1, 100_000)?,
                audio_memory_bytes: parse_num(&var, "AUDIO_MEMORY_MB", 128u64, 20, 65_536)? << 20,
                audio_queue_bytes: parse_num(&var, "AUDIO_QUEUE_MB", 64u64, 1, 65_536)? << 20,
                outage_wait: Duration::from_secs(parse_num(&var, "OUTAGE_WAIT_SECONDS", 600, 0, 86_400)?),
                pacing: match var("TELEGRAM_PACING").map(|v| v.to_ascii_lowercase()).as_deref() {
                    None | Some("on") => true,
                    Some("off") => false,
                    Some(_) => return Err(ConfigError::Invalid { var: "TELEGRAM_PACING", value: var("TELEGRAM_PACING").unwrap_or_default(), hint: "on or off".into() }),
                },
                sends_per_second: parse_rate(&var, "TELEGRAM_SENDS_PER_SECOND", 29.0)?,
                chat_sends_per_second: parse_rate(&var, "TELEGRAM_CHAT_SENDS_PER_SECOND", 0.95)?,
            },
            port: match var("PORT") {
                None => None,
                Some(_) => Some(parse_num(&var, "PORT", 8080u16, 1, u16::MAX)?),
            },
            webhook: webhook_settings(&var)?,
            http: http_settings(&var)?,
            log_format: LogFormat::from_lookup(&get)?,
            redis_url: match var("REDIS_URL") {
                None => None,
                Some(url) if url::Url::parse(&url).is_ok_and(|u| matches!(u.scheme(), "redis" | "rediss") && u.host().is_some()) => Some(url),
                Some(url) => {
                    return Err(ConfigError::Invalid { var: "REDIS_URL", value: redact_url(&url), hint: "use redis://[:password@]host:6379[/db] (rediss:// for TLS), or leave it unset".into() });
                }
            },
            turns_per_minute: parse_num(&var, "TURNS_PER_MINUTE", 10, 0, 10_000)?,
            tts_cache: parse_bool(&var, "TTS_CACHE", true)?,
            review_cards: parse_num(&var, "REVIEW_CARDS", 5, 1, 20)?,
            reminder_sweep: Duration::from_secs(parse_num(&var, "REMINDER_SWEEP_SECONDS", 45, 1, 3600)?),
            openai_timeout: Duration::from_secs(parse_num(&var, "OPENAI_TIMEOUT_SECONDS", 60, 1, 600)?),
            upstream: upstream_limits(&var)?,
            poll_timeout_secs: parse_num(&var, "POLL_TIMEOUT_SECONDS", 10, 0, 15)?,
            shutdown_grace: Duration::from_secs(parse_num(&var, "SHUTDOWN_GRACE_SECONDS", 25, 0, 300)?),
            updates_retention: chrono::Duration::days(parse_num(&var, "UPDATES_RETENTION_DAYS", 7, 1, 3650)?),
            group_chats: match var("GROUP_CHATS").map(|v| v.to_ascii_lowercase()).as_deref() {
                None | Some("reply") => GroupChats::Reply,
                Some("ignore") => GroupChats::Ignore,
                Some(other) => {
                    return Err(ConfigError::Invalid { var: "GROUP_CHATS", value: other.into(), hint: "use reply (a note to talk in private) or ignore".into() });
                }
            },
            replica_id: match var("REPLICA_ID").or_else(|| var("FLY_MACHINE_ID")) {
                Some(id) if !id.is_empty() && id.len() <= 64 => id,
                Some(id) => return Err(ConfigError::Invalid { var: "REPLICA_ID", value: id, hint: "1 to 64 characters".into() }),
                None => format!("replica-{:016x}", rand::random::<u64>()),
            },
            // Renewed every second, so anything above a few seconds survives a slow database.
            chat_lease: Duration::from_secs(parse_num(&var, "CHAT_LEASE_SECONDS", 30, 3, 3600)?),
        };
        config.check_lease_outlasts_grace()?;
        Ok(config)
    }

    /// With several replicas (webhook mode) a chat's lease must outlast the stop's grace period:
    /// a stopping replica renews its leases until its last turn ends or is aborted, and a lease
    /// longer than the grace means the renewal made as the stop began covers the whole of it
    /// even if every later one fails (a database blip) — so no other replica takes a chat whose
    /// turn may still run here. Refused at start-up rather than found out as a learner answered
    /// twice.
    fn check_lease_outlasts_grace(&self) -> Result<(), ConfigError> {
        if self.webhook.is_none() || self.chat_lease > self.shutdown_grace {
            return Ok(());
        }
        Err(ConfigError::Invalid {
            var: "CHAT_LEASE_SECONDS",
            value: self.chat_lease.as_secs().to_string(),
            hint: format!(
                "in webhook mode a chat's lease must be longer than SHUTDOWN_GRACE_SECONDS ({} s): raise CHAT_LEASE_SECONDS or lower SHUTDOWN_GRACE_SECONDS",
                self.shutdown_grace.as_secs()
            ),
        })
    }

    /// The model-routing policy these settings describe.
    pub fn model_policy(&self) -> crate::tutor::ModelPolicy {
        crate::tutor::ModelPolicy {
            main: self.models.main.clone(),
            simple: self.models.simple.clone(),
            adaptive: self.adaptive_model_selection,
            per_level: self.level_models.clone(),
        }
    }

    pub fn is_admin(&self, user_id: i64) -> bool {
        self.admin_ids.contains(&user_id)
    }
}

#[cfg(test)]
mod tests;
