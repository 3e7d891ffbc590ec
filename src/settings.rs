//! The learner's settings as types.
//!
//! Every setting is stored in the database and carried in callback data as
//! its snake_case name (`as_str` / `parse`), so the names are a stable wire
//! format: renaming a variant must not change its string. [`Setting`] is one
//! of them with a chosen value, as a settings button carries it.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// Generates `as_str`, `parse` and `ALL` for a fieldless settings enum, so
/// the string table lives in exactly one place per enum.
macro_rules! string_enum {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in the order they are offered to the learner.
            pub const ALL: [Self; [$($name),+].len()] = [$(Self::$variant),+];

            /// The stable snake_case name (database value, callback data).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }

            /// Inverse of [`Self::as_str`]; tolerant of surrounding
            /// whitespace and letter case because values may come from
            /// hand-edited config or old rows.
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim();
                Self::ALL.into_iter().find(|v| v.as_str().eq_ignore_ascii_case(s))
            }
        }
    };
}

/// How well the learner speaks Czech; drives reply complexity and model choice.
/// Deliberately has no `Default`: the learner must choose it during onboarding.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Beginner,
    Intermediate,
    Advanced,
    Native,
}
string_enum!(Level {
    Beginner => "beginner",
    Intermediate => "intermediate",
    Advanced => "advanced",
    Native => "native",
});

/// Honzík's conversational manner.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    #[default]
    Friendly,
    Tutor,
    Casual,
}
string_enum!(Style {
    Friendly => "friendly",
    Tutor => "tutor",
    Casual => "casual",
});

/// How picky the corrections are.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Corrections {
    Minimal,
    #[default]
    Balanced,
    Detailed,
}
string_enum!(Corrections {
    Minimal => "minimal",
    Balanced => "balanced",
    Detailed => "detailed",
});

/// Speed of Honzík's synthesized voice.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoiceSpeed {
    VerySlow,
    Slow,
    #[default]
    Normal,
    Native,
}
string_enum!(VoiceSpeed {
    VerySlow => "very_slow",
    Slow => "slow",
    Normal => "normal",
    Native => "native",
});

impl VoiceSpeed {
    /// Multiplier passed to the text-to-speech `speed` parameter.
    /// "Native" is only slightly faster than normal: TTS at real Prague
    /// speed would be unintelligible to most learners.
    pub fn factor(self) -> f32 {
        match self {
            Self::VerySlow => 0.75,
            Self::Slow => 0.9,
            Self::Normal => 1.0,
            Self::Native => 1.1,
        }
    }
}

/// Which Czech Honzík speaks and what he makes of colloquial forms: standard (spisovná
/// čeština, what textbooks and offices use) or common Czech (obecná čeština, what Prague speaks:
/// velkej, vokno, sem byl). Under obecná — and for advanced learners whatever they chose —
/// colloquial forms are register notes, never mistakes. A learner who never chose gets their
/// level's default (`tutor::levels`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Register {
    Spisovna,
    Obecna,
}
string_enum!(Register {
    Spisovna => "spisovna",
    Obecna => "obecna",
});

impl Register {
    /// A value as a learner types it after `/register`: "spisovná", "obecna", "OBECNÁ"… (with or
    /// without čárky, any case).
    pub fn from_typed(s: &str) -> Option<Register> {
        let plain: String = s.trim().to_lowercase().replace('á', "a");
        Self::parse(&plain)
    }
}

/// Which setting a command shows (`/level`, `/style`, …), without a value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SettingKind {
    Level,
    Style,
    Corrections,
    VoiceSpeed,
    VoiceReplies,
    Language,
    Timezone,
    Register,
}
string_enum!(SettingKind {
    Level => "level",
    Style => "style",
    Corrections => "corrections",
    VoiceSpeed => "voice_speed",
    VoiceReplies => "voice",
    Language => "language",
    Timezone => "timezone",
    Register => "register",
});

/// One setting with its chosen value: what a settings button carries and
/// what the store applies. Takes effect on the learner's next turn, because
/// every turn loads the learner afresh.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Setting {
    Level(Level),
    Style(Style),
    Corrections(Corrections),
    VoiceSpeed(VoiceSpeed),
    /// Voice replies to typed messages (voice notes always get a voice).
    VoiceReplies(bool),
    Language(Lang),
    Timezone(Tz),
    Register(Register),
}

impl Setting {
    pub fn kind(self) -> SettingKind {
        match self {
            Self::Level(_) => SettingKind::Level,
            Self::Style(_) => SettingKind::Style,
            Self::Corrections(_) => SettingKind::Corrections,
            Self::VoiceSpeed(_) => SettingKind::VoiceSpeed,
            Self::VoiceReplies(_) => SettingKind::VoiceReplies,
            Self::Language(_) => SettingKind::Language,
            Self::Timezone(_) => SettingKind::Timezone,
            Self::Register(_) => SettingKind::Register,
        }
    }

