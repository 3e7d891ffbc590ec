//! Shadowing against the emulators (issue 14, point 3): Honzík says a phrase slowly and at
//! normal speed; the learner's voice note transcribes (with word timestamps) to the phrase with
//! a word missing, and the result names that word, the pace and what is not measured; `/stats`
//! shows the attempt; and a phrase waiting across a restart is still the one the next voice note
//! is compared with.

use emulators::openai::{Endpoint, Shapes};
use emulators::samples;
use emulators::telegram::{BotMessage, BotMessageKind, Learner};
use mluvme::practice::shadow;
use sea_orm::ConnectionTrait;

use crate::common::*;

async fn learner(app: &TestApp, id: i64) -> Learner {
    let l = app.learner(id, "en");
    app.onboard(&l, "en", "beginner").await;
    l
}

/// `/shadow`: waits for the phrase at normal speed (the second voice); returns the phrase.
async fn shadow_phrase(app: &TestApp, l: &Learner) -> (&'static shadow::Phrase, BotMessage) {
    l.send_text("/shadow");
    let normal = app
        .wait_for(l, |m| {
            m.kind == BotMessageKind::Voice && m.plain_text().contains("At normal speed")
        })
        .await;
    let db = app.db().await;
    let sql = format!(
        "SELECT subject FROM practice_sessions WHERE user_id = {} AND mode = 'shadow'",
        l.user_id()
    );
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .expect("a shadowing session is stored");
    let id: String = row.try_get("", "subject").unwrap();
    (shadow::find(&id).expect("a known phrase"), normal)
}

/// The phrase without its second word, and that word as the result names it.
fn without_second_word(phrase: &str) -> (String, String) {
    let mut words: Vec<&str> = phrase.split_whitespace().collect();
    let dropped = words.remove(1);
    let named = dropped.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    (words.join(" "), named)
}

/// The learner says `text` (the sample's bytes transcribe to it); returns the bot's reply.
async fn say(app: &TestApp, l: &Learner, text: &str) -> BotMessage {
    app.ai.register_transcript(samples::BEGINNER_AHOJ, text);
    let sent = l.send_voice(samples::BEGINNER_AHOJ.to_vec(), 3);
    let replies = app.replies_to(l, sent.message_id, false).await;
    assert_eq!(replies.len(), 1, "{replies:#?}");
    replies.into_iter().next().unwrap()
}

#[tokio::test]
async fn a_shadowing_round_with_a_missed_word_names_it_and_shows_in_stats() {
    let app = spawn_app().await;
    let l = learner(&app, 1501).await;
    let (phrase, normal) = shadow_phrase(&app, &l).await;
    // Two recordings of the phrase: slowly, then at normal speed, each metered.
    let speeds: Vec<f64> = app
        .ai
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Endpoint::Speech && r.body["input"] == phrase.cs.as_str())
        .map(|r| r.body["speed"].as_f64().unwrap())
        .collect();
    assert_eq!(speeds.len(), 2, "{speeds:?}");
    assert!(speeds[0] < speeds[1], "slowly first: {speeds:?}");
    assert!(normal.buttons().iter().any(|(_, d)| d.starts_with("sh:n:")));

    let (said, missed) = without_second_word(&phrase.cs);
    let verdict = say(&app, &l, &said).await.plain_text();
    assert!(verdict.contains(&format!("Missed: {missed}")), "{verdict}");
    assert!(!verdict.contains("Every word"), "{verdict}");
    assert!(verdict.contains("words/min") && verdict.contains("Honzík"), "{verdict}");
    assert!(verdict.contains("phoneme model"), "honest about what is not measured: {verdict}");
    // The transcription asked for word timestamps (a minimal server refuses them: the pace then
    // comes from the recording's length).
    let stt = app.ai.requests().into_iter().rev().find(|r| r.endpoint == Endpoint::Transcription);
    let body = format!("{:?}", stt.expect("a transcription").body);
    assert!(Shapes::from_env() == Shapes::Minimal || body.contains("verbose_json"), "{body}");

    // The whole phrase this time: every word there.
    let all = say(&app, &l, &phrase.cs).await.plain_text();
    assert!(all.contains("Every word is there") && all.contains("100%"), "{all}");

    // A typed message while a phrase waits is asked to be said; ⏹ End stops.
    let typed = command(&app, &l, "Dobrý den").await.plain_text();
    assert!(typed.contains("voice note"), "{typed}");
    let last = app.wait_for(&l, |m| m.buttons().iter().any(|(_, d)| d.starts_with("sh:e:"))).await;
    let end = last.buttons().into_iter().map(|(_, d)| d).find(|d| d.starts_with("sh:e:")).unwrap();
    assert_eq!(press(&app, &l, last.message_id, &end).await, None);
    app.wait_for(&l, |m| m.plain_text().contains("Shadowing ended")).await;
    let stats = command(&app, &l, "/stats").await.plain_text();
    assert!(stats.contains("Shadowing, 30 days: 2 attempts"), "{stats}");

    app.assert_no_rejections();
}

#[tokio::test]
async fn a_phrase_waiting_across_a_restart_is_still_the_one_compared() {
    let mut app = spawn_app().await;
    let l = learner(&app, 1502).await;
    let (phrase, _) = shadow_phrase(&app, &l).await;

    app.stop().await;
    app.start_again().await;

    let (said, missed) = without_second_word(&phrase.cs);
    let verdict = say(&app, &l, &said).await.plain_text();
    assert!(verdict.contains(&phrase.cs), "the same phrase: {verdict}");
    assert!(verdict.contains(&format!("Missed: {missed}")), "{verdict}");
    app.assert_no_rejections();
}

#[tokio::test]
async fn cancel_ends_shadowing_and_a_second_cancel_finds_nothing() {
    let app = spawn_app().await;
    let l = learner(&app, 1503).await;
    shadow_phrase(&app, &l).await;

    let stopped = command(&app, &l, "/cancel").await.plain_text();
    assert!(stopped.contains("Shadowing ended"), "{stopped}");
    let nothing = command(&app, &l, "/cancel").await.plain_text();
    assert!(nothing.contains("nothing to cancel"), "{nothing}");
    app.assert_no_rejections();
}
