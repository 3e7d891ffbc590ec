//! What a flood runs: every option, whatever set it (the command line is `cli`, a test sets them
//! itself).

use std::path::PathBuf;
use std::time::Duration;

use emulators::latency::LatencyProfile;
use emulators::openai::Endpoint;

#[derive(Clone, Debug)]
pub struct Options {
    /// Concurrent synthetic learners.
    pub users: usize,
    /// Learners started per second (0 = all at once).
    pub spawn_rate: f64,
    /// Actions (turns, settings changes, /stats) per learner after onboarding. Ignored when
    /// `duration` is set.
    pub turns: usize,
    /// Play until this much time has passed since the start (each learner then finishes the
    /// action under way) instead of a fixed number of actions.
    pub duration: Option<Duration>,
    /// Think time between actions, uniform in this range (ms).
    pub think_ms: (u64, u64),
    /// Scenario weights: voice turn, text turn, a settings change, /stats, a /scene played to
    /// its debrief, a /listen dictation to its quiz.
    pub weights: Weights,
    /// Emulated upstream latency per OpenAI endpoint.
    pub latency: LatencyProfile,
    /// The Telegram emulator enforces ~30 msg/s per bot and ~1 msg/s per chat with 429s.
    pub telegram_limits: bool,
    /// Injected faults per second (see [`Faults`]).
    pub faults: Faults,
    /// Delay before every file download starts (slow downloads).
    pub download_delay: Option<Duration>,
    /// The bot's database (default: a fresh SQLite file).
    pub database_url: Option<String>,
    /// The `mluvme` binary to start.
    pub bot: PathBuf,
    /// Draw the progress bar.
    pub progress: bool,
    /// Longest wait for a turn's answer before it counts as lost.
    pub reply_timeout_s: u64,
    /// When to SIGKILL the bot and restart it at once (same database, same audio directory), in
    /// order; see [`Kill`].
    pub kills: Vec<Kill>,
    /// How long a killed bot stays down before its restart (zero: at once). With replicas, long
    /// enough for its chat leases to expire, so another replica takes its turns over.
    pub restart_after: Duration,
    /// Extra environment for the bot (`--bot-env KEY=VALUE`), applied after the generator's own.
    pub bot_env: Vec<(String, String)>,
    /// Bot processes serving at once (more than one needs `webhook`, and a shared database).
    pub replicas: usize,
    /// Updates reach the bot through its webhook (pushed by the emulator) instead of getUpdates.
    pub webhook: bool,
}

/// A kill -9 of the bot during the flood, followed at once by a restart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kill {
    /// This long after the learners start.
    At(Duration),
    /// Once this many turns (voice and text, all learners) have finished since the start.
    AfterTurns(u64),
}

/// A full OpenAI outage: from `at` (after the learners start) for `length`, every request to
/// every endpoint fails with 503.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outage {
    pub at: Duration,
    pub length: Duration,
}

/// Injected faults, each a rate per second (fractions accumulate: 0.5 is one every 2 s).
#[derive(Clone, Debug, PartialEq)]
pub struct Faults {
    /// Telegram: 429 `retry_after` on sendMessage.
    pub telegram_429_per_s: f64,
    /// Telegram: 500 on sendMessage.
    pub telegram_5xx_per_s: f64,
    /// OpenAI: 503.
    pub openai_5xx_per_s: f64,
    /// OpenAI: 429 with `retry-after: openai_retry_after_s`.
    pub openai_429_per_s: f64,
    pub openai_retry_after_s: u32,
    /// OpenAI: a request never answered (the bot's own timeout ends it).
    pub openai_timeouts_per_s: f64,
    /// OpenAI: 200 whose content is not JSON.
    pub openai_invalid_json_per_s: f64,
    /// The OpenAI endpoints the faults go to, in turn (default: chat only).
    pub openai_endpoints: Vec<Endpoint>,
    /// The Telegram methods the Telegram faults go to, in turn (default: sendMessage only).
    pub telegram_methods: Vec<String>,
    /// A full OpenAI outage window.
    pub openai_outage: Option<Outage>,
    /// At least this many calls go through unfaulted between two faults on one Telegram method
    /// or OpenAI endpoint (0: no spacing). Caps the faulted share at 1/(N+1) of the calls, which
    /// matters as traffic tapers off: a per-second rate alone would then fail every request.
    pub min_calls_between: usize,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            telegram_429_per_s: 0.0,
            telegram_5xx_per_s: 0.0,
            openai_5xx_per_s: 0.0,
            openai_429_per_s: 0.0,
            openai_retry_after_s: 1,
            openai_timeouts_per_s: 0.0,
            openai_invalid_json_per_s: 0.0,
            openai_endpoints: vec![Endpoint::Chat],
            telegram_methods: vec!["sendMessage".into()],
            openai_outage: None,
            min_calls_between: 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weights {
    pub voice: u32,
    pub text: u32,
    pub settings: u32,
    pub stats: u32,
    /// `/scene`: the menu, a scene, one turn in it, ⏹ End and the debrief.
    pub scene: u32,
    /// `/listen`: two sentences typed, the quiz poll answered, ⏹ End and the tally.
    pub listen: u32,
    /// `/shadow`: the phrase twice, a voice note said after it, its result, ⏹ End.
    pub shadow: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            users: 10,
            spawn_rate: 0.0,
            turns: 5,
            duration: None,
            think_ms: (0, 0),
            weights: Weights {
                voice: 70,
                text: 20,
                settings: 5,
                stats: 5,
                scene: 0,
                listen: 0,
                shadow: 0,
            },
            latency: LatencyProfile::zero(),
            telegram_limits: false,
            faults: Faults::default(),
            download_delay: None,
            database_url: None,
            bot: PathBuf::from("target/release/mluvme"),
            progress: false,
            reply_timeout_s: 120,
            kills: Vec::new(),
            restart_after: Duration::ZERO,
            bot_env: Vec::new(),
            replicas: 1,
            webhook: false,
        }
    }
}
