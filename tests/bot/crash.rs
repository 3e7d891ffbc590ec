//! The real binary killed with SIGKILL while many turns stand at different checkpoints, then
//! restarted: every turn is answered once, and nothing already paid for is asked for again.

use emulators::telegram::{BotMessageKind, TgFault};
use emulators::{Endpoint, samples};
use sea_orm::ConnectionTrait;

use crate::common::*;
use crate::process::{start_binary, terminate};

/// Voice turns whose answer was stored but whose voice never reached Telegram, and voice turns
/// transcribed but still waiting for the model, when the process dies.
const DELIVERING: i64 = 4;
const THINKING: i64 = 6;

#[tokio::test]
async fn a_crash_mid_flood_resumes_every_turn_from_its_checkpoint_and_answers_it_once() {
    let mut app = spawn_app().await;
    let learners: Vec<_> = (0..DELIVERING + THINKING).map(|i| app.learner(600 + i, "en")).collect();
    for l in &learners {
        app.onboard(l, "en", "beginner").await;
    }
    app.stop().await; // from here on, the real binary serves the chats
    let mut bot = start_binary(&app);
    let sample = samples::speech()[0];

    // Stage "answered": Honzík's answer and voice are stored, the voice's upload hangs.
    app.tg.fail_next("sendVoice", DELIVERING as usize, TgFault::Hang);
    let delivering: Vec<_> = learners[..DELIVERING as usize]
        .iter()
        .map(|l| (l, l.send_voice(sample.bytes.to_vec(), sample.duration_secs)))
        .collect();
    let answered =
        "SELECT COUNT(*) AS n FROM messages WHERE role = 'honzik' AND audio_path IS NOT NULL";
    let mut stored = 0;
    for _ in 0..400 {
        stored = app.count(answered).await;
        if stored == DELIVERING && saved_voices(&app) == 2 * DELIVERING as usize {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        stored, DELIVERING,
        "the first turns were answered and their voices saved before the crash"
    );

    // Stage "transcribed": the model never answers before the crash.
    let hold = app.ai.hold(Endpoint::Chat);
    let thinking: Vec<_> = learners[DELIVERING as usize..]
        .iter()
        .map(|l| (l, l.send_voice(sample.bytes.to_vec(), sample.duration_secs)))
        .collect();
    assert!(
        app.ai.wait_until(WAIT, |ai| ai.held_requests(Endpoint::Chat) == THINKING as usize).await,
        "the other turns reached the model"
    );

    bot.start_kill().unwrap(); // SIGKILL: no chance to clean up
    bot.wait().await.unwrap();
    drop(hold);
    let (stt, chat, tts) = (
        app.ai.calls(Endpoint::Transcription),
        chat_turn_requests(&app),
        app.ai.calls(Endpoint::Speech),
    );
    assert_eq!(
        (stt, chat, tts),
        (10, 10, 4),
        "before the crash: all transcribed, all asked, four voiced"
    );
    for (l, sent) in delivering.iter().chain(&thinking) {
        assert!(
            l.messages().iter().all(|m| m.reply_to != Some(sent.message_id)),
            "nothing was delivered before the crash"
        );
    }

    let mut bot = start_binary(&app);
    for (l, sent) in delivering.iter().chain(&thinking) {
        let replies = app.replies_to(l, sent.message_id, true).await;
        assert_eq!(
            replies.iter().filter(|m| m.kind == BotMessageKind::Voice).count(),
            1,
            "answered exactly once: {replies:#?}"
        );
    }
    app.settle().await;
    for (l, sent) in delivering.iter().chain(&thinking) {
        let voices = l
            .messages()
            .into_iter()
            .filter(|m| m.reply_to == Some(sent.message_id) && m.kind == BotMessageKind::Voice)
            .count();
        assert_eq!(voices, 1, "no second answer in chat {}", l.chat_id());
    }

    // Nothing paid for twice: no second transcription for anyone, no second answer or voice for
    // the turns answered before the crash; the waiting turns asked the model once more.
    assert_eq!(app.ai.calls(Endpoint::Transcription), stt, "no voice transcribed twice");
    assert_eq!(
        chat_turn_requests(&app),
        chat + THINKING as usize,
        "only the unanswered turns asked the model again"
    );
    assert_eq!(
        app.ai.calls(Endpoint::Speech),
        tts + THINKING as usize,
        "only the unanswered turns were voiced"
    );
    // The database holds each turn once, answered, with its cost recorded once.
    let n = DELIVERING + THINKING;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE role = 'learner' AND kind = 'voice'")
            .await,
        n
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages WHERE role = 'honzik'").await, n);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM turns WHERE outcome = 'answered'").await, n);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM usage WHERE kind = 'stt'").await, n);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM usage WHERE kind = 'chat'").await, n);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM updates WHERE status = 'pending'").await, 0);
    terminate(&mut bot).await;
}

