//! The dictation check: what the learner typed against the sentence Honzík said, word by word,
//! with the slips Czech learners make told apart — a missing háček, a vowel's length (čárka or
//! kroužek), i for y — from words that are missing, extra or simply wrong. Pure: the bot renders
//! the result, the store files a missed sentence for review.
//!
//! Case and punctuation do not count (nobody hears a comma), so "Dobrý den." and "dobry den"
//! differ only in one vowel's length.

/// A slip inside a word whose letters are otherwise right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Slip {
    /// A háček missing or added: c/č, r/ř, s/š, z/ž, e/ě, n/ň, t/ť, d/ď.
    Hacek,
    /// A vowel's length: a/á, e/é, i/í, o/ó, u/ú/ů, y/ý.
    Length,
    /// i (í) for y (ý) or the other way round.
    IY,
}

/// One word of the comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Word {
    /// Written as said.
    Right(String),
    /// The right word with slips: what was said, what was typed, and which slips.
    Slipped { said: String, typed: String, slips: Vec<Slip> },
    /// Another word than the one said.
    Wrong { said: String, typed: String },
    /// Said, not typed.
    Missing(String),
    /// Typed, not said.
    Extra(String),
}

/// How the whole answer went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grade {
    /// Nothing (or almost nothing) heard.
    Missed,
    /// Some words right, some missing or wrong.
    Partly,
    /// Every word heard; only háčky, lengths or i/y to fix.
    Accents,
    /// Word for word.
    Perfect,
}

/// The comparison of one answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub words: Vec<Word>,
    pub grade: Grade,
    /// 0–100: right words count fully, slipped ones half, extra words take off.
    pub score: u8,
}

impl Check {
    /// The slips made, each kind once, in a fixed order.
    pub fn slips(&self) -> Vec<Slip> {
        let mut all: Vec<Slip> = self
            .words
            .iter()
            .filter_map(|w| match w {
                Word::Slipped { slips, .. } => Some(slips.iter().copied()),
                _ => None,
            })
            .flatten()
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// Whether the sentence should come back in review: anything short of word for word.
    pub fn missed(&self) -> bool {
        self.grade != Grade::Perfect
    }
}

/// Compares `typed` with the sentence `said`.
pub fn check(said: &str, typed: &str) -> Check {
    let said: Vec<String> = words(said);
    let typed: Vec<String> = words(typed);
    let words = align(&said, &typed);
    let (mut points, mut extra) = (0.0f64, 0usize);
    let (mut right, mut slipped) = (0usize, 0usize);
    for w in &words {
        match w {
            Word::Right(_) => {
                points += 1.0;
                right += 1;
            }
            Word::Slipped { .. } => {
                points += 0.5;
                slipped += 1;
            }
            Word::Extra(_) => extra += 1,
            Word::Wrong { .. } | Word::Missing(_) => {}
        }
    }
    let total = said.len().max(1) as f64;
    let score = ((points - 0.5 * extra as f64).max(0.0) / total * 100.0).round() as u8;
    let grade = if right == said.len() && right == words.len() {
        Grade::Perfect
    } else if right + slipped == said.len() && right + slipped == words.len() {
        Grade::Accents
    } else if score >= 40 {
        Grade::Partly
    } else {
        Grade::Missed
    };
    Check { words, grade, score }
}

/// The words of a text, lower case, without punctuation (hyphenated words stay one).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| {
        c.is_whitespace() || (c.is_ascii_punctuation() && c != '-') || "„“”«»…–—".contains(c)
    })
    .map(|w| w.trim_matches('-').to_lowercase())
    .filter(|w| !w.is_empty())
    .collect()
}

/// The letter without its háček or čárka, and y as i: two words with the same skeleton differ
/// only in slips.
fn bare(c: char) -> char {
    match c {
        'á' => 'a',
        'č' => 'c',
        'ď' => 'd',
        'é' | 'ě' => 'e',
        'í' | 'y' | 'ý' => 'i',
        'ň' => 'n',
        'ó' => 'o',
        'ř' => 'r',
        'š' => 's',
        'ť' => 't',
        'ú' | 'ů' => 'u',
        'ž' => 'z',
        other => other,
    }
}

/// What separates two letters with the same [`bare`] form.
fn slip(said: char, typed: char) -> Vec<Slip> {
    let hacek = |c: char| "čďěňřšťž".contains(c);
    let long = |c: char| "áéíóúůý".contains(c);
    let y = |c: char| "yý".contains(c);
    let mut out = Vec::new();
    if hacek(said) != hacek(typed) {
        out.push(Slip::Hacek);
    }
    if long(said) != long(typed) {
        out.push(Slip::Length);
    }
    if bare(said) == 'i' && y(said) != y(typed) {
        out.push(Slip::IY);
    }
    out
}

/// The slips between two words, `None` when they are different words.
fn slips(said: &str, typed: &str) -> Option<Vec<Slip>> {
    let (s, t): (Vec<char>, Vec<char>) = (said.chars().collect(), typed.chars().collect());
    if s.len() != t.len() || s.iter().zip(&t).any(|(a, b)| bare(*a) != bare(*b)) {
        return None;
    }
    let mut out: Vec<Slip> = s.iter().zip(&t).flat_map(|(a, b)| slip(*a, *b)).collect();
    out.sort();
    out.dedup();
    Some(out)
}

