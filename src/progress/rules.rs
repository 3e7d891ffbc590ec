//! Reward rules: streaks, stars per turn, the daily challenge.
//!
//! Kept pure (dates in, numbers out) so the storage layer only persists what
//! these functions decide, and every rule is covered by a plain unit test.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Turns a learner must complete in one local day to finish the challenge.
pub const DAILY_CHALLENGE_TURNS: u32 = 5;
/// Bonus stars for finishing the daily challenge.
pub const DAILY_CHALLENGE_STARS: u32 = 5;

/// A learner's streak of consecutive local days with at least one turn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreakState {
    pub current: u32,
    pub best: u32,
    /// The local day of the last counted turn.
    pub last_day: Option<NaiveDate>,
}

/// Records a turn made on local day `today`.
///
/// Same day → unchanged; the day after `last_day` → +1; a gap or no history
/// → restart at 1. A `today` *before* `last_day` (the learner moved west
/// across time zones) leaves the streak untouched rather than punishing them.
pub fn advance_streak(s: StreakState, today: NaiveDate) -> StreakState {
    let current = match s.last_day {
        Some(last) if last >= today => return s,
        Some(last) if last.succ_opt() == Some(today) => s.current.saturating_add(1),
        _ => 1,
    };
    StreakState { current, best: s.best.max(current), last_day: Some(today) }
}

/// The streak to *display* on `today`: still alive if the last turn was
/// today or yesterday (the learner can still extend it), otherwise 0.
pub fn current_streak(s: StreakState, today: NaiveDate) -> u32 {
    match s.last_day {
        Some(last) if last == today || last.succ_opt() == Some(today) => s.current,
        _ => 0,
    }
}

/// Stars for one turn: 1 for showing up, +1 for a score of 80 or more, and a
/// streak bonus of +2 from 7 days or +5 from 30 days. The streak bonuses
/// replace each other rather than stack, so 30+ days gives +5, not +7.
pub fn stars_for_turn(score: u8, streak_days: u32) -> u32 {
    let quality = u32::from(score >= 80);
    let streak = match streak_days {
        30.. => 5,
        7.. => 2,
        _ => 0,
    };
    1 + quality + streak
}

/// Whether this turn completes today's challenge: the challenge is done once
/// per day, on the turn that reaches [`DAILY_CHALLENGE_TURNS`].
pub fn challenge_completed(turns_today_after_this: u32, already_done: bool) -> bool {
    !already_done && turns_today_after_this >= DAILY_CHALLENGE_TURNS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::clock::{DEFAULT_TZ, local_day, parse_tz};
    use chrono::{TimeZone, Utc};

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, d).unwrap()
    }

    #[test]
    fn the_first_turn_starts_a_streak_of_one() {
        let s = advance_streak(StreakState::default(), day(1));
        assert_eq!(s, StreakState { current: 1, best: 1, last_day: Some(day(1)) });
    }

    #[test]
    fn a_second_turn_on_the_same_day_changes_nothing() {
        let s = advance_streak(StreakState::default(), day(1));
        assert_eq!(advance_streak(s, day(1)), s);
    }

    #[test]
    fn a_turn_on_the_next_day_extends_the_streak() {
        let s = StreakState { current: 4, best: 4, last_day: Some(day(4)) };
        assert_eq!(
            advance_streak(s, day(5)),
            StreakState { current: 5, best: 5, last_day: Some(day(5)) }
        );
    }

    #[test]
    fn a_gap_restarts_the_streak_but_keeps_the_best() {
        let s = StreakState { current: 9, best: 12, last_day: Some(day(4)) };
        assert_eq!(
            advance_streak(s, day(6)),
            StreakState { current: 1, best: 12, last_day: Some(day(6)) }
        );
    }

    #[test]
    fn a_day_earlier_than_the_last_one_leaves_the_streak_alone() {
        let s = StreakState { current: 3, best: 3, last_day: Some(day(10)) };
        assert_eq!(advance_streak(s, day(9)), s);
    }

    #[test]
    fn a_streak_over_a_month_boundary_continues() {
        let s = StreakState { current: 2, best: 2, last_day: NaiveDate::from_ymd_opt(2025, 2, 28) };
        assert_eq!(advance_streak(s, day(1)).current, 3);
    }

    #[test]
    fn the_displayed_streak_dies_after_a_missed_day() {
        let s = StreakState { current: 6, best: 6, last_day: Some(day(10)) };
        assert_eq!(current_streak(s, day(10)), 6);
        assert_eq!(current_streak(s, day(11)), 6);
        assert_eq!(current_streak(s, day(12)), 0);
        assert_eq!(current_streak(StreakState::default(), day(12)), 0);
    }

    #[test]
    fn practising_at_half_past_midnight_in_prague_counts_for_the_new_day() {
        let s = StreakState { current: 1, best: 1, last_day: Some(day(10)) };
        // 23:30 UTC on 10 March = 00:30 on 11 March in Prague.
        let today = local_day(Utc.with_ymd_and_hms(2025, 3, 10, 23, 30, 0).unwrap(), DEFAULT_TZ);
        assert_eq!(advance_streak(s, today).current, 2);
    }

    #[test]
    fn a_new_york_evening_turn_belongs_to_the_new_york_day() {
        let ny = parse_tz("America/New_York").unwrap();
        let s = StreakState { current: 1, best: 1, last_day: Some(day(10)) };
        // 02:00 UTC on 11 March is still 10 March (22:00 EDT) in New York.
        let today = local_day(Utc.with_ymd_and_hms(2025, 3, 11, 2, 0, 0).unwrap(), ny);
        assert_eq!(advance_streak(s, today), s);
    }

    #[test]
    fn the_spring_dst_day_still_counts_as_one_day() {
        // Turns at 00:30 on 30 March (before the switch) and 23:30 on
        // 30 March (after it) are the same local day in Prague.
        let before = local_day(Utc.with_ymd_and_hms(2025, 3, 29, 23, 30, 0).unwrap(), DEFAULT_TZ);
        let after = local_day(Utc.with_ymd_and_hms(2025, 3, 30, 21, 30, 0).unwrap(), DEFAULT_TZ);
        assert_eq!(before, after);
        let s =
            advance_streak(StreakState { current: 1, best: 1, last_day: Some(day(29)) }, before);
        assert_eq!(advance_streak(s, after).current, 2);
    }

    #[test]
    fn stars_reward_showing_up_quality_and_streak() {
        assert_eq!(stars_for_turn(0, 0), 1);
        assert_eq!(stars_for_turn(79, 6), 1);
        assert_eq!(stars_for_turn(80, 0), 2);
        assert_eq!(stars_for_turn(50, 7), 3);
        assert_eq!(stars_for_turn(100, 7), 4);
    }

    #[test]
    fn streak_bonuses_do_not_stack() {
        assert_eq!(stars_for_turn(50, 29), 3);
        assert_eq!(stars_for_turn(50, 30), 6);
        assert_eq!(stars_for_turn(95, 365), 7);
    }

    #[test]
    fn the_challenge_completes_once_on_the_fifth_turn() {
        assert!(!challenge_completed(4, false));
        assert!(challenge_completed(5, false));
        assert!(!challenge_completed(5, true));
        assert!(!challenge_completed(6, true));
        // If the count ever skipped past five, the challenge still completes.
        assert!(challenge_completed(7, false));
    }
}
