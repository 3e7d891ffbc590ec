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
//! - [`options`]: what to run (users, turns or duration, mix, latencies, faults, database);
//!   [`cli`]: the command line that sets them.
//! - `script`: what one synthetic learner will do; `learner`: playing it against the bot and
//!   timing every reply; `progress`: the live progress bar.
//! - `faults`: fault injection at steady rates (the OpenAI outage window and the kills are in
//!   `run`).
//! - [`timings`]: the bot's database after the run (answered turns, per-stage timings, overhead).
//! - `sends`: the bot's send rate as the Telegram emulator accepted the sends.
//! - `cost`: tokens, audio and cost as the OpenAI emulator saw them.
//! - [`report`]: the figures, the summary table and the JSON report; `chart`: the `--png`.
//! - `process`: the bot process (start, kill -9 and restart, peak RSS, CPU seconds).
//!
//! # Faults beyond the steady rates
//! - **Kills** (`--kill-at`, `--kill-after-turns`): the bot is SIGKILLed and restarted at once
//!   with the same database and audio directory; learners carry on. A reply message sent twice
//!   by a turn under way at a kill is a *crash duplicate* (allowed: one per turn and kill — the
//!   Bot API has no idempotency key); anything more is a violation. Transcriptions are counted
//!   against voice turns: more than one per voice turn (and injected STT fault) is a repeated
//!   upstream call, allowed only for voice turns under way at a kill.
//! - **OpenAI outage** (`--openai-outage-at`, `--openai-outage-secs`): every request fails with
//!   503 for the window. Turns the bot told to wait ("upstream-busy") and then answered count as
//!   answered, and are reported separately.
//! - **Database checks**: every turn's learner message and `turns` row stored, an answered turn's
//!   answer stored, nothing left pending in the bot's inbox after the graceful stop.

mod chart;
pub mod cli;
pub mod cold;
mod cost;
mod faults;
mod learner;
pub mod options;
mod practice;
mod process;
mod progress;
pub mod report;
mod script;
mod sends;
pub mod timings;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use cli::Cli;
use emulators::openai::{Endpoint, OpenAiConfig, OpenAiEmulator};
use emulators::telegram::{SentEvent, TelegramConfig, TelegramEmulator};
pub use options::Options;
pub use report::Report;
use tokio::sync::{broadcast, mpsc};

/// Each learner's inbox, by chat id.
type Routes = Arc<parking_lot::Mutex<HashMap<i64, mpsc::UnboundedSender<(SentEvent, Instant)>>>>;

/// Runs a whole flood and returns its report (violations included; the caller decides the exit
/// code).
pub async fn run(opts: &Options) -> anyhow::Result<Report> {
    let (tg, ai) = start_emulators(opts).await?;
    let dir = tempdir()?;
    let database_url = opts
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/mluvme.db?mode=rwc", dir.display()));
    let fleet = process::Fleet::start(
        &opts.bot,
        &tg,
        &ai,
        &database_url,
        &dir,
        opts.telegram_limits,
        &opts.bot_env,
        opts.replicas,
        opts.webhook,
    )?;
    wait_ready(&tg, &fleet).await?;
    let bot = Arc::new(tokio::sync::Mutex::new(fleet));
    let listener = Listener::start(&tg);
    let injected: faults::Injected = Default::default();
    let faults =
        tokio::spawn(faults::inject(opts.faults.clone(), tg.clone(), ai.clone(), injected.clone()));

    let progress = progress::Progress::new(opts);
    let generator_cpu = process::cpu_seconds("self");
    let started = Instant::now();
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let killer = Killer {
        plan: opts.kills.clone(),
        restart_after: opts.restart_after,
        bot: bot.clone(),
        ai: ai.clone(),
        progress: progress.clone(),
        started,
        kills: Default::default(),
    };
    let kills = killer.kills.clone();
    let killer = tokio::spawn(killer.run(done_rx));
    let window: Arc<parking_lot::Mutex<Option<(f64, f64)>>> = Default::default();
    let outage = opts
        .faults
        .openai_outage
        .map(|o| tokio::spawn(outage(o, ai.clone(), started, window.clone())));
    let mut outcomes = play(opts, &tg, &ai, &listener.routes, &progress, started).await?;
    let elapsed = started.elapsed();
    let _ = done_tx.send(true);
    let kill_error = killer.await?.err();
    if let Some(o) = outage {
        o.abort();
        ai.set_outage(None);
        let mut w = window.lock();
        if let Some((_, end)) = w.as_mut() {
            *end = end.min(started.elapsed().as_secs_f64());
        }
    }
    faults.abort();
    progress.finish();
    // Let the last replies and database writes land before judging.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut bot = bot.lock().await;
    let usage = bot.usage();
    let generator_cpu_seconds = process::cpu_seconds("self") - generator_cpu;
    bot.stop().await;
    if let Some(e) = kill_error {
        anyhow::bail!("restarting the bot after a kill failed: {e}");
    }
    let db = timings::read(&database_url).await?;
    listener.task.abort();
    for o in &mut outcomes {
        learner::inspect(&tg, o);
    }
    let inputs = report::Inputs {
        outcomes,
        elapsed,
        bot: usage,
        generator_cpu_seconds,
        db,
        lagged: listener.lagged.load(std::sync::atomic::Ordering::Relaxed),
        sends: listener.sends.lock().clone(),
        injected: injected.lock().clone(),
        tg: telegram_seen(opts, &tg),
        ai: openai_seen(opts, &ai),
        events: report::Events {
            kills: kills.lock().clone(),
            kills_planned: opts.kills.len(),
            outage_s: *window.lock(),
        },
    };
    let report = Report::build(opts, inputs);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(report)
}

