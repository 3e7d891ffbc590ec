use super::*;
use std::collections::{BTreeMap, BTreeSet};

/// Literals shaped like a key that are not keys, each with what it is. A literal that looks like
/// a key and is neither declared nor listed here fails [`every_key_the_code_uses_exists`]: add
/// the key to the locales, or the literal here.
const NOT_KEYS: &[(&str, &str)] = &[
    ("allow-list", "an access mode's spelling in an admin argument"),
    ("retry-after", "an HTTP header"),
    ("retry-after-ms", "an HTTP header"),
    ("x-telegram-bot-api-secret-token", "an HTTP header"),
    ("sans-serif", "a font family of the /stats chart"),
    ("us-east-1", "the default S3 region"),
    ("mluvme-", "the export's file name (`format!`)"),
    ("replica-", "a replica's generated id (`format!`)"),
];

/// Model names ("gpt-4o-mini", "whisper-1", …) start with one of these; no key may.
const MODEL_PREFIXES: &[&str] = &["gpt-", "chatgpt-", "tts-", "whisper-", "text-embedding-"];

/// Every family of keys built at run time (`format!("trend-{}", …)`): the literal its key
/// starts with, and every key it can build, from the one list of values the code builds from.
/// A `format!` that builds a key-shaped prefix not listed here (or in [`NOT_KEYS`]) fails
/// [`every_key_the_code_uses_exists`].
fn dynamic_families() -> Vec<(&'static str, Vec<String>)> {
    use crate::review::{schedule::Grade, trends::Direction};
    use crate::tutor::reply::MistakeCategory;
    let labels = crate::bot::labels::all_keys();
    let from_labels = |prefix: &'static str| {
        (prefix, labels.iter().filter(|k| k.starts_with(prefix)).cloned().collect())
    };
    let keys = |prefix: &'static str, values: Vec<String>| {
        (prefix, values.into_iter().map(|v| format!("{prefix}{v}")).collect())
    };
    vec![
        // src/bot/labels.rs: settings, command menu lines, weekdays (and its `{kind}-{value}`
        // keys of a setting's values, which have no literal prefix; `all_keys` lists them too).
        from_labels("lang-name-"),
        from_labels("level-"),
        from_labels("setting-"),
        from_labels("about-"),
        from_labels("cmd-"),
        from_labels("weekday-"),
        // src/bot/handlers/stats.rs: the mistake trends under the /stats picture.
        keys("mistake-category-", MistakeCategory::ALL.map(|c| c.as_str().to_owned()).to_vec()),
        keys("trend-", Direction::ALL.map(|d| d.as_str().to_owned()).to_vec()),
        // src/bot/handlers/review.rs: the grade buttons and the grade said back.
        keys("review-grade-", Grade::ALL.map(|g| g.as_str().to_owned()).to_vec()),
    ]
}

fn looks_like_key(s: &str) -> bool {
    s.contains('-')
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && !s.ends_with('-')
}

/// The literal prefix of a `format!` string that builds a key (`"trend-{}"` → `"trend-"`).
fn key_prefix(lit: &str) -> Option<&str> {
    let (head, _) = lit.split_once('{')?;
    let shaped = head.ends_with('-') && looks_like_key(&format!("{head}x"));
    shaped.then_some(head)
}

/// Everything the scan of `src/` finds: literal keys (with a file using each), and the
/// prefixes of keys built at run time.
struct Scan {
    literals: BTreeMap<String, String>,
    prefixes: BTreeMap<String, String>,
}

fn scan_sources() -> Scan {
    let mut found = Scan { literals: BTreeMap::new(), prefixes: BTreeMap::new() };
    for (file, code) in super::scan::sources() {
        for lit in super::scan::string_literals(&code) {
            if looks_like_key(&lit) {
                found.literals.entry(lit).or_insert_with(|| file.clone());
            } else if let Some(prefix) = key_prefix(&lit) {
                found.prefixes.entry(prefix.to_owned()).or_insert_with(|| file.clone());
            }
        }
    }
    found
}

fn not_a_key(s: &str) -> bool {
    NOT_KEYS.iter().any(|(k, _)| *k == s) || MODEL_PREFIXES.iter().any(|p| s.starts_with(p))
}

