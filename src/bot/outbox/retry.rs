//! The outbox's retries: only those that are safe.
//!
//! 429 answers carry `retry_after`: we wait exactly that and try again. Network errors and 5xx
//! are retried with a short backoff. Anything else (bad request, blocked by the user) is final.
//!
//! Sends (sendMessage, sendVoice, sendPhoto, sendDocument) go through [`paced`]: every attempt,
//! retries included, first waits for its slot in the [`Pacer`], so Telegram's limits are never
//! crossed, and a 429 that comes anyway pushes the whole schedule back. Edits, chat actions,
//! callback answers and getFile are not limited by Telegram and use [`with_retry`] alone.
//! Private to the outbox: nothing else sends, so nothing else needs them.

use std::future::Future;
use std::time::Duration;

use teloxide::types::ChatId;
use teloxide::{ApiError, RequestError};

use crate::bot::pace::Pacer;

const ATTEMPTS: u32 = 4;

/// A send to `chat`: each attempt waits for the pacer's slot, with the retries of [`with_retry`].
pub(super) async fn paced<T, F, Fut>(
    pacer: &Pacer,
    chat: ChatId,
    what: &'static str,
    f: F,
) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    retrying(what, Some((pacer, chat)), f).await
}

/// A request Telegram does not rate-limit (edits, getFile…), with the safe retries.
pub(super) async fn with_retry<T, F, Fut>(what: &'static str, f: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    retrying(what, None, f).await
}

async fn retrying<T, F, Fut>(
    what: &'static str,
    pace: Option<(&Pacer, ChatId)>,
    mut f: F,
) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let mut backoff = Duration::from_millis(300);
    let mut attempt = 1;
    loop {
        let slot = match pace {
            Some((pacer, chat)) => Some(pacer.acquire(chat).await),
            None => None,
        };
        let result = f().await;
        drop(slot);
        if let (Err(RequestError::RetryAfter(s)), Some((pacer, _))) = (&result, pace) {
            pacer.throttled(s.duration());
        }
        match result {
            Ok(v) => return Ok(v),
            Err(RequestError::RetryAfter(s)) if attempt < ATTEMPTS => {
                tracing::info!(what, seconds = s.seconds(), "Telegram asked us to slow down");
                tokio::time::sleep(s.duration()).await;
            }
            Err(e) if attempt < ATTEMPTS && is_transient(&e) => {
                tracing::warn!(what, error = %e, attempt, "transient Telegram error; retrying");
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
            Err(e) => return Err(e),
        }
        attempt += 1;
    }
}

/// Network trouble and server-side failures, which a later attempt may not meet.
pub fn is_transient(e: &RequestError) -> bool {
    match e {
        RequestError::Network(_) | RequestError::Io(_) => true,
        RequestError::Api(ApiError::Unknown(desc)) => {
            let d = desc.to_ascii_lowercase();
            d.contains("internal server error")
                || d.contains("bad gateway")
                || d.contains("service unavailable")
                || d.contains("gateway timeout")
        }
        _ => false,
    }
}

/// The learner blocked the bot or deleted their account: stop sending to them.
pub fn is_blocked(e: &RequestError) -> bool {
    matches!(
        e,
        RequestError::Api(
            ApiError::BotBlocked
                | ApiError::UserDeactivated
                | ApiError::BotKicked
                | ApiError::ChatNotFound
        )
    )
}
