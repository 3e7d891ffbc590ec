//! The bot under load: the real `mluvme` binary, started against the emulators, with its peak
//! memory and CPU time read from /proc.

use std::path::Path;
use std::process::Stdio;

use tokio::process::{Child, Command};

use crate::openai::OpenAiEmulator;
use crate::telegram::TelegramEmulator;

pub struct Bot {
    child: Child,
}

/// What the bot process consumed.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Usage {
    pub peak_rss_mib: f64,
    pub cpu_seconds: f64,
}

impl Bot {
    /// `paced`: whether the bot paces its sends to Telegram's limits. Off when the emulator
    /// enforces none, so the headroom regime measures the bot, not its pacer.
    pub fn start(bin: &Path, tg: &TelegramEmulator, ai: &OpenAiEmulator, database_url: &str, dir: &Path, paced: bool) -> anyhow::Result<Bot> {
        let child = Command::new(bin)
            .env("TELOXIDE_TOKEN", tg.token())
            .env("TELOXIDE_API_URL", tg.api_url())
            .env("OPENAI_API_KEY", "sk-load")
            .env("OPENAI_BASE_URL", ai.base_url())
            .env("DATABASE_URL", database_url)
            .env("AUDIO_DIR", dir.join("audio"))
            .env("POLL_TIMEOUT_SECONDS", "1")
            .env("CHAT_BACKLOG", "64")
            .env("MAX_CONCURRENT_TURNS", "4096")
            .env("TELEGRAM_PACING", if paced { "on" } else { "off" })
            .env("RUST_LOG", std::env::var("BOT_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start the bot {}: {e}", bin.display()))?;
        Ok(Bot { child })
    }

    /// Peak resident memory and CPU seconds so far (Linux /proc; zeros elsewhere).
    pub fn usage(&self) -> Usage {
        let Some(pid) = self.child.id() else { return Usage::default() };
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let kib = status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()).unwrap_or(0.0);
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the command name (which may contain spaces): utime is 14th, stime 15th.
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // fields[0] is the state (3rd field overall), so utime (14th) is fields[11].
        Usage { peak_rss_mib: kib / 1024.0, cpu_seconds: (ticks(11) + ticks(12)) / 100.0 }
    }

    /// SIGTERM, then wait for the graceful stop.
    pub async fn stop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        }
        if tokio::time::timeout(std::time::Duration::from_secs(30), self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}
