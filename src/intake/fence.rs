//! The intake's side of [`crate::turn::Fence`]: one per run of an update, naming the update and,
//! in lease mode, the chat lease (holder and token) the run started under.

use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};

use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;

use crate::store::StoreError;
use crate::store::fencing::{self, Lease};

pub struct UpdateFence {
    db: DatabaseConnection,
    update_id: i64,
    /// None without leases (long polling, see [`UpdateFence::own`]), or for an update with no
    /// chat: only the update's status is checked then.
    lease: Option<Lease>,
    /// Until when (wall-clock ms) the last check's answer still stands: a turn checks before
    /// each of its steps, and asking the database each time was a third of its round trips.
    trusted_until: AtomicI64,
    /// A process without leases ([`UpdateFence::own`]).
    own: bool,
    /// Whether the turn marked the update done itself ([`UpdateFence::closed`]).
    closed: AtomicU8,
}

const NOT_CLOSED: u8 = 0;
const CLOSED: u8 = 1;
const NOT_PENDING: u8 = 2;

/// How far another machine's clock may run ahead of ours: a lease is trusted from one check up
/// to this long before it runs out (by our clock), after which every check asks again.
const CLOCK_SKEW_MS: i64 = 2_000;

/// Until when a check that found the update held (until `held_until`, see
/// [`fencing::held_until`]) may stand in for the next ones: a lease cannot be taken by another
/// replica before it runs out, so up to its expiry less the clock skew; without a lease, for
/// the rest of the run.
fn trusted_until(held_until: i64) -> i64 {
    held_until.saturating_sub(CLOCK_SKEW_MS)
}

impl UpdateFence {
    /// A fence that asks the database (lease mode: another replica may take the chat over).
    pub fn new(db: DatabaseConnection, update_id: i64, lease: Option<Lease>) -> Self {
        let (closed, trusted_until) = (AtomicU8::new(NOT_CLOSED), AtomicI64::new(i64::MIN));
        UpdateFence { db, update_id, lease, trusted_until, own: false, closed }
    }

    /// The fence of a process that runs without leases (long polling): it never asks. The update
    /// was recorded, or found pending at the start, by this very process, which alone runs its
    /// chats' updates, one at a time, and marks them (`fencing::finish` still marks only a
    /// pending one). The check it made as each run started was one round trip of every update's
    /// (BENCHMARKS.md, issue 18).
    pub fn own(db: DatabaseConnection, update_id: i64) -> Self {
        let (closed, trusted_until) = (AtomicU8::new(NOT_CLOSED), AtomicI64::new(i64::MAX));
        UpdateFence { db, update_id, lease: None, trusted_until, own: true, closed }
    }

    pub fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }

    /// Whether the run's turn marked the update itself: `Some(true)` done, `Some(false)` found
    /// it no longer pending, `None` not (the intake marks it).
    pub fn closed(&self) -> Option<bool> {
        match self.closed.load(Ordering::Relaxed) {
            CLOSED => Some(true),
            NOT_PENDING => Some(false),
            _ => None,
        }
    }
}

impl crate::turn::Fence for UpdateFence {
    fn holds(&self) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(async move {
            let now = super::leases::now_ms();
            if now < self.trusted_until.load(Ordering::Relaxed) {
                return Ok(true);
            }
            let held = fencing::held_until(&self.db, self.update_id, self.lease.as_ref(), now);
            Ok(match held.await? {
                Some(until) => {
                    self.trusted_until.store(trusted_until(until), Ordering::Relaxed);
                    true
                }
                None => false,
            })
        })
    }

    /// Without leases (long polling) the mark needs no lease check, so the turn may write it.
    fn closes_with_turn(&self) -> bool {
        self.own
    }

    fn closed_by_turn(&self, marked: bool) {
        self.closed.store(if marked { CLOSED } else { NOT_PENDING }, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{inbox, leases};
    use crate::turn::Fence;

    fn update(id: u32, chat: i64) -> teloxide::types::Update {
        serde_json::from_str(&format!(
            r#"{{"update_id":{id},"message":{{"message_id":{id},"date":0,"chat":{{"id":{chat},"type":"private","first_name":"A"}},"text":"m{id}"}}}}"#
        ))
        .unwrap()
    }

    /// A fence on update `id` of chat `chat`, under a lease claimed now for `lease_ms`.
    async fn fenced(db: &DatabaseConnection, id: u32, chat: i64, lease_ms: i64) -> UpdateFence {
        inbox::record_batch(db, &[update(id, chat)], chrono::Utc::now()).await.unwrap();
        let now = super::super::leases::now_ms();
        let held = leases::claim_chats(db, "a", &[chat], now, now + lease_ms).await.unwrap();
        let lease = Lease { holder: "a".into(), chat, token: held[0].token };
        UpdateFence::new(db.clone(), id as i64, Some(lease))
    }

    #[tokio::test]
    async fn a_check_stands_for_the_next_ones_only_while_the_lease_cannot_have_passed_on() {
        let (_dir, db) = crate::store::test_db().await;
        // A long lease: once checked, the next steps' checks need no query. (Finishing the update
        // behind the fence's back stands for a change no other replica could make in that time.)
        let long = fenced(&db, 1, 10, 60_000).await;
        assert!(long.holds().await.unwrap());
        inbox::finish(&db, 1, None, chrono::Utc::now()).await.unwrap();
        assert!(long.holds().await.unwrap(), "trusted until shortly before the lease runs out");

        // A lease closer to running out than the clock skew allowed: every check asks again.
        let short = fenced(&db, 2, 20, CLOCK_SKEW_MS / 2).await;
        assert!(short.holds().await.unwrap());
        inbox::finish(&db, 2, None, chrono::Utc::now()).await.unwrap();
        assert!(!short.holds().await.unwrap(), "asked again, and no longer held");
    }

    #[tokio::test]
    async fn a_process_without_leases_never_asks_about_its_own_update() {
        let (_dir, db) = crate::store::test_db().await;
        inbox::record_batch(&db, &[update(3, 30)], chrono::Utc::now()).await.unwrap();
        let own = UpdateFence::own(db.clone(), 3);
        // Finished behind its back (nothing else can, without leases): it still holds, as no
        // query was made; a fence that asks sees the change.
        inbox::finish(&db, 3, None, chrono::Utc::now()).await.unwrap();
        assert!(own.holds().await.unwrap());
        assert!(!UpdateFence::new(db.clone(), 3, None).holds().await.unwrap());
    }

    #[test]
    fn a_lease_is_trusted_until_the_clock_skew_before_it_runs_out_and_a_run_without_one_to_its_end()
    {
        assert_eq!(trusted_until(10_000), 10_000 - CLOCK_SKEW_MS);
        assert_eq!(trusted_until(i64::MAX), i64::MAX - CLOCK_SKEW_MS);
        assert_eq!(trusted_until(i64::MIN), i64::MIN);
    }
}
