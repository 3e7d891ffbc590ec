//! Inline keyboards, labelled from the locales and wired to typed callbacks.
//!
//! Button labels are plain text (Telegram does not parse them), so words inserted into them
//! are not HTML-escaped.

use std::collections::HashSet;

use entity::saved_words;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::callback::Callback;
use super::labels;
use super::views::clip;
use crate::i18n::{I18n, Lang};
use crate::progress::zones;
use crate::settings::{Level, Setting, SettingKind};
use crate::store::learners::Learner;
use crate::words::Candidate;

/// Longest word shown on a button; Telegram cuts long labels anyway, less tidily.
const LABEL_CHARS: usize = 24;

fn button(label: impl Into<String>, cb: Callback) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label, cb.encode())
}

fn in_rows(buttons: Vec<InlineKeyboardButton>, per_row: usize) -> Vec<Vec<InlineKeyboardButton>> {
    buttons.chunks(per_row).map(<[_]>::to_vec).collect()
}

fn ticked(label: String, current: bool) -> String {
    if current { format!("✓ {label}") } else { label }
}

/// Interface languages, the learner's own (from Telegram) first and marked.
pub fn languages(i18n: &I18n, preselected: Lang) -> InlineKeyboardMarkup {
    let mut langs = Lang::ALL.to_vec();
    langs.sort_by_key(|l| *l != preselected);
    let row: Vec<_> = langs
        .into_iter()
        .map(|l| {
            button(
                ticked(i18n.tr(l, &labels::lang_name(l), &[]), l == preselected),
                Callback::Lang(l),
            )
        })
        .collect();
    InlineKeyboardMarkup::new([row])
}

/// The one-tap daily reminder at `at` (local time), or no thanks (end of onboarding).
pub fn remind_offer(i18n: &I18n, lang: Lang, at: chrono::NaiveTime) -> InlineKeyboardMarkup {
    use chrono::Timelike;
    let time = at.format("%H:%M").to_string();
    let minute = (at.hour() * 60 + at.minute()) as u16;
    InlineKeyboardMarkup::new([vec![
        button(
            i18n.tr(lang, "remind-offer-yes", &[("time", time.as_str().into())]),
            Callback::RemindAccept { minute },
        ),
        button(i18n.tr(lang, "remind-offer-no", &[]), Callback::RemindDecline),
    ]])
}

/// Czech levels, two per row (onboarding).
pub fn levels(i18n: &I18n, lang: Lang) -> InlineKeyboardMarkup {
    let buttons = Level::ALL
        .iter()
        .map(|l| button(i18n.tr(lang, &labels::level(*l), &[]), Callback::Level(*l)))
        .collect();
    InlineKeyboardMarkup::new(in_rows(buttons, 2))
}

/// The choices of a setting, the current one ticked. Time zones: the usual ones for the
/// learner's language, and "Other…" to type one.
pub fn setting(i18n: &I18n, learner: &Learner, kind: SettingKind) -> InlineKeyboardMarkup {
    let current = learner.setting(kind);
    let choices = match kind {
        SettingKind::Timezone => {
            zones::common(learner.lang).iter().map(|tz| Setting::Timezone(*tz)).collect()
        }
        _ => Setting::choices(kind),
    };
    let buttons = choices
        .into_iter()
        .map(|s| {
            button(
                ticked(labels::value_text(i18n, learner.lang, s), s == current),
                Callback::Set(s),
            )
        })
        .collect();
    let mut rows = in_rows(buttons, 2);
    if kind == SettingKind::Timezone {
        rows.push(vec![button(i18n.tr(learner.lang, "tz-other", &[]), Callback::TypeTimezone)]);
    }
    InlineKeyboardMarkup::new(rows)
}

/// Yes / no under a question.
pub fn confirm(
    i18n: &I18n,
    lang: Lang,
    (yes_key, yes): (&str, Callback),
    (no_key, no): (&str, Callback),
) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([vec![
        button(i18n.tr(lang, yes_key, &[]), yes),
        button(i18n.tr(lang, no_key, &[]), no),
    ]])
}

/// "➕ word" under a turn for each word that can be saved, "✅ word" once saved.
pub fn save_words(
    candidates: &[Candidate],
    saved: &HashSet<String>,
    honzik_message: i64,
) -> Option<InlineKeyboardMarkup> {
    let buttons: Vec<_> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mark = if saved.contains(&c.key) { "✅" } else { "➕" };
            button(
                format!("{mark} {}", clip(&c.czech, LABEL_CHARS)),
                Callback::Save { message: honzik_message, index: i as u8 },
            )
        })
        .collect();
    (!buttons.is_empty()).then(|| InlineKeyboardMarkup::new(in_rows(buttons, 2)))
}

/// A 🗑 button per word on the page, then ◀️ ▶️ where there is a page to go to.
pub fn saved_page(
    words: &[saved_words::Model],
    page: u32,
    pages: u32,
) -> Option<InlineKeyboardMarkup> {
    let remove = words
        .iter()
        .map(|w| {
            button(
                format!("🗑 {}", clip(&w.czech, LABEL_CHARS)),
                Callback::Unsave { word: w.id, page },
            )
        })
        .collect();
    let mut rows = in_rows(remove, 2);
    let mut nav = Vec::new();
    if page > 0 {
        nav.push(button("◀️", Callback::SavedPage(page - 1)));
    }
    if page + 1 < pages {
        nav.push(button("▶️", Callback::SavedPage(page + 1)));
    }
    if !nav.is_empty() {
        rows.push(nav);
    }
    (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
}
