//! The learner's controls: settings, /stats, /timezone, /reset, /cancel — every command and
//! button against the emulators, in each interface language where the texts matter, and the bad
//! input around them. Their own data (saved words, /export, /delete_me) is `own_data`.

use emulators::Endpoint;
use emulators::telegram::{BotMessage, BotMessageKind, Learner};

use crate::common::*;

/// Onboards a learner speaking `lang` at `level`.
pub(crate) async fn learner(app: &TestApp, id: i64, lang: &str, level: &str) -> Learner {
    let l = app.learner(id, lang);
    app.onboard(&l, lang, level).await;
    l
}

pub(crate) fn data_of(m: &BotMessage) -> Vec<String> {
    m.buttons().into_iter().map(|(_, d)| d).collect()
}

pub(crate) async fn setting(app: &TestApp, id: i64, column: &str) -> String {
    let db = app.db().await;
    use sea_orm::{ConnectionTrait, Statement};
    let sql = format!("SELECT CAST({column} AS TEXT) AS v FROM user_settings WHERE user_id = {id}");
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<String>("", "v").unwrap()
}

/// One text turn; returns every reply to it.
async fn turn(app: &TestApp, l: &Learner, text: &str, expect_voice: bool) -> Vec<BotMessage> {
    let sent = l.send_text(text);
    app.replies_to(l, sent.message_id, expect_voice).await
}

#[tokio::test]
async fn every_command_is_in_the_menu_of_each_language() {
    let app = spawn_app().await;
    app.wait_until(|| app.tg.my_commands().len() >= 4).await;
    let menus = app.tg.my_commands();
    let names = [
        "start",
        "help",
        "level",
        "style",
        "corrections",
        "voice_speed",
        "voice",
        "language",
        "timezone",
        "register",
        "stats",
        "saved",
        "review",
        "placement",
        "remind",
        "scene",
        "listen",
        "shadow",
        "reset",
        "cancel",
        "privacy",
        "export",
        "delete_me",
    ];
    let mut descriptions = Vec::new();
    for lang in [Some("ru"), Some("uk"), Some("en"), None] {
        let (_, menu) = menus
            .iter()
            .find(|(l, _)| l.as_deref() == lang)
            .unwrap_or_else(|| panic!("no {lang:?} menu"));
        let listed: Vec<&str> = menu.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(listed, names, "{lang:?}");
        descriptions.push(menu.iter().find(|(c, _)| c == "delete_me").unwrap().1.clone());
    }
    assert!(
        descriptions[0] != descriptions[1] && descriptions[1] != descriptions[2],
        "{descriptions:?}"
    );
    app.assert_no_rejections();
}

#[tokio::test]
async fn help_lists_every_command() {
    let app = spawn_app().await;
    let l = learner(&app, 801, "en", "beginner").await;
    let help = command(&app, &l, "/help").await.plain_text();
    let commands = [
        "/level",
        "/style",
        "/corrections",
        "/voice_speed",
        "/voice",
        "/language",
        "/timezone",
        "/register",
        "/stats",
        "/saved",
        "/reset",
        "/cancel",
        "/privacy",
        "/export",
        "/delete_me",
    ];
    for c in commands {
        assert!(help.contains(c), "{c} missing from help: {help}");
    }
    app.assert_no_rejections();
}

#[tokio::test]
async fn style_and_corrections_show_the_current_value_and_a_choice_reaches_the_next_turn() {
    let app = spawn_app().await;
    let l = learner(&app, 802, "en", "intermediate").await;
    let screen = command(&app, &l, "/style").await;
    assert!(screen.plain_text().contains("Friendly"), "the current value: {}", screen.plain_text());
    assert_eq!(data_of(&screen), ["set:style:friendly", "set:style:tutor", "set:style:casual"]);
    assert!(screen.buttons()[0].0.starts_with('✓'), "the current one is ticked");
    assert_eq!(press(&app, &l, screen.message_id, "set:style:tutor").await, None);
    let confirmed = current(&l, screen.message_id);
    assert_eq!(confirmed.edits, 1);
    assert!(
        confirmed.plain_text().contains("Tutor") && confirmed.buttons().is_empty(),
        "{}",
        confirmed.plain_text()
    );
    assert_eq!(setting(&app, 802, "style").await, "tutor");

    let screen = command(&app, &l, "/corrections").await;
    assert_eq!(
        data_of(&screen),
        ["set:corrections:minimal", "set:corrections:balanced", "set:corrections:detailed"]
    );
    press(&app, &l, screen.message_id, "set:corrections:detailed").await;
    assert!(current(&l, screen.message_id).plain_text().contains("Detailed"));

    turn(&app, &l, "Dobrý den, mám rád knedlíky.", true).await;
    let chat = app.ai.requests().into_iter().rfind(|r| r.endpoint == Endpoint::Chat).unwrap();
    let system = chat.body["messages"][0]["content"].as_str().unwrap().to_owned();
    assert!(
        system.contains("TUTOR") && system.contains("DETAILED"),
        "the next turn uses both: {system}"
    );
    app.assert_no_rejections();
}

