//! Time source and the learner's local calendar day.
//!
//! Streaks count *local* days: a Prague learner practising at 00:30 has
//! started a new day even though it is still yesterday in UTC. All code asks
//! a [`Clock`] for "now" so tests can freeze and move time.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// The time zone assumed until a learner sets one: most learners live in Czechia.
pub const DEFAULT_TZ: Tz = chrono_tz::Europe::Prague;

/// A source of the current instant.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to. Share it as `Arc<FixedClock>`:
/// the test keeps one handle to move time, the code under test the other.
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<DateTime<Utc>>,
}

impl FixedClock {
    pub fn new(now: DateTime<Utc>) -> FixedClock {
        FixedClock { now: Mutex::new(now) }
    }

    /// Jumps to `now`.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves time by `by` (may be negative).
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Lets an `Arc<FixedClock>` (or any shared clock) be passed where a
/// `Clock` is expected without unwrapping it.
impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

/// The calendar day it is for a learner in `tz` at instant `now`.
pub fn local_day(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// Parses an IANA zone name such as "Europe/Prague"; `None` if unknown.
pub fn parse_tz(name: &str) -> Option<Tz> {
    name.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn half_past_eleven_utc_is_already_tomorrow_in_prague() {
        // Winter: Prague is UTC+1.
        assert_eq!(local_day(utc(2025, 1, 10, 23, 30), DEFAULT_TZ), day(2025, 1, 11));
        assert_eq!(local_day(utc(2025, 1, 10, 22, 59), DEFAULT_TZ), day(2025, 1, 10));
        // Summer: Prague is UTC+2, so 22:30 UTC is already tomorrow.
        assert_eq!(local_day(utc(2025, 7, 10, 22, 30), DEFAULT_TZ), day(2025, 7, 11));
    }

    #[test]
    fn a_new_york_learner_is_still_on_the_previous_day() {
        let ny = parse_tz("America/New_York").unwrap();
        assert_eq!(local_day(utc(2025, 1, 11, 3, 0), ny), day(2025, 1, 10));
        assert_eq!(local_day(utc(2025, 1, 11, 5, 0), ny), day(2025, 1, 11));
    }

    #[test]
    fn dst_change_days_still_map_each_instant_to_one_day() {
        // 2025-03-30: Prague springs forward at 01:00 UTC (02:00 → 03:00 local).
        assert_eq!(local_day(utc(2025, 3, 29, 22, 59), DEFAULT_TZ), day(2025, 3, 29));
        assert_eq!(local_day(utc(2025, 3, 29, 23, 0), DEFAULT_TZ), day(2025, 3, 30));
        assert_eq!(local_day(utc(2025, 3, 30, 21, 59), DEFAULT_TZ), day(2025, 3, 30));
        assert_eq!(local_day(utc(2025, 3, 30, 22, 0), DEFAULT_TZ), day(2025, 3, 31));
        // 2025-10-26: falls back; the local day lasts 25 hours (22:00 UTC → 23:00 UTC).
        assert_eq!(local_day(utc(2025, 10, 25, 22, 0), DEFAULT_TZ), day(2025, 10, 26));
        assert_eq!(local_day(utc(2025, 10, 26, 22, 59), DEFAULT_TZ), day(2025, 10, 26));
        assert_eq!(local_day(utc(2025, 10, 26, 23, 0), DEFAULT_TZ), day(2025, 10, 27));
    }

    #[test]
    fn parse_tz_accepts_iana_names_and_rejects_garbage() {
        assert_eq!(parse_tz(" Europe/Prague "), Some(chrono_tz::Europe::Prague));
        assert_eq!(parse_tz("Mars/Olympus"), None);
        assert_eq!(parse_tz(""), None);
    }

    #[test]
    fn a_fixed_clock_moves_only_when_told_and_is_shared_through_arc() {
        let clock = Arc::new(FixedClock::new(utc(2025, 1, 1, 12, 0)));
        let shared: Arc<dyn Clock> = clock.clone();
        assert_eq!(shared.now(), utc(2025, 1, 1, 12, 0));
        clock.advance(Duration::hours(13));
        assert_eq!(shared.now(), utc(2025, 1, 2, 1, 0));
        clock.set(utc(2030, 5, 5, 5, 5));
        assert_eq!(clock.now(), utc(2030, 5, 5, 5, 5));
    }

    #[test]
    fn the_system_clock_is_close_to_now() {
        let diff = SystemClock.now() - Utc::now();
        assert!(diff.num_seconds().abs() < 5);
    }
}
