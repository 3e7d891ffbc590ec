//! Practice modes against the emulators (issue 14): a role-play scene played to its goal and
//! its debrief, one ended early in paní Nováková's voice, a hint; a dictation answered right,
//! with a wrong háček and wrong, a quiz poll answered; and both modes carrying on after a
//! restart.

use emulators::openai::Endpoint;
use emulators::telegram::{BotMessage, BotMessageKind, Learner};
use mluvme::practice::dictation;
use sea_orm::ConnectionTrait;

use crate::common::*;

async fn learner(app: &TestApp, id: i64) -> Learner {
    let l = app.learner(id, "en");
    app.onboard(&l, "en", "beginner").await;
    l
}

fn data(m: &BotMessage, prefix: &str) -> String {
    m.buttons()
        .into_iter()
        .map(|(_, d)| d)
        .find(|d| d.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} button: {m:#?}"))
}

fn has_button(m: &BotMessage, prefix: &str) -> bool {
    m.buttons().iter().any(|(_, d)| d.starts_with(prefix))
}

/// The system prompt of the latest chat request.
fn last_system_prompt(app: &TestApp) -> String {
    let chat = app.ai.requests().into_iter().rev().find(|r| r.endpoint == Endpoint::Chat);
    chat.expect("a chat request").body["messages"][0]["content"].as_str().unwrap().to_owned()
}

/// The voice of the latest text-to-speech request.
fn last_voice(app: &TestApp) -> String {
    let speech = app.ai.requests().into_iter().rev().find(|r| r.endpoint == Endpoint::Speech);
    speech.expect("a speech request").body["voice"].as_str().unwrap().to_owned()
}

/// Opens scene number `index` from the `/scene` menu; returns the opening message.
async fn open_scene(app: &TestApp, l: &Learner, index: u8) -> BotMessage {
    let menu = command(app, l, "/scene").await;
    assert!(menu.plain_text().contains("Role-play"), "{}", menu.plain_text());
    let picks = menu.buttons().iter().filter(|(_, d)| d.starts_with("sc:p:")).count();
    assert!(picks >= 8, "every scene in the menu: {menu:#?}");
    assert_eq!(press(app, l, menu.message_id, &format!("sc:p:{index}")).await, None);
    app.wait_for(l, |m| m.plain_text().contains("Your goal")).await
}

/// A text turn in voice; its last message (where the buttons are).
async fn turn(app: &TestApp, l: &Learner, text: &str) -> BotMessage {
    let sent = l.send_text(text);
    app.replies_to(l, sent.message_id, true).await.pop().unwrap()
}

#[tokio::test]
async fn a_scene_played_to_its_goal_ends_with_a_debrief_and_its_phrases_go_to_review() {
    let app = spawn_app().await;
    let l = learner(&app, 1401).await;
    // Free talk before the scene is not part of its debrief.
    turn(&app, &l, "Jsem v Brno.").await;
    let opening = open_scene(&app, &l, 0).await;
    let text = opening.plain_text();
    assert!(text.contains("At the pub") && text.contains("Order a beer"), "{text}");
    assert!(text.contains("Dobrý večer!"), "the waiter speaks first: {text}");

    // A normal turn, corrected, with the scene in Honzík's prompt and its buttons underneath.
    let answer = turn(&app, &l, "Dám si pivo. Bydlím v Praha.").await;
    assert!(last_system_prompt(&app).contains("Role-play scene: V hospodě"));
    assert!(has_button(&answer, "sc:h:") && has_button(&answer, "sc:e:"), "{answer:#?}");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM mistakes WHERE user_id = 1401").await, 2);

    // A hint: the phrase the model suggested last.
    assert_eq!(press(&app, &l, answer.message_id, &data(&answer, "sc:h:")).await, None);
    let hint = app.wait_for(&l, |m| m.plain_text().contains("Try saying")).await;
    assert!(hint.plain_text().contains(emulators::openai::scene::HINT), "{}", hint.plain_text());

    // The goal: the scene ends with its debrief, and no more scene buttons.
    let answer = turn(&app, &l, "Zaplatím, prosím.").await;
    assert!(!has_button(&answer, "sc:"), "the goal is reached: {answer:#?}");
    let debrief = app.wait_for(&l, |m| m.plain_text().contains("Scene over")).await;
    let text = debrief.plain_text();
    for part in ["Goal reached", "Order a beer", "v Praha", "v Praze", "of 2 replies", "Dám si"] {
        assert!(text.contains(part), "{part} in {text}");
    }
    assert!(!text.contains("v Brno"), "before the scene: {text}");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM practice_sessions").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM saved_words WHERE user_id = 1401").await,
        4,
        "the scene's useful phrases are in the review deck"
    );
    // Its buttons are stale now; the next message is free talk again.
    let stale = press(&app, &l, opening.message_id, &data(&opening, "sc:h:")).await;
    assert_eq!(stale.as_deref(), Some("⌛ This button is no longer valid."));
    turn(&app, &l, "Dobrý den!").await;
    assert!(!last_system_prompt(&app).contains("Role-play"));
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_scene_ended_early_has_paní_nováková_s_voice_and_a_debrief_without_the_goal() {
    let app = spawn_app().await;
    let l = learner(&app, 1402).await;
    let opening = open_scene(&app, &l, 1).await;
    assert!(opening.plain_text().contains("doctor"), "{}", opening.plain_text());

    let answer = turn(&app, &l, "Dobrý den, potřebuji se objednat.").await;
    assert!(last_system_prompt(&app).contains("paní Nováková"));
    assert_eq!(last_voice(&app), "shimmer", "her own voice (TTS_VOICE_SECOND)");
    assert_eq!(press(&app, &l, answer.message_id, &data(&answer, "sc:e:")).await, None);
    let debrief = app.wait_for(&l, |m| m.plain_text().contains("Scene over")).await;
    let text = debrief.plain_text();
    assert!(text.contains("Goal not reached") && text.contains("Thursday"), "{text}");
    assert!(text.contains("No mistakes") && text.contains("Useful phrases"), "{text}");

    turn(&app, &l, "Ahoj Honzíku!").await;
    assert_eq!(last_voice(&app), "onyx", "Honzík again");
    app.assert_no_rejections();
}

