//! Pure: the response bodies of OpenAI-compatible servers, read leniently.
//!
//! async-openai's own response types require what OpenAI always sends (`usage` on a
//! transcription; `id`, `created` and `object` on a completion), and the servers that follow the
//! published API leave those out: a self-hosted Whisper server answers `{"text": "…"}` and
//! nothing else. Here only what the bot uses is required — the text — and everything else is
//! read where it is there: the token counts (else the bot counts them and marks the cost an
//! estimate), the audio's duration (what the learner is billed by), and the words with their
//! times (for fluency figures). The contract tests below feed these types the documented bodies of
//! OpenAI, Ollama, llama.cpp's server, vLLM, speaches/faster-whisper-server and whisper.cpp's
//! server (`tests/fixtures/ai/`), each also with every optional field left out.

use serde::Deserialize;

/// A chat completion: the first choice's content and the usage, when reported.
#[derive(Debug, Deserialize)]
pub struct ChatResponse {
    pub choices: Vec<ChatChoice>,
    #[serde(default)]
    pub usage: Option<ChatUsage>,
}

#[derive(Debug, Deserialize)]
pub struct ChatChoice {
    pub message: ChatMessage,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ChatMessage {
    /// Null when the model refused (`refusal` then says why) or called a tool.
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub refusal: Option<String>,
}

/// Token counts as the server reported them; a server may report one and not the other.
#[derive(Debug, Deserialize)]
pub struct ChatUsage {
    #[serde(default)]
    pub prompt_tokens: Option<u32>,
    #[serde(default)]
    pub completion_tokens: Option<u32>,
}

impl ChatResponse {
    /// The first choice's text ("" when it has none).
    pub fn content(&self) -> &str {
        self.choices.first().and_then(|c| c.message.content.as_deref()).unwrap_or_default()
    }

    /// `(prompt, completion)` tokens, when the server reported both.
    pub fn tokens(&self) -> Option<(u32, u32)> {
        let u = self.usage.as_ref()?;
        Some((u.prompt_tokens?, u.completion_tokens?))
    }
}

/// One server-sent event of a streamed completion (`chat.completion.chunk`), read leniently:
/// the text is in the first choice's `delta` (or, from a server that sends the whole answer as
/// one event, its `message`), and `usage` comes in a last chunk of its own when asked for with
/// `stream_options.include_usage` — or never, from servers that do not report it.
#[derive(Debug, Deserialize)]
pub struct ChatChunk {
    /// Required, as in a whole completion: an event without it (a server's native shape, not
    /// the OpenAI-compatible one) is unreadable, not an empty answer.
    pub choices: Vec<ChunkChoice>,
    #[serde(default)]
    pub usage: Option<ChatUsage>,
}

#[derive(Debug, Deserialize)]
pub struct ChunkChoice {
    #[serde(default)]
    pub delta: Option<ChatMessage>,
    #[serde(default)]
    pub message: Option<ChatMessage>,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// A streamed completion put back together, chunk by chunk.
#[derive(Debug, Default)]
pub struct Streamed {
    content: String,
    usage: Option<ChatUsage>,
    /// A chunk said why the model stopped: the answer came to its end, not cut off.
    pub finished: bool,
}

impl Streamed {
    /// Adds one chunk; true when it added text.
    pub fn push(&mut self, chunk: ChatChunk) -> bool {
        let before = self.content.len();
        if let Some(choice) = chunk.choices.into_iter().next() {
            let m = choice.delta.or(choice.message);
            if let Some(text) = m.and_then(|m| m.content) {
                self.content.push_str(&text);
            }
            self.finished |= choice.finish_reason.is_some();
        }
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        self.content.len() > before
    }

    /// The text so far.
    pub fn content(&self) -> &str {
        &self.content
    }

