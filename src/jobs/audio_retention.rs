//! Audio retention (`AUDIO_RETENTION_DAYS`): a pass of `audio_store::retention::purge` now and
//! then every hour, on every replica (a pass only deletes, and deleting twice is harmless).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::audio_store::retention::purge;

/// How often retention runs.
pub const EVERY: Duration = Duration::from_secs(3600);

/// Runs retention now and then every hour until `shutdown` (nothing when audio is kept forever).
/// Started at start-up beside the intake.
pub async fn run(app: Arc<App>, shutdown: CancellationToken) {
    let Some(keep) = app.config.audio_retention else { return };
    loop {
        let cutoff = app.clock.now() - keep;
        match purge(&app.audio, &app.db, cutoff).await {
            Ok(p) if p.days == 0 => {}
            Ok(p) => tracing::info!(
                days = p.days,
                objects = p.objects,
                messages = p.rows,
                "deleted audio past its retention"
            ),
            Err(e) => tracing::warn!(error = %e, "could not delete old audio; will try again"),
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}
