//! `TestApp::builder()…spawn()` (or `spawn_app()`): the real bot (same code as the binary)
//! against the Telegram and OpenAI emulators on loopback, with a fresh database (a SQLite file, or
//! a new PostgreSQL database when `TEST_DATABASE_URL` is set) and a fixed clock.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use emulators::telegram::{BotMessage, BotMessageKind, Learner, TelegramConfig, TelegramEmulator};
use emulators::{OpenAiConfig, OpenAiEmulator, Shapes};
use mluvme::config::Config;
use mluvme::progress::FixedClock;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[path = "../support/services.rs"]
pub mod services;
pub use services::fresh_postgres_database;

pub const WAIT: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub tg: TelegramEmulator,
    pub ai: OpenAiEmulator,
    pub clock: Arc<FixedClock>,
    pub database_url: String,
    pub dir: tempfile::TempDir,
    shutdown: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    /// Extra settings on top of the defaults (see [`TestApp::set_env`]).
    extra: HashMap<String, String>,
    /// The bot runs on a runtime of its own, so a simulated crash can drop every task it spawned.
    runtime: Option<tokio::runtime::Runtime>,
}

/// The bot on the suite's default database: SQLite, or PostgreSQL when `TEST_DB=postgres`
/// (`scripts/test-all.sh` runs the whole suite both ways). Shorthand for
/// `TestApp::builder().spawn()`.
pub async fn spawn_app() -> TestApp {
    TestApp::builder().spawn().await.expect("the suite's database is available")
}

impl Db {
    /// `TEST_DB=postgres` runs every `spawn_app()` test on PostgreSQL (`TEST_DATABASE_URL`).
    pub fn default_for_suite() -> Db {
        match std::env::var("TEST_DB").as_deref() {
            Ok("postgres") => Db::Postgres,
            _ => Db::Sqlite,
        }
    }
}

/// How to start a [`TestApp`]: the database, the emulators' configurations and settings on top
/// of the test defaults. Everything left out keeps its default (the suite's database, default
/// emulators, no extra settings).
pub struct TestAppBuilder {
    db: Db,
    ai: OpenAiConfig,
    tg: TelegramConfig,
    env: Vec<(String, String)>,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            db: Db::default_for_suite(),
            ai: OpenAiConfig::default(),
            tg: TelegramConfig::default(),
            env: Vec::new(),
        }
    }
}

#[allow(dead_code)] // not every test binary uses every option
impl TestAppBuilder {
    pub fn db(mut self, db: Db) -> Self {
        self.db = db;
        self
    }

    pub fn openai(mut self, config: OpenAiConfig) -> Self {
        self.ai = config;
        self
    }

    /// Without the emulator's flood limits the bot's per-chat pace is relaxed (a whole suite of
    /// conversations at Telegram's one send a second per chat would crawl); with them, the bot
    /// runs its defaults.
    pub fn telegram(mut self, config: TelegramConfig) -> Self {
        self.tg = config;
        self
    }

    /// Settings on top of the test defaults from the first start (e.g. `PORT` from
    /// [`free_port`]); later calls add to earlier ones.
    pub fn env(mut self, env: &[(&str, &str)]) -> Self {
        self.env.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self
    }

    /// Starts the emulators and the bot; `None` (after a visible SKIP line) when PostgreSQL is
    /// asked for and not configured. With `CI=true` a missing PostgreSQL is a failure, not a skip.
    pub async fn spawn(self) -> Option<TestApp> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let database_url = match self.db {
            Db::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("mluvme.db").display()),
            Db::Postgres => fresh_postgres_database().await?,
        };
        // No per-learner turn limit (floods of turns are tested) and no voice cache (requests to
        // the emulator are counted, and its replies repeat): `tests/bot/redis.rs` turns them on.
        // No daily allowance either (long conversations are tested): `tests/bot/admin.rs` sets
        // them.
        let mut extra = HashMap::from([
            ("TURNS_PER_MINUTE".to_owned(), "0".to_owned()),
            ("TTS_CACHE".to_owned(), "off".to_owned()),
            ("DEFAULT_DAILY_QUOTA".to_owned(), "unlimited".to_owned()),
        ]);
        if !self.tg.flood_limits {
            extra.insert("TELEGRAM_CHAT_SENDS_PER_SECOND".to_owned(), "30".to_owned());
        }
        extra.extend(self.env);
        let tg = TelegramEmulator::start(self.tg).await.unwrap();
        // `EMULATOR_SHAPES=minimal` runs every conversation against the minimal
        // OpenAI-compatible shapes (`scripts/test-all.sh` runs the suite both ways); a test that
        // configures the emulator keeps what it set otherwise.
        let mut ai = self.ai;
        if Shapes::from_env() == Shapes::Minimal {
            ai.shapes = Shapes::Minimal;
        }
        let ai = OpenAiEmulator::start(ai).await.unwrap();
        let clock =
            Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()));
        let mut app = TestApp {
            tg,
            ai,
            clock,
            database_url,
            dir,
            shutdown: CancellationToken::new(),
            task: None,
            runtime: None,
            extra,
        };
        app.start();
        Some(app)
    }
}

