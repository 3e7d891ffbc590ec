//! Redis (`REDIS_URL`) and its in-process equivalents: the per-learner turn limit, Honzík's voice
//! cache, the Telegram send budget shared by replicas — and a Redis that dies and comes back.
//!
//! Tests on a shared Redis read `TEST_REDIS_URL` (scripts/test-all.sh starts one; each test uses
//! its own database number); tests that stop Redis start a private `redis-server` on a free port.
//! Without either: a visible SKIP line, or a failure with `CI=true`.

use std::process::{Command, Stdio};
use std::time::Duration;

use emulators::Endpoint;
use emulators::telegram::{BotMessageKind, Learner};
use mluvme::cache::budget::SharedBudget;
use mluvme::cache::rate::{RateLimiter, Verdict};
use mluvme::cache::redis::Redis;

use crate::common::services::{PrivateRedis, skip};
use crate::common::{TestApp, spawn_app};

/// The shared test Redis, database `db` (1–15, one per test, so their keys never meet), emptied.
fn shared_redis(db: u8) -> Option<String> {
    match std::env::var("TEST_REDIS_URL") {
        Ok(url) => {
            let url = format!("{}/{db}", url.trim_end_matches('/'));
            let _ = Command::new("redis-cli")
                .args(["-u", &url, "FLUSHDB"])
                .stdout(Stdio::null())
                .status();
            Some(url)
        }
        Err(_) => {
            skip("redis", "TEST_REDIS_URL is not set");
            None
        }
    }
}

/// Restarts the bot with these settings on top of the harness's.
async fn restart_with(app: &mut TestApp, env: &[(&str, &str)]) {
    app.stop().await;
    for (k, v) in env {
        app.set_env(k, v);
    }
    app.start_again().await;
}

/// One text turn; true when Honzík answered it, false when the learner was asked to slow down.
async fn turn(app: &TestApp, l: &Learner, text: &str) -> bool {
    let sent = l.send_text(text);
    let replies = app.replies_to(l, sent.message_id, false).await;
    if replies.iter().any(|m| m.text.as_deref().is_some_and(|t| t.contains("🐢"))) {
        return false;
    }
    app.wait_until(|| {
        l.messages()
            .iter()
            .any(|m| m.reply_to == Some(sent.message_id) && m.kind == BotMessageKind::Voice)
    })
    .await;
    true
}

/// Ten turns in a minute are answered, the eleventh is refused with when to try again, and the
/// model never sees it; six seconds later one more goes through.
async fn eleventh_turn_is_slowed_down(app: &TestApp, user: i64) {
    let l = app.learner(user, "en");
    app.onboard(&l, "en", "beginner").await;
    let asked = chat_turns(app);
    for i in 0..10 {
        assert!(
            turn(app, &l, &format!("Mám rád pivo číslo {i}.")).await,
            "turn {} is within the limit",
            i + 1
        );
    }
    let sent = l.send_text("Ještě jedno pivo, prosím.");
    let replies = app.replies_to(&l, sent.message_id, false).await;
    assert_eq!(replies.len(), 1, "{replies:#?}");
    let text = replies[0].text.clone().unwrap_or_default();
    assert!(text.contains("Slow down") && text.contains("6 s"), "told to wait six seconds: {text}");
    app.settle().await;
    assert_eq!(chat_turns(app) - asked, 10, "the eleventh turn was not paid for");
    app.clock.advance(chrono::Duration::seconds(6));
    assert!(turn(app, &l, "Tak teď jedno pivo.").await, "after the wait the learner goes on");
}

fn chat_turns(app: &TestApp) -> usize {
    app.ai
        .requests()
        .iter()
        .filter(|r| r.endpoint == Endpoint::Chat && crate::common::is_turn(&r.body))
        .count()
}

