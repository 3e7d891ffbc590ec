//! What `/scene` and `/listen` show (pure; texts from the locales): a scene's debrief, and the
//! dictation check as the learner reads it — the sentence with their slips marked.

use crate::html::escape_html;
use crate::i18n::{Arg, I18n, Lang};
use crate::practice::diff::{Check, Grade, Slip, Word};
use crate::store::practice::SceneMistake;

/// Everything a scene's debrief says.
pub struct Debrief<'a> {
    pub title: &'a str,
    pub goal: &'a str,
    pub goal_reached: bool,
    /// The scores of the learner's turns in the scene.
    pub scores: &'a [u8],
    pub mistakes: &'a [SceneMistake],
    /// Useful phrases and their translations.
    pub phrases: Vec<(&'a str, &'a str)>,
}

/// A score this high counts as a reply without mistakes.
const CLEAN: u8 = 90;

pub fn debrief(i18n: &I18n, lang: Lang, d: &Debrief<'_>) -> String {
    let tr = |key: &str, args: &[(&str, Arg<'_>)]| i18n.tr(lang, key, args);
    let mut lines = vec![tr("scene-debrief", &[("title", d.title.into())])];
    let goal = [("target", Arg::from(d.goal))];
    lines.push(if d.goal_reached {
        tr("scene-goal-reached", &goal)
    } else {
        tr("scene-goal-missed", &goal)
    });
    if d.scores.is_empty() {
        lines.push(tr("scene-no-turns", &[]));
    } else {
        let good = d.scores.iter().filter(|s| **s >= CLEAN).count();
        let avg = d.scores.iter().map(|s| u32::from(*s)).sum::<u32>() / d.scores.len() as u32;
        lines.push(tr(
            "scene-went-well",
            &[("good", good.into()), ("turns", d.scores.len().into()), ("score", avg.into())],
        ));
    }
    lines.push(String::new());
    if d.mistakes.is_empty() {
        lines.push(tr("scene-no-mistakes", &[]));
    } else {
        lines.push(tr("scene-mistakes", &[]));
        for m in d.mistakes {
            lines.push(tr(
                "scene-mistake",
                &[
                    ("original", m.original.as_str().into()),
                    ("corrected", m.corrected.as_str().into()),
                ],
            ));
        }
    }
    lines.push(String::new());
    lines.push(tr("scene-phrases", &[]));
    for (phrase, translation) in &d.phrases {
        lines.push(tr(
            "scene-phrase",
            &[("phrase", (*phrase).into()), ("translation", (*translation).into())],
        ));
    }
    lines.push(String::new());
    lines.push(tr("practice-more", &[]));
    lines.join("\n")
}

/// The learner's answer against the sentence: right words as they are, a slipped word
/// underlined as it should be, a wrong or extra word struck through, a missing or wrong one's
/// right form in bold.
pub fn diff_html(check: &Check) -> String {
    let e = |s: &str| escape_html(s);
    check
        .words
        .iter()
        .map(|w| match w {
            Word::Right(s) => e(s),
            Word::Slipped { said, .. } => format!("<u>{}</u>", e(said)),
            Word::Wrong { said, typed } => format!("<s>{}</s> <b>{}</b>", e(typed), e(said)),
            Word::Missing(s) => format!("<b>{}</b>", e(s)),
            Word::Extra(s) => format!("<s>{}</s>", e(s)),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The verdict on a typed dictation answer: the grade, the diff (unless perfect), the slips'
/// kinds, the sentence with its translation, and whether it goes into review.
pub fn verdict(i18n: &I18n, lang: Lang, check: &Check, said: &str, translation: &str) -> String {
    let tr = |key: &str, args: &[(&str, Arg<'_>)]| i18n.tr(lang, key, args);
    let key = match check.grade {
        Grade::Perfect => "listen-perfect",
        Grade::Accents => "listen-accents",
        Grade::Partly => "listen-partly",
        Grade::Missed => "listen-missed",
    };
    let mut lines = vec![tr(key, &[("score", check.score.into())])];
    if check.grade != Grade::Perfect {
        lines.push(format!("{} {}", tr("listen-yours", &[]), diff_html(check)));
        let kinds: Vec<String> = check
            .slips()
            .into_iter()
            .map(|s| match s {
                Slip::Hacek => tr("listen-slip-hacek", &[]),
                Slip::Length => tr("listen-slip-length", &[]),
                Slip::IY => tr("listen-slip-iy", &[]),
            })
            .collect();
        if !kinds.is_empty() {
            lines.push(tr("listen-slips", &[("kinds", kinds.join(", ").as_str().into())]));
        }
        lines.push(tr("listen-legend", &[]));
    }
    lines.push(tr("listen-said", &[("phrase", said.into()), ("translation", translation.into())]));
    if check.missed() {
        lines.push(tr("listen-to-review", &[]));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::practice::diff::check;

    #[test]
    fn the_diff_marks_slips_wrong_missing_and_extra_words_and_no_typed_markup_gets_through() {
        let c = check("Řeka je u lesa.", "Reka je <b>u lesa tam");
        assert_eq!(diff_html(&c), "<u>řeka</u> je <s>b</s> u lesa <s>tam</s>");
        let c = check("Kde je nádraží?", "Kde nádraží?");
        assert_eq!(diff_html(&c), "kde <b>je</b> nádraží");
    }

    #[test]
    fn a_verdict_names_the_kind_of_slip_and_a_perfect_one_shows_no_diff() {
        let i18n = I18n::new();
        let c = check("Řeka je krásná.", "Reka je krasna.");
        let v = verdict(&i18n, Lang::En, &c, "Řeka je krásná.", "The river is beautiful.");
        assert!(v.contains("háček") && v.contains("length") && v.contains("<u>řeka</u>"), "{v}");
        assert!(v.contains("/review"), "{v}");
        let c = check("Řeka je krásná.", "řeka je krásná");
        let v = verdict(&i18n, Lang::Ru, &c, "Řeka je krásná.", "Река красивая.");
        assert!(!v.contains("<u>") && !v.contains("/review"), "{v}");
    }

    #[test]
    fn a_debrief_says_whether_the_goal_was_reached_and_lists_mistakes_and_phrases() {
        let i18n = I18n::new();
        let mistakes = [SceneMistake { original: "v Praha".into(), corrected: "v Praze".into() }];
        let d = Debrief {
            title: "🍺 At the pub",
            goal: "Order a beer",
            goal_reached: true,
            scores: &[100, 70],
            mistakes: &mistakes,
            phrases: vec![("Zaplatím, prosím.", "I'd like to pay, please.")],
        };
        let text = debrief(&i18n, Lang::En, &d);
        for part in ["At the pub", "Order a beer", "v Praha", "v Praze", "Zaplatím", "1 of 2", "85"]
        {
            assert!(text.contains(part), "{part} in {text}");
        }
        let none = Debrief { goal_reached: false, scores: &[], mistakes: &[], ..d };
        let text = debrief(&i18n, Lang::Uk, &none);
        assert!(!text.contains("v Praha"), "{text}");
        assert_ne!(text, debrief(&i18n, Lang::Uk, &Debrief { goal_reached: true, ..none }));
    }
}
