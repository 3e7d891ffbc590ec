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
//! - at most [`MAX_WRITING`] (local) or [`MAX_WRITING_S3`] run at once, and at most
//!   [`MAX_QUEUED`] objects holding at most `AUDIO_QUEUE_MB` ([`budget`]) wait; beyond that a
//!   write is refused at once (a slow or stuck store must not grow the bot's memory);
//! - a failed write is tried again twice, after 200 ms and 1 s;
//! - every object that could not be saved is counted ([`AudioStore::failures`]), logged with the
//!   reason (a full disk says so), and its key forgotten, so no row names missing audio.
//!
//! Shutdown waits for the writes still running or queued. Audio older than
//! `AUDIO_RETENTION_DAYS` is deleted by [`retention`].

pub mod archive;
mod backend;
pub mod budget;
pub mod keys;
pub mod retention;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sea_orm::DatabaseConnection;
use tokio::sync::{Notify, Semaphore};
use tokio_util::task::TaskTracker;

pub use backend::Backend;
use budget::ByteBudget;

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
    /// Bytes of the writes queued or running.
    queue_bytes: ByteBudget,
    /// Writes queued or running per chat, so `/delete_me` can wait for the learner's own.
    chats: Arc<Mutex<HashMap<i64, usize>>>,
    settled: Arc<Notify>,
    saved: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
}

impl AudioStore {
    /// The store the configuration names (see [`Backend`]).
    pub fn open(config: &Config) -> Result<Self, AudioError> {
        let (objects, backend) = backend::open(config)?;
        Ok(Self::new(objects, backend, config.limits.audio_queue_bytes))
    }

    pub fn new(objects: Arc<dyn ObjectStore>, backend: Backend, queue_bytes: u64) -> Self {
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
            queue_bytes: ByteBudget::new(queue_bytes),
            chats: Default::default(),
            settled: Default::default(),
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

    /// Objects waiting for a writer now.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Bytes of the writes queued or running now.
    pub fn queued_bytes(&self) -> u64 {
        self.queue_bytes.in_use()
    }

    /// Writes `bytes` under `key` in the background. If it cannot be written, message
    /// `message_id` forgets the key the turn recorded for it.
    pub fn persist(&self, db: DatabaseConnection, message_id: i64, key: String, bytes: Bytes) {
        let held = self.queue_bytes.try_reserve(bytes.len() as u64);
        let full = held.is_none();
        if full || self.queued.fetch_add(1, Ordering::Relaxed) >= MAX_QUEUED {
            if !full {
                self.queued.fetch_sub(1, Ordering::Relaxed);
            }
            let this = self.clone();
            self.tracker.spawn(async move {
                this.give_up(&db, message_id, &key, "too much audio waiting for the store").await
            });
            return;
        }
        let chat = keys::chat_of(&key);
        self.count_chat(chat, true);
        let this = self.clone();
        self.tracker.spawn(async move {
            let _held = held;
            let _settles = Settles { store: &this, chat };
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

    /// Counts a write of `chat`'s audio in (`true`) or out, waking [`AudioStore::settle`].
    fn count_chat(&self, chat: Option<i64>, start: bool) {
        let Some(chat) = chat else { return };
        let mut chats = self.chats.lock().unwrap_or_else(|p| p.into_inner());
        if start {
            *chats.entry(chat).or_default() += 1;
        } else if let Some(n) = chats.get_mut(&chat) {
            *n -= 1;
            if *n == 0 {
                chats.remove(&chat);
                self.settled.notify_waiters();
            }
        }
    }

    /// Waits until no write of `chat`'s audio is queued or running (`/delete_me` deletes what
    /// they wrote, not what was still on its way).
    pub async fn settle(&self, chat: i64) {
        loop {
            let notified = self.settled.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if !self.chats.lock().unwrap_or_else(|p| p.into_inner()).contains_key(&chat) {
                return;
            }
            notified.await;
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

/// Counts a write out of its chat when it ends, however it ends (a panic or an abort included).
struct Settles<'a> {
    store: &'a AudioStore,
    chat: Option<i64>,
}

impl Drop for Settles<'_> {
    fn drop(&mut self) {
        self.store.count_chat(self.chat, false);
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use object_store::memory::InMemory;
    use object_store::throttle::{ThrottleConfig, ThrottledStore};

    use super::*;

    /// A store whose every write takes `put` (the store is slow, the bot is not).
    async fn slow_store(put: Duration, queue_bytes: u64) -> (AudioStore, DatabaseConnection) {
        let objects = ThrottledStore::new(
            InMemory::new(),
            ThrottleConfig { wait_put_per_call: put, ..Default::default() },
        );
        let store =
            AudioStore::new(Arc::new(objects), Backend::Local { root: "mem".into() }, queue_bytes);
        let db = store::open("sqlite::memory:", Some(1), Duration::from_secs(5)).await.unwrap();
        (store, db)
    }

    #[tokio::test]
    async fn a_write_that_does_not_fit_the_queues_bytes_is_refused_at_once_and_counted() {
        let (store, db) = slow_store(Duration::from_millis(200), 1024 * 1024).await;
        let voice = Bytes::from(vec![7u8; 600 * 1024]);
        store.persist(db.clone(), 1, "2026/12/04/42/1-learner.ogg".into(), voice.clone());
        assert_eq!(store.queued_bytes(), 600 * 1024, "held from the moment it is queued");
        // 600 KiB more would pass 1 MiB: refused whatever the count of writes.
        store.persist(db.clone(), 2, "2026/12/04/43/2-learner.ogg".into(), voice);
        store.persist(db, 3, "2026/12/04/43/3-honzik.ogg".into(), Bytes::from(vec![1u8; 1000]));
        store.flush().await;
        assert_eq!((store.saved(), store.failures()), (2, 1), "the small one fitted");
        assert_eq!(store.queued_bytes(), 0);
    }

    #[tokio::test]
    async fn settling_a_chat_waits_for_its_queued_writes_and_no_one_elses() {
        let (store, db) = slow_store(Duration::from_secs(1), 1024 * 1024).await;
        store.persist(db.clone(), 1, "2026/12/04/42/1-learner.ogg".into(), Bytes::from("a"));
        store.persist(db.clone(), 2, "2026/12/04/42/1-honzik.ogg".into(), Bytes::from("b"));
        store.settle(7).await; // nothing of chat 7 on its way: at once
        store.settle(42).await;
        assert_eq!(store.saved(), 2, "both of chat 42's writes were done before settle returned");
        let gone = store
            .remove(&["2026/12/04/42/1-learner.ogg".into(), "2026/12/04/42/1-honzik.ogg".into()])
            .await;
        assert_eq!(gone, 2, "what was on its way when /delete_me came is deleted too");
    }
}
