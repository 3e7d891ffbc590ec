//! A setting as its command shows it, and the confirmation once it is changed.

use chrono::{DateTime, Utc};

use crate::bot::labels;
use crate::i18n::I18n;
use crate::settings::{Setting, SettingKind};
use crate::store::learners::Learner;

/// "🎭 Honzík's manner: <b>Friendly</b>" and a line on what the setting changes.
pub fn screen(i18n: &I18n, learner: &Learner, kind: SettingKind, now: DateTime<Utc>) -> String {
    let lang = learner.lang;
    let title = i18n.tr(lang, &labels::setting_title(kind), &[]);
    let value = value(i18n, learner, kind, now);
    let line = i18n.tr(
        lang,
        "setting-show",
        &[("setting", title.as_str().into()), ("value", value.as_str().into())],
    );
    format!("{line}\n{}", i18n.tr(lang, &labels::setting_about(kind), &[]))
}

/// "✅ Honzík's manner: Tutor — from your next message on." In the learner's (possibly just
/// changed) language.
pub fn changed(i18n: &I18n, learner: &Learner, kind: SettingKind, now: DateTime<Utc>) -> String {
    let title = i18n.tr(learner.lang, &labels::setting_title(kind), &[]);
    let value = value(i18n, learner, kind, now);
    i18n.tr(
        learner.lang,
        "setting-changed",
        &[("setting", title.as_str().into()), ("value", value.as_str().into())],
    )
}

/// The current value's label; a time zone with the time it is there now.
fn value(i18n: &I18n, learner: &Learner, kind: SettingKind, now: DateTime<Utc>) -> String {
    match learner.setting(kind) {
        Setting::Timezone(tz) => {
            let time = now.with_timezone(&tz).format("%H:%M").to_string();
            i18n.tr(
                learner.lang,
                "tz-value",
                &[("zone", tz.name().into()), ("time", time.as_str().into())],
            )
        }
        s => labels::value_text(i18n, learner.lang, s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::progress::StreakState;
    use crate::settings::{Corrections, Level, Register, Style, VoiceSpeed};
    use crate::store::learners::Onboarding;
    use chrono::TimeZone;

    fn learner(lang: Lang) -> Learner {
        Learner {
            id: 1,
            chat_id: 1,
            first_name: "Olga".into(),
            status: crate::store::learners::LearnerStatus::Active,
            onboarding: Onboarding::Done,
            lang,
            level: Level::Beginner,
            style: Style::Tutor,
            corrections: Corrections::Balanced,
            voice_speed: VoiceSpeed::Slow,
            voice_replies: false,
            tz: chrono_tz::America::New_York,
            register: Register::Spisovna,
            streak: StreakState::default(),
            stars_total: 0,
            awaiting: None,
            deletions: 0,
        }
    }

    #[test]
    fn every_setting_shows_its_current_value_in_every_language() {
        let i18n = I18n::new();
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 15, 30, 0).unwrap();
        for lang in Lang::ALL {
            let l = learner(lang);
            for kind in SettingKind::ALL {
                let text = screen(&i18n, &l, kind, now);
                let value = match l.setting(kind) {
                    Setting::Timezone(_) => "America/New_York".to_owned(),
                    s => labels::value_text(&i18n, lang, s),
                };
                assert!(text.contains(&value), "{kind:?} in {lang:?}: {text}");
                assert!(!changed(&i18n, &l, kind, now).is_empty());
            }
        }
        assert!(
            screen(&i18n, &learner(Lang::En), SettingKind::Timezone, now).contains("10:30"),
            "local time in New York"
        );
    }

    #[test]
    fn the_texts_differ_per_language() {
        let i18n = I18n::new();
        let now = Utc::now();
        let texts: Vec<String> = Lang::ALL
            .iter()
            .map(|l| screen(&i18n, &learner(*l), SettingKind::Style, now))
            .collect();
        assert!(texts[0] != texts[1] && texts[1] != texts[2] && texts[0] != texts[2], "{texts:?}");
    }
}