/// Every key the code uses: the literal ones anywhere in `src/`, and every key of every
/// family built at run time. Panics on a run-time family nobody listed.
fn keys_used_in_code() -> BTreeSet<String> {
    let scan = scan_sources();
    let families = dynamic_families();
    for (prefix, file) in &scan.prefixes {
        assert!(
            not_a_key(prefix) || families.iter().any(|(p, _)| p == prefix),
            "{file} builds keys `{prefix}…` at run time: list their values in dynamic_families()"
        );
    }
    let mut keys: BTreeSet<String> = scan.literals.into_keys().filter(|l| !not_a_key(l)).collect();
    for (prefix, family) in families {
        assert!(!family.is_empty(), "the family `{prefix}…` builds no key");
        keys.extend(family);
    }
    keys.extend(crate::bot::labels::all_keys());
    keys
}

/// Message ids and `id.attribute` names declared in an FTL source,
/// found line by line (fluent-syntax's AST is not re-exported).
pub(super) fn declared_keys(src: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut current = String::new();
    for line in src.lines() {
        let is_ident = |s: &str| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if let Some((head, _)) = line.split_once('=') {
            let name = head.trim();
            if !line.starts_with([' ', '\t', '#']) && is_ident(name) {
                current = name.to_owned();
                keys.insert(current.clone());
            } else if let Some(attr) = name.strip_prefix('.')
                && line.starts_with([' ', '\t'])
                && is_ident(attr)
            {
                keys.insert(format!("{current}.{attr}"));
            }
        }
    }
    keys
}

pub(super) fn sample_args() -> Vec<(&'static str, Arg<'static>)> {
    vec![
        ("name", Arg::Text("Olga <3 & co")),
        ("language", Arg::Text("Русский")),
        ("level", Arg::Text("🌱 Beginner")),
        ("score", Arg::Num(85)),
        ("days", Arg::Num(3)),
        ("stars", Arg::Num(2)),
        ("max", Arg::Num(120)),
        ("duration", Arg::Num(185)),
        ("max_mb", Arg::Num(20)),
        ("seconds", Arg::Num(6)),
        ("command", Arg::Text("/foo")),
        ("bot", Arg::Text("mluvme_bot")),
        ("setting", Arg::Text("🎭 Style")),
        ("value", Arg::Text("😊 Friendly")),
        ("zone", Arg::Text("Europe/Prague")),
        ("time", Arg::Text("11:00")),
        ("date", Arg::Text("28.11.2026")),
        ("line", Arg::Text("Rozumíš <pomalé> řeči & víc.")),
        ("total", Arg::Num(300)),
        ("page", Arg::Num(2)),
        ("pages", Arg::Num(38)),
        ("best", Arg::Num(9)),
        ("turns", Arg::Num(3)),
        ("words", Arg::Num(40)),
        ("saved", Arg::Num(12)),
        ("goal", Arg::Num(5)),
        ("part", Arg::Num(2)),
        ("messages", Arg::Num(24)),
        ("audio", Arg::Num(12)),
        // Admin texts (issue 8).
        ("cap", Arg::Text("$0.50")),
        ("spent", Arg::Text("$0.50")),
        ("usage", Arg::Text("$0.50")),
        ("amount", Arg::Text("$0.50")),
        ("status", Arg::Text("$0.50")),
        ("lang", Arg::Text("$0.50")),
        ("week", Arg::Text("$0.50")),
        ("quota", Arg::Text("$0.50")),
        ("stt", Arg::Text("$0.50")),
        ("cost", Arg::Text("$0.50")),
        ("models", Arg::Text("$0.50")),
        ("p95", Arg::Text("$0.50")),
        ("audience", Arg::Text("$0.50")),
        ("user", Arg::Text("$0.50")),
        ("count", Arg::Num(7)),
        ("hours", Arg::Num(7)),
        ("minutes", Arg::Num(7)),
        ("id", Arg::Num(7)),
        ("active", Arg::Num(7)),
        ("new", Arg::Num(7)),
        ("voice", Arg::Num(7)),
        ("text", Arg::Num(7)),
        ("prompt", Arg::Num(7)),
        ("completion", Arg::Num(7)),
        ("tts", Arg::Num(7)),
        ("errors", Arg::Num(7)),
        ("sent", Arg::Num(7)),
        ("skipped", Arg::Num(7)),
        ("failed", Arg::Num(7)),
        // review and reminders
        ("due", Arg::Num(4)),
        ("position", Arg::Num(2)),
        ("question", Arg::Text("pivo <b>")),
        ("answer", Arg::Text("beer & co")),
        ("note", Arg::Text("genitive")),
        ("hint", Arg::Text("Praha <i>")),
        ("example", Arg::Text("Byl jsi na Karlově mostě?")),
        ("sentence", Arg::Text("Bydlím v Praha & co.")),
        ("grade", Arg::Text("🙂 Good")),
        ("done", Arg::Num(5)),
        ("again", Arg::Num(1)),
        ("hard", Arg::Num(1)),
        ("good", Arg::Num(2)),
        ("easy", Arg::Num(1)),
        ("kind", Arg::Text("Gender")),
        ("count", Arg::Num(3)),
        ("trend", Arg::Text("↗")),
        ("rate", Arg::Text("2.5")),
        ("previous", Arg::Text("1.5")),
        ("percent", Arg::Num(15)),
        // practice modes (issue 14)
        ("title", Arg::Text("🍺 At the pub")),
        ("target", Arg::Text("Order a beer & pay")),
        ("phrase", Arg::Text("Zaplatím, prosím.")),
        ("translation", Arg::Text("I would like to pay <please>")),
        ("original", Arg::Text("v Praha")),
        ("corrected", Arg::Text("v Praze")),
        ("kinds", Arg::Text("háček, i or y")),
        ("right", Arg::Num(4)),
        ("missed", Arg::Num(2)),
        // shadowing (issue 14)
        ("accuracy", Arg::Num(80)),
        ("list", Arg::Text("jedno, pivo → piva")),
        ("wpm", Arg::Num(118)),
        ("native", Arg::Num(150)),
        ("word", Arg::Text("to")),
        ("secs", Arg::Text("1.2")),
        ("attempts", Arg::Num(3)),
    ]
}

