//! Typed callback data: one enum for every button the bot sends.
//!
//! Telegram allows 64 bytes of callback data; every variant encodes to a short `tag:value…`
//! form and decodes with validation, so a forged or outdated button can never reach a handler
//! as anything but `None`. Buttons about stored things carry ids (a saved word, Honzík's stored
//! answer and a word's index in it), never the text itself, which could overflow the limit.

use std::str::FromStr;

use crate::i18n::Lang;
use crate::settings::{Level, Setting, SettingKind};
use crate::words::MAX_CANDIDATES;

/// Telegram's hard limit for `callback_data`.
pub const MAX_CALLBACK_BYTES: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Callback {
    /// Interface language chosen (onboarding).
    Lang(Lang),
    /// Czech level chosen (onboarding).
    Level(Level),
    /// A choice under a settings command (`/style`, `/timezone`, …).
    Set(Setting),
    /// "Other…" under `/timezone`: the learner will type the zone.
    TypeTimezone,
    /// `/reset` confirmed, for the conversation that was current when asked.
    ResetYes {
        conversation: i64,
    },
    ResetNo,
    /// `/delete_me` confirmed, with the learner's deletion count when asked, so a second press
    /// after the deletion finds the count moved on and deletes nothing.
    DeleteYes {
        deletions: i32,
    },
    DeleteNo,
    /// Save word `index` (see [`crate::words::candidates`]) of Honzík's answer stored as `message`.
    Save {
        message: i64,
        index: u8,
    },
    /// Remove a saved word from the `/saved` list showing `page`.
    Unsave {
        word: i64,
        page: u32,
    },
    /// Show page `n` (from 0) of `/saved`.
    SavedPage(u32),
    /// An admin's broadcast draft `id` confirmed / cancelled (see `handlers::broadcast`).
    BroadcastYes {
        id: i64,
    },
    BroadcastNo {
        id: i64,
    },
    /// Reveal the answer of card `position` of review session `session`.
    ReviewShow {
        session: i64,
        position: u32,
    },
    /// Grade card `position` of review session `session` (1 again … 4 easy, see `review::Grade`).
    ReviewGrade {
        session: i64,
        position: u32,
        grade: u8,
    },
    /// End review session `session` now.
    ReviewEnd {
        session: i64,
    },
    /// Play scene number `n` of `practice::scenes::all()` (the `/scene` menu).
    ScenePick(u8),
    /// The next useful phrase in scene session `session`.
    SceneHint {
        session: i64,
    },
    /// End scene session `session` now, with its debrief.
    SceneEnd {
        session: i64,
    },
    /// The next item of dictation session `session`, after the quiz at `position`.
    ListenNext {
        session: i64,
        position: u32,
    },
    /// End dictation session `session` now.
    ListenEnd {
        session: i64,
    },
    /// Another phrase in shadowing session `session`.
    ShadowNext {
        session: i64,
    },
    /// End shadowing session `session`.
    ShadowEnd {
        session: i64,
    },
    /// The one-tap daily reminder offered at the end of onboarding, accepted: remind at
    /// `minute` after local midnight (the offered time travels with the button, so the
    /// reminder is set at exactly the time the learner read).
    RemindAccept {
        minute: u16,
    },
    /// The reminder offer declined: it is not made again.
    RemindDecline,
    /// The placement test (`/placement`), from its first item: taken at the end of onboarding,
    /// or started over when one is under way.
    PlacementStart,
    /// The placement test under way, carried on at its stored step.
    PlacementResume,
    /// The placement test under way, stopped (the level stays as it is).
    PlacementStop,
    /// The placement offered at the end of onboarding, skipped (the reminder offer follows).
    PlacementSkip,
}

/// Minutes in a day: a reminder's `minute` is below it.
const DAY_MINUTES: u16 = 24 * 60;