async fn start_emulators(
    opts: &Options,
) -> anyhow::Result<(Arc<TelegramEmulator>, Arc<OpenAiEmulator>)> {
    let tg = TelegramEmulator::start(TelegramConfig {
        flood_limits: opts.telegram_limits,
        download_delay: opts.download_delay,
        strict_html_ampersand: false,
        ..Default::default()
    })
    .await?;
    let ai = OpenAiEmulator::start(OpenAiConfig {
        latency: opts.latency,
        reply_words: Some((30, 80)),
        ..Default::default()
    })
    .await?;
    Ok((Arc::new(tg), Arc::new(ai)))
}

/// One listener for everything the bot sends, routed to the learner it replies to; it also times
/// every send and counts the events it missed.
struct Listener {
    routes: Routes,
    sends: Arc<parking_lot::Mutex<sends::SendTimes>>,
    lagged: Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Listener {
    fn start(tg: &TelegramEmulator) -> Listener {
        let routes: Routes = Default::default();
        let mut events = tg.subscribe_sent();
        let r = routes.clone();
        let lagged = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let lag = lagged.clone();
        let sends = Arc::new(parking_lot::Mutex::new(sends::SendTimes::new()));
        let sent = sends.clone();
        let task = tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(e) => {
                        let now = Instant::now();
                        sent.lock().note(now);
                        if let Some(tx) = r.lock().get(&e.chat_id) {
                            let _ = tx.send((e, now));
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        lag.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        Listener { routes, sends, lagged, task }
    }
}

/// Starts the learners (at `spawn_rate` per second, or all at once) and waits for them all.
async fn play(
    opts: &Options,
    tg: &Arc<TelegramEmulator>,
    ai: &Arc<OpenAiEmulator>,
    routes: &Routes,
    progress: &progress::Progress,
    started: Instant,
) -> anyhow::Result<Vec<learner::Outcome>> {
    let until = match opts.duration {
        Some(d) => script::Until::Deadline(started + d),
        None => script::Until::Actions(opts.turns),
    };
    let mut tasks = Vec::new();
    for i in 0..opts.users {
        let id = 1_000_000 + i as i64;
        let (tx, rx) = mpsc::unbounded_channel();
        routes.lock().insert(id, tx);
        let script = script::Script::new(opts, i, until);
        tasks.push(tokio::spawn(learner::play(
            tg.clone(),
            ai.clone(),
            id,
            script,
            rx,
            progress.clone(),
        )));
        if opts.spawn_rate > 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(1.0 / opts.spawn_rate)).await;
        }
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await?);
    }
    Ok(outcomes)
}

/// What the Telegram emulator counted.
fn telegram_seen(opts: &Options, tg: &TelegramEmulator) -> report::TgSeen {
    report::TgSeen {
        send_calls: ["sendMessage", "sendVoice", "sendPhoto", "sendDocument"]
            .iter()
            .map(|m| tg.calls(m))
            .sum(),
        throttled_429: tg.rejected().iter().filter(|r| r.error_code == 429).count(),
        fault_calls: opts.faults.telegram_methods.iter().map(|m| tg.calls(m)).sum(),
        webhook_deliveries: tg.webhook_deliveries_by_target(),
    }
}

