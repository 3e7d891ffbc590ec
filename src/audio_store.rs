//! Audio persistence off the reply's critical path.
//!
//! The learner's voice and Honzík's answer are written to `AUDIO_DIR` by background tasks; the
//! turn does not wait for the disk. The path lands on the message row once the file is complete
//! (written to a temporary name, then renamed), and shutdown waits for writes still running.

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

    /// Writes `bytes` in the background and then records the path on message `message_id`.
    pub fn persist(&self, db: DatabaseConnection, message_id: i64, path: PathBuf, bytes: Bytes) {
        self.tracker.spawn(async move {
            match write_atomically(&path, &bytes).await {
                Ok(()) => {
                    if let Err(e) = store::turns::set_audio_path(&db, message_id, &path.to_string_lossy()).await {
                        tracing::warn!(message_id, error = %e, "audio saved but its path was not recorded");
                    }
                }
                Err(e) => tracing::warn!(message_id, error = %e, "could not save audio"),
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

async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let tmp = path.with_extension("part");
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, path).await
}
