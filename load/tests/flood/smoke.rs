//! A short flood through the load generator, with faults: nothing lost or duplicated (never a
//! timing assertion — the figures belong in BENCHMARKS.md).

use std::time::Duration;

use emulators::latency::{LatencyProfile, LatencyRange};
use emulators::openai::Endpoint;
use load::flood::options::{Faults, Kill, Outage};
use load::flood::{Options, run};

use crate::bot_binary;

#[tokio::test]
async fn a_small_flood_with_faults_loses_and_duplicates_nothing() {
    let opts = Options {
        users: 8,
        turns: 4,
        // Long enough (~2 s) for the 1/s faults to come due whatever the machine's speed.
        think_ms: (200, 400),
        faults: Faults {
            telegram_429_per_s: 0.5,
            openai_5xx_per_s: 1.0,
            openai_429_per_s: 0.5,
            openai_invalid_json_per_s: 1.0,
            ..Faults::default()
        },
        download_delay: Some(Duration::from_millis(20)),
        bot: bot_binary(),
        reply_timeout_s: 60,
        ..Options::default()
    };
    let report = run(&opts).await.expect("the flood runs");
    assert!(report.violations.is_empty(), "{}", report.table());
    assert_eq!(report.onboarded, 8);
    assert_eq!(report.scenarios["onboarding"].actions, 8, "{}", report.table());
    let turns = report
        .scenarios
        .iter()
        .filter(|(k, _)| *k == "voice" || *k == "text")
        .map(|(_, s)| s.actions)
        .sum::<u64>();
    assert_eq!(
        report.turns_answered + report.turns_with_notice,
        turns,
        "every turn ended in an answer or a notice"
    );
    assert!(report.turns_answered > 0);
    assert!(
        report.faults_injected.contains_key("openai_invalid_json_chat"),
        "{:?}",
        report.faults_injected
    );
    let timed: u64 = report.overhead.values().map(|o| o.turns + o.unmatched).sum();
    assert_eq!(
        timed, report.turns_answered,
        "every answered turn is matched to the bot's timings or counted unmatched"
    );
}

#[tokio::test]
async fn a_flood_can_run_for_a_duration_instead_of_a_number_of_turns() {
    let opts = Options {
        users: 3,
        duration: Some(Duration::from_secs(2)),
        think_ms: (50, 100),
        bot: bot_binary(),
        reply_timeout_s: 60,
        ..Options::default()
    };
    let report = run(&opts).await.expect("the flood runs");
    assert!(report.violations.is_empty(), "{}", report.table());
    assert!(
        report
            .scenarios
            .iter()
            .filter(|(k, _)| *k != "onboarding")
            .map(|(_, s)| s.actions)
            .sum::<u64>()
            > 0,
        "{}",
        report.table()
    );
}

/// Turns sent by the learners (voice and text).
fn turns_sent(report: &load::flood::Report) -> u64 {
    report.reliability.turns_sent
}

#[tokio::test]
async fn a_kill_9_mid_flood_and_a_restart_lose_nothing_and_repeat_no_transcription() {
    let opts = Options {
        users: 6,
        turns: 5,
        think_ms: (0, 100),
        latency: LatencyProfile {
            chat: LatencyRange::ms(200, 600),
            transcription: LatencyRange::ms(100, 300),
            speech: LatencyRange::ms(100, 300),
        },
        // Mid-flood whatever the machine's speed: after 8 of the 30 actions' turns.
        kills: vec![Kill::AfterTurns(8)],
        bot: bot_binary(),
        reply_timeout_s: 60,
        ..Options::default()
    };
    let report = run(&opts).await.expect("the flood runs");
    let r = &report.reliability;
    // No turn lost or answered twice beyond the one message a kill may catch going out; every
    // learner message, turn row and answer in the database; nothing left pending in the inbox.
    assert!(report.violations.is_empty(), "{}", report.table());
    assert_eq!(r.kills_at_s.len(), 1, "the kill happened\n{}", report.table());
    assert_eq!((r.lost, r.duplicates), (0, 0));
    assert_eq!(
        report.turns_answered,
        turns_sent(&report),
        "every turn answered\n{}",
        report.table()
    );
    assert!(r.crash_duplicates <= r.turns_in_flight_at_kills);
    // A transcription is repeated only if it was under way at the kill (one more may have been
    // answered upstream and not yet stored at that instant).
    assert!(r.stt_repeated <= (r.stt_in_flight_at_kills + 1) as i64, "{}", report.table());
    assert_eq!(report.bot.processes, 2, "usage covers both processes");
}

#[tokio::test]
async fn openai_5xx_timeouts_and_a_full_outage_end_in_answers() {
    let opts = Options {
        users: 6,
        turns: 4,
        think_ms: (300, 800),
        faults: Faults {
            openai_5xx_per_s: 2.0,
            openai_timeouts_per_s: 1.0,
            openai_endpoints: vec![Endpoint::Chat, Endpoint::Transcription, Endpoint::Speech],
            min_calls_between: 3,
            openai_outage: Some(Outage {
                at: Duration::from_millis(1500),
                length: Duration::from_secs(4),
            }),
            ..Faults::default()
        },
        // A timeout costs 1 s, not 60; an open circuit is probed again after 1 s, not 30.
        bot_env: vec![
            ("OPENAI_TIMEOUT_SECONDS".into(), "1".into()),
            ("OPENAI_BREAKER_COOLDOWN_SECONDS".into(), "1".into()),
        ],
        bot: bot_binary(),
        reply_timeout_s: 60,
        ..Options::default()
    };
    let report = run(&opts).await.expect("the flood runs");
    let r = &report.reliability;
    assert!(report.violations.is_empty(), "{}", report.table());
    assert!(
        r.outage_s.is_some() && r.outage_refused > 0,
        "the outage happened\n{}",
        report.table()
    );
    assert!(
        report.faults_injected.keys().any(|k| k.starts_with("openai_timeout")),
        "{:?}",
        report.faults_injected
    );
    // Every turn answered — directly, or after "Honzík is catching his breath…".
    assert_eq!(report.turns_answered, turns_sent(&report), "{}", report.table());
    assert_eq!((r.lost, r.told_to_wait_unanswered), (0, 0), "{}", report.table());
    assert!(
        r.told_to_wait_then_answered > 0,
        "the outage caught turns and they were answered after it\n{}",
        report.table()
    );
}

#[tokio::test]
async fn telegram_429s_and_5xx_on_every_send_method_still_deliver_every_turn() {
    let opts = Options {
        users: 8,
        turns: 4,
        think_ms: (0, 200),
        faults: Faults {
            telegram_429_per_s: 2.0,
            telegram_5xx_per_s: 2.0,
            telegram_methods: vec!["sendMessage".into(), "sendVoice".into()],
            min_calls_between: 2,
            ..Faults::default()
        },
        bot: bot_binary(),
        reply_timeout_s: 60,
        ..Options::default()
    };
    let report = run(&opts).await.expect("the flood runs");
    assert!(report.violations.is_empty(), "{}", report.table());
    assert_eq!(report.turns_answered, turns_sent(&report), "{}", report.table());
    assert_eq!((report.reliability.lost, report.reliability.duplicates), (0, 0));
    let injected = &report.faults_injected;
    assert!(
        injected.get("telegram_429").is_some_and(|n| *n > 0)
            && injected.get("telegram_5xx").is_some_and(|n| *n > 0),
        "{injected:?}"
    );
}
