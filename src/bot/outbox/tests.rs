//! The blocked-learner policy, against a stand-in Bot API that refuses every request with 403
//! "bot was blocked by the user" and counts what it was asked.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{TimeZone, Utc};
use teloxide::types::ChatId;

use super::*;
use crate::progress::FixedClock;
use crate::store::learners::{self, TelegramUser};

const LEARNER: i64 = 4242;

struct Fixture {
    outbox: Outbox,
    db: DatabaseConnection,
    requests: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

/// An outbox whose Telegram answers 403 to everything, and one known learner.
async fn fixture() -> Fixture {
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let refuse = move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async {
            (
                axum::http::StatusCode::FORBIDDEN,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#,
            )
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().fallback(refuse)).await.unwrap();
    });
    let (dir, db) = crate::store::test_db().await;
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap();
    let user = TelegramUser {
        id: LEARNER,
        chat_id: LEARNER,
        first_name: "Olga",
        username: None,
        language_code: Some("en"),
    };
    learners::find_or_create(&db, &user, now).await.unwrap();
    let bot = Bot::new("1:test").set_api_url(url.parse().unwrap());
    let outbox = Outbox::new(
        bot,
        Pacer::unlimited(),
        Arc::new(I18n::new()),
        db.clone(),
        Arc::new(FixedClock::new(now)),
    );
    Fixture { outbox, db, requests, _dir: dir }
}

async fn blocked(db: &DatabaseConnection, user: i64) -> bool {
    learners::is_blocked(db, user).await.unwrap()
}

#[tokio::test]
async fn a_403_marks_the_learner_blocked_and_says_so() {
    let f = fixture().await;
    let sent = f.outbox.text(To::chat(ChatId(LEARNER)), "Ahoj".into(), None).await;
    assert!(matches!(sent, Err(OutboxError::Blocked(_))), "{sent:?}");
    assert!(sent.unwrap_err().recipient_gone());
    assert_eq!(f.requests.load(Ordering::SeqCst), 1, "a 403 is final: not retried");
    assert!(blocked(&f.db, LEARNER).await);
}

#[tokio::test]
async fn a_background_send_skips_a_learner_marked_blocked_and_an_answer_does_not() {
    let f = fixture().await;
    learners::set_status(&f.db, LEARNER, learners::LearnerStatus::Blocked, Utc::now())
        .await
        .unwrap();
    let skipped = f.outbox.text(To::unprompted(ChatId(LEARNER)), "Reminder".into(), None).await;
    assert!(matches!(skipped, Err(OutboxError::Skipped)), "{skipped:?}");
    assert_eq!(f.requests.load(Ordering::SeqCst), 0, "nothing asked of Telegram");

    let answer = f.outbox.notice(To::chat(ChatId(LEARNER)), Lang::En, "help", &[]).await;
    assert!(matches!(answer, Err(OutboxError::Blocked(_))), "{answer:?}");
    assert_eq!(f.requests.load(Ordering::SeqCst), 1, "the answer was attempted");
}

#[tokio::test]
async fn a_background_send_to_a_learner_not_marked_is_attempted() {
    let f = fixture().await;
    let sent = f.outbox.plain_text(To::unprompted(ChatId(LEARNER)), "News".into()).await;
    assert!(matches!(sent, Err(OutboxError::Blocked(_))), "{sent:?}");
    assert_eq!(f.requests.load(Ordering::SeqCst), 1);
    assert!(blocked(&f.db, LEARNER).await, "marked by the 403");
}

#[tokio::test]
async fn a_403_in_a_group_marks_nobody() {
    let f = fixture().await;
    let sent = f.outbox.text(To::chat(ChatId(-LEARNER)), "Ahoj".into(), None).await;
    assert!(matches!(sent, Err(OutboxError::Blocked(_))), "{sent:?}");
    assert!(!blocked(&f.db, LEARNER).await, "a group is nobody's learner");
}

#[tokio::test]
async fn an_edit_meeting_a_403_marks_the_learner_too() {
    let f = fixture().await;
    let edited = f.outbox.edit_text(ChatId(LEARNER), MessageId(7), "x".into(), None).await;
    assert!(matches!(edited, Err(OutboxError::Blocked(_))), "{edited:?}");
    assert!(blocked(&f.db, LEARNER).await);
}

#[tokio::test]
async fn the_one_at_a_time_notice_goes_once_per_burst_and_chat() {
    let f = fixture().await;
    assert!(f.outbox.first_overflow(ChatId(1)));
    assert!(!f.outbox.first_overflow(ChatId(1)), "the same burst");
    assert!(f.outbox.first_overflow(ChatId(2)), "another chat");
}

#[test]
fn only_a_private_chat_belongs_to_a_learner() {
    assert_eq!(learner_of(ChatId(LEARNER)), Some(LEARNER));
    assert_eq!(learner_of(ChatId(-100_123)), None);
}
