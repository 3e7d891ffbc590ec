//! Learners: the Telegram user, their settings and their progress counters.
//!
//! A ban (`status` "banned") is never lifted here: blocking, unblocking and deleting one's data
//! all leave it in place, so none of them can be used to escape it.
//!
//! Here: the queries. The learner's types ([`Learner`], [`LearnerStatus`], [`Onboarding`],
//! [`Awaiting`], [`TelegramUser`]) are in `learner`, re-exported at their old paths.

use chrono::{DateTime, Utc};
use entity::{user_settings, users};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, TransactionTrait,
};

use super::StoreError;
use crate::i18n::Lang;
use crate::settings::{Corrections, Level, Setting, Style};

pub use learner::{Awaiting, Learner, LearnerStatus, Onboarding, TelegramUser};

mod learner;

/// What `voice_speed` holds until the learner picks a speed: their level's default applies
/// (`tutor::levels`), so a beginner hears Honzík slower without having to find `/voice_speed`.
const VOICE_SPEED_BY_LEVEL: &str = "by_level";

pub async fn find(db: &impl ConnectionTrait, user_id: i64) -> Result<Option<Learner>, StoreError> {
    let Some((user, Some(settings))) =
        users::Entity::find_by_id(user_id).find_also_related(user_settings::Entity).one(db).await?
    else {
        return Ok(None);
    };
    Ok(Some(Learner::from_rows(user, settings)))
}

/// Finds the learner or creates them at the start of onboarding. The interface language is
/// preselected from Telegram's `language_code` where it matches one we speak. Returns whether the
/// learner is new. A known learner's name is refreshed from Telegram (it is erased by
/// `/delete_me`, and people rename themselves).
pub async fn find_or_create(
    db: &DatabaseConnection,
    tg: &TelegramUser<'_>,
    now: DateTime<Utc>,
) -> Result<(Learner, bool), StoreError> {
    // Every update starts here: one query in the usual case (known learner, same name).
    if let Some((user, settings)) =
        users::Entity::find_by_id(tg.id).find_also_related(user_settings::Entity).one(db).await?
    {
        let settings = settings
            .ok_or_else(|| StoreError::Corrupt(format!("no settings for user {}", tg.id)))?;
        let renamed = user.first_name != tg.first_name
            || user.username.as_deref() != tg.username
            || user.language_code.as_deref() != tg.language_code;
        let user = if renamed {
            let mut u = user.into_active_model();
            u.first_name = Set(tg.first_name.to_owned());
            u.username = Set(tg.username.map(str::to_owned));
            u.language_code = Set(tg.language_code.map(str::to_owned));
            u.update(db).await?
        } else {
            user
        };
        return Ok((Learner::from_rows(user, settings), false));
    }
    let txn = db.begin().await?;
    let user = users::ActiveModel {
        id: Set(tg.id),
        chat_id: Set(tg.chat_id),
        username: Set(tg.username.map(str::to_owned)),
        first_name: Set(tg.first_name.to_owned()),
        language_code: Set(tg.language_code.map(str::to_owned)),
        status: Set(LearnerStatus::Active.as_str().into()),
        onboarding: Set(Onboarding::Language.as_str().into()),
        streak_current: Set(0),
        streak_best: Set(0),
        last_practice_day: Set(None),
        stars_total: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        awaiting: Set(None),
        deletions: Set(0),
    };
    users::Entity::insert(user).on_conflict_do_nothing().exec_without_returning(&txn).await?;
    let settings =
        default_settings(tg.id, Lang::from_telegram(tg.language_code).unwrap_or(Lang::En), now);
    user_settings::Entity::insert(settings)
        .on_conflict_do_nothing()
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    let learner = find(db, tg.id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("user {} vanished", tg.id)))?;
    Ok((learner, true))
}

/// Stores the interface language; during onboarding this moves the learner on to the level step.
pub async fn set_language(
    db: &impl ConnectionTrait,
    user_id: i64,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    update_settings(db, user_id, now, |s| s.interface_lang = Set(lang.code().into())).await?;
    advance_onboarding(db, user_id, Onboarding::Language, Onboarding::Level, now).await
}

/// Stores the Czech level; during onboarding this completes it.
pub async fn set_level(
    db: &impl ConnectionTrait,
    user_id: i64,
    level: Level,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    update_settings(db, user_id, now, |s| s.level = Set(level.as_str().into())).await?;
    advance_onboarding(db, user_id, Onboarding::Level, Onboarding::Done, now).await
}

