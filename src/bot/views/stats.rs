//! The `/stats` caption: streak, totals, average score, stars, the daily challenge and the
//! 7-day calendar.

use crate::bot::labels;
use crate::i18n::{I18n, Lang};
use crate::progress::DAILY_CHALLENGE_TURNS;
use crate::progress::history::{Mark, Overview};

/// Also counted: the learner's stars and saved words.
pub struct Extras {
    pub stars: i64,
    pub saved_words: u64,
}

/// The caption under the chart (or the whole reply when there is no chart); always within a
/// caption's 1024 characters.
pub fn caption(i18n: &I18n, lang: Lang, o: &Overview, extras: &Extras) -> String {
    let t = |key: &str, args: &[(&str, crate::i18n::Arg)]| i18n.tr(lang, key, args);
    let mut lines = vec![
        t("stats-title", &[]),
        t("stats-streak", &[("days", o.streak.into()), ("best", o.best_streak.into())]),
        t("stats-turns", &[("turns", count(o.turns)), ("words", count(o.words))]),
        match o.average_score {
            Some(score) => t("stats-score", &[("score", score.into())]),
            None => t("stats-score-none", &[]),
        },
        t("stats-stars", &[("stars", extras.stars.into()), ("saved", count(extras.saved_words))]),
        match o.challenge_done {
            true => t("stats-challenge-done", &[]),
            false => t(
                "stats-challenge",
                &[("turns", o.turns_today.into()), ("goal", DAILY_CHALLENGE_TURNS.into())],
            ),
        },
        format!("{}\n{}", t("stats-week", &[]), calendar(i18n, lang, o)),
    ];
    if o.turns == 0 {
        lines.push(t("stats-first-turn", &[]));
    }
    lines.join("\n")
}

fn count(n: u64) -> crate::i18n::Arg<'static> {
    crate::i18n::Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
}

/// "Fr ✅ · Sa ▫️ · Su 🏆 …", oldest day first.
fn calendar(i18n: &I18n, lang: Lang, o: &Overview) -> String {
    use chrono::Datelike;
    o.week
        .iter()
        .map(|(day, mark)| {
            let icon = match mark {
                Mark::Missed => "▫️",
                Mark::Practised => "✅",
                Mark::ChallengeDone => "🏆",
            };
            format!("{} {icon}", i18n.tr(lang, &labels::weekday(day.weekday()), &[]))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::render::{CAPTION_LIMIT, utf16_len};
    use crate::progress::StreakState;
    use crate::progress::history::{Day, overview};
    use chrono::NaiveDate;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap() // a Saturday
    }

    fn busy() -> Overview {
        let days = [
            Day {
                day: today(),
                turns: 2,
                words: 20,
                score_sum: 170,
                scored_turns: 2,
                challenge_done: false,
            },
            Day {
                day: today().pred_opt().unwrap(),
                turns: 6,
                words: 50,
                score_sum: 500,
                scored_turns: 6,
                challenge_done: true,
            },
        ];
        overview(&days, StreakState { current: 2, best: 9, last_day: Some(today()) }, today())
    }

    #[test]
    fn the_caption_says_everything_in_order() {
        let i18n = I18n::new();
        let text = caption(&i18n, Lang::En, &busy(), &Extras { stars: 31, saved_words: 4 });
        let order = ["2 days", "best: 9", "8", "70", "84/100", "31", "4", "2/5", "Fr 🏆", "Sa ✅"];
        let mut at = 0;
        for part in order {
            let found =
                text[at..].find(part).unwrap_or_else(|| panic!("{part} not after {at} in {text}"));
            at += found;
        }
        assert!(text.contains("Su ▫️"), "{text}");
    }

    #[test]
    fn a_learner_without_turns_is_invited_to_start() {
        let i18n = I18n::new();
        let o = overview(&[], StreakState::default(), today());
        let text = caption(&i18n, Lang::Ru, &o, &Extras { stars: 0, saved_words: 0 });
        assert!(text.contains("—"), "no average yet: {text}");
        assert!(text.lines().count() >= 8);
    }

    #[test]
    fn the_caption_fits_telegrams_limit_with_huge_numbers_in_every_language() {
        let i18n = I18n::new();
        let mut o = busy();
        (o.turns, o.words, o.streak, o.best_streak) = (u64::MAX, u64::MAX, u32::MAX, u32::MAX);
        for lang in Lang::ALL {
            let text = caption(&i18n, lang, &o, &Extras { stars: i64::MAX, saved_words: u64::MAX });
            assert!(utf16_len(&text) <= CAPTION_LIMIT, "{lang:?}: {}", utf16_len(&text));
        }
    }
}
