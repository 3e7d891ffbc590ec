//! The load generator behind `mluvme-load`: it floods the real bot (spawned as a process) with
//! synthetic learners through the [`emulators`] and reports throughput, latency, the bot's
//! overhead, resource use, Telegram's send rate, cost and correctness.
//!
//! A crate of its own so that the bot's tests, which need only the emulators, never compile the
//! generator's command line, progress bars, histograms and charts.

pub mod flood;
