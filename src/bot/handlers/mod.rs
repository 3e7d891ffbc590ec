//! One small handler per kind of update.

pub mod callbacks;
pub mod groups;
pub mod misc;
pub mod onboarding;
pub mod privacy;
pub mod settings;
pub mod stats;
pub mod timezone;
pub mod turns;
pub mod words;
