//! Audio persistence off the reply's critical path.
//!
//! The learner's voice and Honzík's answer are written to `AUDIO_DIR` by background tasks; the
//! turn does not wait for the disk. The turn records the file's path with its checkpoint (no
//! extra round trip); the file is written to a temporary name and renamed, so a path never
//! names half a file. A write that fails is logged and its path forgotten, and shutdown waits
//! for writes still running.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio_util::task::TaskTracker;

use crate::store;

#[derive(Clone)]
pub struct AudioStore {
    root: PathBuf,
    tracker: TaskTracker,
}

impl AudioStore {
    pub fn new(root: PathBuf) -> Self {
        AudioStore { root, tracker: TaskTracker::new() }
    }

    /// Where a file for this message goes: `AUDIO_DIR/YYYY/MM/DD/<chat>-<update>-<who>.ogg`.
    pub fn path_for(&self, now: DateTime<Utc>, chat_id: i64, update_id: i64, who: &str, ext: &str) -> PathBuf {
        self.root.join(now.format("%Y/%m/%d").to_string()).join(format!("{chat_id}-{update_id}-{who}.{ext}"))
    }

    /// Writes `bytes` in the background. If the write fails, message `message_id` forgets the
    /// path the turn recorded for it.
    pub fn persist(&self, db: DatabaseConnection, message_id: i64, path: PathBuf, bytes: Bytes) {
        self.tracker.spawn(async move {
            let target = path.clone();
            // One hop to the blocking pool for the whole write, not one per file operation.
            let written = tokio::task::spawn_blocking(move || write_atomically(&target, &bytes)).await.unwrap_or_else(|e| Err(std::io::Error::other(e)));
            if let Err(e) = written {
                tracing::warn!(message_id, path = %path.display(), error = %e, "could not save audio");
                if let Err(e) = store::turns::clear_audio_path(&db, message_id).await {
                    tracing::warn!(message_id, error = %e, "could not forget the path of unsaved audio");
                }
            }
        });
    }

    /// Waits for every write still in flight (called at shutdown).
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

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
