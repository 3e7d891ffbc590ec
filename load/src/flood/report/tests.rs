//! `Report::build` on hand-made inputs: what counts as lost, duplicated or disagreeing, and how
//! the figures are computed.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use BotMessageKind::{Photo, Text, Voice};
use emulators::openai::Endpoint;
use emulators::telegram::BotMessageKind;

use super::super::learner::{Outcome, Record};
use super::super::options::Options;
use super::super::script::Action;
use super::super::timings::{DbView, TurnTiming};
use super::*;

/// A record built from offsets.
fn record(
    action: Action,
    update_id: i64,
    t0: Instant,
    replies_ms: &[(u64, BotMessageKind)],
) -> Record {
    Record {
        action,
        message_id: update_id + 1000,
        update_id,
        offered: t0,
        replies: replies_ms.iter().map(|(m, k)| (t0 + Duration::from_millis(*m), *k)).collect(),
        told_to_wait: false,
        copies: 0,
    }
}

fn timing(chat: i64, kind: &str, stt: Option<u64>, llm: u64, tts: u64, total: u64) -> TurnTiming {
    TurnTiming {
        chat_id: chat,
        kind: kind.into(),
        download_ms: stt.map(|_| 2),
        stt_ms: stt,
        llm_ms: Some(llm),
        tts_ms: Some(tts),
        send_ms: Some(5),
        total_ms: Some(total),
        outcome: "answered".into(),
    }
}

/// Two learners: chat 1 has two voice turns and a text turn, chat 2 a voice turn, a notice
/// and /stats.
fn inputs() -> Inputs {
    let t0 = Instant::now();
    let onboarding = |u| Some(record(Action::Onboarding, u, t0, &[(20, Text), (40, Text)]));
    let outcomes = vec![
        Outcome {
            user: 1,
            onboarded: true,
            onboarding: onboarding(1),
            records: vec![
                record(Action::Voice, 11, t0, &[(1000, Voice), (1010, Text)]),
                record(Action::Voice, 12, t0, &[(1200, Voice), (1210, Text)]),
                record(Action::Text, 13, t0, &[(500, Text), (600, Voice)]),
            ],
            out_of_order: 0,
        },
        Outcome {
            user: 2,
            onboarded: true,
            onboarding: onboarding(2),
            records: vec![
                record(Action::Voice, 21, t0, &[(1900, Voice), (1910, Text)]),
                record(Action::Voice, 22, t0, &[(100, Text)]),
                record(Action::Stats, 23, t0, &[(30, Photo)]),
            ],
            out_of_order: 0,
        },
    ];
    let mut turns = HashMap::new();
    turns.insert(11, timing(1, "voice", Some(200), 500, 250, 990));
    turns.insert(12, timing(1, "voice", Some(200), 600, 300, 1150));
    turns.insert(13, timing(1, "text", None, 400, 150, 590));
    turns.insert(21, timing(2, "voice", Some(300), 600, 300, 1300));
    turns.insert(
        22,
        TurnTiming {
            outcome: "notice:upstream-busy".into(),
            llm_ms: None,
            tts_ms: None,
            ..timing(2, "voice", Some(300), 0, 0, 95)
        },
    );
    let ai = AiSeen {
        consumption: Consumption {
            chat_requests: 6,
            summary_requests: 1,
            prompt_tokens: 5000,
            completion_tokens: 500,
            chat_usd: 0.01,
            stt_requests: 4,
            ..Default::default()
        },
        latency: vec![
            (Endpoint::Chat, 6, Duration::from_millis(3000)),
            (Endpoint::Transcription, 4, Duration::from_millis(1000)),
        ],
        fault_calls: 6,
        outage_refused: 0,
    };
    let updates = [11, 12, 13, 21, 22, 23];
    Inputs {
        outcomes,
        elapsed: Duration::from_secs(10),
        bot: Usage { peak_rss_mib: 80.0, cpu_seconds: 0.5, processes: 1 },
        generator_cpu_seconds: 0.3,
        db: DbView {
            answered: 4,
            turns,
            learner_messages: updates.into_iter().collect(),
            honzik_messages: [11, 12, 13, 21].into_iter().collect(),
            inbox: [("done".to_owned(), 14)].into(),
        },
        lagged: 0,
        sends: SendTimes::from_secs(vec![0.0, 0.5, 1.0, 1.5, 2.0]),
        injected: [("telegram_429".to_owned(), 3), ("openai_5xx_chat".to_owned(), 2)].into(),
        tg: TgSeen {
            send_calls: 9,
            throttled_429: 1,
            fault_calls: 6,
            webhook_deliveries: Vec::new(),
        },
        ai,
        events: Events::default(),
    }
}

