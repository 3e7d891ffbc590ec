//! Practice modes beyond free conversation (issue 14): role-play scenes (`/scene`), dictation
//! with listening quizzes (`/listen`) and shadowing (`/shadow`). Pure: the scenes, the dictation
//! sentences and the shadowing phrases are data (`scenes.json`, `dictation.json`, `shadow.json`,
//! embedded at build time, so adding one is writing text, not code), and the checks are
//! functions. The session a learner has under way is in `store::practice`; the Telegram side in
//! `bot::handlers::{scene, listen, shadow}`.

pub mod dictation;
pub mod diff;
pub mod scenes;
pub mod shadow;

/// Which practice a stored session is. A new mode (shadowing) is one more variant: the stored
/// session's columns are generic (see `store::practice`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Scene,
    Listen,
    Shadow,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Scene => "scene",
            Mode::Listen => "listen",
            Mode::Shadow => "shadow",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "scene" => Some(Mode::Scene),
            "listen" => Some(Mode::Listen),
            "shadow" => Some(Mode::Shadow),
            _ => None,
        }
    }
}

/// A text in each interface language (data files carry their own translations).
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Texts {
    pub en: String,
    pub ru: String,
    pub uk: String,
}

impl Texts {
    pub fn get(&self, lang: crate::i18n::Lang) -> &str {
        match lang {
            crate::i18n::Lang::En => &self.en,
            crate::i18n::Lang::Ru => &self.ru,
            crate::i18n::Lang::Uk => &self.uk,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mode_reads_back_from_what_is_stored() {
        for m in [Mode::Scene, Mode::Listen, Mode::Shadow] {
            assert_eq!(Mode::parse(m.as_str()), Some(m));
        }
        assert_eq!(Mode::parse("karaoke"), None);
    }

    #[test]
    fn help_and_the_reminder_offer_every_mode_in_every_language() {
        let i18n = crate::i18n::I18n::new();
        for lang in crate::i18n::Lang::ALL {
            let help = i18n.tr(lang, "help", &[]);
            assert!(help.contains("/scene") && help.contains("/listen"), "{lang:?}: {help}");
            assert!(help.contains("/shadow"), "{lang:?}: {help}");
            assert!(i18n.tr(lang, "remind-listen", &[]).contains("/listen"), "{lang:?}");
            assert!(i18n.tr(lang, "remind-scene", &[]).contains("/scene"), "{lang:?}");
            assert!(i18n.tr(lang, "remind-shadow", &[]).contains("/shadow"), "{lang:?}");
        }
    }
}
