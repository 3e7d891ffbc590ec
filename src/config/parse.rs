//! Reading one value: URLs, switches, numbers within bounds, rates — each failure a
//! `ConfigError` naming the variable — and redacting secrets from what is shown.

use super::ConfigError;

/// What a secret prints as in `Debug`.
pub(super) const HIDDEN: &str = "***";

pub(super) fn parse_url(var: &'static str, value: &str) -> Result<url::Url, ConfigError> {
    url::Url::parse(value).ok().filter(|u| matches!(u.scheme(), "http" | "https")).ok_or_else(
        || ConfigError::Invalid {
            var,
            value: value.to_owned(),
            hint: "expected an http(s) URL such as http://127.0.0.1:8081".into(),
        },
    )
}

pub(super) fn parse_bool(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match var(name).as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError::Invalid {
            var: name,
            value: other.into(),
            hint: "use true or false".into(),
        }),
    }
}

pub(super) fn parse_num<T>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(raw) = var(name) else { return Ok(default) };
    match raw.parse::<T>() {
        Ok(v) if v >= min && v <= max => Ok(v),
        _ => Err(ConfigError::Invalid {
            var: name,
            value: raw,
            hint: format!("a whole number from {min} to {max}"),
        }),
    }
}

/// A send rate: above 0 and at most Telegram's 30 a second for the whole bot (a higher setting
/// would only buy 429s). A chat rate above Telegram's ~1/s makes sense only against a Bot API
/// server without that limit (the tests' emulator).
pub(super) fn parse_rate(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: f64,
) -> Result<f64, ConfigError> {
    let Some(raw) = var(name) else { return Ok(default) };
    match raw.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 30.0 => Ok(v),
        _ => Err(ConfigError::Invalid {
            var: name,
            value: raw,
            hint: "a number above 0 and at most 30 (Telegram's limit), e.g. 29".into(),
        }),
    }
}

/// A URL fit for a log line or an error message: the user, the password, the query (where
/// `?password=`, `?sslpassword=` or a signed token hides) and the fragment are masked; the
/// scheme, host, port and path stay, which is what a reader needs to tell one server from another.
/// Text that is not a URL keeps only what follows its last `@` and precedes any `?`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if !u.username().is_empty() {
                let _ = u.set_username(HIDDEN);
            }
            if u.password().is_some() {
                let _ = u.set_password(Some(HIDDEN));
            }
            if u.query().is_some() {
                u.set_query(Some(HIDDEN));
            }
            if u.fragment().is_some() {
                u.set_fragment(Some(HIDDEN));
            }
            let shown = u.to_string();
            // A URL without a host ("sqlite:user:pw@x") keeps its text in the path.
            if shown.contains('@') && u.host().is_none() { redact_text(url) } else { shown }
        }
        Err(_) => redact_text(url),
    }
}

pub(super) fn redact_text(text: &str) -> String {
    let (rest, query) = match text.split_once('?') {
        Some((rest, _)) => (rest, format!("?{HIDDEN}")),
        None => (text, String::new()),
    };
    match rest.rsplit_once('@') {
        Some((before, after)) => {
            let scheme =
                before.split_once("://").map(|(s, _)| format!("{s}://")).unwrap_or_default();
            format!("{scheme}{HIDDEN}@{after}{query}")
        }
        None => format!("{rest}{query}"),
    }
}
