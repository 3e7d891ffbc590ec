//! Audio storage behind one interface: an S3-compatible bucket (the S3 emulator on loopback) or
//! the local directory, the keys the database keeps, reading a voice back on resume, failures
//! that never cost the learner an answer, and retention.

use std::time::Duration;

use emulators::Endpoint;
use emulators::s3::S3Emulator;
use emulators::samples;
use emulators::telegram::{BotMessageKind, TgFault};
use sea_orm::ConnectionTrait;

use crate::common::*;

const BUCKET: &str = "mluvme-audio";

/// The bot restarted with its audio in the emulator's bucket.
async fn with_bucket(app: &mut TestApp, s3: &S3Emulator) {
    app.stop().await;
    app.set_env("AUDIO_S3_BUCKET", BUCKET);
    app.set_env("AUDIO_S3_ENDPOINT", &s3.endpoint());
    app.set_env("AWS_ACCESS_KEY_ID", "test-key");
    app.set_env("AWS_SECRET_ACCESS_KEY", "test-secret");
    app.start_again().await;
}

/// The `audio_path` values of a learner's messages, learner first, NULLs as None.
async fn stored_keys(app: &TestApp, user_id: i64) -> Vec<Option<String>> {
    let db = app.db().await;
    let sql = format!("SELECT audio_path FROM messages WHERE user_id = {user_id} ORDER BY id");
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter().map(|r| r.try_get::<Option<String>>("", "audio_path").unwrap()).collect()
}

/// Polls `check` (at most 10 s): the audio is written in the background.
async fn eventually(mut check: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..200 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// `.ogg` files under the local audio directory.
fn local_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), out);
            } else {
                out.push(e.path());
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.config().audio_dir, &mut out);
    out
}

async fn voice_turn(
    app: &TestApp,
    l: &emulators::telegram::Learner,
) -> Vec<emulators::telegram::BotMessage> {
    let sample = samples::speech()[0];
    let sent = l.send_voice(sample.bytes.to_vec(), sample.duration_secs);
    app.replies_to(l, sent.message_id, true).await
}

