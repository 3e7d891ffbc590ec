//! Saved words (pure): which words of Honzík's answer a learner can save, and when two
//! spellings are the same word.
//!
//! A turn offers Honzík's `new_words` and the corrected forms of the learner's mistakes. Each
//! gets a button whose callback data names the stored answer and the word's index in
//! [`candidates`] — the word itself could overflow Telegram's 64 bytes — so the list must come
//! out the same for the same answer, every time.

use unicode_normalization::UnicodeNormalization;

use crate::tutor::HonzikReply;

/// At most this many save buttons under one turn: a keyboard taller than the answer helps no one.
pub const MAX_CANDIDATES: usize = 6;

/// A word (or short phrase) the learner can save.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub czech: String,
    /// The translation of a new word, or the explanation of a correction.
    pub translation: String,
    /// For a correction, what the learner wrote instead: saved, it is reviewed as that mistake
    /// (a gap in the learner's sentence), not as a word with an explanation for a meaning.
    pub original: Option<String>,
    /// The sentence it came from.
    pub source: Option<String>,
    /// [`normalize`]d `czech`: one saved word per key and learner.
    pub key: String,
}

/// New words first, then corrections; duplicates (by [`normalize`]) and empty words dropped,
/// at most [`MAX_CANDIDATES`].
pub fn candidates(reply: &HonzikReply) -> Vec<Candidate> {
    let new_words = reply.new_words.iter().map(|w| {
        let source = sentence_with(&reply.honzik_response, &w.czech);
        (w.czech.as_str(), w.translation.as_str(), None, source)
    });
    let corrections = reply.mistakes.iter().map(|m| {
        let source = Some(reply.corrected_text.trim()).filter(|s| !s.is_empty()).map(str::to_owned);
        (m.corrected.as_str(), m.explanation.as_str(), Some(m.original.trim().to_owned()), source)
    });
    let mut out: Vec<Candidate> = Vec::new();
    for (czech, translation, original, source) in new_words.chain(corrections) {
        let key = normalize(czech);
        if key.is_empty() || out.iter().any(|c| c.key == key) {
            continue;
        }
        out.push(Candidate {
            czech: czech.trim().to_owned(),
            translation: translation.trim().to_owned(),
            original,
            source,
            key,
        });
        if out.len() == MAX_CANDIDATES {
            break;
        }
    }
    out
}

/// The form two spellings of one word share: Unicode NFC (so "č" typed as one character or as
/// "c" + combining caron is the same), lower case, inner whitespace collapsed, surrounding
/// punctuation dropped. Diacritics are kept: in Czech they tell words apart ("byt" is a flat,
/// "být" is "to be").
pub fn normalize(word: &str) -> String {
    let composed: String = word.nfc().collect::<String>().to_lowercase();
    let trimmed = composed.trim_matches(|c: char| {
        c.is_whitespace() || (c.is_ascii_punctuation() && c != '-') || "«»„“”‚‘’…".contains(c)
    });
    trimmed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The sentence of `text` that contains `word` (case-insensitively) — or, for a phrase Honzík
/// inflected ("světlé pivo" in "Piješ raději světlé?"), the first of its words that is found.
fn sentence_with(text: &str, word: &str) -> Option<String> {
    let sentences: Vec<&str> = text.split_inclusive(['.', '!', '?']).map(str::trim).collect();
    let find = |needle: &str| {
        sentences.iter().find(|s| s.to_lowercase().contains(needle)).map(|s| (*s).to_owned())
    };
    let word = word.trim().to_lowercase();
    if word.is_empty() {
        return None;
    }
    find(&word)
        .or_else(|| word.split_whitespace().filter(|w| w.chars().count() >= 3).find_map(find))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tutor::reply::{Mistake, MistakeCategory, NewWord};

    fn reply() -> HonzikReply {
        HonzikReply {
            honzik_response: "Praha je krásná! Byl jsi na Karlově mostě? Dáme si pivo.".into(),
            translation: String::new(),
            corrected_text: "Byl jsem v Praze.".into(),
            mistakes: vec![Mistake {
                original: "v Praha".into(),
                corrected: "v Praze".into(),
                explanation: "locative after v".into(),
                category: MistakeCategory::CaseEndings,
            }],
            correctness_score: 70,
            suggestion: String::new(),
            new_words: vec![
                NewWord { czech: "most".into(), translation: "bridge".into() },
                NewWord { czech: "Pivo".into(), translation: "beer".into() },
            ],
            scene: None,
        }
    }

    #[test]
    fn new_words_come_first_with_their_sentence_then_corrections() {
        let c = candidates(&reply());
        let words: Vec<&str> = c.iter().map(|c| c.czech.as_str()).collect();
        assert_eq!(words, ["most", "Pivo", "v Praze"]);
        assert_eq!(c[0].source.as_deref(), Some("Byl jsi na Karlově mostě?"));
        assert_eq!(c[1].source.as_deref(), Some("Dáme si pivo."));
        assert_eq!(c[2].translation, "locative after v");
        assert_eq!((c[0].original.as_deref(), c[2].original.as_deref()), (None, Some("v Praha")));
        assert_eq!(c[2].source.as_deref(), Some("Byl jsem v Praze."));
    }

    #[test]
    fn a_phrase_honzik_inflected_finds_its_sentence_by_one_of_its_words() {
        let text = "Pivo je svaté! Piješ raději světlé, nebo tmavé?";
        assert_eq!(
            sentence_with(text, "světlé pivo").as_deref(),
            Some("Piješ raději světlé, nebo tmavé?")
        );
        assert_eq!(sentence_with(text, "hokej"), None);
        assert_eq!(sentence_with(text, " "), None);
    }

    #[test]
    fn the_same_answer_always_gives_the_same_list() {
        assert_eq!(candidates(&reply()), candidates(&reply()));
    }

    #[test]
    fn duplicates_and_empty_words_are_dropped_and_the_list_is_capped() {
        let mut r = reply();
        r.new_words.push(NewWord { czech: " PIVO! ".into(), translation: "beer".into() });
        r.new_words.push(NewWord { czech: "  ".into(), translation: "nothing".into() });
        assert_eq!(candidates(&r).len(), 3);
        r.new_words = (0..20)
            .map(|i| NewWord { czech: format!("slovo{i}"), translation: String::new() })
            .collect();
        assert_eq!(candidates(&r).len(), MAX_CANDIDATES);
    }

    #[test]
    fn normalizing_ignores_case_and_encoding_but_keeps_diacritics() {
        assert_eq!(normalize("Pivo"), normalize("pivo"));
        assert_eq!(normalize("  Světlé   pivo. "), "světlé pivo");
        assert_eq!(normalize("c\u{30C}aj"), normalize("čaj"), "decomposed č is the same letter");
        assert_ne!(normalize("byt"), normalize("být"), "diacritics tell Czech words apart");
        assert_eq!(normalize("„Ahoj“"), "ahoj");
        assert_eq!(normalize("dívat se"), "dívat se");
    }
}
