//! `/placement`: taken at the end of onboarding or skipped there, carried on across a restart,
//! gated like any paid request; its result sets the level and shows in `/stats`.

use chrono::{TimeZone, Utc};
use emulators::Endpoint;
use emulators::telegram::{BotMessage, BotMessageKind, Learner};
use mluvme::store::placement;
use mluvme::tutor::placement::{Cefr, Grade, ITEMS, Item};

use crate::common::*;

#[tokio::test]
async fn the_last_placement_shows_in_stats_with_its_date_and_a_line_per_skill() {
    let app = spawn_app().await;
    let l = app.learner(401, "uk");
    app.onboard(&l, "uk", "beginner").await;
    let before = command(&app, &l, "/stats").await.plain_text();
    assert!(!before.contains("Тест рівня"), "no placement taken yet: {before}");

    let db = app.db().await;
    let taken = Utc.with_ymd_and_hms(2026, 11, 27, 23, 30, 0).unwrap();
    placement::start(&db, 401, taken).await.unwrap();
    let grade = Grade {
        level: Cefr::B1,
        listening: "Розумієш повільне мовлення <майже> все.".into(),
        speaking: "Говориш звʼязно про знайомі теми.".into(),
        grammar: "Плутаєш відмінки після прийменників.".into(),
        vocabulary: "Вистачає для побуту.".into(),
    };
    placement::finish(&db, 401, &grade, taken).await.unwrap();

    let stats = command(&app, &l, "/stats").await.plain_text();
    // 23:30 UTC on the 27th is already the 28th in Prague, the learner's zone.
    assert!(stats.contains("Тест рівня (28.11.2026): B1"), "{stats}");
    for line in [&grade.listening, &grade.speaking, &grade.grammar, &grade.vocabulary] {
        assert!(stats.contains(line.as_str()), "{line} in {stats}");
    }
    app.assert_no_rejections();
}

/// The Czech of item `i` (what a learner who heard every word types back).
fn said(i: usize) -> &'static str {
    match ITEMS[i] {
        Item::Dictation { czech } | Item::Speak { czech } => czech,
    }
}

/// Waits for the bot's message whose visible text contains `needle`, after `after` messages.
async fn next_with(app: &TestApp, l: &Learner, after: usize, needle: &str) -> BotMessage {
    let found = |m: &BotMessage| m.plain_text().contains(needle);
    app.wait_until(|| l.messages().iter().skip(after).any(found)).await;
    l.messages().into_iter().skip(after).find(found).unwrap()
}

/// Answers the dictation shown with `typed` and returns the next item's message.
async fn type_dictation(app: &TestApp, l: &Learner, typed: &str, next: &str) -> BotMessage {
    let before = l.messages().len();
    l.send_text(typed);
    next_with(app, l, before, next).await
}

async fn usage(app: &TestApp, user: i64, kind: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) AS n FROM usage WHERE user_id = {user} AND kind = '{kind}'"
    ))
    .await
}

