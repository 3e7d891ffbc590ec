//! What a flood runs.

use std::path::PathBuf;

use crate::latency::LatencyProfile;

#[derive(Clone, Debug)]
pub struct Options {
    /// Concurrent synthetic learners.
    pub users: usize,
    /// Learners started per second (0 = all at once).
    pub spawn_rate: f64,
    /// Actions (turns, settings changes, /stats) per learner after onboarding.
    pub turns: usize,
    /// Think time between actions, uniform in this range (ms).
    pub think_ms: (u64, u64),
    /// Scenario weights: voice turn, text turn, a settings change, /stats.
    pub weights: Weights,
    /// Emulated upstream latency per OpenAI endpoint.
    pub latency: LatencyProfile,
    /// The Telegram emulator enforces ~30 msg/s per bot and ~1 msg/s per chat with 429s.
    pub telegram_limits: bool,
    /// Injected faults per second: Telegram 429 on sendMessage, OpenAI 503 on chat.
    pub telegram_429_per_s: f64,
    pub openai_5xx_per_s: f64,
    /// The bot's database (default: a fresh SQLite file).
    pub database_url: Option<String>,
    /// The `mluvme` binary to start.
    pub bot: PathBuf,
    /// Draw the progress bar.
    pub progress: bool,
    /// Longest wait for a turn's answer before it counts as lost.
    pub reply_timeout_s: u64,
}

#[derive(Clone, Copy, Debug)]
pub struct Weights {
    pub voice: u32,
    pub text: u32,
    pub settings: u32,
    pub stats: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            users: 10,
            spawn_rate: 0.0,
            turns: 5,
            think_ms: (0, 0),
            weights: Weights { voice: 70, text: 20, settings: 5, stats: 5 },
            latency: LatencyProfile::zero(),
            telegram_limits: false,
            telegram_429_per_s: 0.0,
            openai_5xx_per_s: 0.0,
            database_url: None,
            bot: PathBuf::from("target/release/mluvme"),
            progress: false,
            reply_timeout_s: 120,
        }
    }
}
