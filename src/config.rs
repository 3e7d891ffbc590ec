//! Typed settings from the environment.
//!
//! Every setting is read once at start-up; a missing or malformed value stops the process with one
//! line naming the variable and how to fix it (zero-to-production style: fail fast, fail clearly).
//! Defaults run the bot on one machine with nothing else installed (SQLite file, local audio dir).

use std::path::PathBuf;
use std::time::Duration;

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

/// `LOG_FORMAT`: `text` (the default: one readable line per event, for a terminal or `fly logs`)
/// or `json` (one JSON object per line with the event's fields and its spans', for a log store
/// that indexes fields — find every line of one update by its `update_id`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl LogFormat {
    /// A value other than `text` or `json` stops the start with one clear line: a typo would
    /// otherwise send unparseable lines to a log store expecting JSON.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<LogFormat, ConfigError> {
        match get("LOG_FORMAT").map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(ConfigError::Invalid {
                var: "LOG_FORMAT",
                value: other.to_owned(),
                hint: "text (the default) or json".into(),
            }),
        }
    }
}

/// What the HTTP server on `PORT` (and `OPS_PORT`) accepts: every client is bounded in time and
/// in number, so slow or many clients cannot hold the bot's sockets, memory or its shutdown.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpSettings {
    /// `OPS_PORT`: `/readyz` and `/metrics` (and `/healthz`) are served on this port only, and
    /// `PORT` keeps the webhook and `/healthz`. None = everything on `PORT`, as before.
    pub ops_port: Option<u16>,
    /// `HTTP_HEADER_TIMEOUT_SECONDS`: a request's headers must arrive within this (an idle
    /// keep-alive connection is closed after it too).
    pub header_timeout: Duration,
    /// `HTTP_BODY_TIMEOUT_SECONDS`: the webhook's body must arrive within this once its headers
    /// were accepted.
    pub body_timeout: Duration,
    /// `HTTP_REQUEST_TIMEOUT_SECONDS`: a whole request, body and answer, within this; past it the
    /// client gets 503 and the connection is closed.
    pub request_timeout: Duration,
    /// `HTTP_MAX_CONNECTIONS`: connections served at once per port; one more is answered 503
    /// and closed at once.
    pub max_connections: usize,
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

/// What a secret prints as in `Debug`.
const HIDDEN: &str = "***";

/// One OpenAI-compatible server: where it is and the key it wants.
#[derive(Clone, PartialEq)]
pub struct AiServer {
    /// None = OpenAI itself.
    pub base_url: Option<String>,
    pub api_key: String,
}

/// Never prints the key (the `Config` is logged with `{:?}` in places).
impl std::fmt::Debug for AiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AiServer")
            .field("base_url", &self.base_url.as_deref().map(redact_url))
            .field("api_key", &HIDDEN)
            .finish()
    }
}

/// `{prefix}_BASE_URL` and `{prefix}_API_KEY`, each the chat server's where unset. A base URL of
/// its own with no key of its own gets the chat key: self-hosted servers ignore it, and one key
/// for two OpenAI-compatible services of one provider is the common case.
fn ai_server(
    var: &impl Fn(&str) -> Option<String>,
    base_var: &'static str,
    key_var: &'static str,
    chat: &AiServer,
) -> Result<AiServer, ConfigError> {
    let base_url = match var(base_var) {
        Some(v) => Some(base_url(base_var, &v)?),
        None => chat.base_url.clone(),
    };
    Ok(AiServer { base_url, api_key: var(key_var).unwrap_or_else(|| chat.api_key.clone()) })
}

/// An OpenAI-compatible base URL, without its trailing slash.
fn base_url(var: &'static str, value: &str) -> Result<String, ConfigError> {
    parse_url(var, value).map(|u| u.as_str().trim_end_matches('/').to_owned())
}

/// Where Telegram sends updates in webhook mode, and the secret it proves itself with.
#[derive(Clone)]
pub struct WebhookSettings {
    /// https, or http on loopback (a local Bot API server or the tests' emulator).
    pub url: url::Url,
    /// Fixed, so every replica accepts what Telegram signs with the one registered secret.
    pub secret: String,
}

/// Never prints the secret (the `Config` is logged with `{:?}` in places).
impl std::fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("url", &redact_url(self.url.as_str()))
            .field("secret", &HIDDEN)
            .finish()
    }
}

/// Honzík talks in private chats only; in a group, a message addressed to him gets a note to talk
/// to him in private (`reply`, the default) or nothing (`ignore`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupChats {
    Reply,
    Ignore,
}

#[derive(Clone, Debug)]
pub struct Models {
    pub main: String,
    pub simple: String,
    pub stt: String,
    pub tts: String,
    pub tts_voice: String,
    /// Paní Nováková's voice in role-play scenes (`TTS_VOICE_SECOND`): another speaker than
    /// Honzík, so the learner hears who is talking.
    pub tts_voice_second: String,
}

