//! Lease mode: how several replicas behind one webhook share the inbox (see `store::leases`).
//!
//! A replica that receives an update only records it and pokes its [`Claimer`]. The claimer
//! claims the leases of chats with pending updates that no other live replica holds, and hands
//! those chats' pending updates, oldest first, to the local [`Scheduler`] — so a chat's turns run
//! in order on one replica at a time, whichever replica Telegram's request reached. The claim
//! also runs every second: that renews the leases of chats still working here, picks up updates
//! other replicas recorded for chats held here (a `/cancel` reaches the replica running the turn
//! within a second), and takes over the chats of a replica that died once its leases expire.
//! Nothing here needs Redis: correctness lives in the database.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::scheduler::Scheduler;
use crate::app::App;
use crate::store::fencing::Lease;
use crate::store::leases::Held;
use crate::store::{self, StoreError, leases};

/// How often leases are renewed and other replicas' recordings are looked for.
const CLAIM_EVERY: Duration = Duration::from_secs(1);
/// How often a replica says it is alive; one not heard from for three beats is gone.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

pub struct Claimer {
    app: Arc<App>,
    scheduler: Scheduler,
    /// Updates handed to the scheduler and still pending in the database.
    submitted: Mutex<HashSet<i64>>,
    /// Chats with something new since the last claim (recorded here, or gone idle here).
    wanted: Mutex<HashSet<i64>>,
    /// The token of each chat's lease as this replica last claimed it: a run of one of the
    /// chat's updates is fenced by the token it started under (`store::fencing`).
    tokens: Mutex<HashMap<i64, i64>>,
    poke: Notify,
}

impl Claimer {
    pub fn new(app: Arc<App>, scheduler: Scheduler) -> Arc<Self> {
        Arc::new(Claimer {
            app,
            scheduler,
            submitted: Mutex::default(),
            wanted: Mutex::default(),
            tokens: Mutex::default(),
            poke: Notify::new(),
        })
    }

    /// An update for `chat` was recorded, or the chat went idle with work left: claim it now
    /// rather than at the next tick.
    pub fn poke(&self, chat: i64) {
        self.wanted.lock().expect("claimer lock").insert(chat);
        self.poke.notify_one();
    }

    fn holder(&self) -> &str {
        &self.app.config.replica_id
    }

    /// The lease a run of an update of `chat` starts under. A chat this replica never claimed
    /// gets token 0, which no lease has: such a run is fenced at its first check.
    pub fn lease_for(&self, chat: i64) -> Lease {
        let token = self.tokens.lock().expect("claimer lock").get(&chat).copied().unwrap_or(0);
        Lease { holder: self.holder().to_owned(), chat, token }
    }

    /// A run of `update_id` stopped because its lease was not current any more: the update
    /// may be handed to the scheduler again should this replica hold the chat (again) — the
    /// run was fenced, so nothing of it runs twice.
    pub fn fenced(&self, update_id: i64, chat: i64) {
        self.submitted.lock().expect("claimer lock").remove(&update_id);
        self.poke(chat);
    }

    fn remember(&self, held: &[Held]) {
        let mut tokens = self.tokens.lock().expect("claimer lock");
        tokens.extend(held.iter().map(|h| (h.chat, h.token)));
    }

    /// How long a lease lasts without renewal (`CHAT_LEASE_SECONDS`): how long a crashed
    /// replica's chats wait for another replica.
    fn lease_ms(&self) -> i64 {
        self.app.config.chat_lease.as_millis() as i64
    }

    /// Claims and runs until `shutdown`: the chats poked since the last claim at once (pokes
    /// that arrive while a claim runs fold into the next), every chat with work each second.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut next_full = tokio::time::Instant::now();
        loop {
            // A flood of pokes is one claim of everything rather than a statement with thousands
            // of parameters.
            let many = self.wanted.lock().expect("claimer lock").len() > 500;
            let result = if many || tokio::time::Instant::now() >= next_full {
                next_full = tokio::time::Instant::now() + CLAIM_EVERY;
                self.wanted.lock().expect("claimer lock").clear();
                self.claim_once().await
            } else {
                self.claim_wanted().await
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "could not claim chats; retrying");
            }
            tokio::select! {
                _ = self.poke.notified() => {}
                _ = tokio::time::sleep_until(next_full) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }

    /// Claims the chats poked since the last claim and runs their new updates. A failure puts
    /// them back for the next try (the one-second claim would find them anyway).
    async fn claim_wanted(&self) -> Result<usize, StoreError> {
        let chats: Vec<i64> = self.wanted.lock().expect("claimer lock").drain().collect();
        let now = now_ms();
        let result = async {
            let held = leases::claim_chats(
                &self.app.db,
                self.holder(),
                &chats,
                now,
                now + self.lease_ms(),
            )
            .await?;
            self.remember(&held);
            let pending = leases::pending_ids_in(&self.app.db, &leases::chats(&held)).await?;
            self.submit_new(pending).await
        }
        .await;
        if result.is_err() {
            self.wanted.lock().expect("claimer lock").extend(chats);
        }
        result
    }

