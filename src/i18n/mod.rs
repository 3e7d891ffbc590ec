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

/// Kept here for the callers that import it from `i18n`; it lives with Telegram's HTML.
pub use crate::html::escape_html;

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
            Lang::Ru => include_str!("../../locales/ru/main.ftl"),
            Lang::Uk => include_str!("../../locales/uk/main.ftl"),
            Lang::En => include_str!("../../locales/en/main.ftl"),
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
mod native_tests;
#[cfg(test)]
mod scan;
#[cfg(test)]
mod tests;
