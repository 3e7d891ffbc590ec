//! The `mluvme-load` command line, read into [`Options`].

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use emulators::latency::{LatencyProfile, LatencyRange};
use emulators::openai::Endpoint;

use super::options::{Faults, Kill, Options, Outage, Weights};

/// The `mluvme-load` command line.
#[derive(Parser, Debug)]
#[command(
    name = "mluvme-load",
    about = "Synthetic update floods against the mluvme bot (loopback only)"
)]
pub struct Cli {
    /// Concurrent learners.
    #[arg(long, default_value_t = 100)]
    pub users: usize,
    /// Learners started per second (0 = all at once).
    #[arg(long, default_value_t = 0.0)]
    pub spawn_rate: f64,
    /// Actions per learner after onboarding.
    #[arg(long, default_value_t = 5)]
    pub turns: usize,
    /// Play for this many seconds instead of --turns (each learner then finishes its current
    /// action).
    #[arg(long, conflicts_with = "turns")]
    pub duration: Option<f64>,
    /// Think time between actions, ms, as MIN-MAX.
    #[arg(long, default_value = "0-0")]
    pub think_ms: String,
    /// Scenario weights `voice,text,settings,stats[,scene,listen[,shadow]]` (the practice modes
    /// weigh 0 unless given).
    #[arg(long, default_value = "70,20,5,5")]
    pub mix: String,
    /// Emulated latency of chat completions, ms as MIN-MAX (uniform).
    #[arg(long, default_value = "0-0")]
    pub chat_ms: String,
    /// Emulated latency of speech-to-text, ms as MIN-MAX.
    #[arg(long, default_value = "0-0")]
    pub stt_ms: String,
    /// Emulated latency of text-to-speech, ms as MIN-MAX.
    #[arg(long, default_value = "0-0")]
    pub tts_ms: String,
    /// Enforce Telegram's flood limits (~30 msg/s per bot, ~1/s per chat) with 429s.
    #[arg(long)]
    pub telegram_limits: bool,
    /// Injected Telegram 429s (retry_after 1) per second, on --telegram-fault-methods.
    #[arg(long, default_value_t = 0.0)]
    pub telegram_429_per_s: f64,
    /// Injected Telegram 500s per second, on --telegram-fault-methods.
    #[arg(long, default_value_t = 0.0)]
    pub telegram_5xx_per_s: f64,
    /// The Bot API methods Telegram faults go to, in turn: e.g. sendMessage,sendVoice.
    #[arg(long, default_value = "sendMessage")]
    pub telegram_fault_methods: String,
    /// Delay before each file download starts (slow downloads), ms.
    #[arg(long, default_value_t = 0)]
    pub download_delay_ms: u64,
    /// Injected OpenAI 503s per second.
    #[arg(long, default_value_t = 0.0)]
    pub openai_5xx_per_s: f64,
    /// Injected OpenAI 429s (with retry-after) per second.
    #[arg(long, default_value_t = 0.0)]
    pub openai_429_per_s: f64,
    /// The retry-after of injected OpenAI 429s, seconds.
    #[arg(long, default_value_t = 1)]
    pub openai_retry_after_s: u32,
    /// Injected OpenAI timeouts (a request never answered) per second.
    #[arg(long, default_value_t = 0.0)]
    pub openai_timeouts_per_s: f64,
    /// Injected OpenAI answers whose content is not JSON, per second.
    #[arg(long, default_value_t = 0.0)]
    pub openai_invalid_json_per_s: f64,
    /// The OpenAI endpoints faults go to, in turn: any of chat,stt,tts, or all.
    #[arg(long, default_value = "chat")]
    pub openai_fault_endpoints: String,
    /// At least N calls go through unfaulted between two injected faults on one Telegram method
    /// or OpenAI endpoint: caps the faulted share at 1/(N+1), also when traffic tapers off (a
    /// per-second rate alone then fails nearly every request). 0: no cap.
    #[arg(long, default_value_t = 0)]
    pub min_calls_between_faults: usize,
    /// A full OpenAI outage (every request to every endpoint fails with 503) starting this many
    /// seconds after the learners start; with --openai-outage-secs.
    #[arg(long, requires = "openai_outage_secs")]
    pub openai_outage_at: Option<f64>,
    /// How long the OpenAI outage lasts, seconds.
    #[arg(long, requires = "openai_outage_at")]
    pub openai_outage_secs: Option<f64>,
    /// SIGKILL the bot this many seconds after the learners start and restart it at once (same
    /// database and audio directory). Repeat for several kills.
    #[arg(long)]
    pub kill_at: Vec<f64>,
    /// SIGKILL and restart the bot once this many turns have finished. Repeatable, and combinable
    /// with --kill-at (the kills then happen in the order given: all --kill-at first).
    #[arg(long)]
    pub kill_after_turns: Vec<u64>,
    /// Seconds a killed bot stays down before it is restarted (default 0: at once).
    #[arg(long, default_value_t = 0.0)]
    pub restart_after: f64,
    /// Extra environment for the bot, KEY=VALUE (repeatable), e.g. OPENAI_TIMEOUT_SECONDS=5.
    #[arg(long, value_name = "KEY=VALUE")]
    pub bot_env: Vec<String>,
    /// The bot's database (default: a fresh SQLite file).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Bot replicas behind one webhook (implies --webhook; use a PostgreSQL --database-url).
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
    /// Deliver updates to the bot's webhook instead of long polling.
    #[arg(long)]
    pub webhook: bool,
    /// The mluvme binary (default: next to this one).
    #[arg(long)]
    pub bot: Option<PathBuf>,
    /// Longest wait for an answer before a turn counts as lost, seconds.
    #[arg(long, default_value_t = 120)]
    pub reply_timeout_s: u64,
    /// Instead of a flood: start the bot this many times on a fresh SQLite database, a `/start`
    /// already waiting, and report the time from exec to its answer (see `flood::cold`).
    #[arg(long)]
    pub cold_start: Option<usize>,
    /// Write the JSON report here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Draw the latency distributions (end-to-end per scenario, bot overhead) as a PNG here.
    #[arg(long)]
    pub png: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

impl Cli {
    /// The options; `default_bot` is used when --bot is not given.
    pub fn options(&self, default_bot: PathBuf) -> anyhow::Result<Options> {
        let ms = |s: &str| -> anyhow::Result<LatencyRange> {
            let (a, b) = parse_range(s)?;
            Ok(LatencyRange::ms(a, b))
        };
        for (name, v) in [
            ("--telegram-429-per-s", self.telegram_429_per_s),
            ("--telegram-5xx-per-s", self.telegram_5xx_per_s),
            ("--openai-5xx-per-s", self.openai_5xx_per_s),
            ("--openai-429-per-s", self.openai_429_per_s),
            ("--openai-timeouts-per-s", self.openai_timeouts_per_s),
            ("--openai-invalid-json-per-s", self.openai_invalid_json_per_s),
            ("--spawn-rate", self.spawn_rate),
        ] {
            anyhow::ensure!(v.is_finite() && v >= 0.0, "{name} must be a number ≥ 0, got {v}");
        }
        let secs = |name: &str, v: f64| -> anyhow::Result<Duration> {
            anyhow::ensure!(
                v.is_finite() && v >= 0.0,
                "{name} must be a number of seconds ≥ 0, got {v}"
            );
            Ok(Duration::from_secs_f64(v))
        };
        let openai_outage = match (self.openai_outage_at, self.openai_outage_secs) {
            (Some(at), Some(len)) => {
                anyhow::ensure!(len > 0.0, "--openai-outage-secs must be > 0, got {len}");
                Some(Outage {
                    at: secs("--openai-outage-at", at)?,
                    length: secs("--openai-outage-secs", len)?,
                })
            }
            _ => None,
        };
        let mut kills = Vec::new();
        for v in &self.kill_at {
            kills.push(Kill::At(secs("--kill-at", *v)?));
        }
        kills.extend(self.kill_after_turns.iter().map(|n| Kill::AfterTurns(*n)));
        let bot_env = self
            .bot_env
            .iter()
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
                _ => anyhow::bail!("--bot-env takes KEY=VALUE, got {kv:?}"),
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let duration = match self.duration {
            Some(s) if s.is_finite() && s > 0.0 => Some(Duration::from_secs_f64(s)),
            Some(s) => anyhow::bail!("--duration must be a number of seconds > 0, got {s}"),
            None => None,
        };
        Ok(Options {
            users: self.users,
            spawn_rate: self.spawn_rate,
            turns: self.turns,
            duration,
            think_ms: parse_range(&self.think_ms)?,
            weights: parse_mix(&self.mix)?,
            latency: LatencyProfile {
                chat: ms(&self.chat_ms)?,
                transcription: ms(&self.stt_ms)?,
                speech: ms(&self.tts_ms)?,
            },
            telegram_limits: self.telegram_limits,
            faults: Faults {
                telegram_429_per_s: self.telegram_429_per_s,
                telegram_5xx_per_s: self.telegram_5xx_per_s,
                openai_5xx_per_s: self.openai_5xx_per_s,
                openai_429_per_s: self.openai_429_per_s,
                openai_retry_after_s: self.openai_retry_after_s,
                openai_timeouts_per_s: self.openai_timeouts_per_s,
                openai_invalid_json_per_s: self.openai_invalid_json_per_s,
                openai_endpoints: parse_endpoints(&self.openai_fault_endpoints)?,
                telegram_methods: parse_methods(&self.telegram_fault_methods)?,
                openai_outage,
                min_calls_between: self.min_calls_between_faults,
            },
            download_delay: (self.download_delay_ms > 0)
                .then(|| Duration::from_millis(self.download_delay_ms)),
            database_url: self.database_url.clone(),
            bot: self.bot.clone().unwrap_or(default_bot),
            progress: !self.quiet,
            reply_timeout_s: self.reply_timeout_s,
            kills,
            restart_after: secs("--restart-after", self.restart_after)?,
            bot_env,
            replicas: self.replicas.max(1),
            webhook: self.webhook || self.replicas > 1,
        })
    }
}

/// `MIN-MAX` (spaces allowed), MIN ≤ MAX.
pub fn parse_range(s: &str) -> anyhow::Result<(u64, u64)> {
    let (a, b) = s.split_once('-').ok_or_else(|| anyhow::anyhow!("expected MIN-MAX, got {s:?}"))?;
    let (a, b): (u64, u64) = (a.trim().parse()?, b.trim().parse()?);
    anyhow::ensure!(a <= b, "expected MIN-MAX with MIN ≤ MAX, got {s:?}");
    Ok((a, b))
}

/// `voice,text,settings,stats`, `…,scene,listen` or `…,scene,listen,shadow` weights, not all
/// zero (four of them: no practice modes, as before they existed).
pub fn parse_mix(s: &str) -> anyhow::Result<Weights> {
    let mut w: Vec<u32> = s.split(',').map(|v| v.trim().parse()).collect::<Result<_, _>>()?;
    anyhow::ensure!(
        matches!(w.len(), 4 | 6 | 7),
        "--mix takes four, six or seven weights: voice,text,settings,stats[,scene,listen[,shadow]]"
    );
    anyhow::ensure!(w.iter().any(|v| *v > 0), "--mix needs at least one weight above 0");
    w.resize(7, 0);
    let (scene, listen, shadow) = (w[4], w[5], w[6]);
    Ok(Weights { voice: w[0], text: w[1], settings: w[2], stats: w[3], scene, listen, shadow })
}

/// `chat,stt,tts` (any subset, in that order of use) or `all`.
pub fn parse_endpoints(s: &str) -> anyhow::Result<Vec<Endpoint>> {
    let mut out = Vec::new();
    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let eps: &[Endpoint] = match name {
            "chat" => &[Endpoint::Chat],
            "stt" | "transcription" => &[Endpoint::Transcription],
            "tts" | "speech" => &[Endpoint::Speech],
            "all" => &[Endpoint::Chat, Endpoint::Transcription, Endpoint::Speech],
            other => anyhow::bail!("unknown OpenAI endpoint {other:?} (chat, stt, tts or all)"),
        };
        for ep in eps {
            if !out.contains(ep) {
                out.push(*ep);
            }
        }
    }
    anyhow::ensure!(
        !out.is_empty(),
        "--openai-fault-endpoints needs at least one of chat, stt, tts"
    );
    Ok(out)
}

