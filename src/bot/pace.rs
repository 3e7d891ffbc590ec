//! Pacing every send to the Bot API's limits, so Telegram never has to answer 429.
//!
//! Telegram lets a bot send about 30 messages a second overall and about one a second to one chat
//! (a burst of 3 allowed); above that it answers 429 with a `retry_after` pause — slower than
//! having waited, and repeated offences get longer pauses. Only sends count (sendMessage and the
//! send-media methods); edits, chat actions, callback answers and getFile are not limited and do
//! not come here.
//!
//! - **The whole bot**: evenly spaced slots at `TELEGRAM_SENDS_PER_SECOND` (GCRA virtual
//!   scheduling: `slot = max(now, next)`, `next = slot + 1/rate`), handed out strictly first come,
//!   first served — the queue is a fair mutex held from reservation to release — so a flood from
//!   some chats delays everyone alike and no chat starves. Even spacing alone is not enough:
//!   Telegram counts *arrivals* in a sliding second, and a request held up between its slot and
//!   Telegram (a busy worker, a slow connection) lets later ones catch up with it. So a slot is
//!   also released only while fewer than [`WINDOW_SENDS`] sends *occupy* the window — in flight,
//!   or finished less than a second ago. A send arrives before it finishes, so if 31 arrivals ever
//!   fell within one second, all the others would have occupied the window when the last of them
//!   was released, and it would not have been: Telegram's window holds whatever the delays.
//! - **One chat**: a GCRA equivalent of Telegram's token bucket (burst [`CHAT_BURST`]) at a little
//!   under one send a second, booked again from the global slot and from when the send
//!   *finished* (after Telegram counted it): a chat's sends are sequential, so the gap Telegram
//!   sees is never shorter than the one booked. A chat waits for its own slot before it queues
//!   for the bot's, so a busy chat never holds up the others.
//! - **A 429 anyway** (another client on the same token, Telegram's own fuzziness): the sender
//!   honours `retry_after`, and the whole schedule is pushed back by as much
//!   ([`Pacer::throttled`]) — once per incident: after a pause, 429s for as long again delay only
//!   their own sends. Otherwise a steady trickle of 429s (a faulty proxy, a fault injector) would
//!   pause every chat for good; this way it costs at most half the time.
//!
//! The arithmetic is pure ([`Schedule`]: functions of explicit instants) and tested on its own;
//! [`Pacer`] only sleeps and locks. One pacer per process.
//!
//! - **Several replicas** ([`Pacer::shared`], with `REDIS_URL`): the bot-wide slot comes from one
//!   schedule in Redis that every replica reserves from (`cache::budget`), so together they stay
//!   within the budget; a 429 pauses them all. Per-chat pacing and the window stay here: a chat's
//!   turns run on one replica at a time. Redis failing: this replica falls back to its share,
//!   `TELEGRAM_SENDS_PER_SECOND / live replicas`, and tries Redis again on the next send.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use teloxide::types::ChatId;
use tokio::sync::Notify;
use tokio::time::{Instant, sleep_until};

use crate::cache::budget::SharedBudget;

/// Telegram's limit for the whole bot: at most this many sends arrive in any [`WINDOW`].
pub const WINDOW_SENDS: usize = 30;
pub const WINDOW: Duration = Duration::from_secs(1);
/// Sends one chat may make at once after a quiet spell (Telegram's bucket holds 3).
pub const CHAT_BURST: u32 = 3;
/// Below this many tracked chats the per-chat map is never swept: sweeping costs a full pass.
const SWEEP_MIN: usize = 1024;

/// How fast sends may go out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rates {
    /// For the whole bot: just under [`WINDOW_SENDS`], so jitter never fills Telegram's window.
    pub per_second: f64,
    /// For one chat, after its burst: just under Telegram's one a second.
    pub per_chat_per_second: f64,
}

/// Whether the head of the queue may send now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Admit {
    Go,
    /// Not before this instant (the schedule is frozen, or the window is full until then).
    At(Instant),
    /// The window is full of sends still in flight: wait for one to finish.
    OnFinish,
}

/// The pacing arithmetic, with time passed in: every method is a pure step of the state.
pub struct Schedule {
    global: Global,
    chats: Chats,
}

impl Schedule {
    pub fn new(rates: Rates, now: Instant) -> Self {
        let chat_interval = interval(rates.per_chat_per_second);
        Schedule {
            global: Global {
                interval: interval(rates.per_second),
                next: now,
                freeze: None,
                in_flight: 0,
                finished: VecDeque::new(),
            },
            chats: Chats {
                interval: chat_interval,
                tolerance: chat_interval * (CHAT_BURST - 1),
                tat: HashMap::new(),
                sweep_at: SWEEP_MIN,
            },
        }
    }

    /// A send to `chat` wanted at `now`: when it may queue for the bot's slot (its chat slot is
    /// booked by this call).
    pub fn chat_slot(&mut self, chat: i64, now: Instant) -> Instant {
        self.chats.reserve(chat, now)
    }

