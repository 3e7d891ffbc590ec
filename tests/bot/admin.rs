//! Running the bot from Telegram: admin commands (from an admin and from anyone else), bans,
//! allow-list mode, quotas in money terms with their reset at the learner's midnight, the global
//! spend cap, and a broadcast to 300 learners interrupted by a restart.

use chrono::{TimeZone, Utc};
use emulators::Endpoint;
use emulators::telegram::{BotMessage, BotMessageKind, Learner};

use crate::common::*;

const ADMIN: i64 = 900;

async fn app_with_admin(db: Db, env: &[(&str, &str)]) -> Option<TestApp> {
    let mut all = vec![("ADMIN_IDS", "900")];
    all.extend_from_slice(env);
    TestApp::builder().db(db).env(&all).spawn().await
}

async fn learner(app: &TestApp, id: i64, lang: &str) -> Learner {
    let l = app.learner(id, lang);
    app.onboard(&l, lang, "beginner").await;
    l
}

/// Sends a text and returns the bot's one reply to it.
async fn command(app: &TestApp, l: &Learner, text: &str) -> String {
    let sent = l.send_text(text);
    let replies = app.replies_to(l, sent.message_id, false).await;
    assert_eq!(replies.len(), 1, "{text}: {replies:#?}");
    replies[0].text.clone().unwrap_or_default()
}

/// One text turn; the replies to it (a voice reply when answered).
async fn turn(app: &TestApp, l: &Learner, answered: bool) -> Vec<BotMessage> {
    let sent = l.send_text("Dobrý den, jak se máte?");
    app.replies_to(l, sent.message_id, answered).await
}

fn answered(replies: &[BotMessage]) -> bool {
    replies.iter().any(|m| m.kind == BotMessageKind::Voice)
}

const ADMIN_COMMANDS: [&str; 8] = [
    "/admin",
    "/user 901",
    "/ban 901",
    "/unban 901",
    "/quota",
    "/spend_cap",
    "/access",
    "/broadcast hi",
];

#[tokio::test]
async fn admin_commands_from_anyone_else_get_the_unknown_command_reply_and_stay_out_of_the_menu() {
    let app = app_with_admin(Db::Sqlite, &[]).await.unwrap();
    let l = learner(&app, 901, "en").await;
    for cmd in ADMIN_COMMANDS {
        let name = cmd.split_whitespace().next().unwrap();
        let text = command(&app, &l, cmd).await;
        assert!(text.contains(&format!("I don't know the command {name}")), "{cmd}: {text}");
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM admin_actions").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM users WHERE status = 'banned'").await, 0);
    app.wait_until(|| app.tg.my_commands().len() >= 4).await;
    for (_, menu) in app.tg.my_commands() {
        for admin_only in
            ["admin", "user", "ban", "unban", "quota", "spend_cap", "access", "broadcast"]
        {
            assert!(!menu.iter().any(|(c, _)| c == admin_only), "{admin_only} is in a menu");
        }
    }
    app.assert_no_rejections();
}

