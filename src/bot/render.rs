//! What a turn looks like in Telegram (pure; texts from [`I18n`]).
//!
//! A turn is normally two messages: Honzík's voice with a short caption
//! (score, streak, stars) and one text message with the details. When
//! everything fits into one caption, it is a single voice message instead.
//! Lengths, limits and splitting are Telegram HTML's, in [`crate::html`].

/// Re-exported for the callers that import them from here (the turn's delivery, `/stats`,
/// `/saved`); new code takes them from [`crate::html`].
pub use crate::html::{CAPTION_LIMIT, TEXT_LIMIT, split_message, utf16_len};
use crate::html::{clip_caption, escape_html};
use crate::i18n::{I18n, Lang};
use crate::progress::rules::DAILY_CHALLENGE_STARS;
use crate::settings::Level;
use crate::tutor::levels::{Translation, policy};
use crate::tutor::reply::{HonzikReply, Mistake};
use crate::tutor::sift;

/// How the learner sent the turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TurnKind {
    Voice,
    Text,
}

/// Everything needed to render one turn.
#[derive(Clone, Copy, Debug)]
pub struct TurnView<'a> {
    pub lang: Lang,
    pub level: Level,
    pub kind: TurnKind,
    /// The transcript (voice) or the typed text.
    pub learner_text: &'a str,
    pub reply: &'a HonzikReply,
    pub stars_earned: u32,
    pub streak_days: u32,
    pub challenge_completed: bool,
    pub nudge_czech: bool,
    /// Whether Honzík's voice goes with the text. Without it his words are shown plainly: a
    /// "listen first" spoiler with nothing to listen to only hides the one thing there is.
    pub with_voice: bool,
}

/// The messages of a rendered turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TurnLayout {
    /// One voice message whose caption holds everything.
    Single { caption: String },
    /// A voice message with a short caption, then text messages
    /// (each ≤ [`TEXT_LIMIT`]) with the details.
    Split { caption: String, details: Vec<String> },
}

/// The short voice caption, e.g. "🎯 85/100 · 🔥 3 days · +2 ⭐".
pub fn caption(i18n: &I18n, v: &TurnView) -> String {
    let mut parts =
        vec![i18n.tr(v.lang, "caption-score", &[("score", v.reply.correctness_score.into())])];
    if v.streak_days > 0 {
        parts.push(i18n.tr(v.lang, "caption-streak", &[("days", v.streak_days.into())]));
    }
    if v.stars_earned > 0 {
        parts.push(i18n.tr(v.lang, "caption-stars", &[("stars", v.stars_earned.into())]));
    }
    // Too long cannot happen with sane locale texts; clipped so a caption never fails.
    clip_caption(&parts.join(" · "))
}

/// The full details as Telegram HTML; may exceed [`TEXT_LIMIT`] (use
/// [`split_message`]). Every inserted text is escaped.
pub fn details(i18n: &I18n, v: &TurnView) -> String {
    let t = |key: &str| i18n.tr(v.lang, key, &[]);
    let label = |key: &str| format!("<b>{}</b>", t(key));
    let r = v.reply;
    let mut sections = Vec::new();

    if v.nudge_czech {
        sections.push(t("not-czech-nudge"));
    }
    let learner = v.learner_text.trim();
    if !learner.is_empty() {
        let key = match v.kind {
            TurnKind::Voice => "heard-label",
            TurnKind::Text => "you-wrote-label",
        };
        sections.push(format!("{}\n<i>{}</i>", label(key), escape_html(learner)));
    }
    // With his voice, under a spoiler: the learner should listen first, then check.
    sections.push(if v.with_voice {
        format!(
            "{}\n<tg-spoiler>{}</tg-spoiler>",
            label("honzik-label"),
            escape_html(&r.honzik_response)
        )
    } else {
        format!("{}\n{}", label("honzik-text-label"), escape_html(&r.honzik_response))
    });
    // The level decides whether the translation is offered (`tutor::levels`).
    if policy(v.level).translation == Translation::Spoiler && !r.translation.is_empty() {
        sections.push(format!(
            "{}\n<tg-spoiler>{}</tg-spoiler>",
            label("translation-label"),
            escape_html(&r.translation)
        ));
    }
    let line = |m: &Mistake, strike: bool| {
        let original = escape_html(&m.original);
        let mut line = if strike {
            format!("• <s>{original}</s> → <b>{}</b>", escape_html(&m.corrected))
        } else {
            format!("• <i>{original}</i> = <b>{}</b>", escape_html(&m.corrected))
        };
        if !m.explanation.is_empty() {
            line.push_str(" — ");
            line.push_str(&escape_html(&m.explanation));
        }
        line
    };
    let mistakes: Vec<String> = sift::mistakes(r).map(|m| line(m, true)).collect();
    if mistakes.is_empty() {
        sections.push(format!("{}\n{}", label("corrections-label"), t("no-mistakes")));
    } else {
        sections.push(format!("{}\n{}", label("corrections-label"), mistakes.join("\n")));
        if !r.corrected_text.is_empty() {
            sections.push(format!(
                "{}\n{}",
                label("corrected-label"),
                escape_html(&r.corrected_text)
            ));
        }
    }
    // Colloquial forms: how Prague says it, next to the standard form — not crossed out.
    let notes: Vec<String> = sift::notes(r).map(|m| line(m, false)).collect();
    if !notes.is_empty() {
        sections.push(format!("{}\n{}", label("register-label"), notes.join("\n")));
    }
    if !r.suggestion.is_empty() {
        sections.push(format!("{}\n{}", label("tip-label"), escape_html(&r.suggestion)));
    }
    if !r.new_words.is_empty() {
        let lines: Vec<String> = r
            .new_words
            .iter()
            .map(|w| {
                let mut line = format!("• <b>{}</b>", escape_html(&w.czech));
                if !w.translation.is_empty() {
                    line.push_str(" — ");
                    line.push_str(&escape_html(&w.translation));
                }
                line
            })
            .collect();
        sections.push(format!("{}\n{}", label("new-words-label"), lines.join("\n")));
    }
    if v.challenge_completed {
        sections.push(i18n.tr(
            v.lang,
            "challenge-done",
            &[("stars", DAILY_CHALLENGE_STARS.into())],
        ));
    }
    sections.join("\n\n")
}

