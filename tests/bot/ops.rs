//! The operations endpoints on `PORT` in polling mode: liveness, readiness (503 once the
//! database is gone) and Prometheus metrics that count a real voice turn — and, with `OPS_PORT`,
//! readiness and metrics off the public port.

use std::time::Duration;

use emulators::samples;
use emulators::{AiFault, Endpoint};
use sea_orm::ConnectionTrait;

use crate::common::*;

/// GET `path` on the bot's operations port: (status, body). Retries only while nothing listens
/// yet (the bot binds the port during start-up), a bounded number of times.
async fn get(port: u16, path: &str) -> (u16, String) {
    let url = format!("http://127.0.0.1:{port}{path}");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        match client.get(&url).send().await {
            Ok(r) => return (r.status().as_u16(), r.text().await.unwrap()),
            Err(e) if e.is_connect() => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => panic!("GET {path}: {e}"),
        }
    }
    panic!("nothing listens on PORT={port}");
}

/// The value of one sample line (`name{labels} value`) of the exposition.
fn sample(text: &str, series: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .unwrap_or_else(|| panic!("no {series} in:\n{text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn health_readiness_and_metrics_answer_and_a_voice_turn_is_counted_with_every_stage_and_upstream_error()
 {
    let port = free_port();
    let app = TestApp::builder()
        .db(Db::Sqlite)
        .env(&[("PORT", &port.to_string())])
        .spawn()
        .await
        .unwrap();
    assert_eq!(get(port, "/healthz").await, (200, "ok".to_owned()));
    assert_eq!(get(port, "/readyz").await.0, 200);
    let (status, before) = get(port, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(sample(&before, "mluvme_turns_total{kind=\"voice\",outcome=\"answered\"}"), 0.0);

    let olga = app.learner(301, "ru");
    app.onboard(&olga, "ru", "beginner").await;
    // One 500 from the chat model: retried, answered, and counted as an upstream error.
    app.ai.fail_next(Endpoint::Chat, 1, AiFault::Status(500));
    let sent = olga.send_voice(samples::BEGINNER_MISTAKE.to_vec(), 4);
    app.replies_to(&olga, sent.message_id, true).await;
    app.settle().await;

    let (_, text) = get(port, "/metrics").await;
    assert_eq!(
        sample(&text, "mluvme_turns_total{kind=\"voice\",outcome=\"answered\"}"),
        1.0,
        "{text}"
    );
    assert_eq!(sample(&text, "mluvme_turns_total{kind=\"voice\",outcome=\"failed\"}"), 0.0);
    for stage in ["download", "stt", "llm", "tts", "send", "turn"] {
        assert_eq!(
            sample(&text, &format!("mluvme_stage_seconds_count{{stage=\"{stage}\"}}")),
            1.0,
            "stage {stage} observed once"
        );
    }
    assert!(sample(&text, "mluvme_tokens_total{direction=\"prompt\"}") > 0.0);
    assert!(sample(&text, "mluvme_tokens_total{direction=\"completion\"}") > 0.0);
    assert!(sample(&text, "mluvme_cost_usd_total") > 0.0, "the default models are priced");
    assert_eq!(sample(&text, "mluvme_turns_in_flight"), 0.0);
    assert_eq!(sample(&text, "mluvme_updates_pending"), 0.0, "everything handled");
    assert_eq!(
        sample(&text, "mluvme_upstream_errors_total{upstream=\"chat\",kind=\"server_error\"}"),
        1.0
    );
    assert_eq!(
        sample(&text, "mluvme_upstream_errors_total{upstream=\"stt\",kind=\"server_error\"}"),
        0.0
    );
    assert!(app.tg.rejected().is_empty(), "{:#?}", app.tg.rejected());
}

#[tokio::test]
async fn with_ops_port_readiness_and_metrics_leave_the_public_port_and_liveness_stays_on_both() {
    let (public, ops) = (free_port(), free_port());
    let app = TestApp::builder()
        .db(Db::Sqlite)
        .env(&[("PORT", &public.to_string()), ("OPS_PORT", &ops.to_string())])
        .spawn()
        .await
        .unwrap();
    assert_eq!(get(public, "/healthz").await, (200, "ok".to_owned()), "Fly's check still passes");
    assert_eq!(get(public, "/metrics").await.0, 404, "nobody outside reads the metrics");
    assert_eq!(get(public, "/readyz").await.0, 404, "nor makes the database answer SELECT 1");
    assert_eq!(get(ops, "/healthz").await, (200, "ok".to_owned()));
    assert_eq!(get(ops, "/readyz").await, (200, "ready".to_owned()));
    let (status, text) = get(ops, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(sample(&text, "mluvme_turns_in_flight"), 0.0);
    assert!(app.tg.rejected().is_empty(), "{:#?}", app.tg.rejected());
}

#[tokio::test]
async fn on_postgres_readiness_fails_with_a_short_reason_once_the_database_is_dropped() {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        // The builder prints the SKIP line (or fails under CI=true).
        assert!(TestApp::builder().db(Db::Postgres).spawn().await.is_none());
        return;
    };
    let port = free_port();
    let app = TestApp::builder()
        .db(Db::Postgres)
        .env(&[("PORT", &port.to_string())])
        .spawn()
        .await
        .unwrap();
    assert_eq!(get(port, "/readyz").await, (200, "ready".to_owned()));

    let name =
        url::Url::parse(&app.database_url).unwrap().path().trim_start_matches('/').to_owned();
    let admin = sea_orm::Database::connect(&admin_url).await.unwrap();
    admin.execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)")).await.unwrap();

    let (status, reason) = get(port, "/readyz").await;
    assert_eq!((status, reason.as_str()), (503, "database: unavailable"));
    assert!(!reason.contains("postgres://"), "no connection string in the answer");
    assert_eq!(
        get(port, "/healthz").await.0,
        200,
        "still alive: restarting would not bring the database back"
    );
}

/// Issue 15, point 6: learners' audio in memory is bounded by bytes, not by the number of turns.
/// Neither voice says its size (the Bot API lets `file_size` out), so each must reserve the most a
/// download may be (20 MB) — with `AUDIO_MEMORY_MB=20` the second waits until the first has been
/// transcribed instead of downloading beside it.
#[tokio::test]
async fn audio_in_memory_is_bounded_by_bytes_so_a_second_voice_waits_for_the_first_to_be_transcribed()
 {
    const MIB: f64 = 1024.0 * 1024.0;
    let port = free_port();
    let app = TestApp::builder()
        .db(Db::Sqlite)
        .env(&[("PORT", &port.to_string()), ("AUDIO_MEMORY_MB", "20")])
        .spawn()
        .await
        .unwrap();
    let (olga, oksana) = (app.learner(311, "ru"), app.learner(312, "uk"));
    app.onboard(&olga, "ru", "beginner").await;
    app.onboard(&oksana, "uk", "beginner").await;

    let held = app.ai.hold(Endpoint::Transcription);
    let first = olga.send_voice_claiming(samples::BEGINNER_MISTAKE.to_vec(), 4, None);
    let second = oksana.send_voice_claiming(samples::BEGINNER_MISTAKE.to_vec(), 4, None);
    let mut seen = String::new();
    for _ in 0..600 {
        seen = get(port, "/metrics").await.1;
        if app.ai.held_requests(Endpoint::Transcription) == 1
            && sample(&seen, "mluvme_audio_memory_waiting") == 1.0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sample(&seen, "mluvme_audio_memory_waiting"), 1.0, "one turn waits for memory");
    assert_eq!(app.ai.held_requests(Endpoint::Transcription), 1, "only one is being transcribed");
    let holding = sample(&seen, "mluvme_audio_bytes{held_by=\"turns\"}");
    assert!(holding > 0.0 && holding < MIB, "the first holds what it downloaded: {holding}");

    held.release();
    app.replies_to(&olga, first.message_id, true).await;
    app.replies_to(&oksana, second.message_id, true).await;
    app.settle().await;
    let (_, after) = get(port, "/metrics").await;
    assert_eq!(app.ai.calls(Endpoint::Transcription), 2, "both answered");
    assert_eq!(sample(&after, "mluvme_audio_bytes{held_by=\"turns\"}"), 0.0, "all given back");
    assert!(sample(&after, "mluvme_audio_bytes_peak") <= 20.0 * MIB, "{after}");
    app.assert_no_rejections();
}
