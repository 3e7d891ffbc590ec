//! Bytes of audio held in memory, bounded.
//!
//! Counting turns bounds memory only as far as each turn is small: 1,024 turns in flight may each
//! hold a 20 MB download, and 2,048 queued writes may each hold a voice. A [`ByteBudget`] counts
//! the bytes themselves. A turn reserves what its download may take before it starts (the size
//! Telegram declares, or the most a download may be when it says nothing), gives back what the
//! file did not use once it has arrived, and holds the rest until speech-to-text is done: a burst
//! of large files waits for memory instead of taking it. The audio store's write queue has a
//! budget of its own, which refuses rather than waits (a stuck store must not hold turns).
//!
//! Reservations are in KiB (a semaphore's permits), rounded up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

const KIB: u64 = 1024;

/// A number of bytes shared by everything that holds audio of one kind.
#[derive(Clone)]
pub struct ByteBudget {
    permits: Arc<Semaphore>,
    total_kib: usize,
    /// KiB granted (the semaphore's own count also includes what a waiting reservation has
    /// collected so far, which nobody holds yet).
    held_kib: Arc<AtomicU64>,
    peak_kib: Arc<AtomicU64>,
    waiting: Arc<AtomicUsize>,
}

/// Bytes reserved from a [`ByteBudget`]; given back when dropped.
pub struct Held {
    permit: Option<OwnedSemaphorePermit>,
    held_kib: Arc<AtomicU64>,
}

impl ByteBudget {
    pub fn new(bytes: u64) -> Self {
        let total_kib = kib(bytes).max(1);
        ByteBudget {
            permits: Arc::new(Semaphore::new(total_kib)),
            total_kib,
            held_kib: Default::default(),
            peak_kib: Default::default(),
            waiting: Default::default(),
        }
    }

    /// The whole budget in bytes.
    pub fn total(&self) -> u64 {
        self.total_kib as u64 * KIB
    }

    /// Waits until `bytes` are free and takes them. More than the whole budget takes the whole
    /// budget (the configuration keeps the budget above the largest file, so this is a guard).
    pub async fn reserve(&self, bytes: u64) -> Held {
        let want = kib(bytes).min(self.total_kib);
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let permit = self.permits.clone().acquire_many_owned(want as u32).await.ok();
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        self.granted(permit)
    }

    /// Takes `bytes` if they are free now; `None` when they are not.
    pub fn try_reserve(&self, bytes: u64) -> Option<Held> {
        let want = u32::try_from(kib(bytes)).ok()?;
        let permit = self.permits.clone().try_acquire_many_owned(want).ok()?;
        Some(self.granted(Some(permit)))
    }

    /// Bytes held now.
    pub fn in_use(&self) -> u64 {
        self.held_kib.load(Ordering::Relaxed) * KIB
    }

    /// Reservations waiting for bytes to be given back now (memory pressure, for `/metrics`).
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// The most bytes held at once since start.
    pub fn peak(&self) -> u64 {
        self.peak_kib.load(Ordering::Relaxed) * KIB
    }

    fn granted(&self, permit: Option<OwnedSemaphorePermit>) -> Held {
        let kib = permit.as_ref().map_or(0, |p| p.num_permits() as u64);
        let now = self.held_kib.fetch_add(kib, Ordering::Relaxed) + kib;
        self.peak_kib.fetch_max(now, Ordering::Relaxed);
        Held { permit, held_kib: self.held_kib.clone() }
    }
}

impl Held {
    /// Gives back everything above `bytes` (a download smaller than what was reserved for it).
    pub fn shrink_to(&mut self, bytes: u64) {
        if let Some(permit) = &mut self.permit {
            let keep = kib(bytes).max(1);
            let extra = permit.num_permits().saturating_sub(keep);
            if extra > 0 {
                drop(permit.split(extra));
                self.held_kib.fetch_sub(extra as u64, Ordering::Relaxed);
            }
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        self.permit.as_ref().map_or(0, |p| p.num_permits() as u64 * KIB)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(permit) = &self.permit {
            self.held_kib.fetch_sub(permit.num_permits() as u64, Ordering::Relaxed);
        }
    }
}

fn kib(bytes: u64) -> usize {
    usize::try_from(bytes.div_ceil(KIB)).unwrap_or(usize::MAX >> 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_reservation_waits_until_enough_bytes_are_given_back() {
        let budget = ByteBudget::new(100 * KIB);
        let first = budget.reserve(60 * KIB).await;
        assert!(budget.try_reserve(50 * KIB).is_none(), "60 + 50 KiB is over 100");
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.reserve(50 * KIB).await.bytes() }
        });
        while budget.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(!waiting.is_finished());
        drop(first);
        assert_eq!(waiting.await.unwrap(), 50 * KIB);
        assert_eq!(budget.in_use(), 0);
        assert_eq!(budget.peak(), 60 * KIB, "never more than one held at once");
    }

    #[tokio::test]
    async fn a_download_smaller_than_its_reservation_gives_the_rest_back() {
        let budget = ByteBudget::new(20 * 1024 * KIB);
        let mut held = budget.reserve(20 * 1024 * KIB).await;
        assert_eq!(budget.in_use(), 20 * 1024 * KIB);
        held.shrink_to(30_000);
        assert_eq!(held.bytes(), 30 * KIB, "rounded up to whole KiB");
        assert_eq!(budget.in_use(), 30 * KIB);
        drop(held);
        assert_eq!(budget.in_use(), 0);
    }

    #[tokio::test]
    async fn more_than_the_whole_budget_takes_the_whole_budget_instead_of_waiting_forever() {
        let budget = ByteBudget::new(10 * KIB);
        let held = budget.reserve(1_000 * KIB).await;
        assert_eq!(held.bytes(), 10 * KIB);
        assert!(budget.try_reserve(1).is_none());
        assert!(budget.try_reserve(u64::MAX).is_none(), "an absurd size is refused, not wrapped");
    }
}