#[test]
fn the_three_locale_files_declare_exactly_the_same_keys() {
    let en = declared_keys(Lang::En.source());
    for lang in [Lang::Ru, Lang::Uk] {
        assert_eq!(declared_keys(lang.source()), en, "{} differs from en", lang.code());
    }
}

#[test]
fn every_key_the_code_uses_exists() {
    let used = keys_used_in_code();
    assert!(used.len() > 100, "the scan finds the keys: {used:?}");
    for key in [
        "stale-button",
        "upstream-busy",
        "delete-done",
        "style-casual",
        "cmd-delete_me",
        "weekday-7",
        // Outside the bot's folders, or built at run time: missed by the scan before issue 17.
        "admin-not-a-number",
        "trend-up",
        "mistake-category-verb_aspect",
        "review-grade-easy",
    ] {
        assert!(used.contains(key), "{key} is used, but the scan missed it");
    }
    for lang in Lang::ALL {
        let declared = declared_keys(lang.source());
        let missing: Vec<_> = used.iter().filter(|k| !declared.contains(*k)).collect();
        assert!(missing.is_empty(), "missing in {}: {missing:?}", lang.code());
    }
}

#[test]
fn what_is_not_a_key_is_still_in_the_code_and_never_a_key() {
    let scan = scan_sources();
    let declared = declared_keys(Lang::En.source());
    for (s, why) in NOT_KEYS {
        assert!(
            scan.literals.contains_key(*s) || scan.prefixes.contains_key(*s),
            "`{s}` ({why}) is no longer in the code: drop it from NOT_KEYS"
        );
    }
    for key in &declared {
        assert!(!not_a_key(key), "{key} is declared but would be skipped as not a key");
    }
}

#[test]
fn the_key_shape_and_prefix_rules() {
    assert!(
        looks_like_key("cmd-delete_me") && !looks_like_key("gpt 4") && !looks_like_key("plain")
    );
    assert_eq!(key_prefix("trend-{}"), Some("trend-"));
    assert_eq!(key_prefix("mistake-category-{}"), Some("mistake-category-"));
    assert_eq!(key_prefix("spend-cap:{}"), None);
    assert_eq!(key_prefix("{}-{}"), None);
    assert_eq!(key_prefix("Dosavadní shrnutí: {p}"), None);
}

#[test]
fn button_answers_are_short_plain_text() {
    let i18n = I18n::new();
    for lang in Lang::ALL {
        for key in crate::bot::handlers::callbacks::ANSWER_KEYS {
            let text = i18n.try_tr(lang, key, &[]).unwrap();
            assert!(!text.contains(['<', '&']) && text.chars().count() <= 200, "{key}: {text}");
        }
    }
}

#[test]
fn every_key_formats_without_errors_in_every_language() {
    let i18n = I18n::new();
    let args = sample_args();
    for lang in Lang::ALL {
        for key in declared_keys(lang.source()) {
            let text = i18n.try_tr(lang, &key, &args).unwrap_or_else(|e| panic!("{e}"));
            assert!(!text.trim().is_empty(), "{key} is empty in {}", lang.code());
            assert!(!text.contains('\u{2068}'), "isolation marks leaked");
        }
    }
}

