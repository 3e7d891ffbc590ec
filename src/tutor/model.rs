//! Which chat model handles a request.
//!
//! Beginners write short, simple sentences that a cheaper model corrects
//! well, so "adaptive" mode saves cost there; everyone else gets the main
//! model, whose corrections and colloquial Czech are noticeably better.

use crate::settings::Level;

/// What the completion is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Honzík's reply to a learner's turn.
    Turn,
    /// Compressing old history into a summary (never learner-facing).
    Summary,
}

/// Chooses between the `main` and the `simple` model.
pub fn choose_model<'a>(
    purpose: Purpose,
    level: Level,
    adaptive: bool,
    main: &'a str,
    simple: &'a str,
) -> &'a str {
    match purpose {
        Purpose::Summary => simple,
        Purpose::Turn if adaptive && level == Level::Beginner => simple,
        Purpose::Turn => main,
    }
}

/// The routing policy: which model answers a turn, summarises, or takes over when the simple
/// model keeps breaking the reply contract.
#[derive(Clone, Debug)]
pub struct ModelPolicy {
    pub main: String,
    pub simple: String,
    pub adaptive: bool,
    /// Per-level overrides (indexed like `Level::ALL`), e.g. `OPENAI_MODEL_NATIVE=gpt-4.1`.
    pub per_level: [Option<String>; 4],
}

impl ModelPolicy {
    pub fn new(main: impl Into<String>, simple: impl Into<String>, adaptive: bool) -> Self {
        ModelPolicy {
            main: main.into(),
            simple: simple.into(),
            adaptive,
            per_level: Default::default(),
        }
    }

    /// The model for a learner's turn: a per-level override wins, then the adaptive rule.
    pub fn for_turn(&self, level: Level) -> &str {
        let idx = Level::ALL.iter().position(|l| *l == level).unwrap_or(0);
        match &self.per_level[idx] {
            Some(model) => model,
            None => choose_model(Purpose::Turn, level, self.adaptive, &self.main, &self.simple),
        }
    }

    /// Every model this policy may choose: whose tokenizers a start loads ahead of the turns.
    pub fn models(&self) -> impl Iterator<Item = &str> {
        [&self.main, &self.simple]
            .into_iter()
            .chain(self.per_level.iter().flatten())
            .map(String::as_str)
    }

    pub fn for_summary(&self) -> &str {
        &self.simple
    }

    /// Where a turn goes after `used` failed the contract twice: the main model, once.
    pub fn escalation(&self, used: &str) -> Option<&str> {
        (used != self.main).then_some(self.main.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_routes_levels_overrides_and_escalation() {
        let mut p = ModelPolicy::new("big", "small", true);
        assert_eq!(p.for_turn(Level::Beginner), "small");
        assert_eq!(p.for_turn(Level::Advanced), "big");
        assert_eq!(p.for_summary(), "small");
        p.per_level[3] = Some("huge".into());
        assert_eq!(p.for_turn(Level::Native), "huge", "per-level override");
        assert_eq!(p.escalation("small"), Some("big"));
        assert_eq!(p.escalation("big"), None, "the main model has nowhere to escalate");
        p.adaptive = false;
        assert_eq!(p.for_turn(Level::Beginner), "big");
    }

    #[test]
    fn the_models_a_start_prepares_for_include_every_override() {
        let mut p = ModelPolicy::new("big", "small", true);
        p.per_level[2] = Some("huge".into());
        let models: Vec<&str> = p.models().collect();
        assert_eq!(models, ["big", "small", "huge"]);
        for level in Level::ALL {
            assert!(models.contains(&p.for_turn(level)), "{level:?}");
        }
    }

    #[test]
    fn summaries_always_use_the_simple_model() {
        for level in Level::ALL {
            for adaptive in [true, false] {
                assert_eq!(
                    choose_model(Purpose::Summary, level, adaptive, "big", "small"),
                    "small"
                );
            }
        }
    }

    #[test]
    fn adaptive_mode_gives_beginners_the_simple_model() {
        assert_eq!(choose_model(Purpose::Turn, Level::Beginner, true, "big", "small"), "small");
    }

    #[test]
    fn other_levels_get_the_main_model_even_when_adaptive() {
        for level in [Level::Intermediate, Level::Advanced, Level::Native] {
            assert_eq!(choose_model(Purpose::Turn, level, true, "big", "small"), "big");
        }
    }

    #[test]
    fn without_adaptive_mode_every_turn_uses_the_main_model() {
        for level in Level::ALL {
            assert_eq!(choose_model(Purpose::Turn, level, false, "big", "small"), "big");
        }
    }
}