impl Callback {
    pub fn encode(self) -> String {
        let s = match self {
            Self::Lang(l) => format!("lang:{}", l.code()),
            Self::Level(l) => format!("level:{}", l.as_str()),
            Self::Set(s) => format!("set:{}:{}", s.kind().as_str(), s.value_str()),
            Self::TypeTimezone => "tz:type".to_owned(),
            Self::ResetYes { conversation } => format!("reset:yes:{conversation}"),
            Self::ResetNo => "reset:no".to_owned(),
            Self::DeleteYes { deletions } => format!("del:yes:{deletions}"),
            Self::DeleteNo => "del:no".to_owned(),
            Self::Save { message, index } => format!("save:{message}:{index}"),
            Self::Unsave { word, page } => format!("unsave:{word}:{page}"),
            Self::SavedPage(n) => format!("saved:{n}"),
            Self::BroadcastYes { id } => format!("bc:yes:{id}"),
            Self::BroadcastNo { id } => format!("bc:no:{id}"),
            Self::ReviewShow { session, position } => format!("rv:s:{session}:{position}"),
            Self::ReviewGrade { session, position, grade } => {
                format!("rv:g:{session}:{position}:{grade}")
            }
            Self::ReviewEnd { session } => format!("rv:e:{session}"),
            Self::ScenePick(n) => format!("sc:p:{n}"),
            Self::SceneHint { session } => format!("sc:h:{session}"),
            Self::SceneEnd { session } => format!("sc:e:{session}"),
            Self::ListenNext { session, position } => format!("ls:n:{session}:{position}"),
            Self::ListenEnd { session } => format!("ls:e:{session}"),
            Self::ShadowNext { session } => format!("sh:n:{session}"),
            Self::ShadowEnd { session } => format!("sh:e:{session}"),
            Self::RemindAccept { minute } => format!("ro:yes:{minute}"),
            Self::RemindDecline => "ro:no".to_owned(),
            Self::PlacementStart => "pl:go".to_owned(),
            Self::PlacementResume => "pl:on".to_owned(),
            Self::PlacementStop => "pl:stop".to_owned(),
            Self::PlacementSkip => "pl:skip".to_owned(),
        };
        debug_assert!(s.len() <= MAX_CALLBACK_BYTES, "{s}");
        s
    }

    pub fn decode(data: &str) -> Option<Callback> {
        if data.len() > MAX_CALLBACK_BYTES {
            return None;
        }
        let parts: Vec<&str> = data.splitn(3, ':').collect();
        Some(match parts.as_slice() {
            ["lang", v] => Self::Lang(Lang::parse(v)?),
            ["level", v] => Self::Level(Level::parse(v)?),
            ["set", kind, value] => Self::Set(Setting::parse(SettingKind::parse(kind)?, value)?),
            ["tz", "type"] => Self::TypeTimezone,
            ["reset", "yes", id] => Self::ResetYes { conversation: number(id)? },
            ["reset", "no"] => Self::ResetNo,
            ["del", "yes", n] => Self::DeleteYes { deletions: number(n)? },
            ["del", "no"] => Self::DeleteNo,
            ["save", message, index] => Self::Save {
                message: number(message)?,
                index: number(index).filter(|i| usize::from(*i) < MAX_CANDIDATES)?,
            },
            ["unsave", word, page] => Self::Unsave { word: number(word)?, page: number(page)? },
            ["saved", n] => Self::SavedPage(number(n)?),
            ["bc", "yes", id] => Self::BroadcastYes { id: number(id)? },
            ["bc", "no", id] => Self::BroadcastNo { id: number(id)? },
            ["rv", op, rest] => review(op, rest)?,
            ["sc", "p", n] => Self::ScenePick(
                number(n).filter(|n| usize::from(*n) < crate::practice::scenes::all().len())?,
            ),
            ["sc", "h", session] => Self::SceneHint { session: number(session)? },
            ["sc", "e", session] => Self::SceneEnd { session: number(session)? },
            ["ls", "n", rest] => match rest.split_once(':') {
                Some((session, position)) => {
                    Self::ListenNext { session: number(session)?, position: number(position)? }
                }
                None => return None,
            },
            ["ls", "e", session] => Self::ListenEnd { session: number(session)? },
            ["sh", "n", session] => Self::ShadowNext { session: number(session)? },
            ["sh", "e", session] => Self::ShadowEnd { session: number(session)? },
            ["ro", "yes", m] => {
                Self::RemindAccept { minute: number(m).filter(|m| *m < DAY_MINUTES)? }
            }
            ["ro", "no"] => Self::RemindDecline,
            ["pl", "go"] => Self::PlacementStart,
            ["pl", "on"] => Self::PlacementResume,
            ["pl", "stop"] => Self::PlacementStop,
            ["pl", "skip"] => Self::PlacementSkip,
            _ => return None,
        })
    }

