//! Per-chat ordering without head-of-line blocking, and cancelling a turn in flight.
//!
//! Each chat with work gets one short-lived worker task fed by a bounded queue: one chat's turns
//! run in order, different chats run concurrently, and a chat that floods the bot fills only its
//! own queue — the intake never waits on it. Beyond the backlog, updates go to the overflow
//! handler (a polite "one at a time" notice) instead of blocking anyone. A global semaphore bounds
//! how many turns run at once.
//!
//! Some updates must not wait behind their chat's queue: `/cancel` has to act while the turn it
//! cancels is still running. Those run at once, on their own task, and may call
//! [`InFlight::cancel`]: each running job holds a cancellation token, and a cancelled job's
//! future is dropped where it stands (the turn stops at its next await) and handed to the
//! `cancelled` hook instead.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use teloxide::types::Update;
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Something to do with an update.
pub type Handler = Arc<dyn Fn(Update) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// What the scheduler does with updates.
#[derive(Clone)]
pub struct Hooks {
    /// Runs an update (in its chat's order, unless out of band).
    pub process: Handler,
    /// An update that did not fit in its chat's backlog (called outside the chat's queue).
    pub overflow: Handler,
    /// An update whose run was cancelled part-way.
    pub cancelled: Handler,
    /// Updates that run at once instead of queueing behind their chat's.
    pub out_of_band: fn(&Update) -> bool,
    /// Updates whose run `InFlight::cancel` may abandon (learner turns, not commands or buttons).
    pub cancellable: fn(&Update) -> bool,
    /// Called when a chat's queue empties and its worker leaves (lease mode gives the chat back).
    pub idle: Option<Arc<dyn Fn(i64) + Send + Sync>>,
}

/// The job running for each chat, with the token that abandons it.
#[derive(Default)]
pub struct InFlight {
    running: Mutex<HashMap<i64, CancellationToken>>,
}

impl InFlight {
    fn begin(&self, chat: i64) -> CancellationToken {
        let token = CancellationToken::new();
        self.running.lock().expect("in-flight lock").insert(chat, token.clone());
        token
    }

    fn end(&self, chat: i64) {
        self.running.lock().expect("in-flight lock").remove(&chat);
    }

    /// Abandons the job running for `chat`; `false` when nothing was running.
    pub fn cancel(&self, chat: i64) -> bool {
        let token = self.running.lock().expect("in-flight lock").remove(&chat);
        token.map(|t| t.cancel()).is_some()
    }
}

/// What `/cancel` calls: the bot asks for the capability, the intake provides it.
impl crate::bot::CancelTurn for InFlight {
    fn cancel(&self, chat: i64) -> bool {
        InFlight::cancel(self, chat)
    }
}

#[derive(Clone)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

struct Inner {
    /// Boxed: a bounded channel allocates a block of 32 slots up front, and a `Message` is large —
    /// unboxed, 10,000 waiting chats held ~450 MiB of mostly empty slots (BENCHMARKS.md).
    chats: Mutex<HashMap<i64, mpsc::Sender<Box<Update>>>>,
    backlog: usize,
    permits: Arc<Semaphore>,
    tracker: TaskTracker,
    /// Fired at the end of a stop's grace period: every job still queued or running is dropped
    /// where it stands (its update stays pending, for whoever holds its chat next).
    abort: CancellationToken,
    hooks: Hooks,
    in_flight: Arc<InFlight>,
}

impl Scheduler {
    pub fn new(
        backlog: usize,
        max_concurrent: usize,
        hooks: Hooks,
        in_flight: Arc<InFlight>,
    ) -> Self {
        Scheduler {
            inner: Arc::new(Inner {
                chats: Mutex::new(HashMap::new()),
                backlog: backlog.max(1),
                permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
                tracker: TaskTracker::new(),
                abort: CancellationToken::new(),
                hooks,
                in_flight,
            }),
        }
    }

