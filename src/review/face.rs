//! What a card asks and what answers it (pure).
//!
//! A card drills what the learner met, where they met it: a saved word both ways, with the
//! sentence it came in; a past mistake as a gap in the learner's own sentence, corrected — a bare
//! fragment out of its sentence tests little, and the learner's own sentence is the one they will
//! want to say again. A saved correction is its mistake's card, never a word card (its
//! "translation" is an explanation, not a meaning).

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;

use super::cards::CardKind;
use super::check::whole;

/// What one card asks and answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Face {
    pub ask: Ask,
    /// The right answer as shown once answered (a translation, a word, the whole corrected
    /// sentence).
    pub answer: String,
    /// What a typed or spoken answer is checked against, each whole ([`super::check()`]).
    pub accepted: Vec<String>,
    /// Shown once answered: the example sentence the question would have given the answer away
    /// with, or the learner's sentence as they wrote it.
    pub after: Option<After>,
    /// Why the correction is right.
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ask {
    /// "What does *pivo* mean?", with the sentence the word came in.
    Word { czech: String, example: Option<String> },
    /// "How do you say *beer* in Czech?" (the Czech example comes after: it holds the answer).
    Back { translation: String },
    /// The learner's sentence, corrected, with a gap where the correction goes, and what they
    /// wrote in its place as the hint.
    Gap { sentence: String, hint: String },
    /// A mistake whose sentence is not known (stored before sentences were, its message gone, or
    /// the model quoted the fragment loosely): the fragment as the learner wrote it.
    Fix { original: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum After {
    Example(String),
    YouWrote(String),
}

/// A saved word's card in `kind`'s direction ([`CardKind::Mistake`] is [`mistake`]'s).
pub fn word(kind: CardKind, czech: &str, translation: &str, example: Option<&str>) -> Face {
    let example = example.map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned);
    match kind {
        CardKind::TranslationToWord => Face {
            ask: Ask::Back { translation: translation.trim().to_owned() },
            answer: czech.trim().to_owned(),
            accepted: whole(czech.trim()),
            after: example.map(After::Example),
            note: None,
        },
        _ => Face {
            ask: Ask::Word { czech: czech.trim().to_owned(), example },
            answer: translation.trim().to_owned(),
            accepted: whole(translation.trim()),
            after: None,
            note: None,
        },
    }
}

/// The sentence a mistake was made in, as the learner wrote it and corrected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sentences {
    pub written: String,
    pub corrected: String,
}

/// Finds the sentence of the learner's `text` holding the mistake `original`, and that sentence
/// in Honzík's `corrected_text` (the same sentence when both split alike, else the one holding
/// `corrected`); without it, the learner's sentence with the one fragment corrected. `None` when
/// the fragment is not in the text (the model quoted it loosely).
pub fn sentences(
    text: &str,
    corrected_text: Option<&str>,
    original: &str,
    corrected: &str,
) -> Option<Sentences> {
    let text: String = text.nfc().collect();
    let (original, corrected): (String, String) =
        (original.trim().nfc().collect(), corrected.trim().nfc().collect());
    if original.is_empty() || corrected.is_empty() {
        return None;
    }
    let written = split_sentences(&text);
    let at = written.iter().position(|s| find_ci(s, &original).is_some())?;
    let sentence = written[at];
    let fixed: Vec<String> = corrected_text
        .map(|c| {
            split_sentences(&c.nfc().collect::<String>()).into_iter().map(str::to_owned).collect()
        })
        .unwrap_or_default();
    let holds = |s: &String| find_ci(s, &corrected).is_some();
    let from_reply = match fixed.get(at) {
        Some(s) if fixed.len() == written.len() && holds(s) => Some(s.clone()),
        _ => fixed.iter().find(|s| holds(s)).cloned(),
    };
    let corrected_sentence = from_reply.unwrap_or_else(|| {
        let r = find_ci(sentence, &original).expect("found above");
        format!("{}{corrected}{}", &sentence[..r.start], &sentence[r.end..])
    });
    Some(Sentences { written: sentence.to_owned(), corrected: corrected_sentence })
}