    /// One claim of every chat with work: returns how many updates it handed to the scheduler.
    pub async fn claim_once(&self) -> Result<usize, StoreError> {
        let db = &self.app.db;
        let now = now_ms();
        let held = leases::claim(db, self.holder(), now, now + self.lease_ms()).await?;
        self.remember(&held);
        if held.is_empty() {
            self.submitted.lock().expect("claimer lock").clear();
            return Ok(0);
        }
        let pending = leases::pending_ids(db, self.holder()).await?;
        {
            // Every pending update of every chat held here is in `pending`: what is not has
            // finished, so forget it.
            let still: HashSet<i64> = pending.iter().copied().collect();
            self.submitted.lock().expect("claimer lock").retain(|id| still.contains(id));
        }
        self.submit_new(pending).await
    }

    /// Hands the updates among `pending` not yet handed over to the scheduler, oldest first.
    async fn submit_new(&self, pending: Vec<i64>) -> Result<usize, StoreError> {
        let new: Vec<i64> = {
            let mut submitted = self.submitted.lock().expect("claimer lock");
            pending.into_iter().filter(|id| submitted.insert(*id)).collect()
        };
        let updates = match leases::updates(&self.app.db, &new).await {
            Ok(u) => u,
            Err(e) => {
                let mut submitted = self.submitted.lock().expect("claimer lock");
                new.iter().for_each(|id| {
                    submitted.remove(id);
                });
                return Err(e);
            }
        };
        let count = updates.len();
        for update in updates {
            self.scheduler.submit(update);
        }
        Ok(count)
    }

    /// The chat's queue here is empty: give its lease back, unless an update arrived meanwhile —
    /// then claim again at once, so it runs here without waiting for the next tick.
    pub async fn chat_idle(&self, chat_id: i64) {
        match leases::release_if_idle(&self.app.db, self.holder(), chat_id).await {
            Ok(true) => {
                self.tokens.lock().expect("claimer lock").remove(&chat_id);
            }
            Ok(false) => self.poke(chat_id),
            // The lease expires by itself; meanwhile this replica keeps the chat.
            Err(e) => tracing::warn!(error = %e, "could not release a chat lease"),
        }
    }

    /// While the replica winds down (`claim` has stopped at the shutdown): keeps the leases of
    /// the chats still held here from running out under their turns, taking nothing new, until
    /// `done` — the turns finished or aborted. Otherwise another replica would take a chat whose
    /// turn is still running here, and both would answer it.
    pub async fn keep_renewing(self: Arc<Self>, done: CancellationToken) {
        loop {
            let until = now_ms() + self.lease_ms();
            if let Err(e) = leases::renew_all(&self.app.db, self.holder(), until).await {
                tracing::warn!(error = %e, "could not renew chat leases while winding down");
            }
            tokio::select! {
                _ = tokio::time::sleep(CLAIM_EVERY) => {}
                _ = done.cancelled() => return,
            }
        }
    }

    /// At shutdown, once no turn runs here any more: the chats still held here go to the other
    /// replicas.
    pub async fn release_all(&self) {
        match leases::release_all(&self.app.db, self.holder()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(chats = n, "handed unfinished chats to the other replicas"),
            Err(e) => {
                tracing::warn!(error = %e, "could not release chat leases; they expire by themselves")
            }
        }
    }
}

/// Keeps `app.replicas` current until `shutdown`, then leaves (the others take this replica's
/// share of the send budget at once).
pub async fn heartbeat(app: Arc<App>, shutdown: CancellationToken) {
    let id = app.config.replica_id.clone();
    loop {
        let now = now_ms();
        let alive_since = now - 3 * HEARTBEAT_EVERY.as_millis() as i64;
        match leases::heartbeat(&app.db, &id, now, alive_since).await {
            Ok(n) => {
                let before = app.replicas.swap(n, Ordering::Relaxed);
                if before != n {
                    tracing::info!(replicas = n, "replicas alive");
                }
            }
            Err(e) => tracing::warn!(error = %e, "replica heartbeat failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(HEARTBEAT_EVERY) => {}
            _ = shutdown.cancelled() => break,
        }
    }
    if let Err(e) = store::leases::leave(&app.db, &id).await {
        tracing::warn!(error = %e, "could not remove the replica heartbeat");
    }
}

/// Wall-clock time: leases compare times across machines, so the learner-facing (and, in tests,
/// fixed) `app.clock` is not the one to use.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