    /// Every kind of button the bot can send, with extreme values, for exhaustive codec tests.
    pub fn all() -> Vec<Callback> {
        let mut all: Vec<Callback> =
            Lang::ALL.map(Self::Lang).into_iter().chain(Level::ALL.map(Self::Level)).collect();
        all.extend(SettingKind::ALL.into_iter().flat_map(Setting::choices).map(Self::Set));
        let scenes = crate::practice::scenes::all().len() as u8;
        all.extend((0..scenes).map(Self::ScenePick));
        all.extend([Self::TypeTimezone, Self::ResetNo, Self::DeleteNo, Self::RemindDecline]);
        all.extend([
            Self::PlacementStart,
            Self::PlacementResume,
            Self::PlacementStop,
            Self::PlacementSkip,
        ]);
        all.extend([0, DAY_MINUTES - 1].map(|minute| Self::RemindAccept { minute }));
        for (big, small) in [(1, 0), (i64::MAX, u32::MAX)] {
            all.extend([
                Self::ResetYes { conversation: big },
                Self::DeleteYes { deletions: small.min(i32::MAX as u32) as i32 },
                Self::Save { message: big, index: (MAX_CANDIDATES - 1) as u8 },
                Self::Save { message: big, index: 0 },
                Self::Unsave { word: big, page: small },
                Self::SavedPage(small),
                Self::BroadcastYes { id: big },
                Self::BroadcastNo { id: big },
                Self::ReviewShow { session: big, position: small },
                Self::ReviewEnd { session: big },
                Self::SceneHint { session: big },
                Self::SceneEnd { session: big },
                Self::ListenNext { session: big, position: small },
                Self::ListenEnd { session: big },
                Self::ShadowNext { session: big },
                Self::ShadowEnd { session: big },
            ]);
            all.extend(crate::review::Grade::ALL.map(|g| Self::ReviewGrade {
                session: big,
                position: small,
                grade: g.number(),
            }));
        }
        all
    }
}

/// `rv:s:<session>:<position>`, `rv:g:<session>:<position>:<grade>`, `rv:e:<session>`.
fn review(op: &str, rest: &str) -> Option<Callback> {
    let parts: Vec<&str> = rest.split(':').collect();
    Some(match (op, parts.as_slice()) {
        ("s", [session, position]) => {
            Callback::ReviewShow { session: number(session)?, position: number(position)? }
        }
        ("g", [session, position, grade]) => Callback::ReviewGrade {
            session: number(session)?,
            position: number(position)?,
            grade: number(grade).filter(|g| crate::review::Grade::from_number(*g).is_some())?,
        },
        ("e", [session]) => Callback::ReviewEnd { session: number(session)? },
        _ => return None,
    })
}

