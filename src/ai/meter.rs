//! The meter: the one place that turns a paid request into its usage record — what it consumed,
//! what that costs at our price table, and the Prometheus counters it adds to.
//!
//! Before, each call site built its own `Usage { kind: "chat" | "stt" | "tts", … }`, priced it and
//! remembered to count it in the metrics; a new call could forget one of the three. Now a
//! [`Usage`] can only be made here (it has a private field), the clients in [`crate::ai`] return
//! one with every paid result, and the store records what it is given. A new paid call adds a
//! method here, and nowhere else knows prices.

use crate::metrics::UsageCounters;
use crate::tutor::Prices;

/// What a paid request was for; stored as its [`UsageKind::as_str`] in the `usage` ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UsageKind {
    /// Honzík's structured reply to a turn.
    Chat,
    /// Folding old turns into the conversation summary.
    Summary,
    /// Speech-to-text of the learner's audio.
    Transcription,
    /// Honzík's voice.
    Speech,
}

impl UsageKind {
    pub const ALL: [UsageKind; 4] =
        [UsageKind::Chat, UsageKind::Summary, UsageKind::Transcription, UsageKind::Speech];

    /// The ledger's value (kept from the first schema: `chat`, `summary`, `stt`, `tts`).
    pub fn as_str(self) -> &'static str {
        match self {
            UsageKind::Chat => "chat",
            UsageKind::Summary => "summary",
            UsageKind::Transcription => "stt",
            UsageKind::Speech => "tts",
        }
    }

    /// Inverse of [`UsageKind::as_str`].
    pub fn parse(s: &str) -> Option<UsageKind> {
        UsageKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One request's consumption and price. `cost_micros` None = the model has no price (unknown,
/// not zero).
// `#[non_exhaustive]` would only stop other crates; the private field stops other modules.
#[allow(clippy::manual_non_exhaustive)]
#[derive(Clone, Debug, PartialEq)]
pub struct Usage {
    pub kind: UsageKind,
    pub model: String,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub audio_seconds: f64,
    pub characters: u32,
    pub cost_micros: Option<i64>,
    /// The tokens were counted by the bot, not reported by the server (it sent no `usage`): the
    /// cost is an estimate, and the ledger and `/admin` say so.
    pub estimated: bool,
    /// Only the meter makes a `Usage`, so none escapes pricing and counting.
    _metered: (),
}

/// A chat completion's tokens: as the server reported them, or as the bot counted them where
/// it reported none (`estimated`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tokens {
    pub prompt: u32,
    pub completion: u32,
    pub estimated: bool,
}

/// Two attempts of one request: both were paid for; an estimate in either makes the sum one.
impl std::ops::Add for Tokens {
    type Output = Tokens;

    fn add(self, other: Tokens) -> Tokens {
        Tokens {
            prompt: self.prompt + other.prompt,
            completion: self.completion + other.completion,
            estimated: self.estimated || other.estimated,
        }
    }
}

/// Prices and counts every paid request. Cheap to clone: the clients each hold one.
#[derive(Clone)]
pub struct Meter {
    prices: Prices,
    counters: UsageCounters,
}

impl Meter {
    pub fn new(prices: Prices, counters: UsageCounters) -> Meter {
        Meter { prices, counters }
    }

    /// A chat completion (a turn's reply or a summary): billed by its tokens.
    pub fn chat(&self, kind: UsageKind, model: &str, tokens: Tokens) -> Usage {
        let cost = self.prices.chat_micros(model, tokens.prompt, tokens.completion);
        self.count(Usage {
            kind,
            model: model.to_owned(),
            prompt_tokens: tokens.prompt,
            completion_tokens: tokens.completion,
            audio_seconds: 0.0,
            characters: 0,
            cost_micros: cost,
            estimated: tokens.estimated,
            _metered: (),
        })
    }

    /// A transcription: billed by the audio's length in seconds (the server's decoded length
    /// where it reports one, else the bot's measurement: both exact, neither an estimate).
    pub fn transcription(&self, model: &str, seconds: f64) -> Usage {
        self.count(Usage {
            kind: UsageKind::Transcription,
            model: model.to_owned(),
            prompt_tokens: 0,
            completion_tokens: 0,
            audio_seconds: seconds,
            characters: 0,
            cost_micros: self.prices.stt_micros(model, seconds),
            estimated: false,
            _metered: (),
        })
    }

    /// Speech: billed by the characters spoken; a voice served from our cache cost nothing and
    /// is recorded at zero so the ledger still shows it was heard.
    pub fn speech(&self, model: &str, characters: usize, cached: bool) -> Usage {
        let (chars, cost) = match cached {
            true => (0, Some(0)),
            false => (characters, self.prices.tts_micros(model, characters)),
        };
        self.count(Usage {
            kind: UsageKind::Speech,
            model: model.to_owned(),
            prompt_tokens: 0,
            completion_tokens: 0,
            audio_seconds: 0.0,
            characters: chars as u32,
            cost_micros: cost,
            estimated: false,
            _metered: (),
        })
    }

    fn count(&self, u: Usage) -> Usage {
        self.counters.observe(&u.model, u.prompt_tokens, u.completion_tokens, u.cost_micros);
        u
    }
}

/// A paid result and its usage: the clients return these, so the cost travels with the value.
#[derive(Clone, Debug)]
pub struct Metered<T> {
    pub value: T,
    pub usage: Usage,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meter() -> (Meter, crate::metrics::Metrics) {
        let metrics = crate::metrics::Metrics::new(Default::default());
        (Meter::new(Prices::default(), metrics.usage_counters()), metrics)
    }

    #[test]
    fn each_kind_is_priced_from_the_table_and_counted_once() {
        let (m, metrics) = meter();
        let chat = m.chat(UsageKind::Chat, "gpt-4o-mini", tokens(1_000_000, 0, false));
        assert_eq!(chat.cost_micros, Some(150_000));
        assert!(!chat.estimated);
        assert_eq!(m.transcription("whisper-1", 60.0).cost_micros, Some(6_000));
        assert_eq!(m.speech("tts-1", 1_000_000, false).cost_micros, Some(15_000_000));
        let text = metrics.encode();
        assert!(text.contains("mluvme_tokens_total{direction=\"prompt\"} 1000000"), "{text}");
    }

    #[test]
    fn a_cached_voice_is_recorded_at_zero_and_an_unknown_model_as_unpriced() {
        let (m, _) = meter();
        let cached = m.speech("tts-1", 500, true);
        assert_eq!((cached.characters, cached.cost_micros), (0, Some(0)));
        assert_eq!(m.chat(UsageKind::Summary, "my-llama", tokens(10, 10, false)).cost_micros, None);
    }

    fn tokens(prompt: u32, completion: u32, estimated: bool) -> Tokens {
        Tokens { prompt, completion, estimated }
    }

    #[test]
    fn tokens_the_bot_counted_are_priced_the_same_and_marked_as_an_estimate() {
        let (m, _) = meter();
        let counted = tokens(1_000_000, 0, true);
        let usage = m.chat(UsageKind::Chat, "gpt-4o-mini", counted);
        assert_eq!((usage.cost_micros, usage.estimated), (Some(150_000), true));
        let both = tokens(10, 5, false) + counted;
        assert_eq!(both, tokens(1_000_010, 5, true), "one estimated attempt makes the sum one");
    }

    #[test]
    fn the_ledger_names_stay_those_of_the_first_schema() {
        let names: Vec<_> = UsageKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, ["chat", "summary", "stt", "tts"]);
        assert!(UsageKind::ALL.into_iter().all(|k| UsageKind::parse(k.as_str()) == Some(k)));
    }
}
