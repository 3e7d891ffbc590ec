//! Interface texts via Fluent.
//!
//! All texts live in `locales/{ru,uk,en}/main.ftl`, embedded at compile time
//! so a deployed binary can never miss a file. Texts are Telegram HTML; every
//! text argument is escaped here, at the single point of insertion, so no
//! caller can inject markup by accident (learner names, transcripts, …).

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use unic_langid::{LanguageIdentifier, langid};

/// Interface (and explanation) language of a learner.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ru,
    Uk,
    En,
}

impl Lang {
    /// Every interface language, in button order.
    pub const ALL: [Lang; 3] = [Lang::Ru, Lang::Uk, Lang::En];

    /// ISO 639-1 code; also the database value and callback data.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::Uk => "uk",
            Lang::En => "en",
        }
    }

    /// Inverse of [`Lang::code`], case-insensitive.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim();
        Lang::ALL.into_iter().find(|l| l.code().eq_ignore_ascii_case(s))
    }

    /// Guesses the interface language from Telegram's `language_code`
    /// (an IETF tag such as "ru", "uk-UA", "en-GB"). `None` means "ask".
    pub fn from_telegram(language_code: Option<&str>) -> Option<Lang> {
        let code = language_code?.trim();
        let primary = code.split(['-', '_']).next().unwrap_or("");
        Lang::parse(primary)
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Lang::Ru => langid!("ru"),
            Lang::Uk => langid!("uk"),
            Lang::En => langid!("en"),
        }
    }

    fn index(self) -> usize {
        match self {
            Lang::Ru => 0,
            Lang::Uk => 1,
            Lang::En => 2,
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::Ru => include_str!("../locales/ru/main.ftl"),
            Lang::Uk => include_str!("../locales/uk/main.ftl"),
            Lang::En => include_str!("../locales/en/main.ftl"),
        }
    }
}