#[tokio::test]
async fn voice_speed_voice_and_level_take_effect_on_the_next_turn() {
    let app = spawn_app().await;
    let l = learner(&app, 803, "en", "beginner").await;
    let screen = command(&app, &l, "/voice_speed").await;
    assert_eq!(data_of(&screen).len(), 4);
    press(&app, &l, screen.message_id, "set:voice_speed:very_slow").await;
    turn(&app, &l, "Ahoj, jak se máš?", true).await;
    let speech = app.ai.requests().into_iter().rfind(|r| r.endpoint == Endpoint::Speech).unwrap();
    assert_eq!(speech.body["speed"].as_f64(), Some(0.75), "{}", speech.body);

    let screen = command(&app, &l, "/voice").await;
    assert_eq!(data_of(&screen), ["set:voice:on", "set:voice:off"]);
    press(&app, &l, screen.message_id, "set:voice:off").await;
    let speeches = app.ai.calls(Endpoint::Speech);
    let replies = turn(&app, &l, "Mám rád pivo.", false).await;
    assert!(
        replies.iter().all(|m| m.kind == BotMessageKind::Text),
        "typed turns get text only now"
    );
    assert_eq!(app.ai.calls(Endpoint::Speech), speeches);

    let screen = command(&app, &l, "/level junk arguments").await;
    assert_eq!(data_of(&screen).len(), 4, "junk after a command is ignored");
    press(&app, &l, screen.message_id, "set:level:advanced").await;
    turn(&app, &l, "Včera jsem byl v divadle.", false).await;
    let chat = app.ai.requests().into_iter().rfind(|r| r.endpoint == Endpoint::Chat).unwrap();
    assert_eq!(chat.model, "gpt-4o", "advanced learners get the main model");
    app.assert_no_rejections();
}

#[tokio::test]
async fn language_switches_the_interface_and_confirms_in_the_new_language() {
    let app = spawn_app().await;
    let l = learner(&app, 804, "en", "beginner").await;
    let screen = command(&app, &l, "/language").await;
    assert_eq!(data_of(&screen), ["set:language:ru", "set:language:uk", "set:language:en"]);
    press(&app, &l, screen.message_id, "set:language:uk").await;
    let confirmed = current(&l, screen.message_id).plain_text();
    assert!(confirmed.contains("Українська") && confirmed.contains("наступного"), "{confirmed}");
    let help = command(&app, &l, "/help").await.plain_text();
    assert!(help.contains("Як це працює"), "{help}");
    app.assert_no_rejections();
}

#[tokio::test]
async fn settings_speak_each_interface_language() {
    let app = spawn_app().await;
    let mut screens = Vec::new();
    for (id, lang) in [(805, "ru"), (806, "uk"), (807, "en")] {
        let l = learner(&app, id, lang, "beginner").await;
        let style = command(&app, &l, "/style").await;
        let labels: Vec<String> = style.buttons().into_iter().map(|(t, _)| t).collect();
        press(&app, &l, style.message_id, "set:style:casual").await;
        screens.push((style.plain_text(), labels, current(&l, style.message_id).plain_text()));
    }
    for i in 0..3 {
        for j in (i + 1)..3 {
            assert_ne!(screens[i], screens[j], "each language has its own texts");
        }
    }
    assert!(screens[0].0.contains("Манера"), "{}", screens[0].0);
    assert!(screens[1].2.contains("Без церемоній"), "{}", screens[1].2);
    app.assert_no_rejections();
}

