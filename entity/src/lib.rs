//! SeaORM entities for mluvme, in the `sea-orm-cli generate entity` style.
//!
//! The schema itself is owned by the `migration` crate; keep the two in sync.

pub mod prelude;

pub mod conversations;
pub mod daily_stats;
pub mod messages;
pub mod mistakes;
pub mod placements;
pub mod practice_sessions;
pub mod reminder_offers;
pub mod reminders;
pub mod reminders_sent;
pub mod review_cards;
pub mod review_sessions;
pub mod saved_words;
pub mod shadow_attempts;
pub mod stars;
pub mod turns;
pub mod updates;
pub mod usage;
pub mod user_settings;
pub mod users;
