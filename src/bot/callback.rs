//! Typed callback data: one enum for every button the bot sends.
//!
//! Telegram allows 64 bytes of callback data; every variant encodes to a short `tag:value` form
//! and decodes with validation, so a forged or outdated button can never reach a handler as
//! anything but `None`.

use crate::i18n::Lang;
use crate::settings::Level;

/// Telegram's hard limit for `callback_data`.
pub const MAX_CALLBACK_BYTES: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Callback {
    /// Interface language chosen (onboarding).
    Lang(Lang),
    /// Czech level chosen (onboarding).
    Level(Level),
}

impl Callback {
    pub fn encode(self) -> String {
        let s = match self {
            Callback::Lang(l) => format!("lang:{}", l.code()),
            Callback::Level(l) => format!("level:{}", l.as_str()),
        };
        debug_assert!(s.len() <= MAX_CALLBACK_BYTES);
        s
    }

    pub fn decode(data: &str) -> Option<Callback> {
        if data.len() > MAX_CALLBACK_BYTES {
            return None;
        }
        let (tag, value) = data.split_once(':')?;
        match tag {
            "lang" => Lang::parse(value).map(Callback::Lang),
            "level" => Level::parse(value).map(Callback::Level),
            _ => None,
        }
    }

    /// Every button the bot can send, for exhaustive codec tests.
    pub fn all() -> Vec<Callback> {
        Lang::ALL.iter().map(|l| Callback::Lang(*l)).chain(Level::ALL.iter().map(|l| Callback::Level(*l))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_button_round_trips_within_telegrams_64_bytes() {
        for cb in Callback::all() {
            let data = cb.encode();
            assert!(data.len() <= MAX_CALLBACK_BYTES, "{data}");
            assert_eq!(Callback::decode(&data), Some(cb));
        }
    }

    #[test]
    fn data_the_bot_never_sent_decodes_to_nothing() {
        for junk in ["", "lang", "lang:", "lang:de", "level:expert", "nope:1", "lang:ru:extra", &"x".repeat(65)] {
            assert_eq!(Callback::decode(junk), None, "{junk:?}");
        }
    }
}