/// Errors of the i18n layer. `tr` never fails (it degrades and logs);
/// `try_tr` exposes them for tests and diagnostics.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum I18nError {
    #[error("missing message `{key}` in {lang}")]
    MissingKey { lang: &'static str, key: String },
    #[error("message `{key}` in {lang} has no value")]
    NoValue { lang: &'static str, key: String },
    #[error("formatting `{key}` in {lang} failed: {errors}")]
    Format { lang: &'static str, key: String, errors: String },
}

/// An argument for a message. Text is HTML-escaped on insertion; numbers stay
/// Fluent numbers so plural selectors (one/few/many) work.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arg<'a> {
    Text(&'a str),
    Num(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(s)
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(s)
    }
}
impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Num(n)
    }
}
impl From<i32> for Arg<'_> {
    fn from(n: i32) -> Self {
        Arg::Num(n.into())
    }
}
impl From<u32> for Arg<'_> {
    fn from(n: u32) -> Self {
        Arg::Num(n.into())
    }
}
impl From<u8> for Arg<'_> {
    fn from(n: u8) -> Self {
        Arg::Num(n.into())
    }
}
impl From<usize> for Arg<'_> {
    fn from(n: usize) -> Self {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// Escapes text for Telegram's HTML parse mode. Telegram only requires
/// `<`, `>` and `&`; `"` is escaped too so the result is also safe inside
/// attribute values (`<a href="…">`).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// All interface texts, built once at start-up and shared (`Send + Sync`).
pub struct I18n {
    bundles: Vec<FluentBundle<FluentResource>>,
}

impl Default for I18n {
    fn default() -> Self {
        Self::new()
    }
}

impl I18n {
    /// Parses the embedded locale files.
    ///
    /// # Panics
    /// If a locale file does not parse. That is a build defect, caught by
    /// this module's tests, so failing loudly at start-up is right.
    pub fn new() -> I18n {
        let bundles = Lang::ALL
            .into_iter()
            .map(|lang| {
                let resource = FluentResource::try_new(lang.source().to_owned()).unwrap_or_else(
                    |(_, errs)| panic!("locales/{}/main.ftl does not parse: {errs:?}", lang.code()),
                );
                let mut bundle = FluentBundle::new_concurrent(vec![lang.langid()]);
                // Unicode isolation marks would show up as garbage in Telegram.
                bundle.set_use_isolating(false);
                bundle.add_resource(resource).unwrap_or_else(|errs| {
                    panic!("locales/{}/main.ftl has duplicate keys: {errs:?}", lang.code())
                });
                bundle
            })
            .collect();
        I18n { bundles }
    }

    /// Translates `key` (or `message.attribute`). Never fails: a missing key
    /// yields the key itself and a formatting problem yields the best-effort
    /// text, both logged, because a slightly wrong message beats no reply.
    pub fn tr(&self, lang: Lang, key: &str, args: &[(&str, Arg)]) -> String {
        match self.format(lang, key, args) {
            Ok(text) => text,
            Err((text, err)) => {
                tracing::warn!(%err, "i18n");
                text
            }
        }
    }

    /// Like [`I18n::tr`] but reports any problem instead of degrading.
    pub fn try_tr(&self, lang: Lang, key: &str, args: &[(&str, Arg)]) -> Result<String, I18nError> {
        self.format(lang, key, args).map_err(|(_, e)| e)
    }

    /// Formats, returning the fallback text alongside an error.
    fn format(
        &self,
        lang: Lang,
        key: &str,
        args: &[(&str, Arg)],
    ) -> Result<String, (String, I18nError)> {
        let bundle = &self.bundles[lang.index()];
        let (id, attr) = match key.split_once('.') {
            Some((id, attr)) => (id, Some(attr)),
            None => (key, None),
        };
        let missing = || {
            let e = I18nError::MissingKey { lang: lang.code(), key: key.to_owned() };
            (key.to_owned(), e)
        };
        let msg = bundle.get_message(id).ok_or_else(missing)?;
        let pattern = match attr {
            Some(a) => msg.get_attribute(a).ok_or_else(missing)?.value(),
            None => msg.value().ok_or_else(|| {
                let e = I18nError::NoValue { lang: lang.code(), key: key.to_owned() };
                (key.to_owned(), e)
            })?,
        };
        let mut fargs = FluentArgs::new();
        for (name, arg) in args {
            let value = match arg {
                Arg::Text(t) => FluentValue::from(escape_html(t)),
                Arg::Num(n) => FluentValue::from(*n),
            };
            fargs.set(name.to_string(), value);
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fargs), &mut errors).into_owned();
        if errors.is_empty() {
            Ok(text)
        } else {
            let e = I18nError::Format {
                lang: lang.code(),
                key: key.to_owned(),
                errors: format!("{errors:?}"),
            };
            Err((text, e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Source directories whose string literals shaped like a key (`word-word…`) are keys.
    /// Elsewhere such literals are mostly model names ("gpt-4o-mini").
    const UI_SOURCES: &[&str] = &["src/bot", "src/turn", "src/intake"];

    /// String literals in `src` before its first `#[cfg(test)]` (tests use made-up keys),
    /// skipping `'"'` character literals. Escapes are kept as written: keys have none.
    fn string_literals(src: &str) -> Vec<String> {
        let code = src.split("#[cfg(test)]").next().unwrap_or("").replace("'\"'", "");
        let mut out = Vec::new();
        let mut chars = code.chars();
        while let Some(c) = chars.next() {
            if c != '"' {
                continue;
            }
            let mut lit = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        lit.push(c);
                        lit.extend(chars.next());
                    }
                    '"' => break,
                    _ => lit.push(c),
                }
            }
            out.push(lit);
        }
        out
    }

    fn looks_like_key(s: &str) -> bool {
        s.contains('-')
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            && !s.ends_with('-')
    }

    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Every key the code uses: the literal ones found in the UI sources, and the ones built
    /// at run time (settings values, command menu lines, weekdays).
    fn keys_used_in_code() -> BTreeSet<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in UI_SOURCES {
            rust_files(&root.join(dir), &mut files);
        }
        let mut keys: BTreeSet<String> = files
            .iter()
            .flat_map(|f| string_literals(&std::fs::read_to_string(f).unwrap()))
            .filter(|l| looks_like_key(l))
            .collect();
        keys.extend(crate::bot::labels::all_keys());
        keys
    }

    /// Message ids and `id.attribute` names declared in an FTL source,
    /// found line by line (fluent-syntax's AST is not re-exported).
    fn declared_keys(src: &str) -> BTreeSet<String> {
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

    fn sample_args() -> Vec<(&'static str, Arg<'static>)> {
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
            ("total", Arg::Num(300)),
            ("page", Arg::Num(2)),
            ("pages", Arg::Num(38)),
            ("best", Arg::Num(9)),
            ("turns", Arg::Num(3)),
            ("words", Arg::Num(40)),
            ("saved", Arg::Num(12)),
            ("goal", Arg::Num(5)),
            ("messages", Arg::Num(24)),
            ("audio", Arg::Num(12)),
            // Admin texts (issue 8).
            ("cap", Arg::Text("$0.50")),
            ("spent", Arg::Text("$0.50")),
            ("left", Arg::Text("$0.50")),
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
            ("grade", Arg::Text("🙂 Good")),
            ("done", Arg::Num(5)),
            ("again", Arg::Num(1)),
            ("hard", Arg::Num(1)),
            ("good", Arg::Num(2)),
            ("easy", Arg::Num(1)),
            ("kind", Arg::Text("Gender")),
            ("count", Arg::Num(3)),
            ("trend", Arg::Text("↗")),
            ("previous", Arg::Num(2)),
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
    fn the_scan_reads_literals_as_the_compiler_does() {
        let src = r#"tr(l, "a-key", &[]); let q = '"'; f("with \" quote", "b-key");
            #[cfg(test)] mod tests { "test-only-key" }"#;
        let lits = string_literals(src);
        assert_eq!(lits, ["a-key", "with \\\" quote", "b-key"]);
        assert!(
            looks_like_key("cmd-delete_me") && !looks_like_key("gpt 4") && !looks_like_key("plain")
        );
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
        assert!(matches!(
            i18n.try_tr(Lang::Uk, "no-such-key", &[]),
            Err(I18nError::MissingKey { .. })
        ));
    }

    #[test]
    fn a_missing_argument_is_reported_by_try_tr() {
        let i18n = I18n::new();
        assert!(matches!(
            i18n.try_tr(Lang::En, "caption-score", &[]),
            Err(I18nError::Format { .. })
        ));
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
    fn escape_html_escapes_the_four_specials_and_keeps_emoji() {
        assert_eq!(escape_html("a<b>&\"c\" 🍺"), "a&lt;b&gt;&amp;&quot;c&quot; 🍺");
    }

    #[test]
    fn i18n_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<I18n>();
    }
}
