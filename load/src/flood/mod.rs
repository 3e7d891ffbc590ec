//! The load generator: synthetic learners flooding the real bot through the Bot API emulator.
//!
//! It starts both emulators on loopback, starts the real `mluvme` binary pointed at them, and
//! drives N learners concurrently: each onboards (/start, language, level) and then plays turns —
//! voice notes (real Ogg Opus samples) or typed Czech — with think time in between. It listens to
//! every message the bot sends (one broadcast, routed to the learner it is for), measures
//! end-to-end latency from the update being offered to the turn's last reply, and checks
//! correctness: every turn answered exactly once, in order, nothing lost, and the bot's database
//! holding exactly the answered turns. Any violation makes the run fail.
//!
//! # Layout
//! - [`options`]: what to run (users, turns, mix, latencies, faults, database).
//! - `learner`: one synthetic learner's script.
//! - [`report`]: the figures, the summary table and the JSON report.
//! - `process`: the bot process (start, peak RSS, CPU seconds).

mod learner;
pub mod options;
mod process;
pub mod report;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc};

use crate::openai::{AiFault, Endpoint, OpenAiConfig, OpenAiEmulator};
use crate::telegram::{SentEvent, TelegramConfig, TelegramEmulator, TgFault};
pub use options::Options;
pub use report::Report;

/// Runs a whole flood and returns its report (violations included; the caller decides the exit
/// code).
pub async fn run(opts: &Options) -> anyhow::Result<Report> {
    let tg = Arc::new(
        TelegramEmulator::start(TelegramConfig { flood_limits: opts.telegram_limits, strict_html_ampersand: false, ..Default::default() }).await?,
    );
    let ai = Arc::new(OpenAiEmulator::start(OpenAiConfig { latency: opts.latency, reply_words: Some((30, 80)), ..Default::default() }).await?);
    let dir = tempdir()?;
    let database_url = opts.database_url.clone().unwrap_or_else(|| format!("sqlite://{}/mluvme.db?mode=rwc", dir.display()));
    let mut bot = process::Bot::start(&opts.bot, &tg, &ai, &database_url, &dir)?;
    wait_ready(&tg).await?;

    // One listener for everything the bot sends, routed to the learner it replies to.
    let routes: Arc<parking_lot::Mutex<HashMap<i64, mpsc::UnboundedSender<(SentEvent, Instant)>>>> = Default::default();
    let mut events = tg.subscribe_sent();
    let r = routes.clone();
    let lagged = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let lag = lagged.clone();
    let router = tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(e) => {
                    if let Some(tx) = r.lock().get(&e.chat_id) {
                        let _ = tx.send((e, Instant::now()));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    lag.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
    let faults = tokio::spawn(inject_faults(opts.clone(), tg.clone(), ai.clone()));

    let progress = report::Progress::new(opts);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..opts.users {
        let id = 1_000_000 + i as i64;
        let (tx, rx) = mpsc::unbounded_channel();
        routes.lock().insert(id, tx);
        let script = learner::Script::new(opts, i);
        tasks.push(tokio::spawn(learner::play(tg.clone(), ai.clone(), id, script, rx, progress.clone())));
        if opts.spawn_rate > 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(1.0 / opts.spawn_rate)).await;
        }
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await?);
    }
    let elapsed = started.elapsed();
    faults.abort();
    progress.finish();
    // Let the last replies and database writes land before judging.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let usage = bot.usage();
    let answered_in_db = count_answered(&database_url).await?;
    bot.stop().await;
    router.abort();
    let report = Report::build(opts, outcomes, elapsed, usage, answered_in_db, lagged.load(std::sync::atomic::Ordering::Relaxed), &tg, &ai);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(report)
}

/// The bot is ready once it has registered its command menu (after migrations and getMe).
async fn wait_ready(tg: &TelegramEmulator) -> anyhow::Result<()> {
    if tg.wait_until(Duration::from_secs(60), |tg| !tg.my_commands().is_empty()).await {
        Ok(())
    } else {
        anyhow::bail!("the bot did not start within 60 s (is --bot the mluvme binary?)")
    }
}

/// Injects faults at the configured rates for as long as the run lasts.
async fn inject_faults(opts: Options, tg: Arc<TelegramEmulator>, ai: Arc<OpenAiEmulator>) {
    let tick = Duration::from_millis(100);
    let (mut tg_acc, mut ai_acc) = (0.0, 0.0);
    loop {
        tokio::time::sleep(tick).await;
        tg_acc += opts.telegram_429_per_s * tick.as_secs_f64();
        ai_acc += opts.openai_5xx_per_s * tick.as_secs_f64();
        while tg_acc >= 1.0 {
            tg.fail_next("sendMessage", 1, TgFault::TooManyRequests { retry_after: 1 });
            tg_acc -= 1.0;
        }
        while ai_acc >= 1.0 {
            ai.fail_next(Endpoint::Chat, 1, AiFault::Status(503));
            ai_acc -= 1.0;
        }
    }
}

/// Turns the bot's database records as answered.
async fn count_answered(database_url: &str) -> anyhow::Result<i64> {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(database_url).await?;
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), "SELECT COUNT(*) AS n FROM turns WHERE outcome = 'answered'"))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no count"))?;
    Ok(row.try_get("", "n")?)
}

fn tempdir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("mluvme-load-{}-{}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
