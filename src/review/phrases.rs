//! The phrase of the day (pure): which Czech phrase or idiom a learner's daily reminder ends
//! with. The phrases are data (`locales/phrases.toml`, embedded), so adding one is an edit to a
//! text file that the tests below check, not code.
//!
//! Each learner walks their own shuffle of the whole list, one phrase a day, and starts over
//! once through: consecutive days take consecutive places in one permutation, so no phrase
//! comes back before every other one has been shown — at least [`NO_REPEAT_DAYS`] days, as
//! long as the file holds that many. The shuffle is seeded by the learner's id, so learners
//! get different phrases on the same day (they talk to each other) and the pick needs nothing
//! stored: restarts and replicas agree.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::i18n::Lang;

/// No phrase comes back to a learner sooner than this; the file must hold at least as many.
pub const NO_REPEAT_DAYS: usize = 120;

/// One phrase: the Czech, and what it means explained in each interface language.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Phrase {
    pub cs: String,
    pub ru: String,
    pub uk: String,
    pub en: String,
}

impl Phrase {
    pub fn meaning(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ru => &self.ru,
            Lang::Uk => &self.uk,
            Lang::En => &self.en,
        }
    }
}

#[derive(Deserialize)]
struct File {
    phrase: Vec<Phrase>,
}

/// The embedded list; a malformed file fails the tests (and the first reminder) loudly.
static PHRASES: LazyLock<Vec<Phrase>> = LazyLock::new(|| {
    toml::from_str::<File>(include_str!("../../locales/phrases.toml"))
        .expect("locales/phrases.toml parses")
        .phrase
});

pub fn all() -> &'static [Phrase] {
    &PHRASES
}

/// The learner's phrase for their local `day`.
pub fn of_the_day(learner: i64, day: NaiveDate) -> &'static Phrase {
    &all()[pick(learner, day, all().len())]
}

/// The index (of `count` phrases) for `learner` on `day`: place `day mod count` of the
/// learner's permutation.
pub fn pick(learner: i64, day: NaiveDate, count: usize) -> usize {
    assert!(count > 0, "no phrases to pick from");
    let place = usize::try_from(day.num_days_from_ce().rem_euclid(count as i32)).unwrap_or(0);
    permutation(learner, count)[place]
}

/// Fisher–Yates over `0..count` driven by SplitMix64 seeded with the learner id: a generator
/// written out here rather than a library's, whose sequence could change with its version and
/// reshuffle everyone's phrases mid-cycle.
fn permutation(learner: i64, count: usize) -> Vec<usize> {
    let mut state = learner as u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut order: Vec<usize> = (0..count).collect();
    for i in (1..count).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn day(n: u64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(n)
    }

    #[test]
    fn the_file_holds_enough_phrases_each_explained_in_every_language_without_duplicates() {
        let phrases = all();
        assert!(phrases.len() >= NO_REPEAT_DAYS, "only {} phrases", phrases.len());
        let mut seen = HashSet::new();
        for p in phrases {
            for (lang, text) in [("cs", &p.cs), ("ru", &p.ru), ("uk", &p.uk), ("en", &p.en)] {
                assert!(!text.trim().is_empty(), "{}: empty {lang}", p.cs);
                // The reminder shows them as HTML: markup in the data would break it.
                assert!(!text.contains(['<', '>', '&']), "{}: markup in {lang}", p.cs);
            }
            assert!(!p.uk.contains('\''), "{}: uk apostrophe should be ʼ", p.cs);
            let key = p.cs.trim().trim_end_matches(['.', '!', '?']).to_lowercase();
            assert!(seen.insert(key), "duplicate phrase: {}", p.cs);
        }
    }

    #[test]
    fn no_phrase_repeats_for_a_learner_within_the_no_repeat_window_across_cycle_ends() {
        let count = all().len();
        for learner in [1_i64, 101, 7_000_000_001, -5] {
            // Windows starting anywhere, including ones straddling the end of a cycle.
            for start in [0_u64, 37, count as u64 - 1, 1000] {
                let picks: Vec<usize> = (0..NO_REPEAT_DAYS as u64)
                    .map(|d| pick(learner, day(start + d), count))
                    .collect();
                let distinct: HashSet<_> = picks.iter().collect();
                assert_eq!(distinct.len(), NO_REPEAT_DAYS, "learner {learner} from day {start}");
            }
        }
    }

    #[test]
    fn every_phrase_comes_round_once_per_cycle_and_the_pick_is_stable() {
        let count = all().len();
        let cycle: HashSet<usize> = (0..count as u64).map(|d| pick(42, day(d), count)).collect();
        assert_eq!(cycle.len(), count, "a full cycle shows every phrase");
        assert_eq!(pick(42, day(5), count), pick(42, day(5), count));
        assert_eq!(of_the_day(42, day(5)), &all()[pick(42, day(5), count)]);
    }

    #[test]
    fn learners_get_different_phrases_on_the_same_days() {
        let count = all().len();
        let week = |learner| (0..7).map(|d| pick(learner, day(d), count)).collect::<Vec<_>>();
        assert_ne!(week(101), week(102));
    }

    #[test]
    fn the_meaning_is_the_one_in_the_learners_language() {
        let p = &all()[0];
        assert_eq!(p.meaning(Lang::Uk), p.uk);
        assert_eq!(p.meaning(Lang::Ru), p.ru);
        assert_eq!(p.meaning(Lang::En), p.en);
    }
}
