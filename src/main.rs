//! The `mluvme` daemon: parse the command line, read the configuration, run until SIGINT/SIGTERM.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use mluvme::config::{Config, LogFormat};
use mluvme::{progress::SystemClock, store, telemetry};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "mluvme", about = "Practise spoken Czech with Honzík on Telegram", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the bot (the default).
    Run,
    /// Apply database migrations and exit.
    Migrate,
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // First of all: it may start the program again with the allocator's options.
    mluvme::alloc::tuned();
    start()
}

#[tokio::main]
async fn start() -> ExitCode {
    let cli = Cli::parse();
    // Read before anything logs; a bad value stops here, with the same line `Config` gives.
    match LogFormat::from_lookup(|k| std::env::var(k).ok()) {
        Ok(format) => telemetry::init(format),
        Err(e) => {
            eprintln!("mluvme: {e}");
            return ExitCode::FAILURE;
        }
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let result = match cli.command.unwrap_or(Cmd::Run) {
        Cmd::Migrate => migrate().await,
        Cmd::Run => run().await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mluvme: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate() -> anyhow::Result<()> {
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://mluvme.db?mode=rwc".into());
    let db = store::connect(&url).await?;
    store::migrate(&db).await?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn run() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    mluvme::run(config, Arc::new(SystemClock), shutdown).await
}

/// SIGINT (Ctrl-C, Fly.io's default) or SIGTERM: stop taking updates and finish what is in flight.
async fn stop_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown signal received");
    shutdown.cancel();
}