#[tokio::test]
async fn the_same_button_pressed_twice_quickly_changes_things_once() {
    let app = spawn_app().await;
    let l = learner(&app, 808, "en", "beginner").await;
    let screen = command(&app, &l, "/corrections").await;
    let first = l.press(screen.message_id, "set:corrections:minimal");
    let second = l.press(screen.message_id, "set:corrections:minimal"); // before the first is handled
    app.wait_until(|| {
        app.tg.callback_answers().iter().filter(|a| a.id == first || a.id == second).count() == 2
    })
    .await;
    app.settle().await;
    assert_eq!(
        current(&l, screen.message_id).edits,
        1,
        "one edit: Telegram would refuse the identical second one"
    );
    assert_eq!(setting(&app, 808, "corrections").await, "minimal");
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_button_pressed_by_someone_else_or_on_a_vanished_message_changes_nothing() {
    let app = spawn_app().await;
    let owner = learner(&app, 809, "en", "beginner").await;
    let screen = command(&app, &owner, "/style").await;
    let stranger =
        serde_json::json!({"id": 810, "is_bot": false, "first_name": "Eve", "language_code": "ru"});
    let chat = serde_json::json!({"id": 809, "type": "private", "first_name": "Olga"});
    app.tg.push_raw_update(serde_json::json!({"callback_query": {
        "id": "stranger-1", "from": stranger, "chat_instance": "1", "data": "set:style:casual",
        "message": {"message_id": screen.message_id, "date": 1_700_000_000, "chat": chat, "text": "x"}}}));
    // A message older than 48 hours reaches the bot as "inaccessible": its date is 0.
    let owner_json = serde_json::json!({"id": 809, "is_bot": false, "first_name": "Olga", "language_code": "en"});
    app.tg.push_raw_update(serde_json::json!({"callback_query": {
        "id": "stale-1", "from": owner_json, "chat_instance": "1", "data": "set:style:tutor",
        "message": {"message_id": screen.message_id, "date": 0, "chat": chat}}}));
    app.wait_until(|| {
        app.tg.callback_answers().iter().filter(|a| a.id.ends_with("-1")).count() == 2
    })
    .await;
    app.settle().await;
    let answers = app.tg.callback_answers();
    let text =
        |id: &str| answers.iter().find(|a| a.id == id).unwrap().text.clone().unwrap_or_default();
    assert!(
        text("stranger-1").contains("не для тебя"),
        "told in the presser's language: {}",
        text("stranger-1")
    );
    assert!(text("stale-1").contains("no longer valid"), "{}", text("stale-1"));
    assert_eq!(setting(&app, 809, "style").await, "friendly", "nothing changed");
    assert_eq!(current(&owner, screen.message_id).edits, 0);
    app.assert_no_rejections();
}

#[tokio::test]
async fn unknown_commands_get_a_hint_instead_of_a_turn() {
    let app = spawn_app().await;
    let l = learner(&app, 811, "ru", "beginner").await;
    let hint = command(&app, &l, "/foo bar").await.plain_text();
    assert!(hint.contains("/foo") && hint.contains("/help"), "{hint}");
    let stranger = app.learner(812, "en");
    let hint = command(&app, &stranger, "/whatever").await.plain_text();
    assert!(hint.contains("/help"), "even before /start: {hint}");
    // A pasted wall of text is quoted back clipped, not whole.
    let long = format!("/{}", "x".repeat(3000));
    let hint = command(&app, &l, &long).await.plain_text();
    assert!(hint.contains("/xxxx") && hint.contains('…') && hint.chars().count() < 300, "{hint}");
    assert_eq!(app.ai.calls(Endpoint::Chat), 0, "no turn was paid for");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages").await, 0);
    app.assert_no_rejections();
}

#[tokio::test]
async fn timezone_from_a_button_or_typed_and_a_zone_that_does_not_exist() {
    let app = spawn_app().await;
    let l = learner(&app, 813, "ru", "beginner").await;
    let screen = command(&app, &l, "/timezone").await;
    let data = data_of(&screen);
    assert!(
        data.contains(&"set:timezone:Europe/Moscow".to_owned())
            && data.last().unwrap() == "tz:type",
        "{data:?}"
    );
    assert!(screen.plain_text().contains("Europe/Prague"), "{}", screen.plain_text());
    press(&app, &l, screen.message_id, "set:timezone:Europe/Moscow").await;
    assert_eq!(setting(&app, 813, "timezone").await, "Europe/Moscow");

    let screen = command(&app, &l, "/timezone").await;
    press(&app, &l, screen.message_id, "tz:type").await;
    assert!(
        current(&l, screen.message_id).plain_text().contains("Europe/Vienna"),
        "asks to type it"
    );
    let refused = command(&app, &l, "Mars/Olympus").await.plain_text();
    assert!(refused.contains("Mars/Olympus") && refused.contains("часового пояса"), "{refused}");
    let set = command(&app, &l, "vienna").await.plain_text();
    assert!(set.contains("Europe/Vienna"), "a city is enough: {set}");
    assert_eq!(setting(&app, 813, "timezone").await, "Europe/Vienna");

    let direct = command(&app, &l, "/timezone Asia/Tokyo").await.plain_text();
    assert!(direct.contains("Asia/Tokyo"), "{direct}");
    let junk = command(&app, &l, "/timezone Narnia/Cair_Paravel").await.plain_text();
    assert!(junk.contains("Narnia"), "{junk}");
    let wall = command(&app, &l, &format!("/timezone {}", "Narnia".repeat(600))).await.plain_text();
    assert!(
        wall.contains("NarniaNarnia") && wall.contains('…') && wall.chars().count() < 400,
        "{wall}"
    );
    assert_eq!(
        setting(&app, 813, "timezone").await,
        "Asia/Tokyo",
        "an unknown zone changes nothing"
    );
    // The question is closed: the next text is a turn again.
    turn(&app, &l, "Dobrý den, jak se máš?", true).await;
    app.assert_no_rejections();
}

#[tokio::test]
async fn cancel_drops_a_pending_timezone_question() {
    let app = spawn_app().await;
    let l = learner(&app, 814, "en", "beginner").await;
    let screen = command(&app, &l, "/timezone").await;
    press(&app, &l, screen.message_id, "tz:type").await;
    let cancelled = command(&app, &l, "/cancel").await.plain_text();
    assert!(cancelled.contains("Never mind"), "{cancelled}");
    turn(&app, &l, "Ahoj, jak se máš?", true).await;
    assert_eq!(setting(&app, 814, "timezone").await, "Europe/Prague");
    app.assert_no_rejections();
}

#[tokio::test]
async fn today_and_the_streak_follow_the_learners_time_zone() {
    let app = spawn_app().await;
    // 23:30 UTC on 28 November: already the 29th in Prague, still the 28th in New York.
    app.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 28, 23, 30, 0).unwrap());
    let prague = learner(&app, 815, "en", "beginner").await;
    let new_york = learner(&app, 816, "en", "beginner").await;
    command(&app, &new_york, "/timezone America/New_York").await;
    turn(&app, &prague, "Ahoj, jak se máš?", true).await;
    turn(&app, &new_york, "Ahoj, jak se máš?", true).await;
    let day = |id: i64| {
        format!(
            "SELECT COUNT(*) AS n FROM daily_stats WHERE user_id = {id} AND CAST(day AS TEXT) LIKE '2026-11-%'"
        )
    };
    assert_eq!(app.count(&format!("{} AND CAST(day AS TEXT) = '2026-11-29'", day(815))).await, 1);
    assert_eq!(app.count(&format!("{} AND CAST(day AS TEXT) = '2026-11-28'", day(816))).await, 1);
    app.assert_no_rejections();
}

