//! Cheap heuristics about the learner's text, run before calling the model.
//!
//! The model also notices non-Czech input, but knowing it up front lets the
//! bot show a friendly nudge in the learner's interface language. The
//! heuristic errs towards "Czech": a false nudge annoys more than a missed one.

/// English words that are not also common Czech words. "a", "to", "no",
/// "on", "my", "do", "me", "at" (ať), "ten", "jak" are deliberately absent:
/// they are everyday Czech.
const ENGLISH_WORDS: &[&str] = &[
    "the", "is", "are", "was", "were", "and", "you", "what", "how", "this", "that", "it", "it's",
    "i'm", "your", "have", "has", "with", "for", "of", "not", "can", "where", "why", "who", "we",
    "they", "she", "be", "am", "will", "would", "there", "want", "like", "but", "don't", "hello",
    "thanks", "please", "speak", "know", "think",
];

const CZECH_DIACRITICS: &str = "áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ";

/// True when the text is most likely not Czech: mostly Cyrillic letters, or
/// recognisably English (at least two English function words making up a
/// quarter of the words, and no Czech diacritics).
pub fn looks_non_czech(text: &str) -> bool {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if letters == 0 {
        return false;
    }
    let cyrillic = text.chars().filter(|c| matches!(c, '\u{0400}'..='\u{04FF}')).count();
    if cyrillic * 2 > letters {
        return true;
    }
    if text.chars().any(|c| CZECH_DIACRITICS.contains(c)) {
        return false;
    }
    let words: Vec<&str> = words(text).collect();
    let english = words
        .iter()
        .filter(|w| {
            **w == "I" || ENGLISH_WORDS.contains(&w.to_lowercase().replace('’', "'").as_str())
        })
        .count();
    english >= 2 && english * 4 >= words.len()
}

/// Number of words (runs of letters, digits and inner apostrophes).
pub fn word_count(text: &str) -> usize {
    words(text).count()
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .map(|w| w.trim_matches(['\'', '’']))
        .filter(|w| w.chars().any(char::is_alphanumeric))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn czech_with_or_without_diacritics_is_czech() {
        for t in [
            "Ahoj, jak se máš?",
            "ahoj jak se mas",
            "to je dobre pivo",
            "no a co my na to",
            "Včera jsem byl na hokeji, Sparta vyhrála!",
            "i kdyz prsi tak jdu ven",
        ] {
            assert!(!looks_non_czech(t), "{t}");
        }
    }

    #[test]
    fn russian_and_ukrainian_are_not_czech() {
        assert!(looks_non_czech("Привет, как дела?"));
        assert!(looks_non_czech("Привіт, як справи? Що нового?"));
        assert!(looks_non_czech("Я люблю pivo и кнедлики"));
    }

    #[test]
    fn clear_english_is_not_czech() {
        assert!(looks_non_czech("What is this?"));
        assert!(looks_non_czech("I don't know how to say it"));
        assert!(looks_non_czech("hello, how are you"));
    }

    #[test]
    fn short_greetings_numbers_and_emoji_are_not_flagged() {
        for t in ["ahoj", "Čau!", "hello", "OK", "123", "🍺🍺", "", "  "] {
            assert!(!looks_non_czech(t), "{t:?}");
        }
    }

    #[test]
    fn a_czech_sentence_with_one_english_word_is_still_czech() {
        assert!(!looks_non_czech("mam rad the Beatles a pivo"));
    }

    #[test]
    fn words_are_counted_across_scripts_and_punctuation() {
        assert_eq!(word_count("Ahoj, jak se máš?"), 4);
        assert_eq!(word_count("  "), 0);
        assert_eq!(word_count("I don't know — 42 🍺"), 4);
        assert_eq!(word_count("Привет,мир"), 2);
    }
}