/// Caption and details as one caption, if that fits into [`CAPTION_LIMIT`].
pub fn single_caption(i18n: &I18n, v: &TurnView) -> Option<String> {
    let text = format!("{}\n\n{}", caption(i18n, v), details(i18n, v));
    (utf16_len(&text) <= CAPTION_LIMIT).then_some(text)
}

/// Decides between one captioned voice message and voice + details.
pub fn layout(i18n: &I18n, v: &TurnView) -> TurnLayout {
    match single_caption(i18n, v) {
        Some(caption) => TurnLayout::Single { caption },
        None => TurnLayout::Split {
            caption: caption(i18n, v),
            details: split_message(&details(i18n, v), TEXT_LIMIT),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::check::{assert_good_split, assert_valid};
    use crate::tutor::reply::{Mistake, MistakeCategory, NewWord};

    fn reply() -> HonzikReply {
        HonzikReply {
            honzik_response: "Ahoj! Já jsem Honzík a mám rád pivo.".into(),
            translation: "Hi! I'm Honzík and I like beer.".into(),
            corrected_text: "Mám rád pivo.".into(),
            mistakes: vec![Mistake {
                original: "Mám ráda pivo".into(),
                corrected: "Mám rád pivo".into(),
                explanation: "masculine <ending> & co".into(),
                category: MistakeCategory::Gender,
            }],
            correctness_score: 85,
            suggestion: "Say it twice!".into(),
            new_words: vec![NewWord { czech: "pivo".into(), translation: "beer".into() }],
            scene: None,
        }
    }

    fn view<'a>(r: &'a HonzikReply, learner: &'a str) -> TurnView<'a> {
        TurnView {
            lang: Lang::En,
            level: Level::Intermediate,
            kind: TurnKind::Voice,
            learner_text: learner,
            reply: r,
            stars_earned: 2,
            streak_days: 3,
            challenge_completed: false,
            nudge_czech: false,
            with_voice: true,
        }
    }

    #[test]
    fn learner_text_and_reply_fields_are_escaped_and_emoji_kept() {
        let i18n = I18n::new();
        let r = reply();
        let d = details(&i18n, &view(&r, "a < b && c > d 🍺🇨🇿"));
        assert!(d.contains("a &lt; b &amp;&amp; c &gt; d 🍺🇨🇿"), "{d}");
        assert!(d.contains("masculine &lt;ending&gt; &amp; co"));
        assert_valid(&d);
    }

    #[test]
    fn details_show_the_sections_in_order() {
        let i18n = I18n::new();
        let r = reply();
        let mut v = view(&r, "mám ráda pivo");
        v.nudge_czech = true;
        v.challenge_completed = true;
        let d = details(&i18n, &v);
        let order = [
            "Zkus to česky",
            "I heard",
            "<tg-spoiler>Ahoj! Já jsem",
            "Corrections",
            "• <s>Mám ráda pivo</s> → <b>Mám rád pivo</b> — masculine",
            "The correct version",
            "Say it twice!",
            "• <b>pivo</b> — beer",
            "Daily challenge done! +5",
        ];
        let positions: Vec<usize> = order
            .iter()
            .map(|s| d.find(s).unwrap_or_else(|| panic!("{s} missing in {d}")))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{d}");
    }

    #[test]
    fn typed_turns_say_you_wrote_and_clean_turns_say_no_mistakes() {
        let i18n = I18n::new();
        let mut r = reply();
        r.mistakes.clear();
        let mut v = view(&r, "Mám rád pivo.");
        v.kind = TurnKind::Text;
        let d = details(&i18n, &v);
        assert!(d.contains("You wrote") && !d.contains("I heard"));
        assert!(d.contains("No mistakes"));
        assert!(!d.contains("The correct version"), "no corrected text without mistakes");
    }

    #[test]
    fn without_his_voice_honziks_words_are_shown_plainly_not_under_a_spoiler() {
        let i18n = I18n::new();
        let r = reply();
        let mut v = view(&r, "ahoj");
        v.with_voice = false;
        let d = details(&i18n, &v);
        assert!(d.contains("<b>🗣 Honzík</b>\nAhoj! Já jsem Honzík a mám rád pivo."), "{d}");
        assert!(!d.contains("listen first") && !d.contains("<tg-spoiler>Ahoj"), "{d}");
        v.with_voice = true;
        let d = details(&i18n, &v);
        assert!(d.contains("listen first") && d.contains("<tg-spoiler>Ahoj!"), "{d}");
    }

    #[test]
    fn the_translation_is_offered_where_the_level_table_says() {
        let i18n = I18n::new();
        let r = reply();
        let mut v = view(&r, "ahoj");
        for level in Level::ALL {
            v.level = level;
            let d = details(&i18n, &v);
            let shown = d.contains("<tg-spoiler>Hi! I'm Honzík and I like beer.</tg-spoiler>");
            assert_eq!(shown, policy(level).translation == Translation::Spoiler, "{level:?}");
            assert_eq!(d.contains("Translation"), shown, "{level:?}");
        }
        assert!(details(&i18n, &TurnView { level: Level::Beginner, ..v }).contains("Hi! I'm"));
        assert!(!details(&i18n, &TurnView { level: Level::Advanced, ..v }).contains("Hi! I'm"));
    }

    #[test]
    fn register_notes_are_shown_apart_and_not_as_mistakes() {
        let i18n = I18n::new();
        let mut r = reply();
        r.mistakes = vec![Mistake {
            original: "velkej".into(),
            corrected: "velký".into(),
            explanation: "obecná čeština".into(),
            category: MistakeCategory::Register,
        }];
        let d = details(&i18n, &view(&r, "To je velkej dům."));
        assert!(d.contains("How Prague says it"), "{d}");
        assert!(d.contains("• <i>velkej</i> = <b>velký</b> — obecná čeština"), "{d}");
        assert!(!d.contains("<s>velkej</s>"), "a note is not crossed out: {d}");
        assert!(d.contains("No mistakes"), "a note alone is no mistake: {d}");
        assert_valid(&d);
    }

    #[test]
    fn the_caption_shows_score_streak_and_stars() {
        let i18n = I18n::new();
        let r = reply();
        assert_eq!(caption(&i18n, &view(&r, "x")), "🎯 85/100 · 🔥 3 days · +2 ⭐");
        let mut v = view(&r, "x");
        v.lang = Lang::Ru;
        v.streak_days = 0;
        v.stars_earned = 0;
        assert_eq!(caption(&i18n, &v), "🎯 85/100");
    }

    #[test]
    fn the_caption_always_fits() {
        let i18n = I18n::new();
        let r = reply();
        for lang in Lang::ALL {
            let mut v = view(&r, "x");
            v.lang = lang;
            v.streak_days = u32::MAX;
            v.stars_earned = u32::MAX;
            assert!(utf16_len(&caption(&i18n, &v)) <= CAPTION_LIMIT);
        }
    }

    #[test]
    fn a_short_turn_fits_one_caption_and_a_long_one_does_not() {
        let i18n = I18n::new();
        let r = reply();
        let v = view(&r, "mám ráda pivo");
        let single = single_caption(&i18n, &v).expect("short turn should fit");
        assert!(single.starts_with(&caption(&i18n, &v)) && utf16_len(&single) <= CAPTION_LIMIT);
        assert_eq!(layout(&i18n, &v), TurnLayout::Single { caption: single });

        let mut long = reply();
        long.honzik_response = "Praha je krásné město plné piva. ".repeat(40);
        let v = view(&long, "mám ráda pivo");
        assert_eq!(single_caption(&i18n, &v), None);
        match layout(&i18n, &v) {
            TurnLayout::Split { caption: c, details: d } => {
                assert_eq!(c, caption(&i18n, &v));
                assert_eq!(d.len(), 1);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_6000_character_reply_splits_into_valid_parts() {
        let i18n = I18n::new();
        let mut r = reply();
        let sentence = "Včera jsem byl s kamarády v hospodě U Fleků, dali jsme si knedlíky & pivo <3 a koukali na hokej. ";
        r.honzik_response = sentence.repeat(6000 / sentence.chars().count() + 1);
        assert!(r.honzik_response.chars().count() >= 6000);
        let d = details(&i18n, &view(&r, "ahoj"));
        assert!(utf16_len(&d) > TEXT_LIMIT);
        let parts = assert_good_split(&d, TEXT_LIMIT);
        assert!(parts.len() >= 2);
        // The spoiler is closed at the split and reopened in the next part.
        assert!(parts[0].ends_with("</tg-spoiler>"));
        assert!(parts[1].starts_with("<tg-spoiler>"));
    }
}
