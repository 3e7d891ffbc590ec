//! Which kinds of mistakes a learner makes most, and whether they are getting rarer: for
//! `/stats` (this month against the month before) and for Honzík's prompt (what to practise).

use crate::tutor::MistakeCategory;

/// How a kind of mistake moved against the previous period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Not seen in the previous period.
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trend {
    pub category: MistakeCategory,
    pub count: u32,
    pub previous: u32,
    pub direction: Direction,
}

/// Stored categories (as the model or an older version wrote them) counted per kind.
pub fn tally<'a>(rows: impl IntoIterator<Item = (&'a str, u32)>) -> Vec<(MistakeCategory, u32)> {
    let mut out: Vec<(MistakeCategory, u32)> = Vec::new();
    for (raw, n) in rows {
        let c = MistakeCategory::normalize(raw);
        match out.iter_mut().find(|(k, _)| *k == c) {
            Some((_, total)) => *total += n,
            None => out.push((c, n)),
        }
    }
    out
}

/// The `n` most frequent kinds of this period (ties in the list's fixed order), each with its
/// count in the previous period.
pub fn top(
    this: &[(MistakeCategory, u32)],
    previous: &[(MistakeCategory, u32)],
    n: usize,
) -> Vec<Trend> {
    let count_in = |list: &[(MistakeCategory, u32)], c| {
        list.iter().filter(|(k, _)| *k == c).map(|(_, n)| *n).sum::<u32>()
    };
    let mut trends: Vec<Trend> = MistakeCategory::ALL
        .into_iter()
        .map(|c| (c, count_in(this, c), count_in(previous, c)))
        .filter(|(_, count, _)| *count > 0)
        .map(|(category, count, previous)| {
            let direction = match (previous, count.cmp(&previous)) {
                (0, _) => Direction::New,
                (_, std::cmp::Ordering::Greater) => Direction::Up,
                (_, std::cmp::Ordering::Less) => Direction::Down,
                (_, std::cmp::Ordering::Equal) => Direction::Same,
            };
            Trend { category, count, previous, direction }
        })
        .collect();
    trends.sort_by_key(|t| std::cmp::Reverse(t.count)); // stable: ties keep the fixed order
    trends.truncate(n);
    trends
}

/// Kinds of mistakes worth steering the conversation to: recurring (at least `min` times),
/// most frequent first, at most `n`. "Other" says nothing Honzík could practise.
pub fn focus(counts: &[(MistakeCategory, u32)], min: u32, n: usize) -> Vec<MistakeCategory> {
    top(counts, &[], MistakeCategory::ALL.len())
        .into_iter()
        .filter(|t| t.count >= min && t.category != MistakeCategory::Other)
        .take(n)
        .map(|t| t.category)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use MistakeCategory::*;

    #[test]
    fn stored_categories_are_normalised_before_counting() {
        let counts = tally([
            ("case_endings", 3),
            ("Case endings", 2),
            ("pády", 1),
            ("word order", 1),
            ("??", 4),
        ]);
        assert_eq!(counts, [(CaseEndings, 6), (WordOrder, 1), (Other, 4)]);
        assert_eq!(
            MistakeCategory::normalize("diacritics"),
            Spelling,
            "diacritics count as spelling"
        );
        assert_eq!(MistakeCategory::normalize("vyjmenovaná slova"), VyjmenovanaSlova);
    }

    #[test]
    fn the_most_frequent_kinds_come_first_with_their_trend() {
        let this = [(Gender, 2), (CaseEndings, 5), (VerbAspect, 1), (Spelling, 2)];
        let before = [(CaseEndings, 8), (Gender, 1), (Spelling, 2)];
        let t = top(&this, &before, 3);
        assert_eq!(
            t.iter().map(|t| (t.category, t.direction)).collect::<Vec<_>>(),
            [(CaseEndings, Direction::Down), (Gender, Direction::Up), (Spelling, Direction::Same)]
        );
        assert_eq!((t[0].count, t[0].previous), (5, 8));
        assert_eq!(top(&[(WordOrder, 1)], &[], 3)[0].direction, Direction::New);
        assert!(top(&[], &before, 3).is_empty(), "nothing this month, nothing to show");
    }

    #[test]
    fn honzik_focuses_on_recurring_kinds_only() {
        let counts = [(Other, 9), (Gender, 3), (CaseEndings, 4), (VerbAspect, 1)];
        assert_eq!(focus(&counts, 2, 2), [CaseEndings, Gender]);
        assert_eq!(focus(&counts, 5, 2), Vec::<MistakeCategory>::new());
    }
}
