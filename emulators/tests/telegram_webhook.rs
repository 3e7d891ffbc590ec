//! Webhook delivery: the emulator pushes updates to the registered URL with the secret header,
//! keeps each one queued until it is answered 200, redelivers after failures, delivers several at
//! once (one per chat at a time), spreads deliveries over replicas, and stops on deleteWebhook.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use emulators::telegram::{TelegramConfig, TelegramEmulator};
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};

const WAIT: Duration = Duration::from_secs(10);

/// A stand-in for the bot's webhook endpoint on loopback.
#[derive(Default)]
struct Receiver {
    /// (secret header, update) of every request, in arrival order.
    seen: Mutex<Vec<(Option<String>, Value)>>,
    /// Statuses to answer with before answering 200.
    script: Mutex<VecDeque<u16>>,
    /// When set, each request waits for a permit before answering.
    hold: Option<Arc<Semaphore>>,
    in_flight: Mutex<usize>,
    max_in_flight: Mutex<usize>,
    in_flight_tx: Option<watch::Sender<usize>>,
}

async fn hook(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: String) -> StatusCode {
    let secret = headers
        .get("x-telegram-bot-api-secret-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    r.seen.lock().push((secret, serde_json::from_str(&body).unwrap_or(Value::Null)));
    let now = {
        let mut n = r.in_flight.lock();
        *n += 1;
        let mut m = r.max_in_flight.lock();
        *m = (*m).max(*n);
        *n
    };
    if let Some(tx) = &r.in_flight_tx {
        tx.send_replace(now);
    }
    if let Some(hold) = &r.hold {
        hold.acquire().await.unwrap().forget();
    }
    *r.in_flight.lock() -= 1;
    let status = r.script.lock().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

/// Serves `r` at `/hook/path` on a free loopback port; returns its base URL.
async fn serve(r: Arc<Receiver>) -> String {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/hook/path", axum::routing::post(hook)).with_state(r);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

async fn emulator() -> TelegramEmulator {
    TelegramEmulator::start(TelegramConfig::default()).await.unwrap()
}

async fn call(em: &TelegramEmulator, method: &str, params: Value) -> Value {
    let url = format!("{}/bot{}/{method}", em.api_url(), em.token());
    reqwest::Client::new().post(url).json(&params).send().await.unwrap().json().await.unwrap()
}

fn ids(seen: &[(Option<String>, Value)]) -> Vec<i64> {
    seen.iter().map(|(_, u)| u["update_id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn updates_are_pushed_in_order_with_the_secret_and_leave_the_queue_when_answered_200() {
    let em = emulator().await;
    let r = Arc::new(Receiver::default());
    let base = serve(r.clone()).await;
    let olga = em.learner(1, "Olga", Some("ru"));
    let first = olga.send_text("Ahoj").update_id;
    let second = olga.send_text("Jak se máš?").update_id;
    let set = call(
        &em,
        "setWebhook",
        json!({"url": format!("{base}/hook/path"), "secret_token": "s3cret_-X"}),
    )
    .await;
    assert_eq!(set["result"], true, "{set}");

    assert!(
        em.wait_until(WAIT, |em| em.webhook_deliveries() == 2).await,
        "not delivered: {:?}",
        em.webhook_last_error()
    );
    let seen = r.seen.lock().clone();
    assert_eq!(ids(&seen), vec![first, second]);
    assert!(seen.iter().all(|(s, _)| s.as_deref() == Some("s3cret_-X")));
    assert_eq!(seen[0].1["message"]["text"], "Ahoj");
    assert_eq!(em.pending_updates(), 0);
    let info = call(&em, "getWebhookInfo", json!({})).await["result"].clone();
    assert_eq!(info["pending_update_count"], 0);
    assert_eq!(info["max_connections"], 40);
    assert!(info.get("last_error_message").is_none(), "{info}");
    // getUpdates still conflicts while the webhook is set.
    let polled = call(&em, "getUpdates", json!({})).await;
    assert_eq!(polled["error_code"], 409, "{polled}");
}

#[tokio::test]
async fn an_update_not_answered_200_is_redelivered_and_the_error_is_reported() {
    let em = emulator().await;
    let r =
        Arc::new(Receiver { script: Mutex::new(VecDeque::from([500, 401])), ..Default::default() });
    let base = serve(r.clone()).await;
    call(&em, "setWebhook", json!({"url": format!("{base}/hook/path")})).await;
    let id = em.learner(1, "Olga", None).send_text("Ahoj").update_id;

    assert!(em.wait_until(WAIT, |em| em.webhook_deliveries() == 1).await);
    assert_eq!(ids(&r.seen.lock()), vec![id, id, id], "two refusals, then accepted");
    assert_eq!(em.webhook_refusals(), 2);
    assert!(r.seen.lock().iter().all(|(s, _)| s.is_none()), "no secret was set, so no header");
    let info = call(&em, "getWebhookInfo", json!({})).await["result"].clone();
    assert_eq!(info["last_error_message"], "Wrong response from the webhook: 401 Unauthorized");
    assert!(info["last_error_date"].as_i64().unwrap() > 0);
    assert_eq!(info["pending_update_count"], 0);
}

#[tokio::test]
async fn a_replica_that_refuses_connections_loses_nothing_behind_the_balancer() {
    let em = emulator().await;
    let r = Arc::new(Receiver::default());
    let live = serve(r.clone()).await;
    // A port nobody listens on: a replica that crashed.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    em.balance_webhook(vec![dead, live.clone()]);
    call(&em, "setWebhook", json!({"url": "http://127.0.0.1:1/hook/path", "secret_token": "abc"}))
        .await;
    let sent: Vec<i64> =
        (0..4).map(|i| em.learner(100 + i, "L", None).send_text("Ahoj").update_id).collect();

    assert!(
        em.wait_until(WAIT, |em| em.webhook_deliveries() == 4).await,
        "{:?}",
        em.webhook_last_error()
    );
    let mut got = ids(&r.seen.lock());
    got.sort();
    assert_eq!(got, sent, "each update reached the live replica exactly once");
    assert!(em.webhook_refusals() >= 1);
    assert_eq!(em.webhook_last_error().as_deref(), Some("Connection refused"));
    assert_eq!(em.pending_updates(), 0);
}

#[tokio::test]
async fn deliveries_run_concurrently_up_to_max_connections_and_one_at_a_time_per_chat() {
    let em = emulator().await;
    let hold = Arc::new(Semaphore::new(0));
    let (tx, mut rx) = watch::channel(0);
    let r = Arc::new(Receiver {
        hold: Some(hold.clone()),
        in_flight_tx: Some(tx),
        ..Default::default()
    });
    let base = serve(r.clone()).await;
    // Six chats with two updates each.
    for chat in 0..6 {
        let l = em.learner(200 + chat, "L", None);
        l.send_text("jedna");
        l.send_text("dvě");
    }
    call(&em, "setWebhook", json!({"url": format!("{base}/hook/path"), "max_connections": 3}))
        .await;
    tokio::time::timeout(WAIT, rx.wait_for(|n| *n == 3))
        .await
        .expect("three deliveries at once")
        .unwrap();
    hold.add_permits(100);
    assert!(em.wait_until(WAIT, |em| em.webhook_deliveries() == 12).await);
    assert_eq!(*r.max_in_flight.lock(), 3, "never more than max_connections at once");
    let seen = r.seen.lock().clone();
    for chat in 200..206 {
        let texts: Vec<&str> = seen
            .iter()
            .filter(|(_, u)| u["message"]["chat"]["id"] == chat)
            .map(|(_, u)| u["message"]["text"].as_str().unwrap())
            .collect();
        assert_eq!(texts, ["jedna", "dvě"], "chat {chat} in order, each once");
    }
}

#[tokio::test]
async fn delete_webhook_stops_delivery_and_can_drop_what_is_pending() {
    let em = emulator().await;
    let r = Arc::new(Receiver::default());
    let base = serve(r.clone()).await;
    let url = format!("{base}/hook/path");
    call(&em, "setWebhook", json!({"url": url})).await;
    let l = em.learner(1, "Olga", None);
    l.send_text("jedna");
    assert!(em.wait_until(WAIT, |em| em.webhook_deliveries() == 1).await);

    assert_eq!(call(&em, "deleteWebhook", json!({})).await["result"], true);
    l.send_text("dvě");
    assert_eq!(em.webhook(), None);
    // Polling works again and gets the update the webhook did not deliver.
    let polled = call(&em, "getUpdates", json!({})).await;
    assert_eq!(polled["result"][0]["message"]["text"], "dvě", "{polled}");
    assert_eq!(r.seen.lock().len(), 1);

    l.send_text("tři");
    call(&em, "deleteWebhook", json!({"drop_pending_updates": true})).await;
    assert_eq!(em.pending_updates(), 0);
}

#[tokio::test]
async fn set_webhook_validates_the_url_and_the_secret_like_telegram() {
    let em = emulator().await;
    let refused = |v: Value| v["description"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        refused(call(&em, "setWebhook", json!({"url": "http://example.com/hook"})).await),
        "Bad Request: bad webhook: HTTPS url must be provided for webhook"
    );
    for bad in ["has space", "ünïcode", &"x".repeat(257)] {
        let v = call(
            &em,
            "setWebhook",
            json!({"url": "https://bot.example/hook", "secret_token": bad}),
        )
        .await;
        assert_eq!(refused(v), "Bad Request: secret token contains unallowed characters");
    }
    assert_eq!(em.webhook(), None);
    for ok in ["http://127.0.0.1:8080/hook", "http://localhost/hook", "https://bot.example/hook"] {
        assert_eq!(
            call(&em, "setWebhook", json!({"url": ok, "secret_token": "A-z_0"})).await["result"],
            true,
            "{ok}"
        );
        assert_eq!(em.webhook(), Some((ok.to_owned(), Some("A-z_0".to_owned()))));
    }
}
