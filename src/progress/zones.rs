//! Time zones the learner can pick or type (pure): the usual ones per interface language, and
//! what a typed answer means.

use chrono_tz::Tz;

use crate::i18n::Lang;

/// The zones offered as buttons: where speakers of each interface language who learn Czech
/// usually live, Czechia first.
pub fn common(lang: Lang) -> &'static [Tz] {
    use chrono_tz::{America, Asia, Australia, Europe};
    match lang {
        Lang::Ru => &[
            Europe::Prague,
            Europe::Moscow,
            Europe::Minsk,
            Europe::Kyiv,
            Asia::Almaty,
            Asia::Tbilisi,
            Asia::Yekaterinburg,
            Europe::Berlin,
        ],
        Lang::Uk => &[
            Europe::Prague,
            Europe::Kyiv,
            Europe::Warsaw,
            Europe::Berlin,
            Europe::Vienna,
            Europe::London,
            America::Toronto,
            America::New_York,
        ],
        Lang::En => &[
            Europe::Prague,
            Europe::London,
            Europe::Berlin,
            Europe::Dublin,
            America::New_York,
            America::Chicago,
            America::Los_Angeles,
            Australia::Sydney,
        ],
    }
}

/// Longest answer worth looking at; zone names are far shorter.
const MAX_INPUT: usize = 64;

/// What a learner typed as their time zone: an IANA name in any letter case
/// ("europe/vienna"), a city ("Vienna", "new york"), or an offset ("UTC+3", "-5").
pub fn resolve(input: &str) -> Option<Tz> {
    let input = input.trim();
    if input.is_empty() || input.len() > MAX_INPUT {
        return None;
    }
    let name = input.replace(' ', "_");
    let all = chrono_tz::TZ_VARIANTS.iter();
    if let Some(tz) = all.clone().find(|tz| tz.name().eq_ignore_ascii_case(&name)) {
        return Some(*tz);
    }
    if let Some(tz) = offset(input) {
        return Some(tz);
    }
    all.clone()
        .find(|tz| {
            tz.name().contains('/')
                && tz.name().rsplit('/').next().is_some_and(|city| city.eq_ignore_ascii_case(&name))
        })
        .copied()
}

/// "UTC+3", "GMT-5", "+2" → the fixed-offset zone. POSIX names these with the sign flipped:
/// UTC+3 is "Etc/GMT-3".
fn offset(input: &str) -> Option<Tz> {
    let upper = input.to_ascii_uppercase();
    let rest =
        upper.strip_prefix("UTC").or_else(|| upper.strip_prefix("GMT")).unwrap_or(&upper).trim();
    let (sign, hours) = match rest.split_at_checked(1)? {
        ("+", h) => ('-', h),
        ("-", h) => ('+', h),
        _ => return None,
    };
    let hours: u8 = hours.trim().parse().ok()?;
    if hours == 0 {
        return Some(chrono_tz::Etc::UTC);
    }
    format!("Etc/GMT{sign}{hours}").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iana_names_are_accepted_in_any_case() {
        assert_eq!(resolve("Europe/Vienna"), Some(chrono_tz::Europe::Vienna));
        assert_eq!(resolve("  europe/VIENNA "), Some(chrono_tz::Europe::Vienna));
        assert_eq!(resolve("America/New York"), Some(chrono_tz::America::New_York));
    }

    #[test]
    fn a_city_alone_finds_its_zone() {
        assert_eq!(resolve("Prague"), Some(chrono_tz::Europe::Prague));
        assert_eq!(resolve("new york"), Some(chrono_tz::America::New_York));
        assert_eq!(resolve("Kyiv"), Some(chrono_tz::Europe::Kyiv));
    }

    #[test]
    fn offsets_map_to_posix_zones_with_the_flipped_sign() {
        assert_eq!(resolve("UTC+3"), Some(chrono_tz::Etc::GMTMinus3));
        assert_eq!(resolve("gmt-5"), Some(chrono_tz::Etc::GMTPlus5));
        assert_eq!(resolve("+0"), Some(chrono_tz::Etc::UTC));
        assert_eq!(resolve("UTC+99"), None);
    }

    #[test]
    fn zones_that_do_not_exist_are_refused() {
        for junk in
            ["Mars/Olympus", "", "Ahoj, jak se máš?", "Europe/", &"x".repeat(100), "UTC+", "+abc"]
        {
            assert_eq!(resolve(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn every_language_offers_prague_first_and_no_zone_twice() {
        for lang in Lang::ALL {
            let zones = common(lang);
            assert_eq!(zones[0], chrono_tz::Europe::Prague);
            let mut names: Vec<&str> = zones.iter().map(|z| z.name()).collect();
            names.dedup();
            assert_eq!(names.len(), zones.len());
        }
    }
}