/// The card of a mistake: a gap in its corrected sentence when that holds the correction, else
/// (no sentence known) the fragment to fix.
pub fn mistake(original: &str, corrected: &str, explanation: &str, s: Option<&Sentences>) -> Face {
    let note = Some(explanation.trim().to_owned()).filter(|e| !e.is_empty());
    let (original, corrected) = (original.trim(), corrected.trim());
    if let Some((s, gap)) = s.and_then(|s| Some((s, gap(&s.corrected, original, corrected)?))) {
        let answer = &s.corrected[gap.range.clone()];
        let mut accepted = vec![answer.to_owned()];
        accepted.extend([corrected.to_owned(), s.corrected.clone()]);
        accepted.dedup();
        return Face {
            ask: Ask::Gap {
                sentence: format!(
                    "{}{GAP}{}",
                    &s.corrected[..gap.range.start],
                    &s.corrected[gap.range.end..]
                ),
                hint: gap.hint,
            },
            answer: s.corrected.clone(),
            accepted,
            after: Some(After::YouWrote(s.written.clone())),
            note,
        };
    }
    Face {
        ask: Ask::Fix { original: original.to_owned() },
        answer: corrected.to_owned(),
        accepted: whole(corrected),
        after: None,
        note,
    }
}

/// Where the learner writes the correction.
pub const GAP: &str = "____";

struct Gap {
    /// Bytes of the corrected sentence the gap takes.
    range: Range<usize>,
    /// What the learner wrote there.
    hint: String,
}

/// The gap for a correction in `sentence`: only the words that changed ("v Praha" → "v Praze"
/// leaves "v" standing and asks "Praze", hinted "Praha"); the whole correction when words were
/// only added or only dropped (nothing would be left to hint or to ask).
fn gap(sentence: &str, original: &str, corrected: &str) -> Option<Gap> {
    let found = find_ci(sentence, corrected)?;
    let fragment = &sentence[found.clone()];
    let (o, c): (Vec<&str>, Vec<&str>) =
        (original.split_whitespace().collect(), corrected.split_whitespace().collect());
    let same = |a: &&str, b: &&str| a.to_lowercase() == b.to_lowercase();
    let lead = o.iter().zip(&c).take_while(|(a, b)| same(a, b)).count();
    let trail =
        o[lead..].iter().rev().zip(c[lead..].iter().rev()).take_while(|(a, b)| same(a, b)).count();
    let spans = word_spans(fragment);
    let (first, last) = (lead, c.len().saturating_sub(trail));
    if first >= last || lead + trail >= o.len() || spans.len() != c.len() {
        return Some(Gap { range: found, hint: original.to_owned() });
    }
    let range = found.start + spans[first].start..found.start + spans[last - 1].end;
    Some(Gap { range, hint: o[lead..o.len() - trail].join(" ") })
}

