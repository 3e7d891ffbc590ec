//! The learner's controls: settings, /stats, saved words, /timezone, /reset, /cancel, and their
//! own data — every command and button against the emulators, in each interface language where
//! the texts matter, and the bad input around them.

use emulators::Endpoint;
use emulators::samples;
use emulators::telegram::{BotMessage, BotMessageKind, Learner};

use crate::common::*;

/// Onboards a learner speaking `lang` at `level`.
async fn learner(app: &TestApp, id: i64, lang: &str, level: &str) -> Learner {
    let l = app.learner(id, lang);
    app.onboard(&l, lang, level).await;
    l
}

fn data_of(m: &BotMessage) -> Vec<String> {
    m.buttons().into_iter().map(|(_, d)| d).collect()
}

async fn setting(app: &TestApp, id: i64, column: &str) -> String {
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

/// The reply of a voice turn that carries the save buttons.
/// The files in a ZIP archive: (name, bytes).
fn zip_entries(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).expect("a ZIP archive");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            (f.name().unwrap().into_owned(), bytes)
        })
        .collect()
}

async fn turn_with_save_buttons(app: &TestApp, l: &Learner) -> BotMessage {
    let sent = l.send_voice(samples::BEGINNER_MISTAKE.to_vec(), 4);
    let replies = app.replies_to(l, sent.message_id, true).await;
    let with_buttons: Vec<_> = replies.iter().filter(|m| !m.buttons().is_empty()).collect();
    assert_eq!(with_buttons.len(), 1, "the buttons sit on one message: {replies:#?}");
    with_buttons[0].clone()
}

#[tokio::test]
async fn words_of_a_turn_are_saved_once_and_listed_and_removed() {
    let app = spawn_app().await;
    let l = learner(&app, 819, "en", "beginner").await;
    let details = turn_with_save_buttons(&app, &l).await;
    let labels: Vec<String> = details.buttons().into_iter().map(|(t, _)| t).collect();
    assert!(
        labels.iter().any(|t| t == "➕ světlé pivo") && labels.iter().any(|t| t == "➕ v Praze"),
        "new words and corrections: {labels:?}"
    );
    assert!(details.buttons().iter().all(|(_, d)| d.starts_with("save:") && d.len() <= 64));
    let (_, lager) = details.buttons().into_iter().find(|(t, _)| t == "➕ světlé pivo").unwrap();
    assert_eq!(
        press(&app, &l, details.message_id, &lager).await.as_deref(),
        Some("✅ Saved — see /saved")
    );
    assert!(
        current(&l, details.message_id).buttons().iter().any(|(t, _)| t == "✅ světlé pivo"),
        "the button is ticked"
    );
    assert_eq!(
        press(&app, &l, details.message_id, &lager).await.as_deref(),
        Some("👌 Already in /saved")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM saved_words WHERE user_id = 819").await,
        1,
        "no duplicate"
    );

    // The same word in another turn is already ticked.
    let again = turn_with_save_buttons(&app, &l).await;
    assert!(again.buttons().iter().any(|(t, _)| t == "✅ světlé pivo"), "{:?}", again.buttons());

    let list = command(&app, &l, "/saved").await;
    let text = list.plain_text();
    assert!(
        text.contains("světlé pivo — lager") && text.contains("Piješ raději světlé"),
        "word, translation, sentence: {text}"
    );
    let remove = data_of(&list).into_iter().find(|d| d.starts_with("unsave:")).unwrap();
    assert_eq!(press(&app, &l, list.message_id, &remove).await.as_deref(), Some("🗑 Removed"));
    assert!(current(&l, list.message_id).plain_text().contains("No saved words yet"));
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM saved_words WHERE user_id = 819").await, 0);
    app.assert_no_rejections();
}

#[tokio::test]
async fn hundreds_of_saved_words_are_paged_within_telegrams_limits() {
    let app = spawn_app().await;
    let l = learner(&app, 820, "uk", "beginner").await;
    let db = app.db().await;
    let now = chrono::Utc::now();
    for i in 0..300 {
        let czech = format!("slovíčko číslo {i} s dlouhým vysvětlením");
        let c = mluvme::words::Candidate {
            key: mluvme::words::normalize(&czech),
            czech,
            translation: "дуже довгий переклад ".repeat(10),
            original: None,
            source: Some(
                "Velmi dlouhá věta, ze které to slovo pochází, aby se stránka zaplnila. ".repeat(5),
            ),
        };
        assert!(mluvme::store::words::save(&db, 820, &c, now).await.unwrap());
    }
    let list = command(&app, &l, "/saved").await;
    assert!(list.plain_text().encode_utf16().count() <= 4096);
    assert!(
        list.plain_text().contains("слово") || list.plain_text().contains("300"),
        "{}",
        list.plain_text()
    );
    assert!(list.plain_text().contains("slovíčko číslo 299"), "newest first");
    let next = data_of(&list).into_iter().find(|d| d == "saved:1").expect("a next page");
    press(&app, &l, list.message_id, &next).await;
    let page2 = current(&l, list.message_id);
    assert!(
        page2.plain_text().contains("Сторінка 2 з 38")
            && page2.plain_text().encode_utf16().count() <= 4096,
        "{}",
        page2.plain_text()
    );
    assert!(
        data_of(&page2).contains(&"saved:0".to_owned())
            && data_of(&page2).contains(&"saved:2".to_owned())
    );
    let remove = data_of(&page2).into_iter().find(|d| d.starts_with("unsave:")).unwrap();
    press(&app, &l, list.message_id, &remove).await;
    assert!(current(&l, list.message_id).plain_text().contains("(299)"));
    assert!(l.messages().iter().all(|m| m.plain_text().encode_utf16().count() <= 4096));
    app.assert_no_rejections();
}