/// What the OpenAI emulator saw.
fn openai_seen(opts: &Options, ai: &OpenAiEmulator) -> report::AiSeen {
    let endpoints = [Endpoint::Chat, Endpoint::Transcription, Endpoint::Speech];
    let refused: usize = endpoints.into_iter().map(|ep| ai.outage_refused(ep)).sum();
    report::AiSeen {
        consumption: cost::Consumption::of(&ai.requests()),
        latency: endpoints
            .into_iter()
            .map(|ep| {
                let (n, total) = ai.injected_latency(ep);
                (ep, n, total)
            })
            .collect(),
        fault_calls: opts
            .faults
            .openai_endpoints
            .iter()
            .map(|ep| (ai.calls(*ep) - ai.outage_refused(*ep)) as u64)
            .sum(),
        outage_refused: refused as u64,
    }
}

/// The kill plan, and what carrying it out needs: the bot to kill, the OpenAI emulator (what it
/// was serving at each kill), the learners' progress, and where to record each kill.
struct Killer {
    plan: Vec<options::Kill>,
    restart_after: Duration,
    bot: Arc<tokio::sync::Mutex<process::Fleet>>,
    ai: Arc<OpenAiEmulator>,
    progress: progress::Progress,
    started: Instant,
    kills: Arc<parking_lot::Mutex<Vec<report::KillSeen>>>,
}

impl Killer {
    /// SIGKILLs and restarts the bot at each kill point in turn, until the learners are done (a
    /// restart under way is always finished). Records when each kill happened.
    async fn run(self, mut done: tokio::sync::watch::Receiver<bool>) -> anyhow::Result<()> {
        let (ai, started) = (&self.ai, self.started);
        for kill in self.plan {
            let due = async {
                match kill {
                    options::Kill::At(at) => tokio::time::sleep_until((started + at).into()).await,
                    options::Kill::AfterTurns(n) => {
                        while self.progress.turns_done() < n {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
            };
            tokio::select! {
                _ = due => {}
                _ = done.wait_for(|d| *d) => return Ok(()),
            }
            let mut bot = self.bot.lock().await;
            let at = Instant::now();
            self.kills.lock().push(report::KillSeen {
                at,
                secs: at.duration_since(started).as_secs_f64(),
                stt_in_flight: ai.in_flight(Endpoint::Transcription) as u64,
                chat_in_flight: ai.in_flight(Endpoint::Chat) as u64,
                tts_in_flight: ai.in_flight(Endpoint::Speech) as u64,
            });
            let (old, new) = bot.bots[0].kill_and_restart(self.restart_after).await?;
            // On stderr with the bot's own log (BOT_LOG), to line the kill up with it.
            eprintln!(
                "mluvme-load: kill -9 of the bot (pid {old}) at {:.1} s; restarted as pid {new}",
                at.duration_since(started).as_secs_f64()
            );
        }
        Ok(())
    }
}

/// Switches the OpenAI emulator to a full outage (503 everywhere) for the window, recording when
/// it began and ended.
async fn outage(
    o: options::Outage,
    ai: Arc<OpenAiEmulator>,
    started: Instant,
    window: Arc<parking_lot::Mutex<Option<(f64, f64)>>>,
) {
    tokio::time::sleep_until((started + o.at).into()).await;
    ai.set_outage(Some(503));
    let from = started.elapsed().as_secs_f64();
    *window.lock() = Some((from, from + o.length.as_secs_f64()));
    tokio::time::sleep(o.length).await;
    ai.set_outage(None);
    *window.lock() = Some((from, started.elapsed().as_secs_f64()));
}

/// The bot is ready once it has registered its command menu (after migrations and getMe).
/// In webhook mode, once every replica listens and the webhook is registered, the emulator
/// spreads its deliveries over the replicas.
async fn wait_ready(tg: &TelegramEmulator, fleet: &process::Fleet) -> anyhow::Result<()> {
    if !tg.wait_until(Duration::from_secs(60), |tg| !tg.my_commands().is_empty()).await {
        anyhow::bail!("the bot did not start within 60 s (is --bot the mluvme binary?)")
    }
    if fleet.addresses.is_empty() {
        return Ok(());
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    for address in &fleet.addresses {
        let host = address.trim_start_matches("http://");
        while tokio::net::TcpStream::connect(host).await.is_err() {
            anyhow::ensure!(
                Instant::now() < deadline,
                "bot replica {address} did not listen within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    if !tg.wait_until(Duration::from_secs(60), |tg| tg.webhook().is_some()).await {
        anyhow::bail!("the bot did not register its webhook within 60 s")
    }
    tg.balance_webhook(fleet.addresses.clone());
    Ok(())
}

fn tempdir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "mluvme-load-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