#[tokio::test]
async fn stats_is_a_chart_with_the_numbers_in_the_learners_language() {
    let app = spawn_app().await;
    let l = learner(&app, 817, "ru", "beginner").await;
    for text in ["Ahoj, jak se máš?", "Mám rád pivo a knedlíky."] {
        turn(&app, &l, text, true).await;
    }
    let stats = command(&app, &l, "/stats").await;
    assert_eq!(stats.kind, BotMessageKind::Photo);
    let png = stats.file_bytes.clone().unwrap();
    let info = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .expect("a valid PNG")
        .info()
        .clone();
    assert_eq!((info.width, info.height), (800, 400));
    let caption = stats.plain_text();
    for part in ["Серия: 1 день", "Реплик: 2", "2/5", "Сб ✅"] {
        assert!(caption.contains(part), "{part} in {caption}");
    }
    let en = learner(&app, 818, "en", "beginner").await;
    let caption_en = command(&app, &en, "/stats 42").await.plain_text();
    assert!(
        caption_en.contains("Streak: 0 days") && caption_en.contains("Sa ▫️"),
        "junk ignored, a new learner: {caption_en}"
    );
    app.assert_no_rejections();
}

#[tokio::test]
async fn reset_asks_first_and_only_yes_starts_a_new_conversation() {
    let app = spawn_app().await;
    let l = learner(&app, 823, "en", "beginner").await;
    turn(&app, &l, "Ahoj, jak se máš?", true).await;
    let conversations = || app.count("SELECT COUNT(*) AS n FROM conversations WHERE user_id = 823");
    let before = conversations().await;
    let ask = command(&app, &l, "/reset").await;
    press(&app, &l, ask.message_id, "reset:no").await;
    assert!(current(&l, ask.message_id).plain_text().contains("carry on"));
    assert_eq!(conversations().await, before);

    let ask = command(&app, &l, "/reset").await;
    let yes = data_of(&ask).into_iter().find(|d| d.starts_with("reset:yes:")).unwrap();
    l.press(ask.message_id, &yes);
    l.press(ask.message_id, &yes);
    app.wait_until(|| current(&l, ask.message_id).edits == 1).await;
    app.settle().await;
    assert_eq!(conversations().await, before + 1, "one new conversation for two presses");
    assert!(current(&l, ask.message_id).plain_text().contains("Fresh start"));
    app.assert_no_rejections();
}

