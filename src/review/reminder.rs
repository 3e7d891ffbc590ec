//! Daily reminders (pure): the time a learner types, and whether a reminder is due now.

use chrono::{DateTime, NaiveDate, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;

/// How long after the chosen time a reminder may still go out: a bot down over the moment
/// sends it when back, but one down all day does not remind anyone at midnight.
pub const WINDOW: chrono::Duration = chrono::Duration::hours(3);

/// What the learner typed after `/remind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemindArg {
    /// No argument: show the current choice.
    Show,
    Off,
    At(NaiveTime),
    Invalid,
}

/// "19:30", "7:05", "19.30", "19" (on the hour), "off"/"vypnout"/"выкл"/"вимк" — or nothing.
pub fn parse(arg: &str) -> RemindArg {
    let a = arg.trim().to_lowercase();
    if a.is_empty() {
        return RemindArg::Show;
    }
    if ["off", "stop", "no", "vypnout", "выкл", "выключить", "вимк", "вимкнути", "0"]
        .contains(&a.as_str())
    {
        return RemindArg::Off;
    }
    let (h, m) = match a.split_once([':', '.']) {
        Some((h, m)) => (h, m),
        None => (a.as_str(), "0"),
    };
    let valid = |s: &str, max_len| {
        !s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !valid(h, 2) || !valid(m, 2) || (a.contains([':', '.']) && m.len() != 2) {
        return RemindArg::Invalid;
    }
    match NaiveTime::from_hms_opt(h.parse().unwrap_or(99), m.parse().unwrap_or(99), 0) {
        Some(t) => RemindArg::At(t),
        None => RemindArg::Invalid,
    }
}

/// A learner who has not practised for this long has gone quiet: reminding them every day
/// would be spam, so the reminders stop until they come back.
pub const INACTIVE_AFTER_DAYS: i64 = 14;

/// The learner's local day if their reminder is due at `now`: it is `at` or up to [`WINDOW`]
/// later, on the same local day, they have not practised that day, and they practised within
/// [`INACTIVE_AFTER_DAYS`] (or have not started yet).
pub fn due(
    now: DateTime<Utc>,
    tz: Tz,
    at: NaiveTime,
    last_practice: Option<NaiveDate>,
) -> Option<NaiveDate> {
    let local = now.with_timezone(&tz).naive_local();
    let (day, time) = (local.date(), local.time());
    let in_window = time >= at && day.and_time(time) - day.and_time(at) < WINDOW;
    let active = last_practice.is_none_or(|last| (day - last).num_days() <= INACTIVE_AFTER_DAYS);
    (in_window && active && last_practice != Some(day)).then_some(day)
}

/// Whether the streak ends tonight unless the learner practises: they practised yesterday.
pub fn streak_at_risk(streak: u32, last_practice: Option<NaiveDate>, today: NaiveDate) -> bool {
    streak > 0 && last_practice == today.pred_opt()
}

/// The earliest and latest hours a reminder is offered at: nobody wants Honzík at 3 a.m.
const OFFER_HOURS: std::ops::RangeInclusive<u32> = 8..=21;

/// The time a daily reminder is offered at (one tap, at the end of onboarding): the next full
/// hour after the learner's local time now — they had time for Czech at this hour today, so
/// likely tomorrow too — or 19:00 when that hour is at night.
pub fn offer_time(local_now: NaiveTime) -> NaiveTime {
    let hour = local_now.hour() + 1;
    let hour = if OFFER_HOURS.contains(&hour) { hour } else { 19 };
    NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or(NaiveTime::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn times_are_read_the_ways_people_type_them() {
        assert_eq!(parse("19:30"), RemindArg::At(t(19, 30)));
        assert_eq!(parse(" 7:05 "), RemindArg::At(t(7, 5)));
        assert_eq!(parse("19.30"), RemindArg::At(t(19, 30)));
        assert_eq!(parse("9"), RemindArg::At(t(9, 0)));
        assert_eq!(parse("OFF"), RemindArg::Off);
        assert_eq!(parse("выкл"), RemindArg::Off);
        assert_eq!(parse(""), RemindArg::Show);
        for bad in
            ["24:00", "19:60", "7:5", "19:300", "-1", "tomorrow", "1930", "19:", ":30", "١٩:٣٠"]
        {
            assert_eq!(parse(bad), RemindArg::Invalid, "{bad}");
        }
    }

    #[test]
    fn a_reminder_is_due_from_its_local_time_on_a_day_without_practice() {
        let prague = chrono_tz::Europe::Prague; // UTC+1 in November
        let at = t(19, 0);
        let utc = |h, m| Utc.with_ymd_and_hms(2026, 11, 28, h, m, 0).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(due(utc(17, 59), prague, at, None), None, "18:59 in Prague");
        assert_eq!(due(utc(18, 0), prague, at, None), Some(today), "19:00 in Prague");
        assert_eq!(due(utc(20, 30), prague, at, today.pred_opt()), Some(today));
        assert_eq!(due(utc(18, 30), prague, at, Some(today)), None, "practised today");
        assert_eq!(due(utc(21, 0), prague, at, None), None, "22:00: past the window");
        assert_eq!(due(utc(18, 0), chrono_tz::Asia::Tokyo, at, None), None, "03:00 in Tokyo");
        let days_ago = |n| today.checked_sub_days(chrono::Days::new(n));
        assert_eq!(
            due(utc(18, 0), prague, at, days_ago(14)),
            Some(today),
            "two weeks quiet: still reminded"
        );
        assert_eq!(
            due(utc(18, 0), prague, at, days_ago(15)),
            None,
            "gone quiet for longer: no more reminders"
        );
    }

    #[test]
    fn the_streak_is_at_risk_only_when_practised_yesterday() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert!(streak_at_risk(3, today.pred_opt(), today));
        assert!(!streak_at_risk(0, today.pred_opt(), today));
        assert!(!streak_at_risk(3, today.checked_sub_days(chrono::Days::new(2)), today));
    }

    #[test]
    fn the_offered_time_is_the_next_full_hour_unless_that_is_at_night() {
        assert_eq!(offer_time(t(14, 37)), t(15, 0));
        assert_eq!(offer_time(t(7, 10)), t(8, 0), "08:00 is the earliest");
        assert_eq!(offer_time(t(20, 59)), t(21, 0), "21:00 is the latest");
        assert_eq!(offer_time(t(21, 30)), t(19, 0), "22:00 is too late: the evening instead");
        assert_eq!(offer_time(t(23, 50)), t(19, 0));
        assert_eq!(offer_time(t(2, 0)), t(19, 0), "03:00 is too early");
    }
}