#[test]
fn scenarios_count_time_and_classify_every_action() {
    let r = Report::build(&Options { users: 2, ..Options::default() }, inputs());
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert_eq!((r.turns_answered, r.turns_with_notice), (4, 1));
    let voice = &r.scenarios["voice"];
    assert_eq!(voice.actions, 4, "the notice is timed too");
    assert!((voice.per_second - 0.4).abs() < 1e-9);
    assert_eq!(voice.max_ms, 1910);
    assert_eq!(voice.errors, [("notice:upstream-busy".to_owned(), 1)].into());
    assert!((voice.messages_per_action - 7.0 / 4.0).abs() < 1e-9);
    assert_eq!(r.scenarios["onboarding"].actions, 2);
    assert_eq!(r.scenarios["onboarding"].max_ms, 40);
    assert_eq!(r.scenarios["stats"].actions, 1);
    assert_eq!(r.errors, [("notice:upstream-busy".to_owned(), 1)].into());
    assert!((r.telegram.messages_per_turn - 2.0).abs() < 1e-9);
    assert!((r.bot_cpu_ms_per_turn - 100.0).abs() < 1e-9, "0.5 s over 5 turns");
    assert!((r.generator_cpu_ms_per_turn - 60.0).abs() < 1e-9, "0.3 s over 5 turns");
    assert!((r.prompt_tokens_per_turn - 1000.0).abs() < 1e-9);
    assert!((r.cost_usd_per_turn - 0.002).abs() < 1e-12);
    assert_eq!((r.telegram.injected_429, r.telegram.throttled_429, r.telegram_429s), (3, 1, 1));
    let table = r.table();
    for needle in [
        "onboarding",
        "notice:upstream-busy 1",
        "overhead",
        "upstream per turn",
        "telegram: 5 sends",
        "faults injected: openai_5xx_chat 2, telegram_429 3",
        "generator beside it (emulators and learners): CPU 0.3 s (60.0 ms per turn)",
        "correctness",
    ] {
        assert!(table.contains(needle), "{needle:?} missing from\n{table}");
    }
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["scenarios"]["voice"]["errors"]["notice:upstream-busy"], 1);
    assert_eq!(json["telegram"]["peak_per_second"], 2, "sends at 0, 0.5, 1, 1.5, 2 s");
    assert!(json["overhead"]["voice"]["p99_ms"].is_u64());
    assert!(json.get("curves").is_none());
}

#[test]
fn overhead_subtracts_the_upstream_time_of_each_turn() {
    let r = Report::build(&Options { users: 2, ..Options::default() }, inputs());
    let v = &r.overhead["voice"];
    // 1010 − 950, 1210 − 1100, 1910 − 1200; the notice has no figure.
    assert_eq!((v.turns, v.unmatched), (3, 0));
    assert_eq!((v.p50_ms, v.max_ms), (110, 710));
    assert!((v.mean_ms - (60.0 + 110.0 + 710.0) / 3.0).abs() < 1e-9);
    assert!((v.before_handler_ms_mean - (20.0 + 60.0 + 610.0) / 3.0).abs() < 1e-9);
    let t = &r.overhead["text"];
    assert_eq!((t.turns, t.max_ms), (1, 50), "600 − (400 + 150)");
    assert!(
        (r.upstream.bot_timed_ms_per_turn - (950.0 + 1100.0 + 550.0 + 1200.0) / 4.0).abs() < 1e-9
    );
    // Chat: 500 ms per request, 5 of 6 served turns; STT: 250 ms × 4; over 5 turns.
    assert!((r.upstream.emulated_ms_per_turn - (2500.0 + 1000.0) / 5.0).abs() < 1e-9);
    assert_eq!(r.upstream.emulated_ms_per_request["chat"], 500.0);
    assert_eq!(r.curves.overhead.len(), 2);
}

