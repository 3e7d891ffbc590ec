//! Whole conversations with the real bot over the real Bot API protocol, against the emulators.

mod common;

mod admin;
mod audio;
mod bad_input;
mod controls;
mod crash;
mod ecosystem;
mod examples;
mod fencing;
mod fixtures;
mod gate;
mod hostile;
mod hostile_audio;
mod memory;
mod onboarding;
mod ops;
mod own_data;
mod pacing;
mod placement;
mod postgres;
mod practice;
mod process;
mod redis;
mod reminder_offer;
mod replicas;
mod review;
mod review_cards;
mod shadow;
mod teaching;
mod texts;
mod turns;
mod upstream;
mod webhook;