fn chat_turn_requests(app: &TestApp) -> usize {
    app.ai.requests().iter().filter(|r| r.endpoint == Endpoint::Chat && is_turn(&r.body)).count()
}

/// Audio files on disk (the learner's and Honzík's voices).
fn saved_voices(app: &TestApp) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            usize::from(e.path().extension().is_some_and(|x| x == "ogg"))
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&app.config().audio_dir)
}

#[tokio::test]
async fn processed_updates_are_forgotten_after_their_retention_and_pending_ones_never() {
    let app = spawn_app().await;
    let l = app.learner(620, "en");
    app.onboard(&l, "en", "beginner").await;
    let sent = l.send_text("Dobrý den, mám rád knedlíky.");
    app.replies_to(&l, sent.message_id, true).await;
    let processed = app.count("SELECT COUNT(*) AS n FROM updates WHERE status <> 'pending'").await;
    assert!(processed >= 4, "onboarding and the turn went through the inbox");
    let db = app.db().await;
    db.execute_unprepared("INSERT INTO updates (update_id, chat_id, kind, payload, status, attempts, received_at) VALUES (999999, 620, 'message', '{}', 'pending', 0, '2026-01-01 00:00:00')").await.unwrap();

    // The bot's clock, not the machine's: the updates were marked done at the harness's fixed
    // time, so the machine's date would make them a week old once it passed a week after it.
    let now = mluvme::progress::Clock::now(app.clock.as_ref());
    let week_ago = now - chrono::Duration::days(7);
    assert_eq!(
        mluvme::store::inbox::purge(&db, week_ago).await.unwrap(),
        0,
        "nothing is older than the retention yet"
    );
    let tomorrow = now + chrono::Duration::days(1);
    assert_eq!(mluvme::store::inbox::purge(&db, tomorrow).await.unwrap() as i64, processed);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM updates").await,
        1,
        "only the pending update is left"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 620 AND role = 'learner'")
            .await,
        1,
        "the conversation stays"
    );
}

#[tokio::test]
async fn when_audio_cannot_be_saved_the_turn_is_still_answered_and_no_row_names_a_missing_file() {
    let mut app = spawn_app().await;
    app.stop().await;
    // A directory cannot be created inside a regular file (even as root).
    let blocked = app.dir.path().join("not-a-dir");
    std::fs::write(&blocked, b"x").unwrap();
    app.set_env("AUDIO_DIR", &blocked.join("audio").display().to_string());
    app.start_again().await;
    let l = app.learner(630, "en");
    app.onboard(&l, "en", "beginner").await;
    let sample = samples::speech()[0];
    let sent = l.send_voice(sample.bytes.to_vec(), sample.duration_secs);
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert!(
        replies.iter().any(|m| m.kind == BotMessageKind::Voice),
        "answered with Honzík's voice all the same: {replies:#?}"
    );
    // Both writes are retried, then given up on and their paths forgotten.
    let mut named = -1;
    for _ in 0..100 {
        named = app
            .count(
                "SELECT COUNT(*) AS n FROM messages WHERE user_id = 630 AND audio_path IS NOT NULL",
            )
            .await;
        if named == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(named, 0, "no message names an audio file that was never written");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 630").await,
        2,
        "both sides of the turn are stored"
    );
}

#[tokio::test]
async fn when_telegram_fails_every_send_for_a_while_the_stored_answer_goes_out_once_it_is_back() {
    let app = spawn_app().await;
    let l = app.learner(640, "en");
    app.onboard(&l, "en", "beginner").await;
    // Four 502s exhaust the sender's retries (teloxide itself waits 10 s after each 5xx).
    app.tg.fail_next("sendVoice", 4, TgFault::ServerError(502));
    let sample = samples::speech()[0];
    let sent = l.send_voice(sample.bytes.to_vec(), sample.duration_secs);
    let voiced = |ms: &[emulators::telegram::BotMessage]| {
        ms.iter().any(|m| m.reply_to == Some(sent.message_id) && m.kind == BotMessageKind::Voice)
    };
    assert!(
        app.tg.wait_until(std::time::Duration::from_secs(120), |_| voiced(&l.messages())).await,
        "delivered once Telegram is back"
    );
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert_eq!(
        replies.iter().filter(|m| m.kind == BotMessageKind::Voice).count(),
        1,
        "{replies:#?}"
    );
    assert!(
        replies.iter().all(|m| !m.plain_text().contains("went wrong")),
        "no error notice: {replies:#?}"
    );
    assert_eq!(chat_turn_requests(&app), 1, "the answer was not asked for again");
    assert_eq!(app.ai.calls(Endpoint::Speech), 1, "nor voiced again");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM turns WHERE user_id = 640 AND outcome = 'answered'")
            .await,
        1
    );
}
