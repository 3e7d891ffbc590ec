//! The webhook route over real HTTP: refused without the right secret, acknowledged only once
//! the update is recorded, and fed by the Telegram emulator's own webhook delivery after
//! `register_webhook`. The sink here records into the real inbox (SQLite), as the intake's does.

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
    shutdown: CancellationToken,
}

impl Drop for Hooked {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The bot's app in webhook mode with its operations server on a loopback port, the webhook
/// served with a recording sink, and the webhook registered with the emulator.
async fn hooked() -> Hooked {
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
    let config =
        Config::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
            .unwrap();
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()));
    let (app, bot) = mluvme::startup::build(config, clock).await.unwrap();

    let (recorded, failing) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (a, r, f) = (app.clone(), recorded.clone(), failing.clone());
    let sink: UpdateSink = Arc::new(move |update| {
        let (a, r, f) = (a.clone(), r.clone(), f.clone());
        async move {
            if f.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
                anyhow::bail!("database unavailable");
            }
            mluvme::store::inbox::record_batch(&a.db, &[update], a.clock.now()).await?;
            r.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
        .boxed()
    });
    let shutdown = CancellationToken::new();
    let readiness = Arc::default();
    tokio::spawn(server::serve(listener, app.clone(), readiness, Some(sink), shutdown.clone()));
    server::webhook::register_webhook(&app, &bot).await.unwrap();
    Hooked { tg, _ai: ai, _dir: dir, app, _bot: bot, hook_url, recorded, failing, shutdown }
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