    /// Queues an update behind its chat's earlier ones (or runs it at once, if it is out of
    /// band); never waits.
    pub fn submit(&self, update: Update) {
        let chat = update.chat().map(|c| c.id.0);
        if chat.is_none() || (self.inner.hooks.out_of_band)(&update) {
            // No chat, no ordering to keep (e.g. an unparsed update); out of band, no waiting.
            let process = self.inner.hooks.process.clone();
            self.spawn(async move { process(update).await });
            return;
        }
        let chat = chat.expect("checked above");
        let mut chats = self.inner.chats.lock().expect("scheduler lock");
        if let Some(tx) = chats.get(&chat) {
            match tx.try_send(Box::new(update)) {
                Ok(()) => return,
                Err(mpsc::error::TrySendError::Full(update)) => {
                    drop(chats);
                    let overflow = self.inner.hooks.overflow.clone();
                    self.spawn(async move { overflow(*update).await });
                    return;
                }
                // The worker is gone (it removes itself under this lock, so this is unreachable,
                // but a fresh worker is the right answer either way).
                Err(mpsc::error::TrySendError::Closed(u)) => {
                    chats.remove(&chat);
                    drop(chats);
                    return self.submit(*u);
                }
            }
        }
        let (tx, rx) = mpsc::channel(self.inner.backlog);
        tx.try_send(Box::new(update)).expect("a new queue has room");
        chats.insert(chat, tx);
        drop(chats);
        let this = self.clone();
        self.spawn(async move { this.work(chat, rx).await });
    }

    /// Runs a job on the tracker, until it ends or [`Scheduler::abort`].
    fn spawn(&self, job: impl Future<Output = ()> + Send + 'static) {
        let abort = self.inner.abort.clone();
        self.inner.tracker.spawn(async move {
            tokio::select! {
                biased;
                _ = abort.cancelled() => {}
                _ = job => {}
            }
        });
    }

    async fn work(self, chat: i64, mut rx: mpsc::Receiver<Box<Update>>) {
        loop {
            let next = match rx.try_recv() {
                Ok(u) => Some(u),
                Err(_) => {
                    // Leave only when the queue is empty under the lock, so `submit` never sends
                    // into a queue nobody reads.
                    let mut chats = self.inner.chats.lock().expect("scheduler lock");
                    match rx.try_recv() {
                        Ok(u) => Some(u),
                        Err(_) => {
                            chats.remove(&chat);
                            drop(chats);
                            if let Some(idle) = &self.inner.hooks.idle {
                                idle(chat);
                            }
                            None
                        }
                    }
                }
            };
            let Some(update) = next else { return };
            let _permit = self.inner.permits.acquire().await;
            // Boxed so that a worker waiting for a permit (thousands of them under a flood) is a
            // small future; the running turn's state is allocated only once it runs.
            Box::pin(self.run_cancellable(chat, *update)).await;
        }
    }

    /// Runs one update unless its chat cancels it first.
    async fn run_cancellable(&self, chat: i64, update: Update) {
        let hooks = &self.inner.hooks;
        if !(hooks.cancellable)(&update) {
            return (hooks.process)(update).await;
        }
        let token = self.inner.in_flight.begin(chat);
        tokio::select! {
            biased;
            _ = token.cancelled() => (hooks.cancelled)(update).await,
            _ = (hooks.process)(update.clone()) => {}
        }
        self.inner.in_flight.end(chat);
    }

    /// Chats with work queued or running.
    pub fn active_chats(&self) -> usize {
        self.inner.chats.lock().expect("scheduler lock").len()
    }

    /// Waits until every queued and running update has been processed.
    pub async fn drain(&self) {
        self.inner.tracker.close();
        self.inner.tracker.wait().await;
    }

