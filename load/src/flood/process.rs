//! The bot under load: the real `mluvme` binary, started against the emulators, with its peak
//! memory and CPU time read from /proc. It can be killed with SIGKILL and restarted with the same
//! environment (same database, same audio directory); the figures then cover every process.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use emulators::openai::OpenAiEmulator;
use emulators::telegram::TelegramEmulator;
use tokio::process::{Child, Command};

pub struct Bot {
    bin: PathBuf,
    env: Vec<(String, String)>,
    child: Child,
    /// What the processes killed earlier consumed, read just before each SIGKILL.
    earlier: Vec<Usage>,
}

/// What the bot consumed: over every process when it was restarted, CPU seconds summed and peak
/// RSS the highest of them (they never ran at the same time).
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Usage {
    pub peak_rss_mib: f64,
    pub cpu_seconds: f64,
    /// Bot processes the figures cover (1 + restarts).
    pub processes: u32,
}

/// The CPU seconds (user + system, every thread) of process `who`: a pid, or `self` for the
/// generator's own (its emulators and learners; the bot's are its own process's). 0 when
/// `/proc` cannot tell.
pub fn cpu_seconds(who: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{who}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces): utime is 14th, stime 15th.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // fields[0] is the state (3rd field overall), so utime (14th) is fields[11].
    (ticks(11) + ticks(12)) / 100.0
}