/// The cheapest way from the said words to the typed ones (an edit distance over words where
/// a slipped word costs less than a wrong one), read back into the words of the comparison.
fn align(said: &[String], typed: &[String]) -> Vec<Word> {
    // Costs in quarters: a slipped word 1, a missing or extra word 4, a wrong one 5 (so a wrong
    // word is preferred to a missing plus an extra one only when both sides have a word there).
    let cost = |a: &str, b: &str| match slips(a, b) {
        Some(s) if s.is_empty() => 0,
        Some(_) => 1,
        None => 5,
    };
    let (n, m) = (said.len(), typed.len());
    let mut d = vec![vec![0u32; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = 4 * i as u32;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = 4 * j as u32;
    }
    for i in 1..=n {
        for j in 1..=m {
            d[i][j] = (d[i - 1][j - 1] + cost(&said[i - 1], &typed[j - 1]))
                .min(d[i - 1][j] + 4)
                .min(d[i][j - 1] + 4);
        }
    }
    let (mut i, mut j, mut out) = (n, m, Vec::new());
    while i > 0 || j > 0 {
        if i > 0 && j > 0 && d[i][j] == d[i - 1][j - 1] + cost(&said[i - 1], &typed[j - 1]) {
            let (s, t) = (said[i - 1].clone(), typed[j - 1].clone());
            out.push(match slips(&s, &t) {
                Some(sl) if sl.is_empty() => Word::Right(s),
                Some(sl) => Word::Slipped { said: s, typed: t, slips: sl },
                None => Word::Wrong { said: s, typed: t },
            });
            (i, j) = (i - 1, j - 1);
        } else if i > 0 && d[i][j] == d[i - 1][j] + 4 {
            out.push(Word::Missing(said[i - 1].clone()));
            i -= 1;
        } else {
            out.push(Word::Extra(typed[j - 1].clone()));
            j -= 1;
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slipped(said: &str, typed: &str, slips: &[Slip]) -> Word {
        Word::Slipped { said: said.into(), typed: typed.into(), slips: slips.to_vec() }
    }

    #[test]
    fn the_same_sentence_is_perfect_whatever_its_case_and_punctuation() {
        let c = check("Dobrý den, jak se máte?", "dobrý den jak se máte");
        assert_eq!(c.grade, Grade::Perfect);
        assert_eq!(c.score, 100);
        assert!(!c.missed());
    }

    #[test]
    fn a_missing_hacek_is_told_apart_from_a_vowels_length_and_i_for_y() {
        let c = check("Řeka je krásná.", "Reka je krasna.");
        assert_eq!(c.grade, Grade::Accents);
        assert_eq!(c.words[0], slipped("řeka", "reka", &[Slip::Hacek]));
        assert_eq!(c.words[2], slipped("krásná", "krasna", &[Slip::Length]));
        let c = check("Byli jsme doma.", "Bili jsme doma.");
        assert_eq!(c.words[0], slipped("byli", "bili", &[Slip::IY]));
        let c = check("Mám malý byt.", "Mam mali byt.");
        assert_eq!(c.slips(), vec![Slip::Length, Slip::IY]);
        assert_eq!(c.words[1], slipped("malý", "mali", &[Slip::Length, Slip::IY]));
        assert!(c.missed(), "a sentence with slips comes back in review");
    }

    #[test]
    fn a_kroužek_and_an_e_with_hacek_count_as_the_slips_they_are() {
        let c = check("Jdu domů a věřím.", "Jdu domu a verim.");
        assert_eq!(c.words[1], slipped("domů", "domu", &[Slip::Length]));
        assert_eq!(c.words[3], slipped("věřím", "verim", &[Slip::Hacek, Slip::Length]));
    }

    #[test]
    fn missing_extra_and_wrong_words_are_found_where_they_are() {
        let c = check("Zítra jedu vlakem do Brna.", "Zítra jedu autem do velkého Brna.");
        assert_eq!(
            c.words,
            vec![
                Word::Right("zítra".into()),
                Word::Right("jedu".into()),
                Word::Wrong { said: "vlakem".into(), typed: "autem".into() },
                Word::Right("do".into()),
                Word::Extra("velkého".into()),
                Word::Right("brna".into()),
            ]
        );
        assert_eq!(c.grade, Grade::Partly);
        let c = check("Kde je nádraží?", "Kde nádraží?");
        assert_eq!(c.words[1], Word::Missing("je".into()));
        assert_eq!(c.score, 67);
    }

    #[test]
    fn an_answer_with_little_of_the_sentence_is_missed() {
        let c = check("Potřebuji si objednat termín u lékaře.", "nevím");
        assert_eq!(c.grade, Grade::Missed);
        assert_eq!(check("Ahoj.", "").grade, Grade::Missed);
        assert_eq!(check("Ahoj.", "").words, vec![Word::Missing("ahoj".into())]);
    }

    #[test]
    fn extra_words_take_points_off_but_never_below_zero() {
        assert!(check("Ano.", "ano ano ano").score < 100);
        assert_eq!(check("Ano.", "ne ne ne ne ne").score, 0);
    }
}