#[tokio::test]
async fn the_eleventh_turn_within_a_minute_is_asked_to_slow_down_without_redis() {
    let mut app = spawn_app().await;
    restart_with(&mut app, &[("TURNS_PER_MINUTE", "10")]).await;
    eleventh_turn_is_slowed_down(&app, 1501).await;
}

#[tokio::test]
async fn the_turn_limit_works_the_same_in_redis_and_survives_a_restart_of_the_bot() {
    let Some(url) = shared_redis(1) else { return };
    let mut app = spawn_app().await;
    restart_with(&mut app, &[("TURNS_PER_MINUTE", "10"), ("REDIS_URL", &url)]).await;
    eleventh_turn_is_slowed_down(&app, 1502).await;
    // The limit lives in Redis, not in the process: a restarted (or another) replica knows it.
    app.stop().await;
    app.start_again().await;
    let l = app.learner(1502, "en");
    let sent = l.send_text("A ještě jedno.");
    let replies = app.replies_to(&l, sent.message_id, false).await;
    assert!(
        replies.iter().any(|m| m.text.as_deref().is_some_and(|t| t.contains("Slow down"))),
        "{replies:#?}"
    );
}

#[tokio::test]
async fn the_in_process_and_redis_limiters_give_the_same_verdicts() {
    let Some(url) = shared_redis(2) else { return };
    let redis = Redis::connect(&url).await.unwrap();
    let (local, shared) = (RateLimiter::new(3, None), RateLimiter::new(3, Some(redis)));
    let t0 = chrono::DateTime::from_timestamp(1_900_000_000, 0).unwrap();
    let user = 1_000_000 + i64::from(std::process::id());
    // Update 3 asks twice (a resumed turn): the second time it is let through uncounted.
    for (update, offset_ms) in [
        (1, 0),
        (2, 0),
        (3, 1),
        (3, 1),
        (4, 2),
        (5, 19_999),
        (6, 20_002),
        (7, 20_003),
        (8, 95_000),
        (9, 95_000),
    ] {
        let now = t0 + chrono::Duration::milliseconds(offset_ms);
        let (a, b) = (local.check(user, update, now).await, shared.check(user, update, now).await);
        assert_eq!(a, b, "update {update} at +{offset_ms} ms");
    }
    assert_eq!(
        local.check(user, 10, t0 + chrono::Duration::milliseconds(95_000)).await,
        Verdict::Go
    );
}

#[tokio::test]
async fn a_repeated_text_is_voiced_once_in_process_and_in_redis() {
    let url = shared_redis(3);
    for (user, redis) in [(1503, None), (1504, url.as_deref())] {
        let mut app = spawn_app().await;
        let mut env = vec![("TTS_CACHE", "on")];
        if let Some(url) = redis {
            env.push(("REDIS_URL", url));
        }
        restart_with(&mut app, &env).await;
        let l = app.learner(user, "en");
        app.onboard(&l, "en", "beginner").await;
        // A text unique to this run, so the shared Redis holds no voice for it yet.
        let text = format!("Ahoj, já jsem {user} a {} rád pivo.", std::process::id());
        for _ in 0..3 {
            assert!(turn(&app, &l, &text).await);
        }
        assert_eq!(
            app.ai.calls(Endpoint::Speech),
            1,
            "Honzík said the same words three times, voiced once (redis: {})",
            redis.is_some()
        );
        let voices: Vec<_> = l
            .messages()
            .into_iter()
            .filter(|m| m.kind == BotMessageKind::Voice)
            .map(|m| m.file_bytes)
            .collect();
        assert_eq!(voices.len(), 3);
        assert!(voices.iter().all(|v| v == &voices[0]), "the same audio each time");
        let q = format!(
            "SELECT COUNT(*) AS n FROM usage WHERE user_id = {user} AND kind = 'tts' AND cost_micros > 0"
        );
        assert_eq!(app.count(&q).await, 1, "only the request is paid for");
    }
}

