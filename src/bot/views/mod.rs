//! What the learner's controls look like (pure; texts from [`crate::i18n::I18n`]): a setting
//! and its change, the `/stats` caption, a page of `/saved`.

pub mod practice;
pub mod saved;
pub mod settings;
pub mod stats;

/// How much of what someone typed a notice quotes back ("I don't know the command …", "no learner
/// @…"): enough to recognise it, never enough to push a notice past one message or to turn the bot
/// into an amplifier for whatever was pasted.
pub const ECHO_MAX: usize = 64;

/// At most `max` characters of `s`, with "…" when cut.
pub fn clip(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_short_text_and_cuts_long_text_at_characters() {
        assert_eq!(clip(" pivo ", 10), "pivo");
        assert_eq!(clip("žluťoučký kůň", 6), "žluťo…");
        assert_eq!(clip("žluťoučký kůň", 6).chars().count(), 6);
    }
}
