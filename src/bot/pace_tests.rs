//! The pacing arithmetic in virtual time: a discrete-event model of many chats sending through
//! [`Schedule`] exactly as [`Pacer::acquire`] does, checked against a model of Telegram's limits
//! (the emulator's `flood_check`) and against fairness bounds.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::time::Instant;

use super::*;

const RATES: Rates = Rates { per_second: 29.0, per_chat_per_second: 0.95 };

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// How long a request takes to reach Telegram, and then to come back.
type Latency = Box<dyn FnMut() -> (Duration, Duration)>;

fn fixed(to: Duration, back: Duration) -> Latency {
    Box::new(move || (to, back))
}

fn jittery(seed: u64, max_to: Duration, max_back: Duration) -> Latency {
    let mut rng = StdRng::seed_from_u64(seed);
    Box::new(move || (max_to.mul_f64(rng.random::<f64>()), max_back.mul_f64(rng.random::<f64>())))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// The chat wants to send its next message.
    Want(i64),
    /// The chat's own slot has come: it joins the bot's queue.
    Queue(i64),
    /// The head of the queue checks whether it may go (its chat, its global slot).
    Admit(i64, Instant),
    /// A send of the chat finished.
    Finish(i64),
}

/// One send as it happened.
#[derive(Debug, Clone, Copy)]
struct Sent {
    chat: i64,
    /// Its place among the chat's sends, from 1.
    nth: usize,
    admitted: Instant,
    arrived: Instant,
}

/// Runs `chats` (id, first wish, number of sequential sends) to completion; sends are in
/// admission order. Also returns the most chats the schedule tracked at once.
fn simulate(
    schedule: &mut Schedule,
    chats: &[(i64, Instant, usize)],
    mut latency: Latency,
) -> (Vec<Sent>, usize) {
    let mut events = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |events: &mut BinaryHeap<_>, at: Instant, e: Event| {
        seq += 1;
        events.push(Reverse((at, seq, e)));
    };
    let mut left: HashMap<i64, usize> = HashMap::new();
    for &(chat, at, n) in chats {
        left.insert(chat, n);
        push(&mut events, at, Event::Want(chat));
    }
    let (mut queue, mut head_busy, mut waiting_for_finish) = (VecDeque::new(), false, None);
    let (mut sent, mut count, mut most_tracked) = (Vec::new(), HashMap::<i64, usize>::new(), 0);
    while let Some(Reverse((now, _, event))) = events.pop() {
        match event {
            Event::Want(chat) => {
                let at = schedule.chat_slot(chat, now);
                push(&mut events, at, Event::Queue(chat));
            }
            Event::Queue(chat) => queue.push_back(chat),
            Event::Admit(chat, slot) => match schedule.admit(chat, slot, now) {
                Admit::Go => {
                    let n = count.entry(chat).or_default();
                    *n += 1;
                    let (to, back) = latency();
                    sent.push(Sent { chat, nth: *n, admitted: now, arrived: now + to });
                    push(&mut events, now + to + back, Event::Finish(chat));
                    head_busy = false;
                }
                Admit::At(t) => {
                    assert!(t > now, "waits for a later instant");
                    push(&mut events, t, Event::Admit(chat, slot));
                }
                Admit::OnFinish => waiting_for_finish = Some((chat, slot)),
            },
            Event::Finish(chat) => {
                schedule.done(chat, now);
                if let Some((c, slot)) = waiting_for_finish.take() {
                    push(&mut events, now, Event::Admit(c, slot));
                }
                let n = left.get_mut(&chat).unwrap();
                *n -= 1;
                if *n > 0 {
                    push(&mut events, now, Event::Want(chat));
                }
            }
        }
        most_tracked = most_tracked.max(schedule.tracked_chats());
        // The gate: the next in line becomes the head once the previous one went.
        if !head_busy && let Some(chat) = queue.pop_front() {
            head_busy = true;
            let slot = schedule.global_slot(now);
            push(&mut events, slot, Event::Admit(chat, slot));
        }
    }
    (sent, most_tracked)
}

