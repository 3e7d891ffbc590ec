//! The same conversations on PostgreSQL (skipped with a visible line when it is not configured).

use emulators::samples;
use emulators::telegram::BotMessageKind;

use crate::common::*;

#[tokio::test]
async fn on_postgres_onboarding_voice_and_text_turns_work_and_are_stored() {
    let Some(app) = TestApp::builder().db(Db::Postgres).spawn().await else { return };
    let l = app.learner(601, "uk");
    app.onboard(&l, "uk", "beginner").await;
    let voice = l.send_voice(samples::BEGINNER_MISTAKE.to_vec(), 4);
    let replies = app.replies_to(&l, voice.message_id, true).await;
    assert!(replies.iter().any(|m| m.kind == BotMessageKind::Voice));
    let text = l.send_text("Dobře den, já mít rád pivo.");
    let replies = app.replies_to(&l, text.message_id, true).await;
    assert_eq!(replies.last().unwrap().kind, BotMessageKind::Voice);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 601").await, 4);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM daily_stats WHERE user_id = 601 AND turns = 2").await,
        1
    );
    assert!(app.count("SELECT COUNT(*) AS n FROM mistakes WHERE user_id = 601").await >= 2);
    app.assert_no_rejections();
}

#[tokio::test]
async fn on_postgres_a_restart_resumes_recorded_updates_once() {
    let Some(mut app) = TestApp::builder().db(Db::Postgres).spawn().await else { return };
    let l = app.learner(602, "en");
    app.onboard(&l, "en", "beginner").await;
    let hold = app.ai.hold(emulators::Endpoint::Chat);
    let sent = l.send_text("Ahoj, jak se máš?");
    assert!(app.ai.wait_until(WAIT, |ai| ai.held_requests(emulators::Endpoint::Chat) == 1).await);
    app.crash().await;
    drop(hold);
    assert!(l.messages().iter().all(|m| m.reply_to != Some(sent.message_id)));
    app.start_again().await;
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert_eq!(replies.iter().filter(|m| m.kind == BotMessageKind::Voice).count(), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 602 AND role = 'honzik'")
            .await,
        1
    );
}
