//! Issue 15, points 1, 7 and 8 against the emulators: one gate before anything paid (a spoken
//! review answer included), the model's output bounded (tokens asked for, mistakes and words
//! kept, fields clipped to what Telegram shows), and the database failing closed — a learner told
//! to wait a moment, never sent back to onboarding, and answered once the database is back.

use emulators::Endpoint;
use emulators::telegram::{BotMessage, BotMessageKind, Learner};
use mluvme::words::{Candidate, normalize};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::common::*;

async fn learner(app: &TestApp, id: i64) -> Learner {
    let l = app.learner(id, "en");
    app.onboard(&l, "en", "beginner").await;
    l
}

async fn save_word(app: &TestApp, user: i64, czech: &str, translation: &str) {
    let c = Candidate {
        czech: czech.into(),
        translation: translation.into(),
        original: None,
        source: None,
        key: normalize(czech),
    };
    let now = mluvme::progress::Clock::now(app.clock.as_ref());
    assert!(mluvme::store::words::save(&app.db().await, user, &c, now).await.unwrap());
}

/// Runs a statement on the bot's database from outside, as an operator (or a failure) would.
async fn sql(app: &TestApp, statement: &str) {
    app.db().await.execute_unprepared(statement).await.unwrap();
}

fn said(replies: &[BotMessage]) -> String {
    replies.iter().map(BotMessage::plain_text).collect::<Vec<_>>().join("\n")
}

/// A `/review` card for the sample voice note's words, then a spoken answer to it: refused by
/// whichever limit `env` sets, with its notice, and never sent to speech-to-text. The card keeps
/// waiting: typed, the same answer is graded.
async fn spoken_review_answer_is_refused(env: (&str, &str), notice: &str) {
    let app = TestApp::builder().env(&[env]).spawn().await.unwrap();
    let l = learner(&app, 1401).await;
    save_word(&app, 1401, "pozdrav", emulators::samples::BEGINNER_AHOJ_TEXT).await;
    let card = command(&app, &l, "/review").await;
    assert!(card.plain_text().contains("What does pozdrav mean?"), "{}", card.plain_text());

    let voice = l.send_voice(emulators::samples::BEGINNER_AHOJ.to_vec(), 3);
    let refused = app.replies_to(&l, voice.message_id, false).await;
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert!(refused[0].plain_text().contains(notice), "{}: {refused:#?}", env.0);
    assert_eq!(app.ai.calls(Endpoint::Transcription), 0, "nothing transcribed: {}", env.0);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM usage WHERE user_id = 1401").await,
        0,
        "nothing paid for"
    );
    let typed = command(&app, &l, emulators::samples::BEGINNER_AHOJ_TEXT).await.plain_text();
    assert!(typed.contains("Right!") && typed.contains("Review done: 1 of 1"), "{typed}");
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_spoken_review_answer_over_the_daily_allowance_is_refused_and_never_transcribed() {
    spoken_review_answer_is_refused(("DEFAULT_DAILY_QUOTA", "0"), "daily allowance is used up")
        .await;
}

#[tokio::test]
async fn a_spoken_review_answer_over_the_spend_cap_is_refused_and_never_transcribed() {
    spoken_review_answer_is_refused(("SPEND_CAP_DAILY", "0"), "Honzík is resting").await;
}

#[tokio::test]
async fn a_spoken_review_answer_over_the_turn_limit_is_slowed_down_and_never_transcribed() {
    let app = TestApp::builder().env(&[("TURNS_PER_MINUTE", "1")]).spawn().await.unwrap();
    let l = learner(&app, 1402).await;
    save_word(&app, 1402, "pivo", "beer").await;
    save_word(&app, 1402, "pozdrav", emulators::samples::BEGINNER_AHOJ_TEXT).await;
    let card = command(&app, &l, "/review").await;
    assert!(card.plain_text().contains("What does pozdrav mean?"), "{}", card.plain_text());
    // The first spoken answer is within the limit (one a minute): transcribed and graded.
    let first = l.send_voice(emulators::samples::BEGINNER_AHOJ.to_vec(), 3);
    let graded = said(&app.replies_to(&l, first.message_id, false).await);
    assert!(graded.contains("Right!") && graded.contains("What does pivo mean?"), "{graded}");
    assert_eq!(app.ai.calls(Endpoint::Transcription), 1);
    // The second, in the same minute — a silent clip resent to keep the card waiting, say.
    let again = l.send_voice(emulators::samples::SILENCE.to_vec(), 1);
    let refused = app.replies_to(&l, again.message_id, false).await;
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert!(refused[0].plain_text().contains("Slow down"), "{refused:#?}");
    assert_eq!(app.ai.calls(Endpoint::Transcription), 1, "the refused clip was not transcribed");
    // A minute later it goes through again.
    app.clock.advance(chrono::Duration::seconds(61));
    let later = l.send_voice(emulators::samples::SILENCE.to_vec(), 1);
    let unheard = said(&app.replies_to(&l, later.message_id, false).await);
    assert!(unheard.contains("couldn't make that out"), "{unheard}");
    assert_eq!(app.ai.calls(Endpoint::Transcription), 2);
    app.assert_no_rejections();
}