/// The emulator's `flood_check` over the arrivals: `Err` names the first send Telegram refuses.
fn telegram_refuses(sent: &[Sent]) -> Result<(), String> {
    let mut arrivals: Vec<&Sent> = sent.iter().collect();
    arrivals.sort_by_key(|s| s.arrived);
    let mut window: VecDeque<Instant> = VecDeque::new();
    let mut buckets: HashMap<i64, (f64, Instant)> = HashMap::new();
    for s in arrivals {
        let now = s.arrived;
        while window.front().is_some_and(|t| now.duration_since(*t).as_secs_f64() >= 1.0) {
            window.pop_front();
        }
        if window.len() >= 30 {
            return Err(format!("429 (bot window) for {s:?}"));
        }
        let (tokens, refilled) = buckets.entry(s.chat).or_insert((3.0, now));
        *tokens = (*tokens + now.duration_since(*refilled).as_secs_f64()).min(3.0);
        *refilled = now;
        if *tokens < 1.0 {
            return Err(format!("429 (chat bucket) for {s:?}"));
        }
        *tokens -= 1.0;
        window.push_back(now);
    }
    Ok(())
}

fn interval_of(per_second: f64) -> Duration {
    Duration::from_secs_f64(1.0 / per_second)
}

#[test]
fn slots_are_evenly_spaced_at_the_configured_rate() {
    let t0 = Instant::now();
    let mut s = Schedule::new(RATES, t0);
    let chats: Vec<_> = (0..100).map(|c| (c, t0, 1)).collect();
    let (sent, _) = simulate(&mut s, &chats, fixed(ms(1), ms(1)));
    assert_eq!(sent.len(), 100);
    assert_eq!(sent[0].admitted, t0, "an idle bot sends at once");
    for pair in sent.windows(2) {
        assert_eq!(pair[1].admitted - pair[0].admitted, interval_of(29.0));
    }
    telegram_refuses(&sent).unwrap();
}

#[test]
fn a_chat_gets_its_burst_then_a_little_under_one_a_second() {
    let t0 = Instant::now();
    let mut s = Schedule::new(RATES, t0);
    let (sent, _) = simulate(&mut s, &[(7, t0, 8)], fixed(ms(5), ms(5)));
    let chat = interval_of(0.95);
    for (i, send) in sent.iter().enumerate() {
        if i < 3 {
            assert!(send.admitted < t0 + ms(100), "the burst goes at once: {send:?}");
        } else {
            let due = t0 + chat * (i as u32 - 2);
            assert!(send.admitted >= due, "one per interval after the burst: {sent:#?}");
            assert!(send.admitted <= due + ms(100), "and no slower: {sent:#?}");
        }
    }
    telegram_refuses(&sent).unwrap();
}

#[test]
fn a_long_backlog_runs_at_the_configured_rate_without_a_single_429() {
    let t0 = Instant::now();
    let mut s = Schedule::new(RATES, t0);
    let chats: Vec<_> = (0..300).map(|c| (c, t0, 10)).collect();
    let (sent, _) = simulate(&mut s, &chats, fixed(ms(20), ms(20)));
    assert_eq!(sent.len(), 3000);
    let span = (sent.last().unwrap().admitted - t0).as_secs_f64();
    let rate = (sent.len() - 1) as f64 / span;
    assert!(rate >= 0.99 * 29.0, "{rate:.2} sends/s of 29");
    telegram_refuses(&sent).unwrap();
}

#[test]
fn a_thousand_chats_share_the_bot_fairly() {
    let t0 = Instant::now();
    let mut s = Schedule::new(RATES, t0);
    let (n_chats, per_chat, lat) = (1000usize, 3usize, ms(10));
    let chats: Vec<_> = (0..n_chats as i64).map(|c| (c, t0, per_chat)).collect();
    let (sent, _) = simulate(&mut s, &chats, fixed(lat, lat));
    assert_eq!(sent.len(), n_chats * per_chat);
    // Round n of everyone's sends is served before anyone's round n + 1 would be: a chat's n-th
    // send waits at most for n rounds of all the others, plus its own round trips.
    let gi = interval_of(29.0);
    for send in &sent {
        let n = send.nth as u32;
        let bound = t0 + gi * (n * n_chats as u32) + (gi + lat * 2) * n;
        assert!(
            send.admitted <= bound,
            "chat {} waited past its fair share for send {n}",
            send.chat
        );
    }
    telegram_refuses(&sent).unwrap();
}

