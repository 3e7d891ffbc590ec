//! The webhook route over real HTTP: refused without the right secret, acknowledged only once
//! the update is recorded, and fed by the Telegram emulator's own webhook delivery after
//! `register_webhook`. The sink here records into the real inbox (SQLite), as the intake's does.
//!
//! And the server under abuse, over raw TCP (a client that behaves as no HTTP library would):
//! a wrong secret refused before the body, stalled headers and bodies cut off, the connection
//! limit, and a shutdown that slow clients cannot hold. Outcomes only (status lines, connections
//! closed); time appears only as the tests' generous bounds.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{TimeZone, Utc};
use emulators::telegram::{TelegramConfig, TelegramEmulator};
use emulators::{OpenAiConfig, OpenAiEmulator};
use futures::FutureExt;
use mluvme::app::App;
use mluvme::bot::Telegram;
use mluvme::config::Config;
use mluvme::progress::FixedClock;
use mluvme::server::{self, UpdateSink};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::common::WAIT;

const SECRET: &str = "Fixed-secret_for-every-replica";

struct Hooked {
    tg: TelegramEmulator,
    _ai: OpenAiEmulator,
    _dir: tempfile::TempDir,
    app: Arc<App>,
    _bot: Arc<Telegram>,
    hook_url: String,
    /// Sink calls that recorded an update.
    recorded: Arc<AtomicUsize>,
    /// Sink calls still to fail (the database "down"), counted down by each call.
    failing: Arc<AtomicUsize>,
    /// While false, the sink waits before recording (a database that stalls).
    open: tokio::sync::watch::Sender<bool>,
    shutdown: CancellationToken,
    /// The server's task: ends once it has shut down.
    server: Option<JoinHandle<anyhow::Result<()>>>,
    port: u16,
}

impl Drop for Hooked {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The bot's app in webhook mode with its operations server on a loopback port, the webhook
/// served with a recording sink, and the webhook registered with the emulator.
async fn hooked() -> Hooked {
    hooked_with(&[]).await
}

/// As [`hooked`], with settings on top (the server's limits).
async fn hooked_with(extra: &[(&str, &str)]) -> Hooked {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tg = TelegramEmulator::start(TelegramConfig::default()).await.unwrap();
    let ai = OpenAiEmulator::start(OpenAiConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hook_url = format!("http://127.0.0.1:{port}/telegram/hook");
    let vars = [
        ("TELOXIDE_TOKEN", tg.token()),
        ("TELOXIDE_API_URL", tg.api_url()),
        ("OPENAI_API_KEY", "sk-test".to_owned()),
        ("OPENAI_BASE_URL", ai.base_url()),
        ("DATABASE_URL", format!("sqlite://{}?mode=rwc", dir.path().join("mluvme.db").display())),
        ("AUDIO_DIR", dir.path().join("audio").display().to_string()),
        ("PORT", port.to_string()),
        ("WEBHOOK_URL", hook_url.clone()),
        ("WEBHOOK_SECRET", SECRET.to_owned()),
    ];
    let config = Config::from_lookup(|k| {
        let extra = extra.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        extra.or_else(|| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
    })
    .unwrap();
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()));
    let (app, bot) = mluvme::startup::build(config, clock).await.unwrap();

    let (recorded, failing) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (open, opened) = tokio::sync::watch::channel(true);
    let (a, r, f) = (app.clone(), recorded.clone(), failing.clone());
    let sink: UpdateSink = Arc::new(move |update| {
        let (a, r, f, mut opened) = (a.clone(), r.clone(), f.clone(), opened.clone());
        async move {
            if f.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
                anyhow::bail!("database unavailable");
            }
            opened.wait_for(|open| *open).await?;
            mluvme::store::inbox::record_batch(&a.db, &[update], a.clock.now()).await?;
            r.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
        .boxed()
    });
    let shutdown = CancellationToken::new();
    let readiness = Arc::default();
    let server = Some(tokio::spawn(server::serve(
        listener,
        app.clone(),
        readiness,
        Some(sink),
        shutdown.clone(),
    )));
    server::webhook::register_webhook(&app, &bot).await.unwrap();
    Hooked {
        tg,
        _ai: ai,
        _dir: dir,
        app,
        _bot: bot,
        hook_url,
        recorded,
        failing,
        open,
        shutdown,
        server,
        port,
    }
}

impl Hooked {
    async fn recorded_ids(&self) -> Vec<i64> {
        use sea_orm::ConnectionTrait;
        let db = &self.app.db;
        let sql = "SELECT update_id FROM updates ORDER BY update_id";
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap();
        rows.iter().map(|r| r.try_get::<i64>("", "update_id").unwrap()).collect()
    }