#[tokio::test]
async fn a_placement_taken_at_the_end_of_onboarding_sets_the_level_and_shows_in_stats() {
    let app = spawn_app().await;
    let l = app.learner(402, "en");
    app.onboard(&l, "en", "beginner").await;
    let done = app.wait_for(&l, |m| m.buttons().iter().any(|(_, d)| d == "pl:go")).await;
    assert!(done.plain_text().contains("about 5 minutes"), "{}", done.plain_text());
    assert!(
        !done.buttons().iter().any(|(_, d)| d.starts_with("ro:")),
        "the reminder offer waits for the placement"
    );
    let before = l.messages().len();
    l.press(done.message_id, "pl:go");

    // Two dictations: Honzík's voice, the learner types what they heard.
    let first = next_with(&app, &l, before, "Dictation 1 of 2").await;
    assert_eq!(first.kind, BotMessageKind::Voice, "a dictation is heard, not read");
    assert!(!first.plain_text().contains(said(0)), "the sentence is not shown");
    let second = type_dictation(&app, &l, said(0), "Dictation 2 of 2").await;
    assert_eq!(second.kind, BotMessageKind::Voice);
    let question = type_dictation(&app, &l, said(1), "Question 1 of 3").await;
    assert!(question.plain_text().contains(said(2)), "{}", question.plain_text());

    // A typed answer to a spoken question is not taken; a voice note is.
    let typed = l.send_text("Jmenuju se Olga.");
    let refused = app.replies_to(&l, typed.message_id, false).await;
    assert!(refused[0].plain_text().contains("voice note"), "{refused:#?}");
    let answers = [
        (emulators::samples::BEGINNER_AHOJ, 3, "Question 2 of 3"),
        (emulators::samples::INTERMEDIATE_RESTAURACE, 5, "Question 3 of 3"),
        (emulators::samples::ADVANCED_KUNDERA, 6, "Your level:"),
    ];
    let mut result = None;
    for (audio, seconds, next) in answers {
        let before = l.messages().len();
        l.send_voice(audio.to_vec(), seconds);
        result = Some(next_with(&app, &l, before, next).await);
    }
    let result = result.unwrap();
    let text = result.plain_text();
    // Every dictated word typed back and three short answers: the emulator grades it B2.
    assert!(text.contains("Your level: B2"), "{text}");
    for skill in ["Listening: You typed 100%", "Speaking:", "Grammar:", "Vocabulary:"] {
        assert!(text.contains(skill), "{skill} in {text}");
    }
    // Then the reminder offer, as at the end of onboarding.
    assert!(result.buttons().iter().any(|(_, d)| d.starts_with("ro:yes")), "{result:#?}");

    // The level is set (B2 is intermediate), and /stats shows the result with its date.
    let db = app.db().await;
    let learner = mluvme::store::learners::find(&db, 402).await.unwrap().unwrap();
    assert_eq!(learner.level, mluvme::settings::Level::Intermediate);
    let stats = command(&app, &l, "/stats").await.plain_text();
    assert!(stats.contains("Placement test (28.11.2026): B2"), "{stats}");

    // Paid for and metered: two voices, three transcriptions, one grade.
    assert_eq!(usage(&app, 402, "tts").await, 2);
    assert_eq!(usage(&app, 402, "stt").await, 3);
    assert_eq!(usage(&app, 402, "chat").await, 1);
    let grading: Vec<_> = app
        .ai
        .requests()
        .into_iter()
        .filter(|r| r.body.to_string().contains("You grade a Czech placement test"))
        .collect();
    assert_eq!(grading.len(), 1);
    assert!(grading[0].body["max_completion_tokens"].as_u64().is_some(), "bounded");
    // Answers to the test are not turns.
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 402").await, 0);
    app.assert_no_rejections();
}