#[tokio::test]
async fn with_redis_stopped_turns_are_answered_and_redis_is_used_again_once_back() {
    let Some(mut redis) = PrivateRedis::start() else { return };
    let mut app = spawn_app().await;
    restart_with(
        &mut app,
        &[("TTS_CACHE", "on"), ("TURNS_PER_MINUTE", "1"), ("REDIS_URL", &redis.url())],
    )
    .await;
    let l = app.learner(1505, "en");
    app.onboard(&l, "en", "beginner").await;
    let text = "Mám rád knedlíky a pivo.";
    assert!(turn(&app, &l, text).await);
    assert_eq!(app.ai.calls(Endpoint::Speech), 1);

    redis.stop();
    app.clock.advance(chrono::Duration::minutes(1));
    assert!(turn(&app, &l, text).await, "answered with Redis down");
    assert!(
        turn(&app, &l, text).await,
        "the limit fails open: a second turn in the same minute is answered too"
    );
    assert_eq!(app.ai.calls(Endpoint::Speech), 3, "the voice cache misses while Redis is down");

    redis.restart();
    // Fred reconnects by itself: turns go on until one's voice lands in the (new, empty) Redis.
    let mut cached = false;
    for _ in 0..40 {
        app.clock.advance(chrono::Duration::minutes(1));
        assert!(turn(&app, &l, text).await);
        if !redis.cli(&["--scan", "--pattern", "mluvme:tts:*"]).trim().is_empty() {
            cached = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(cached, "Redis came back and the voice was cached in it");
    let voiced = app.ai.calls(Endpoint::Speech);
    app.clock.advance(chrono::Duration::minutes(1));
    assert!(turn(&app, &l, text).await);
    assert_eq!(app.ai.calls(Endpoint::Speech), voiced, "the voice came from Redis");
    assert!(!turn(&app, &l, text).await, "and the limit holds again: one turn a minute");
}

#[tokio::test]
async fn two_replicas_sharing_one_redis_never_reserve_send_slots_closer_than_the_bots_rate() {
    let Some(url) = shared_redis(4) else { return };
    let bot_id = 7_000_000 + u64::from(std::process::id());
    let (a, b) = (Redis::connect(&url).await.unwrap(), Redis::connect(&url).await.unwrap());
    let (a, b) = (SharedBudget::new(a, bot_id, 29.0), SharedBudget::new(b, bot_id, 29.0));
    let take = |budget: SharedBudget| {
        tokio::spawn(async move {
            let mut slots = Vec::new();
            for _ in 0..40 {
                slots.push(budget.reserve().await.expect("Redis answers").slot_us);
            }
            slots
        })
    };
    let (x, y) = (take(a), take(b));
    let mut slots = x.await.unwrap();
    slots.extend(y.await.unwrap());
    slots.sort_unstable();
    let interval = (1_000_000.0f64 / 29.0).ceil() as i64;
    for pair in slots.windows(2) {
        assert!(pair[1] - pair[0] >= interval, "two slots {} µs apart", pair[1] - pair[0]);
    }
    // Hence at most 30 in any second, whichever replica sends.
    for (i, s) in slots.iter().enumerate() {
        assert!(slots[i..].iter().take_while(|t| **t < s + 1_000_000).count() <= 30);
    }
}

#[tokio::test]
async fn the_shared_budget_falls_back_while_redis_is_down_and_comes_back_by_itself() {
    let Some(mut redis) = PrivateRedis::start() else { return };
    let budget = SharedBudget::new(Redis::connect(&redis.url()).await.unwrap(), 1, 29.0);
    assert!(budget.reserve().await.is_some());
    redis.stop();
    let mut down = false;
    for _ in 0..20 {
        if budget.reserve().await.is_none() {
            down = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(down, "a dead Redis is noticed (the pacer then sends at its share)");
    redis.restart();
    let mut back = false;
    for _ in 0..60 {
        if budget.reserve().await.is_some() {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "the shared budget is used again once Redis is back");
}
