//! Which kinds of mistakes a learner makes most, and whether they are getting rarer: for
//! `/stats` (this month against the month before) and for Honzík's prompt (what to practise).
//!
//! Trends are mistakes per 100 words the learner produced, not raw counts: with raw counts a
//! learner who practises twice as much looks twice as bad. A rate of a handful of words says
//! nothing, so trends are shown only from [`MIN_WORDS`] words in the period on, and a previous
//! period with fewer gives no baseline (the kind shows as new).

use crate::tutor::MistakeCategory;

/// Words the learner must have produced in a period before its rates are shown: about ten
/// ordinary turns.
pub const MIN_WORDS: u32 = 100;

/// How a kind of mistake moved against the previous period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Not seen in the previous period, or that period had too little material to compare.
    New,
    Up,
    Down,
    Same,
}

impl Direction {
    /// Every direction; `/stats` shows each as locale key `trend-{as_str}`.
    pub const ALL: [Direction; 4] =
        [Direction::New, Direction::Up, Direction::Down, Direction::Same];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Up => "up",
            Self::Down => "down",
            Self::Same => "same",
        }
    }
}

/// A period's material: mistakes counted per kind and the words the learner produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Period {
    pub counts: Vec<(MistakeCategory, u32)>,
    pub words: u32,
}

impl Period {
    /// Whether there is enough to say anything per 100 words.
    pub fn enough(&self) -> bool {
        self.words >= MIN_WORDS
    }

    fn count(&self, c: MistakeCategory) -> u32 {
        self.counts.iter().filter(|(k, _)| *k == c).map(|(_, n)| *n).sum()
    }

    /// Mistakes of kind `c` per 100 words, in tenths (25 = 2.5 per 100 words), rounded.
    fn rate(&self, c: MistakeCategory) -> u32 {
        per_100_words(self.count(c), self.words)
    }
}

/// `count` mistakes in `words` words as tenths of a mistake per 100 words, rounded; 0 without
/// words.
pub fn per_100_words(count: u32, words: u32) -> u32 {
    if words == 0 {
        return 0;
    }
    let tenths = (u64::from(count) * 1000 + u64::from(words) / 2) / u64::from(words);
    u32::try_from(tenths).unwrap_or(u32::MAX)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trend {
    pub category: MistakeCategory,
    /// Mistakes per 100 words in tenths, this period.
    pub rate: u32,
    /// The same in the previous period (0 when it had no baseline).
    pub previous: u32,
    pub direction: Direction,
}

/// Stored categories (as the model or an older version wrote them) counted per kind. Register
/// notes are never stored as mistakes; an old row that says so is left out all the same.
pub fn tally<'a>(rows: impl IntoIterator<Item = (&'a str, u32)>) -> Vec<(MistakeCategory, u32)> {
    let mut out: Vec<(MistakeCategory, u32)> = Vec::new();
    for (raw, n) in rows {
        let c = MistakeCategory::normalize(raw);
        if c.is_note() {
            continue;
        }
        match out.iter_mut().find(|(k, _)| *k == c) {
            Some((_, total)) => *total += n,
            None => out.push((c, n)),
        }
    }
    out
}

/// The `n` most frequent kinds of this period per 100 words (ties in the list's fixed order),
/// each against the previous period; nothing when this period has too little material.
pub fn top(this: &Period, previous: &Period, n: usize) -> Vec<Trend> {
    if !this.enough() {
        return Vec::new();
    }
    let mut trends: Vec<Trend> = MistakeCategory::ALL
        .into_iter()
        .filter(|c| this.count(*c) > 0)
        .map(|category| {
            let rate = this.rate(category);
            let before = if previous.enough() { previous.rate(category) } else { 0 };
            Trend { category, rate, previous: before, direction: direction(rate, before) }
        })
        .collect();
    trends.sort_by_key(|t| std::cmp::Reverse(t.rate)); // stable: ties keep the fixed order
    trends.truncate(n);
    trends
}

