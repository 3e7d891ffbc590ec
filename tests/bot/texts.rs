//! What a learner reads, against the emulators: Honzík's words shown plainly when no voice goes
//! with them, and an allowance told in turns, never in money.

use emulators::telegram::{BotMessage, BotMessageKind, Learner};

use crate::common::*;

async fn learner(app: &TestApp, id: i64, lang: &str) -> Learner {
    let l = app.learner(id, lang);
    app.onboard(&l, lang, "intermediate").await;
    l
}

async fn turn(app: &TestApp, l: &Learner, text: &str, voice: bool) -> Vec<BotMessage> {
    let sent = l.send_text(text);
    app.replies_to(l, sent.message_id, voice).await
}

fn html(replies: &[BotMessage]) -> String {
    replies
        .iter()
        .filter_map(|m| m.text.clone().or(m.caption.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn with_voice_replies_off_honziks_text_is_shown_plainly_without_a_spoiler() {
    let app = spawn_app().await;
    for (id, lang, name) in
        [(941, "en", "🗣 Honzík"), (942, "ru", "🗣 Гонзик"), (943, "uk", "🗣 Гонзік")]
    {
        let l = learner(&app, id, lang).await;
        // With his voice: under the "listen first" spoiler.
        let spoken = html(&turn(&app, &l, "Mám rád pivo.", true).await);
        assert!(spoken.contains("<tg-spoiler>Pivo je v Česku skoro svaté!"), "{spoken}");

        let screen = command(&app, &l, "/voice").await;
        press(&app, &l, screen.message_id, "set:voice:off").await;
        let replies = turn(&app, &l, "Mám rád pivo.", false).await;
        assert!(replies.iter().all(|m| m.kind == BotMessageKind::Text), "{replies:#?}");
        let text = html(&replies);
        assert!(
            text.contains(&format!("<b>{name}</b>\nPivo je v Česku skoro svaté!")),
            "{lang}: {text}"
        );
        assert!(!text.contains("<tg-spoiler>Pivo"), "{lang}: nothing to listen to first: {text}");
    }
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_learner_near_and_over_the_allowance_is_told_the_turns_left_never_money() {
    let Some(app) = TestApp::builder().env(&[("ADMIN_IDS", "900")]).spawn().await else { return };
    let admin = learner(&app, 900, "en").await;
    let l = learner(&app, 944, "ru").await;
    command(&app, &admin, "/quota 944 1").await;
    turn(&app, &l, "Dobrý den, jak se máte?", true).await;
    let one = app
        .count("SELECT CAST(cost_micros AS BIGINT) AS n FROM daily_stats WHERE user_id = 944")
        .await;
    assert!(one > 0, "the emulator's turn has a price");
    // As if it were the day's twentieth turn at that cost: the learner's average is one turn.
    let db = app.db().await;
    let sql = format!(
        "UPDATE daily_stats SET turns = 20, cost_micros = {} WHERE user_id = 944",
        20 * one
    );
    sea_orm::ConnectionTrait::execute_unprepared(&db, &sql).await.unwrap();
    // Two and a half turns left (under a fifth of the allowance): three more can start.
    let quota = 20 * one + one * 5 / 2;
    command(&app, &admin, &format!("/quota 944 {}.{:06}", quota / 1_000_000, quota % 1_000_000))
        .await;
    let near = html(&turn(&app, &l, "Dobrý den, jak se máte?", true).await);
    assert!(
        near.contains("На сегодня осталось примерно 3 сообщения практики, включая это."),
        "{near}"
    );
    // Then turns until the allowance is used up (each costs about one; the history grows).
    let mut over = None;
    for _ in 0..5 {
        let text = html(&turn(&app, &l, "Dobrý den, jak se máte?", false).await);
        if text.contains("дневной лимит исчерпан") {
            over = Some(text);
            break;
        }
    }
    assert!(over.is_some(), "refused once the allowance is used up: {:#?}", l.messages());
    let seen = l
        .messages()
        .iter()
        .filter_map(|m| m.text.clone().or(m.caption.clone()))
        .collect::<Vec<_>>();
    assert!(seen.iter().all(|t| !t.contains('$')), "a learner never sees money: {seen:#?}");
    app.assert_no_rejections();
}