/// The learner's open dictation: its id and items.
async fn dictation_items(app: &TestApp, user: i64) -> Vec<String> {
    let db = app.db().await;
    let sql = format!("SELECT subject FROM practice_sessions WHERE user_id = {user}");
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .expect("a dictation under way");
    let subject: String = row.try_get("", "subject").unwrap();
    subject.split(',').map(str::to_owned).collect()
}

/// The rest of the session fixed to known sentences (the first is drawn at random): a háček
/// to miss, a quiz where every third item is one, a sentence to get wrong.
async fn fix_dictation(app: &TestApp, user: i64) -> String {
    let first = dictation_items(app, user).await.remove(0);
    let subject = format!("{first},a1-19,a1-05,a1-02,a1-04,a1-11");
    let db = app.db().await;
    let sql = format!("UPDATE practice_sessions SET subject = '{subject}' WHERE user_id = {user}");
    db.execute_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    dictation::find(&first).unwrap().cs.clone()
}

async fn item(app: &TestApp, l: &Learner, n: usize) -> BotMessage {
    let label = format!("{n}/6");
    app.wait_for(l, |m| m.kind == BotMessageKind::Voice && m.plain_text().contains(&label)).await
}

#[tokio::test]
async fn a_dictation_checks_answers_right_with_a_wrong_háček_and_wrong_and_asks_a_quiz_poll() {
    let app = spawn_app().await;
    let l = learner(&app, 1403).await;
    l.send_text("/listen");
    let intro = app.wait_for(&l, |m| m.plain_text().contains("Dictation")).await;
    assert!(intro.plain_text().contains("6 sentences"), "{}", intro.plain_text());
    item(&app, &l, 1).await;
    let first = fix_dictation(&app, 1403).await;

    let right = command(&app, &l, &first).await.plain_text();
    assert!(right.contains("Perfect") && !right.contains("/review"), "{right}");
    item(&app, &l, 2).await;

    let hacek = command(&app, &l, "Potrebuji koupit chleba a sýr.").await.plain_text();
    assert!(hacek.contains("Every word heard") && hacek.contains("háček"), "{hacek}");
    assert!(
        hacek.contains("Potřebuji koupit chleba a sýr.") && hacek.contains("/review"),
        "{hacek}"
    );

    // Every third item: the sentence, then a quiz poll about it.
    item(&app, &l, 3).await;
    let poll = app.wait_for(&l, |m| m.kind == BotMessageKind::Poll).await;
    let (question, options) = poll.poll_options().unwrap();
    assert_eq!(question, "Kolik dětí má sestra?");
    assert_eq!(options, ["Jedno", "Dvě", "Tři"]);
    assert_eq!(poll.poll.as_ref().unwrap()["type"], "quiz");
    l.answer_poll(poll.message_id, 1).expect("the poll is not anonymous");
    let verdict = app.wait_for(&l, |m| m.plain_text().contains("Right!")).await;
    assert_eq!(press(&app, &l, verdict.message_id, &data(&verdict, "ls:n:")).await, None);

    let fourth = item(&app, &l, 4).await;
    let wrong = command(&app, &l, "Dnes je zima.").await.plain_text();
    assert!(wrong.contains("Partly") || wrong.contains("Missed"), "{wrong}");
    assert!(wrong.contains("Dnes je krásný den."), "{wrong}");
    let fifth = item(&app, &l, 5).await;
    assert_ne!(fourth.message_id, fifth.message_id);
    assert_eq!(press(&app, &l, fifth.message_id, &data(&fifth, "ls:e:")).await, None);
    let ended = app.wait_for(&l, |m| m.plain_text().contains("Dictation ended")).await;
    assert!(ended.plain_text().contains("2 of 4 right"), "{}", ended.plain_text());

    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM saved_words WHERE user_id = 1403").await,
        2,
        "the two missed sentences are in the review deck"
    );
    assert!(
        app.count("SELECT COUNT(*) AS n FROM usage WHERE user_id = 1403 AND kind = 'tts'").await
            >= 5,
        "every sentence said is metered"
    );
    // The dictation is over: the next text is a turn.
    turn(&app, &l, "Dobrý den!").await;
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_scene_and_a_dictation_carry_on_after_a_restart() {
    let mut app = spawn_app().await;
    let actor = learner(&app, 1405).await;
    let listener = learner(&app, 1406).await;
    open_scene(&app, &actor, 0).await;
    turn(&app, &actor, "Dám si pivo.").await;
    listener.send_text("/listen");
    item(&app, &listener, 1).await;
    let first = fix_dictation(&app, 1406).await;

    app.stop().await;
    app.start_again().await;

    let answer = turn(&app, &actor, "Zaplatím, prosím.").await;
    assert!(last_system_prompt(&app).contains("Role-play scene"), "still in the scene");
    assert!(!has_button(&answer, "sc:"));
    app.wait_for(&actor, |m| m.plain_text().contains("Goal reached")).await;

    let right = command(&app, &listener, &first).await.plain_text();
    assert!(right.contains("Perfect"), "{right}");
    item(&app, &listener, 2).await;
    command(&app, &listener, "Potřebuji koupit chleba a sýr.").await;
    let poll = app.wait_for(&listener, |m| m.kind == BotMessageKind::Poll).await;

    app.stop().await;
    app.start_again().await;
    listener.answer_poll(poll.message_id, 0);
    let verdict = app.wait_for(&listener, |m| m.plain_text().contains("Not quite")).await;
    assert!(verdict.plain_text().contains("Dvě"), "{}", verdict.plain_text());
    app.assert_no_rejections();
}

#[tokio::test]
async fn cancel_during_a_scene_ends_it_with_its_debrief_and_a_second_cancel_finds_nothing() {
    let app = spawn_app().await;
    let l = learner(&app, 1405).await;
    open_scene(&app, &l, 1).await;
    turn(&app, &l, "Dobrý den, potřebuji se objednat.").await;

    let debrief = command(&app, &l, "/cancel").await.plain_text();
    assert!(debrief.contains("Scene over") && debrief.contains("Goal not reached"), "{debrief}");
    let nothing = command(&app, &l, "/cancel").await.plain_text();
    assert!(nothing.contains("nothing to cancel"), "{nothing}");
    turn(&app, &l, "Ahoj Honzíku!").await;
    assert!(!last_system_prompt(&app).contains("Role-play"), "free talk again");
    app.assert_no_rejections();
}
