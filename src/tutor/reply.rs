//! The reply contract between Honzík (the LLM) and the bot.
//!
//! The model is asked for strict structured output ([`json_schema`]), but
//! not every provider or model honours it, so [`parse_reply`] repairs what is
//! repairable (fences, stray text, string scores, missing fields) and fails
//! only when there is nothing Honzík could say.
//!
//! Whatever the model returns is also bounded here, once, so that what is stored and what is
//! shown agree: at most [`MAX_MISTAKES`] mistakes and [`MAX_NEW_WORDS`] new words, each text
//! field clipped to its `*_CHARS` limit (see [`HonzikReply::bounded`]), and the completion
//! itself capped at [`REPLY_MAX_TOKENS`].
//!
//! Here: the reply's types and their bounds. The schema is in `schema`, the lenient parser in
//! `parse`; both are re-exported, so callers keep naming `tutor::reply::*`.

use serde::{Deserialize, Serialize};

pub use super::category::MistakeCategory;
pub use parse::parse_reply;
pub use schema::{SCHEMA_NAME, json_schema};

mod parse;
mod schema;

/// `max_completion_tokens` of a turn's chat request. A normal reply is 150–500 tokens; the
/// largest honest one — the correction of a 4,096-character message (≈1,200 tokens) with ten
/// mistakes, a tip and five words — stays under 2,000. A model that runs away (repeating itself,
/// or talked into writing an essay) is cut here instead of being paid for up to the model's own
/// limit: at most ~5× a normal reply. A reply cut short breaks the contract and is retried once,
/// like any broken reply. (A reasoning model counts its hidden reasoning in this cap too: one
/// configured for turns needs it raised.)
pub const REPLY_MAX_TOKENS: u32 = 2_500;

/// Mistakes kept from one reply (shown, stored, reviewed). Ten already fill a screen; a model
/// listing thirty is padding, and every stored one becomes a review card.
pub const MAX_MISTAKES: usize = 10;
/// New words kept from one reply: the prompt asks for 0–3, the save buttons show a few.
pub const MAX_NEW_WORDS: usize = 5;

/// Longest `honzik_response`, in characters. Spoken by text-to-speech (which takes 4,096) and
/// shown under a spoiler; the longest level asks for 3–5 sentences (~600 characters), so this is
/// only ever reached by a runaway, and it still fits one Telegram message with its translation.
pub const RESPONSE_CHARS: usize = 2_000;
/// Longest `translation` (of the response, so as long).
pub const TRANSLATION_CHARS: usize = 2_000;
/// Longest `corrected_text`: the learner's message may be 4,096 characters and its correction
/// as long — one Telegram message ([`crate::html::TEXT_LIMIT`]).
pub const CORRECTED_CHARS: usize = 4_096;
/// Longest `original` or `corrected` fragment of a mistake (a fragment, not the whole text).
pub const FRAGMENT_CHARS: usize = 300;
/// Longest explanation of a mistake, and longest tip.
pub const EXPLANATION_CHARS: usize = 500;
/// Longest new word (a word or a short phrase: it becomes a button and a review card).
pub const WORD_CHARS: usize = 64;
/// Longest translation of a new word.
pub const WORD_TRANSLATION_CHARS: usize = 200;

/// One structured answer from Honzík.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct HonzikReply {
    /// What Honzík says (spoken by TTS).
    pub honzik_response: String,
    /// `honzik_response` in the learner's explanation language.
    pub translation: String,
    /// The learner's last message, corrected.
    pub corrected_text: String,
    pub mistakes: Vec<Mistake>,
    /// 0–100.
    pub correctness_score: u8,
    /// A short tip in the explanation language; may be empty.
    pub suggestion: String,
    pub new_words: Vec<NewWord>,
    /// In a role-play scene only (`practice::scenes`): whether the goal is reached, and the
    /// phrase to hint next. `None` outside scenes and in replies stored before scenes existed.
    #[serde(default)]
    pub scene: Option<SceneProgress>,
}

/// What a scene turn's reply says about the scene.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SceneProgress {
    pub goal_reached: bool,
    /// One short Czech sentence the learner could say next; may be empty.
    pub hint: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Mistake {
    pub original: String,
    pub corrected: String,
    pub explanation: String,
    pub category: MistakeCategory,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct NewWord {
    pub czech: String,
    pub translation: String,
}

impl HonzikReply {
    /// The reply within the contract's bounds: at most [`MAX_MISTAKES`] mistakes and
    /// [`MAX_NEW_WORDS`] words (the first ones: the model lists the most important first), every
    /// text clipped to its limit. [`parse_reply`] applies it, so a stored reply is always
    /// bounded and renders within Telegram's limits.
    pub fn bounded(mut self) -> HonzikReply {
        self.honzik_response = clip(self.honzik_response, RESPONSE_CHARS);
        self.translation = clip(self.translation, TRANSLATION_CHARS);
        self.corrected_text = clip(self.corrected_text, CORRECTED_CHARS);
        self.suggestion = clip(self.suggestion, EXPLANATION_CHARS);
        self.mistakes.truncate(MAX_MISTAKES);
        for m in &mut self.mistakes {
            m.original = clip(std::mem::take(&mut m.original), FRAGMENT_CHARS);
            m.corrected = clip(std::mem::take(&mut m.corrected), FRAGMENT_CHARS);
            m.explanation = clip(std::mem::take(&mut m.explanation), EXPLANATION_CHARS);
        }
        self.new_words.truncate(MAX_NEW_WORDS);
        for w in &mut self.new_words {
            w.czech = clip(std::mem::take(&mut w.czech), WORD_CHARS);
            w.translation = clip(std::mem::take(&mut w.translation), WORD_TRANSLATION_CHARS);
        }
        if let Some(scene) = &mut self.scene {
            scene.hint = clip(std::mem::take(&mut scene.hint), FRAGMENT_CHARS);
        }
        self
    }
}

/// At most `max` characters of `s`, ending in "…" when cut (so the learner sees it was).
fn clip(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// Why a model answer could not be used at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReplyError {
    #[error("the reply contains no JSON object")]
    NotJson,
    #[error("the reply has no honzik_response")]
    MissingResponse,
    #[error("honzik_response is empty")]
    EmptyResponse,
}

#[cfg(test)]
#[path = "reply_tests.rs"]
mod tests;
