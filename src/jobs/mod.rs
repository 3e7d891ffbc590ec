//! Background jobs, started at start-up (`startup::run`) on every replica and stopped with it:
//! each is a loop with its own pace, and the database decides which replica does what (a claim
//! per reminder, a lease per broadcast), so running them everywhere is safe.

pub mod audio_retention;
pub mod broadcasts;
pub mod reminders;
