//! Every bad input gets one clear, localized message and loses nothing.

use emulators::samples;
use emulators::telegram::BotMessageKind;

use crate::common::*;
use sea_orm::ConnectionTrait;

/// Onboards a Russian-speaking beginner and returns them.
async fn learner(app: &TestApp, id: i64) -> emulators::telegram::Learner {
    let l = app.learner(id, "ru");
    app.onboard(&l, "ru", "beginner").await;
    l
}

/// The single notice answering `msg_id`, in Russian.
async fn notice(app: &TestApp, l: &emulators::telegram::Learner, msg_id: i64) -> String {
    let replies = app.replies_to(l, msg_id, false).await;
    assert_eq!(replies.len(), 1, "a notice replaces the turn's messages: {replies:#?}");
    assert_eq!(replies[0].kind, BotMessageKind::Text);
    let text = replies[0].plain_text();
    assert!(text.chars().any(|c| ('а'..='я').contains(&c)), "localized in Russian: {text}");
    text
}

#[tokio::test]
async fn a_voice_over_the_limit_is_refused_before_download() {
    let app = spawn_app().await;
    let l = learner(&app, 301).await;
    let sent = l.send_voice(samples::BEGINNER_AHOJ.to_vec(), 95);
    let text = notice(&app, &l, sent.message_id).await;
    assert!(text.contains("60"), "says the limit: {text}");
    assert_eq!(app.tg.downloaded_files(), 0, "nothing was downloaded");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 301 AND role = 'learner'")
            .await,
        1,
        "the message is kept"
    );
}

#[tokio::test]
async fn a_file_over_twenty_megabytes_is_refused() {
    let app = spawn_app().await;
    let l = learner(&app, 302).await;
    let sent = l.send_voice_claiming(samples::BEGINNER_AHOJ.to_vec(), 5, Some(25 * 1024 * 1024));
    let text = notice(&app, &l, sent.message_id).await;
    assert!(text.contains("20"), "{text}");
    assert_eq!(app.tg.downloaded_files(), 0);
}

#[tokio::test]
async fn a_file_that_is_not_audio_is_explained() {
    let app = spawn_app().await;
    let l = learner(&app, 303).await;
    let corrupt = l.send_voice(b"definitely not an ogg file".to_vec(), 3);
    notice(&app, &l, corrupt.message_id).await;
    let pdf = l.send_document(b"%PDF-1.7 fake".to_vec(), "application/pdf", "homework.pdf");
    notice(&app, &l, pdf.message_id).await;
    let empty = l.send_voice(Vec::new(), 1);
    notice(&app, &l, empty.message_id).await;
    assert_eq!(app.ai.calls(emulators::Endpoint::Chat), 0, "nothing paid for");
}

#[tokio::test]
async fn silence_gets_a_did_not_hear_you_message() {
    let app = spawn_app().await;
    let l = learner(&app, 304).await;
    let sent = l.send_voice(samples::SILENCE.to_vec(), 1);
    notice(&app, &l, sent.message_id).await;
    assert_eq!(app.ai.calls(emulators::Endpoint::Transcription), 1);
    assert_eq!(app.ai.calls(emulators::Endpoint::Chat), 0);
}

#[tokio::test]
async fn text_too_short_and_too_long_are_explained() {
    let app = spawn_app().await;
    let l = learner(&app, 305).await;
    let short = l.send_text("a");
    notice(&app, &l, short.message_id).await;
    let long = l.send_text(&"slovo ".repeat(900));
    let text = notice(&app, &l, long.message_id).await;
    assert!(
        text.contains("4096") || text.contains("4 096") || text.contains("4\u{a0}096"),
        "{text}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 305 AND role = 'learner'")
            .await,
        2,
        "both kept"
    );
}

#[tokio::test]
async fn text_in_russian_gets_a_czech_answer_and_a_gentle_nudge() {
    let app = spawn_app().await;
    let l = learner(&app, 306).await;
    let sent = l.send_text("Привет, как дела? Я люблю пиво.");
    let replies = app.replies_to(&l, sent.message_id, true).await;
    let all: String = replies
        .iter()
        .map(|m| format!("{} {}", m.plain_text(), m.caption.clone().unwrap_or_default()))
        .collect();
    assert!(all.contains("česky") || all.contains("чешск"), "nudges towards Czech: {all}");
}