    async fn post(&self, secret: Option<&str>, body: String) -> u16 {
        let mut req = reqwest::Client::new()
            .post(&self.hook_url)
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        req.send().await.unwrap().status().as_u16()
    }

    /// A raw connection to the server, for clients no HTTP library would be.
    async fn connect(&self) -> TcpStream {
        TcpStream::connect(("127.0.0.1", self.port)).await.unwrap()
    }

    fn hook_path(&self) -> String {
        url::Url::parse(&self.hook_url).unwrap().path().to_owned()
    }

    /// The headers of a webhook POST announcing `length` bytes of body, with `secret`.
    fn head(&self, secret: &str, length: usize) -> String {
        let path = self.hook_path();
        format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {length}\r\nX-Telegram-Bot-Api-Secret-Token: {secret}\r\n\r\n"
        )
    }
}

/// Everything the server sends until it closes the connection (bounded by the test's patience:
/// a server that never closes fails the test rather than hanging it).
async fn until_closed(mut conn: TcpStream) -> String {
    let mut got = Vec::new();
    let read = tokio::time::timeout(WAIT, async {
        let mut buf = [0u8; 4096];
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server kept the connection open: {:?}",
        String::from_utf8_lossy(&got)
    );
    String::from_utf8_lossy(&got).into_owned()
}

/// The status line of what the server answered before closing, or "" when it closed silently.
fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or_default()
}

fn update_json(id: i64, chat: i64, text: &str) -> String {
    serde_json::json!({
        "update_id": id,
        "message": {"message_id": 1, "date": 1_764_324_000, "chat": {"id": chat, "type": "private", "first_name": "Olga"},
                    "from": {"id": chat, "is_bot": false, "first_name": "Olga"}, "text": text}
    })
    .to_string()
}

#[tokio::test]
async fn webhook_requests_without_the_right_secret_are_refused_and_not_recorded() {
    let h = hooked().await;
    assert_eq!(
        h.tg.webhook(),
        Some((h.hook_url.clone(), Some(SECRET.to_owned()))),
        "registered with the fixed secret"
    );

    assert_eq!(h.post(None, update_json(900, 5, "no secret")).await, 401);
    assert_eq!(h.post(Some("guess"), update_json(901, 5, "wrong secret")).await, 401);
    assert_eq!(
        h.post(Some(&format!("{SECRET}x")), update_json(902, 5, "longer secret")).await,
        401
    );
    assert_eq!(h.post(Some(&SECRET[..SECRET.len() - 1]), update_json(903, 5, "prefix")).await, 401);
    assert!(h.recorded_ids().await.is_empty(), "nothing refused was recorded");
    assert_eq!(h.recorded.load(Ordering::SeqCst), 0, "the sink never saw them");

    assert_eq!(h.post(Some(SECRET), update_json(904, 5, "right secret")).await, 200);
    assert_eq!(h.recorded_ids().await, vec![904]);
    // Junk with the right secret is acknowledged (Telegram would redeliver it forever) and dropped.
    assert_eq!(h.post(Some(SECRET), "{not json".to_owned()).await, 200);
    assert_eq!(h.recorded_ids().await, vec![904]);
}