/// How OpenAI requests survive upstream trouble without piling up (see `crate::ai::upstream`).
#[derive(Clone, Debug)]
pub struct UpstreamLimits {
    /// Whole request: waiting for a slot, every attempt and the waits between them.
    pub deadline: Duration,
    /// Attempts after the first (429, 5xx, timeouts, network errors only).
    pub max_retries: u32,
    /// First backoff is up to this (full jitter), doubling per retry…
    pub backoff_base: Duration,
    /// …up to this (a server's Retry-After is honoured beyond it, within the deadline).
    pub backoff_max: Duration,
    /// Requests in flight at once per upstream.
    pub max_concurrent_chat: usize,
    pub max_concurrent_stt: usize,
    pub max_concurrent_tts: usize,
    /// Consecutive failed requests (after retries) that open an upstream's circuit.
    pub breaker_failures: u32,
    /// How long an open circuit refuses requests before one probe goes out.
    pub breaker_cooldown: Duration,
}

#[derive(Clone, Debug)]
pub struct Limits {
    /// Longest voice note we accept, in seconds: its declared length before downloading, an Ogg's
    /// real length (`speech::ogg`) before speech-to-text.
    pub max_voice_secs: u32,
    /// Largest file we download; Telegram's getFile refuses anything above 20 MB anyway.
    pub max_file_bytes: u64,
    /// Whole-prompt token budget for one turn's context.
    pub context_token_budget: usize,
    /// Updates one chat may have waiting before it gets a "one at a time" notice.
    pub chat_backlog: usize,
    /// Turns processed at once across all chats (bounds memory and upstream pressure).
    pub max_concurrent_turns: usize,
    /// Bytes of learners' audio held at once from download to the end of speech-to-text
    /// (`AUDIO_MEMORY_MB`, at least the largest file): a burst of big files waits for memory.
    pub audio_memory_bytes: u64,
    /// Bytes of audio waiting for the audio store (`AUDIO_QUEUE_MB`); beyond it a write is refused.
    pub audio_queue_bytes: u64,
    /// How long a turn stopped by an OpenAI outage waits for it to clear before it gives up (the
    /// learner is told at once that Honzík will answer when it does).
    pub outage_wait: Duration,
    /// Whether sends are paced at all (`TELEGRAM_PACING=off` for a Bot API server without limits).
    pub pacing: bool,
    /// Sends per second for the whole bot (Telegram allows 30; a little under absorbs jitter).
    pub sends_per_second: f64,
    /// Sends per second to one chat after a burst of 3 (Telegram allows about 1).
    pub chat_sends_per_second: f64,
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

/// The starting values of what admins change at runtime (`/access`, `/quota`, `/spend_cap`);
/// once an admin changes one, the database's value wins (every replica reads it there).
#[derive(Clone, Debug)]
pub struct AdminSettings {
    /// `ACCESS_MODE`: public (default) or allowlist.
    pub access_mode: crate::admin::access::AccessMode,
    /// `ALLOWED_USERS`: let in in allow-list mode, besides those admins add.
    pub allowed_users: Vec<i64>,
    /// `DEFAULT_DAILY_QUOTA`: dollars a learner may spend per local day, or "unlimited".
    pub default_quota: crate::admin::quota::Allowance,
    /// `SPEND_CAP_DAILY`: dollars the whole bot may spend per UTC day; None ("off") = no cap.
    pub spend_cap: Option<i64>,
}

fn admin_settings(var: &impl Fn(&str) -> Option<String>) -> Result<AdminSettings, ConfigError> {
    use crate::admin::{access::AccessMode, quota};
    let access_mode = match var("ACCESS_MODE") {
        None => AccessMode::Public,
        Some(v) => AccessMode::parse(&v).ok_or(ConfigError::Invalid {
            var: "ACCESS_MODE",
            value: v,
            hint: "public or allowlist".into(),
        })?,
    };
    let allowed_users = match var("ALLOWED_USERS") {
        None => Vec::new(),
        Some(v) => v
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<i64>())
            .collect::<Result<_, _>>()
            .map_err(|_| ConfigError::Invalid {
                var: "ALLOWED_USERS",
                value: v.clone(),
                hint: "a comma-separated list of numeric Telegram user ids, e.g. 1234,5678".into(),
            })?,
    };
    let default_quota = match var("DEFAULT_DAILY_QUOTA") {
        None => quota::Allowance::Daily(500_000),
        Some(v) => quota::parse_allowance(&v).map_err(|e| ConfigError::Invalid {
            var: "DEFAULT_DAILY_QUOTA",
            value: v,
            hint: format!(
                "dollars per learner per day such as 0.50 (0 = none), or unlimited ({e})"
            ),
        })?,
    };
    let spend_cap = match var("SPEND_CAP_DAILY") {
        None => None,
        Some(v) if v.eq_ignore_ascii_case("off") => None,
        Some(v) => Some(quota::parse_dollars(&v).map_err(|e| ConfigError::Invalid {
            var: "SPEND_CAP_DAILY",
            value: v,
            hint: format!("dollars per UTC day for the whole bot such as 20, or off ({e})"),
        })?),
    };
    Ok(AdminSettings { access_mode, allowed_users, default_quota, spend_cap })
}

