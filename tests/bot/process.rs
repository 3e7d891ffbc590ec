//! The real binary: killed between receiving and answering, and stopped with SIGTERM.

use std::process::Stdio;

use emulators::Endpoint;
use emulators::telegram::BotMessageKind;
use tokio::process::{Child, Command};

use crate::common::*;

pub(crate) fn start_binary(app: &TestApp) -> Child {
    let c = app.config();
    Command::new(env!("CARGO_BIN_EXE_mluvme"))
        .env_clear()
        .env("TELOXIDE_TOKEN", &c.telegram_token)
        .env("TELOXIDE_API_URL", c.telegram_api_url.unwrap().as_str())
        .env("OPENAI_API_KEY", "sk-test")
        .env("OPENAI_BASE_URL", c.openai_base_url.unwrap())
        .env("DATABASE_URL", &app.database_url)
        .env("AUDIO_DIR", &c.audio_dir)
        .env("POLL_TIMEOUT_SECONDS", "1")
        .env("TTS_CACHE", "off")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the mluvme binary starts")
}

#[tokio::test]
async fn a_turn_interrupted_by_a_crash_is_answered_once_after_restart() {
    let mut app = spawn_app().await;
    let l = app.learner(501, "en");
    app.onboard(&l, "en", "beginner").await;
    app.stop().await; // from here on, the real binary serves the chat

    let mut bot = start_binary(&app);
    let hold = app.ai.hold(Endpoint::Chat);
    let sent = l.send_text("Já jsem byl v Praha včera.");
    // The turn is in the middle of its chat completion: received, stored, not answered.
    assert!(
        app.ai.wait_until(WAIT, |ai| ai.held_requests(Endpoint::Chat) == 1).await,
        "the turn reached the model"
    );
    bot.start_kill().unwrap(); // SIGKILL: no chance to clean up
    bot.wait().await.unwrap();
    drop(hold);
    assert!(
        l.messages().iter().all(|m| m.reply_to != Some(sent.message_id)),
        "nothing was answered before the crash"
    );

    let mut bot = start_binary(&app);
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert_eq!(
        replies.iter().filter(|m| m.kind == BotMessageKind::Voice).count(),
        1,
        "answered exactly once: {replies:#?}"
    );
    // Give a duplicate the chance to show up, then check again and stop cleanly.
    app.settle().await;
    let again: Vec<_> =
        l.messages().into_iter().filter(|m| m.reply_to == Some(sent.message_id)).collect();
    assert_eq!(again.len(), replies.len(), "no second answer");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 501 AND role = 'learner'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 501 AND role = 'honzik'")
            .await,
        1
    );
    terminate(&mut bot).await;
}

#[tokio::test]
async fn sigterm_finishes_the_turn_in_flight_and_exits_zero() {
    let mut app = spawn_app().await;
    let l = app.learner(502, "en");
    app.onboard(&l, "en", "beginner").await;
    app.stop().await;

    let mut bot = start_binary(&app);
    let hold = app.ai.hold(Endpoint::Chat);
    let sent = l.send_text("Dobrý den, mám rád knedlíky.");
    assert!(app.ai.wait_until(WAIT, |ai| ai.held_requests(Endpoint::Chat) == 1).await);
    send_sigterm(&bot);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(hold); // the model answers while the bot is shutting down
    let status = tokio::time::timeout(WAIT, bot.wait())
        .await
        .expect("exits within the grace period")
        .unwrap();
    assert!(status.success(), "exit code 0, got {status:?}");
    let replies: Vec<_> =
        l.messages().into_iter().filter(|m| m.reply_to == Some(sent.message_id)).collect();
    assert!(
        replies.iter().any(|m| m.kind == BotMessageKind::Voice),
        "the turn in flight was finished: {replies:#?}"
    );
}

#[tokio::test]
async fn a_missing_token_stops_start_up_with_one_clear_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_mluvme"))
        .env_clear()
        .env("OPENAI_API_KEY", "x")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TELOXIDE_TOKEN") && err.lines().count() <= 2, "{err}");
}

fn send_sigterm(child: &Child) {
    let pid = child.id().expect("running") as i32;
    // SAFETY-free: `kill` via the standard tool, so no libc dependency is needed for one signal.
    std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
}

pub(crate) async fn terminate(child: &mut Child) {
    send_sigterm(child);
    let status = tokio::time::timeout(WAIT, child.wait()).await.expect("stops").unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn migrate_alone_creates_the_schema_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
    let out = Command::new(env!("CARGO_BIN_EXE_mluvme"))
        .arg("migrate")
        .env_clear()
        .env("DATABASE_URL", &url)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let db = mluvme::store::connect(&url).await.unwrap();
    assert!(
        mluvme::store::learners::find(&db, 1).await.unwrap().is_none(),
        "the tables exist and are empty"
    );
}