#[tokio::test]
async fn telegrams_deliveries_are_recorded_and_one_not_recorded_is_delivered_again() {
    let h = hooked().await;
    let olga = h.tg.learner(7, "Olga", Some("ru"));
    let first = olga.send_text("Ahoj").update_id;
    assert!(
        h.tg.wait_until(WAIT, |tg| tg.webhook_deliveries() == 1).await,
        "{:?}",
        h.tg.webhook_last_error()
    );
    assert_eq!(h.recorded_ids().await, vec![first]);
    assert_eq!(h.tg.webhook_refusals(), 0, "the emulator's secret was accepted");

    // The sink cannot record the next update twice: answered 500, so Telegram sends it again.
    h.failing.store(2, Ordering::SeqCst);
    let second = olga.send_text("Jak se máš?").update_id;
    assert!(
        h.tg.wait_until(WAIT, |tg| tg.webhook_deliveries() == 2).await,
        "{:?}",
        h.tg.webhook_last_error()
    );
    assert_eq!(h.tg.webhook_refusals(), 2);
    assert_eq!(
        h.tg.webhook_last_error().as_deref(),
        Some("Wrong response from the webhook: 500 Internal Server Error")
    );
    assert_eq!(h.recorded_ids().await, vec![first, second], "recorded once, after the failures");
    assert_eq!(h.tg.pending_updates(), 0);
}

#[tokio::test]
async fn a_wrong_secret_is_refused_on_its_headers_while_the_announced_body_never_comes() {
    // A body timeout far beyond the test's patience: only a refusal before the body can answer.
    let h = hooked_with(&[("HTTP_BODY_TIMEOUT_SECONDS", "300")]).await;
    for secret in ["guess", ""] {
        let mut conn = h.connect().await;
        // Announces nearly a megabyte, sends none of it, and waits.
        conn.write_all(h.head(secret, 1_000_000).as_bytes()).await.unwrap();
        let answer = until_closed(conn).await;
        assert_eq!(status_line(&answer), "HTTP/1.1 401 Unauthorized", "{answer}");
    }
    // Any other path, announcing a body it never sends: 404, and the connection is not kept
    // waiting for that body.
    let mut conn = h.connect().await;
    let elsewhere = h.head("guess", 1_000_000).replacen(&h.hook_path(), "/elsewhere", 1);
    conn.write_all(elsewhere.as_bytes()).await.unwrap();
    let answer = until_closed(conn).await;
    assert_eq!(status_line(&answer), "HTTP/1.1 404 Not Found", "{answer}");
    // The right secret announcing more than an update can be: refused before reading it too.
    let mut conn = h.connect().await;
    conn.write_all(h.head(SECRET, 2 * 1024 * 1024).as_bytes()).await.unwrap();
    let answer = until_closed(conn).await;
    assert_eq!(status_line(&answer), "HTTP/1.1 413 Payload Too Large", "{answer}");
    assert!(h.recorded_ids().await.is_empty(), "nothing recorded");
    // The server is none the worse: a real update still goes through.
    assert_eq!(h.post(Some(SECRET), update_json(905, 5, "after the attack")).await, 200);
    assert_eq!(h.recorded_ids().await, vec![905]);
}

#[tokio::test]
async fn a_client_that_stalls_in_its_headers_or_its_body_or_says_nothing_is_cut_off() {
    let h =
        hooked_with(&[("HTTP_HEADER_TIMEOUT_SECONDS", "1"), ("HTTP_BODY_TIMEOUT_SECONDS", "1")])
            .await;
    // Half a request line's worth of headers, then nothing (slowloris).
    let mut slow_headers = h.connect().await;
    let head = h.head(SECRET, 100);
    slow_headers.write_all(&head.as_bytes()[..40]).await.unwrap();
    // The right secret and headers, then 10 of the 100 bytes announced.
    let mut slow_body = h.connect().await;
    slow_body.write_all(head.as_bytes()).await.unwrap();
    slow_body.write_all(&update_json(906, 5, "x").as_bytes()[..10]).await.unwrap();
    // Connected, and silent.
    let silent = h.connect().await;

    let answer = until_closed(slow_headers).await;
    assert!(!answer.contains(" 200 "), "closed without serving it: {answer}");
    let answer = until_closed(slow_body).await;
    assert_eq!(status_line(&answer), "HTTP/1.1 408 Request Timeout", "{answer}");
    assert_eq!(until_closed(silent).await, "", "an idle connection is closed without a word");
    assert!(h.recorded_ids().await.is_empty(), "nothing half-sent was recorded");
    assert_eq!(h.post(Some(SECRET), update_json(907, 5, "whole")).await, 200);
}

