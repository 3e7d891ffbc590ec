//! What keeps a turn from acting on an update that is no longer its own.
//!
//! Whoever runs the updates (the intake) knows whether this run still holds its update: in lease
//! mode, whether the chat's lease is still the one the run started under; always, whether the
//! update is still pending. The turn asks before each paid or visible step — speech-to-text,
//! Honzík's answer, storing it, his voice, each message sent — through this trait, so it needs
//! no knowledge of leases or replicas. A run that no longer holds its update stops quietly:
//! nothing more is paid for or shown, and the update is left to whoever holds it now.

use futures::future::BoxFuture;

use super::Stop;
use crate::store::StoreError;

pub trait Fence: Send + Sync {
    /// Whether this run may still act on its update.
    fn holds(&self) -> BoxFuture<'_, Result<bool, StoreError>>;

    /// Whether a turn after which nothing else runs for its update may mark the update done with
    /// its own last write (one round trip for both), instead of whoever runs the updates marking
    /// it after. False by default (under a lease, the mark checks the lease).
    fn closes_with_turn(&self) -> bool {
        false
    }

    /// The turn's last write marked the update done (`true`), or found it no longer pending.
    fn closed_by_turn(&self, _marked: bool) {}
}

/// The check before a step: `Stop::Fenced` once the update is not this run's any more.
pub(crate) async fn check(fence: &dyn Fence) -> Result<(), Stop> {
    if fence.holds().await? {
        Ok(())
    } else {
        tracing::warn!("this replica no longer holds the update; stopping the turn here");
        Err(Stop::Fenced)
    }
}