    /// Drops every job still queued or running, and returns once none is left: what a stop does
    /// when its grace period is over, before it gives its chats to other replicas — a turn left
    /// running after that could answer an update its chat's next holder answers too.
    pub async fn abort(&self) {
        self.inner.abort.cancel();
        self.drain().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn update(id: u32, chat: i64) -> Update {
        serde_json::from_str(&serde_json::json!({
            "update_id": id,
            "message": {"message_id": id, "date": 0, "chat": {"id": chat, "type": "private", "first_name": "A"},
                        "from": {"id": chat, "is_bot": false, "first_name": "A"}, "text": format!("m{id}")}
        }).to_string())
        .unwrap()
    }

    fn nothing() -> Handler {
        Arc::new(|_u| Box::pin(async {}))
    }

    fn hooks(process: Handler, overflow: Handler) -> Hooks {
        Hooks {
            process,
            overflow,
            cancelled: nothing(),
            out_of_band: |u| u.id.0 >= 100,
            cancellable: |_| true,
            idle: None,
        }
    }

    #[tokio::test]
    async fn an_out_of_band_update_cancels_the_running_one_and_the_queue_goes_on() {
        let in_flight = Arc::new(InFlight::default());
        let log = Arc::new(Mutex::new(Vec::<String>::new()));
        let (l, f) = (log.clone(), in_flight.clone());
        let process: Handler = Arc::new(move |u: Update| {
            let (l, f) = (l.clone(), f.clone());
            Box::pin(async move {
                match u.id.0 {
                    1 => std::future::pending::<()>().await, // a turn stuck upstream
                    100 => l.lock().unwrap().push(format!("cancel ran: {}", f.cancel(1))),
                    id => l.lock().unwrap().push(format!("ran {id}")),
                }
            })
        });
        let l = log.clone();
        let cancelled: Handler = Arc::new(move |u: Update| {
            l.lock().unwrap().push(format!("cancelled {}", u.id.0));
            Box::pin(async {})
        });
        let s = Scheduler::new(
            3,
            8,
            Hooks { cancelled, ..hooks(process, nothing()) },
            in_flight.clone(),
        );
        s.submit(update(1, 1));
        s.submit(update(2, 1));
        tokio::time::sleep(Duration::from_millis(20)).await; // update 1 runs, 2 waits behind it
        s.submit(update(100, 1));
        tokio::time::timeout(Duration::from_secs(5), s.drain()).await.expect("nothing left stuck");
        assert_eq!(log.lock().unwrap().clone(), ["cancel ran: true", "cancelled 1", "ran 2"]);
        assert!(!in_flight.cancel(1), "nothing runs any more");
    }

    #[tokio::test]
    async fn one_chat_runs_in_order_and_a_flooding_chat_does_not_block_others() {
        let log = Arc::new(Mutex::new(Vec::<(i64, u32)>::new()));
        let gate = Arc::new(tokio::sync::Notify::new());
        let overflowed = Arc::new(AtomicUsize::new(0));
        let (l, g) = (log.clone(), gate.clone());
        let process: Handler = Arc::new(move |u: Update| {
            let (l, g) = (l.clone(), g.clone());
            Box::pin(async move {
                let chat = u.chat().unwrap().id.0;
                if chat == 1 {
                    g.notified().await; // chat 1 is stuck on a slow turn
                }
                l.lock().unwrap().push((chat, u.id.0));
            })
        });
        let o = overflowed.clone();
        let overflow: Handler = Arc::new(move |_u| {
            o.fetch_add(1, Ordering::SeqCst);
            Box::pin(async {})
        });
        let s = Scheduler::new(3, 8, hooks(process, overflow), Arc::default());
        s.submit(update(1, 1));
        tokio::time::sleep(Duration::from_millis(20)).await; // update 1 is now running
        for id in 2..=7 {
            s.submit(update(id, 1)); // 2..4 wait, 5..7 overflow
        }
        for id in 10..=12 {
            s.submit(update(id, 2));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            log.lock().unwrap().clone(),
            vec![(2, 10), (2, 11), (2, 12)],
            "chat 2 was not blocked by chat 1"
        );
        assert_eq!(
            overflowed.load(Ordering::SeqCst),
            3,
            "updates beyond the backlog overflow instead of waiting"
        );
        for _ in 0..4 {
            gate.notify_one();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        s.drain().await;
        let chat1: Vec<u32> =
            log.lock().unwrap().iter().filter(|(c, _)| *c == 1).map(|(_, id)| *id).collect();
        assert_eq!(chat1, vec![1, 2, 3, 4], "chat 1 ran in order");
        assert_eq!(s.active_chats(), 0);
    }
}
