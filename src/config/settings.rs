//! The settings grouped by what they configure (servers, limits, HTTP, admin defaults,
//! object storage), each read and checked by its own function.

use std::time::Duration;

use super::ConfigError;
use super::parse::*;

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
pub(super) fn ai_server(
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
pub(super) fn base_url(var: &'static str, value: &str) -> Result<String, ConfigError> {
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

pub(super) fn admin_settings(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<AdminSettings, ConfigError> {
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

pub(super) fn upstream_limits(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<UpstreamLimits, ConfigError> {
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
pub(super) fn audio_s3(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Option<S3Settings>, ConfigError> {
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
pub(super) fn webhook_settings(
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

pub(super) fn http_settings(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<HttpSettings, ConfigError> {
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
