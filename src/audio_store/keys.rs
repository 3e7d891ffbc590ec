//! Where a message's audio lives: its key, and the key of a value stored before audio had keys.
//!
//! Keys start with the UTC day the audio was stored (`YYYY/MM/DD/<chat>/<update>-<who>.ogg`), so
//! retention finds a whole day by listing one prefix, and a day is deleted without reading a
//! single row. Rows written before keys hold a file path (`<AUDIO_DIR>/YYYY/MM/DD/<file>`,
//! `AUDIO_DIR` as it was then, often relative); its date-shaped tail is the same file's key in
//! the local directory, so an existing installation's audio resolves after the upgrade without
//! a data migration, even if `AUDIO_DIR` was written differently since.

use chrono::{DateTime, NaiveDate, Utc};
use object_store::path::Path;

/// The key of a message's audio stored `now`.
pub fn key_for(now: DateTime<Utc>, chat_id: i64, update_id: i64, who: &str) -> String {
    format!("{}/{chat_id}/{update_id}-{who}.ogg", now.format("%Y/%m/%d"))
}

/// The chat a key made by [`key_for`] belongs to.
pub fn chat_of(key: &str) -> Option<i64> {
    key.split('/').nth(3)?.parse().ok()
}

/// The object a stored `audio_path` names: a key as is, or the date-shaped tail of an old file
/// path. None when it is neither (nothing outside the store is ever read or deleted).
pub fn location(stored: &str) -> Option<Path> {
    let key = if dated(stored) {
        stored
    } else {
        let at = (0..stored.len())
            .rev()
            .find(|&i| stored.as_bytes()[i] == b'/' && dated(&stored[i + 1..]))?;
        &stored[at + 1..]
    };
    Path::parse(key).ok().filter(|p| p.parts().count() >= 4)
}

/// The day of a `YYYY/MM/DD` prefix.
pub fn day_of(prefix: &str) -> Option<NaiveDate> {
    let prefix = prefix.trim_end_matches('/');
    if prefix.len() != 10 || !day_shaped(&format!("{prefix}/")) {
        return None;
    }
    NaiveDate::parse_from_str(prefix, "%Y/%m/%d").ok()
}

/// Starts with `dddd/dd/dd/` and goes on.
fn dated(s: &str) -> bool {
    s.len() > 11 && day_shaped(s)
}

/// Starts with `dddd/dd/dd/`.
fn day_shaped(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 11
        && [0, 1, 2, 3, 5, 6, 8, 9].iter().all(|&i| b[i].is_ascii_digit())
        && [4, 7, 10].iter().all(|&i| b[i] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_key_starts_with_the_day_and_names_the_chat_update_and_speaker() {
        let now = Utc.with_ymd_and_hms(2026, 3, 7, 23, 59, 0).unwrap();
        assert_eq!(key_for(now, 42, 9001, "honzik"), "2026/03/07/42/9001-honzik.ogg");
        assert_eq!(chat_of(&key_for(now, -100123, 9001, "learner")), Some(-100123));
        assert_eq!(chat_of("data/audio/old-file.ogg"), None);
    }

    #[test]
    fn keys_resolve_to_themselves() {
        assert_eq!(
            location("2026/03/07/42/9001-honzik.ogg").unwrap().as_ref(),
            "2026/03/07/42/9001-honzik.ogg"
        );
    }

    #[test]
    fn paths_from_before_keys_resolve_inside_the_audio_directory_whatever_it_was_called() {
        for old in [
            "./data/audio/2025/12/31/42-9001-learner.ogg",
            "/data/audio/2025/12/31/42-9001-learner.ogg",
            "data/audio/2025/12/31/42-9001-learner.ogg",
        ] {
            assert_eq!(location(old).unwrap().as_ref(), "2025/12/31/42-9001-learner.ogg", "{old}");
        }
    }

    #[test]
    fn nothing_outside_the_store_is_named() {
        for bad in ["/etc/passwd", "2025/12/31/../../x.ogg", "../2025/12/31", "", "2025/12/31/"] {
            assert!(location(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn only_date_shaped_prefixes_are_days() {
        assert_eq!(day_of("2026/02/28/"), NaiveDate::from_ymd_opt(2026, 2, 28));
        assert_eq!(day_of("2026/02/30"), None);
        assert_eq!(day_of("tts-cache/"), None);
    }
}