/// The settings a learner starts with (and returns to after `/delete_me`).
pub(crate) fn default_settings(
    user_id: i64,
    lang: Lang,
    now: DateTime<Utc>,
) -> user_settings::ActiveModel {
    user_settings::ActiveModel {
        user_id: Set(user_id),
        interface_lang: Set(lang.code().into()),
        level: Set(Level::Beginner.as_str().into()),
        style: Set(Style::default().as_str().into()),
        corrections: Set(Corrections::default().as_str().into()),
        voice_speed: Set(VOICE_SPEED_BY_LEVEL.into()),
        voice_replies: Set(true),
        timezone: Set(crate::progress::DEFAULT_TZ.name().into()),
        updated_at: Set(now),
        register: Set(None),
    }
}

/// Stores a setting chosen under a settings command. Level and language go through the
/// onboarding setters, so choosing them from a command also finishes that onboarding step.
pub async fn apply(
    db: &impl ConnectionTrait,
    user_id: i64,
    setting: Setting,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    match setting {
        Setting::Level(level) => set_level(db, user_id, level, now).await,
        Setting::Language(lang) => set_language(db, user_id, lang, now).await,
        Setting::Style(v) => {
            update_settings(db, user_id, now, |s| s.style = Set(v.as_str().into())).await
        }
        Setting::Corrections(v) => {
            update_settings(db, user_id, now, |s| s.corrections = Set(v.as_str().into())).await
        }
        Setting::VoiceSpeed(v) => {
            update_settings(db, user_id, now, |s| s.voice_speed = Set(v.as_str().into())).await
        }
        Setting::VoiceReplies(on) => {
            update_settings(db, user_id, now, |s| s.voice_replies = Set(on)).await
        }
        Setting::Timezone(tz) => {
            update_settings(db, user_id, now, |s| s.timezone = Set(tz.name().into())).await
        }
        Setting::Register(r) => {
            update_settings(db, user_id, now, |s| s.register = Set(Some(r.as_str().into()))).await
        }
    }
}

/// Remembers (or forgets) that the learner's next text answers a question rather than being a turn.
pub async fn set_awaiting(
    db: &impl ConnectionTrait,
    user_id: i64,
    awaiting: Option<Awaiting>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if let Some(u) = users::Entity::find_by_id(user_id).one(db).await? {
        let mut u = u.into_active_model();
        u.awaiting = Set(awaiting.map(|a| a.as_str().to_owned()));
        u.updated_at = Set(now);
        u.update(db).await?;
    }
    Ok(())
}

/// Resets a learner after `/delete_me`: no name, no progress, onboarding from the start,
/// default settings in the language they were using. Id, chat and status stay (a ban survives).
pub(crate) async fn forget(
    db: &impl ConnectionTrait,
    user: users::Model,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (user_id, deletions) = (user.id, user.deletions + 1);
    let lang = find(db, user_id).await?.map_or(Lang::En, |l| l.lang);
    let mut u = user.into_active_model();
    u.username = Set(None);
    u.first_name = Set(String::new());
    u.language_code = Set(None);
    u.onboarding = Set(Onboarding::Language.as_str().into());
    u.streak_current = Set(0);
    u.streak_best = Set(0);
    u.last_practice_day = Set(None);
    u.stars_total = Set(0);
    u.awaiting = Set(None);
    u.deletions = Set(deletions);
    u.updated_at = Set(now);
    u.update(db).await?;
    user_settings::Entity::update(default_settings(user_id, lang, now)).exec(db).await?;
    Ok(())
}

/// Whether sending to this user is known to fail (they blocked the bot).
pub async fn is_blocked(db: &impl ConnectionTrait, user_id: i64) -> Result<bool, StoreError> {
    Ok(users::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .is_some_and(|u| u.status == LearnerStatus::Blocked.as_str()))
}

/// Records that the learner blocked (or unblocked) the bot, so nothing is sent to them in vain.
/// A ban stays a ban.
pub async fn set_status(
    db: &impl ConnectionTrait,
    user_id: i64,
    status: LearnerStatus,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if let Some(u) = users::Entity::find_by_id(user_id).one(db).await?
        && u.status != LearnerStatus::Banned.as_str()
        && u.status != status.as_str()
    {
        let mut u = u.into_active_model();
        u.status = Set(status.as_str().into());
        u.updated_at = Set(now);
        u.update(db).await?;
    }
    Ok(())
}

async fn update_settings(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
    f: impl FnOnce(&mut user_settings::ActiveModel),
) -> Result<(), StoreError> {
    let row = user_settings::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("no settings for user {user_id}")))?;
    let mut row = row.into_active_model();
    f(&mut row);
    row.updated_at = Set(now);
    row.update(db).await?;
    Ok(())
}

async fn advance_onboarding(
    db: &impl ConnectionTrait,
    user_id: i64,
    from: Onboarding,
    to: Onboarding,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(u) = users::Entity::find_by_id(user_id).one(db).await? else { return Ok(()) };
    if Onboarding::parse(&u.onboarding) == from {
        let mut u = u.into_active_model();
        u.onboarding = Set(to.as_str().into());
        u.updated_at = Set(now);
        u.update(db).await?;
    }
    Ok(())
}
