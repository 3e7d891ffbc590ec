//! Audio persistence off the reply's critical path.
//!
//! The learner's voice and Honzík's answer are written to `AUDIO_DIR` by background tasks; the
//! turn never waits for the disk. The turn records the file's path with its checkpoint (no
//! extra round trip); the file is written to a temporary name and renamed, so a path never
//! names half a file.
//!
//! Writes never fail silently and never pile up without bound:
//! - at most [`MAX_WRITING`] run at once and [`MAX_QUEUED`] wait; beyond that a write is refused
//!   at once (a slow or stuck disk must not grow the bot's memory);
//! - a failed write is tried again twice, after 200 ms and 1 s;
//! - every file that could not be saved is counted ([`AudioStore::failures`]), logged with the
//!   reason (a full disk says so), and its path forgotten, so no row names a missing file.
//!
//! Shutdown waits for the writes still running or queued.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

use crate::store;

/// Files written at once: creating files in one directory serialises on its lock anyway, and
/// more writers only spin on it (measured under load, BENCHMARKS.md).
pub const MAX_WRITING: usize = 2;
/// Files waiting for a writer; a burst beyond this is refused rather than held in memory.
pub const MAX_QUEUED: usize = 2048;
const RETRY_AFTER: [Duration; 2] = [Duration::from_millis(200), Duration::from_secs(1)];

#[derive(Clone)]
pub struct AudioStore {
    root: PathBuf,
    tracker: TaskTracker,
    writers: Arc<Semaphore>,
    queued: Arc<AtomicUsize>,
    saved: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
}

impl AudioStore {
    pub fn new(root: PathBuf) -> Self {
        AudioStore {
            root,
            tracker: TaskTracker::new(),
            writers: Arc::new(Semaphore::new(MAX_WRITING)),
            queued: Default::default(),
            saved: Default::default(),
            failed: Default::default(),
        }
    }

    /// Where a file for this message goes: `AUDIO_DIR/YYYY/MM/DD/<chat>-<update>-<who>.ogg`.
    pub fn path_for(&self, now: DateTime<Utc>, chat_id: i64, update_id: i64, who: &str, ext: &str) -> PathBuf {
        self.root.join(now.format("%Y/%m/%d").to_string()).join(format!("{chat_id}-{update_id}-{who}.{ext}"))
    }

    /// Files saved since start.
    pub fn saved(&self) -> u64 {
        self.saved.load(Ordering::Relaxed)
    }

    /// Files that could not be saved since start.
    pub fn failures(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// Writes `bytes` in the background. If it cannot be written, message `message_id` forgets
    /// the path the turn recorded for it.
    pub fn persist(&self, db: DatabaseConnection, message_id: i64, path: PathBuf, bytes: Bytes) {
        if self.queued.fetch_add(1, Ordering::Relaxed) >= MAX_QUEUED {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            let this = self.clone();
            self.tracker.spawn(async move { this.give_up(&db, message_id, &path, "too many audio files waiting for the disk").await });
            return;
        }
        let this = self.clone();
        self.tracker.spawn(async move {
            let permit = this.writers.acquire().await;
            this.queued.fetch_sub(1, Ordering::Relaxed);
            let mut result = write(path.clone(), bytes.clone()).await;
            for pause in RETRY_AFTER {
                let Err(e) = &result else { break };
                tracing::info!(message_id, error = %e, "audio not saved yet; trying again");
                tokio::time::sleep(pause).await;
                result = write(path.clone(), bytes.clone()).await;
            }
            drop(permit);
            match result {
                Ok(()) => {
                    this.saved.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => this.give_up(&db, message_id, &path, "the disk is full").await,
                Err(e) => this.give_up(&db, message_id, &path, &e.to_string()).await,
            }
        });
    }

    async fn give_up(&self, db: &DatabaseConnection, message_id: i64, path: &Path, why: &str) {
        let failures = self.failed.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::error!(message_id, path = %path.display(), failures, why, "audio could not be saved; the turn goes on without it");
        if let Err(e) = store::turns::clear_audio_path(db, message_id).await {
            tracing::warn!(message_id, error = %e, "could not forget the path of unsaved audio");
        }
    }

    /// Waits for every write still running or queued (called at shutdown).
    pub async fn flush(&self) {
        self.tracker.close();
        self.tracker.wait().await;
        self.tracker.reopen();
    }
}

/// Reads a saved file back (a resumed turn re-sends Honzík's voice without paying for it again).
pub async fn read(path: &str) -> Option<Bytes> {
    tokio::fs::read(path).await.ok().map(Bytes::from)
}

/// One hop to the blocking pool for the whole write, not one per file operation.
async fn write(path: PathBuf, bytes: Bytes) -> std::io::Result<()> {
    tokio::task::spawn_blocking(move || write_atomically(&path, &bytes)).await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