#[tokio::test]
async fn cancel_stops_a_turn_while_it_runs_and_it_is_not_resumed_after_a_restart() {
    let mut app = spawn_app().await;
    let l = learner(&app, 824, "uk", "beginner").await;
    let nothing = command(&app, &l, "/cancel").await.plain_text();
    assert!(nothing.contains("нічого скасовувати"), "{nothing}");

    let hold = app.ai.hold(Endpoint::Chat);
    let sent = l.send_text("Dobrý den, mám rád pivo.");
    assert!(
        app.ai.wait_until(WAIT, |ai| ai.held_requests(Endpoint::Chat) == 1).await,
        "the turn is waiting on Honzík"
    );
    let cancel = l.send_command("/cancel");
    // Answered while the turn is still held: /cancel did not wait behind it.
    let reply = app.wait_for(&l, |m| m.reply_to == Some(cancel.message_id)).await;
    assert!(reply.plain_text().contains("Зупинив"), "{}", reply.plain_text());
    assert_eq!(app.ai.held_requests(Endpoint::Chat), 1);
    drop(hold);
    app.settle().await;
    let status = mluvme::store::inbox::status(&app.db().await, sent.update_id).await.unwrap();
    assert_eq!(
        status.map(|s| s.as_str()),
        Some("skipped"),
        "marked, so a restart does not resume it"
    );
    assert!(
        l.messages().iter().all(|m| m.reply_to != Some(sent.message_id)),
        "no answer to the cancelled turn"
    );

    app.stop().await;
    app.start_again().await;
    turn(&app, &l, "Ahoj, jak se máš?", true).await;
    assert!(
        l.messages().iter().all(|m| m.reply_to != Some(sent.message_id)),
        "not resumed after the restart"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 824 AND role = 'learner'")
            .await,
        2,
        "the cancelled message is kept"
    );
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_learner_who_blocked_the_bot_is_marked_and_not_sent_to() {
    let app = spawn_app().await;
    let l = learner(&app, 825, "en", "beginner").await;
    let hold = app.ai.hold(Endpoint::Chat);
    let sent = l.send_text("Dobrý den, mám rád pivo.");
    assert!(app.ai.wait_until(WAIT, |ai| ai.held_requests(Endpoint::Chat) == 1).await);
    l.block_bot(); // while Honzík is thinking: his answer will meet a 403
    drop(hold);
    app.settle().await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM users WHERE id = 825 AND status = 'blocked'").await,
        1
    );
    let is_send = |method: &str| {
        let m = method.to_ascii_lowercase();
        m.starts_with("send") && m != "sendchataction"
    };
    let refused: Vec<_> = app.tg.rejected().into_iter().filter(|r| is_send(&r.method)).collect();
    assert_eq!(refused.len(), 1, "one attempt met the 403, nothing more was sent: {refused:#?}");
    assert_eq!(refused[0].error_code, 403);
    assert!(l.messages().iter().all(|m| m.reply_to != Some(sent.message_id)));

    l.unblock_bot();
    let replies = turn(&app, &l, "Ahoj, jak se máš?", true).await;
    assert!(!replies.is_empty(), "back to normal once unblocked");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM users WHERE id = 825 AND status = 'active'").await,
        1
    );
}

#[tokio::test]
async fn a_flood_of_cancel_with_nothing_to_cancel_is_answered_once() {
    let app = spawn_app().await;
    let l = learner(&app, 830, "en", "beginner").await;
    let before = l.messages().len();
    let sent: Vec<_> = (0..6).map(|_| l.send_command("/cancel")).collect();
    // `/cancel` runs outside the chat's queue, so any one of them may be the one answered: wait
    // for an answer to any, then for the others to be handled too.
    let answered = |ms: &[BotMessage]| {
        ms.iter().any(|m| sent.iter().any(|s| m.reply_to == Some(s.message_id)))
    };
    assert!(app.tg.wait_until(WAIT, |_| answered(&l.messages())).await, "no answer at all");
    app.settle().await;
    let answers: Vec<_> = l.messages()[before..]
        .iter()
        .filter(|m| sent.iter().any(|s| m.reply_to == Some(s.message_id)))
        .map(|m| m.plain_text())
        .collect();
    assert_eq!(answers.len(), 1, "one notice for the burst: {answers:#?}");
    assert!(answers[0].contains("nothing to cancel"), "{}", answers[0]);
    app.assert_no_rejections();
}
