//! Updates in the shapes Telegram sends (`tests/fixtures/telegram`, written from the Bot API 9.x
//! documentation): every optional field left out somewhere, fields and entity types newer than
//! teloxide. Fed through the real path (the emulator's getUpdates, or the webhook) and judged by
//! what the learner sees: a voice or a text is answered as a turn, everything else is handled or
//! deliberately ignored, and the inbox marks each done, never failed.

use emulators::samples;
use emulators::telegram::{BotMessageKind, Learner};
use serde_json::Value;

use crate::common::*;

/// A fixture's update body, without its `update_id` (the emulator numbers its own).
fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/telegram/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut update: Value = serde_json::from_str(&text).unwrap();
    // `retain`, not `remove`: with serde_json's `preserve_order` a removal swaps the last key
    // into its place, and the update's own object must stay the first key.
    update.as_object_mut().unwrap().retain(|k, _| k != "update_id");
    update
}

async fn learner(app: &TestApp, id: i64) -> Learner {
    let l = app.learner(id, "ru");
    app.onboard(&l, "ru", "beginner").await;
    l
}

/// How the inbox left update `id`.
async fn inbox_status(app: &TestApp, id: i64) -> String {
    let db = app.db().await;
    let status = mluvme::store::inbox::status(&db, id).await.unwrap();
    status.map(|s| s.as_str().to_owned()).unwrap_or_else(|| "missing".into())
}

/// A turn's answer: it ends in Honzík's voice.
async fn answered_as_a_turn(app: &TestApp, l: &Learner, sent: emulators::telegram::Sent) {
    let replies = app.replies_to(l, sent.message_id, true).await;
    assert_eq!(replies.last().unwrap().kind, BotMessageKind::Voice, "{replies:#?}");
    assert_eq!(inbox_status(app, sent.update_id).await, "done");
}

#[tokio::test]
async fn voice_notes_from_the_phone_and_desktop_apps_and_forwarded_ones_are_answered_as_turns() {
    let app = spawn_app().await;
    let l = learner(&app, 1601).await;
    for name in ["voice_phone", "voice_desktop", "voice_forwarded"] {
        let sent = l.send_raw(fixture(name), Some(samples::BEGINNER_AHOJ.to_vec()));
        answered_as_a_turn(&app, &l, sent).await;
    }
    assert_eq!(app.ai.calls(emulators::Endpoint::Transcription), 3, "each one was listened to");
    app.assert_no_rejections();
}

#[tokio::test]
async fn texts_with_a_quote_unknown_fields_or_a_newer_entity_type_are_answered_as_turns() {
    let app = spawn_app().await;
    let l = learner(&app, 1602).await;
    for name in ["text_reply_quote", "text_unknown_fields", "text_new_entity_type"] {
        let sent = l.send_raw(fixture(name), None);
        answered_as_a_turn(&app, &l, sent).await;
    }
    let said = app.texts(1602, "learner").await;
    assert!(said.iter().any(|t| t.starts_with("Zítra v pět hodin")), "the text was read: {said:?}");
    app.assert_no_rejections();
}

#[tokio::test]
async fn an_edit_in_telegrams_shape_gets_the_send_it_again_note() {
    let app = spawn_app().await;
    let l = learner(&app, 1603).await;
    let first = l.send_raw(fixture("text_unknown_fields"), None);
    app.replies_to(&l, first.message_id, true).await;
    let mut edit = fixture("edited_message");
    edit["edited_message"]["message_id"] = first.message_id.into();
    let update_id = l.send_raw(edit, None).update_id;
    app.wait_until(|| {
        l.messages().iter().filter(|m| m.reply_to == Some(first.message_id)).count() > 1
    })
    .await;
    app.settle().await;
    assert_eq!(inbox_status(&app, update_id).await, "done");
    assert_eq!(app.ai.calls(emulators::Endpoint::Chat), 1, "an edit is no second turn");
}

#[tokio::test]
async fn stickers_locations_and_polls_get_the_one_note_about_voice_and_text() {
    let app = spawn_app().await;
    let l = learner(&app, 1604).await;
    let mut notes = Vec::new();
    for name in ["sticker", "location", "poll"] {
        let sent = l.send_raw(fixture(name), None);
        let replies = app.replies_to(&l, sent.message_id, false).await;
        assert_eq!(replies.len(), 1, "{name}: {replies:#?}");
        assert_eq!(replies[0].kind, BotMessageKind::Text);
        notes.push(replies[0].plain_text());
        assert_eq!(inbox_status(&app, sent.update_id).await, "done", "{name}");
    }
    assert!(notes.iter().all(|n| *n == notes[0]), "the same note each time: {notes:#?}");
    assert_eq!(app.ai.calls(emulators::Endpoint::Chat), 0, "nothing paid for");
}

#[tokio::test]
async fn blocking_and_unblocking_in_telegrams_shape_are_recorded() {
    let app = spawn_app().await;
    let l = learner(&app, 1605).await;
    let status =
        || app.count("SELECT COUNT(*) AS n FROM users WHERE id = 1605 AND status = 'blocked'");
    let blocked = l.send_raw(fixture("my_chat_member_kicked"), None).update_id;
    app.settle().await;
    assert_eq!(inbox_status(&app, blocked).await, "done");
    assert_eq!(status().await, 1, "blocked");
    let unblocked = l.send_raw(fixture("my_chat_member_member"), None).update_id;
    app.settle().await;
    assert_eq!(inbox_status(&app, unblocked).await, "done");
    assert_eq!(status().await, 0, "active again");
}

/// Kinds the bot does not ask Telegram for (so the emulator, like Telegram, never delivers them
/// by getUpdates) still reach a webhook posted to by hand, or by a Telegram that changed its
/// mind: each is acknowledged and marked done, nobody is written to — including a reaction whose
/// shape makes teloxide panic.
#[tokio::test]
async fn kinds_the_bot_does_not_handle_are_acknowledged_on_the_webhook_and_marked_done() {
    let port = free_port();
    let hook = format!("http://127.0.0.1:{port}/telegram/hook");
    let secret = "fixtures-secret_0123456789";
    let app = TestApp::builder()
        .env(&[("PORT", &port.to_string()), ("WEBHOOK_URL", &hook), ("WEBHOOK_SECRET", secret)])
        .spawn()
        .await
        .unwrap();
    app.wait_until(|| app.tg.webhook().is_some()).await;
    let client = reqwest::Client::new();
    let names =
        ["message_reaction", "message_reaction_anonymous", "business_message", "channel_post"];
    for name in names {
        let path = format!("{}/tests/fixtures/telegram/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let body = std::fs::read_to_string(path).unwrap();
        let id: Value = serde_json::from_str(&body).unwrap();
        let response = client
            .post(&hook)
            .header("x-telegram-bot-api-secret-token", secret)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{name}");
        let id = id["update_id"].as_i64().unwrap();
        let mut status = String::new();
        for _ in 0..400 {
            status = inbox_status(&app, id).await;
            if status != "pending" && status != "missing" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(status, "done", "{name}");
    }
    for chat in [5_550_001, 5_550_002, -1_001_234_567_890] {
        assert!(app.tg.messages(chat).is_empty(), "nothing sent to {chat}");
    }
    app.assert_no_rejections();
}
