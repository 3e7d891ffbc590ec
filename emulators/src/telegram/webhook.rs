//! Webhook delivery, as Telegram does it once `setWebhook` is called.
//!
//! Each queued update is POSTed (JSON body, `X-Telegram-Bot-Api-Secret-Token` when a secret was
//! set) to the registered URL, and leaves the queue only when the answer is 200. Anything else —
//! another status, a refused connection, a timeout — is recorded as the webhook's last error and
//! the update is sent again after a short backoff. Like the Bot API server (its `WebhookActor`),
//! deliveries run concurrently up to `max_connections` (default 40), but one chat's updates go
//! one at a time and in `update_id` order: a chat's next update waits until the previous one was
//! accepted. A test may put several bot replicas "behind a load balancer"
//! ([`super::TelegramEmulator::balance_webhook`]): deliveries then rotate over those base URLs,
//! keeping the registered path.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::error::{ApiErr, bad};
use super::state::{Inner, Shared, drop_unwanted, now_unix};
use crate::body::Params;

/// Telegram's default and maximum simultaneous deliveries.
const DEFAULT_MAX_CONNECTIONS: usize = 40;
const MAX_CONNECTIONS: i64 = 100;
/// How long one delivery may take before it counts as failed.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// First redelivery delay, doubling per failed attempt of the same update up to the maximum.
/// Telegram waits longer; tests need a quick but real backoff.
const BACKOFF_BASE: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);

/// `setWebhook`, validated like Telegram's. A plain-http URL is accepted on loopback only, as a
/// self-hosted Bot API server would allow.
pub(crate) fn set_webhook(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
    let url = p.str("url").unwrap_or_default();
    if url.is_empty() {
        return delete_webhook(st, p);
    }
    let parsed =
        reqwest::Url::parse(&url).map_err(|_| bad("bad webhook: invalid webhook URL specified"))?;
    let host = parsed.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let loopback =
        host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !(parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback)) {
        return Err(bad("bad webhook: HTTPS url must be provided for webhook"));
    }
    let secret = p.str("secret_token").filter(|s| !s.is_empty());
    if let Some(s) = &secret {
        let allowed = s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if s.len() > 256 || !allowed {
            return Err(bad("secret token contains unallowed characters"));
        }
    }
    let max = match p.i64("max_connections") {
        Ok(Some(n)) => n.clamp(1, MAX_CONNECTIONS) as usize,
        Ok(None) => DEFAULT_MAX_CONNECTIONS,
        Err(()) => return Err(bad("invalid max_connections specified")),
    };
    if let Ok(Some(list)) = p.json("allowed_updates") {
        let list: Vec<String> = list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        st.allowed_updates = (!list.is_empty()).then_some(list);
    }
    if p.bool("drop_pending_updates") {
        st.queue.clear();
        st.webhook.retry.clear();
    }
    st.webhook_url = Some(url);
    st.webhook.secret = secret;
    st.webhook.max_connections = max;
    Ok(json!(true))
}

/// `deleteWebhook`: delivery stops (deliveries already under way finish), getUpdates works again.
pub(crate) fn delete_webhook(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
    st.webhook_url = None;
    st.webhook.secret = None;
    if p.bool("drop_pending_updates") {
        st.queue.clear();
        st.webhook.retry.clear();
    }
    Ok(json!(true))
}

/// `getWebhookInfo`.
pub(crate) fn webhook_info(st: &Inner) -> Value {
    let mut info = json!({
        "url": st.webhook_url.clone().unwrap_or_default(),
        "has_custom_certificate": false,
        "pending_update_count": st.queue.len(),
    });
    if st.webhook_url.is_some() {
        info["max_connections"] = json!(st.webhook.max_connections);
        if let Some(list) = &st.allowed_updates {
            info["allowed_updates"] = json!(list);
        }
    }
    if let Some((date, message)) = &st.webhook.last_error {
        info["last_error_date"] = json!(date);
        info["last_error_message"] = json!(message);
    }
    info
}

/// One update on its way to the bot.
struct Delivery {
    update_id: i64,
    url: String,
    secret: Option<String>,
    body: String,
}

