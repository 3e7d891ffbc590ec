//! One small handler per kind of update.

pub mod access;
pub mod admin;
pub mod broadcast;
pub mod callbacks;
pub mod groups;
pub mod listen;
pub mod misc;
pub mod onboarding;
pub mod placement;
mod practice_common;
pub mod privacy;
pub mod remind;
pub mod review;
pub mod scene;
pub mod settings;
pub mod shadow;
pub mod stats;
pub mod timezone;
pub mod turns;
pub mod words;
