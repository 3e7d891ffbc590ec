//! Daily allowances in money terms: parsing what an admin types, showing amounts (to admins), the
//! verdict for a learner's next turn, and what is left in the learner's terms ([`Left`]).
//!
//! Amounts are micro-dollars (the unit of `usage.cost_micros`), so a quota compares with spend
//! without rounding. "Nothing allowed" (`Daily(0)`) and "no limit" (`Unlimited`) are two distinct
//! values of one enum; no NULL or zero ever stands for "unlimited".

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

/// One US dollar in the ledger's unit.
pub const MICROS_PER_DOLLAR: i64 = 1_000_000;

/// Below this share of the allowance left, the learner is told how much remains (once a day).
pub const NEAR_LIMIT_PERCENT: i64 = 20;

/// What a learner may spend in one of their days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allowance {
    /// At most this many micro-dollars; 0 = no turns at all.
    Daily(i64),
    Unlimited,
}

impl Allowance {
    /// The stored form (`bot_settings` value, `quotas.kind` + `micros`).
    pub fn to_db(self) -> (&'static str, i64) {
        match self {
            Self::Daily(m) => ("daily", m),
            Self::Unlimited => ("unlimited", 0),
        }
    }

    pub fn from_db(kind: &str, micros: i64) -> Option<Self> {
        match kind {
            "daily" if micros >= 0 => Some(Self::Daily(micros)),
            "unlimited" => Some(Self::Unlimited),
            _ => None,
        }
    }

    /// What an admin reads: "$0.50" or "unlimited".
    pub fn show(self) -> String {
        match self {
            Self::Daily(m) => dollars(m),
            Self::Unlimited => "unlimited".to_owned(),
        }
    }
}

/// Why an amount typed by an admin was refused (each maps to the usage line).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("not a number")]
    NotANumber,
    #[error("negative")]
    Negative,
    #[error("too large")]
    TooLarge,
}

/// Parses "0.5", "$0.50", "2", "unlimited" (also "none"/"off"/"∞" are *not* accepted: one word
/// for one meaning). At most six decimals (a micro-dollar); at most $1,000,000.
pub fn parse_allowance(s: &str) -> Result<Allowance, AmountError> {
    if s.trim().eq_ignore_ascii_case("unlimited") {
        return Ok(Allowance::Unlimited);
    }
    parse_dollars(s).map(Allowance::Daily)
}

/// Parses a non-negative dollar amount into micro-dollars.
pub fn parse_dollars(s: &str) -> Result<i64, AmountError> {
    let s = s.trim();
    let s = s.strip_prefix('$').unwrap_or(s).replace(',', ".");
    if let Some(magnitude) = s.strip_prefix('-') {
        return match magnitude.parse::<f64>() {
            Ok(v) if v.is_finite() && v != 0.0 => Err(AmountError::Negative),
            _ => Err(AmountError::NotANumber),
        };
    }
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) || frac.len() > 6 {
        return Err(AmountError::NotANumber);
    }
    let whole: i64 =
        if whole.is_empty() { 0 } else { whole.parse().map_err(|_| AmountError::TooLarge)? };
    if whole > 1_000_000 {
        return Err(AmountError::TooLarge);
    }
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<6}").parse().map_err(|_| AmountError::NotANumber)?
    };
    Ok(whole * MICROS_PER_DOLLAR + frac)
}

/// "$0.50", "$12.34", and for amounts under a cent "$0.0042" (so a small spend never shows as
/// $0.00).
pub fn dollars(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    let (whole, frac) = (m / 1_000_000, m % 1_000_000);
    if frac % 10_000 == 0 || whole > 0 {
        format!("{sign}${whole}.{:02}", frac / 10_000)
    } else {
        format!("{sign}${whole}.{:06}", frac).trim_end_matches('0').to_owned()
    }
}

/// The verdict on a learner's next turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Go,
    /// Allowed, and little is left: tell them how much (once a day).
    GoNearLimit {
        left: i64,
    },
    /// Nothing left today.
    Exhausted,
}

pub fn verdict(allowance: Allowance, spent_today: i64) -> Verdict {
    let Allowance::Daily(limit) = allowance else { return Verdict::Go };
    let left = limit - spent_today.max(0);
    if left <= 0 {
        Verdict::Exhausted
    } else if left * 100 < limit * NEAR_LIMIT_PERCENT {
        Verdict::GoNearLimit { left }
    } else {
        Verdict::Go
    }
}

/// What a learner near their allowance is told is left. Never money: a sum in dollars says nothing
/// about how much Czech is left, and what a turn costs is the operator's business. Turns, at the
/// learner's own average cost, say it in the learner's terms; before they have an average, a
/// share of the day does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Left {
    /// Turns that can still start today, the one about to run included (a turn starts while
    /// anything is left, so a part of a turn's cost left is one more turn).
    Turns(u32),
    /// Percent of the day's allowance, rounded up (so what is left never reads as 0%).
    Percent(u32),
}

/// `left` of a daily `limit` (micro-dollars), with the learner's average turn cost if known.
pub fn left_for_learner(left: i64, limit: i64, average_turn: Option<i64>) -> Left {
    // Both positive here: unsigned arithmetic rounds up without a sign to mind.
    let left = left.max(1).unsigned_abs();
    match average_turn.filter(|a| *a > 0) {
        Some(avg) => {
            Left::Turns(u32::try_from(left.div_ceil(avg.unsigned_abs())).unwrap_or(u32::MAX))
        }
        None => {
            let limit = limit.max(1).unsigned_abs();
            Left::Percent(left.saturating_mul(100).div_ceil(limit).clamp(1, 100) as u32)
        }
    }
}