/// Bot API sending methods, comma-separated, without repeats (the emulator matches them
/// case-insensitively).
pub fn parse_methods(s: &str) -> anyhow::Result<Vec<String>> {
    const KNOWN: [&str; 4] = ["sendMessage", "sendVoice", "sendPhoto", "sendDocument"];
    let mut out: Vec<String> = Vec::new();
    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some(m) = KNOWN.iter().find(|k| k.eq_ignore_ascii_case(name)) else {
            anyhow::bail!("unknown Telegram method {name:?} (one of {})", KNOWN.join(", "));
        };
        if !out.iter().any(|o| o == m) {
            out.push((*m).to_owned());
        }
    }
    anyhow::ensure!(!out.is_empty(), "--telegram-fault-methods needs at least one method");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<Options> {
        let cli = Cli::try_parse_from(std::iter::once("mluvme-load").chain(args.iter().copied()))?;
        cli.options(PathBuf::from("/bin/mluvme"))
    }

    #[test]
    fn defaults_are_a_fault_free_zero_latency_run() {
        let o = parse(&[]).unwrap();
        assert_eq!((o.users, o.turns, o.duration), (100, 5, None));
        assert_eq!(
            o.weights,
            Weights { voice: 70, text: 20, settings: 5, stats: 5, scene: 0, listen: 0, shadow: 0 }
        );
        assert_eq!(o.faults, Faults::default());
        assert_eq!(o.latency, LatencyProfile::zero());
        assert_eq!(o.download_delay, None);
        assert_eq!(o.bot, PathBuf::from("/bin/mluvme"));
        assert!(o.progress);
    }

    #[test]
    fn every_fault_option_lands_in_its_field() {
        let o = parse(&[
            "--telegram-429-per-s",
            "1.5",
            "--telegram-5xx-per-s",
            "0.5",
            "--download-delay-ms",
            "250",
            "--openai-5xx-per-s",
            "2",
            "--openai-429-per-s",
            "3",
            "--openai-retry-after-s",
            "4",
            "--openai-timeouts-per-s",
            "0.1",
            "--openai-invalid-json-per-s",
            "0.2",
            "--openai-fault-endpoints",
            "tts,chat",
        ])
        .unwrap();
        let f = &o.faults;
        assert_eq!((f.telegram_429_per_s, f.telegram_5xx_per_s), (1.5, 0.5));
        assert_eq!((f.openai_5xx_per_s, f.openai_429_per_s, f.openai_retry_after_s), (2.0, 3.0, 4));
        assert_eq!((f.openai_timeouts_per_s, f.openai_invalid_json_per_s), (0.1, 0.2));
        assert_eq!(f.openai_endpoints, vec![Endpoint::Speech, Endpoint::Chat]);
        assert_eq!(o.download_delay, Some(Duration::from_millis(250)));
    }

    #[test]
    fn duration_replaces_turns_and_conflicts_with_them() {
        let o = parse(&["--duration", "30"]).unwrap();
        assert_eq!(o.duration, Some(Duration::from_secs(30)));
        assert!(
            parse(&["--duration", "30", "--turns", "3"]).is_err(),
            "--duration and --turns together"
        );
        assert!(parse(&["--duration", "0"]).is_err());
        assert!(parse(&["--duration", "-1"]).is_err());
    }

    #[test]
    fn latencies_ranges_and_mixes_are_checked() {
        let o = parse(&[
            "--chat-ms",
            "300-1500",
            "--stt-ms",
            "200 - 800",
            "--tts-ms",
            "200-600",
            "--think-ms",
            "0-50",
        ])
        .unwrap();
        assert_eq!(o.latency.chat, LatencyRange::ms(300, 1500));
        assert_eq!(o.latency.transcription, LatencyRange::ms(200, 800));
        assert_eq!(o.latency.speech, LatencyRange::ms(200, 600));
        assert_eq!(o.think_ms, (0, 50));
        assert!(parse(&["--chat-ms", "1500-300"]).is_err(), "reversed range");
        assert!(parse(&["--chat-ms", "300"]).is_err());
        assert!(parse(&["--mix", "1,2,3"]).is_err());
        assert!(parse(&["--mix", "0,0,0,0"]).is_err());
        assert_eq!(
            parse(&["--mix", "80, 20, 0, 0"]).unwrap().weights,
            Weights { voice: 80, text: 20, settings: 0, stats: 0, scene: 0, listen: 0, shadow: 0 }
        );
        assert_eq!(
            parse(&["--mix", "60,20,5,5,5,5"]).unwrap().weights,
            Weights { voice: 60, text: 20, settings: 5, stats: 5, scene: 5, listen: 5, shadow: 0 }
        );
        assert!(parse(&["--mix", "1,2,3,4,5"]).is_err(), "both practice weights or none");
        assert_eq!(
            parse(&["--mix", "60,20,5,5,5,5,3"]).unwrap().weights,
            Weights { voice: 60, text: 20, settings: 5, stats: 5, scene: 5, listen: 5, shadow: 3 }
        );
        assert!(parse(&["--openai-5xx-per-s", "-1"]).is_err());
    }

    #[test]
    fn kills_outage_and_bot_env_parse() {
        let o = parse(&[
            "--kill-at",
            "5",
            "--kill-at",
            "12.5",
            "--kill-after-turns",
            "40",
            "--openai-outage-at",
            "10",
            "--openai-outage-secs",
            "30",
            "--bot-env",
            "OPENAI_TIMEOUT_SECONDS=5",
            "--bot-env",
            "X=a=b",
            "--telegram-fault-methods",
            "sendmessage,sendVoice",
            "--min-calls-between-faults",
            "4",
        ])
        .unwrap();
        assert_eq!(
            o.kills,
            vec![
                Kill::At(Duration::from_secs(5)),
                Kill::At(Duration::from_millis(12_500)),
                Kill::AfterTurns(40)
            ]
        );
        assert_eq!(
            o.faults.openai_outage,
            Some(Outage { at: Duration::from_secs(10), length: Duration::from_secs(30) })
        );
        assert_eq!(
            o.bot_env,
            vec![("OPENAI_TIMEOUT_SECONDS".into(), "5".into()), ("X".into(), "a=b".into())]
        );
        assert_eq!(
            o.faults.telegram_methods,
            vec!["sendMessage".to_owned(), "sendVoice".to_owned()]
        );
        assert_eq!(o.faults.min_calls_between, 4);
        assert!(parse(&["--openai-outage-at", "10"]).is_err(), "the window needs its length");
        assert!(parse(&["--openai-outage-at", "10", "--openai-outage-secs", "0"]).is_err());
        assert!(parse(&["--kill-at", "-1"]).is_err());
        assert!(parse(&["--bot-env", "NOVALUE"]).is_err());
        assert!(parse(&["--telegram-fault-methods", "getUpdates"]).is_err());
        let d = parse(&[]).unwrap();
        assert!(d.kills.is_empty() && d.bot_env.is_empty() && d.faults.openai_outage.is_none());
    }

    #[test]
    fn endpoints_parse_by_name_without_repeats() {
        assert_eq!(
            parse_endpoints("all").unwrap(),
            vec![Endpoint::Chat, Endpoint::Transcription, Endpoint::Speech]
        );
        assert_eq!(
            parse_endpoints("stt,stt,chat").unwrap(),
            vec![Endpoint::Transcription, Endpoint::Chat]
        );
        assert!(parse_endpoints("").is_err());
        assert!(parse_endpoints("images").is_err());
    }
}
