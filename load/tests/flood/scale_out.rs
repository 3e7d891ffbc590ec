//! Beyond one machine, as in production on Fly.io: two replicas of the real binary in webhook
//! mode behind the Telegram emulator (which spreads deliveries over them like a load balancer),
//! one PostgreSQL database and one Redis, driven by the load generator — and Redis dying for ten
//! seconds in the middle of it, during which one replica is killed and restarted.

use std::time::Duration;

use emulators::latency::{LatencyProfile, LatencyRange};
use load::flood::options::Kill;
use load::flood::{Options, run};

use crate::bot_binary;
use crate::services::{PrivateRedis, fresh_postgres_database};

#[tokio::test]
async fn two_webhook_replicas_answer_every_update_once_in_order_through_a_redis_outage_and_a_kill()
{
    let Some(database_url) = fresh_postgres_database().await else { return };
    let Some(mut redis) = PrivateRedis::start() else { return };
    let opts = Options {
        users: 12,
        // Long enough for Redis to be down for 10 s in the middle and back for the end.
        duration: Some(Duration::from_secs(18)),
        think_ms: (300, 700),
        bot: bot_binary(),
        reply_timeout_s: 60,
        database_url: Some(database_url),
        replicas: 2,
        webhook: true,
        bot_env: vec![("REDIS_URL".into(), redis.url())],
        // And replica 0 is killed (SIGKILL) while Redis is down, and restarted under its name.
        kills: vec![Kill::At(Duration::from_secs(9))],
        ..Options::default()
    };
    let flood = tokio::spawn(async move { run(&opts).await });
    tokio::time::sleep(Duration::from_secs(5)).await;
    redis.stop();
    tokio::time::sleep(Duration::from_secs(10)).await;
    redis.restart();
    let report = flood.await.unwrap().expect("the flood runs");
    eprintln!("{}", report.table());

    assert!(report.violations.is_empty(), "{}", report.table());
    assert_eq!(report.onboarded, 12, "{}", report.table());
    let r = &report.reliability;
    assert!(r.turns_sent > 0, "{}", report.table());
    assert_eq!(
        report.turns_answered + report.turns_with_notice,
        r.turns_sent,
        "nothing lost: {}",
        report.table()
    );
    let served = &report.telegram.webhook_deliveries;
    assert_eq!(served.len(), 2, "both replicas took deliveries: {served:?}");
    assert!(served.iter().all(|(_, n)| *n > 10), "{served:?}");
}

#[tokio::test]
async fn a_replica_that_dies_has_its_chats_taken_over_once_their_leases_expire() {
    // PostgreSQL only, and already run in the suite's first pass: not again under TEST_DB.
    if std::env::var("TEST_DB").is_ok_and(|v| v == "postgres") {
        return;
    }
    let Some(database_url) = fresh_postgres_database().await else { return };
    let slow = LatencyRange::ms(1500, 2500);
    let opts = Options {
        users: 16,
        duration: Some(Duration::from_secs(12)),
        think_ms: (200, 500),
        // Slow answers, so replica 0 holds chats with turns under way when it dies.
        latency: LatencyProfile { chat: slow, ..LatencyProfile::zero() },
        bot: bot_binary(),
        // A turn sent before the kill must be answered within 20 s, long before replica 0 is
        // back (at 28 s): only replica 1 taking its chats over can answer it.
        reply_timeout_s: 20,
        database_url: Some(database_url),
        replicas: 2,
        webhook: true,
        // A lease must outlast the stop's grace period (checked at start-up).
        bot_env: vec![
            ("CHAT_LEASE_SECONDS".into(), "4".into()),
            ("SHUTDOWN_GRACE_SECONDS".into(), "3".into()),
        ],
        kills: vec![Kill::At(Duration::from_secs(3))],
        restart_after: Duration::from_secs(25),
        ..Options::default()
    };
    let report = run(&opts).await.expect("the flood runs");
    eprintln!("{}", report.table());
    assert!(report.violations.is_empty(), "{}", report.table());
    let r = &report.reliability;
    assert!(r.turns_in_flight_at_kills > 0, "the kill caught turns under way: {}", report.table());
    assert_eq!(
        report.turns_answered + report.turns_with_notice,
        r.turns_sent,
        "nothing lost: {}",
        report.table()
    );
    assert_eq!(r.lost, 0);
}
