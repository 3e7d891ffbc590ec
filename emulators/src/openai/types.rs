//! What the emulator and its callers exchange: the endpoints, the configuration, the requests it
//! recorded and the ones it refused.

use serde_json::Value;

use crate::latency::LatencyProfile;

/// One of the emulated endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /v1/chat/completions`
    Chat,
    /// `POST /v1/audio/transcriptions`
    Transcription,
    /// `POST /v1/audio/speech`
    Speech,
}

/// Which of the published shapes the emulator answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shapes {
    /// OpenAI's own: every field it sends (`usage`, `system_fingerprint`, `service_tier`, …),
    /// `verbose_json` and structured outputs.
    #[default]
    OpenAi,
    /// The least an OpenAI-compatible server may send, as self-hosted servers do: a transcription
    /// is `{"text": …}` and nothing else, a completion is its choices without `usage`, `id`,
    /// `created`, `system_fingerprint` or `service_tier`; `verbose_json` and `json_schema` are
    /// refused (in the error shapes of FastAPI and llama.cpp's server, not OpenAI's).
    Minimal,
}

impl Shapes {
    /// `EMULATOR_SHAPES=minimal` selects [`Shapes::Minimal`]: the conversation suite runs in
    /// both (`scripts/test-all.sh`).
    pub fn from_env() -> Shapes {
        match std::env::var("EMULATOR_SHAPES").as_deref() {
            Ok("minimal") => Shapes::Minimal,
            _ => Shapes::OpenAi,
        }
    }
}

#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// Artificial latency per endpoint (default: none).
    pub latency: LatencyProfile,
    /// `false` makes `response_format: json_schema` a 400, like
    /// OpenAI-compatible servers (and older models) without structured
    /// outputs; `json_object` still works.
    pub json_schema_supported: bool,
    /// `false` makes `response_format: json_object` a 400 too, like servers that take no
    /// `response_format` at all.
    pub json_object_supported: bool,
    /// OpenAI's response shapes, or the minimal compatible ones.
    pub shapes: Shapes,
    /// When set, requests must carry `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
    /// When set, Honzík's replies are padded or cut to a word count in this range (picked
    /// deterministically from the learner's text), as real voice practice replies are longer than
    /// the canned lines: used by the context benchmark.
    pub reply_words: Option<(usize, usize)>,
    /// Chat answers `stream: true` with server-sent events; off, such a request is refused
    /// (400, naming `stream`) as by a server that cannot stream.
    pub streaming_supported: bool,
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        Self {
            latency: LatencyProfile::zero(),
            json_schema_supported: true,
            json_object_supported: true,
            shapes: Shapes::OpenAi,
            api_key: None,
            reply_words: None,
            streaming_supported: true,
        }
    }
}

/// A request the emulator accepted (validation passed), in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub endpoint: Endpoint,
    pub model: String,
    /// Chat: the full request JSON. Speech: the request JSON.
    /// Transcription: the non-file form fields, plus `"file_name"` and
    /// `"file_size"`.
    pub body: Value,
    /// Chat: approximate (characters / 4, at least 1). Others: 0.
    pub prompt_tokens: u32,
    /// Chat: approximate tokens of the returned content (0 until answered).
    pub completion_tokens: u32,
    /// Transcription: length of the uploaded audio in seconds, when the
    /// container tells (Ogg Opus, WAV).
    pub audio_secs: Option<f64>,
}

/// A 4xx returned to the client (injected faults and refusals of what the configured server does
/// not offer excluded); a passing integration test expects none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AiRejection {
    pub endpoint: Option<Endpoint>,
    pub status: u16,
    pub message: String,
}

/// A moment in a request's life, in the order the emulator saw them ([`super::OpenAiEmulator::timeline`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// The request was recorded (checked and admitted, before holds and latency).
    Arrived,
    /// The last byte of the answer was handed over (a stream's last chunk before `[DONE]`).
    Answered,
}

/// One entry of the timeline: which endpoint, which recorded request (index into
/// [`super::OpenAiEmulator::requests`]), and what happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub endpoint: Endpoint,
    pub request: usize,
    pub moment: Moment,
}