    /// `(prompt, completion)` tokens, when the server reported both.
    pub fn tokens(&self) -> Option<(u32, u32)> {
        let u = self.usage.as_ref()?;
        Some((u.prompt_tokens?, u.completion_tokens?))
    }
}

/// A transcription in `json` or `verbose_json`: the text, and what else the server told.
#[derive(Debug, Deserialize)]
pub struct TranscriptionResponse {
    pub text: String,
    /// `verbose_json`: the length of the audio the server decoded, in seconds.
    #[serde(default)]
    pub duration: Option<f64>,
    /// `verbose_json` with `timestamp_granularities[]=word` (OpenAI, speaches). Null or absent
    /// where not given.
    #[serde(default)]
    pub words: Option<Vec<TimedWord>>,
    #[serde(default)]
    pub segments: Option<Vec<TimedSegment>>,
    /// OpenAI's `json`: `{"type": "duration", "seconds": 4}` for Whisper, tokens for the
    /// `gpt-4o-…-transcribe` models.
    #[serde(default)]
    pub usage: Option<TranscriptionUsage>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TimedWord {
    pub word: String,
    pub start: f64,
    pub end: f64,
}

#[derive(Debug, Deserialize)]
pub struct TimedSegment {
    #[serde(default)]
    pub text: String,
    pub start: f64,
    pub end: f64,
    /// whisper.cpp's server puts the words inside their segment.
    #[serde(default)]
    pub words: Option<Vec<TimedWord>>,
}

#[derive(Debug, Deserialize)]
pub struct TranscriptionUsage {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub seconds: Option<f64>,
}

impl TranscriptionResponse {
    /// The audio's length as the server decoded it: `duration`, else a `duration` usage's
    /// seconds. None when the server did not say (then the bot's own measurement is used).
    pub fn decoded_seconds(&self) -> Option<f64> {
        let from_usage = || {
            let u = self.usage.as_ref()?;
            (u.kind.as_deref() == Some("duration")).then_some(u.seconds).flatten()
        };
        self.duration.or_else(from_usage).filter(|s| s.is_finite() && *s > 0.0)
    }

    /// The words with their times, top-level or inside their segments, trimmed (Whisper
    /// servers keep the space before a word), empty ones dropped.
    pub fn timed_words(&self) -> Vec<TimedWord> {
        let nested = || {
            self.segments.iter().flatten().flat_map(|s| s.words.iter().flatten()).cloned().collect()
        };
        let words: Vec<TimedWord> = match &self.words {
            Some(w) if !w.is_empty() => w.clone(),
            _ => nested(),
        };
        words
            .into_iter()
            .map(|w| TimedWord { word: w.word.trim().to_owned(), ..w })
            .filter(|w| !w.word.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!("../../tests/fixtures/ai/", $name))
        };
    }

    /// Every documented chat body, and the least a compatible server may send.
    const CHAT: [(&str, &str); 5] = [
        ("openai", fixture!("openai-chat.json")),
        ("ollama", fixture!("ollama-chat.json")),
        ("llama.cpp", fixture!("llamacpp-chat.json")),
        ("vllm", fixture!("vllm-chat.json")),
        ("minimal", fixture!("minimal-chat.json")),
    ];

    const TRANSCRIPTIONS: [(&str, &str); 8] = [
        ("openai json", fixture!("openai-transcription.json")),
        ("openai verbose_json", fixture!("openai-transcription-verbose.json")),
        ("openai gpt-4o-transcribe", fixture!("openai-transcription-tokens.json")),
        ("speaches json", fixture!("speaches-transcription.json")),
        ("speaches verbose_json", fixture!("speaches-transcription-verbose.json")),
        ("whisper.cpp verbose_json", fixture!("whispercpp-transcription-verbose.json")),
        ("vllm", fixture!("vllm-transcription.json")),
        ("minimal", fixture!("minimal-transcription.json")),
    ];

    /// The body without each optional field in turn (top level and in the first choice, its
    /// message and usage), and without all of them at once.
    fn without_optional(body: &str, required: &[&str]) -> Vec<(String, serde_json::Value)> {
        let full: serde_json::Value = serde_json::from_str(body).unwrap();
        let mut out = Vec::new();
        let mut bare = full.clone();
        let paths: [&[&str]; 4] =
            [&[], &["choices", "0"], &["choices", "0", "message"], &["usage"]];
        for path in paths {
            let Some(obj) = pointer(&full, path).and_then(|v| v.as_object()) else { continue };
            for key in obj.keys().filter(|k| !required.contains(&k.as_str())) {
                let mut v = full.clone();
                pointer_mut(&mut v, path).unwrap().as_object_mut().unwrap().remove(key);
                out.push((format!("{}/{key}", path.join("/")), v));
                if let Some(o) = pointer_mut(&mut bare, path).and_then(|v| v.as_object_mut()) {
                    o.remove(key);
                }
            }
        }
        out.push(("every optional field".into(), bare));
        out
    }

