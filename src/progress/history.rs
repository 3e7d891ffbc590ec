//! What `/stats` shows, computed from the learner's days (pure): totals, the last 30 days for
//! the chart, the 7-day calendar and today's challenge.

use chrono::{Days, NaiveDate};

use super::rules::{DAILY_CHALLENGE_TURNS, StreakState, current_streak};

/// One local day of practice, as `daily_stats` keeps it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Day {
    pub day: NaiveDate,
    pub turns: u32,
    pub words: u32,
    pub score_sum: u64,
    pub scored_turns: u32,
    pub challenge_done: bool,
}

impl Day {
    fn empty(day: NaiveDate) -> Day {
        Day { day, ..Day::default() }
    }

    /// The day's average score, if any turn was scored.
    pub fn average_score(&self) -> Option<f64> {
        (self.scored_turns > 0).then(|| self.score_sum as f64 / self.scored_turns as f64)
    }
}

/// How a calendar day looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Missed,
    Practised,
    ChallengeDone,
}

/// Everything `/stats` says.
#[derive(Clone, Debug, PartialEq)]
pub struct Overview {
    /// The streak as displayed today (0 once a day was missed).
    pub streak: u32,
    pub best_streak: u32,
    pub turns: u64,
    pub words: u64,
    pub average_score: Option<u8>,
    pub turns_today: u32,
    pub challenge_done: bool,
    /// The last 7 days, oldest first, ending today.
    pub week: Vec<(NaiveDate, Mark)>,
    /// The last 30 days, oldest first, ending today, missing days filled with zeros.
    pub month: Vec<Day>,
}

/// Days shown by the chart.
pub const CHART_DAYS: u64 = 30;
/// Days shown by the calendar.
pub const CALENDAR_DAYS: u64 = 7;

/// Sums every stored day and lays out the recent ones. `days` may come in any order and may
/// hold days after `today` (the learner moved west across time zones); those count in the totals.
pub fn overview(days: &[Day], streak: StreakState, today: NaiveDate) -> Overview {
    let scored: u64 = days.iter().map(|d| u64::from(d.scored_turns)).sum();
    let score_sum: u64 = days.iter().map(|d| d.score_sum).sum();
    let today_row = days.iter().find(|d| d.day == today).copied().unwrap_or(Day::empty(today));
    let month = window(days, today, CHART_DAYS);
    let week =
        month[month.len() - CALENDAR_DAYS as usize..].iter().map(|d| (d.day, mark(d))).collect();
    Overview {
        streak: current_streak(streak, today),
        best_streak: streak.best,
        turns: days.iter().map(|d| u64::from(d.turns)).sum(),
        words: days.iter().map(|d| u64::from(d.words)).sum(),
        average_score: (scored > 0)
            .then(|| (score_sum as f64 / scored as f64).round().min(100.0) as u8),
        turns_today: today_row.turns.min(DAILY_CHALLENGE_TURNS),
        challenge_done: today_row.challenge_done,
        week,
        month,
    }
}

/// The `n` days ending `today`, oldest first; days without a row are empty.
pub fn window(days: &[Day], today: NaiveDate, n: u64) -> Vec<Day> {
    (0..n)
        .rev()
        .map(|back| {
            let date = today.checked_sub_days(Days::new(back)).unwrap_or(today);
            days.iter().find(|d| d.day == date).copied().unwrap_or(Day::empty(date))
        })
        .collect()
}

fn mark(d: &Day) -> Mark {
    match (d.turns, d.challenge_done) {
        (_, true) => Mark::ChallengeDone,
        (0, _) => Mark::Missed,
        _ => Mark::Practised,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn day(d: u32, turns: u32, score_sum: u64) -> Day {
        Day {
            day: date(d),
            turns,
            words: turns * 4,
            score_sum,
            scored_turns: turns,
            challenge_done: turns >= 5,
        }
    }

    #[test]
    fn totals_sum_every_day_and_the_average_is_per_turn() {
        let days = [day(1, 1, 100), day(20, 3, 150), day(28, 5, 400)];
        let o = overview(
            &days,
            StreakState { current: 1, best: 4, last_day: Some(date(28)) },
            date(28),
        );
        assert_eq!((o.turns, o.words), (9, 36));
        assert_eq!(o.average_score, Some(72), "650 points over 9 turns");
        assert_eq!((o.streak, o.best_streak), (1, 4));
        assert_eq!((o.turns_today, o.challenge_done), (5, true));
    }

    #[test]
    fn the_month_and_week_end_today_with_missing_days_filled() {
        let days = [day(28, 2, 160), day(26, 5, 450), day(1, 1, 50)];
        let o = overview(&days, StreakState::default(), date(28));
        assert_eq!(o.month.len(), 30);
        assert_eq!(o.month.first().unwrap().day, date(28) - Days::new(29));
        assert_eq!(o.month.last().unwrap().turns, 2);
        let marks: Vec<Mark> = o.week.iter().map(|(_, m)| *m).collect();
        use Mark::*;
        assert_eq!(marks, [Missed, Missed, Missed, Missed, ChallengeDone, Missed, Practised]);
        assert_eq!(o.week[6].0, date(28));
    }

    #[test]
    fn a_new_learner_has_zeros_no_average_and_a_dead_streak() {
        let o =
            overview(&[], StreakState { current: 3, best: 3, last_day: Some(date(20)) }, date(28));
        assert_eq!((o.turns, o.words, o.average_score, o.streak), (0, 0, None, 0));
        assert_eq!(o.best_streak, 3);
        assert!(o.month.iter().all(|d| d.turns == 0 && d.average_score().is_none()));
    }
}
