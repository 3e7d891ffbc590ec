//! Audio persistence off the reply's critical path, behind one interface (`object_store`): the
//! local `AUDIO_DIR` by default, an S3-compatible bucket when `AUDIO_S3_BUCKET` is set (several
//! replicas must share the audio; a machine's disk is not shared).
//!
//! The learner's voice and Honzík's answer are written by background tasks; the turn never
//! waits for the store. The turn records the audio's key ([`keys`]) with its checkpoint (no
//! extra round trip) in `messages.audio_path`; a key never names half an object (S3 PUTs are
//! atomic, the local store writes a temporary file and renames it).
//!
//! Writes never fail silently and never pile up without bound:
//! - at most [`MAX_WRITING`] (local) or [`MAX_WRITING_S3`] run at once and [`MAX_QUEUED`] wait;
//!   beyond that a write is refused at once (a slow or stuck store must not grow the bot's
//!   memory);
//! - a failed write is tried again twice, after 200 ms and 1 s;
//! - every object that could not be saved is counted ([`AudioStore::failures`]), logged with the
//!   reason (a full disk says so), and its key forgotten, so no row names missing audio.
//!
//! Shutdown waits for the writes still running or queued. Audio older than
//! `AUDIO_RETENTION_DAYS` is deleted by [`retention`].

mod backend;
pub mod keys;
pub mod retention;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sea_orm::DatabaseConnection;
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

pub use backend::Backend;

use crate::config::Config;
use crate::store;

/// Local files written at once: creating files in one directory serialises on its lock anyway,
/// and more writers only spin on it (measured under load, BENCHMARKS.md).
pub const MAX_WRITING: usize = 2;
/// Uploads at once to S3: each is mostly waiting on the network, and S3 takes thousands a second.
pub const MAX_WRITING_S3: usize = 16;
/// Objects waiting for a writer; a burst beyond this is refused rather than held in memory.
pub const MAX_QUEUED: usize = 2048;
const RETRY_AFTER: [Duration; 2] = [Duration::from_millis(200), Duration::from_secs(1)];

