//! What each upstream request costs, from a price table.
//!
//! Costs are integers in micro-dollars (millionths of a USD) so sums are exact. A model with no
//! price gets `None` — recorded as unknown, never as zero, so a missing entry cannot hide spend.

use std::collections::HashMap;

use serde::Deserialize;

/// USD per million input and output tokens.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
pub struct ChatPrice {
    pub input: f64,
    pub output: f64,
}

/// The price table; `Default` holds list prices of the default models (USD, late 2026).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default)]
pub struct Prices {
    /// Chat models: USD per 1M tokens.
    pub chat: HashMap<String, ChatPrice>,
    /// Speech-to-text: USD per minute of audio.
    pub stt_per_minute: HashMap<String, f64>,
    /// Text-to-speech: USD per 1M characters.
    pub tts_per_million_chars: HashMap<String, f64>,
}

impl Default for Prices {
    fn default() -> Self {
        let chat = [
            ("gpt-4o", 2.50, 10.00),
            ("gpt-4o-mini", 0.15, 0.60),
            ("gpt-4.1", 2.00, 8.00),
            ("gpt-4.1-mini", 0.40, 1.60),
            ("gpt-4.1-nano", 0.10, 0.40),
        ]
        .into_iter()
        .map(|(m, input, output)| (m.to_owned(), ChatPrice { input, output }))
        .collect();
        let stt =
            [("whisper-1", 0.006), ("gpt-4o-transcribe", 0.006), ("gpt-4o-mini-transcribe", 0.003)];
        let tts = [("tts-1", 15.0), ("tts-1-hd", 30.0), ("gpt-4o-mini-tts", 12.0)];
        Prices {
            chat,
            stt_per_minute: stt.into_iter().map(|(m, p)| (m.to_owned(), p)).collect(),
            tts_per_million_chars: tts.into_iter().map(|(m, p)| (m.to_owned(), p)).collect(),
        }
    }
}

impl Prices {
    /// The defaults with entries from `json` added or replaced, e.g.
    /// `{"chat": {"llama3": {"input": 0, "output": 0}}, "tts_per_million_chars": {"tts-1": 15}}`.
    pub fn with_overrides(json: &str) -> Result<Prices, serde_json::Error> {
        let extra: Prices = serde_json::from_str(json)?;
        let mut p = Prices::default();
        p.chat.extend(extra.chat);
        p.stt_per_minute.extend(extra.stt_per_minute);
        p.tts_per_million_chars.extend(extra.tts_per_million_chars);
        Ok(p)
    }

    pub fn chat_micros(
        &self,
        model: &str,
        prompt_tokens: u32,
        completion_tokens: u32,
    ) -> Option<i64> {
        let p = lookup(&self.chat, model)?;
        Some(micros(
            p.input * prompt_tokens as f64 / 1e6 + p.output * completion_tokens as f64 / 1e6,
        ))
    }

    pub fn stt_micros(&self, model: &str, seconds: f64) -> Option<i64> {
        lookup(&self.stt_per_minute, model).map(|p| micros(p * seconds / 60.0))
    }

    pub fn tts_micros(&self, model: &str, chars: usize) -> Option<i64> {
        lookup(&self.tts_per_million_chars, model).map(|p| micros(p * chars as f64 / 1e6))
    }
}

/// Exact name first, then the longest known prefix ("gpt-4o-2024-08-06" is priced as "gpt-4o",
/// "gpt-4o-mini-2024-07-18" as "gpt-4o-mini").
fn lookup<'a, T>(table: &'a HashMap<String, T>, model: &str) -> Option<&'a T> {
    table.get(model).or_else(|| {
        table
            .iter()
            .filter(|(name, _)| {
                model.starts_with(name.as_str()) && model[name.len()..].starts_with('-')
            })
            .max_by_key(|(name, _)| name.len())
            .map(|(_, p)| p)
    })
}

fn micros(usd: f64) -> i64 {
    (usd * 1e6).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_models_are_priced_in_micro_dollars() {
        let p = Prices::default();
        assert_eq!(p.chat_micros("gpt-4o", 1_000_000, 0), Some(2_500_000));
        assert_eq!(p.chat_micros("gpt-4o-mini", 1000, 500), Some(150 + 300));
        assert_eq!(p.stt_micros("whisper-1", 60.0), Some(6000));
        assert_eq!(p.tts_micros("tts-1", 1000), Some(15_000));
    }

    #[test]
    fn dated_model_names_use_the_longest_matching_entry() {
        let p = Prices::default();
        assert_eq!(p.chat_micros("gpt-4o-mini-2024-07-18", 1_000_000, 0), Some(150_000));
        assert_eq!(p.chat_micros("gpt-4o-2024-08-06", 1_000_000, 0), Some(2_500_000));
    }

    #[test]
    fn an_unknown_model_has_an_unknown_cost_not_zero() {
        let p = Prices::default();
        assert_eq!(p.chat_micros("llama3.1:8b", 1000, 1000), None);
        assert_eq!(p.tts_micros("piper", 10), None);
        assert_eq!(p.chat_micros("gpt-4oops", 1000, 1000), None, "a prefix must end at a dash");
    }

    #[test]
    fn overrides_add_and_replace_entries() {
        let p = Prices::with_overrides(r#"{"chat": {"llama3": {"input": 0.0, "output": 0.0}, "gpt-4o": {"input": 5.0, "output": 15.0}}}"#).unwrap();
        assert_eq!(p.chat_micros("llama3", 1000, 1000), Some(0));
        assert_eq!(p.chat_micros("gpt-4o", 1_000_000, 0), Some(5_000_000));
        assert_eq!(p.stt_micros("whisper-1", 60.0), Some(6000), "untouched entries stay");
        assert!(Prices::with_overrides("{not json").is_err());
    }
}
