//! Learners: the Telegram user, their settings and their progress counters.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entity::{user_settings, users};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, TransactionTrait};

use super::StoreError;
use crate::i18n::Lang;
use crate::progress::{StreakState, parse_tz};
use crate::settings::{Corrections, Level, Style, VoiceSpeed};

/// Where a learner is in onboarding: language first, then level, then practice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Onboarding {
    Language,
    Level,
    Done,
}

impl Onboarding {
    fn as_str(self) -> &'static str {
        match self {
            Self::Language => "language",
            Self::Level => "level",
            Self::Done => "done",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "done" => Self::Done,
            "level" => Self::Level,
            _ => Self::Language,
        }
    }
}

/// A learner as the bot sees them: identity, settings and progress, decoded into typed values.
#[derive(Clone, Debug)]
pub struct Learner {
    pub id: i64,
    pub chat_id: i64,
    pub first_name: String,
    pub status: String,
    pub onboarding: Onboarding,
    pub lang: Lang,
    pub level: Level,
    pub style: Style,
    pub corrections: Corrections,
    pub voice_speed: VoiceSpeed,
    pub voice_replies: bool,
    pub tz: Tz,
    pub streak: StreakState,
    pub stars_total: i64,
}

impl Learner {
    pub fn onboarded(&self) -> bool {
        self.onboarding == Onboarding::Done
    }

    fn from_rows(u: users::Model, s: user_settings::Model) -> Self {
        Learner {
            id: u.id,
            chat_id: u.chat_id,
            first_name: u.first_name,
            status: u.status,
            onboarding: Onboarding::parse(&u.onboarding),
            lang: Lang::parse(&s.interface_lang).unwrap_or(Lang::En),
            level: Level::parse(&s.level).unwrap_or(Level::Beginner),
            style: Style::parse(&s.style).unwrap_or_default(),
            corrections: Corrections::parse(&s.corrections).unwrap_or_default(),
            voice_speed: VoiceSpeed::parse(&s.voice_speed).unwrap_or_default(),
            voice_replies: s.voice_replies,
            tz: parse_tz(&s.timezone).unwrap_or(chrono_tz::Europe::Prague),
            streak: StreakState {
                current: u.streak_current.max(0) as u32,
                best: u.streak_best.max(0) as u32,
                last_day: u.last_practice_day,
            },
            stars_total: u.stars_total,
        }
    }
}

/// Who sent an update, as Telegram describes them.
#[derive(Clone, Debug)]
pub struct TelegramUser<'a> {
    pub id: i64,
    pub chat_id: i64,
    pub first_name: &'a str,
    pub username: Option<&'a str>,
    pub language_code: Option<&'a str>,
}

pub async fn find(db: &impl ConnectionTrait, user_id: i64) -> Result<Option<Learner>, StoreError> {
    let Some((user, Some(settings))) = users::Entity::find_by_id(user_id).find_also_related(user_settings::Entity).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(Learner::from_rows(user, settings)))
}

/// Finds the learner or creates them at the start of onboarding. The interface language is
/// preselected from Telegram's `language_code` where it matches one we speak. Returns whether the
/// learner is new.
pub async fn find_or_create(db: &DatabaseConnection, tg: &TelegramUser<'_>, now: DateTime<Utc>) -> Result<(Learner, bool), StoreError> {
    if let Some(learner) = find(db, tg.id).await? {
        return Ok((learner, false));
    }
    let txn = db.begin().await?;
    let user = users::ActiveModel {
        id: Set(tg.id),
        chat_id: Set(tg.chat_id),
        username: Set(tg.username.map(str::to_owned)),
        first_name: Set(tg.first_name.to_owned()),
        language_code: Set(tg.language_code.map(str::to_owned)),
        status: Set("active".into()),
        onboarding: Set(Onboarding::Language.as_str().into()),
        streak_current: Set(0),
        streak_best: Set(0),
        last_practice_day: Set(None),
        stars_total: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    };
    users::Entity::insert(user).on_conflict_do_nothing().exec_without_returning(&txn).await?;
    let settings = user_settings::ActiveModel {
        user_id: Set(tg.id),
        interface_lang: Set(Lang::from_telegram(tg.language_code).unwrap_or(Lang::En).code().into()),
        level: Set(Level::Beginner.as_str().into()),
        style: Set(Style::default().as_str().into()),
        corrections: Set(Corrections::default().as_str().into()),
        voice_speed: Set(VoiceSpeed::default().as_str().into()),
        voice_replies: Set(true),
        timezone: Set("Europe/Prague".into()),
        updated_at: Set(now),
    };
    user_settings::Entity::insert(settings).on_conflict_do_nothing().exec_without_returning(&txn).await?;
    txn.commit().await?;
    let learner = find(db, tg.id).await?.ok_or_else(|| StoreError::Corrupt(format!("user {} vanished", tg.id)))?;
    Ok((learner, true))
}

/// Stores the interface language; during onboarding this moves the learner on to the level step.
pub async fn set_language(db: &impl ConnectionTrait, user_id: i64, lang: Lang, now: DateTime<Utc>) -> Result<(), StoreError> {
    update_settings(db, user_id, now, |s| s.interface_lang = Set(lang.code().into())).await?;
    advance_onboarding(db, user_id, Onboarding::Language, Onboarding::Level, now).await
}

/// Stores the Czech level; during onboarding this completes it.
pub async fn set_level(db: &impl ConnectionTrait, user_id: i64, level: Level, now: DateTime<Utc>) -> Result<(), StoreError> {
    update_settings(db, user_id, now, |s| s.level = Set(level.as_str().into())).await?;
    advance_onboarding(db, user_id, Onboarding::Level, Onboarding::Done, now).await
}

/// Records that the learner blocked (or unblocked) the bot, so nothing is sent to them in vain.
pub async fn set_status(db: &impl ConnectionTrait, user_id: i64, status: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    if let Some(u) = users::Entity::find_by_id(user_id).one(db).await? {
        let mut u = u.into_active_model();
        u.status = Set(status.into());
        u.updated_at = Set(now);
        u.update(db).await?;
    }
    Ok(())
}

async fn update_settings(db: &impl ConnectionTrait, user_id: i64, now: DateTime<Utc>, f: impl FnOnce(&mut user_settings::ActiveModel)) -> Result<(), StoreError> {
    let row = user_settings::Entity::find_by_id(user_id).one(db).await?.ok_or_else(|| StoreError::Corrupt(format!("no settings for user {user_id}")))?;
    let mut row = row.into_active_model();
    f(&mut row);
    row.updated_at = Set(now);
    row.update(db).await?;
    Ok(())
}

async fn advance_onboarding(db: &impl ConnectionTrait, user_id: i64, from: Onboarding, to: Onboarding, now: DateTime<Utc>) -> Result<(), StoreError> {
    let Some(u) = users::Entity::find_by_id(user_id).one(db).await? else { return Ok(()) };
    if Onboarding::parse(&u.onboarding) == from {
        let mut u = u.into_active_model();
        u.onboarding = Set(to.as_str().into());
        u.updated_at = Set(now);
        u.update(db).await?;
    }
    Ok(())
}
