//! `mluvme-load`: floods the real bot with synthetic learners through the Bot API emulator and
//! reports throughput, latency, resource use and correctness. Exit code 1 on any violation.

use std::path::PathBuf;

use clap::Parser;
use load::flood::{Options, options::Weights};
use load::latency::{LatencyProfile, LatencyRange};

#[derive(Parser)]
#[command(name = "mluvme-load", about = "Synthetic update floods against the mluvme bot (loopback only)")]
struct Cli {
    /// Concurrent learners.
    #[arg(long, default_value_t = 100)]
    users: usize,
    /// Learners started per second (0 = all at once).
    #[arg(long, default_value_t = 0.0)]
    spawn_rate: f64,
    /// Actions per learner after onboarding.
    #[arg(long, default_value_t = 5)]
    turns: usize,
    /// Think time between actions, ms, as MIN-MAX.
    #[arg(long, default_value = "0-0")]
    think_ms: String,
    /// Scenario weights voice,text,settings,stats.
    #[arg(long, default_value = "70,20,5,5")]
    mix: String,
    /// Emulated latency, ms as MIN-MAX, per endpoint.
    #[arg(long, default_value = "0-0")]
    chat_ms: String,
    #[arg(long, default_value = "0-0")]
    stt_ms: String,
    #[arg(long, default_value = "0-0")]
    tts_ms: String,
    /// Enforce Telegram's flood limits (~30 msg/s per bot, ~1/s per chat) with 429s.
    #[arg(long)]
    telegram_limits: bool,
    /// Injected faults per second.
    #[arg(long, default_value_t = 0.0)]
    telegram_429_per_s: f64,
    #[arg(long, default_value_t = 0.0)]
    openai_5xx_per_s: f64,
    /// The bot's database (default: a fresh SQLite file).
    #[arg(long)]
    database_url: Option<String>,
    /// The mluvme binary (default: next to this one).
    #[arg(long)]
    bot: Option<PathBuf>,
    /// Write the JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn range(s: &str) -> anyhow::Result<(u64, u64)> {
    let (a, b) = s.split_once('-').ok_or_else(|| anyhow::anyhow!("expected MIN-MAX, got {s:?}"))?;
    Ok((a.trim().parse()?, b.trim().parse()?))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let w: Vec<u32> = cli.mix.split(',').map(|v| v.trim().parse()).collect::<Result<_, _>>()?;
    anyhow::ensure!(w.len() == 4, "--mix takes four weights: voice,text,settings,stats");
    let ms = |s: &str| -> anyhow::Result<LatencyRange> {
        let (a, b) = range(s)?;
        Ok(LatencyRange::ms(a, b))
    };
    let bot = match cli.bot {
        Some(p) => p,
        None => std::env::current_exe()?.with_file_name("mluvme"),
    };
    let opts = Options {
        users: cli.users,
        spawn_rate: cli.spawn_rate,
        turns: cli.turns,
        think_ms: range(&cli.think_ms)?,
        weights: Weights { voice: w[0], text: w[1], settings: w[2], stats: w[3] },
        latency: LatencyProfile { chat: ms(&cli.chat_ms)?, transcription: ms(&cli.stt_ms)?, speech: ms(&cli.tts_ms)? },
        telegram_limits: cli.telegram_limits,
        telegram_429_per_s: cli.telegram_429_per_s,
        openai_5xx_per_s: cli.openai_5xx_per_s,
        database_url: cli.database_url,
        bot,
        progress: true,
        reply_timeout_s: 120,
    };
    let report = load::flood::run(&opts).await?;
    print!("{}", report.table());
    if let Some(path) = cli.json {
        std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    }
    if !report.violations.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
