//! What the OpenAI emulator saw the bot consume, and what it would have cost at OpenAI's list
//! prices (the bot's own defaults in `src/tutor/cost.rs`, copied: the generator does not link the
//! bot).

use emulators::openai::{Endpoint, RecordedRequest};
use serde::Serialize;

/// Chat models: USD per 1M input and output tokens.
const CHAT: [(&str, (f64, f64)); 5] = [
    ("gpt-4o", (2.50, 10.00)),
    ("gpt-4o-mini", (0.15, 0.60)),
    ("gpt-4.1", (2.00, 8.00)),
    ("gpt-4.1-mini", (0.40, 1.60)),
    ("gpt-4.1-nano", (0.10, 0.40)),
];
/// Speech-to-text: USD per minute of audio.
const STT: [(&str, f64); 3] =
    [("whisper-1", 0.006), ("gpt-4o-transcribe", 0.006), ("gpt-4o-mini-transcribe", 0.003)];
/// Text-to-speech: USD per 1M characters.
const TTS: [(&str, f64); 3] = [("tts-1", 15.0), ("tts-1-hd", 30.0), ("gpt-4o-mini-tts", 12.0)];

/// Exact name first, then the longest known prefix (`gpt-4o-mini-2024-07-18` is `gpt-4o-mini`).
fn lookup<'a, T>(table: &'a [(&'static str, T)], model: &str) -> Option<&'a T> {
    table
        .iter()
        .find(|(m, _)| *m == model)
        .or_else(|| table.iter().filter(|(m, _)| model.starts_with(m)).max_by_key(|(m, _)| m.len()))
        .map(|(_, p)| p)
}

/// Totals over a run (divide by the turns for per-turn figures).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Consumption {
    pub chat_requests: u64,
    /// Chat requests that summarize a conversation (no `response_format`), not answer a turn.
    pub summary_requests: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub stt_requests: u64,
    pub stt_audio_seconds: f64,
    pub tts_requests: u64,
    pub tts_characters: u64,
    pub chat_usd: f64,
    pub stt_usd: f64,
    pub tts_usd: f64,
    /// Requests whose model has no known price (counted at 0).
    pub unpriced_requests: u64,
}

impl Consumption {
    pub fn of(requests: &[RecordedRequest]) -> Consumption {
        let mut c = Consumption::default();
        for r in requests {
            match r.endpoint {
                Endpoint::Chat => {
                    c.chat_requests += 1;
                    if r.body.get("response_format").is_none() {
                        c.summary_requests += 1;
                    }
                    c.prompt_tokens += r.prompt_tokens as u64;
                    c.completion_tokens += r.completion_tokens as u64;
                    match lookup(&CHAT, &r.model) {
                        Some((i, o)) => {
                            c.chat_usd +=
                                (i * r.prompt_tokens as f64 + o * r.completion_tokens as f64) / 1e6
                        }
                        None => c.unpriced_requests += 1,
                    }
                }
                Endpoint::Transcription => {
                    c.stt_requests += 1;
                    let secs = r.audio_secs.unwrap_or(0.0);
                    c.stt_audio_seconds += secs;
                    match lookup(&STT, &r.model) {
                        Some(p) => c.stt_usd += p * secs / 60.0,
                        None => c.unpriced_requests += 1,
                    }
                }
                Endpoint::Speech => {
                    c.tts_requests += 1;
                    let chars = r.body["input"].as_str().map_or(0, |t| t.chars().count()) as u64;
                    c.tts_characters += chars;
                    match lookup(&TTS, &r.model) {
                        Some(p) => c.tts_usd += p * chars as f64 / 1e6,
                        None => c.unpriced_requests += 1,
                    }
                }
            }
        }
        c
    }

    pub fn usd(&self) -> f64 {
        self.chat_usd + self.stt_usd + self.tts_usd
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn req(
        endpoint: Endpoint,
        model: &str,
        body: serde_json::Value,
        p: u32,
        c: u32,
        secs: Option<f64>,
    ) -> RecordedRequest {
        RecordedRequest {
            endpoint,
            model: model.into(),
            body,
            prompt_tokens: p,
            completion_tokens: c,
            audio_secs: secs,
        }
    }

    #[test]
    fn prices_follow_the_bots_table() {
        let turn = json!({ "response_format": { "type": "json_schema" } });
        let rs = [
            req(Endpoint::Chat, "gpt-4o-mini-2024-07-18", turn.clone(), 1_000_000, 0, None),
            req(Endpoint::Chat, "gpt-4o", json!({}), 0, 100_000, None),
            req(Endpoint::Transcription, "whisper-1", json!({}), 0, 0, Some(30.0)),
            req(Endpoint::Speech, "tts-1", json!({ "input": "čau".repeat(1000) }), 0, 0, None),
            req(Endpoint::Chat, "llama3", turn, 10, 10, None),
        ];
        let c = Consumption::of(&rs);
        assert_eq!((c.chat_requests, c.summary_requests, c.unpriced_requests), (3, 1, 1));
        assert_eq!((c.prompt_tokens, c.completion_tokens), (1_000_010, 100_010));
        assert!((c.chat_usd - (0.15 + 1.0)).abs() < 1e-9, "{}", c.chat_usd);
        assert!((c.stt_usd - 0.003).abs() < 1e-12);
        assert_eq!(c.tts_characters, 3000);
        assert!((c.tts_usd - 0.045).abs() < 1e-12);
        assert!((c.usd() - 1.198).abs() < 1e-9);
    }
}