fn upstream_limits(var: &impl Fn(&str) -> Option<String>) -> Result<UpstreamLimits, ConfigError> {
    // The deadline defaults to one and a half attempts: room for a retry after a quick failure.
    let timeout: u64 = parse_num(var, "OPENAI_TIMEOUT_SECONDS", 60, 1, 600)?;
    let concurrent = |name| parse_num(var, name, 256usize, 1, 100_000);
    Ok(UpstreamLimits {
        deadline: match var("OPENAI_DEADLINE_SECONDS") {
            None => Duration::from_millis(timeout * 1500),
            Some(_) => Duration::from_secs(parse_num(var, "OPENAI_DEADLINE_SECONDS", 90, 1, 3600)?),
        },
        max_retries: parse_num(var, "OPENAI_MAX_RETRIES", 3, 0, 20)?,
        backoff_base: Duration::from_millis(parse_num(
            var,
            "OPENAI_BACKOFF_BASE_MS",
            250,
            1,
            60_000,
        )?),
        backoff_max: Duration::from_millis(parse_num(
            var,
            "OPENAI_BACKOFF_MAX_MS",
            8_000,
            1,
            600_000,
        )?),
        max_concurrent_chat: concurrent("OPENAI_MAX_CONCURRENT_CHAT")?,
        max_concurrent_stt: concurrent("OPENAI_MAX_CONCURRENT_STT")?,
        max_concurrent_tts: concurrent("OPENAI_MAX_CONCURRENT_TTS")?,
        breaker_failures: parse_num(var, "OPENAI_BREAKER_FAILURES", 5, 1, 1000)?,
        breaker_cooldown: Duration::from_secs(parse_num(
            var,
            "OPENAI_BREAKER_COOLDOWN_SECONDS",
            30,
            1,
            3600,
        )?),
    })
}

/// An S3-compatible bucket (AWS S3, Tigris on Fly.io, MinIO, R2). Its own `Debug` hides both keys.
#[derive(Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// None = AWS's own endpoint for the region; else any S3-compatible endpoint, addressed
    /// path-style (`endpoint/bucket/key`), plain http allowed only when written so.
    pub endpoint: Option<url::Url>,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &HIDDEN)
            .field("secret_access_key", &HIDDEN)
            .finish()
    }
}

/// `AUDIO_S3_BUCKET` switches audio to S3; the keys come from the standard AWS variables, so
/// `fly storage create` (which sets them) is all a Fly.io deployment needs besides the bucket.
fn audio_s3(var: &impl Fn(&str) -> Option<String>) -> Result<Option<S3Settings>, ConfigError> {
    let Some(bucket) = var("AUDIO_S3_BUCKET") else { return Ok(None) };
    let hint = "keys for the audio bucket (AUDIO_S3_BUCKET is set): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
    Ok(Some(S3Settings {
        bucket,
        endpoint: var("AUDIO_S3_ENDPOINT")
            .map(|v| parse_url("AUDIO_S3_ENDPOINT", &v))
            .transpose()?,
        region: var("AUDIO_S3_REGION")
            .or_else(|| var("AWS_REGION"))
            .unwrap_or_else(|| "us-east-1".into()),
        access_key_id: var("AWS_ACCESS_KEY_ID")
            .ok_or(ConfigError::Missing { var: "AWS_ACCESS_KEY_ID", hint })?,
        secret_access_key: var("AWS_SECRET_ACCESS_KEY")
            .ok_or(ConfigError::Missing { var: "AWS_SECRET_ACCESS_KEY", hint })?,
    }))
}

/// `WEBHOOK_URL` and `WEBHOOK_SECRET` together, as Telegram accepts them; `PORT` is then required
/// (checked by the caller's `port`). A secret without a URL is ignored: polling needs none.
fn webhook_settings(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Option<WebhookSettings>, ConfigError> {
    let Some(raw) = var("WEBHOOK_URL") else { return Ok(None) };
    let url = url::Url::parse(&raw).ok().filter(|u| {
        let host = u.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        let loopback = host == "localhost"
            || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        u.scheme() == "https" || (u.scheme() == "http" && loopback)
    });
    let Some(url) = url else {
        return Err(ConfigError::Invalid { var: "WEBHOOK_URL", value: raw, hint: "an https URL Telegram can reach, e.g. https://mluvme.fly.dev/telegram (plain http only on 127.0.0.1)".into() });
    };
    let secret = var("WEBHOOK_SECRET").ok_or(ConfigError::Missing {
        var: "WEBHOOK_SECRET",
        hint: "webhook mode needs a fixed secret shared by every replica: 1-256 of A-Z a-z 0-9 _ -, e.g. from `openssl rand -hex 32`",
    })?;
    if secret.len() > 256
        || !secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(ConfigError::Invalid {
            var: "WEBHOOK_SECRET",
            value: "<hidden>".into(),
            hint: "1-256 characters of A-Z a-z 0-9 _ - (Telegram refuses others)".into(),
        });
    }
    if var("PORT").is_none() {
        return Err(ConfigError::Missing {
            var: "PORT",
            hint: "webhook mode serves Telegram's requests on this port, e.g. PORT=8080",
        });
    }
    Ok(Some(WebhookSettings { url, secret }))
}