#[tokio::test]
async fn with_a_bucket_both_voices_of_a_turn_are_stored_there_under_dated_keys() {
    let s3 = S3Emulator::start(&[BUCKET]).await.unwrap();
    let mut app = spawn_app().await;
    with_bucket(&mut app, &s3).await;
    let l = app.learner(1401, "en");
    app.onboard(&l, "en", "beginner").await;
    let replies = voice_turn(&app, &l).await;
    assert!(
        replies.iter().any(|m| m.kind == BotMessageKind::Voice),
        "answered with Honzík's voice"
    );

    assert!(
        eventually(async || s3.keys(BUCKET).len() == 2).await,
        "both voices uploaded: {:?}",
        s3.keys(BUCKET)
    );
    let keys = s3.keys(BUCKET);
    assert!(
        keys.iter().all(|k| k.starts_with("2026/11/28/1401/") && k.ends_with(".ogg")),
        "keys carry the day and the chat: {keys:?}"
    );
    assert!(
        keys.iter().any(|k| k.ends_with("-learner.ogg"))
            && keys.iter().any(|k| k.ends_with("-honzik.ogg")),
        "{keys:?}"
    );
    let learner_key = keys.iter().find(|k| k.ends_with("-learner.ogg")).unwrap();
    assert_eq!(
        s3.object(BUCKET, learner_key).unwrap().as_ref(),
        samples::speech()[0].bytes,
        "the learner's voice as sent"
    );
    let mut rows: Vec<String> = stored_keys(&app, 1401).await.into_iter().flatten().collect();
    rows.sort();
    assert_eq!(rows, keys, "the database keeps the keys");
    assert!(local_files(&app).is_empty(), "nothing written to the local directory");
    assert_eq!(s3.counts().unauthorized, 0, "every request was signed");
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_turn_resumed_after_a_crash_sends_honziks_voice_from_the_bucket_without_voicing_it_again()
{
    let s3 = S3Emulator::start(&[BUCKET]).await.unwrap();
    let mut app = spawn_app().await;
    with_bucket(&mut app, &s3).await;
    let l = app.learner(1402, "en");
    app.onboard(&l, "en", "beginner").await;
    // The answer and its voice are stored, the voice's upload to Telegram hangs: then a crash.
    app.tg.fail_next("sendVoice", 1, TgFault::Hang);
    let sample = samples::speech()[0];
    let sent = l.send_voice(sample.bytes.to_vec(), sample.duration_secs);
    assert!(
        eventually(async || s3.keys(BUCKET).iter().any(|k| k.ends_with("-honzik.ogg"))).await,
        "Honzík's voice uploaded"
    );
    let honzik = s3.keys(BUCKET).into_iter().find(|k| k.ends_with("-honzik.ogg")).unwrap();
    assert_eq!(app.ai.calls(Endpoint::Speech), 1);
    app.crash().await;

    let gets = s3.counts().get;
    app.start_again().await;
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert_eq!(
        replies.iter().filter(|m| m.kind == BotMessageKind::Voice).count(),
        1,
        "the voice goes out once: {replies:#?}"
    );
    assert_eq!(app.ai.calls(Endpoint::Speech), 1, "read back from the bucket, not voiced again");
    assert!(s3.counts().get > gets, "the bucket was read");
    assert!(
        stored_keys(&app, 1402).await.contains(&Some(honzik)),
        "the answer still names its voice"
    );
}

#[tokio::test]
async fn a_resumed_turn_whose_voice_is_gone_from_the_bucket_is_voiced_again() {
    let s3 = S3Emulator::start(&[BUCKET]).await.unwrap();
    let mut app = spawn_app().await;
    with_bucket(&mut app, &s3).await;
    let l = app.learner(1403, "en");
    app.onboard(&l, "en", "beginner").await;
    app.tg.fail_next("sendVoice", 1, TgFault::Hang);
    let sample = samples::speech()[0];
    let sent = l.send_voice(sample.bytes.to_vec(), sample.duration_secs);
    assert!(
        eventually(async || s3.keys(BUCKET).iter().any(|k| k.ends_with("-honzik.ogg"))).await,
        "Honzík's voice uploaded"
    );
    app.crash().await;
    let honzik = s3.keys(BUCKET).into_iter().find(|k| k.ends_with("-honzik.ogg")).unwrap();
    assert!(s3.remove(BUCKET, &honzik), "deleted behind the bot's back");

    app.start_again().await;
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert_eq!(
        replies.iter().filter(|m| m.kind == BotMessageKind::Voice).count(),
        1,
        "answered with a voice all the same: {replies:#?}"
    );
    assert_eq!(app.ai.calls(Endpoint::Speech), 2, "voiced again");
}

#[tokio::test]
async fn a_bucket_refusing_uploads_twice_gets_the_audio_on_the_retry() {
    let s3 = S3Emulator::start(&[BUCKET]).await.unwrap();
    let mut app = spawn_app().await;
    with_bucket(&mut app, &s3).await;
    let l = app.learner(1404, "en");
    app.onboard(&l, "en", "beginner").await;
    s3.fail_next_puts(2);
    voice_turn(&app, &l).await;
    assert!(
        eventually(async || s3.keys(BUCKET).len() == 2).await,
        "both voices uploaded in the end: {:?}",
        s3.keys(BUCKET)
    );
    assert_eq!(s3.counts().failed_puts, 2);
    assert!(
        eventually(async || stored_keys(&app, 1404).await.iter().all(Option::is_some)).await,
        "and both keys kept"
    );
}

#[tokio::test]
async fn when_the_bucket_refuses_every_upload_the_turn_is_answered_and_no_row_names_missing_audio()
{
    let s3 = S3Emulator::start(&[BUCKET]).await.unwrap();
    let mut app = spawn_app().await;
    with_bucket(&mut app, &s3).await;
    let l = app.learner(1405, "en");
    app.onboard(&l, "en", "beginner").await;
    s3.fail_next_puts(1000);
    let replies = voice_turn(&app, &l).await;
    assert!(
        replies.iter().any(|m| m.kind == BotMessageKind::Voice),
        "answered with Honzík's voice all the same"
    );
    assert!(
        eventually(async || stored_keys(&app, 1405).await.iter().all(Option::is_none)).await,
        "both keys forgotten once the retries ran out"
    );
    assert_eq!(stored_keys(&app, 1405).await.len(), 2, "both sides of the turn are stored");
    assert_eq!(s3.counts().failed_puts, 6, "each upload tried three times");
    assert!(s3.keys(BUCKET).is_empty());
}

#[tokio::test]
async fn retention_deletes_whole_days_of_audio_from_the_bucket_and_forgets_their_keys() {
    retention_on_a_bucket(Db::Sqlite).await;
}

#[tokio::test]
async fn on_postgres_retention_deletes_old_audio_and_forgets_its_keys() {
    retention_on_a_bucket(Db::Postgres).await;
}

async fn retention_on_a_bucket(db: Db) {
    let s3 = S3Emulator::start(&[BUCKET]).await.unwrap();
    s3.set_page_size(1); // every listing takes several pages
    let Some(mut app) = TestApp::builder().db(db).spawn().await else { return };
    app.set_env("AUDIO_RETENTION_DAYS", "30");
    with_bucket(&mut app, &s3).await;
    let l = app.learner(1406, "en");
    app.onboard(&l, "en", "beginner").await;
    voice_turn(&app, &l).await;
    assert!(eventually(async || s3.keys(BUCKET).len() == 2).await, "both voices uploaded");
    s3.insert(BUCKET, "2026/12/27/1406/1-learner.ogg", &b"OggS later"[..]); // within the retention at the restart
    s3.insert(BUCKET, "exports/keep.json", &b"{}"[..]); // not audio: never touched

    // A month and a day later, the restarted bot's first retention pass runs.
    app.stop().await;
    app.clock.advance(chrono::Duration::days(31));
    app.start_again().await;
    let today = |k: &String| k.starts_with("2026/11/28/");
    assert!(
        eventually(async || !s3.keys(BUCKET).iter().any(today)).await,
        "the old day is deleted: {:?}",
        s3.keys(BUCKET)
    );
    assert_eq!(
        s3.keys(BUCKET),
        ["2026/12/27/1406/1-learner.ogg", "exports/keep.json"],
        "newer audio and other objects stay"
    );
    assert_eq!(stored_keys(&app, 1406).await, [None, None], "no row names deleted audio");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 1406").await,
        2,
        "the conversation itself stays"
    );
}