/// Byte ranges of the whitespace-separated words of `s`.
fn word_spans(s: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, ch) in s.char_indices() {
        match (ch.is_whitespace(), start) {
            (true, Some(b)) => {
                spans.push(b..i);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(b) = start {
        spans.push(b..s.len());
    }
    spans
}

/// The sentences of `text`: up to and including `.`, `!`, `?` or `…`, and line breaks, trimmed.
fn split_sentences(text: &str) -> Vec<&str> {
    text.split_inclusive(['.', '!', '?', '…', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Where `needle` is in `hay`, ignoring case (letter by letter, so byte ranges stay `hay`'s) and
/// only as whole words ("pivo" is not found in "pivovar").
fn find_ci(hay: &str, needle: &str) -> Option<Range<usize>> {
    let lower = |c: char| c.to_lowercase().next().unwrap_or(c);
    let needle: Vec<char> = needle.chars().map(lower).collect();
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    for (start, _) in hay.char_indices() {
        if word(hay[..start].chars().next_back())
            && needle.first().copied().is_some_and(char::is_alphanumeric)
        {
            continue;
        }
        let mut chars = hay[start..].char_indices();
        let matched = needle.iter().all(|n| chars.next().is_some_and(|(_, c)| lower(c) == *n));
        if !matched {
            continue;
        }
        let end = chars.next().map_or(hay.len(), |(i, _)| start + i);
        let ends_word = needle.last().copied().is_some_and(char::is_alphanumeric);
        if ends_word && word(hay[end..].chars().next()) {
            continue;
        }
        return Some(start..end);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use CardKind::*;

    fn bydlim() -> Sentences {
        sentences(
            "Ahoj! Bydlím v Praha a mám rád pivo. Jsem tady rok.",
            Some("Ahoj! Bydlím v Praze a mám rád pivo. Jsem tady rok."),
            "v Praha",
            "v Praze",
        )
        .unwrap()
    }

    #[test]
    fn a_mistake_is_found_in_the_sentence_the_learner_wrote_it_in() {
        let s = bydlim();
        assert_eq!(s.written, "Bydlím v Praha a mám rád pivo.");
        assert_eq!(s.corrected, "Bydlím v Praze a mám rád pivo.");
        // Without Honzík's corrected text: the learner's sentence with that fragment corrected.
        let alone = sentences("Dobře den! Jak se máš?", None, "dobře den", "dobrý den").unwrap();
        assert_eq!(alone.written, "Dobře den!");
        assert_eq!(alone.corrected, "dobrý den!");
        // Not in the text as quoted: no sentence (the card falls back to the fragment).
        assert_eq!(sentences("Bydlím v Brně.", None, "v Praha", "v Praze"), None);
        assert_eq!(sentences("Mám pivovar.", None, "pivo", "piva"), None, "whole words only");
    }

    #[test]
    fn a_corrected_text_split_differently_still_gives_the_sentence_holding_the_correction() {
        let s =
            sentences("Já mít psa a kočku", Some("Mám psa. A kočku."), "já mít", "mám").unwrap();
        assert_eq!((s.written.as_str(), s.corrected.as_str()), ("Já mít psa a kočku", "Mám psa."));
    }

    #[test]
    fn a_mistake_card_asks_the_changed_words_as_a_gap_in_the_learners_own_sentence() {
        let face = mistake("v Praha", "v Praze", "locative after v", Some(&bydlim()));
        assert_eq!(
            face.ask,
            Ask::Gap {
                sentence: format!("Bydlím v {GAP} a mám rád pivo."), hint: "Praha".into()
            }
        );
        assert_eq!(face.answer, "Bydlím v Praze a mám rád pivo.", "the corrected sentence");
        assert_eq!(face.accepted, ["Praze", "v Praze", "Bydlím v Praze a mám rád pivo."]);
        assert_eq!(face.after, Some(After::YouWrote("Bydlím v Praha a mám rád pivo.".into())));
        assert_eq!(face.note.as_deref(), Some("locative after v"));
    }

    #[test]
    fn words_only_added_or_dropped_make_the_whole_correction_the_gap() {
        let s = sentences("Včera šel do kina.", None, "šel", "jsem šel").unwrap();
        let face = mistake("šel", "jsem šel", "", Some(&s));
        assert_eq!(
            face.ask,
            Ask::Gap { sentence: format!("Včera {GAP} do kina."), hint: "šel".into() }
        );
        assert_eq!(face.note, None, "no explanation, no note");
        assert_eq!(face.accepted[0], "jsem šel");
    }

    #[test]
    fn a_mistake_without_its_sentence_asks_the_fragment() {
        let face = mistake(" v Praha ", "v Praze", "locative", None);
        assert_eq!(face.ask, Ask::Fix { original: "v Praha".into() });
        assert_eq!((face.answer.as_str(), face.after), ("v Praze", None));
    }

    #[test]
    fn a_word_card_asks_both_ways_and_shows_its_example_where_it_gives_nothing_away() {
        let there = word(WordToTranslation, "most", "bridge", Some("Byl jsi na Karlově mostě?"));
        assert_eq!(
            there.ask,
            Ask::Word { czech: "most".into(), example: Some("Byl jsi na Karlově mostě?".into()) }
        );
        assert_eq!((there.answer.as_str(), there.after), ("bridge", None));
        let back = word(TranslationToWord, "most", "bridge", Some("Byl jsi na Karlově mostě?"));
        assert_eq!(back.ask, Ask::Back { translation: "bridge".into() });
        assert_eq!(back.accepted, ["most"]);
        assert_eq!(back.after, Some(After::Example("Byl jsi na Karlově mostě?".into())));
        let bare = word(WordToTranslation, "Myslím, že", "I think that", Some(" "));
        assert_eq!(bare.ask, Ask::Word { czech: "Myslím, že".into(), example: None });
        assert_eq!(word(TranslationToWord, "Myslím, že", "I think", None).accepted, ["Myslím, že"]);
    }

    #[test]
    fn a_fragment_is_found_ignoring_case_at_word_boundaries_only() {
        assert_eq!(find_ci("Bydlím V PRAZE.", "v praze"), Some(8..15), "í is two bytes");
        assert_eq!(find_ci("Čaj a čaj", "čaj"), Some(0..4), "the first, in any case");
        assert_eq!(find_ci("pivovar", "pivo"), None);
        assert_eq!(find_ci("", "pivo"), None);
    }
}