fn http_settings(var: &impl Fn(&str) -> Option<String>) -> Result<HttpSettings, ConfigError> {
    let secs = |name: &'static str, default: u64, max: u64| -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(parse_num(var, name, default, 1, max)?))
    };
    let ops_port = match var("OPS_PORT") {
        None => None,
        Some(_) => Some(parse_num(var, "OPS_PORT", 9091u16, 1, u16::MAX)?),
    };
    if let Some(ops) = ops_port
        && var("PORT").is_some_and(|p| p.parse::<u16>() == Ok(ops))
    {
        return Err(ConfigError::Invalid {
            var: "OPS_PORT",
            value: ops.to_string(),
            hint: "a port of its own, not PORT's (PORT is the public one), e.g. OPS_PORT=9091"
                .into(),
        });
    }
    Ok(HttpSettings {
        ops_port,
        // Telegram and health checks send their headers at once; ten seconds is generous.
        header_timeout: secs("HTTP_HEADER_TIMEOUT_SECONDS", 10, 300)?,
        body_timeout: secs("HTTP_BODY_TIMEOUT_SECONDS", 10, 300)?,
        // Recording an update is one insert; a request past this has a database problem, and
        // Telegram delivers the update again.
        request_timeout: secs("HTTP_REQUEST_TIMEOUT_SECONDS", 30, 600)?,
        // Above Fly's hard limit of 250 requests (fly.toml) and Telegram's 100 connections at most.
        max_connections: parse_num(var, "HTTP_MAX_CONNECTIONS", 512usize, 1, 100_000)?,
    })
}

fn parse_url(var: &'static str, value: &str) -> Result<url::Url, ConfigError> {
    url::Url::parse(value).ok().filter(|u| matches!(u.scheme(), "http" | "https")).ok_or_else(
        || ConfigError::Invalid {
            var,
            value: value.to_owned(),
            hint: "expected an http(s) URL such as http://127.0.0.1:8081".into(),
        },
    )
}

fn parse_bool(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match var(name).as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError::Invalid {
            var: name,
            value: other.into(),
            hint: "use true or false".into(),
        }),
    }
}

fn parse_num<T>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(raw) = var(name) else { return Ok(default) };
    match raw.parse::<T>() {
        Ok(v) if v >= min && v <= max => Ok(v),
        _ => Err(ConfigError::Invalid {
            var: name,
            value: raw,
            hint: format!("a whole number from {min} to {max}"),
        }),
    }
}

/// A send rate: above 0 and at most Telegram's 30 a second for the whole bot (a higher setting
/// would only buy 429s). A chat rate above Telegram's ~1/s makes sense only against a Bot API
/// server without that limit (the tests' emulator).
fn parse_rate(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: f64,
) -> Result<f64, ConfigError> {
    let Some(raw) = var(name) else { return Ok(default) };
    match raw.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 30.0 => Ok(v),
        _ => Err(ConfigError::Invalid {
            var: name,
            value: raw,
            hint: "a number above 0 and at most 30 (Telegram's limit), e.g. 29".into(),
        }),
    }
}

/// A URL fit for a log line or an error message: the user, the password, the query (where
/// `?password=`, `?sslpassword=` or a signed token hides) and the fragment are masked; the
/// scheme, host, port and path stay, which is what a reader needs to tell one server from another.
/// Text that is not a URL keeps only what follows its last `@` and precedes any `?`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if !u.username().is_empty() {
                let _ = u.set_username(HIDDEN);
            }
            if u.password().is_some() {
                let _ = u.set_password(Some(HIDDEN));
            }
            if u.query().is_some() {
                u.set_query(Some(HIDDEN));
            }
            if u.fragment().is_some() {
                u.set_fragment(Some(HIDDEN));
            }
            let shown = u.to_string();
            // A URL without a host ("sqlite:user:pw@x") keeps its text in the path.
            if shown.contains('@') && u.host().is_none() { redact_text(url) } else { shown }
        }
        Err(_) => redact_text(url),
    }
}