    /// The bot-wide rate from now on (a replica's share changes with the number of replicas).
    pub fn set_rate(&mut self, per_second: f64) {
        self.global.interval = interval(per_second);
    }

    /// The head of the bot's queue reserves the next evenly spaced slot.
    pub fn global_slot(&mut self, now: Instant) -> Instant {
        let slot = self.global.next.max(now);
        self.global.next = slot + self.global.interval;
        slot
    }

    /// At (or after) its `slot`, may the head of the queue send? On [`Admit::Go`] the send counts
    /// as in flight until [`Schedule::done`].
    pub fn admit(&mut self, chat: i64, slot: Instant, now: Instant) -> Admit {
        let g = &mut self.global;
        if let Some(until) = g.freeze.map(|f| f.until).filter(|u| now < *u) {
            return Admit::At(until);
        }
        while g.finished.front().is_some_and(|t| *t + WINDOW <= now) {
            g.finished.pop_front();
        }
        if g.in_flight + g.finished.len() >= WINDOW_SENDS {
            return g.finished.front().map_or(Admit::OnFinish, |t| Admit::At(*t + WINDOW));
        }
        g.in_flight += 1;
        if now > slot + g.interval {
            // Held well past the slot (frozen, or the window was full): the slots after this one
            // keep their spacing from when it actually went.
            g.next = g.next.max(now + g.interval);
        }
        self.chats.book(chat, now);
        Admit::Go
    }

    /// A send admitted earlier finished (answered, failed or abandoned) at `at`.
    pub fn done(&mut self, chat: i64, at: Instant) {
        let g = &mut self.global;
        g.in_flight = g.in_flight.saturating_sub(1);
        let i = g.finished.partition_point(|t| *t <= at);
        g.finished.insert(i, at);
        self.chats.book(chat, at);
    }

    /// Telegram answered 429 anyway: nothing goes out for `retry_after`, and the even spacing
    /// resumes after it. A 429 during a pause can only lengthen it; one in the quiet spell after
    /// a pause (as long as the pause) belongs to the same incident and leaves the schedule alone.
    /// Returns whether the pause was imposed or lengthened.
    pub fn throttled(&mut self, now: Instant, retry_after: Duration) -> bool {
        let until = now + retry_after;
        let g = &mut self.global;
        g.freeze = match g.freeze {
            Some(f) if now < f.until => Some(Freeze { until: f.until.max(until), ..f }),
            Some(f) if now < f.until + (f.until - f.from) => return false,
            _ => Some(Freeze { from: now, until }),
        };
        g.next = g.next.max(until);
        true
    }

    /// Chats with a booking still in the future (idle chats are forgotten).
    pub fn tracked_chats(&self) -> usize {
        self.chats.tat.len()
    }
}

fn interval(per_second: f64) -> Duration {
    Duration::from_secs_f64(1.0 / per_second)
}

struct Global {
    interval: Duration,
    /// The next free slot (virtual time: never drifts with late wake-ups).
    next: Instant,
    /// The last pause a 429 imposed.
    freeze: Option<Freeze>,
    in_flight: usize,
    /// When recent sends finished, oldest first: those less than a [`WINDOW`] ago still count.
    finished: VecDeque<Instant>,
}

#[derive(Clone, Copy)]
struct Freeze {
    from: Instant,
    until: Instant,
}

/// GCRA per chat: `tat` is each chat's theoretical arrival time; a send may go once
/// `now >= tat - tolerance`, which allows [`CHAT_BURST`] at once and then one per `interval`.
struct Chats {
    interval: Duration,
    tolerance: Duration,
    tat: HashMap<i64, Instant>,
    /// Sweep the map when it grows to this size.
    sweep_at: usize,
}

impl Chats {
    fn reserve(&mut self, chat: i64, now: Instant) -> Instant {
        self.sweep(now);
        let tat = self.tat.get(&chat).copied().unwrap_or(now);
        let at = tat.checked_sub(self.tolerance).map_or(now, |t| t.max(now));
        self.tat.insert(chat, tat.max(at) + self.interval);
        at
    }

    /// The send happened (or finished) at `at`: the chat's next slot is no earlier than one
    /// interval after it. The reservation already counted this send, so this only moves later.
    fn book(&mut self, chat: i64, at: Instant) {
        let next = at + self.interval;
        let tat = self.tat.entry(chat).or_insert(next);
        *tat = (*tat).max(next);
    }

    /// A chat whose `tat` has passed is exactly like one never seen: forgetting it changes no
    /// decision. Sweeping when the map doubles keeps the cost amortised constant.
    fn sweep(&mut self, now: Instant) {
        if self.tat.len() < self.sweep_at {
            return;
        }
        self.tat.retain(|_, tat| *tat > now);
        self.sweep_at = (self.tat.len() * 2).max(SWEEP_MIN);
    }
}

