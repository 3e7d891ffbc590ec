//! Audio retention (`AUDIO_RETENTION_DAYS`): on each pass (hourly, `jobs::audio_retention`),
//! every day of audio that ended before the cutoff is deleted whole, found by listing the date
//! prefixes of the keys (years, then months, then days), never by reading rows.
//!
//! A day's keys are forgotten in `messages` *before* its objects are deleted: a failure in
//! between leaves objects no row names (deleted on the next pass, which lists them again),
//! never a row naming deleted audio. Objects whose keys are not date-shaped are left alone.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use object_store::path::Path;
use sea_orm::DatabaseConnection;

use super::{AudioError, AudioStore, keys};
use crate::store;

/// What one pass removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub days: usize,
    pub objects: u64,
    /// Messages whose audio key was forgotten.
    pub rows: u64,
}

/// Deletes every day of audio that ended before `cutoff` (a day goes once all of it is older).
pub async fn purge(
    audio: &AudioStore,
    db: &DatabaseConnection,
    cutoff: DateTime<Utc>,
) -> Result<Purged, AudioError> {
    let mut purged = Purged::default();
    for (day, prefix) in expired_days(audio, cutoff.date_naive()).await? {
        purged.rows += store::audio::forget_day(db, day).await?;
        let keys = audio.list(&prefix).await?;
        purged.objects += audio.delete_all(keys.into_iter().map(Ok).collect()).await;
        purged.days += 1;
    }
    Ok(purged)
}

/// The day prefixes (`YYYY/MM/DD`) holding audio from before `today`, oldest first.
async fn expired_days(
    audio: &AudioStore,
    today: NaiveDate,
) -> Result<Vec<(NaiveDate, Path)>, AudioError> {
    let mut days = Vec::new();
    for year in children(audio, None).await? {
        if year_of(&year).is_none_or(|y| y > today.year()) {
            continue;
        }
        for month in children(audio, Some(&year)).await? {
            // The first of the month stands for the month: is any of it before today?
            let first = NaiveDate::parse_from_str(&format!("{}/01", month.as_ref()), "%Y/%m/%d");
            if !matches!(first, Ok(d) if d < today) {
                continue;
            }
            for day in children(audio, Some(&month)).await? {
                match keys::day_of(day.as_ref()) {
                    Some(d) if d < today => days.push((d, day)),
                    _ => {}
                }
            }
        }
    }
    days.sort();
    Ok(days)
}

/// The prefixes one level below `prefix`.
async fn children(audio: &AudioStore, prefix: Option<&Path>) -> Result<Vec<Path>, AudioError> {
    Ok(audio.objects.list_with_delimiter(prefix).await?.common_prefixes)
}

fn year_of(prefix: &Path) -> Option<i32> {
    let y = prefix.as_ref();
    (y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit())).then(|| y.parse().ok()).flatten()
}