#[test]
fn fairness_is_the_worst_chats_mean_over_the_overall_mean() {
    let r = Report::build(&Options { users: 2, ..Options::default() }, inputs());
    // Chat 1: 1010, 1210, 600 → 940; chat 2: 1910, 100 → 1005; all: 4830 / 5 = 966.
    assert_eq!(r.telegram.worst_chat, Some(2));
    assert!((r.telegram.fairness - 1005.0 / 966.0).abs() < 1e-9);
}

#[test]
fn lost_duplicated_and_disagreeing_turns_are_violations() {
    let mut inp = inputs();
    let t0 = Instant::now();
    inp.outcomes[0].records.push(record(Action::Voice, 14, t0, &[]));
    inp.outcomes[0].records.push(record(Action::Text, 15, t0, &[(100, Voice), (200, Voice)]));
    inp.outcomes[1].records.push(record(Action::Settings, 24, t0, &[]));
    inp.outcomes[1].onboarded = false;
    inp.outcomes[1].out_of_order = 2;
    inp.lagged = 7;
    let r = Report::build(&Options { users: 2, ..Options::default() }, inp);
    let all = r.violations.join("\n");
    for needle in [
        "could not finish onboarding",
        "turn 1014 was lost",
        "answered 2 times",
        "settings got no reply",
        "out of order",
        "missed 7 events",
    ] {
        assert!(all.contains(needle), "{needle:?} missing from\n{all}");
    }
    assert_eq!(r.scenarios["voice"].errors["lost"], 1);
    assert_eq!(r.scenarios["text"].errors["duplicated"], 1);
    assert_eq!(r.scenarios["settings"].errors["no_reply"], 1);
    assert_eq!(r.scenarios["onboarding"].errors["onboarding_stalled"], 1);
    assert_eq!((r.errors["out_of_order"], r.errors["generator_lagged"]), (2, 7));
    assert!(r.table().contains("VIOLATIONS"));
}

#[test]
fn a_voice_that_failed_is_still_an_answer_when_the_bot_says_so() {
    let mut inp = inputs();
    let t0 = Instant::now();
    inp.outcomes[0].records.push(record(Action::Voice, 16, t0, &[(700, Text), (710, Text)]));
    inp.db.turns.insert(16, timing(1, "voice", Some(100), 300, 200, 690));
    inp.db.answered = 5;
    inp.db.learner_messages.insert(16);
    inp.db.honzik_messages.insert(16);
    inp.ai.consumption.stt_requests += 1;
    let r = Report::build(&Options { users: 2, ..Options::default() }, inp);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert_eq!(r.turns_answered, 5);
    assert_eq!(r.scenarios["voice"].errors["answered_without_voice"], 1);
    let mut inp = inputs();
    inp.db.answered = 5;
    assert!(
        Report::build(&Options { users: 2, ..Options::default() }, inp).violations[0]
            .contains("database records 5")
    );
}

fn kill(at: Instant) -> KillSeen {
    KillSeen { at, secs: 5.0, stt_in_flight: 1, chat_in_flight: 0, tts_in_flight: 0 }
}