#[test]
fn russian_day_plurals_follow_one_few_many() {
    let i18n = I18n::new();
    let streak = |n: i64| i18n.tr(Lang::Ru, "caption-streak", &[("days", n.into())]);
    assert!(streak(1).ends_with("1 день"), "{}", streak(1));
    assert!(streak(2).ends_with("2 дня"), "{}", streak(2));
    assert!(streak(5).ends_with("5 дней"), "{}", streak(5));
    assert!(streak(21).ends_with("21 день"), "{}", streak(21));
    assert!(streak(11).ends_with("11 дней"), "{}", streak(11));
}

#[test]
fn ukrainian_and_english_day_plurals_are_correct() {
    let i18n = I18n::new();
    let uk = |n: i64| i18n.tr(Lang::Uk, "caption-streak", &[("days", n.into())]);
    assert!(uk(1).ends_with("1 день"));
    assert!(uk(3).ends_with("3 дні"));
    assert!(uk(7).ends_with("7 днів"));
    let en = |n: i64| i18n.tr(Lang::En, "caption-streak", &[("days", n.into())]);
    assert!(en(1).ends_with("1 day"));
    assert!(en(2).ends_with("2 days"));
}

#[test]
fn text_arguments_are_html_escaped() {
    let i18n = I18n::new();
    let text = i18n.tr(Lang::En, "start-known", &[("name", "<b>Eve</b> & \"Bob\"".into())]);
    assert!(text.contains("&lt;b&gt;Eve&lt;/b&gt; &amp; &quot;Bob&quot;"), "{text}");
    assert!(!text.contains("<b>Eve"));
}

#[test]
fn command_menu_descriptions_are_plain_text_within_telegrams_limit() {
    use teloxide::utils::command::BotCommands;
    let i18n = I18n::new();
    for lang in Lang::ALL {
        for c in crate::bot::commands::Command::bot_commands() {
            let key = crate::bot::labels::command(&c.command);
            let text = i18n.try_tr(lang, &key, &[]).unwrap();
            assert!(
                !text.contains(['<', '&']) && (3..=256).contains(&text.chars().count()),
                "{key}"
            );
        }
    }
}

#[test]
fn a_missing_key_returns_the_key_itself() {
    let i18n = I18n::new();
    assert_eq!(i18n.tr(Lang::Uk, "no-such-key", &[]), "no-such-key");
    assert!(matches!(i18n.try_tr(Lang::Uk, "no-such-key", &[]), Err(I18nError::MissingKey { .. })));
}

#[test]
fn a_missing_argument_is_reported_by_try_tr() {
    let i18n = I18n::new();
    assert!(matches!(i18n.try_tr(Lang::En, "caption-score", &[]), Err(I18nError::Format { .. })));
}

#[test]
fn language_names_are_identical_in_every_locale() {
    let i18n = I18n::new();
    for key in ["lang-name-ru", "lang-name-uk", "lang-name-en"] {
        let en = i18n.tr(Lang::En, key, &[]);
        for lang in Lang::ALL {
            assert_eq!(i18n.tr(lang, key, &[]), en);
        }
    }
    assert_eq!(i18n.tr(Lang::En, "lang-name-uk", &[]), "Українська");
}

#[test]
fn telegram_language_codes_map_to_interface_languages() {
    assert_eq!(Lang::from_telegram(Some("ru")), Some(Lang::Ru));
    assert_eq!(Lang::from_telegram(Some("ru-RU")), Some(Lang::Ru));
    assert_eq!(Lang::from_telegram(Some("uk")), Some(Lang::Uk));
    assert_eq!(Lang::from_telegram(Some("uk-UA")), Some(Lang::Uk));
    assert_eq!(Lang::from_telegram(Some("en-GB")), Some(Lang::En));
    assert_eq!(Lang::from_telegram(Some("cs")), None);
    assert_eq!(Lang::from_telegram(Some("")), None);
    assert_eq!(Lang::from_telegram(None), None);
}

#[test]
fn codes_round_trip() {
    for l in Lang::ALL {
        assert_eq!(Lang::parse(l.code()), Some(l));
        assert_eq!(serde_json::to_value(l).unwrap(), l.code());
    }
    assert_eq!(Lang::parse("de"), None);
}

#[test]
fn i18n_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<I18n>();
}
