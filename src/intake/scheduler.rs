//! Per-chat ordering without head-of-line blocking.
//!
//! Each chat with work gets one short-lived worker task fed by a bounded queue: one chat's turns
//! run in order, different chats run concurrently, and a chat that floods the bot fills only its
//! own queue — the intake never waits on it. Beyond the backlog, updates go to the overflow
//! handler (a polite "one at a time" notice) instead of blocking anyone. A global semaphore bounds
//! how many turns run at once.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use teloxide::types::Update;
use tokio::sync::{Semaphore, mpsc};
use tokio_util::task::TaskTracker;

/// How an update should be run.
pub type Processor = Arc<dyn Fn(Update) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;
/// Called (outside the chat's queue) for an update that did not fit in its chat's backlog.
pub type OverflowHandler = Arc<dyn Fn(Update) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

#[derive(Clone)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

struct Inner {
    chats: Mutex<HashMap<i64, mpsc::Sender<Update>>>,
    backlog: usize,
    permits: Arc<Semaphore>,
    tracker: TaskTracker,
    process: Processor,
    overflow: OverflowHandler,
}

impl Scheduler {
    pub fn new(backlog: usize, max_concurrent: usize, process: Processor, overflow: OverflowHandler) -> Self {
        Scheduler {
            inner: Arc::new(Inner {
                chats: Mutex::new(HashMap::new()),
                backlog: backlog.max(1),
                permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
                tracker: TaskTracker::new(),
                process,
                overflow,
            }),
        }
    }

    /// Queues an update behind its chat's earlier ones; never waits.
    pub fn submit(&self, update: Update) {
        let Some(chat) = update.chat().map(|c| c.id.0) else {
            // No chat, no ordering to keep (e.g. an unparsed update): run it on its own.
            let this = self.clone();
            self.inner.tracker.spawn(async move {
                let _permit = this.inner.permits.acquire().await;
                (this.inner.process)(update).await;
            });
            return;
        };
        let mut chats = self.inner.chats.lock().expect("scheduler lock");
        if let Some(tx) = chats.get(&chat) {
            match tx.try_send(update) {
                Ok(()) => return,
                Err(mpsc::error::TrySendError::Full(update)) => {
                    drop(chats);
                    let overflow = self.inner.overflow.clone();
                    self.inner.tracker.spawn(async move { overflow(update).await });
                    return;
                }
                // The worker is gone (it removes itself under this lock, so this is unreachable,
                // but a fresh worker is the right answer either way).
                Err(mpsc::error::TrySendError::Closed(u)) => {
                    chats.remove(&chat);
                    drop(chats);
                    return self.submit(u);
                }
            }
        }
        let (tx, rx) = mpsc::channel(self.inner.backlog);
        tx.try_send(update).expect("a new queue has room");
        chats.insert(chat, tx);
        drop(chats);
        let this = self.clone();
        self.inner.tracker.spawn(async move { this.work(chat, rx).await });
    }

    async fn work(self, chat: i64, mut rx: mpsc::Receiver<Update>) {
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
                            None
                        }
                    }
                }
            };
            let Some(update) = next else { return };
            let _permit = self.inner.permits.acquire().await;
            (self.inner.process)(update).await;
        }
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

    #[tokio::test]
    async fn one_chat_runs_in_order_and_a_flooding_chat_does_not_block_others() {
        let log = Arc::new(Mutex::new(Vec::<(i64, u32)>::new()));
        let gate = Arc::new(tokio::sync::Notify::new());
        let overflowed = Arc::new(AtomicUsize::new(0));
        let (l, g) = (log.clone(), gate.clone());
        let process: Processor = Arc::new(move |u: Update| {
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
        let overflow: OverflowHandler = Arc::new(move |_u| {
            o.fetch_add(1, Ordering::SeqCst);
            Box::pin(async {})
        });
        let s = Scheduler::new(3, 8, process, overflow);
        s.submit(update(1, 1));
        tokio::time::sleep(Duration::from_millis(20)).await; // update 1 is now running
        for id in 2..=7 {
            s.submit(update(id, 1)); // 2..4 wait, 5..7 overflow
        }
        for id in 10..=12 {
            s.submit(update(id, 2));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(log.lock().unwrap().clone(), vec![(2, 10), (2, 11), (2, 12)], "chat 2 was not blocked by chat 1");
        assert_eq!(overflowed.load(Ordering::SeqCst), 3, "updates beyond the backlog overflow instead of waiting");
        for _ in 0..4 {
            gate.notify_one();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        s.drain().await;
        let chat1: Vec<u32> = log.lock().unwrap().iter().filter(|(c, _)| *c == 1).map(|(_, id)| *id).collect();
        assert_eq!(chat1, vec![1, 2, 3, 4], "chat 1 ran in order");
        assert_eq!(s.active_chats(), 0);
    }
}