/// A loopback port free right now, for a setting that needs a real port (`PORT`). Another
/// process could take it before the bot binds it; on a test machine that does not happen.
#[allow(dead_code)] // not every test binary uses it
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl TestApp {
    pub fn config(&self) -> Config {
        let mut vars: HashMap<&str, String> = HashMap::from([
            ("TELOXIDE_TOKEN", self.tg.token()),
            ("TELOXIDE_API_URL", self.tg.api_url()),
            ("OPENAI_API_KEY", "sk-test".to_owned()),
            ("OPENAI_BASE_URL", self.ai.base_url()),
            ("DATABASE_URL", self.database_url.clone()),
            ("AUDIO_DIR", self.dir.path().join("audio").display().to_string()),
            ("POLL_TIMEOUT_SECONDS", "1".to_owned()),
            ("OPENAI_TIMEOUT_SECONDS", "10".to_owned()),
            ("SHUTDOWN_GRACE_SECONDS", "10".to_owned()),
        ]);
        vars.extend(self.extra.iter().map(|(k, v)| (k.as_str(), v.clone())));
        Config::from_lookup(|k| vars.get(k).cloned()).unwrap()
    }

    /// Sets an environment setting for the next start of the bot.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.extra.insert(key.to_owned(), value.to_owned());
    }

    fn start(&mut self) {
        self.shutdown = CancellationToken::new();
        let (config, clock, shutdown) = (self.config(), self.clock.clone(), self.shutdown.clone());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        self.task = Some(rt.spawn(async move { mluvme::run(config, clock, shutdown).await }));
        self.runtime = Some(rt);
    }

    /// Graceful stop, as on SIGTERM: returns once the bot has exited.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await.unwrap().expect("the bot stops cleanly");
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }

    /// Kills the bot where it stands (every task dropped at its current await point), as a crash.
    pub async fn crash(&mut self) {
        self.task = None;
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }

    /// Starts the bot again, once the stopped one's last long poll has ended (as an operator's
    /// restart would: two pollers at once get Telegram's 409).
    pub async fn start_again(&mut self) {
        self.tg.wait_until(Duration::from_secs(15), |tg| tg.long_polls() == 0).await;
        self.start();
    }

    pub async fn db(&self) -> DatabaseConnection {
        mluvme::store::connect(&self.database_url).await.unwrap()
    }

    pub fn learner(&self, id: i64, lang: &str) -> Learner {
        self.tg.learner(id, "Olga", Some(lang))
    }

    /// Plays onboarding to the end: /start, language, level.
    pub async fn onboard(&self, l: &Learner, lang: &str, level: &str) {
        l.send_command("/start");
        let greeting = self.wait_for(l, |m| !m.buttons().is_empty()).await;
        l.press(greeting.message_id, &format!("lang:{lang}"));
        let ask =
            self.wait_for(l, |m| m.buttons().iter().any(|(_, d)| d.starts_with("level:"))).await;
        l.press(ask.message_id, &format!("level:{level}"));
        self.wait_until(|| {
            l.messages().iter().any(|m| m.edits > 0 && m.message_id == ask.message_id)
        })
        .await;
    }

    /// Waits for a bot message in `l`'s chat that matches.
    pub async fn wait_for(&self, l: &Learner, pred: impl Fn(&BotMessage) -> bool) -> BotMessage {
        let found = self.tg.wait_until(WAIT, |_| l.messages().iter().any(&pred)).await;
        assert!(found, "no matching bot message; chat so far: {:#?}", l.messages());
        l.messages().into_iter().rev().find(|m| pred(m)).unwrap()
    }

    pub async fn wait_until(&self, pred: impl Fn() -> bool) {
        assert!(self.tg.wait_until(WAIT, |_| pred()).await, "condition not reached in time");
    }

    /// Every bot message replying to the learner's message `id`, once the turn's final reply (a
    /// voice, or for notices a text) is there and nothing more arrives for a moment.
    pub async fn replies_to(&self, l: &Learner, id: i64, expect_voice: bool) -> Vec<BotMessage> {
        let done = |ms: &[BotMessage]| {
            let r: Vec<_> = ms.iter().filter(|m| m.reply_to == Some(id)).collect();
            if expect_voice {
                r.iter().any(|m| m.kind == BotMessageKind::Voice)
            } else {
                !r.is_empty()
            }
        };
        let ok = self.tg.wait_until(WAIT, |_| done(&l.messages())).await;
        assert!(ok, "no reply to message {id}; chat: {:#?}", l.messages());
        // Let any trailing message of the same turn arrive.
        self.settle().await;
        l.messages().into_iter().filter(|m| m.reply_to == Some(id)).collect()
    }

    /// Gives the bot a moment to finish what it is doing (waiting on the update to be marked done).
    pub async fn settle(&self) {
        let db = self.db().await;
        for _ in 0..200 {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    "SELECT COUNT(*) AS n FROM updates WHERE status = 'pending'",
                ))
                .await
                .unwrap()
                .unwrap();
            let n: i64 = row.try_get("", "n").unwrap();
            if n == 0 && self.tg.pending_updates() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    /// Counts rows of a query returning one `n` column.
    pub async fn count(&self, sql: &str) -> i64 {
        let db = self.db().await;
        // PostgreSQL keeps INT4 through MAX and makes SUM of BIGINT a NUMERIC; SQLite has one
        // integer type. One cast around the query reads them all the same way.
        let sql = format!("SELECT CAST(n AS BIGINT) AS n FROM ({sql}) AS q");
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    #[allow(dead_code)] // used by benches/context.rs
    /// The texts of a learner's messages by role ("learner" or "honzik"), oldest first.
    pub async fn texts(&self, user_id: i64, role: &str) -> Vec<String> {
        let db = self.db().await;
        let sql = format!(
            "SELECT text FROM messages WHERE user_id = {user_id} AND role = '{role}' ORDER BY id"
        );
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap();
        rows.iter().map(|r| r.try_get::<String>("", "text").unwrap_or_default()).collect()
    }

    /// The emulators saw nothing Telegram or OpenAI would refuse.
    pub fn assert_no_rejections(&self) {
        assert!(self.tg.rejected().is_empty(), "Telegram would refuse: {:#?}", self.tg.rejected());
        assert!(self.ai.rejected().is_empty(), "OpenAI would refuse: {:#?}", self.ai.rejected());
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Learner turn `i` of the script: 20–60 words, a fact (name, city, job) at turn 2. The script
/// repeats every 10 turns, so turns 10, 20, 30 and 40 say the same thing: comparing their prompts
/// measures what the policy carries as the conversation grows, not a difference in content.
pub fn learner_turn(i: usize) -> String {
    const PARTS: [&str; 10] = [
        "Včera jsem byl v obchodě a koupil jsem chleba, mléko a trochu sýra.",
        "Moje sestra pracuje v nemocnici a má moc práce, ale je spokojená.",
        "O víkendu chci jít na hokej, protože hraje Sparta proti Slavii.",
        "Rád vařím polévku, ale knedlíky ještě neumím udělat dobře.",
        "V létě pojedeme k moři, ale nevím, jestli bude hezké počasí.",
        "Učím se česky každý den večer, hlavně slovíčka a gramatiku.",
        "Náš pes je malý a velmi rychlý, rád běhá v parku.",
        "Dnes ráno jsem vstal brzy a pil jsem kávu s mlékem.",
        "Můj kamarád hraje na kytaru a zpívá v malé kapele.",
        "Zítra musím jít k doktorovi, protože mě bolí hlava.",
    ];
    if i == 2 {
        return "Jmenuju se Olga a bydlím v Brně u řeky. Pracuju jako učitelka a mám dvě děti, syna a dceru.".into();
    }
    let n = 2 + (i % 10) % 4;
    (0..n).map(|k| PARTS[(i * 3 + k) % PARTS.len()]).collect::<Vec<_>>().join(" ")
}

/// Whether a recorded chat request is a turn (Honzík's reply contract), not a summary.
pub fn is_turn(body: &serde_json::Value) -> bool {
    body["messages"][0]["content"].as_str().unwrap_or("").contains("honzik_response")
}

/// Tokens of a chat request as the bot budgets them (content plus per-message overhead).
pub fn prompt_tokens(body: &serde_json::Value) -> usize {
    let model = body["model"].as_str().unwrap();
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            mluvme::tutor::count_tokens(model, m["content"].as_str().unwrap_or(""))
                + mluvme::tutor::MESSAGE_OVERHEAD
        })
        .sum()
}

/// Sends a command (or a text answering a question) and returns the bot's one reply to it.
#[allow(dead_code)]
pub async fn command(app: &TestApp, l: &Learner, text: &str) -> BotMessage {
    let sent = l.send_text(text);
    let replies = app.replies_to(l, sent.message_id, false).await;
    assert_eq!(replies.len(), 1, "{text}: {replies:#?}");
    replies.into_iter().next().unwrap()
}

/// Presses a button and waits until the press has been answered; returns the answer's text.
#[allow(dead_code)]
pub async fn press(app: &TestApp, l: &Learner, message_id: i64, data: &str) -> Option<String> {
    let id = l.press(message_id, data);
    app.wait_until(|| app.tg.callback_answers().iter().any(|a| a.id == id)).await;
    app.settle().await;
    app.tg.callback_answers().into_iter().find(|a| a.id == id).unwrap().text
}

/// The message as it stands now (edits applied).
#[allow(dead_code)]
pub fn current(l: &Learner, message_id: i64) -> BotMessage {
    l.messages().into_iter().find(|m| m.message_id == message_id).unwrap()
}