/// Up, down or the same: rates within a fifth of each other count as the same, since a month
/// of turns is a small sample.
fn direction(rate: u32, previous: u32) -> Direction {
    if previous == 0 {
        return Direction::New;
    }
    let margin = rate.max(previous) / 5;
    if rate > previous + margin {
        Direction::Up
    } else if rate + margin < previous {
        Direction::Down
    } else {
        Direction::Same
    }
}

/// Kinds of mistakes worth steering the conversation to: recurring (at least `min` times),
/// most frequent first, at most `n`. Any kind Honzík can practise — not "other", which names
/// nothing, and not register, which is no mistake.
pub fn focus(counts: &[(MistakeCategory, u32)], min: u32, n: usize) -> Vec<MistakeCategory> {
    let mut kinds: Vec<(MistakeCategory, u32)> = MistakeCategory::ALL
        .into_iter()
        .filter(|c| c.is_practised())
        .map(|c| (c, counts.iter().filter(|(k, _)| *k == c).map(|(_, n)| *n).sum()))
        .filter(|(_, count)| *count >= min)
        .collect();
    kinds.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    kinds.into_iter().take(n).map(|(c, _)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use MistakeCategory::*;

    fn period(counts: &[(MistakeCategory, u32)], words: u32) -> Period {
        Period { counts: counts.to_vec(), words }
    }

    #[test]
    fn stored_categories_are_normalised_before_counting_and_notes_left_out() {
        let counts = tally([
            ("case_endings", 3),
            ("Case endings", 2),
            ("pády", 1),
            ("word order", 1),
            ("register", 5),
            ("??", 4),
        ]);
        assert_eq!(counts, [(CaseEndings, 6), (WordOrder, 1), (Other, 4)]);
    }

    #[test]
    fn rates_are_tenths_of_a_mistake_per_100_words() {
        assert_eq!(per_100_words(5, 200), 25, "2.5 per 100 words");
        assert_eq!(per_100_words(1, 300), 3, "0.33 rounds to 0.3");
        assert_eq!(per_100_words(3, 0), 0);
    }

    #[test]
    fn practising_more_with_the_same_rate_is_not_getting_worse() {
        // Twice the mistakes in twice the words: the same, not "up".
        let before = period(&[(CaseEndings, 10)], 500);
        let now = period(&[(CaseEndings, 20)], 1000);
        let t = top(&now, &before, 3);
        assert_eq!((t[0].rate, t[0].previous, t[0].direction), (20, 20, Direction::Same));
    }

    #[test]
    fn the_most_frequent_kinds_per_100_words_come_first_with_their_trend() {
        let this = period(&[(Gender, 2), (CaseEndings, 5), (VerbForms, 1), (Prepositions, 2)], 200);
        let before = period(&[(CaseEndings, 16), (Gender, 1), (Prepositions, 4)], 400);
        let t = top(&this, &before, 3);
        assert_eq!(
            t.iter().map(|t| (t.category, t.direction)).collect::<Vec<_>>(),
            [
                (CaseEndings, Direction::Down),
                (Prepositions, Direction::Same),
                (Gender, Direction::Up)
            ]
        );
        assert_eq!((t[0].rate, t[0].previous), (25, 40));
    }

    #[test]
    fn too_little_material_shows_no_trend_and_gives_no_baseline() {
        let few = period(&[(CaseEndings, 3)], MIN_WORDS - 1);
        assert!(top(&few, &Period::default(), 3).is_empty(), "three words are no trend");
        let enough = period(&[(CaseEndings, 3)], MIN_WORDS);
        let t = top(&enough, &few, 3);
        assert_eq!((t[0].direction, t[0].previous), (Direction::New, 0));
        assert!(top(&period(&[], 500), &enough, 3).is_empty(), "no mistakes, nothing to show");
    }

    #[test]
    fn honzik_focuses_on_recurring_kinds_he_can_practise() {
        let counts = [(Other, 9), (Register, 8), (Gender, 3), (Prepositions, 4), (VerbAspect, 1)];
        assert_eq!(focus(&counts, 2, 2), [Prepositions, Gender]);
        assert_eq!(focus(&counts, 5, 2), Vec::<MistakeCategory>::new());
        assert_eq!(focus(&[(VerbForms, 3), (Agreement, 3)], 3, 2), [VerbForms, Agreement]);
    }
}
