//! Whole conversations with the real bot over the real Bot API protocol, against the emulators.

mod common;

mod bad_input;
mod load_smoke;
mod controls;
mod crash;
mod hostile;
mod memory;
mod onboarding;
mod pacing;
mod postgres;
mod process;
mod turns;
mod upstream;