#[tokio::test]
async fn every_admin_command_answers_an_admin_and_bad_arguments_get_the_usage_line() {
    let app = app_with_admin(Db::Sqlite, &[]).await.unwrap();
    let admin = learner(&app, ADMIN, "en").await;
    let l = learner(&app, 901, "en").await;
    turn(&app, &l, true).await;

    let stats = command(&app, &admin, "/admin").await;
    assert!(stats.contains("Today (UTC)") && stats.contains("Last 7 days"), "{stats}");
    assert!(stats.contains("1 text") && stats.contains("p95 turn"), "{stats}");
    assert!(stats.contains("gpt-4o"), "cost per model: {stats}");
    let user = command(&app, &admin, "/user 901").await;
    assert!(
        user.contains("id 901")
            && user.contains("Daily allowance: unlimited (default)")
            && user.contains("Turns in 7 days: 1"),
        "{user}"
    );
    assert!(
        command(&app, &admin, "/quota").await.contains("Default daily allowance: <b>unlimited</b>")
    );
    assert!(command(&app, &admin, "/quota default 0.5").await.contains("<b>$0.50</b>"));
    assert!(
        command(&app, &admin, "/quota 901 unlimited")
            .await
            .contains("Learner 901 may now spend <b>unlimited</b>")
    );
    assert!(command(&app, &admin, "/quota 901 default").await.contains("<b>$0.50</b>"));
    assert!(command(&app, &admin, "/spend_cap").await.contains("<b>none</b>"));
    assert!(command(&app, &admin, "/spend_cap 20").await.contains("<b>$20.00</b>"));
    assert!(command(&app, &admin, "/spend_cap off").await.contains("<b>none</b>"));
    assert!(command(&app, &admin, "/access").await.contains("<b>public</b>"));
    assert!(command(&app, &admin, "/ban 901").await.contains("901 is banned"));
    assert!(command(&app, &admin, "/unban 901").await.contains("901 is no longer banned"));

    for (bad, why) in [
        ("/user", ""),
        ("/user abc", ""),
        ("/ban", ""),
        ("/ban 1 2", ""),
        ("/unban x", ""),
        ("/quota 901", ""),
        ("/quota 901 -1", "cannot be negative"),
        ("/quota default lots", "not a number"),
        ("/spend_cap -5", "cannot be negative"),
        ("/spend_cap twenty", "not a number"),
        ("/access maybe", ""),
        ("/broadcast", ""),
        ("/broadcast ru", ""),
    ] {
        let text = command(&app, &admin, bad).await;
        assert!(text.contains("Usage: <code>/") && text.contains(why), "{bad}: {text}");
    }
    assert!(command(&app, &admin, "/ban 900").await.contains("An admin cannot be banned"));
    assert!(command(&app, &admin, "/user 4242").await.contains("No learner 4242"));
    assert!(command(&app, &admin, "/ban @nobody_here").await.contains("No learner @nobody_here"));
    // Nothing changed by the refusals: the default is still the one set above.
    assert!(command(&app, &admin, "/quota").await.contains("<b>$0.50</b>"));
    let logged = app.count("SELECT COUNT(*) AS n FROM admin_actions WHERE admin_id = 900").await;
    assert_eq!(logged, 7, "every change is in the admin log");
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_banned_learner_hears_once_then_nothing_and_nothing_is_paid_until_unbanned() {
    let app = app_with_admin(Db::Sqlite, &[]).await.unwrap();
    let admin = learner(&app, ADMIN, "en").await;
    let l = learner(&app, 901, "en").await;
    command(&app, &admin, "/ban 901").await;
    let chats = app.ai.calls(Endpoint::Chat);
    let first = command(&app, &l, "Ahoj").await;
    assert!(first.contains("can no longer use Honzík"), "{first}");
    let before = l.messages().len();
    l.send_text("Ahoj znovu");
    l.send_command("/stats");
    app.settle().await;
    assert_eq!(l.messages().len(), before, "silence after the one notice");
    assert_eq!(app.ai.calls(Endpoint::Chat), chats, "nothing paid for");
    command(&app, &admin, "/unban 901").await;
    assert!(answered(&turn(&app, &l, true).await));
    app.assert_no_rejections();
}

#[tokio::test]
async fn allow_list_mode_is_switched_at_runtime_and_the_list_is_edited_without_a_restart() {
    let app = app_with_admin(Db::Sqlite, &[]).await.unwrap();
    let admin = learner(&app, ADMIN, "en").await;
    let l = learner(&app, 901, "en").await;
    assert!(command(&app, &admin, "/access allowlist").await.contains("<b>allow-list</b>"));
    let closed = command(&app, &l, "Ahoj").await;
    assert!(closed.contains("invited learners only"), "{closed}");
    let before = l.messages().len();
    l.send_text("Ahoj?");
    app.settle().await;
    assert_eq!(l.messages().len(), before, "told once a day, not every message");
    assert!(answered(&turn(&app, &admin, true).await), "admins always get in");
    assert!(command(&app, &admin, "/access allow 901").await.contains("901 is on the allow-list"));
    assert!(answered(&turn(&app, &l, true).await));
    assert!(command(&app, &admin, "/access deny 901").await.contains("901 is off the allow-list"));
    let before = l.messages().len();
    l.send_text("Ještě jednou");
    app.settle().await;
    assert_eq!(
        l.messages().len(),
        before,
        "off the list again: no answer (and the day's notice was given)"
    );
    assert!(command(&app, &admin, "/access public").await.contains("<b>public</b>"));
    assert!(answered(&turn(&app, &l, true).await));
    app.assert_no_rejections();
}

async fn quota_runs_out_and_renews_at_the_learners_midnight(db: Db) {
    let Some(app) = app_with_admin(db, &[]).await else { return };
    let admin = learner(&app, ADMIN, "en").await;
    let l = learner(&app, 901, "en").await;
    // 0 is "nothing allowed", not "no limit".
    command(&app, &admin, "/quota 901 0").await;
    let chats = app.ai.calls(Endpoint::Chat);
    let refused = turn(&app, &l, false).await;
    assert!(
        refused[0].text.as_deref().unwrap().contains("daily allowance is used up"),
        "{refused:#?}"
    );
    assert_eq!(app.ai.calls(Endpoint::Chat), chats, "a refused turn costs nothing");
    // A generous allowance: one turn, then set it just above what that turn cost.
    command(&app, &admin, "/quota 901 1").await;
    assert!(answered(&turn(&app, &l, true).await));
    let spent = app
        .count("SELECT CAST(cost_micros AS BIGINT) AS n FROM daily_stats WHERE user_id = 901")
        .await;
    assert!(spent > 0, "the emulator's turn has a price");
    let quota = spent + spent / 10;
    command(&app, &admin, &format!("/quota 901 {}.{:06}", quota / 1_000_000, quota % 1_000_000))
        .await;
    // Under 20% left: told how much in turns at their own cost (never money), once, and the turn
    // goes on.
    let near = turn(&app, &l, true).await;
    assert!(answered(&near));
    assert!(
        near.iter().any(|m| m.text.as_deref().is_some_and(|t| {
            t.contains("This is your last message for today") && !t.contains('$')
        })),
        "{near:#?}"
    );
    // Now over: refused, with the local time it renews (10:00 UTC = 11:00 in Prague).
    let over = turn(&app, &l, false).await;
    let text = over[0].text.clone().unwrap();
    assert!(text.contains("renews at 00:00 (Europe/Prague), in 13 h 0 min"), "{text}");
    assert_eq!(over.len(), 1);
    // One minute before the learner's midnight: still over. At midnight: a new day.
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 28, 22, 59, 0).unwrap());
    assert!(!answered(&turn(&app, &l, false).await));
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 28, 23, 0, 0).unwrap());
    let renewed = turn(&app, &l, true).await;
    assert!(answered(&renewed), "{renewed:#?}");
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_learners_quota_runs_out_and_renews_at_their_local_midnight() {
    quota_runs_out_and_renews_at_the_learners_midnight(Db::Sqlite).await;
}

