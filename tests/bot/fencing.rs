//! Fencing between replicas (issue 15, point 4): two real binaries in webhook mode on one
//! database, 3-second chat leases. One replica is frozen (SIGSTOP) in the middle of a turn, past
//! its lease, while the other takes the chat over; or stopped (SIGTERM) with a turn that outlasts
//! its grace period. Either way the learner gets one answer, paid for once.

use std::sync::{Arc, Mutex};

use emulators::telegram::BotMessageKind;
use emulators::{Endpoint, OpenAiConfig, OpenAiEmulator};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::common::*;

const SECRET: &str = "Fixed-secret_for-every-replica";

/// How long a replica's step may take before the test gives up: two debug binaries and their
/// start-up share the machine with the rest of the suite (and, in CI, a parallel build), so the
/// bound is generous; it is a limit on waiting, never a figure the test checks.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// One replica: the real binary, its webhook on a port of its own, its log lines kept.
struct Replica {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Replica {
    /// Starts replica `id` on the test's database and Telegram emulator, with its own OpenAI
    /// (so one replica's model can be held while the other's answers).
    fn start(app: &TestApp, id: &str, openai: &str) -> Replica {
        let c = app.config();
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_mluvme"))
            .env_clear()
            .env("TELOXIDE_TOKEN", &c.telegram_token)
            .env("TELOXIDE_API_URL", c.telegram_api_url.unwrap().as_str())
            .env("OPENAI_API_KEY", "sk-test")
            .env("OPENAI_BASE_URL", openai)
            .env("DATABASE_URL", &app.database_url)
            .env("AUDIO_DIR", &c.audio_dir)
            .env("PORT", port.to_string())
            .env("WEBHOOK_URL", format!("http://127.0.0.1:{port}/telegram/hook"))
            .env("WEBHOOK_SECRET", SECRET)
            .env("REPLICA_ID", id)
            .env("CHAT_LEASE_SECONDS", "3")
            .env("SHUTDOWN_GRACE_SECONDS", "2")
            .env("TTS_CACHE", "off")
            .env("TURNS_PER_MINUTE", "0")
            .env("DEFAULT_DAILY_QUOTA", "unlimited")
            .env("TELEGRAM_CHAT_SENDS_PER_SECOND", "30")
            .env("RUST_LOG", "info,sqlx=warn,sea_orm=warn,hyper=warn,reqwest=warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the mluvme binary starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        // Log lines go to stdout; a start-up error to stderr.
        keep_lines(child.stdout.take().unwrap(), log.clone());
        keep_lines(child.stderr.take().unwrap(), log.clone());
        Replica { child, port, log }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn has_logged(&self, text: &str) -> bool {
        self.log.lock().unwrap().iter().any(|l| l.contains(text))
    }

    /// Waits (bounded) until a log line contains `text`.
    async fn logged(&self, text: &str) {
        for _ in 0..(PATIENCE.as_millis() / 50) {
            if self.has_logged(text) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("never logged {text:?}: {:#?}", self.log.lock().unwrap());
    }

    /// SIGTERM, then a bounded wait for a clean exit; on anything else the replica's own log
    /// says why.
    async fn stop(mut self) {
        self.signal("-TERM");
        let status = tokio::time::timeout(PATIENCE, self.child.wait()).await;
        let log = || self.log.lock().unwrap().join("\n");
        match status {
            Ok(Ok(s)) if s.success() => {}
            Ok(status) => panic!("the replica stopped with {status:?}:\n{}", log()),
            Err(_) => panic!("the replica did not stop within {PATIENCE:?}:\n{}", log()),
        }
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.id().expect("running").to_string();
        std::process::Command::new("kill").args([signal, &pid]).status().unwrap();
    }
}

fn keep_lines(
    from: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    log: Arc<Mutex<Vec<String>>>,
) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(from).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            log.lock().unwrap().push(line);
        }
    });
}

/// The learner onboarded (by the harness's own bot, then stopped), two replicas up, Telegram
/// delivering to the first; the second has an OpenAI of its own, returned with it.
async fn two_replicas(app: &mut TestApp, user: i64) -> (Replica, Replica, OpenAiEmulator) {
    let l = app.learner(user, "en");
    app.onboard(&l, "en", "beginner").await;
    app.stop().await;
    let other_ai = OpenAiEmulator::start(OpenAiConfig::default()).await.unwrap();
    let first = Replica::start(app, "first", &app.ai.base_url());
    let second = Replica::start(app, "second", &other_ai.base_url());
    first.logged("mluvme is running (webhook)").await;
    second.logged("mluvme is running (webhook)").await;
    app.tg.balance_webhook(vec![first.base()]);
    (first, second, other_ai)
}

