//! The texts read as a careful native speaker would write them (issue 13, point 9) — the rules
//! that can be checked mechanically: one spelling of Honzík's name per language, declined
//! normally; the learner addressed without a grammatical gender in Russian and Ukrainian; a turn
//! never called a "move" (ход/хід, a calque); háčky and čárky called by their Czech names; one
//! apostrophe (ʼ) in Ukrainian; and no money in anything a learner reads.

use super::tests::{declared_keys, sample_args};
use super::*;

/// Keys only admins read (amounts in dollars are theirs).
const ADMIN_PREFIXES: &[&str] = &["admin-", "broadcast-", "spend-cap-admin"];

/// Every learner-facing text of `lang`, formatted with the sample arguments, with its key.
fn learner_texts(lang: Lang) -> Vec<(String, String)> {
    let (i18n, args) = (I18n::new(), sample_args());
    declared_keys(lang.source())
        .into_iter()
        .filter(|k| !ADMIN_PREFIXES.iter().any(|p| k.starts_with(p)))
        .map(|k| {
            let text = i18n.tr(lang, &k, &args);
            (k, text)
        })
        .collect()
}

/// Every text of `lang`, admins' too: the name and the words for a turn are the same for them.
fn all_texts(lang: Lang) -> Vec<(String, String)> {
    let (i18n, args) = (I18n::new(), sample_args());
    declared_keys(lang.source())
        .into_iter()
        .map(|k| (k.clone(), i18n.tr(lang, &k, &args)))
        .collect()
}

/// The words of `text`, lower case (letters and the Ukrainian apostrophe).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphabetic() || c == 'ʼ'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[test]
fn honziks_name_has_one_spelling_per_language_declined_normally() {
    // Czech "Honzíku" (the vocative) appears in Czech example sentences, and stays Czech.
    let forms: [(Lang, &[&str]); 3] = [
        (Lang::En, &["honzík", "honzíku"]),
        (Lang::Ru, &["гонзик", "гонзика", "гонзику", "гонзиком", "гонзике", "honzíku"]),
        (Lang::Uk, &["гонзік", "гонзіка", "гонзікові", "гонзіку", "гонзіком", "honzíku"]),
    ];
    for (lang, allowed) in forms {
        for (key, text) in all_texts(lang) {
            for w in words(&text) {
                if w.starts_with("honz") || w.starts_with("гонз") || w.starts_with("ганз") {
                    assert!(allowed.contains(&w.as_str()), "{lang:?} {key}: «{w}» in {text}");
                }
            }
        }
    }
}

#[test]
fn the_learner_is_addressed_without_a_grammatical_gender() {
    let male_only: [(Lang, &[&str]); 2] = [
        (
            Lang::Ru,
            &[
                "сам",
                "сама",
                "занимался",
                "занималась",
                "готов",
                "уверен",
                "должен",
                "рад",
                "сделал",
            ],
        ),
        (
            Lang::Uk,
            &[
                "сам",
                "сама",
                "займався",
                "займалася",
                "готовий",
                "впевнений",
                "повинен",
                "радий",
                "казав",
            ],
        ),
    ];
    // "ты/ти" and a past tense right after it ("ты ещё не занимался"): a gendered form.
    let past = |w: &str, lang: Lang| match lang {
        Lang::Ru => w.ends_with('л') || w.ends_with("лся") || w.ends_with("ла"),
        _ => w.ends_with('в') || w.ends_with("вся") || w.ends_with("ла"),
    };
    let fillers = ["ещё", "уже", "не", "сегодня", "вчера", "ще", "вже", "сьогодні", "учора"];
    for (lang, banned) in male_only {
        for (key, text) in learner_texts(lang) {
            let ws = words(&text);
            for (i, w) in ws.iter().enumerate() {
                assert!(!banned.contains(&w.as_str()), "{lang:?} {key}: «{w}» in {text}");
                if w == "ты" || w == "ти" {
                    let next = ws[i + 1..].iter().find(|n| !fillers.contains(&n.as_str()));
                    assert!(
                        next.is_none_or(|n| !past(n, lang)),
                        "{lang:?} {key}: «{w} … {next:?}» in {text}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_turn_is_never_called_a_move() {
    let moves = [
        "ход",
        "хода",
        "ходу",
        "ходом",
        "ходе",
        "ходы",
        "ходов",
        "ходам",
        "ходами",
        "ходах",
        "хід",
        "ходи",
        "ходів",
        "ходові",
        "ході",
    ];
    for lang in [Lang::Ru, Lang::Uk] {
        for (key, text) in all_texts(lang) {
            for w in words(&text) {
                assert!(!moves.contains(&w.as_str()), "{lang:?} {key}: «{w}» in {text}");
            }
        }
    }
}

#[test]
fn hacky_and_carky_are_called_by_their_czech_names() {
    for lang in [Lang::Ru, Lang::Uk] {
        for (key, text) in all_texts(lang) {
            for w in words(&text) {
                let transliterated = ["гачек", "гачок", "гачк", "чарк", "чарок"];
                assert!(
                    !transliterated.iter().any(|t| w.starts_with(t)),
                    "{lang:?} {key}: «{w}» in {text}"
                );
            }
        }
    }
}

#[test]
fn ukrainian_writes_one_apostrophe() {
    for (key, text) in all_texts(Lang::Uk) {
        assert!(!text.contains(['\'', '’', '`']), "uk {key}: use ʼ in {text}");
    }
}

#[test]
fn learners_never_see_money() {
    for lang in Lang::ALL {
        for (key, text) in learner_texts(lang) {
            let lower = text.to_lowercase();
            assert!(
                !text.contains('$')
                    && !["usd", "доллар", "долар", "dollar"].iter().any(|m| lower.contains(m)),
                "{lang:?} {key}: {text}"
            );
        }
    }
}