/// What the audio store could not do.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("cannot open the audio store: {0}")]
    Open(String),
    #[error("audio store: {0}")]
    Store(#[from] object_store::Error),
    #[error(transparent)]
    Db(#[from] store::StoreError),
}

#[derive(Clone)]
pub struct AudioStore {
    objects: Arc<dyn ObjectStore>,
    backend: Arc<Backend>,
    tracker: TaskTracker,
    writers: Arc<Semaphore>,
    queued: Arc<AtomicUsize>,
    saved: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
}

impl AudioStore {
    /// The store the configuration names (see [`Backend`]).
    pub fn open(config: &Config) -> Result<Self, AudioError> {
        let (objects, backend) = backend::open(config)?;
        Ok(Self::new(objects, backend))
    }

    pub fn new(objects: Arc<dyn ObjectStore>, backend: Backend) -> Self {
        let writers = match backend {
            Backend::Local { .. } => MAX_WRITING,
            Backend::S3 { .. } => MAX_WRITING_S3,
        };
        AudioStore {
            objects,
            backend: Arc::new(backend),
            tracker: TaskTracker::new(),
            writers: Arc::new(Semaphore::new(writers)),
            queued: Default::default(),
            saved: Default::default(),
            failed: Default::default(),
        }
    }

    /// Where the audio goes (for the start-up log line).
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// The key for a message's audio stored `now` (see [`keys::key_for`]).
    pub fn key_for(&self, now: DateTime<Utc>, chat_id: i64, update_id: i64, who: &str) -> String {
        keys::key_for(now, chat_id, update_id, who)
    }

    /// Objects saved since start.
    pub fn saved(&self) -> u64 {
        self.saved.load(Ordering::Relaxed)
    }

    /// Objects that could not be saved since start.
    pub fn failures(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// Writes `bytes` under `key` in the background. If it cannot be written, message
    /// `message_id` forgets the key the turn recorded for it.
    pub fn persist(&self, db: DatabaseConnection, message_id: i64, key: String, bytes: Bytes) {
        if self.queued.fetch_add(1, Ordering::Relaxed) >= MAX_QUEUED {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            let this = self.clone();
            self.tracker.spawn(async move {
                this.give_up(&db, message_id, &key, "too many audio files waiting for the store")
                    .await
            });
            return;
        }
        let this = self.clone();
        self.tracker.spawn(async move {
            let permit = this.writers.acquire().await;
            this.queued.fetch_sub(1, Ordering::Relaxed);
            let Some(location) = keys::location(&key) else {
                return this.give_up(&db, message_id, &key, "not a valid audio key").await;
            };
            let payload = PutPayload::from_bytes(bytes);
            let mut result = this.objects.put(&location, payload.clone()).await;
            for pause in RETRY_AFTER {
                let Err(e) = &result else { break };
                tracing::info!(message_id, error = %e, "audio not saved yet; trying again");
                tokio::time::sleep(pause).await;
                result = this.objects.put(&location, payload.clone()).await;
            }
            drop(permit);
            match result {
                Ok(_) => {
                    this.saved.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if disk_full(&e) => {
                    this.give_up(&db, message_id, &key, "the disk is full").await
                }
                Err(e) => this.give_up(&db, message_id, &key, &e.to_string()).await,
            }
        });
    }

    async fn give_up(&self, db: &DatabaseConnection, message_id: i64, key: &str, why: &str) {
        let failures = self.failed.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::error!(message_id, key, failures, why, store = %self.backend, "audio could not be saved; the turn goes on without it");
        if let Err(e) = store::turns::clear_audio_path(db, message_id).await {
            tracing::warn!(message_id, error = %e, "could not forget the key of unsaved audio");
        }
    }

    /// Reads saved audio back (a resumed turn re-sends Honzík's voice without paying for it
    /// again). `stored` is a message's `audio_path`: a key, or a file path from before keys.
    /// None when it is gone (retention, a lost disk) or unreachable: the caller speaks again.
    pub async fn read(&self, stored: &str) -> Option<Bytes> {
        let location = keys::location(stored)?;
        let got = match self.objects.get(&location).await {
            Ok(got) => got.bytes().await,
            Err(e) => Err(e),
        };
        match got {
            Ok(bytes) => Some(bytes),
            Err(object_store::Error::NotFound { .. }) => None,
            Err(e) => {
                tracing::warn!(key = stored, error = %e, "saved audio could not be read");
                None
            }
        }
    }

    /// Deletes the audio of removed messages (`/delete_me`); only objects in this store,
    /// whatever a row says. Returns how many were deleted.
    pub async fn remove(&self, stored: &[String]) -> u64 {
        let locations: Vec<_> = stored.iter().filter_map(|s| keys::location(s)).map(Ok).collect();
        self.delete_all(locations).await
    }

    /// Deletes objects (S3: in batches of up to 1,000 per request); returns how many went.
    async fn delete_all(
        &self,
        locations: Vec<object_store::Result<object_store::path::Path>>,
    ) -> u64 {
        let mut deleted = self.objects.delete_stream(futures::stream::iter(locations).boxed());
        let mut n = 0;
        while let Some(result) = deleted.next().await {
            match result {
                Ok(_) => n += 1,
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => {
                    tracing::warn!(error = %e, store = %self.backend, "could not delete audio")
                }
            }
        }
        n
    }

    /// Every key under `prefix`.
    async fn list(
        &self,
        prefix: &object_store::path::Path,
    ) -> Result<Vec<object_store::path::Path>, AudioError> {
        Ok(self.objects.list(Some(prefix)).map_ok(|meta| meta.location).try_collect().await?)
    }

    /// Waits for every write still running or queued (called at shutdown).
    pub async fn flush(&self) {
        self.tracker.close();
        self.tracker.wait().await;
        self.tracker.reopen();
    }
}

/// Whether the store failed because the disk is full (the operator's fix differs).
fn disk_full(e: &object_store::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull)
        {
            return true;
        }
        source = s.source();
    }
    false
}