/// Which replica's model holds the turn: 0 for the first (`app.ai`), 1 for the second. Either
/// may take the chat — the replica Telegram reached claims it at once, but the other claims
/// every chat with pending work each second and may get there first on a busy machine — so the
/// tests follow whichever did rather than assume.
async fn taker(ais: [&OpenAiEmulator; 2]) -> usize {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(i) = (0..2).find(|&i| ais[i].held_requests(Endpoint::Chat) == 1) {
            return i;
        }
        assert!(tokio::time::Instant::now() < deadline, "neither replica's turn reached its model");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn turn_requests(ai: &OpenAiEmulator) -> usize {
    ai.requests().iter().filter(|r| r.endpoint == Endpoint::Chat && is_turn(&r.body)).count()
}

/// One answer (one voice) to the learner's message, one stored, and one completion and one voice
/// paid for in the bot's own accounts.
async fn answered_once(app: &TestApp, user: i64, message_id: i64) {
    let l = app.learner(user, "en");
    let replies = app.replies_to(&l, message_id, true).await;
    let voices = replies.iter().filter(|m| m.kind == BotMessageKind::Voice).count();
    assert_eq!(voices, 1, "answered exactly once: {replies:#?}");
    let n = |sql: String| async move { app.count(&sql).await };
    for (what, sql, expected) in [
        (
            "Honzík's answers",
            format!(
                "SELECT COUNT(*) AS n FROM messages WHERE user_id = {user} AND role = 'honzik'"
            ),
            1,
        ),
        (
            "completions paid",
            format!("SELECT COUNT(*) AS n FROM usage WHERE user_id = {user} AND kind = 'chat'"),
            1,
        ),
        (
            "voices paid",
            format!("SELECT COUNT(*) AS n FROM usage WHERE user_id = {user} AND kind = 'tts'"),
            1,
        ),
        (
            "updates left pending",
            "SELECT COUNT(*) AS n FROM updates WHERE status = 'pending'".to_owned(),
            0,
        ),
    ] {
        assert_eq!(n(sql).await, expected, "{what}");
    }
}

#[tokio::test]
async fn a_replica_frozen_past_its_lease_mid_turn_neither_answers_nor_pays_once_it_wakes() {
    let mut app = spawn_app().await;
    let (first, second, other_ai) = two_replicas(&mut app, 1701).await;
    let l = app.learner(1701, "en");

    // The replica that takes the turn is frozen while its model thinks.
    let ais = [&app.ai, &other_ai];
    let mut holds = ais.map(|ai| Some(ai.hold(Endpoint::Chat)));
    let sent = l.send_text("Včera jsem byl v Praze a viděl jsem hrad.");
    let frozen = taker(ais).await;
    let live = 1 - frozen;
    let replicas = [first, second];
    replicas[frozen].signal("-STOP");
    app.tg.balance_webhook(vec![replicas[live].base()]);
    holds[live] = None;

    // Its lease runs out; the other replica takes the chat over and answers.
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert!(replies.iter().any(|m| m.kind == BotMessageKind::Voice), "{replies:#?}");

    // The frozen one wakes up and its model answers: it finds the chat is not its own any more
    // (or, unfenced, would answer a second time).
    replicas[frozen].signal("-CONT");
    holds[frozen] = None;
    let shown = || l.messages().len();
    let before = shown();
    // Polled: the emulator's own wait wakes on Telegram traffic only, and a fenced turn has none.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !(replicas[frozen].has_logged("no longer holds the update") || shown() > before) {
        assert!(tokio::time::Instant::now() < deadline, "the frozen replica never went on");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.settle().await;
    assert_eq!(shown(), before, "nothing more was shown: {:#?}", l.messages());
    answered_once(&app, 1701, sent.message_id).await;
    assert_eq!(turn_requests(ais[live]), 1, "the live replica asked its model once");
    assert_eq!(
        turn_requests(ais[frozen]),
        1,
        "the frozen replica's request in flight as it froze, and no other"
    );
    assert_eq!(
        ais[frozen].calls(Endpoint::Speech),
        0,
        "the frozen replica never voiced its answer"
    );
    for r in replicas {
        r.stop().await;
    }
}

#[tokio::test]
async fn a_turn_outlasting_a_stopping_replicas_grace_is_aborted_and_answered_once_by_the_other() {
    let mut app = spawn_app().await;
    let (first, second, other_ai) = two_replicas(&mut app, 1702).await;
    let l = app.learner(1702, "en");

    let ais = [&app.ai, &other_ai];
    let mut holds = ais.map(|ai| Some(ai.hold(Endpoint::Chat)));
    let sent = l.send_text("Dobrý den, mám rád knedlíky a pivo.");
    let stopping = taker(ais).await;
    let other = 1 - stopping;
    let mut replicas = [Some(first), Some(second)];
    let mut stopped = replicas[stopping].take().unwrap();
    let answering = replicas[other].take().unwrap();
    app.tg.balance_webhook(vec![answering.base()]);
    holds[other] = None;
    // SIGTERM: the replica running the turn keeps its lease through its 2-second grace, aborts
    // the turn still waiting on its model, then gives the chat up.
    stopped.signal("-TERM");
    let status =
        tokio::time::timeout(PATIENCE, stopped.child.wait()).await.expect("stops").unwrap();
    assert!(status.success(), "{status:?}");
    stopped.logged("aborting the turns left").await;
    holds[stopping] = None; // too late: nobody is waiting for it

    answered_once(&app, 1702, sent.message_id).await;
    assert_eq!(turn_requests(ais[other]), 1, "the other replica answered it");
    assert_eq!(
        ais[stopping].calls(Endpoint::Speech),
        0,
        "the stopped replica never voiced an answer"
    );
    answering.stop().await;
}
