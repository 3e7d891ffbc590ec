//! The arguments of the admin commands, parsed into types. Every refusal says which usage line
//! to show and, for amounts, why (negative, not a number), so a typo never changes a setting.

use super::access::AccessMode;
use super::quota::{Allowance, AmountError, parse_allowance, parse_dollars};
use crate::i18n::Lang;

/// A learner named by an admin: a numeric Telegram id or an `@username`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserRef {
    Id(i64),
    Username(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuotaArgs {
    Show,
    Default(Allowance),
    /// A learner's own allowance; `None` = back to the default.
    User(UserRef, Option<Allowance>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpendCapArgs {
    Show,
    /// Micro-dollars per UTC day; `None` = no cap.
    Set(Option<i64>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessArgs {
    Show,
    Mode(AccessMode),
    Allow(UserRef),
    Deny(UserRef),
}

/// Who a broadcast goes to: every active learner, or those with one interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    All,
    Lang(Lang),
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Lang(l) => l.code(),
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("all") { Some(Self::All) } else { Lang::parse(s).map(Self::Lang) }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BroadcastArgs {
    pub audience: Audience,
    pub text: String,
}

/// Telegram's limit for a message's text; a broadcast longer than this could not be sent.
pub const MAX_BROADCAST_CHARS: usize = 4000;

/// Why arguments were refused: the locale key of the reason, if more than "see the usage".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    pub reason: Option<&'static str>,
}

const USAGE: Refused = Refused { reason: None };

impl From<AmountError> for Refused {
    fn from(e: AmountError) -> Self {
        Refused {
            reason: Some(match e {
                AmountError::Negative => "admin-negative",
                AmountError::NotANumber => "admin-not-a-number",
                AmountError::TooLarge => "admin-too-large",
            }),
        }
    }
}

pub fn user_ref(s: &str) -> Result<UserRef, Refused> {
    let s = s.trim();
    if let Some(name) = s.strip_prefix('@') {
        let ok = (1..=32).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        return if ok { Ok(UserRef::Username(name.to_owned())) } else { Err(USAGE) };
    }
    match s.parse::<i64>() {
        Ok(id) if id > 0 => Ok(UserRef::Id(id)),
        _ => Err(USAGE),
    }
}

/// Exactly one learner: `/user 42`, `/ban @olga`.
pub fn one_user(args: &str) -> Result<UserRef, Refused> {
    let words: Vec<&str> = args.split_whitespace().collect();
    match words.as_slice() {
        [one] => user_ref(one),
        _ => Err(USAGE),
    }
}

/// `/quota`, `/quota default 0.5|unlimited`, `/quota <user> 0.2|0|unlimited|default`.
pub fn quota(args: &str) -> Result<QuotaArgs, Refused> {
    let words: Vec<&str> = args.split_whitespace().collect();
    match words.as_slice() {
        [] => Ok(QuotaArgs::Show),
        ["default", amount] => Ok(QuotaArgs::Default(parse_allowance(amount)?)),
        [user, "default"] => Ok(QuotaArgs::User(user_ref(user)?, None)),
        [user, amount] => Ok(QuotaArgs::User(user_ref(user)?, Some(parse_allowance(amount)?))),
        _ => Err(USAGE),
    }
}

/// `/spend_cap`, `/spend_cap 20`, `/spend_cap off`.
pub fn spend_cap(args: &str) -> Result<SpendCapArgs, Refused> {
    let words: Vec<&str> = args.split_whitespace().collect();
    match words.as_slice() {
        [] => Ok(SpendCapArgs::Show),
        ["off"] => Ok(SpendCapArgs::Set(None)),
        [amount] => Ok(SpendCapArgs::Set(Some(parse_dollars(amount)?))),
        _ => Err(USAGE),
    }
}

/// `/access`, `/access public|allowlist`, `/access allow|deny <user>`.
pub fn access(args: &str) -> Result<AccessArgs, Refused> {
    let words: Vec<&str> = args.split_whitespace().collect();
    match words.as_slice() {
        [] => Ok(AccessArgs::Show),
        [mode] => AccessMode::parse(mode).map(AccessArgs::Mode).ok_or(USAGE),
        ["allow", user] => Ok(AccessArgs::Allow(user_ref(user)?)),
        ["deny", user] => Ok(AccessArgs::Deny(user_ref(user)?)),
        _ => Err(USAGE),
    }
}

/// `/broadcast [all|ru|uk|en] <text>`: the audience word is optional (all), the text is not.
/// Line breaks in the text are kept.
pub fn broadcast(args: &str) -> Result<BroadcastArgs, Refused> {
    let args = args.trim();
    let (first, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let (audience, text) = match Audience::parse(first) {
        Some(a) => (a, rest.trim()),
        None => (Audience::All, args),
    };
    if text.is_empty() {
        return Err(USAGE);
    }
    if text.chars().count() > MAX_BROADCAST_CHARS {
        return Err(Refused { reason: Some("admin-too-long") });
    }
    Ok(BroadcastArgs { audience, text: text.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_named_by_id_or_username_and_nothing_else() {
        assert_eq!(one_user("42"), Ok(UserRef::Id(42)));
        assert_eq!(one_user(" @olga_k "), Ok(UserRef::Username("olga_k".into())));
        for bad in ["", "-5", "0", "abc", "@", "@ol ga", "42 43", "@o-l", "4.2"] {
            assert_eq!(one_user(bad), Err(USAGE), "{bad:?}");
        }
    }

    #[test]
    fn quota_arguments_cover_default_override_reset_and_refuse_bad_amounts() {
        assert_eq!(quota(""), Ok(QuotaArgs::Show));
        assert_eq!(quota("default 0.5"), Ok(QuotaArgs::Default(Allowance::Daily(500_000))));
        assert_eq!(quota("default unlimited"), Ok(QuotaArgs::Default(Allowance::Unlimited)));
        assert_eq!(quota("42 0"), Ok(QuotaArgs::User(UserRef::Id(42), Some(Allowance::Daily(0)))));
        assert_eq!(
            quota("@olga default"),
            Ok(QuotaArgs::User(UserRef::Username("olga".into()), None))
        );
        assert_eq!(quota("42 -1"), Err(Refused { reason: Some("admin-negative") }));
        assert_eq!(quota("default lots"), Err(Refused { reason: Some("admin-not-a-number") }));
        assert_eq!(quota("42"), Err(USAGE));
        assert_eq!(quota("x 1"), Err(USAGE));
        assert_eq!(quota("42 1 2"), Err(USAGE));
    }

    #[test]
    fn spend_cap_and_access_arguments() {
        assert_eq!(spend_cap(""), Ok(SpendCapArgs::Show));
        assert_eq!(spend_cap("off"), Ok(SpendCapArgs::Set(None)));
        assert_eq!(spend_cap("$20"), Ok(SpendCapArgs::Set(Some(20_000_000))));
        assert_eq!(spend_cap("-3"), Err(Refused { reason: Some("admin-negative") }));
        assert_eq!(spend_cap("1 2"), Err(USAGE));
        assert_eq!(access(""), Ok(AccessArgs::Show));
        assert_eq!(access("allowlist"), Ok(AccessArgs::Mode(AccessMode::AllowList)));
        assert_eq!(access("public"), Ok(AccessArgs::Mode(AccessMode::Public)));
        assert_eq!(access("allow 7"), Ok(AccessArgs::Allow(UserRef::Id(7))));
        assert_eq!(access("deny @x"), Ok(AccessArgs::Deny(UserRef::Username("x".into()))));
        assert_eq!(access("open"), Err(USAGE));
        assert_eq!(access("allow"), Err(USAGE));
    }

    #[test]
    fn a_broadcast_needs_text_and_may_name_a_language() {
        assert_eq!(
            broadcast("Ahoj všichni!"),
            Ok(BroadcastArgs { audience: Audience::All, text: "Ahoj všichni!".into() })
        );
        assert_eq!(
            broadcast("ru Привет\nвсем"),
            Ok(BroadcastArgs {
                audience: Audience::Lang(Lang::Ru), text: "Привет\nвсем".into()
            })
        );
        assert_eq!(
            broadcast("all hi"),
            Ok(BroadcastArgs { audience: Audience::All, text: "hi".into() })
        );
        assert_eq!(broadcast(""), Err(USAGE));
        assert_eq!(broadcast("uk"), Err(USAGE));
        assert_eq!(broadcast(&"a".repeat(4001)), Err(Refused { reason: Some("admin-too-long") }));
    }
}