#[tokio::test]
async fn export_sends_everything_stored_as_a_json_file() {
    let app = spawn_app().await;
    let l = learner(&app, 821, "en", "beginner").await;
    let details = turn_with_save_buttons(&app, &l).await;
    press(&app, &l, details.message_id, &data_of(&details)[0]).await;
    let audio_files = || walk(&app.dir.path().join("audio"));
    app.wait_until(|| audio_files().len() == 2).await;
    let sent = l.send_text("/export junk");
    let export = app.replies_to(&l, sent.message_id, false).await;
    assert_eq!(export.len(), 2, "the data, then the audio: {export:#?}");
    assert!(export.iter().all(|m| m.kind == BotMessageKind::Document));
    let doc: serde_json::Value =
        serde_json::from_slice(export[0].file_bytes.as_ref().unwrap()).expect("JSON");
    let zip = zip_entries(export[1].file_bytes.as_ref().unwrap());
    let names: Vec<&str> = zip.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.iter().any(|n| n.ends_with("-learner.ogg")), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with("-honzik.ogg")), "{names:?}");
    let mine = zip.iter().find(|(n, _)| n.ends_with("-learner.ogg")).unwrap();
    assert_eq!(mine.1, samples::BEGINNER_MISTAKE, "the learner's own voice, byte for byte");
    assert!(export[1].caption.as_deref().unwrap_or("").contains("part 1"));
    assert_eq!(doc["user"]["id"], 821);
    assert_eq!(doc["settings"]["level"], "beginner");
    let messages = doc["messages"].as_array().unwrap();
    assert!(
        messages.iter().any(|m| m["text"].as_str().is_some_and(|t| t.contains("v Praha"))),
        "the transcript"
    );
    assert!(
        messages.iter().any(|m| m["reply"]["mistakes"][0]["corrected"].as_str().is_some()),
        "Honzík's answer, opened up"
    );
    assert_eq!(doc["mistakes"][0]["corrected"].as_str().map(|c| c.contains("Praze")), Some(true));
    assert_eq!(doc["saved_words"].as_array().unwrap().len(), 1);
    assert!(
        !doc["daily_stats"].as_array().unwrap().is_empty()
            && !doc["telegram_updates"].as_array().unwrap().is_empty()
    );
    app.assert_no_rejections();
}

