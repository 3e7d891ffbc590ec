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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            choose_model(Purpose::Turn, Level::Beginner, true, "big", "small"),
            "small"
        );
    }

    #[test]
    fn other_levels_get_the_main_model_even_when_adaptive() {
        for level in [Level::Intermediate, Level::Advanced, Level::Native] {
            assert_eq!(
                choose_model(Purpose::Turn, level, true, "big", "small"),
                "big"
            );
        }
    }

    #[test]
    fn without_adaptive_mode_every_turn_uses_the_main_model() {
        for level in Level::ALL {
            assert_eq!(
                choose_model(Purpose::Turn, level, false, "big", "small"),
                "big"
            );
        }
    }
}