#[tokio::test]
async fn a_learners_quota_runs_out_and_renews_at_their_local_midnight_on_postgres() {
    quota_runs_out_and_renews_at_the_learners_midnight(Db::Postgres).await;
}

#[tokio::test]
async fn over_the_spend_cap_honzik_rests_and_the_admins_are_told_once() {
    let app = app_with_admin(Db::Sqlite, &[]).await.unwrap();
    let admin = learner(&app, ADMIN, "en").await;
    let l = learner(&app, 901, "en").await;
    let m = learner(&app, 902, "ru").await;
    assert!(answered(&turn(&app, &l, true).await));
    command(&app, &admin, "/spend_cap 0.000001").await;
    let chats = app.ai.calls(Endpoint::Chat);
    for who in [&l, &m, &l] {
        let r = turn(&app, who, false).await;
        assert!(!answered(&r), "{r:#?}");
    }
    assert!(l.last_message().unwrap().text.unwrap().contains("resting until tomorrow"));
    assert!(m.last_message().unwrap().text.unwrap().contains("отдыхает до завтра"));
    assert_eq!(app.ai.calls(Endpoint::Chat), chats, "refused turns cost nothing");
    let alerts = admin
        .messages()
        .iter()
        .filter(|m| {
            m.text.as_deref().is_some_and(|t| t.contains("spending cap of $0.000001 is reached"))
        })
        .count();
    assert_eq!(alerts, 1, "{:#?}", admin.messages());
    // A new UTC day: the cap applies to that day's spend, which is nothing yet.
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 1).unwrap());
    assert!(answered(&turn(&app, &l, true).await));
    command(&app, &admin, "/spend_cap off").await;
    assert!(answered(&turn(&app, &m, true).await));
    app.assert_no_rejections();
}

