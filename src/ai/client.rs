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
use crate::config::{AiServer, Config};

/// The async-openai clients, one per upstream (chat, speech-to-text and text-to-speech may each
/// live on a server of their own), with the gates their requests go through.
#[derive(Clone)]
pub struct OpenAi {
    chat: Client<OpenAIConfig>,
    transcription: Client<OpenAIConfig>,
    speech: Client<OpenAIConfig>,
    /// The chat server's settings (base URL, key, headers) and the service every request goes
    /// through: a streamed completion is sent with them past the client ([`Self::chat_stream`]).
    chat_config: OpenAIConfig,
    service: GuardedHttp,
    /// The chat server is OpenAI's own (no base URL, or api.openai.com).
    chat_is_openai: bool,
    gates: Gates,
}

impl OpenAi {
    /// The client of the server that serves `upstream`.
    pub fn api(&self, upstream: Upstream) -> &Client<OpenAIConfig> {
        match upstream {
            Upstream::Chat => &self.chat,
            Upstream::Transcription => &self.transcription,
            Upstream::Speech => &self.speech,
        }
    }

    /// What a streamed chat completion is sent with: the chat server's settings, so the URL and
    /// headers are the ones async-openai's client would send, and the same guarded service.
    /// (async-openai reads every stream in a task of its own, each event handed over through a
    /// channel; the bot reads its streams inline, in the turn.)
    pub fn chat_stream(&self) -> (&OpenAIConfig, &GuardedHttp) {
        (&self.chat_config, &self.service)
    }

    /// Whether chat goes to OpenAI itself: other servers (Ollama, llama.cpp's) know the
    /// completion limit only by its older name, `max_tokens`.
    pub fn chat_is_openai(&self) -> bool {
        self.chat_is_openai
    }

    /// Counts a response of `upstream` the bot could not read (`mluvme_upstream_errors_total`,
    /// kind `unreadable`). Not an outage: the server answered, the circuit stays as it is.
    pub fn unreadable(&self, upstream: Upstream) {
        self.gates
            .errors
            .record(crate::ai::upstream::http::metric_label(Some(upstream)), "unreadable");
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
    /// The server answered, but not in a shape the bot can read (a body that is not the
    /// documented JSON), or the model's answer broke Honzík's reply contract even after a retry.
    /// A fault of that one request, never an outage: the server is up, so nobody waits for it.
    #[error("invalid reply from the model: {0}")]
    InvalidReply(String),
    /// A request we built was refused (a bug or a misconfiguration, e.g. an unknown model).
    #[error("request refused: {0}")]
    Refused(String),
}

pub fn client(config: &Config) -> OpenAi {
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
    let service = GuardedHttp::new(http, policy, gates.clone());
    let settings = |server: &AiServer| {
        let mut cfg = OpenAIConfig::new().with_api_key(server.api_key.clone());
        if let Some(base) = &server.base_url {
            cfg = cfg.with_api_base(base.clone());
        }
        cfg
    };
    let api = |server: &AiServer| {
        Client::with_config(settings(server)).with_http_service(service.clone())
    };
    let chat = AiServer {
        base_url: config.openai_base_url.clone(),
        api_key: config.openai_api_key.clone(),
    };
    let chat_is_openai = chat
        .base_url
        .as_deref()
        .is_none_or(|b| url::Url::parse(b).is_ok_and(|u| u.host_str() == Some("api.openai.com")));
    OpenAi {
        chat_is_openai,
        chat_config: settings(&chat),
        chat: api(&chat),
        transcription: api(&config.stt_server),
        speech: api(&config.tts_server),
        service,
        gates,
    }
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
        // A 2xx body not in the shape asked for (error bodies are made readable by the HTTP
        // service, whatever the server sent): the server is up and answered this request.
        OpenAIError::JSONDeserialize(e, _) => {
            AiError::InvalidReply(format!("unreadable response: {e}"))
        }
        // A streamed answer that broke off after its headers: that request failed on the way,
        // like a network error (the message is the transport's, never the answer's text).
        OpenAIError::StreamError(e) => AiError::Unavailable(format!(
            "stream broke off: {}",
            e.to_string().chars().take(200).collect::<String>()
        )),
        // Refused on our side by a gate (circuit open, no slot, deadline): no request was made.
        OpenAIError::Boxed(e) => AiError::Unavailable(e.to_string()),
        other => AiError::Refused(other.to_string().chars().take(200).collect()),
    }
}