/// A reply far beyond the contract: 30 mistakes, 12 words, every text field over its limit —
/// yet within the completion's token cap, as a model talked into it could return.
fn runaway_reply() -> String {
    let mistakes: Vec<_> = (0..30)
        .map(|i| {
            json!({
                "original": format!("chybka{i}"),
                "corrected": format!("oprava{i}"),
                "explanation": "pád",
                "category": "case_endings"
            })
        })
        .collect();
    let words: Vec<_> =
        (0..12).map(|i| json!({"czech": format!("slovo{i}"), "translation": "word"})).collect();
    json!({
        "honzik_response": "Praha je krásná a pivo je dobré. ".repeat(75),
        "translation": "Prague is beautiful and beer is good. ".repeat(55),
        "corrected_text": "Bydlím v Praze. ".repeat(10),
        "mistakes": mistakes,
        "correctness_score": 10,
        "suggestion": "Read more! ".repeat(60),
        "new_words": words,
    })
    .to_string()
}

#[tokio::test]
async fn a_runaway_reply_shows_and_stores_at_most_ten_mistakes_and_stays_within_telegrams_limits() {
    let app = spawn_app().await;
    // Advanced: the level shows every mistake up to the contract's bound (a beginner sees two).
    let l = app.learner(1403, "en");
    app.onboard(&l, "en", "advanced").await;
    let raw = runaway_reply();
    assert!(
        raw.chars().count() < mluvme::tutor::REPLY_MAX_TOKENS as usize * 4,
        "the emulator cuts content at the token cap (4 characters a token): the test would not \
         reach the bot's own bounds"
    );
    app.ai.set_next_chat_content(&raw);
    let sent = l.send_text("Bydlím v Praha a mám rád pivo.");
    let replies = app.replies_to(&l, sent.message_id, true).await;

    let request = app.ai.requests().into_iter().find(|r| r.endpoint == Endpoint::Chat).unwrap();
    assert_eq!(
        request.body["max_completion_tokens"],
        json!(mluvme::tutor::REPLY_MAX_TOKENS),
        "the turn's request is capped"
    );
    let shown = said(&replies);
    let corrections = shown.lines().filter(|line| line.contains(" → ")).count();
    assert_eq!(corrections, mluvme::tutor::MAX_MISTAKES, "{shown}");
    assert!(shown.contains("chybka9") && !shown.contains("chybka10"), "the first ten: {shown}");
    assert!(!shown.contains("slovo5"), "at most five new words: {shown}");
    for m in &replies {
        let limit = if m.kind == BotMessageKind::Text { 4096 } else { 1024 };
        assert!(m.plain_text().encode_utf16().count() <= limit, "{m:#?}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM mistakes WHERE user_id = 1403").await,
        10,
        "what is stored is what was shown"
    );
    // The voice sent says the clipped line, too (the one made while the reply streamed said
    // the whole line, and was made again).
    let spoken = app.ai.requests().into_iter().rfind(|r| r.endpoint == Endpoint::Speech).unwrap();
    let input = spoken.body["input"].as_str().unwrap();
    assert!(input.chars().count() <= mluvme::tutor::reply::RESPONSE_CHARS, "{}", input.len());
    let save_buttons = replies.iter().flat_map(BotMessage::buttons).count();
    assert!(save_buttons <= mluvme::words::MAX_CANDIDATES, "{save_buttons}");
    app.assert_no_rejections();
}

/// Messages in `l`'s chat that start onboarding (the language question).
fn onboarding_prompts(l: &Learner) -> usize {
    l.messages().iter().filter(|m| m.buttons().iter().any(|(_, d)| d.starts_with("lang:"))).count()
}

