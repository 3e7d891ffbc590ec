//! Who may talk to Honzík: everyone (public, the default) or only the allow-list; banned users
//! never. Admins are always let in (a mistaken allow-list must not lock them out), and can never
//! be banned.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessMode {
    Public,
    AllowList,
}

impl AccessMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::AllowList => "allowlist",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "public" => Some(Self::Public),
            "allowlist" | "allow-list" => Some(Self::AllowList),
            _ => None,
        }
    }
}

/// What happens to an update from someone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Let,
    Banned,
    NotAllowed,
}

pub fn admit(mode: AccessMode, is_admin: bool, banned: bool, on_list: bool) -> Admission {
    if is_admin {
        Admission::Let
    } else if banned {
        Admission::Banned
    } else if mode == AccessMode::AllowList && !on_list {
        Admission::NotAllowed
    } else {
        Admission::Let
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bans_win_over_the_list_and_admins_always_get_in() {
        use AccessMode::*;
        assert_eq!(admit(Public, false, false, false), Admission::Let);
        assert_eq!(admit(Public, false, true, true), Admission::Banned);
        assert_eq!(admit(AllowList, false, false, false), Admission::NotAllowed);
        assert_eq!(admit(AllowList, false, false, true), Admission::Let);
        assert_eq!(admit(AllowList, false, true, true), Admission::Banned);
        assert_eq!(admit(AllowList, true, true, false), Admission::Let);
        assert_eq!(AccessMode::parse(" AllowList "), Some(AllowList));
        assert_eq!(AccessMode::parse("closed"), None);
    }
}