#[tokio::test]
async fn skipping_the_placement_at_onboarding_offers_the_reminder_and_takes_no_test() {
    let app = spawn_app().await;
    let l = app.learner(403, "ru");
    app.onboard(&l, "ru", "advanced").await;
    let done = app.wait_for(&l, |m| m.buttons().iter().any(|(_, d)| d == "pl:skip")).await;
    l.press(done.message_id, "pl:skip");
    let offer = app.wait_for(&l, |m| m.buttons().iter().any(|(_, d)| d.starts_with("ro:"))).await;
    assert_eq!(offer.message_id, done.message_id, "in place of the placement offer");
    assert!(offer.plain_text().contains("Hotovo"), "{}", offer.plain_text());
    app.settle().await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM placements WHERE user_id = 403").await, 0);
    assert_eq!(usage(&app, 403, "tts").await, 0);
    // A text now is a turn, answered as usual.
    let sent = l.send_text("Ahoj, jak se máš?");
    app.replies_to(&l, sent.message_id, true).await;
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_restart_in_the_middle_of_the_placement_carries_on_at_the_same_step() {
    let mut app = spawn_app().await;
    let l = app.learner(404, "uk");
    app.onboard(&l, "uk", "beginner").await;
    let before = l.messages().len();
    l.send_command("/placement");
    next_with(&app, &l, before, "Диктант 1 з 2").await;
    // A learner who hears little: a word of each sentence.
    type_dictation(&app, &l, "dobrý", "Диктант 2 з 2").await;
    app.settle().await;

    app.stop().await;
    app.start_again().await;
    type_dictation(&app, &l, "času", "Запитання 1 з 3").await;

    // /placement in the middle asks; "carry on" asks the same question again.
    let asked = command(&app, &l, "/placement").await;
    assert!(asked.plain_text().contains("запитання 3 з 5"), "{}", asked.plain_text());
    let before = l.messages().len();
    press(&app, &l, asked.message_id, "pl:on").await;
    next_with(&app, &l, before, "Запитання 1 з 3").await;
    // Nothing heard: the question waits for a clip that says something.
    let silent = l.send_voice(emulators::samples::SILENCE.to_vec(), 1);
    let unheard = app.replies_to(&l, silent.message_id, false).await;
    assert!(unheard[0].plain_text().contains("Не розібрав"), "{unheard:#?}");
    for next in ["Запитання 2 з 3", "Запитання 3 з 3", "Твій рівень"]
    {
        let before = l.messages().len();
        l.send_voice(emulators::samples::BEGINNER_AHOJ.to_vec(), 3);
        next_with(&app, &l, before, next).await;
    }
    let result = l.messages().into_iter().rev().find(|m| m.plain_text().contains("Твій рівень"));
    let result = result.unwrap().plain_text();
    // Little heard: A2, below the B2 of the learner who typed every word.
    assert!(result.contains("Твій рівень: A2"), "{result}");
    assert!(result.contains("Аудіювання: У диктантах записано 9% слів"), "{result}");
    let learner = mluvme::store::learners::find(&app.db().await, 404).await.unwrap().unwrap();
    assert_eq!(learner.level, mluvme::settings::Level::Beginner);
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_spoken_answer_over_the_allowance_is_refused_and_never_transcribed() {
    let app = TestApp::builder()
        .env(&[("DEFAULT_DAILY_QUOTA", "0")])
        .spawn()
        .await
        .expect("the suite's database");
    let l = app.learner(405, "en");
    app.onboard(&l, "en", "beginner").await;
    // The dictations done (stored as the test stores them): the first spoken question waits.
    let db = app.db().await;
    let now = Utc::now();
    placement::start(&db, 405, now).await.unwrap();
    assert!(placement::answer(&db, 405, 0, Some(said(0))).await.unwrap());
    assert!(placement::answer(&db, 405, 1, Some(said(1))).await.unwrap());
    let awaiting = Some(mluvme::store::learners::Awaiting::Placement);
    mluvme::store::learners::set_awaiting(&db, 405, awaiting, now).await.unwrap();

    let voice = l.send_voice(emulators::samples::BEGINNER_AHOJ.to_vec(), 3);
    let refused = app.replies_to(&l, voice.message_id, false).await;
    assert!(refused[0].plain_text().contains("daily allowance is used up"), "{refused:#?}");
    assert_eq!(app.ai.calls(Endpoint::Transcription), 0, "not transcribed");
    assert_eq!(placement::under_way(&db, 405).await.unwrap().unwrap().step, 2, "still waiting");
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_stopped_placement_leaves_the_level_and_the_next_message_is_a_turn_again() {
    let app = spawn_app().await;
    let l = app.learner(406, "en");
    app.onboard(&l, "en", "advanced").await;
    let before = l.messages().len();
    l.send_command("/placement");
    let dictation = next_with(&app, &l, before, "Dictation 1 of 2").await;
    // Messages during the test are its answers: a voice note to a dictation is not a turn.
    let voice = l.send_voice(emulators::samples::BEGINNER_AHOJ.to_vec(), 3);
    let told = app.replies_to(&l, voice.message_id, false).await;
    assert!(told[0].plain_text().contains("type what you heard"), "{told:#?}");
    assert_eq!(app.ai.calls(Endpoint::Transcription), 0);

    let before = l.messages().len();
    press(&app, &l, dictation.message_id, "pl:stop").await;
    let stopped = next_with(&app, &l, before, "Placement test stopped").await;
    assert!(stopped.buttons().iter().any(|(_, d)| d.starts_with("ro:")), "{stopped:#?}");
    let db = app.db().await;
    assert_eq!(placement::under_way(&db, 406).await.unwrap(), None);
    let learner = mluvme::store::learners::find(&db, 406).await.unwrap().unwrap();
    assert_eq!(learner.level, mluvme::settings::Level::Advanced, "the level stays");
    let sent = l.send_text("Ahoj, jak se máš?");
    app.replies_to(&l, sent.message_id, true).await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 406").await, 2);
    app.assert_no_rejections();
}