    /// The value's stable name (database value, callback data).
    pub fn value_str(self) -> &'static str {
        match self {
            Self::Level(v) => v.as_str(),
            Self::Style(v) => v.as_str(),
            Self::Corrections(v) => v.as_str(),
            Self::VoiceSpeed(v) => v.as_str(),
            Self::VoiceReplies(on) => on_off(on),
            Self::Language(l) => l.code(),
            Self::Timezone(tz) => tz.name(),
            Self::Register(r) => r.as_str(),
        }
    }

    /// Inverse of ([`Setting::kind`], [`Setting::value_str`]).
    pub fn parse(kind: SettingKind, value: &str) -> Option<Setting> {
        Some(match kind {
            SettingKind::Level => Self::Level(Level::parse(value)?),
            SettingKind::Style => Self::Style(Style::parse(value)?),
            SettingKind::Corrections => Self::Corrections(Corrections::parse(value)?),
            SettingKind::VoiceSpeed => Self::VoiceSpeed(VoiceSpeed::parse(value)?),
            SettingKind::VoiceReplies => Self::VoiceReplies(parse_on_off(value)?),
            SettingKind::Language => Self::Language(Lang::parse(value)?),
            SettingKind::Timezone => Self::Timezone(value.parse().ok()?),
            SettingKind::Register => Self::Register(Register::parse(value)?),
        })
    }

    /// Every choice a settings keyboard can offer for `kind` (time zones:
    /// every zone, since a typed one is stored the same way).
    pub fn choices(kind: SettingKind) -> Vec<Setting> {
        match kind {
            SettingKind::Level => Level::ALL.map(Self::Level).to_vec(),
            SettingKind::Style => Style::ALL.map(Self::Style).to_vec(),
            SettingKind::Corrections => Corrections::ALL.map(Self::Corrections).to_vec(),
            SettingKind::VoiceSpeed => VoiceSpeed::ALL.map(Self::VoiceSpeed).to_vec(),
            SettingKind::VoiceReplies => vec![Self::VoiceReplies(true), Self::VoiceReplies(false)],
            SettingKind::Language => Lang::ALL.map(Self::Language).to_vec(),
            SettingKind::Timezone => {
                chrono_tz::TZ_VARIANTS.iter().map(|tz| Self::Timezone(*tz)).collect()
            }
            SettingKind::Register => Register::ALL.map(Self::Register).to_vec(),
        }
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

fn parse_on_off(s: &str) -> Option<bool> {
    match s {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_round_trips_through_kind_and_value() {
        for kind in SettingKind::ALL {
            let choices = Setting::choices(kind);
            assert!(!choices.is_empty());
            for s in choices {
                assert_eq!(s.kind(), kind);
                assert_eq!(Setting::parse(kind, s.value_str()), Some(s), "{s:?}");
            }
        }
        assert_eq!(Setting::parse(SettingKind::VoiceReplies, "maybe"), None);
        assert_eq!(Setting::parse(SettingKind::Timezone, "Mars/Olympus"), None);
    }

    #[test]
    fn every_variant_round_trips_through_its_name() {
        for v in Level::ALL {
            assert_eq!(Level::parse(v.as_str()), Some(v));
        }
        for v in Style::ALL {
            assert_eq!(Style::parse(v.as_str()), Some(v));
        }
        for v in Corrections::ALL {
            assert_eq!(Corrections::parse(v.as_str()), Some(v));
        }
        for v in VoiceSpeed::ALL {
            assert_eq!(VoiceSpeed::parse(v.as_str()), Some(v));
        }
    }

    #[test]
    fn serde_names_match_as_str() {
        for v in VoiceSpeed::ALL {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.as_str()));
            assert_eq!(serde_json::from_str::<VoiceSpeed>(&json).unwrap(), v);
        }
        for v in Level::ALL {
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
        assert_eq!(serde_json::to_value(Style::Casual).unwrap(), "casual");
        assert_eq!(serde_json::to_value(Corrections::Detailed).unwrap(), "detailed");
    }

    #[test]
    fn parse_is_tolerant_of_case_and_whitespace_but_rejects_unknown_names() {
        assert_eq!(VoiceSpeed::parse(" Very_Slow "), Some(VoiceSpeed::VerySlow));
        assert_eq!(Level::parse("expert"), None);
        assert_eq!(Style::parse(""), None);
    }

    #[test]
    fn defaults_are_friendly_balanced_normal() {
        assert_eq!(Style::default(), Style::Friendly);
        assert_eq!(Corrections::default(), Corrections::Balanced);
        assert_eq!(VoiceSpeed::default(), VoiceSpeed::Normal);
    }

    #[test]
    fn voice_speed_factors_grow_with_speed() {
        let f: Vec<f32> = VoiceSpeed::ALL.iter().map(|v| v.factor()).collect();
        assert_eq!(f, vec![0.75, 0.9, 1.0, 1.1]);
    }

    #[test]
    fn a_typed_register_is_read_with_or_without_carky() {
        for typed in ["spisovná", "Spisovna", " SPISOVNÁ "] {
            assert_eq!(Register::from_typed(typed), Some(Register::Spisovna), "{typed}");
        }
        for typed in ["obecná", "obecna", "Obecná"] {
            assert_eq!(Register::from_typed(typed), Some(Register::Obecna), "{typed}");
        }
        assert_eq!(Register::from_typed("hovorová"), None);
        assert_eq!(Register::from_typed(""), None);
    }

    #[test]
    fn all_lists_every_variant_once() {
        assert_eq!(Level::ALL.len(), 4);
        assert_eq!(Style::ALL.len(), 3);
        assert_eq!(Corrections::ALL.len(), 3);
        assert_eq!(VoiceSpeed::ALL.len(), 4);
    }
}
