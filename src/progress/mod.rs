//! Stars, streaks and the daily challenge: pure rules plus a clock
//! abstraction so every date-dependent rule is testable; what `/stats` shows
//! ([`history`]) and the time zones a learner can pick or type ([`zones`]).

pub mod clock;
pub mod history;
pub mod rules;
pub mod zones;

pub use clock::{Clock, DEFAULT_TZ, FixedClock, SystemClock, local_day, parse_tz};
pub use rules::{
    DAILY_CHALLENGE_STARS, DAILY_CHALLENGE_TURNS, StreakState, advance_streak, challenge_completed,
    current_streak, stars_for_turn,
};
