use crate::common::*;

#[tokio::test]
async fn a_new_learner_is_greeted_and_picks_language_then_level() {
    let app = spawn_app().await;
    let olga = app.learner(101, "ru");
    olga.send_command("/start");
    let greeting = app.wait_for(&olga, |m| !m.buttons().is_empty()).await;
    let buttons = greeting.buttons();
    assert_eq!(buttons.len(), 3, "three interface languages: {buttons:?}");
    assert_eq!(buttons[0].1, "lang:ru", "the learner's Telegram language comes first");
    assert!(buttons[0].0.contains("Русский"));
    assert!(greeting.plain_text().contains("Olga"), "Honzík greets by name");

    olga.press(greeting.message_id, "lang:uk");
    let ask = app.wait_for(&olga, |m| m.buttons().iter().any(|(_, d)| d == "level:beginner")).await;
    assert!(
        ask.plain_text().contains("Українська"),
        "confirms the choice in the new language: {}",
        ask.plain_text()
    );
    assert_eq!(ask.buttons().len(), 4, "four levels");
    olga.press(ask.message_id, "level:advanced");
    app.wait_until(|| {
        olga.messages().iter().any(|m| m.message_id == ask.message_id && m.edits > 0)
    })
    .await;
    app.settle().await;

    let learner = mluvme::store::learners::find(&app.db().await, 101).await.unwrap().unwrap();
    assert!(learner.onboarded());
    assert_eq!(learner.lang, mluvme::i18n::Lang::Uk);
    assert_eq!(learner.level, mluvme::settings::Level::Advanced);
    assert!(app.tg.callback_answers().len() >= 2, "every button press is answered");
    app.assert_no_rejections();
}

#[tokio::test]
async fn start_again_for_a_known_learner_points_to_help() {
    let app = spawn_app().await;
    let ivan = app.learner(102, "en");
    app.onboard(&ivan, "en", "beginner").await;
    let sent = ivan.send_command("/start");
    let reply = app.replies_to(&ivan, sent.message_id, false).await;
    assert_eq!(reply.len(), 1);
    assert!(reply[0].plain_text().contains("/help"), "{}", reply[0].plain_text());
    assert!(reply[0].buttons().is_empty(), "no second onboarding");
}

#[tokio::test]
async fn the_command_menu_is_registered_for_each_interface_language() {
    let app = spawn_app().await;
    app.wait_until(|| app.tg.my_commands().len() >= 3).await;
    let menus = app.tg.my_commands();
    for lang in ["ru", "uk", "en"] {
        let menu = menus
            .iter()
            .find(|(l, _)| l.as_deref() == Some(lang))
            .unwrap_or_else(|| panic!("no {lang} menu"));
        assert!(
            menu.1.iter().any(|(c, _)| c == "start") && menu.1.iter().any(|(c, _)| c == "help")
        );
    }
}

#[tokio::test]
async fn a_message_before_onboarding_is_finished_is_answered_with_the_next_step() {
    let app = spawn_app().await;
    let petr = app.learner(103, "ru");
    petr.send_command("/start");
    let greeting = app.wait_for(&petr, |m| !m.buttons().is_empty()).await;
    let sent = petr.send_text("Ahoj Honzíku!");
    let replies = app.replies_to(&petr, sent.message_id, false).await;
    assert!(!replies.is_empty());
    // The language keyboard comes back so the learner can finish.
    app.wait_until(|| {
        petr.messages()
            .iter()
            .filter(|m| m.buttons().iter().any(|(_, d)| d.starts_with("lang:")))
            .count()
            >= 2
    })
    .await;
    assert_eq!(app.ai.calls(emulators::Endpoint::Chat), 0, "nothing is paid for before onboarding");
    let _ = greeting;
    app.assert_no_rejections();
}
