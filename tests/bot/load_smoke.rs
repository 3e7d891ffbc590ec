//! A short flood through the load generator, with faults: nothing lost or duplicated (never a
//! timing assertion — the figures belong in BENCHMARKS.md).

use std::time::Duration;

use load::flood::options::Faults;
use load::flood::{Options, run};

#[tokio::test]
async fn a_small_flood_with_faults_loses_and_duplicates_nothing() {
    let opts = Options {
        users: 8,
        turns: 4,
        think_ms: (0, 20),
        faults: Faults {
            telegram_429_per_s: 0.5,
            openai_5xx_per_s: 1.0,
            openai_429_per_s: 0.5,
            openai_invalid_json_per_s: 1.0,
            ..Faults::default()
        },
        download_delay: Some(Duration::from_millis(20)),
        bot: env!("CARGO_BIN_EXE_mluvme").into(),
        reply_timeout_s: 60,
        ..Options::default()
    };
    let report = run(&opts).await.expect("the flood runs");
    assert!(report.violations.is_empty(), "{}", report.table());
    assert_eq!(report.onboarded, 8);
    assert_eq!(report.scenarios["onboarding"].actions, 8, "{}", report.table());
    let turns = report.scenarios.iter().filter(|(k, _)| *k == "voice" || *k == "text").map(|(_, s)| s.actions).sum::<u64>();
    assert_eq!(report.turns_answered + report.turns_with_notice, turns, "every turn ended in an answer or a notice");
    assert!(report.turns_answered > 0);
    assert!(report.faults_injected.contains_key("openai_invalid_json_chat"), "{:?}", report.faults_injected);
    let timed: u64 = report.overhead.values().map(|o| o.turns + o.unmatched).sum();
    assert_eq!(timed, report.turns_answered, "every answered turn is matched to the bot's timings or counted unmatched");
}

#[tokio::test]
async fn a_flood_can_run_for_a_duration_instead_of_a_number_of_turns() {
    let opts = Options {
        users: 3,
        duration: Some(Duration::from_secs(2)),
        think_ms: (50, 100),
        bot: env!("CARGO_BIN_EXE_mluvme").into(),
        reply_timeout_s: 60,
        ..Options::default()
    };
    let report = run(&opts).await.expect("the flood runs");
    assert!(report.violations.is_empty(), "{}", report.table());
    assert!(report.scenarios.iter().filter(|(k, _)| *k != "onboarding").map(|(_, s)| s.actions).sum::<u64>() > 0, "{}", report.table());
}
