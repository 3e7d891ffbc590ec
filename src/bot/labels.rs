//! Locale keys built at run time (a setting's value, a command's menu line, a weekday), in one
//! place, so a test can check that each of them exists in every locale.

use chrono::Weekday;
use teloxide::utils::command::BotCommands;

use super::commands::Command;
use crate::i18n::{I18n, Lang};
use crate::settings::{Level, Setting, SettingKind};

pub fn lang_name(l: Lang) -> String {
    format!("lang-name-{}", l.code())
}

pub fn level(l: Level) -> String {
    format!("level-{}", l.as_str())
}

/// A setting's name as a heading, e.g. "🎭 Honzík's manner".
pub fn setting_title(kind: SettingKind) -> String {
    format!("setting-{}", kind.as_str())
}

/// One line on what a setting changes.
pub fn setting_about(kind: SettingKind) -> String {
    format!("about-{}", kind.as_str())
}

/// The label of a setting's value. Time zones have none: their IANA name is shown as it is.
pub fn setting_value(s: Setting) -> Option<String> {
    Some(match s {
        Setting::Level(l) => level(l),
        Setting::Language(l) => lang_name(l),
        Setting::Timezone(_) => return None,
        other => format!("{}-{}", other.kind().as_str(), other.value_str()),
    })
}

/// The value shown for a setting: its label, or a time zone's name.
pub fn value_text(i18n: &I18n, lang: Lang, s: Setting) -> String {
    match setting_value(s) {
        Some(key) => i18n.tr(lang, &key, &[]),
        None => s.value_str().to_owned(),
    }
}

/// The menu line of a command (plain text, Telegram shows it in the `/` menu).
pub fn command(name: &str) -> String {
    format!("cmd-{}", name.trim_start_matches('/'))
}

pub fn weekday(w: Weekday) -> String {
    format!("weekday-{}", w.num_days_from_monday() + 1)
}

/// Every key this module can build.
pub fn all_keys() -> Vec<String> {
    let mut keys: Vec<String> =
        Lang::ALL.map(lang_name).into_iter().chain(Level::ALL.map(level)).collect();
    for kind in SettingKind::ALL {
        keys.extend([setting_title(kind), setting_about(kind)]);
        let choices =
            if kind == SettingKind::Timezone { Vec::new() } else { Setting::choices(kind) };
        keys.extend(choices.into_iter().filter_map(setting_value));
    }
    keys.extend(Command::bot_commands().iter().map(|c| command(&c.command)));
    let week = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    keys.extend(week.map(weekday));
    keys
}
