//! Whole conversations with the real bot over the real Bot API protocol, against the emulators.

mod common;

mod admin;
mod audio;
mod bad_input;
mod controls;
mod crash;
mod fencing;
mod fixtures;
mod gate;
mod hostile;
mod memory;
mod onboarding;
mod ops;
mod pacing;
mod postgres;
mod practice;
mod process;
mod redis;
mod replicas;
mod review;
mod turns;
mod upstream;
mod webhook;