#[tokio::test]
async fn past_the_connection_limit_a_client_is_refused_at_once_and_a_freed_slot_serves_the_next() {
    let h =
        hooked_with(&[("HTTP_MAX_CONNECTIONS", "2"), ("HTTP_HEADER_TIMEOUT_SECONDS", "300")]).await;
    // Two connections that hold their slots and say nothing.
    let first = h.connect().await;
    let mut second = h.connect().await;
    // A third is over the limit: told so and closed, not left waiting.
    let answer = until_closed(h.connect().await).await;
    assert_eq!(status_line(&answer), "HTTP/1.1 503 Service Unavailable", "{answer}");

    // One of the two leaves: its slot goes to the next client (once the server has noticed).
    drop(first);
    let served = tokio::time::timeout(WAIT, async {
        loop {
            let mut conn = h.connect().await;
            let _ = conn
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await;
            let answer = until_closed(conn).await;
            if status_line(&answer) == "HTTP/1.1 200 OK" {
                return answer;
            }
            // Refused (503, or a reset when the refusal crossed the request): not yet noticed.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(served.expect("a freed slot serves the next client").ends_with("ok"));
    // The connection that kept its slot is served as ever.
    second
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(status_line(&until_closed(second).await), "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn a_request_past_its_timeout_gets_503_and_its_update_is_still_recorded_once() {
    let h = hooked_with(&[("HTTP_REQUEST_TIMEOUT_SECONDS", "1")]).await;
    // The database stalls while the update is being recorded: the request runs out of time.
    h.open.send_replace(false);
    assert_eq!(h.post(Some(SECRET), update_json(908, 5, "slow")).await, 503);
    // The recording was not cut off with the request: it finishes once the database answers.
    h.open.send_replace(true);
    let recorded = tokio::time::timeout(WAIT, async {
        while h.recorded_ids().await.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(recorded.is_ok(), "the update was recorded after its request timed out");
    // Telegram delivers it again for want of a 200: acknowledged, and still there once.
    assert_eq!(h.post(Some(SECRET), update_json(908, 5, "slow")).await, 200);
    assert_eq!(h.recorded_ids().await, vec![908]);
}

#[tokio::test]
async fn shutdown_ends_even_while_slow_clients_hold_connections_and_then_refuses_new_ones() {
    // Slow clients would be waited for (almost) forever; the shutdown drain (capped by the
    // one-second grace here) is what ends them.
    let mut h = hooked_with(&[
        ("HTTP_HEADER_TIMEOUT_SECONDS", "300"),
        ("HTTP_BODY_TIMEOUT_SECONDS", "300"),
        ("HTTP_REQUEST_TIMEOUT_SECONDS", "600"),
        ("SHUTDOWN_GRACE_SECONDS", "1"),
    ])
    .await;
    let head = h.head(SECRET, 100);
    let mut slow_headers = h.connect().await;
    slow_headers.write_all(&head.as_bytes()[..40]).await.unwrap();
    let mut slow_body = h.connect().await;
    slow_body.write_all(head.as_bytes()).await.unwrap();
    // A keep-alive connection after a whole request: idle, open.
    let mut idle = h.connect().await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 256];
    let n = tokio::time::timeout(WAIT, idle.read(&mut buf)).await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200 OK"));

    h.shutdown.cancel();
    let server = h.server.take().unwrap();
    let stopped = tokio::time::timeout(WAIT, server).await;
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "the server returned: {stopped:?}");
    for conn in [slow_headers, slow_body, idle] {
        let answer = until_closed(conn).await;
        assert!(!answer.contains(" 200 "), "{answer}");
    }
    assert!(
        TcpStream::connect(("127.0.0.1", h.port)).await.is_err(),
        "nothing listens once the server has stopped"
    );
    assert!(h.recorded_ids().await.is_empty());
}
