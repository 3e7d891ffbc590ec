//! `mluvme-load`: floods the real bot with synthetic learners through the Bot API emulator and
//! reports throughput, latency, the bot's overhead, resource use, Telegram's send rate, cost and
//! correctness. Exit code 1 on any violation. `--help` lists the options.

use clap::Parser;
use load::flood::Cli;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let opts = cli.options(std::env::current_exe()?.with_file_name("mluvme"))?;
    if let Some(runs) = cli.cold_start {
        print!("{}", load::flood::cold::run(&opts, runs).await?);
        return Ok(());
    }
    let report = load::flood::run(&opts).await?;
    print!("{}", report.table());
    if let Some(path) = &cli.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    if let Some(path) = &cli.png {
        std::fs::write(path, report.png()?)?;
    }
    if !report.violations.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