    fn pointer<'a>(v: &'a serde_json::Value, path: &[&str]) -> Option<&'a serde_json::Value> {
        v.pointer(&path.iter().map(|p| format!("/{p}")).collect::<String>())
    }

    fn pointer_mut<'a>(
        v: &'a mut serde_json::Value,
        path: &[&str],
    ) -> Option<&'a mut serde_json::Value> {
        v.pointer_mut(&path.iter().map(|p| format!("/{p}")).collect::<String>())
    }

    #[test]
    fn every_servers_chat_completion_gives_honziks_reply_with_or_without_usage() {
        for (server, body) in CHAT {
            let full: ChatResponse =
                serde_json::from_str(body).unwrap_or_else(|e| panic!("{server}: {e}"));
            let reply = crate::tutor::parse_reply(full.content());
            assert!(reply.is_ok(), "{server}: {reply:?}");
            assert_eq!(full.tokens().is_some(), server != "minimal", "{server}");
            for (left_out, v) in without_optional(body, &["choices", "0", "message", "content"]) {
                let r: ChatResponse = serde_json::from_value(v)
                    .unwrap_or_else(|e| panic!("{server} without {left_out}: {e}"));
                assert_eq!(r.content(), full.content(), "{server} without {left_out}");
            }
        }
    }

    #[test]
    fn a_completion_reporting_only_some_tokens_counts_as_unreported() {
        let r: ChatResponse = serde_json::from_str(
            r#"{"choices":[{"message":{"content":"{}"}}],"usage":{"total_tokens":9}}"#,
        )
        .unwrap();
        assert_eq!(r.tokens(), None);
    }

    #[test]
    fn every_servers_transcription_gives_the_text_and_what_it_knows_of_time() {
        for (server, body) in TRANSCRIPTIONS {
            let t: TranscriptionResponse =
                serde_json::from_str(body).unwrap_or_else(|e| panic!("{server}: {e}"));
            assert!(t.text.contains("v Praha"), "{server}: the learner's mistake kept: {}", t.text);
            let verbose = server.contains("verbose");
            assert_eq!(t.timed_words().is_empty(), !verbose, "{server}");
            if verbose {
                let words = t.timed_words();
                assert_eq!(words[0].word, "Já", "{server}: trimmed");
                assert!(words.windows(2).all(|w| w[0].start <= w[1].start), "{server}");
            }
            let billed_by_service =
                !matches!(server, "minimal" | "speaches json" | "openai gpt-4o-transcribe");
            assert_eq!(t.decoded_seconds().is_some(), billed_by_service, "{server}");
            for (left_out, v) in without_optional(body, &["text"]) {
                let r: TranscriptionResponse = serde_json::from_value(v)
                    .unwrap_or_else(|e| panic!("{server} without {left_out}: {e}"));
                assert_eq!(r.text, t.text, "{server} without {left_out}");
            }
        }
    }

    #[test]
    fn a_body_without_the_text_is_unreadable() {
        assert!(
            serde_json::from_str::<TranscriptionResponse>(
                r#"{"usage":{"type":"duration","seconds":3}}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<ChatResponse>(r#"{"id":"x","object":"chat.completion"}"#)
                .is_err()
        );
    }

    #[test]
    fn a_streamed_completion_is_put_together_from_its_chunks_with_or_without_usage() {
        let openai = [
            r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}"#,
            r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"{\"honzik_"},"finish_reason":null}],"usage":null}"#,
            r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"response\": \"Ahoj\"}"},"finish_reason":null}]}"#,
            r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
            r#"{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}"#,
        ];
        let mut s = Streamed::default();
        let grew: Vec<bool> =
            openai.iter().map(|c| s.push(serde_json::from_str(c).unwrap())).collect();
        assert_eq!(grew, [false, true, true, false, false]);
        assert_eq!(s.content(), r#"{"honzik_response": "Ahoj"}"#);
        assert!(s.finished);
        assert_eq!(s.tokens(), Some((12, 5)));
        let mut minimal = Streamed::default();
        minimal.push(serde_json::from_str(r#"{"choices":[{"delta":{"content":"{}"}}]}"#).unwrap());
        assert_eq!((minimal.content(), minimal.tokens(), minimal.finished), ("{}", None, false));
        let mut whole = Streamed::default();
        whole.push(serde_json::from_str(fixture!("openai-chat.json")).unwrap());
        assert!(
            crate::tutor::parse_reply(whole.content()).is_ok(),
            "one event with the whole answer"
        );
    }
}