#[tokio::test]
async fn stickers_photos_and_edits_get_a_clear_message() {
    let app = spawn_app().await;
    let l = learner(&app, 307).await;
    let sticker = l.send_sticker();
    notice(&app, &l, sticker.message_id).await;
    let photo = l.send_photo();
    notice(&app, &l, photo.message_id).await;
    let sent = l.send_text("Ahoj");
    let turn = app.replies_to(&l, sent.message_id, true).await.len();
    l.edit_text(sent.message_id, "Ahoj!!");
    app.wait_until(|| {
        l.messages().iter().filter(|m| m.reply_to == Some(sent.message_id)).count() == turn + 1
    })
    .await;
    let edit_notice = l.last_message().unwrap();
    assert!(
        edit_notice.plain_text().chars().any(|c| ('а'..='я').contains(&c)),
        "{}",
        edit_notice.plain_text()
    );
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_button_the_bot_never_sent_changes_nothing() {
    let app = spawn_app().await;
    let l = learner(&app, 308).await;
    let before = mluvme::store::learners::find(&app.db().await, 308).await.unwrap().unwrap();
    let last = l.last_message().unwrap();
    app.tg.push_raw_update(serde_json::json!({"callback_query": {
        "id": "forged-1", "from": {"id": 308, "is_bot": false, "first_name": "Olga", "language_code": "ru"},
        "message": {"message_id": last.message_id, "date": 0, "chat": {"id": 308, "type": "private", "first_name": "Olga"}, "text": "x"},
        "chat_instance": "1", "data": "level:grandmaster"}}));
    let ok =
        app.tg.wait_until(WAIT, |tg| tg.callback_answers().iter().any(|a| a.text.is_some())).await;
    assert!(ok, "answers: {:?}, rejected: {:?}", app.tg.callback_answers(), app.tg.rejected());
    app.settle().await;
    let after = mluvme::store::learners::find(&app.db().await, 308).await.unwrap().unwrap();
    assert_eq!(before.level, after.level);
}

#[tokio::test]
async fn a_voice_without_a_declared_size_is_still_answered() {
    let app = spawn_app().await;
    let l = learner(&app, 309).await;
    let sent = l.send_voice_claiming(samples::BEGINNER_AHOJ.to_vec(), 4, None);
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert!(replies.iter().any(|m| m.kind == BotMessageKind::Voice));
}

#[tokio::test]
async fn a_chat_flooding_the_bot_gets_one_polite_notice_and_its_messages_are_kept() {
    let app = spawn_app().await;
    let flood = learner(&app, 310).await;
    let hold = app.ai.hold(emulators::Endpoint::Chat);
    let sent: Vec<_> = (0..9).map(|i| flood.send_text(&format!("Zpráva číslo {i}"))).collect();
    app.wait_until(|| {
        flood.messages().iter().any(|m| sent.iter().any(|s| m.reply_to == Some(s.message_id)))
    })
    .await;
    drop(hold);
    app.settle().await;
    let answered = app
        .count("SELECT COUNT(*) AS n FROM turns WHERE user_id = 310 AND outcome = 'answered'")
        .await;
    let skipped = app
        .count("SELECT COUNT(*) AS n FROM updates WHERE chat_id = 310 AND status = 'skipped'")
        .await;
    assert!(skipped >= 1, "beyond the backlog updates are not queued");
    assert_eq!(answered + skipped, 9, "every message is either answered or kept with a notice");
    assert!(answered >= 5, "the backlog (5) is answered in order");
    // Which ones were answered depends on when the chat's worker freed a slot during the burst.
    let db = app.db().await;
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT update_id FROM turns WHERE user_id = 310 AND outcome = 'answered'",
        ))
        .await
        .unwrap();
    let answered_updates: Vec<i64> =
        rows.iter().map(|r| r.try_get::<i64>("", "update_id").unwrap()).collect();
    let answered_ids: Vec<i64> = sent
        .iter()
        .filter(|s| answered_updates.contains(&s.update_id))
        .map(|s| s.message_id)
        .collect();
    assert_eq!(answered_ids.len() as i64, answered);
    let notices: Vec<_> = flood
        .messages()
        .into_iter()
        .filter(|m| {
            m.reply_to.is_some_and(|r| {
                sent.iter().any(|s| s.message_id == r) && !answered_ids.contains(&r)
            })
        })
        .collect();
    assert_eq!(notices.len(), 1, "one notice per burst, not one per message: {notices:#?}");
    assert!(notices[0].plain_text().contains("по одному"), "{}", notices[0].plain_text());
}
