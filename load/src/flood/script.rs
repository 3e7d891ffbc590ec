//! What a synthetic learner will do: their interface language and level, and their actions —
//! drawn from the mix's weights, the same sequence for the same learner — with the think time
//! between them.

use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng, rngs::StdRng};

use super::options::{Options, Weights};

pub(super) const LANGS: [&str; 3] = ["ru", "uk", "en"];
pub(super) const LEVELS: [&str; 4] = ["beginner", "intermediate", "advanced", "native"];
/// Typed Czech by level, 5–20 words, some with a typical mistake.
pub(super) const PHRASES: [&[&str]; 4] = [
    &[
        "Ahoj, jak se máš? Já mám dobře.",
        "Já jsem byl v Praha včera.",
        "Dobře den, já mít rád pivo.",
    ],
    &[
        "Rád bych si objednal knedlíky a jedno pivo, prosím.",
        "Včera jsem byl v kině s kamarádem a film byl super.",
    ],
    &[
        "Nedávno jsem dočetl knihu od Milana Kundery, která mě opravdu zaujala.",
        "O víkendu pojedu do Brna na hokej.",
    ],
    &[
        "Kdybych měl víc času, jezdil bych častěji na chalupu do Krkonoš.",
        "Hospoda U Fleků je vyhlášená svým tmavým pivem.",
    ],
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Voice,
    Text,
    Settings,
    Stats,
    /// `/scene` played through (see `practice`).
    Scene,
    /// `/listen` played to its quiz (see `practice`).
    Listen,
    /// `/shadow`: one phrase said after Honzík (see `practice`).
    Shadow,
    /// /start, the language, the level: one per learner, before the others.
    Onboarding,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Voice => "voice",
            Action::Text => "text",
            Action::Settings => "settings",
            Action::Stats => "stats",
            Action::Scene => "scene",
            Action::Listen => "listen",
            Action::Shadow => "shadow",
            Action::Onboarding => "onboarding",
        }
    }

    /// The scenarios a learner picks from, in the order of `Weights`' fields.
    pub fn pick(w: Weights, r: u32) -> Action {
        if r < w.voice {
            Action::Voice
        } else if r < w.voice + w.text {
            Action::Text
        } else if r < w.voice + w.text + w.settings {
            Action::Settings
        } else if r < w.voice + w.text + w.settings + w.stats {
            Action::Stats
        } else if r < w.voice + w.text + w.settings + w.stats + w.scene {
            Action::Scene
        } else if r < w.voice + w.text + w.settings + w.stats + w.scene + w.listen {
            Action::Listen
        } else {
            Action::Shadow
        }
    }
    /// Voice and text are turns: they go through Honzík and are checked for exactly one answer.
    pub fn is_turn(self) -> bool {
        matches!(self, Action::Voice | Action::Text)
    }
}

/// How long a learner keeps playing.
#[derive(Clone, Copy, Debug)]
pub enum Until {
    /// This many actions after onboarding.
    Actions(usize),
    /// No new action starts after this instant.
    Deadline(Instant),
}

pub struct Script {
    pub(super) lang: &'static str,
    pub(super) level: usize,
    pub(super) weights: Weights,
    pub(super) until: Until,
    pub(super) think: (u64, u64),
    pub(super) timeout: Duration,
    pub(super) seed: u64,
}

impl Script {
    pub fn new(opts: &Options, i: usize, until: Until) -> Script {
        Script {
            lang: LANGS[i % 3],
            level: i % 4,
            weights: opts.weights,
            until,
            think: opts.think_ms,
            timeout: Duration::from_secs(opts.reply_timeout_s),
            seed: i as u64,
        }
    }

    /// The learner's actions, drawn one by one (the same sequence for the same learner).
    pub fn actions(&self) -> impl Iterator<Item = Action> + use<> {
        let mut rng = StdRng::seed_from_u64(self.seed);
        let w = self.weights;
        let total =
            (w.voice + w.text + w.settings + w.stats + w.scene + w.listen + w.shadow).max(1);
        let until = self.until;
        let mut n = 0usize;
        std::iter::from_fn(move || {
            let more = match until {
                Until::Actions(max) => n < max,
                Until::Deadline(at) => Instant::now() < at,
            };
            n += 1;
            more.then(|| Action::pick(w, rng.random_range(0..total)))
        })
    }
}
