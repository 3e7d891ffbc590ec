//! Checking a typed (or transcribed) answer against a card's expected answer.
//!
//! Case, surrounding punctuation and spacing never matter (nor do they in speech-to-text). The
//! diacritics do: in Czech they tell words apart ("byt" a flat, "být" to be), so an answer right
//! but for its háčky and čárky is not wrong, yet not quite right either — graded "hard", with a
//! note showing the right spelling. A free answer that means the same in other words is not
//! recognised here (no model call): the learner grades it with the buttons instead.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::schedule::Grade;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The expected answer (up to case, punctuation and spacing).
    Exact,
    /// The right letters with missing or wrong diacritics.
    Diacritics,
    Wrong,
}

impl Verdict {
    pub fn grade(self) -> Grade {
        match self {
            Self::Exact => Grade::Good,
            Self::Diacritics => Grade::Hard,
            Self::Wrong => Grade::Again,
        }
    }
}

/// The best verdict for `answer` against any of `expected`: each is a whole answer (a card lists
/// several only where it has several whole ones, e.g. the gap of a sentence or the sentence).
pub fn check(answer: &str, expected: &[String]) -> Verdict {
    let given = comparable(answer);
    if given.is_empty() {
        return Verdict::Wrong;
    }
    let mut best = Verdict::Wrong;
    for e in expected.iter().map(|e| comparable(e)).filter(|e| !e.is_empty()) {
        if e == given {
            return Verdict::Exact;
        }
        if strip_diacritics(&e) == strip_diacritics(&given) {
            best = Verdict::Diacritics;
        }
    }
    best
}

/// The answers a stored text accepts: itself, and itself without parenthesised notes ("pivo
/// (n.)" accepts "pivo"). Never a part of it: the commas of "Myslím, že" are part of the
/// phrase, so "že" does not answer it, and a translation written "beer, a beer" is one answer.
pub fn whole(expected: &str) -> Vec<String> {
    let mut without_notes = String::new();
    let mut depth = 0usize;
    for c in expected.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => without_notes.push(c),
            _ => {}
        }
    }
    let mut out = vec![expected.to_owned()];
    if without_notes.trim() != expected.trim() && !without_notes.trim().is_empty() {
        out.push(without_notes.trim().to_owned());
    }
    out
}

/// NFC, lower case, punctuation other than inner hyphens and apostrophes dropped, whitespace
/// collapsed.
fn comparable(s: &str) -> String {
    let lower = s.nfc().collect::<String>().to_lowercase();
    let kept: String = lower
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '\'' || c.is_whitespace() { c } else { ' ' }
        })
        .collect();
    kept.split_whitespace()
        .map(|w| w.trim_matches(['-', '\'']))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn strip_diacritics(s: &str) -> String {
    s.nfd().filter(|c| !is_combining_mark(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Vec<String> {
        vec![s.to_owned()]
    }

    #[test]
    fn case_punctuation_and_spacing_do_not_matter() {
        assert_eq!(check("Pivo", &one("pivo")), Verdict::Exact);
        assert_eq!(check("  BYL JSEM  v Praze. ", &one("byl jsem v Praze")), Verdict::Exact);
        assert_eq!(check("Dobrý den!", &one("dobrý den")), Verdict::Exact);
        assert_eq!(check("ČERVENÝ", &one("červený")), Verdict::Exact);
    }

    #[test]
    fn a_letter_typed_with_a_combining_mark_is_the_same_letter() {
        assert_eq!(check("c\u{30C}aj", &one("čaj")), Verdict::Exact);
    }

    #[test]
    fn missing_or_wrong_diacritics_are_hard_not_wrong() {
        assert_eq!(check("cerveny", &one("červený")), Verdict::Diacritics);
        assert_eq!(
            check("Prilis zlutoucky kun", &one("Příliš žluťoučký kůň")),
            Verdict::Diacritics
        );
        assert_eq!(
            check("být", &one("byt")),
            Verdict::Diacritics,
            "the right letters, the wrong marks"
        );
        assert_eq!(Verdict::Diacritics.grade(), Grade::Hard);
        assert_eq!(Verdict::Exact.grade(), Grade::Good);
    }

    #[test]
    fn other_words_are_wrong() {
        assert_eq!(check("pivko", &one("pivo")), Verdict::Wrong);
        assert_eq!(check("", &one("pivo")), Verdict::Wrong);
        assert_eq!(check("...", &one("pivo")), Verdict::Wrong);
        assert_eq!(check("jsem byl", &one("byl jsem")), Verdict::Wrong, "word order matters");
        assert_eq!(Verdict::Wrong.grade(), Grade::Again);
    }

    #[test]
    fn the_whole_expected_answer_is_compared_never_a_part_of_it() {
        assert_eq!(check("že", &whole("Myslím, že")), Verdict::Wrong);
        assert_eq!(check("Myslím", &whole("Myslím, že")), Verdict::Wrong);
        assert_eq!(check("myslím, že", &whole("Myslím, že")), Verdict::Exact);
        assert_eq!(
            check("Myslím že", &whole("Myslím, že")),
            Verdict::Exact,
            "a comma is punctuation"
        );
        assert_eq!(check("beer", &whole("beer, a beer")), Verdict::Wrong);
        assert_eq!(check("пиво", &whole("пиво / пивко")), Verdict::Wrong);
    }

    #[test]
    fn a_parenthesised_note_is_not_part_of_the_answer() {
        assert_eq!(whole("beer (drink)"), ["beer (drink)", "beer"]);
        assert_eq!(check("beer", &whole("beer (drink)")), Verdict::Exact);
        assert_eq!(check("beer (drink)", &whole("beer (drink)")), Verdict::Exact);
        assert_eq!(whole("pivo"), ["pivo"], "nothing to drop: one answer");
        assert_eq!(whole("(n.)"), ["(n.)"], "a note alone is the answer");
    }

    #[test]
    fn several_stored_answers_each_count_whole() {
        let expected = vec!["Praze".to_owned(), "v Praze".to_owned()];
        assert_eq!(check("praze", &expected), Verdict::Exact);
        assert_eq!(check("V Praze.", &expected), Verdict::Exact);
        assert_eq!(check("v Praha", &expected), Verdict::Wrong);
        assert_eq!(check("v praze ", &expected), Verdict::Exact);
        assert_eq!(check("Prazé", &expected), Verdict::Diacritics);
    }
}
