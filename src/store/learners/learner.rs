//! What a learner is, typed: their status, where they are in onboarding, what the bot waits for
//! them to type, and [`Learner`] itself decoded from its `users` and `user_settings` rows. Apart
//! from the queries so that a reader of either sees one thing: the shape, or how it is stored.

use chrono_tz::Tz;
use entity::{user_settings, users};

use crate::i18n::Lang;
use crate::progress::{StreakState, parse_tz};
use crate::settings::{Corrections, Level, Register, Setting, SettingKind, Style, VoiceSpeed};
use crate::tutor::levels::policy;

/// Whether the bot may talk to a learner; stored as [`LearnerStatus::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LearnerStatus {
    Active,
    /// The learner blocked the bot (or Telegram said so with a 403): nothing is sent to them.
    Blocked,
    /// An admin banned them: nothing they send is answered.
    Banned,
}

impl LearnerStatus {
    pub const ALL: [LearnerStatus; 3] =
        [LearnerStatus::Active, LearnerStatus::Blocked, LearnerStatus::Banned];

    pub fn as_str(self) -> &'static str {
        match self {
            LearnerStatus::Active => "active",
            LearnerStatus::Blocked => "blocked",
            LearnerStatus::Banned => "banned",
        }
    }

    /// Inverse of [`LearnerStatus::as_str`]; an unknown value (a newer release's) counts as
    /// active, the status every learner starts with.
    pub fn parse(s: &str) -> LearnerStatus {
        LearnerStatus::ALL.into_iter().find(|k| k.as_str() == s).unwrap_or(LearnerStatus::Active)
    }
}

/// Where a learner is in onboarding: language first, then level, then practice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Onboarding {
    Language,
    Level,
    Done,
}

impl Onboarding {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Language => "language",
            Self::Level => "level",
            Self::Done => "done",
        }
    }
    pub(super) fn parse(s: &str) -> Self {
        match s {
            "done" => Self::Done,
            "level" => Self::Level,
            _ => Self::Language,
        }
    }
}

/// What the bot waits for the learner to type instead of a turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Awaiting {
    /// An IANA time zone name (after "Other…" under `/timezone`).
    Timezone,
    /// The answer to the review card shown (`/review`), typed or said.
    ReviewAnswer,
    /// What the learner heard of the dictation sentence Honzík said (`/listen`), typed.
    ListenAnswer,
    /// The learner saying the phrase Honzík said (`/shadow`), as a voice note.
    ShadowAnswer,
    /// The answer to the placement test's item shown (`/placement`, `store::placement`).
    Placement,
}

impl Awaiting {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Timezone => "timezone",
            Self::ReviewAnswer => "review",
            Self::ListenAnswer => "listen",
            Self::ShadowAnswer => "shadow",
            Self::Placement => "placement",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        match s {
            "timezone" => Some(Self::Timezone),
            "review" => Some(Self::ReviewAnswer),
            "listen" => Some(Self::ListenAnswer),
            "shadow" => Some(Self::ShadowAnswer),
            "placement" => Some(Self::Placement),
            _ => None,
        }
    }
}

/// A learner as the bot sees them: identity, settings and progress, decoded into typed values.
#[derive(Clone, Debug)]
pub struct Learner {
    pub id: i64,
    pub chat_id: i64,
    pub first_name: String,
    pub status: LearnerStatus,
    pub onboarding: Onboarding,
    pub lang: Lang,
    pub level: Level,
    pub style: Style,
    pub corrections: Corrections,
    /// Chosen, or the level's default.
    pub voice_speed: VoiceSpeed,
    pub voice_replies: bool,
    pub tz: Tz,
    /// Chosen, or the level's default.
    pub register: Register,
    pub streak: StreakState,
    pub stars_total: i64,
    pub awaiting: Option<Awaiting>,
    /// How many times they deleted their data; a deletion confirmation carries it.
    pub deletions: i32,
}

impl Learner {
    pub fn onboarded(&self) -> bool {
        self.onboarding == Onboarding::Done
    }

    /// The current value of one of the learner's settings.
    pub fn setting(&self, kind: SettingKind) -> Setting {
        match kind {
            SettingKind::Level => Setting::Level(self.level),
            SettingKind::Style => Setting::Style(self.style),
            SettingKind::Corrections => Setting::Corrections(self.corrections),
            SettingKind::VoiceSpeed => Setting::VoiceSpeed(self.voice_speed),
            SettingKind::VoiceReplies => Setting::VoiceReplies(self.voice_replies),
            SettingKind::Language => Setting::Language(self.lang),
            SettingKind::Timezone => Setting::Timezone(self.tz),
            SettingKind::Register => Setting::Register(self.register),
        }
    }

    pub(in crate::store) fn from_rows(u: users::Model, s: user_settings::Model) -> Self {
        let level = Level::parse(&s.level).unwrap_or(Level::Beginner);
        Learner {
            id: u.id,
            chat_id: u.chat_id,
            first_name: u.first_name,
            status: LearnerStatus::parse(&u.status),
            onboarding: Onboarding::parse(&u.onboarding),
            lang: Lang::parse(&s.interface_lang).unwrap_or(Lang::En),
            level,
            style: Style::parse(&s.style).unwrap_or_default(),
            corrections: Corrections::parse(&s.corrections).unwrap_or_default(),
            voice_speed: VoiceSpeed::parse(&s.voice_speed).unwrap_or(policy(level).voice_speed),
            voice_replies: s.voice_replies,
            tz: parse_tz(&s.timezone).unwrap_or(chrono_tz::Europe::Prague),
            register: s
                .register
                .as_deref()
                .and_then(Register::parse)
                .unwrap_or(policy(level).register),
            streak: StreakState {
                current: u.streak_current.max(0) as u32,
                best: u.streak_best.max(0) as u32,
                last_day: u.last_practice_day,
            },
            stars_total: u.stars_total,
            awaiting: u.awaiting.as_deref().and_then(Awaiting::parse),
            deletions: u.deletions,
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