impl Bot {
    /// `paced`: whether the bot paces its sends to Telegram's limits. Off when the emulator
    /// enforces none, so the headroom regime measures the bot, not its pacer. `extra_env` comes
    /// last, so it can override any of the generator's settings.
    pub fn start(
        bin: &Path,
        tg: &TelegramEmulator,
        ai: &OpenAiEmulator,
        database_url: &str,
        dir: &Path,
        paced: bool,
        extra_env: &[(String, String)],
    ) -> anyhow::Result<Bot> {
        let mut env: Vec<(String, String)> = [
            ("TELOXIDE_TOKEN", tg.token()),
            ("TELOXIDE_API_URL", tg.api_url()),
            ("OPENAI_API_KEY", "sk-load".into()),
            ("OPENAI_BASE_URL", ai.base_url()),
            ("DATABASE_URL", database_url.into()),
            ("AUDIO_DIR", dir.join("audio").to_string_lossy().into_owned()),
            ("POLL_TIMEOUT_SECONDS", "1".into()),
            ("CHAT_BACKLOG", "64".into()),
            ("TELEGRAM_PACING", if paced { "on" } else { "off" }.into()),
            // The generator measures turns, not the per-learner limit (a flood would trip it).
            ("TURNS_PER_MINUTE", "0".into()),
            // The emulator's replies come from a short table, so a voice cache would hit far more
            // often than with a real model and flatter the figures.
            ("TTS_CACHE", "off".into()),
            ("RUST_LOG", std::env::var("BOT_LOG").unwrap_or_else(|_| "warn".into())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        env.extend(extra_env.iter().cloned());
        let child = spawn(bin, &env)?;
        Ok(Bot { bin: bin.to_owned(), env, child, earlier: Vec::new() })
    }

    /// SIGKILL (no grace: the process dies mid-whatever), then, after `down_for`, start a new
    /// process with the same environment. Returns the old and the new process id.
    pub async fn kill_and_restart(
        &mut self,
        down_for: std::time::Duration,
    ) -> anyhow::Result<(u32, u32)> {
        self.earlier.push(self.current());
        let old = self.child.id().unwrap_or(0);
        self.child.start_kill()?;
        let _ = self.child.wait().await;
        tokio::time::sleep(down_for).await;
        self.child = spawn(&self.bin, &self.env)?;
        Ok((old, self.child.id().unwrap_or(0)))
    }

    /// Peak resident memory and CPU seconds so far, over every process (Linux /proc; zeros
    /// elsewhere).
    pub fn usage(&self) -> Usage {
        let mut all = self.earlier.clone();
        all.push(self.current());
        Usage {
            peak_rss_mib: all.iter().map(|u| u.peak_rss_mib).fold(0.0, f64::max),
            cpu_seconds: all.iter().map(|u| u.cpu_seconds).sum(),
            processes: all.len() as u32,
        }
    }

    /// The running process's figures.
    fn current(&self) -> Usage {
        let Some(pid) = self.child.id() else { return Usage { processes: 1, ..Usage::default() } };
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let kib = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .unwrap_or(0.0);
        Usage {
            peak_rss_mib: kib / 1024.0,
            cpu_seconds: cpu_seconds(&pid.to_string()),
            processes: 1,
        }
    }

    /// SIGTERM, then wait for the graceful stop.
    pub async fn stop(&mut self) {
        if self.child.id().is_none() {
            return;
        }
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        }
        if tokio::time::timeout(std::time::Duration::from_secs(30), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// The bot logs to stdout: with `BOT_LOG` set its log goes to the generator's stderr (the report
/// keeps stdout), otherwise nowhere.
fn spawn(bin: &Path, env: &[(String, String)]) -> anyhow::Result<Child> {
    use std::os::fd::AsFd;
    let stdout = match std::env::var_os("BOT_LOG") {
        Some(_) => Stdio::from(std::io::stderr().as_fd().try_clone_to_owned()?),
        None => Stdio::null(),
    };
    Command::new(bin)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(stdout)
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start the bot {}: {e}", bin.display()))
}

/// Several replicas of the bot behind one webhook, as on Fly.io: each on its own port, all with
/// the same webhook URL and secret, one database. The Telegram emulator spreads its deliveries
/// over them like the load balancer in front of them would. Replica 0 is the one kills hit.
pub struct Fleet {
    pub bots: Vec<Bot>,
    /// Each replica's operations/webhook address, `http://127.0.0.1:PORT` (webhook mode only).
    pub addresses: Vec<String>,
}

/// Webhook mode's fixed secret (replicas must agree on it).
const WEBHOOK_SECRET: &str = "mluvme-load-secret";
const WEBHOOK_PATH: &str = "/telegram/webhook";

impl Fleet {
    /// Starts `replicas` bots; `webhook` false (one replica only) polls as usual.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        bin: &Path,
        tg: &TelegramEmulator,
        ai: &OpenAiEmulator,
        database_url: &str,
        dir: &Path,
        paced: bool,
        extra_env: &[(String, String)],
        replicas: usize,
        webhook: bool,
    ) -> anyhow::Result<Fleet> {
        if !webhook {
            anyhow::ensure!(
                replicas <= 1,
                "several replicas need webhook mode (only one process may poll)"
            );
            let bot = Bot::start(bin, tg, ai, database_url, dir, paced, extra_env)?;
            return Ok(Fleet { bots: vec![bot], addresses: Vec::new() });
        }
        let ports =
            (0..replicas.max(1)).map(|_| free_port()).collect::<anyhow::Result<Vec<u16>>>()?;
        let webhook_url = format!("http://127.0.0.1:{}{WEBHOOK_PATH}", ports[0]);
        let mut bots = Vec::new();
        for (i, port) in ports.iter().enumerate() {
            let mut env: Vec<(String, String)> = vec![
                ("PORT".into(), port.to_string()),
                ("WEBHOOK_URL".into(), webhook_url.clone()),
                ("WEBHOOK_SECRET".into(), WEBHOOK_SECRET.into()),
                ("REPLICA_ID".into(), format!("replica-{i}")),
            ];
            env.extend(extra_env.iter().cloned());
            bots.push(Bot::start(bin, tg, ai, database_url, dir, paced, &env)?);
        }
        Ok(Fleet {
            bots,
            addresses: ports.iter().map(|p| format!("http://127.0.0.1:{p}")).collect(),
        })
    }

    /// Usage of every replica: CPU summed, peak RSS the highest single process.
    pub fn usage(&self) -> Usage {
        let all: Vec<Usage> = self.bots.iter().map(Bot::usage).collect();
        Usage {
            peak_rss_mib: all.iter().map(|u| u.peak_rss_mib).fold(0.0, f64::max),
            cpu_seconds: all.iter().map(|u| u.cpu_seconds).sum(),
            processes: all.iter().map(|u| u.processes).sum(),
        }
    }

    /// SIGTERM to every replica at once, then wait for each to stop.
    pub async fn stop(&mut self) {
        for pid in self.bots.iter().filter_map(|b| b.child.id()) {
            let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        }
        for bot in &mut self.bots {
            bot.stop().await;
        }
    }
}

/// A port free on loopback right now (the bot binds it a moment later).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::cpu_seconds;

    #[test]
    fn a_process_that_works_is_seen_spending_cpu() {
        let before = cpu_seconds("self");
        let give_up = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut x = 0u64;
        // Work until /proc shows it (a tick is 10 ms): a parse that read the wrong fields
        // would never move.
        while cpu_seconds("self") <= before && std::time::Instant::now() < give_up {
            for i in 0..1_000_000u64 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
            }
        }
        assert!(cpu_seconds("self") > before, "CPU seen: {before} s, then no more");
        assert_eq!(cpu_seconds("no-such-process"), 0.0);
    }
}
