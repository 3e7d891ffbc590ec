//! The OpenAI-compatible client shared by speech and the tutor, and the one error type for
//! everything that can go wrong upstream.
//!
//! async-openai's default executor retries 429/5xx itself (3 retries, no jitter, no deadline, an
//! unbounded Retry-After, timeouts not at all). We replace it with our own HTTP service
//! ([`crate::ai::upstream::http`]) so retries are never doubled: one deadline per request, attempts cut
//! to `OPENAI_TIMEOUT_SECONDS`, jittered backoff, and a concurrency limit and circuit breaker per
//! upstream. A hung upstream turns into a friendly notice, not a learner waiting forever.

use std::time::Duration;

use async_openai::{Client, config::OpenAIConfig, error::OpenAIError};

use crate::ai::upstream::{Gates, Outage, Upstream, http::GuardedHttp, retry::RetryPolicy};
use crate::config::Config;

/// The async-openai client with the gates its requests go through.
#[derive(Clone)]
pub struct OpenAi {
    api: Client<OpenAIConfig>,
    gates: Gates,
}

impl OpenAi {
    pub fn api(&self) -> &Client<OpenAIConfig> {
        &self.api
    }

    /// The circuit of one upstream.
    pub fn outage(&self, upstream: Upstream) -> Outage {
        self.gates.outage(upstream)
    }

    /// Failed attempts of every upstream, for the `App`'s metrics.
    pub fn upstream_errors(&self) -> crate::metrics::UpstreamErrors {
        self.gates.errors.clone()
    }
}

/// Why an upstream AI call failed, reduced to what decides the learner's notice.
#[derive(Debug, thiserror::Error)]
pub enum AiError {
    /// Rate limits, 5xx, timeouts and network trouble: worth telling the learner to wait.
    #[error("AI service unavailable: {0}")]
    Unavailable(String),
    /// The service refused the audio itself (not a format it can read).
    #[error("audio rejected: {0}")]
    BadAudio(String),
    /// The model answered, but not with Honzík's reply contract, even after a retry.
    #[error("invalid reply from the model: {0}")]
    InvalidReply(String),
    /// A request we built was refused (a bug or a misconfiguration, e.g. an unknown model).
    #[error("request refused: {0}")]
    Refused(String),
}

pub fn client(config: &Config) -> OpenAi {
    let mut cfg = OpenAIConfig::new().with_api_key(config.openai_api_key.clone());
    if let Some(base) = &config.openai_base_url {
        cfg = cfg.with_api_base(base.clone());
    }
    let http = reqwest::Client::builder()
        // Each attempt sets its own timeout (at most this, less when the deadline is nearer).
        .timeout(config.openai_timeout)
        .connect_timeout(Duration::from_secs(10).min(config.openai_timeout))
        .build()
        .expect("the HTTP client builds with static settings");
    let u = &config.upstream;
    let policy = RetryPolicy {
        max_retries: u.max_retries,
        base: u.backoff_base,
        cap: u.backoff_max,
        attempt_timeout: config.openai_timeout,
        deadline: u.deadline,
    };
    let gates = Gates::new(u);
    let api =
        Client::with_config(cfg).with_http_service(GuardedHttp::new(http, policy, gates.clone()));
    OpenAi { api, gates }
}

/// Classifies an async-openai error. Messages never include the API key or user content.
pub fn classify(err: OpenAIError) -> AiError {
    match err {
        OpenAIError::ApiError(e) => {
            let status = e.status_code.as_u16();
            let msg =
                format!("{status} {}", e.api_error.message.chars().take(200).collect::<String>());
            match status {
                408 | 409 | 429 | 500..=599 => AiError::Unavailable(msg),
                _ => AiError::Refused(msg),
            }
        }
        OpenAIError::Reqwest(e) => AiError::Unavailable(if e.is_timeout() {
            "timeout".into()
        } else {
            "network error".into()
        }),
        OpenAIError::JSONDeserialize(e, _) => {
            AiError::Unavailable(format!("unreadable response: {e}"))
        }
        // Refused on our side by a gate (circuit open, no slot, deadline): no request was made.
        OpenAIError::Boxed(e) => AiError::Unavailable(e.to_string()),
        other => AiError::Refused(other.to_string().chars().take(200).collect()),
    }
}
