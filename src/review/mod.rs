//! Review and reminders (pure): spaced repetition of the learner's saved words and own mistakes
//! with FSRS ([`schedule`]), checking a typed or spoken answer ([`mod@check`]), which cards a
//! session takes ([`cards`]), what a card asks ([`face`]), mistake trends for `/stats` and
//! Honzík's prompt ([`trends`]), and when a daily reminder is due ([`reminder`]) and the phrase it
//! ends with ([`phrases`]). The database side is `store::review` and
//! `store::reminders`; the Telegram side `bot::handlers::{review, remind}`.

pub mod cards;
pub mod check;
pub mod face;
pub mod phrases;
pub mod reminder;
pub mod schedule;
pub mod trends;

pub use cards::{CardKind, CardRef};
pub use check::{Verdict, check};
pub use schedule::{Grade, Memory};