fn redact_text(text: &str) -> String {
    let (rest, query) = match text.split_once('?') {
        Some((rest, _)) => (rest, format!("?{HIDDEN}")),
        None => (text, String::new()),
    };
    match rest.rsplit_once('@') {
        Some((before, after)) => {
            let scheme =
                before.split_once("://").map(|(s, _)| format!("{s}://")).unwrap_or_default();
            format!("{scheme}{HIDDEN}@{after}{query}")
        }
        None => format!("{rest}{query}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn log_format_is_text_by_default_json_on_request_and_anything_else_stops_the_start() {
        let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
        assert_eq!(cfg(&base).unwrap().log_format, LogFormat::Text);
        let json = cfg(&[base[0], base[1], ("LOG_FORMAT", "JSON")]).unwrap();
        assert_eq!(json.log_format, LogFormat::Json);
        let err = cfg(&[base[0], base[1], ("LOG_FORMAT", "logfmt")]).unwrap_err().to_string();
        assert!(err.contains("LOG_FORMAT") && err.contains("json"), "{err}");
    }

    #[test]
    fn the_token_and_key_are_enough_and_defaults_fill_the_rest() {
        let c = cfg(&[("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")]).unwrap();
        assert!(c.database_url.starts_with("sqlite://"));
        assert_eq!(c.models.main, "gpt-4o");
        assert_eq!(c.models.simple, "gpt-4o-mini");
        assert_eq!(c.limits.max_voice_secs, 60);
        assert_eq!(
            (c.limits.sends_per_second, c.limits.chat_sends_per_second),
            (29.0, 0.95),
            "just under Telegram's 30/s and 1/s"
        );
        assert!(c.adaptive_model_selection);
        assert_eq!(c.group_chats, GroupChats::Reply);
        assert_eq!((c.redis_url, c.turns_per_minute), (None, 10), "in-process, ten turns a minute");
    }

    #[test]
    fn in_webhook_mode_a_chat_lease_not_longer_than_the_grace_period_stops_start_up() {
        let hook = [
            ("TELOXIDE_TOKEN", "1:A"),
            ("OPENAI_API_KEY", "sk"),
            ("WEBHOOK_URL", "https://bot.example.com/telegram/hook"),
            ("WEBHOOK_SECRET", "s3cret-for-replicas"),
            ("PORT", "8080"),
        ];
        let with = |lease: &str, grace: &str| {
            let mut pairs = hook.to_vec();
            pairs.extend([("CHAT_LEASE_SECONDS", lease), ("SHUTDOWN_GRACE_SECONDS", grace)]);
            cfg(&pairs)
        };
        assert!(cfg(&hook).is_ok(), "the defaults (30 s lease, 25 s grace) fit");
        let err = with("20", "25").unwrap_err().to_string();
        assert!(
            err.starts_with("CHAT_LEASE_SECONDS=\"20\"")
                && err.contains("SHUTDOWN_GRACE_SECONDS (25 s)"),
            "{err}"
        );
        assert!(with("25", "25").is_err(), "equal is not longer");
        assert!(with("3", "2").is_ok());
        // Long polling has no leases: the grace period is the operator's to choose.
        let polling = [
            ("TELOXIDE_TOKEN", "1:A"),
            ("OPENAI_API_KEY", "sk"),
            ("CHAT_LEASE_SECONDS", "5"),
            ("SHUTDOWN_GRACE_SECONDS", "60"),
        ];
        assert!(cfg(&polling).is_ok());
    }

    #[test]
    fn a_redis_url_is_taken_and_its_password_never_shown() {
        let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
        let mut pairs = base.to_vec();
        pairs.push(("REDIS_URL", "rediss://:hunter2@cache.internal:6380/0"));
        assert_eq!(
            cfg(&pairs).unwrap().redis_url.as_deref(),
            Some("rediss://:hunter2@cache.internal:6380/0")
        );
        let mut bad = base.to_vec();
        bad.push(("REDIS_URL", "mysql://:hunter2@h"));
        let err = cfg(&bad).unwrap_err().to_string();
        assert!(err.starts_with("REDIS_URL") && !err.contains("hunter2"), "{err}");
    }

    #[test]
    fn group_chats_are_answered_or_ignored_by_configuration() {
        let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
        for (v, want) in [("reply", GroupChats::Reply), ("IGNORE", GroupChats::Ignore)] {
            let mut pairs = base.to_vec();
            pairs.push(("GROUP_CHATS", v));
            assert_eq!(cfg(&pairs).unwrap().group_chats, want, "{v}");
        }
    }

    #[test]
    fn a_missing_token_names_the_variable_and_the_fix() {
        let err = cfg(&[("OPENAI_API_KEY", "sk")]).unwrap_err().to_string();
        assert!(err.contains("TELOXIDE_TOKEN") && err.contains("@BotFather"), "{err}");
    }

    #[test]
    fn malformed_values_are_rejected_with_the_variable_name() {
        let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
        for (k, v) in [
            ("GROUP_CHATS", "sometimes"),
            ("ADMIN_IDS", "12,abc"),
            ("MAX_VOICE_SECONDS", "-3"),
            ("ADAPTIVE_MODEL_SELECTION", "maybe"),
            ("PRICES_JSON", "{oops"),
            ("DATABASE_URL", "mysql://x"),
            ("OPENAI_BASE_URL", "not a url"),
            ("TELEGRAM_SENDS_PER_SECOND", "0"),
            ("TELEGRAM_SENDS_PER_SECOND", "31"),
            ("TELEGRAM_SENDS_PER_SECOND", "-1"),
            ("TELEGRAM_SENDS_PER_SECOND", "NaN"),
            ("TELEGRAM_CHAT_SENDS_PER_SECOND", "0"),
            ("REDIS_URL", "localhost:6379"),
            ("REDIS_URL", "http://h"),
            ("TURNS_PER_MINUTE", "-1"),
        ] {
            let mut pairs = base.to_vec();
            pairs.push((k, v));
            let err = cfg(&pairs).unwrap_err().to_string();
            assert!(err.starts_with(k), "{err}");
        }
    }

    #[test]
    fn webhook_mode_needs_an_https_url_a_valid_secret_and_a_port() {
        let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
        let c = cfg(&base).unwrap();
        assert!(c.port.is_none() && c.webhook.is_none(), "polling, no HTTP server by default");
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut pairs = base.to_vec();
            pairs.extend_from_slice(extra);
            cfg(&pairs)
        };
        let ok = with(&[
            ("WEBHOOK_URL", "https://bot.example/tg"),
            ("WEBHOOK_SECRET", "s3cret-_X"),
            ("PORT", "8080"),
        ])
        .unwrap();
        assert_eq!(ok.port, Some(8080));
        let wh = ok.webhook.unwrap();
        assert_eq!((wh.url.path(), wh.secret.as_str()), ("/tg", "s3cret-_X"));
        assert!(!format!("{wh:?}").contains("s3cret"), "the secret never reaches a log line");
        assert!(
            with(&[
                ("WEBHOOK_URL", "http://127.0.0.1:9000/tg"),
                ("WEBHOOK_SECRET", "s"),
                ("PORT", "9000")
            ])
            .is_ok(),
            "plain http on loopback"
        );
        for (extra, var) in [
            (
                &[("WEBHOOK_URL", "http://bot.example/tg"), ("WEBHOOK_SECRET", "s"), ("PORT", "1")]
                    [..],
                "WEBHOOK_URL",
            ),
            (&[("WEBHOOK_URL", "https://bot.example/tg"), ("PORT", "1")][..], "WEBHOOK_SECRET"),
            (
                &[
                    ("WEBHOOK_URL", "https://bot.example/tg"),
                    ("WEBHOOK_SECRET", "not ok!"),
                    ("PORT", "1"),
                ][..],
                "WEBHOOK_SECRET",
            ),
            (&[("WEBHOOK_URL", "https://bot.example/tg"), ("WEBHOOK_SECRET", "s")][..], "PORT"),
            (&[("PORT", "0")][..], "PORT"),
            (&[("PORT", "http")][..], "PORT"),
        ] {
            let err = with(extra).unwrap_err().to_string();
            assert!(err.starts_with(var), "{extra:?}: {err}");
            assert!(!err.contains("not ok!"), "{err}");
        }
    }

    #[test]
    fn database_passwords_never_appear_in_errors() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://***:***@h/db");
        let err = cfg(&[
            ("TELOXIDE_TOKEN", "1:A"),
            ("OPENAI_API_KEY", "sk"),
            ("DATABASE_URL", "mysql://root:hunter2@db/app?password=hunter3"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("DATABASE_URL"), "{err}");
        assert!(!err.contains("hunter") && !err.contains("root"), "{err}");
    }

    #[test]
    fn url_redaction_masks_every_user_password_query_and_fragment_and_keeps_the_server() {
        for (raw, shown) in [
            ("postgres://bob:pw@db.internal:5432/app", "postgres://***:***@db.internal:5432/app"),
            ("postgres://bob@db.internal/app", "postgres://***@db.internal/app"),
            ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
            ("rediss://default:pw@cache:6380", "rediss://***:***@cache:6380"),
            ("postgres://db/app?sslmode=require&password=pw", "postgres://db/app?***"),
            ("https://hooks.example/x?token=pw#frag", "https://hooks.example/x?***#***"),
            ("sqlite://mluvme.db?mode=rwc", "sqlite://mluvme.db?***"),
            ("postgres://db.internal/app", "postgres://db.internal/app"),
            // Not URLs at all: what could be a credential still goes.
            ("bob:pw@db.internal:5432", "***@db.internal:5432"),
            ("localhost:6379?password=pw", "localhost:6379?***"),
        ] {
            let got = redact_url(raw);
            assert_eq!(got, shown, "{raw}");
            assert!(!got.contains("pw") && !got.contains("bob"), "{got}");
        }
    }

    #[test]
    fn speech_servers_default_to_the_chat_server_and_each_can_be_moved_alone() {
        let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk-chat")];
        let c = cfg(&base).unwrap();
        let openai = AiServer { base_url: None, api_key: "sk-chat".into() };
        assert_eq!((&c.stt_server, &c.tts_server), (&openai, &openai));
        let local = [
            ("STT_BASE_URL", "http://speaches:8000/v1/"),
            ("STT_API_KEY", "none"),
            ("TTS_BASE_URL", "http://tts:8000/v1"),
        ];
        let c = cfg(&[&base[..], &local[..]].concat()).unwrap();
        assert_eq!(c.openai_base_url, None, "chat stays on OpenAI");
        assert_eq!(c.stt_server.base_url.as_deref(), Some("http://speaches:8000/v1"));
        assert_eq!(c.stt_server.api_key, "none");
        assert_eq!(c.tts_server.base_url.as_deref(), Some("http://tts:8000/v1"));
        assert_eq!(c.tts_server.api_key, "sk-chat", "no key of its own: the chat server's");
        let bad = cfg(&[&base[..], &[("STT_BASE_URL", "speaches:8000")][..]].concat());
        assert!(bad.unwrap_err().to_string().contains("STT_BASE_URL"));
    }

    #[test]
    fn the_config_debug_output_never_shows_a_token_key_secret_or_password() {
        let c = cfg(&[
            ("TELOXIDE_TOKEN", "123456:TOKENSECRET"),
            ("TELOXIDE_API_URL", "https://apiuser:APIPASS@bot.example/?k=QUERYSECRET"),
            ("OPENAI_API_KEY", "sk-OPENAISECRET"),
            ("OPENAI_BASE_URL", "https://proxyuser:PROXYPASS@llm.example/v1"),
            ("STT_API_KEY", "STTKEYSECRET"),
            ("TTS_BASE_URL", "http://ttsuser:TTSPASS@tts.local:8000/v1"),
            ("DATABASE_URL", "postgres://dbuser:DBPASS@db.internal/app?sslpassword=SSLPASS"),
            ("REDIS_URL", "rediss://default:REDISPASS@cache.internal:6380"),
            ("WEBHOOK_URL", "https://bot.example/tg"),
            ("WEBHOOK_SECRET", "WEBHOOKSECRET"),
            ("PORT", "8080"),
            ("AUDIO_S3_BUCKET", "voices"),
            ("AWS_ACCESS_KEY_ID", "AKIAKEYID"),
            ("AWS_SECRET_ACCESS_KEY", "S3SECRET"),
        ])
        .unwrap();
        for shown in [format!("{c:?}"), format!("{c:#?}")] {
            for secret in [
                "TOKENSECRET",
                "APIPASS",
                "QUERYSECRET",
                "OPENAISECRET",
                "PROXYPASS",
                "STTKEYSECRET",
                "TTSPASS",
                "DBPASS",
                "SSLPASS",
                "dbuser",
                "REDISPASS",
                "WEBHOOKSECRET",
                "AKIAKEYID",
                "S3SECRET",
            ] {
                assert!(!shown.contains(secret), "{secret} shown in {shown}");
            }
            // Still useful to whoever reads it: which servers, which bucket, which port.
            for kept in ["db.internal", "cache.internal", "voices", "bot.example", "8080"] {
                assert!(shown.contains(kept), "{kept} missing from {shown}");
            }
        }
    }

    #[test]
    fn the_http_server_is_bounded_by_default_and_its_settings_refuse_nonsense() {
        let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
        let c = cfg(&base).unwrap();
        assert_eq!(
            c.http,
            HttpSettings {
                ops_port: None,
                header_timeout: Duration::from_secs(10),
                body_timeout: Duration::from_secs(10),
                request_timeout: Duration::from_secs(30),
                max_connections: 512,
            },
            "every endpoint on PORT as before, and every client bounded"
        );
        assert_eq!(c.database_statement_timeout, Duration::from_secs(30));
        let c = cfg(&[base[0], base[1], ("PORT", "8080"), ("OPS_PORT", "9091")]).unwrap();
        assert_eq!(c.http.ops_port, Some(9091));
        for (extra, var) in [
            (&[("PORT", "8080"), ("OPS_PORT", "8080")][..], "OPS_PORT"),
            (&[("OPS_PORT", "0")][..], "OPS_PORT"),
            (&[("HTTP_HEADER_TIMEOUT_SECONDS", "0")][..], "HTTP_HEADER_TIMEOUT_SECONDS"),
            (&[("HTTP_BODY_TIMEOUT_SECONDS", "soon")][..], "HTTP_BODY_TIMEOUT_SECONDS"),
            (&[("HTTP_REQUEST_TIMEOUT_SECONDS", "-1")][..], "HTTP_REQUEST_TIMEOUT_SECONDS"),
            (&[("HTTP_MAX_CONNECTIONS", "0")][..], "HTTP_MAX_CONNECTIONS"),
            (
                &[("DATABASE_STATEMENT_TIMEOUT_SECONDS", "0")][..],
                "DATABASE_STATEMENT_TIMEOUT_SECONDS",
            ),
        ] {
            let mut pairs = base.to_vec();
            pairs.extend_from_slice(extra);
            let err = cfg(&pairs).unwrap_err().to_string();
            assert!(err.starts_with(var), "{extra:?}: {err}");
            assert_eq!(err.lines().count(), 1, "one clear line: {err}");
        }
    }

    #[test]
    fn upstream_limits_default_generously_and_the_deadline_follows_the_timeout() {
        let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
        let u = cfg(&base).unwrap().upstream;
        assert_eq!(
            (u.deadline, u.max_retries, u.breaker_failures),
            (Duration::from_secs(90), 3, 5)
        );
        assert_eq!(
            (u.max_concurrent_chat, u.max_concurrent_stt, u.max_concurrent_tts),
            (256, 256, 256)
        );
        let mut pairs = base.to_vec();
        pairs.push(("OPENAI_TIMEOUT_SECONDS", "1"));
        assert_eq!(cfg(&pairs).unwrap().upstream.deadline, Duration::from_millis(1500));
        pairs.push(("OPENAI_DEADLINE_SECONDS", "40"));
        assert_eq!(cfg(&pairs).unwrap().upstream.deadline, Duration::from_secs(40));
        pairs.push(("OPENAI_BREAKER_FAILURES", "0"));
        assert!(cfg(&pairs).unwrap_err().to_string().starts_with("OPENAI_BREAKER_FAILURES"));
    }

    #[test]
    fn admin_settings_default_to_public_half_a_dollar_and_no_cap_and_refuse_nonsense() {
        use crate::admin::{access::AccessMode, quota::Allowance};
        let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
        let c = cfg(&base).unwrap();
        assert_eq!(
            (c.admin.access_mode, c.admin.default_quota, c.admin.spend_cap),
            (AccessMode::Public, Allowance::Daily(500_000), None)
        );
        let c = cfg(&[
            base[0],
            base[1],
            ("ACCESS_MODE", "allowlist"),
            ("ALLOWED_USERS", "5, 6"),
            ("DEFAULT_DAILY_QUOTA", "0"),
            ("SPEND_CAP_DAILY", "20"),
        ])
        .unwrap();
        assert_eq!(
            (c.admin.access_mode, c.admin.allowed_users, c.admin.default_quota, c.admin.spend_cap),
            (AccessMode::AllowList, vec![5, 6], Allowance::Daily(0), Some(20_000_000))
        );
        for (k, v) in [
            ("ACCESS_MODE", "closed"),
            ("ALLOWED_USERS", "1,x"),
            ("DEFAULT_DAILY_QUOTA", "-1"),
            ("DEFAULT_DAILY_QUOTA", "lots"),
            ("SPEND_CAP_DAILY", "-5"),
            ("SPEND_CAP_DAILY", "unlimited"),
        ] {
            let e = cfg(&[base[0], base[1], (k, v)]).unwrap_err().to_string();
            assert!(e.contains(k), "{e}");
        }
    }

    #[test]
    fn admin_ids_are_parsed_from_a_comma_list() {
        let c = cfg(&[
            ("TELOXIDE_TOKEN", "1:A"),
            ("OPENAI_API_KEY", "sk"),
            ("ADMIN_IDS", " 1, 22 ,333"),
        ])
        .unwrap();
        assert_eq!(c.admin_ids, vec![1, 22, 333]);
        assert!(c.is_admin(22));
    }

    #[test]
    fn audio_stays_local_for_90_days_unless_a_bucket_and_its_keys_are_given() {
        let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
        let c = cfg(&base).unwrap();
        assert!(c.audio_s3.is_none());
        assert_eq!(c.audio_retention, Some(chrono::Duration::days(90)));
        let mut pairs = base.to_vec();
        pairs.push(("AUDIO_RETENTION_DAYS", "0"));
        assert_eq!(cfg(&pairs).unwrap().audio_retention, None, "0 keeps audio forever");
        pairs.push(("AUDIO_S3_BUCKET", "voices"));
        let err = cfg(&pairs).unwrap_err().to_string();
        assert!(err.starts_with("AWS_ACCESS_KEY_ID") && err.contains("AUDIO_S3_BUCKET"), "{err}");
        pairs.extend([
            ("AWS_ACCESS_KEY_ID", "AKIA1"),
            ("AWS_SECRET_ACCESS_KEY", "hunter2"),
            ("AUDIO_S3_ENDPOINT", "https://fly.storage.tigris.dev"),
            ("AWS_REGION", "auto"),
        ]);
        let s3 = cfg(&pairs).unwrap().audio_s3.unwrap();
        assert_eq!(
            (s3.bucket.as_str(), s3.region.as_str(), s3.endpoint.as_ref().map(|u| u.host_str())),
            ("voices", "auto", Some(Some("fly.storage.tigris.dev")))
        );
        assert!(!format!("{s3:?}").contains("hunter2"), "the secret never reaches a log line");
        pairs.push(("AUDIO_S3_ENDPOINT", "storage.local:9000"));
        assert!(cfg(&pairs).unwrap_err().to_string().starts_with("AUDIO_S3_ENDPOINT"));
    }
}