/// A non-negative decimal number written the one way `encode` writes it (no sign, no leading
/// zeros), so every accepted string round-trips.
fn number<T: FromStr>(s: &str) -> Option<T> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    canonical.then(|| s.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_button_round_trips_within_telegrams_64_bytes() {
        let all = Callback::all();
        assert!(all.len() > 400, "every setting choice, every time zone included");
        for cb in all {
            let data = cb.encode();
            assert!(data.len() <= MAX_CALLBACK_BYTES, "{data}");
            assert_eq!(Callback::decode(&data), Some(cb), "{data}");
        }
    }

    #[test]
    fn every_variant_is_covered_by_all() {
        // Adding a variant without listing it in `all()` fails to compile here.
        for cb in Callback::all() {
            match cb {
                Callback::Lang(_)
                | Callback::Level(_)
                | Callback::Set(_)
                | Callback::TypeTimezone => {}
                Callback::ResetYes { .. }
                | Callback::ResetNo
                | Callback::DeleteYes { .. }
                | Callback::DeleteNo => {}
                Callback::Save { .. } | Callback::Unsave { .. } | Callback::SavedPage(_) => {}
                Callback::BroadcastYes { .. } | Callback::BroadcastNo { .. } => {}
                Callback::ReviewShow { .. }
                | Callback::ReviewGrade { .. }
                | Callback::ReviewEnd { .. } => {}
                Callback::ScenePick(_) | Callback::SceneHint { .. } | Callback::SceneEnd { .. } => {
                }
                Callback::ListenNext { .. } | Callback::ListenEnd { .. } => {}
                Callback::ShadowNext { .. } | Callback::ShadowEnd { .. } => {}
                Callback::RemindAccept { .. } | Callback::RemindDecline => {}
                Callback::PlacementStart
                | Callback::PlacementResume
                | Callback::PlacementStop
                | Callback::PlacementSkip => {}
            }
        }
        let tags: std::collections::BTreeSet<String> = Callback::all()
            .iter()
            .map(|c| c.encode().split(':').take(2).collect::<Vec<_>>().join(":"))
            .collect();
        for tag in [
            "lang:ru",
            "level:native",
            "set:timezone",
            "set:voice",
            "tz:type",
            "reset:yes",
            "reset:no",
            "del:yes",
            "del:no",
            "sc:p",
            "sc:h",
            "sc:e",
            "ls:n",
            "ls:e",
            "sh:n",
            "sh:e",
            "ro:yes",
            "ro:no",
            "pl:go",
            "pl:on",
            "pl:stop",
            "pl:skip",
        ] {
            assert!(tags.iter().any(|t| t == tag), "{tag} missing from all()");
        }
    }

    #[test]
    fn data_the_bot_never_sent_decodes_to_nothing() {
        let junk = [
            "",
            "lang",
            "lang:",
            "lang:de",
            "level:expert",
            "nope:1",
            "lang:ru:extra",
            &"x".repeat(65),
            "set:style",
            "set:style:rude",
            "set:voice:maybe",
            "set:timezone:Mars/Olympus",
            "set:mood:happy",
            "tz",
            "tz:other",
            "reset:yes",
            "reset:yes:-1",
            "reset:yes:+5",
            "reset:yes:007",
            "reset:maybe",
            "del:yes:1.5",
            "del:yes:99999999999",
            "save:1",
            "save:1:6",
            "save:x:1",
            "save:1:1:1",
            "unsave:1",
            "unsave:1:-1",
            "saved:",
            "saved:one",
            "saved:18446744073709551616",
            "bc:yes",
            "bc:yes:-1",
            "bc:maybe:1",
            "rv",
            "rv:s",
            "rv:s:1",
            "rv:s:1:2:3",
            "rv:g:1:2",
            "rv:g:1:2:0",
            "rv:g:1:2:5",
            "rv:g:1:2:03",
            "rv:e",
            "rv:e:1:2",
            "rv:x:1",
            "sc:p:99",
            "sc:p:-1",
            "sc:h",
            "sc:h:1:2",
            "sc:e:x",
            "ls:n:1",
            "ls:n:1:2:3",
            "ls:e",
            "ls:x:1",
            "sh:n",
            "sh:e:1:2",
            "sh:x:1",
            "ro:yes",
            "ro:yes:1440",
            "ro:yes:-1",
            "ro:yes:0600",
            "ro:no:1",
            "pl",
            "pl:",
            "pl:go:1",
            "pl:later",
        ];
        for data in junk {
            assert_eq!(Callback::decode(data), None, "{data:?}");
        }
    }
}