/// The process's pacer: [`Schedule`] behind a lock, with the waiting done here.
pub struct Pacer {
    /// False when the Bot API server has no limits (`TELEGRAM_PACING=off`: a local Bot API
    /// server, or measuring the bot's own cost with the emulator's limits off).
    enabled: bool,
    schedule: Mutex<Schedule>,
    /// The bot's queue: tokio's mutex is fair (FIFO), and the head holds it until it is released.
    queue: tokio::sync::Mutex<()>,
    finished: Notify,
    /// The budget shared with the other replicas, when there is Redis.
    shared: Option<Shared>,
    /// Sends let out (`mluvme_telegram_sends_total`): the budget used, on the dashboard.
    sends: prometheus_client::metrics::counter::Counter,
}

struct Shared {
    budget: SharedBudget,
    /// The whole bot's rate, divided among `replicas` when Redis cannot be asked.
    per_second: f64,
    replicas: Arc<AtomicUsize>,
}

/// Permission for one send; dropping it (after the request, or when the send is abandoned)
/// records when it finished.
#[must_use = "the send counts as in flight until the slot is dropped"]
pub struct Slot<'a> {
    pacer: &'a Pacer,
    chat: i64,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if !self.pacer.enabled {
            return;
        }
        self.pacer.lock().done(self.chat, Instant::now());
        self.pacer.finished.notify_waiters();
    }
}

impl Pacer {
    pub fn new(rates: Rates) -> Self {
        Pacer {
            enabled: true,
            schedule: Mutex::new(Schedule::new(rates, Instant::now())),
            queue: Default::default(),
            finished: Notify::new(),
            shared: None,
            sends: Default::default(),
        }
    }

    /// Counts every send let out in `sends` (the metrics' counter).
    pub fn count_sends(mut self, sends: prometheus_client::metrics::counter::Counter) -> Self {
        self.sends = sends;
        self
    }

    /// A pacer whose bot-wide budget is `budget`, shared with the other replicas; while Redis is
    /// unavailable it sends at `rates.per_second / replicas`.
    pub fn shared(rates: Rates, budget: SharedBudget, replicas: Arc<AtomicUsize>) -> Self {
        Pacer {
            shared: Some(Shared { budget, per_second: rates.per_second, replicas }),
            ..Pacer::new(rates)
        }
    }

    /// A pacer that lets every send go at once.
    pub fn unlimited() -> Self {
        Pacer { enabled: false, ..Pacer::new(Rates { per_second: 30.0, per_chat_per_second: 1.0 }) }
    }

    /// Returns when a send to `chat` may go out: first the chat's own pace, then the bot's slot
    /// in arrival order. Hold the slot for the duration of the request.
    pub async fn acquire(&self, chat: ChatId) -> Slot<'_> {
        self.sends.inc();
        if !self.enabled {
            return Slot { pacer: self, chat: chat.0 };
        }
        let ready = self.lock().chat_slot(chat.0, Instant::now());
        wait_until(ready).await;
        let _head = self.queue.lock().await;
        let slot = self.global_slot().await;
        wait_until(slot).await;
        loop {
            // Created before the check, so a send finishing in between is not missed.
            let finished = self.finished.notified();
            let admit = self.lock().admit(chat.0, slot, Instant::now());
            match admit {
                Admit::Go => return Slot { pacer: self, chat: chat.0 },
                Admit::At(t) => sleep_until(t).await,
                Admit::OnFinish => finished.await,
            }
        }
    }

    /// The bot-wide slot: from the shared schedule when Redis answers, else from this replica's
    /// share of the budget.
    async fn global_slot(&self) -> Instant {
        let Some(shared) = &self.shared else { return self.lock().global_slot(Instant::now()) };
        if let Some(reservation) = shared.budget.reserve().await {
            return Instant::now() + reservation.wait();
        }
        let replicas = shared.replicas.load(Ordering::Relaxed).max(1);
        let mut schedule = self.lock();
        schedule.set_rate(shared.per_second / replicas as f64);
        schedule.global_slot(Instant::now())
    }

    /// Telegram answered 429 with `retry_after`: the whole schedule moves back by as much (every
    /// replica's, when the budget is shared).
    pub fn throttled(&self, retry_after: Duration) {
        if !self.enabled {
            return;
        }
        let new_pause = self.lock().throttled(Instant::now(), retry_after);
        if let (true, Some(shared)) = (new_pause, &self.shared) {
            let budget = shared.budget.clone();
            tokio::spawn(async move { budget.throttled(retry_after).await });
        }
    }

    fn lock(&self) -> MutexGuard<'_, Schedule> {
        // The critical sections are plain arithmetic; a poisoned lock still holds a usable state.
        self.schedule.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Sleeps only when there is something to wait for: a slot already due goes without a trip
/// through the timer (and keeps its place in the queue).
async fn wait_until(at: Instant) {
    if at > Instant::now() {
        sleep_until(at).await;
    }
}

#[cfg(test)]
#[path = "pace_tests.rs"]
mod tests;
