//! One small handler per kind of update.

pub mod misc;
pub mod onboarding;
pub mod turns;