const BROADCAST: &str = "Ahoj! Honzík má novou funkci.";
const FIRST: i64 = 5000;
const LEARNERS: i64 = 300;
const BLOCKERS: i64 = 10;

/// 300 learners straight into the database (onboarding each through the emulator would take
/// minutes), with chats in the emulator; languages alternate ru/uk/en.
async fn many_learners(app: &TestApp) -> Vec<Learner> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.db().await;
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for id in FIRST..FIRST + LEARNERS {
        let lang = ["ru", "uk", "en"][(id % 3) as usize];
        for sql in [
            format!(
                "INSERT INTO users (id, chat_id, username, first_name, language_code, status, onboarding, streak_current, streak_best, last_practice_day, stars_total, created_at, updated_at, awaiting, deletions) \
                 SELECT {id}, {id}, NULL, 'L', '{lang}', 'active', 'done', 0, 0, NULL, 0, created_at, updated_at, NULL, 0 FROM users WHERE id = {ADMIN}"
            ),
            format!(
                "INSERT INTO user_settings (user_id, interface_lang, level, style, corrections, voice_speed, voice_replies, timezone, updated_at) \
                 SELECT {id}, '{lang}', level, style, corrections, voice_speed, voice_replies, timezone, updated_at FROM user_settings WHERE user_id = {ADMIN}"
            ),
        ] {
            db.execute_raw(Statement::from_string(backend, sql)).await.unwrap();
        }
        out.push(app.learner(id, lang));
    }
    out
}

fn received(l: &Learner) -> usize {
    l.messages().iter().filter(|m| m.text.as_deref() == Some(BROADCAST)).count()
}

