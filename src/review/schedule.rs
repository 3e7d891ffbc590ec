//! Spaced repetition with FSRS (the `rs-fsrs` scheduler): when a card is due again after a grade.
//!
//! The long-term scheduler is used (intervals in whole days, no same-day learning steps): a
//! learner meets a card in a short `/review` session at most once a day, so a "see it again in
//! ten minutes" step would only leave cards due that nobody reviews until tomorrow anyway.

use chrono::{DateTime, Utc};
use rs_fsrs::{Card, FSRS, Parameters, Rating, State};

/// How well the learner remembered a card (FSRS's four ratings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Grade {
    Again,
    Hard,
    Good,
    Easy,
}

impl Grade {
    pub const ALL: [Grade; 4] = [Grade::Again, Grade::Hard, Grade::Good, Grade::Easy];

    /// 1–4, as in callback data and the session's tally.
    pub fn number(self) -> u8 {
        match self {
            Self::Again => 1,
            Self::Hard => 2,
            Self::Good => 3,
            Self::Easy => 4,
        }
    }

    pub fn from_number(n: u8) -> Option<Grade> {
        Self::ALL.into_iter().find(|g| g.number() == n)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Again => "again",
            Self::Hard => "hard",
            Self::Good => "good",
            Self::Easy => "easy",
        }
    }

    fn rating(self) -> Rating {
        match self {
            Self::Again => Rating::Again,
            Self::Hard => Rating::Hard,
            Self::Good => Rating::Good,
            Self::Easy => Rating::Easy,
        }
    }
}

/// What FSRS remembers about one card, as stored in `review_cards`.
#[derive(Clone, Debug, PartialEq)]
pub struct Memory {
    pub due: DateTime<Utc>,
    pub stability: f64,
    pub difficulty: f64,
    pub elapsed_days: i64,
    pub scheduled_days: i64,
    pub reps: i32,
    pub lapses: i32,
    /// 0 new, 1 learning, 2 review, 3 relearning.
    pub state: i16,
    pub last_review: DateTime<Utc>,
}

impl Memory {
    fn card(&self) -> Card {
        Card {
            due: self.due,
            stability: self.stability,
            difficulty: self.difficulty,
            elapsed_days: self.elapsed_days,
            scheduled_days: self.scheduled_days,
            reps: self.reps,
            lapses: self.lapses,
            state: match self.state {
                1 => State::Learning,
                2 => State::Review,
                3 => State::Relearning,
                _ => State::New,
            },
            last_review: self.last_review,
        }
    }

    fn from_card(c: &Card) -> Memory {
        Memory {
            due: c.due,
            stability: c.stability,
            difficulty: c.difficulty,
            elapsed_days: c.elapsed_days,
            scheduled_days: c.scheduled_days,
            reps: c.reps,
            lapses: c.lapses,
            state: c.state as i16,
            last_review: c.last_review,
        }
    }
}

fn scheduler() -> FSRS {
    FSRS::new(Parameters { enable_short_term: false, ..Parameters::default() })
}

/// The card's memory after `grade` at `now`; `None` is a card never reviewed. "Again" brings the
/// card back the next day.
pub fn review(memory: Option<&Memory>, grade: Grade, now: DateTime<Utc>) -> Memory {
    let card = memory.map(Memory::card).unwrap_or_else(|| Card {
        due: now,
        last_review: now,
        ..Card::default()
    });
    let mut next = Memory::from_card(&scheduler().next(card, now, grade.rating()).card);
    if grade == Grade::Again {
        // Relearning step: tomorrow. The long-term scheduler would wait a week after a lapse of
        // a long-known card; a learner who just forgot it should meet it again while it hurts.
        // Stability and difficulty stay FSRS's, so the intervals after that follow FSRS again.
        next.scheduled_days = next.scheduled_days.min(1);
        next.due = next.due.min(now + chrono::Duration::days(1));
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap()
    }

    /// Reviews at each due date in turn, returning the intervals in days.
    fn intervals(grades: &[Grade]) -> Vec<i64> {
        let (mut memory, mut now, mut out) = (None::<Memory>, start(), Vec::new());
        for g in grades {
            let next = review(memory.as_ref(), *g, now);
            out.push((next.due - now).num_days());
            now = next.due;
            memory = Some(next);
        }
        out
    }

    #[test]
    fn intervals_grow_with_each_good_answer() {
        let days = intervals(&[Grade::Good; 5]);
        assert!(days[0] >= 1, "a remembered card is not due again the same day: {days:?}");
        assert!(
            days.windows(2).all(|w| w[1] > w[0]),
            "each good answer pushes the card further out: {days:?}"
        );
        assert!(days[4] >= 30, "after five good answers the card rests for weeks: {days:?}");
    }

    #[test]
    fn again_resets_the_interval_and_counts_a_lapse() {
        use Grade::*;
        let days = intervals(&[Good, Good, Good, Good, Again]);
        assert!(days[4] < days[3] / 4, "forgetting brings the card back soon: {days:?}");
        assert_eq!(days[4], 1, "a forgotten card is back the next day: {days:?}");
        let mut memory = None::<Memory>;
        let mut now = start();
        for g in [Good, Good, Again] {
            let m = review(memory.as_ref(), g, now);
            now = m.due;
            memory = Some(m);
        }
        assert_eq!(memory.unwrap().lapses, 1);
    }

    #[test]
    fn easier_grades_give_longer_intervals_for_a_new_card() {
        let now = start();
        let days: Vec<i64> =
            Grade::ALL.iter().map(|g| (review(None, *g, now).due - now).num_days()).collect();
        assert!(days.windows(2).all(|w| w[1] >= w[0]), "{days:?}");
        assert!(days[3] > days[0], "{days:?}");
    }

    #[test]
    fn grades_round_trip_through_their_numbers() {
        for g in Grade::ALL {
            assert_eq!(Grade::from_number(g.number()), Some(g));
        }
        assert_eq!(Grade::from_number(0), None);
        assert_eq!(Grade::from_number(5), None);
    }
}