#[tokio::test]
async fn delete_me_asks_then_erases_content_but_a_ban_and_the_spend_survive() {
    let app = spawn_app().await;
    let l = learner(&app, 822, "en", "beginner").await;
    let details = turn_with_save_buttons(&app, &l).await;
    press(&app, &l, details.message_id, &data_of(&details)[0]).await;
    let audio_files = || walk(&app.dir.path().join("audio"));
    app.wait_until(|| audio_files().len() == 2).await;
    app.settle().await;
    let spend =
        app.count("SELECT COALESCE(SUM(cost_micros), 0) AS n FROM usage WHERE user_id = 822").await;
    assert!(spend > 0, "the turn cost something");
    // What they said in a group, and what someone else said there mentioning them.
    l.send_in_group(-100822, "supergroup", "Ahoj všichni, jdu na pivo");
    app.learner(8220, "en").send_in_group(-100822, "supergroup", "Olga jde na pivo");
    app.settle().await;
    exec(&app, "UPDATE users SET status = 'banned' WHERE id = 822").await;

    let keep = command(&app, &l, "/delete_me").await;
    assert_eq!(data_of(&keep), ["del:yes:0", "del:no"]);
    press(&app, &l, keep.message_id, "del:no").await;
    assert!(current(&l, keep.message_id).plain_text().contains("Nothing was deleted"));
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 822").await, 2);

    let ask = command(&app, &l, "/delete_me now please").await;
    assert!(ask.plain_text().contains("Delete all your data?"), "junk arguments still ask first");
    let first = l.press(ask.message_id, "del:yes:0");
    let second = l.press(ask.message_id, "del:yes:0");
    app.wait_until(|| {
        app.tg.callback_answers().iter().filter(|a| a.id == first || a.id == second).count() == 2
    })
    .await;
    app.settle().await;
    let report = current(&l, ask.message_id);
    assert_eq!(report.edits, 1, "the second press deletes nothing and edits nothing");
    let text = report.plain_text();
    for part in ["messages: 2", "voice files: 2", "saved words: 1", "days of statistics: 1"] {
        assert!(text.contains(part), "{part} in {text}");
    }
    for table in ["messages", "mistakes", "saved_words", "stars", "conversations", "turns"] {
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) AS n FROM {table} WHERE user_id = 822")).await,
            0,
            "{table}"
        );
    }
    assert!(audio_files().is_empty(), "voice files are gone from the disk");
    let group = "SELECT COUNT(*) AS n FROM updates WHERE chat_id = -100822 AND payload LIKE";
    assert_eq!(app.count(&format!("{group} '%jdu na pivo%'")).await, 0, "their words are gone");
    assert_eq!(app.count(&format!("{group} '%erased%'")).await, 1, "the row stays, scrubbed");
    assert_eq!(app.count(&format!("{group} '%Olga jde%'")).await, 1, "someone else's stays");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM users WHERE id = 822 AND status = 'banned' AND first_name = '' AND stars_total = 0").await, 1);
    assert_eq!(
        app.count("SELECT COALESCE(SUM(cost_micros), 0) AS n FROM usage WHERE user_id = 822").await,
        spend,
        "the spend stays"
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM daily_stats WHERE user_id = 822 AND turns = 0 AND cost_micros > 0").await, 1);

    // Blocking and unblocking does not lift the ban: /start gets the one ban notice (issue 8),
    // not onboarding; /privacy, /export and /delete_me stay open to a banned user.
    l.block_bot();
    l.unblock_bot();
    let sent = l.send_command("/start");
    let notice = app.wait_for(&l, |m| m.message_id > sent.message_id).await;
    assert!(notice.plain_text().contains("can no longer use Honzík"), "{notice:?}");
    app.settle().await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM users WHERE id = 822 AND status = 'banned' AND onboarding = 'language'").await, 1);
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
async fn privacy_says_what_is_stored_why_and_for_how_long_in_each_language() {
    let app = spawn_app().await;
    let mut texts = Vec::new();
    for (id, lang) in [(826, "ru"), (827, "uk"), (828, "en")] {
        let l = app.learner(id, lang); // no onboarding needed to ask
        let text = command(&app, &l, "/privacy").await.plain_text();
        assert!(text.contains("/export") && text.contains("/delete_me"), "{text}");
        texts.push(text);
    }
    assert!(texts[0] != texts[1] && texts[1] != texts[2]);
    assert!(texts[2].contains("For how long"));
    app.assert_no_rejections();
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .flatten()
        .flat_map(|e| if e.path().is_dir() { walk(&e.path()) } else { vec![e.path()] })
        .filter(|p| p.extension().is_some_and(|x| x == "ogg"))
        .collect()
}

async fn exec(app: &TestApp, sql: &str) {
    use sea_orm::ConnectionTrait;
    let db = app.db().await;
    db.execute_unprepared(sql).await.unwrap();
}

#[tokio::test]
async fn on_postgres_settings_words_stats_export_and_delete_work() {
    let Some(app) = TestApp::builder().db(Db::Postgres).spawn().await else { return };
    let l = learner(&app, 829, "en", "beginner").await;
    let screen = command(&app, &l, "/style").await;
    press(&app, &l, screen.message_id, "set:style:casual").await;
    assert_eq!(setting(&app, 829, "style").await, "casual");
    let details = turn_with_save_buttons(&app, &l).await;
    let save = data_of(&details)[0].clone();
    press(&app, &l, details.message_id, &save).await;
    assert_eq!(
        press(&app, &l, details.message_id, &save).await.as_deref(),
        Some("👌 Already in /saved")
    );
    assert!(command(&app, &l, "/saved").await.plain_text().contains("(1)"));
    assert_eq!(command(&app, &l, "/stats").await.kind, BotMessageKind::Photo);
    let sent = l.send_text("/export");
    let export = app.replies_to(&l, sent.message_id, false).await;
    let doc: serde_json::Value =
        serde_json::from_slice(export[0].file_bytes.as_ref().unwrap()).unwrap();
    assert_eq!(doc["saved_words"].as_array().unwrap().len(), 1);
    let ask = command(&app, &l, "/delete_me").await;
    press(&app, &l, ask.message_id, "del:yes:0").await;
    assert!(current(&l, ask.message_id).plain_text().contains("saved words: 1"));
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 829").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM users WHERE id = 829 AND deletions = 1").await,
        1
    );
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_strangers_export_or_delete_me_says_nothing_is_stored_and_creates_no_learner() {
    let app = spawn_app().await;
    let stranger = app.learner(823, "en");
    for cmd in ["/export", "/delete_me"] {
        let reply = command(&app, &stranger, cmd).await;
        assert!(reply.plain_text().contains("anything about you"), "{cmd}: {}", reply.plain_text());
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM users WHERE id = 823").await, 0);
    app.assert_no_rejections();
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