async fn broadcast_survives_a_restart(db: Db) {
    // Ten sends a second: slow enough that the stop lands mid-way.
    let Some(mut app) = app_with_admin(db, &[("TELEGRAM_SENDS_PER_SECOND", "10")]).await else {
        return;
    };
    let admin = learner(&app, ADMIN, "en").await;
    // Nobody to send to (no Ukrainian-speaking learner yet): said, and nothing stored.
    let none = command(&app, &admin, "/broadcast uk Ahoj").await;
    assert!(none.contains("Nobody to send to"), "{none}");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM broadcasts").await, 0);
    let learners = many_learners(&app).await;

    let sent = admin.send_text(&format!("/broadcast all {BROADCAST}"));
    let preview = app.replies_to(&admin, sent.message_id, false).await.remove(0);
    assert!(
        preview.text.as_deref().unwrap().contains("<b>301</b> learners (all learners)"),
        "{preview:#?}"
    );
    let confirm = preview.buttons().into_iter().find(|(_, d)| d.starts_with("bc:yes:")).unwrap().1;
    admin.press(preview.message_id, &confirm);
    // Once confirmed (the preview becomes the progress message), the last ten (sent last: by
    // id) block the bot while it is sending.
    app.wait_until(|| {
        admin.messages().iter().any(|m| m.message_id == preview.message_id && m.edits > 0)
    })
    .await;
    for l in &learners[(LEARNERS - BLOCKERS) as usize..] {
        l.block_bot();
    }
    let total = || learners.iter().map(received).sum::<usize>() + received(&admin);
    app.wait_until(|| total() >= 40).await;
    app.stop().await;
    let before_restart = total();
    assert!(before_restart < (LEARNERS - BLOCKERS) as usize, "stopped mid-way: {before_restart}");
    app.start_again().await;
    let done = |m: &BotMessage| {
        m.message_id == preview.message_id
            && m.text.as_deref().is_some_and(|t| t.contains("Broadcast done"))
    };
    assert!(
        app.tg
            .wait_until(std::time::Duration::from_secs(120), |_| admin.messages().iter().any(done))
            .await,
        "{:#?}",
        admin.messages().last()
    );
    let tally = admin.messages().into_iter().find(|m| done(m)).unwrap().text.unwrap();
    assert!(tally.contains("291 sent, 10 skipped (blocked the bot), 0 failed, of 301"), "{tally}");
    for l in &learners[..(LEARNERS - BLOCKERS) as usize] {
        assert_eq!(received(l), 1, "learner {} got it {} times", l.user_id(), received(l));
    }
    for l in &learners[(LEARNERS - BLOCKERS) as usize..] {
        assert_eq!(received(l), 0);
    }
    assert_eq!(received(&admin), 1);
    // A late second press on Confirm (a stale client still showing it) sends nothing more.
    admin.press_forged(preview.message_id, &confirm);
    app.settle().await;
    assert_eq!(
        total(),
        (LEARNERS - BLOCKERS) as usize + 1,
        "the 290 who did not block the bot, and the admin"
    );
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_broadcast_to_300_learners_resumes_after_a_restart_and_reaches_each_once() {
    broadcast_survives_a_restart(Db::Sqlite).await;
}

#[tokio::test]
async fn a_broadcast_to_300_learners_resumes_after_a_restart_and_reaches_each_once_on_postgres() {
    broadcast_survives_a_restart(Db::Postgres).await;
}

#[tokio::test]
async fn a_broadcast_sent_as_a_reply_to_a_voice_carries_that_voice_to_one_language() {
    let app = app_with_admin(Db::Sqlite, &[]).await.unwrap();
    let admin = learner(&app, ADMIN, "en").await;
    let (en, also_en, ru) = (
        learner(&app, 901, "en").await,
        learner(&app, 902, "en").await,
        learner(&app, 903, "ru").await,
    );
    // A voice the bot can send again: Honzík's own reply to the admin.
    let voice = turn(&app, &admin, true)
        .await
        .into_iter()
        .find(|m| m.kind == BotMessageKind::Voice)
        .unwrap();
    let file_id = voice.file_id.clone().unwrap();
    let now = Utc::now().timestamp();
    let chat = serde_json::json!({"id": ADMIN, "type": "private", "first_name": "Olga"});
    let text = "/broadcast en Poslechněte si";
    app.tg.push_raw_update(serde_json::json!({"message": {
        "message_id": 10_000, "date": now, "chat": chat, "text": text,
        "from": {"id": ADMIN, "is_bot": false, "first_name": "Olga", "language_code": "en"},
        "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
        "reply_to_message": {
            "message_id": voice.message_id, "date": now, "chat": chat, "from": app.tg.bot_user(),
            "voice": {"file_id": file_id, "file_unique_id": "honzik-1", "duration": voice.duration.unwrap_or(1), "mime_type": "audio/ogg", "file_size": 1000}
        }
    }}));
    let preview =
        app.wait_for(&admin, |m| m.buttons().iter().any(|(_, d)| d.starts_with("bc:yes:"))).await;
    let shown = preview.text.clone().unwrap();
    assert!(
        shown.contains("<b>3</b> learners (en)") && shown.contains("With the voice message"),
        "{shown}"
    );
    let confirm = preview.buttons().into_iter().find(|(_, d)| d.starts_with("bc:yes:")).unwrap().1;
    admin.press(preview.message_id, &confirm);
    let done = |m: &BotMessage| {
        m.message_id == preview.message_id
            && m.text.as_deref().is_some_and(|t| t.contains("Broadcast done"))
    };
    app.wait_until(|| admin.messages().iter().any(done)).await;
    for l in [&en, &also_en, &admin] {
        let got: Vec<_> = l
            .messages()
            .into_iter()
            .filter(|m| m.caption.as_deref() == Some("Poslechněte si"))
            .collect();
        assert_eq!(got.len(), 1, "{}", l.user_id());
        assert_eq!(
            (got[0].kind, got[0].file_id.as_deref()),
            (BotMessageKind::Voice, Some(file_id.as_str()))
        );
    }
    assert!(
        ru.messages().iter().all(|m| m.caption.as_deref() != Some("Poslechněte si")),
        "other languages get nothing"
    );
}