#[test]
fn delays_between_the_slot_and_telegram_never_cost_a_429() {
    let t0 = Instant::now();
    for (seed, to, back) in [(1, ms(200), ms(50)), (2, ms(40), ms(5)), (3, ms(1500), ms(300))] {
        let mut s = Schedule::new(RATES, t0);
        let chats: Vec<_> = (0..200).map(|c| (c, t0 + ms(c as u64 * 7), 8)).collect();
        let (sent, _) = simulate(&mut s, &chats, jittery(seed, to, back));
        assert_eq!(sent.len(), 1600);
        telegram_refuses(&sent).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

#[test]
fn the_window_counts_sends_still_in_flight() {
    let t0 = Instant::now();
    let mut s = Schedule::new(Rates { per_second: 1000.0, per_chat_per_second: 0.95 }, t0);
    for chat in 0..WINDOW_SENDS as i64 {
        let slot = s.global_slot(t0);
        assert_eq!(s.admit(chat, slot, t0 + ms(50)), Admit::Go);
    }
    let slot = s.global_slot(t0 + ms(50));
    assert_eq!(
        s.admit(99, slot, t0 + ms(50)),
        Admit::OnFinish,
        "30 in flight: wait for one to finish"
    );
    s.done(0, t0 + ms(300));
    assert_eq!(
        s.admit(99, slot, t0 + ms(300)),
        Admit::At(t0 + ms(1300)),
        "then a second after it finished"
    );
    assert_eq!(s.admit(99, slot, t0 + ms(1300)), Admit::Go);
}

#[test]
fn a_429_pushes_the_whole_schedule_back() {
    let t0 = Instant::now();
    let mut s = Schedule::new(RATES, t0);
    let slot = s.global_slot(t0);
    assert_eq!(s.admit(1, slot, t0), Admit::Go);
    s.throttled(t0 + ms(10), Duration::from_secs(3));
    let slot = s.global_slot(t0 + ms(20));
    assert!(slot >= t0 + ms(3010), "the next slot comes after the pause");
    assert_eq!(
        s.admit(2, t0 + ms(20), t0 + ms(20)),
        Admit::At(t0 + ms(3010)),
        "a slot already reserved waits too"
    );
    s.throttled(t0 + ms(30), Duration::from_secs(1));
    assert_eq!(
        s.admit(2, slot, t0 + ms(40)),
        Admit::At(t0 + ms(3010)),
        "a shorter pause never shortens a longer one"
    );
    s.throttled(t0 + ms(1000), Duration::from_secs(4));
    assert_eq!(
        s.admit(2, slot, t0 + ms(1010)),
        Admit::At(t0 + ms(5000)),
        "a longer one lengthens it"
    );
    assert_eq!(s.admit(2, slot, t0 + ms(5000)), Admit::Go);
}

#[test]
fn a_steady_trickle_of_429s_pauses_the_bot_at_most_half_the_time() {
    let t0 = Instant::now();
    let mut s = Schedule::new(RATES, t0);
    let (mut paused, mut due) = (Duration::ZERO, 0u32);
    // Two 429s (retry_after 1 s) queued every second for a minute, each the answer to the next
    // send, whatever the bot does (the load generator's fault injection); the bot would send
    // every 50 ms.
    for tick in 0..1200u64 {
        let now = t0 + ms(tick * 50);
        if tick % 10 == 0 {
            due += 1;
        }
        match s.admit(tick as i64, now, now) {
            Admit::Go => {
                if due > 0 {
                    due -= 1;
                    s.throttled(now, Duration::from_secs(1));
                }
                s.done(tick as i64, now);
            }
            _ => paused += ms(50),
        }
    }
    assert!(paused <= Duration::from_secs(31), "paused {paused:?} of 60 s");
    assert!(paused >= Duration::from_secs(25), "but it does pause: {paused:?}");
}

#[test]
fn idle_chats_are_forgotten() {
    let t0 = Instant::now();
    let mut s = Schedule::new(RATES, t0);
    // 20,000 different chats, 20 new ones a second, for 1,000 s.
    let chats: Vec<_> = (0..20_000).map(|c| (c, t0 + ms(c as u64 * 50), 1)).collect();
    let (sent, most) = simulate(&mut s, &chats, fixed(ms(5), ms(5)));
    assert_eq!(sent.len(), 20_000);
    assert!(most <= SWEEP_MIN, "the per-chat map stays bounded: {most}");
}

#[tokio::test]
async fn the_pacer_serves_first_come_first_served() {
    let pacer =
        std::sync::Arc::new(Pacer::new(Rates { per_second: 30.0, per_chat_per_second: 0.95 }));
    let order = std::sync::Arc::new(Mutex::new(Vec::new()));
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let (pacer, order) = (pacer.clone(), order.clone());
            tokio::spawn(async move {
                let _slot = pacer.acquire(ChatId(i)).await;
                order.lock().unwrap().push(i);
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), (0..12).collect::<Vec<_>>());
    let s = pacer.lock();
    assert_eq!(s.global.in_flight, 0, "every dropped slot finished");
}