#[tokio::test]
async fn a_ban_check_the_database_cannot_answer_refuses_for_a_moment_and_answers_once_it_is_back() {
    let app = TestApp::builder().db(Db::Sqlite).spawn().await.unwrap();
    let l = learner(&app, 1404).await;
    let (prompts, paid) = (onboarding_prompts(&l), app.ai.requests().len());
    // Bans live on the learner's row: without it, nobody can say who is banned.
    sql(&app, "ALTER TABLE users RENAME TO users_away").await;
    let sent = l.send_text("Dobrý den, jak se máte?");
    let first = app.wait_for(&l, |m| m.reply_to == Some(sent.message_id)).await;
    assert!(first.plain_text().contains("A hiccup on our side"), "{first:#?}");
    assert_eq!(app.ai.requests().len(), paid, "nothing paid for while nobody can say who it is");
    sql(&app, "ALTER TABLE users_away RENAME TO users").await;

    let replies = app.replies_to(&l, sent.message_id, true).await;
    let voices = replies.iter().filter(|m| m.kind == BotMessageKind::Voice).count();
    assert_eq!(voices, 1, "answered once the database is back, and once: {replies:#?}");
    assert_eq!(
        replies.iter().filter(|m| m.plain_text().contains("A hiccup")).count(),
        1,
        "told once"
    );
    assert_eq!(onboarding_prompts(&l), prompts, "never sent back to onboarding");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM updates WHERE status = 'done' \
             AND update_id = (SELECT MAX(update_id) FROM updates)"
        )
        .await,
        1
    );
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_failed_learner_lookup_never_restarts_onboarding_and_an_outage_ends_in_send_it_again() {
    let app = TestApp::builder().db(Db::Sqlite).spawn().await.unwrap();
    let l = learner(&app, 1405).await;
    let (prompts, paid) = (onboarding_prompts(&l), app.ai.requests().len());
    // The ban check reads `users` and passes; the learner's settings cannot be read.
    sql(&app, "ALTER TABLE user_settings RENAME TO user_settings_away").await;
    let sent = l.send_text("Dobrý den, jak se máte?");
    app.wait_for(&l, |m| {
        m.reply_to == Some(sent.message_id) && m.plain_text().contains("send it again")
    })
    .await;
    let replies: Vec<_> =
        l.messages().into_iter().filter(|m| m.reply_to == Some(sent.message_id)).collect();
    let texts: Vec<String> = replies.iter().map(BotMessage::plain_text).collect();
    assert_eq!(texts.len(), 2, "a moment, then: still failing, send it again: {texts:#?}");
    assert!(texts[0].contains("A hiccup on our side"), "{texts:#?}");
    assert_eq!(onboarding_prompts(&l), prompts, "a lookup error is not a stranger");
    assert_eq!(app.ai.requests().len(), paid, "nothing paid for");
    app.settle().await;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM updates WHERE status = 'failed' \
             AND update_id = (SELECT MAX(update_id) FROM updates)"
        )
        .await,
        1,
        "marked failed after its tries, not left to run for ever"
    );

    sql(&app, "ALTER TABLE user_settings_away RENAME TO user_settings").await;
    let again = l.send_text("Dobrý den, jak se máte?");
    let replies = app.replies_to(&l, again.message_id, true).await;
    assert!(replies.iter().any(|m| m.kind == BotMessageKind::Voice), "{replies:#?}");
    assert_eq!(onboarding_prompts(&l), prompts);
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_button_pressed_while_the_database_fails_is_answered_press_again_and_works_once_it_is_back()
 {
    let app = TestApp::builder().db(Db::Sqlite).spawn().await.unwrap();
    let l = learner(&app, 1406).await;
    let screen = command(&app, &l, "/level").await;
    sql(&app, "ALTER TABLE user_settings RENAME TO user_settings_away").await;
    let id = l.press(screen.message_id, "set:level:advanced");
    app.wait_until(|| app.tg.callback_answers().iter().any(|a| a.id == id)).await;
    let answer = app.tg.callback_answers().into_iter().find(|a| a.id == id).unwrap();
    assert!(
        answer.text.as_deref().is_some_and(|t| t.contains("press again")),
        "the button stops spinning and says why: {answer:?}"
    );
    assert_eq!(current(&l, screen.message_id).edits, 0, "nothing changed");
    assert_eq!(onboarding_prompts(&l), 0, "a lookup error is not a stranger");

    sql(&app, "ALTER TABLE user_settings_away RENAME TO user_settings").await;
    assert_eq!(press(&app, &l, screen.message_id, "set:level:advanced").await, None);
    assert!(current(&l, screen.message_id).edits > 0, "applied now");
    app.assert_no_rejections();
}
