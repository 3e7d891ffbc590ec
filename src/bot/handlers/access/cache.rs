//! What every update would otherwise read again: the access mode and today's spend against the
//! global cap, trusted for a few seconds per replica. Apart because it is state (one per
//! process, in `bot::Telegram`) where the rest of access is rules.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::admin::access::AccessMode;
use crate::app::App;
use crate::store::{StoreError, admin as store, quotas};

/// How long a replica trusts the access mode it read. An admin's change reaches the replica
/// where it was made at once (the cache is dropped) and the others within this.
const MODE_TTL: Duration = Duration::from_secs(3);

/// How long a replica trusts today's total spend against the cap. Summing the day's usage on
/// every turn would cost more as the day fills; this way the cap may be overshot by at most a
/// couple of seconds of spending, which turns already started could overshoot anyway.
const SPEND_TTL: Duration = Duration::from_secs(2);

/// The access mode and today's spend against the cap, as last read (one per process, in
/// `bot::Telegram`).
#[derive(Default)]
pub struct AccessCache {
    mode: Mutex<Option<(AccessMode, Instant)>>,
    spend: Mutex<Option<SpendRead>>,
}

/// The cap, the spend of the UTC day, that day, and when they were read.
type SpendRead = (Option<i64>, i64, chrono::NaiveDate, Instant);

impl AccessCache {
    pub async fn mode(&self, app: &App) -> Result<AccessMode, StoreError> {
        if let Some((mode, at)) = *self.mode.lock().expect("access cache")
            && at.elapsed() < MODE_TTL
        {
            return Ok(mode);
        }
        let mode = match store::setting(&app.read, store::ACCESS_MODE).await? {
            Some(v) => AccessMode::parse(&v)
                .ok_or_else(|| StoreError::Corrupt(format!("access mode {v:?}")))?,
            None => app.config.admin.access_mode,
        };
        *self.mode.lock().expect("access cache") = Some((mode, Instant::now()));
        Ok(mode)
    }

    /// The global cap and what was spent since UTC midnight (read at most every `SPEND_TTL`);
    /// the spend is not read at all while there is no cap.
    pub async fn spend(
        &self,
        app: &App,
        now: DateTime<Utc>,
    ) -> Result<(Option<i64>, i64), StoreError> {
        if let Some((cap, spent, day, at)) = *self.spend.lock().expect("access cache")
            && at.elapsed() < SPEND_TTL
            && day == now.date_naive()
        {
            return Ok((cap, spent));
        }
        let cap = quotas::spend_cap(&app.read, app.config.admin.spend_cap).await?;
        let spent = match cap {
            Some(_) => quotas::spent_since(&app.read, utc_day_start(now)).await?,
            None => 0,
        };
        *self.spend.lock().expect("access cache") =
            Some((cap, spent, now.date_naive(), Instant::now()));
        Ok((cap, spent))
    }

    pub fn invalidate(&self) {
        *self.mode.lock().expect("access cache") = None;
        *self.spend.lock().expect("access cache") = None;
    }
}

/// The start of today for the global cap: UTC midnight (one day for every replica and learner).
pub fn utc_day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}