#[test]
fn a_kill_allows_one_copy_per_turn_it_caught_and_one_repeated_transcription() {
    let mut inp = inputs();
    let t0 = inp.outcomes[0].records[0].offered;
    // Killed at 1100 ms: turn 12 (voice at 1200) was under way, 11 (done at 1010) was not.
    inp.events = Events {
        kills: vec![kill(t0 + Duration::from_millis(1100))],
        kills_planned: 1,
        outage_s: None,
    };
    inp.outcomes[0].records[1].replies.insert(1, (t0 + Duration::from_millis(1205), Voice));
    inp.ai.consumption.stt_requests += 1;
    let r = Report::build(&Options { users: 2, ..Options::default() }, inp);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    let rel = &r.reliability;
    assert_eq!((rel.crash_duplicates, rel.duplicates, rel.lost), (1, 0, 0));
    assert_eq!(r.turns_answered, 4, "the turn whose voice went out twice is answered");
    assert_eq!(
        (rel.stt_repeated, rel.voice_turns_in_flight_at_kills, rel.stt_in_flight_at_kills),
        (1, 2, 1),
        "turns 12 and 21 were under way"
    );
    assert_eq!(rel.kills_at_s, vec![5.0]);
    assert!(r.table().contains("kills: 1 of 1 done (at 5.0 s)"), "{}", r.table());

    // A copy in a turn no kill caught, two copies for one kill, a transcription too many.
    let mut inp = inputs();
    inp.outcomes[0].records[0].copies = 1;
    inp.outcomes[0].records[2].copies = 2;
    inp.events = Events {
        kills: vec![kill(t0 + Duration::from_millis(1500))],
        kills_planned: 1,
        outage_s: None,
    };
    inp.ai.consumption.stt_requests += 3;
    inp.ai.consumption.chat_requests += 2;
    inp.injected.clear();
    let r = Report::build(&Options { users: 2, ..Options::default() }, inp);
    let all = r.violations.join("\n");
    for needle in [
        "turn 1011: 1 reply messages sent twice",
        "turn 1013: 2 reply messages sent twice",
        "3 transcriptions repeated, more than the 1",
        "2 chat completions repeated, more than the 1",
    ] {
        assert!(all.contains(needle), "{needle:?} missing from\n{all}");
    }
    assert_eq!((r.reliability.duplicates, r.reliability.crash_duplicates), (3, 0));
}

#[test]
fn turns_told_to_wait_are_counted_and_the_database_is_checked() {
    let mut inp = inputs();
    inp.outcomes[0].records[0].told_to_wait = true;
    inp.outcomes[1].records[1].told_to_wait = true;
    inp.events.outage_s = Some((10.0, 40.0));
    inp.ai.outage_refused = 12;
    let r = Report::build(&Options { users: 2, ..Options::default() }, inp);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert_eq!(
        (r.reliability.told_to_wait_then_answered, r.reliability.told_to_wait_unanswered),
        (1, 1)
    );
    assert!(r.table().contains("openai outage: 10.0–40.0 s, 12 requests refused"), "{}", r.table());

    let mut inp = inputs();
    inp.db.learner_messages.remove(&12);
    inp.db.honzik_messages.remove(&13);
    inp.db.turns.remove(&21);
    inp.db.inbox.insert("pending".into(), 2);
    let all = Report::build(&Options { users: 2, ..Options::default() }, inp).violations.join("\n");
    for needle in [
        "turn 1012: the learner's message is not in the database",
        "turn 1013: answered, but Honzík's answer is not stored",
        "turn 1021 (update 21): no row in the turns table",
        "2 updates are still pending",
    ] {
        assert!(all.contains(needle), "{needle:?} missing from\n{all}");
    }
}

#[test]
fn an_empty_run_reports_zeros_not_nans() {
    let inp = Inputs {
        outcomes: Vec::new(),
        elapsed: Duration::ZERO,
        bot: Usage::default(),
        generator_cpu_seconds: 0.0,
        db: DbView::default(),
        lagged: 0,
        sends: SendTimes::from_secs(Vec::new()),
        injected: BTreeMap::new(),
        tg: TgSeen::default(),
        ai: AiSeen::default(),
        events: Events::default(),
    };
    let r = Report::build(&Options { users: 0, ..Options::default() }, inp);
    let json = serde_json::to_string(&r).unwrap();
    assert!(
        !json.replace("\"worst_chat\":null", "").replace("\"outage_s\":null", "").contains("null"),
        "no NaN (serialized as null): {json}"
    );
    assert_eq!(r.telegram.fairness, 0.0);
    assert!(r.png().is_ok());
}