/// Delivers while a webhook is set, until the emulator is dropped.
pub(crate) async fn run(shared: Arc<Shared>) {
    let client = match reqwest::Client::builder().timeout(DELIVERY_TIMEOUT).build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("webhook delivery disabled: cannot build an HTTP client: {e}");
            return;
        }
    };
    let mut wake = shared.updates_tx.subscribe();
    let mut shutdown = shared.shutdown_tx.subscribe();
    loop {
        wake.borrow_and_update();
        let (batch, next_retry) = due(&mut shared.inner.lock());
        for d in batch {
            tokio::spawn(deliver(shared.clone(), client.clone(), d));
        }
        let retry_sleep = async {
            match next_retry {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = wake.changed() => {}
            _ = retry_sleep => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
    }
}

/// The chat an update belongs to (its sender when it has no chat; itself when neither): one
/// delivery at a time per key keeps each chat's order.
fn queue_key(update: &Value) -> i64 {
    let payload =
        update.as_object().and_then(|o| o.iter().find(|(k, _)| *k != "update_id")).map(|(_, v)| v);
    let Some(p) = payload else { return -update["update_id"].as_i64().unwrap_or(0) };
    p["chat"]["id"]
        .as_i64()
        .or_else(|| p["message"]["chat"]["id"].as_i64())
        .or_else(|| p["from"]["id"].as_i64())
        .unwrap_or_else(|| -update["update_id"].as_i64().unwrap_or(0))
}

/// Picks the updates to send now and marks them in flight; also returns when the earliest
/// backed-off update becomes due.
fn due(st: &mut Inner) -> (Vec<Delivery>, Option<Instant>) {
    let Some(url) = st.webhook_url.clone() else { return (Vec::new(), None) };
    drop_unwanted(st);
    let now = Instant::now();
    let Inner { queue, webhook: wh, .. } = st;
    let mut room = wh.max_connections.max(1).saturating_sub(wh.in_flight.len());
    let (mut out, mut next_retry, mut busy_chats) = (Vec::new(), None::<Instant>, HashSet::new());
    for update in queue.iter() {
        if room == 0 {
            break;
        }
        let id = update["update_id"].as_i64().unwrap_or(0);
        // Only the oldest queued update of each chat may be on its way.
        if !busy_chats.insert(queue_key(update)) || wh.in_flight.contains(&id) {
            continue;
        }
        if let Some((_, at)) = wh.retry.get(&id).filter(|(_, at)| *at > now) {
            next_retry = Some(next_retry.map_or(*at, |n| n.min(*at)));
            continue;
        }
        let target = target_url(&url, &wh.balance, wh.next_target);
        wh.next_target = wh.next_target.wrapping_add(1);
        wh.in_flight.insert(id);
        out.push(Delivery {
            update_id: id,
            url: target,
            secret: wh.secret.clone(),
            body: update.to_string(),
        });
        room -= 1;
    }
    (out, next_retry)
}

/// The registered URL, or its path and query on the `n`-th balanced base URL.
fn target_url(registered: &str, balance: &[String], n: usize) -> String {
    if balance.is_empty() {
        return registered.to_owned();
    }
    let path = reqwest::Url::parse(registered)
        .map(|u| format!("{}{}", u.path(), u.query().map(|q| format!("?{q}")).unwrap_or_default()))
        .unwrap_or_default();
    format!("{}{path}", balance[n % balance.len()].trim_end_matches('/'))
}

async fn deliver(shared: Arc<Shared>, client: reqwest::Client, d: Delivery) {
    let mut req = client.post(&d.url).header("content-type", "application/json").body(d.body);
    if let Some(secret) = &d.secret {
        req = req.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    // Telegram's own wording for the failures a bot operator sees in getWebhookInfo.
    let error = match req.send().await {
        Ok(resp) if resp.status().as_u16() == 200 => None,
        Ok(resp) => Some(format!(
            "Wrong response from the webhook: {} {}",
            resp.status().as_u16(),
            resp.status().canonical_reason().unwrap_or("")
        )),
        Err(e) if e.is_timeout() => Some("Read timeout expired".to_owned()),
        Err(e) if e.is_connect() => Some("Connection refused".to_owned()),
        Err(e) => Some(format!("Connection failed: {e}")),
    };
    {
        let mut st = shared.inner.lock();
        st.webhook.in_flight.remove(&d.update_id);
        match error {
            None => {
                st.queue.retain(|u| u["update_id"].as_i64() != Some(d.update_id));
                st.webhook.retry.remove(&d.update_id);
                st.webhook.delivered += 1;
                let to = reqwest::Url::parse(&d.url).map(|u| {
                    format!(
                        "{}:{}",
                        u.host_str().unwrap_or(""),
                        u.port_or_known_default().unwrap_or(0)
                    )
                });
                *st.webhook.delivered_to.entry(to.unwrap_or_default()).or_default() += 1;
            }
            Some(message) => {
                tracing::debug!(update_id = d.update_id, url = %d.url, %message, "webhook delivery failed; will redeliver");
                let wh = &mut st.webhook;
                wh.refused += 1;
                wh.last_error = Some((now_unix(), message));
                let attempts = wh.retry.get(&d.update_id).map_or(0, |(n, _)| *n) + 1;
                let backoff = BACKOFF_BASE.saturating_mul(1 << attempts.min(8)).min(BACKOFF_MAX);
                wh.retry.insert(d.update_id, (attempts, Instant::now() + backoff));
            }
        }
    }
    shared.notify_updates();
    shared.notify_observers();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_deliveries_keep_the_registered_path_and_query() {
        let reg = "http://127.0.0.1:9/hook/abc?x=1";
        let bases = vec!["http://127.0.0.1:1001".to_owned(), "http://127.0.0.1:1002/".to_owned()];
        assert_eq!(target_url(reg, &[], 0), reg);
        assert_eq!(target_url(reg, &bases, 0), "http://127.0.0.1:1001/hook/abc?x=1");
        assert_eq!(target_url(reg, &bases, 1), "http://127.0.0.1:1002/hook/abc?x=1");
        assert_eq!(target_url(reg, &bases, 2), "http://127.0.0.1:1001/hook/abc?x=1");
    }

    #[test]
    fn updates_are_grouped_by_chat_then_sender_then_themselves() {
        let msg = json!({"update_id": 5, "message": {"chat": {"id": 42}, "from": {"id": 7}}});
        let cb = json!({"update_id": 6, "callback_query": {"from": {"id": 7}, "message": {"chat": {"id": 42}}}});
        let poll = json!({"update_id": 8, "poll": {"id": "x"}});
        assert_eq!(queue_key(&msg), 42);
        assert_eq!(queue_key(&cb), 42);
        assert_eq!(queue_key(&poll), -8);
    }
}
