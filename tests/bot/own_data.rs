//! The learner's own data: the words they saved from their turns (/saved), a copy of everything
//! stored about them (/export), erasing it (/delete_me) and what /privacy tells them — against
//! the emulators, on SQLite and PostgreSQL, and for someone the bot does not know.

use emulators::samples;
use emulators::telegram::{BotMessage, BotMessageKind, Learner};

use crate::common::*;
use crate::controls::{data_of, learner, setting};

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

/// The reply of a voice turn that carries the save buttons.
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
