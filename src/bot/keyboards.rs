//! Inline keyboards, labelled from the locales and wired to typed callbacks.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::callback::Callback;
use crate::i18n::{I18n, Lang};
use crate::settings::Level;

/// Interface languages, the learner's own (from Telegram) first and marked.
pub fn languages(i18n: &I18n, preselected: Lang) -> InlineKeyboardMarkup {
    let mut langs = Lang::ALL.to_vec();
    langs.sort_by_key(|l| *l != preselected);
    let row = langs
        .into_iter()
        .map(|l| {
            let name = i18n.tr(l, &format!("lang-name-{}", l.code()), &[]);
            let label = if l == preselected { format!("✓ {name}") } else { name };
            InlineKeyboardButton::callback(label, Callback::Lang(l).encode())
        })
        .collect::<Vec<_>>();
    InlineKeyboardMarkup::new([row])
}

/// Czech levels, two per row.
pub fn levels(i18n: &I18n, lang: Lang) -> InlineKeyboardMarkup {
    let buttons: Vec<_> = Level::ALL
        .iter()
        .map(|l| InlineKeyboardButton::callback(i18n.tr(lang, &format!("level-{}", l.as_str()), &[]), Callback::Level(*l).encode()))
        .collect();
    InlineKeyboardMarkup::new(buttons.chunks(2).map(|c| c.to_vec()).collect::<Vec<_>>())
}