#[tokio::test]
async fn retention_on_the_local_directory_deletes_old_days_and_forgets_paths_from_before_keys_too()
{
    let mut app = spawn_app().await;
    app.stop().await;
    app.set_env("AUDIO_RETENTION_DAYS", "7");
    app.start_again().await;
    let l = app.learner(1407, "en");
    app.onboard(&l, "en", "beginner").await;
    voice_turn(&app, &l).await;
    assert!(
        eventually(async || local_files(&app).len() == 2).await,
        "both voices saved: {:?}",
        local_files(&app)
    );
    // An installation from before keys: its rows name files by path, under AUDIO_DIR.
    let root = app.config().audio_dir;
    let old = root.join("2026/11/01/1407-1-learner.ogg");
    std::fs::create_dir_all(old.parent().unwrap()).unwrap();
    std::fs::write(&old, b"OggS old").unwrap();
    let db = app.db().await;
    let sql = format!(
        "UPDATE messages SET audio_path = '{}' WHERE id = (SELECT MIN(id) FROM messages WHERE user_id = 1407)",
        old.display()
    );
    db.execute_unprepared(&sql).await.unwrap();

    app.stop().await;
    app.clock.advance(chrono::Duration::days(8));
    app.start_again().await;
    assert!(
        eventually(async || local_files(&app).is_empty()).await,
        "every old file deleted: {:?}",
        local_files(&app)
    );
    assert!(
        eventually(async || stored_keys(&app, 1407).await.iter().all(Option::is_none)).await,
        "keys and old paths forgotten"
    );
    assert!(!root.join("2026").exists(), "emptied day directories removed too");
}

#[tokio::test]
async fn delete_me_deletes_the_learners_audio_from_the_bucket() {
    let s3 = S3Emulator::start(&[BUCKET]).await.unwrap();
    let mut app = spawn_app().await;
    with_bucket(&mut app, &s3).await;
    let l = app.learner(1408, "en");
    app.onboard(&l, "en", "beginner").await;
    voice_turn(&app, &l).await;
    assert!(eventually(async || s3.keys(BUCKET).len() == 2).await, "both voices uploaded");
    s3.insert(BUCKET, "2026/11/28/9999/1-learner.ogg", &b"OggS someone else"[..]);

    l.send_command("/delete_me");
    let ask = app.wait_for(&l, |m| m.buttons().iter().any(|(_, d)| d.starts_with("del:yes"))).await;
    l.press(ask.message_id, "del:yes:0");
    assert!(
        eventually(async || s3.keys(BUCKET).len() == 1).await,
        "the learner's voices are gone: {:?}",
        s3.keys(BUCKET)
    );
    assert_eq!(s3.keys(BUCKET), ["2026/11/28/9999/1-learner.ogg"], "another learner's audio stays");
    app.wait_until(|| {
        l.messages()
            .iter()
            .any(|m| m.message_id == ask.message_id && m.plain_text().contains("voice files: 2"))
    })
    .await;
}