/// When the learner's day ends (their next local midnight) and how long until then.
pub fn resets(now: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, Duration) {
    let tomorrow = now.with_timezone(&tz).date_naive() + Duration::days(1);
    // A zone whose midnight does not exist that day (a DST jump at 00:00) starts the day at the
    // earliest instant after it.
    let start = (0..3)
        .find_map(|h| {
            tomorrow.and_hms_opt(h, 0, 0).and_then(|t| t.and_local_timezone(tz).earliest())
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now + Duration::days(1));
    (start, start - now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn amounts_parse_to_micro_dollars_and_bad_ones_are_told_apart() {
        assert_eq!(parse_dollars("0.5"), Ok(500_000));
        assert_eq!(parse_dollars("$0.50"), Ok(500_000));
        assert_eq!(parse_dollars("2"), Ok(2_000_000));
        assert_eq!(parse_dollars(".25"), Ok(250_000));
        assert_eq!(parse_dollars("0,1"), Ok(100_000));
        assert_eq!(parse_dollars("0"), Ok(0));
        assert_eq!(parse_dollars("0.000001"), Ok(1));
        assert_eq!(parse_dollars("-1"), Err(AmountError::Negative));
        assert_eq!(parse_dollars("-0.5"), Err(AmountError::Negative));
        for bad in ["", "abc", "1.2.3", "1e3", "0.0000001", "NaN", "inf", "-", "$", "1 000", "+1"] {
            assert_eq!(parse_dollars(bad), Err(AmountError::NotANumber), "{bad:?}");
        }
        assert_eq!(parse_dollars("1000001"), Err(AmountError::TooLarge));
        assert_eq!(parse_dollars("99999999999999999999"), Err(AmountError::TooLarge));
    }

    #[test]
    fn zero_means_nothing_allowed_and_unlimited_is_its_own_word() {
        assert_eq!(parse_allowance("0"), Ok(Allowance::Daily(0)));
        assert_eq!(parse_allowance("Unlimited"), Ok(Allowance::Unlimited));
        assert_eq!(verdict(Allowance::Daily(0), 0), Verdict::Exhausted);
        assert_eq!(verdict(Allowance::Unlimited, i64::MAX), Verdict::Go);
        for a in [Allowance::Daily(0), Allowance::Daily(7), Allowance::Unlimited] {
            let (kind, micros) = a.to_db();
            assert_eq!(Allowance::from_db(kind, micros), Some(a));
        }
        assert_eq!(Allowance::from_db("daily", -1), None);
        assert_eq!(Allowance::from_db("", 0), None);
    }

    #[test]
    fn the_learner_hears_how_much_is_left_only_near_the_limit() {
        let a = Allowance::Daily(500_000);
        assert_eq!(verdict(a, 0), Verdict::Go);
        assert_eq!(verdict(a, 400_000), Verdict::Go, "exactly 20% left is not yet near");
        assert_eq!(verdict(a, 450_000), Verdict::GoNearLimit { left: 50_000 });
        assert_eq!(verdict(a, 500_000), Verdict::Exhausted);
        assert_eq!(verdict(a, 900_000), Verdict::Exhausted);
    }

    #[test]
    fn amounts_show_as_dollars_and_cents_and_tiny_ones_stay_visible() {
        assert_eq!(dollars(500_000), "$0.50");
        assert_eq!(dollars(12_345_678), "$12.34");
        assert_eq!(dollars(0), "$0.00");
        assert_eq!(dollars(4_200), "$0.0042");
        assert_eq!(dollars(-500_000), "-$0.50");
        assert_eq!(Allowance::Unlimited.show(), "unlimited");
    }

    #[test]
    fn a_learner_is_told_the_turns_left_at_their_own_average_cost_never_money() {
        // 0.05 left at 0.02 a turn: two whole turns and a part of a third, which still starts.
        assert_eq!(left_for_learner(50_000, 500_000, Some(20_000)), Left::Turns(3));
        assert_eq!(left_for_learner(40_000, 500_000, Some(20_000)), Left::Turns(2));
        assert_eq!(left_for_learner(1, 500_000, Some(20_000)), Left::Turns(1), "the last one");
        assert_eq!(left_for_learner(50_000, 500_000, Some(i64::MAX)), Left::Turns(1));
    }

    #[test]
    fn without_an_average_the_learner_is_told_a_share_of_the_day() {
        assert_eq!(left_for_learner(50_000, 500_000, None), Left::Percent(10));
        assert_eq!(left_for_learner(50_000, 500_000, Some(0)), Left::Percent(10), "no cost yet");
        assert_eq!(left_for_learner(1, 500_000, None), Left::Percent(1), "never 0%");
        assert_eq!(left_for_learner(99_999, 500_000, None), Left::Percent(20), "rounded up");
        assert_eq!(left_for_learner(50_000, 0, None), Left::Percent(100));
    }

    #[test]
    fn the_day_resets_at_the_learners_local_midnight() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 22, 30, 0).unwrap();
        let (at, wait) = resets(now, chrono_tz::Europe::Prague);
        assert_eq!(at, Utc.with_ymd_and_hms(2026, 11, 28, 23, 0, 0).unwrap());
        assert_eq!(wait, Duration::minutes(30));
        let (at, _) = resets(now, chrono_tz::Asia::Tokyo);
        assert_eq!(at, Utc.with_ymd_and_hms(2026, 11, 29, 15, 0, 0).unwrap());
    }
}
