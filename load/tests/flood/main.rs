//! The load generator against the real bot binary (spawned as processes, as `mluvme-load` does):
//! short floods with faults, kills and replicas, asserting that nothing is lost or duplicated
//! (never a timing — the figures belong in BENCHMARKS.md).
//!
//! The bot binary is the one `cargo test --workspace` builds beside this test (see
//! [`bot_binary`]); `cargo test -p load` alone needs `cargo build -p mluvme` first.

use std::path::PathBuf;

#[path = "../../../tests/support/services.rs"]
mod services;

mod scale_out;
mod smoke;

/// The `mluvme` binary of the same build as this test: `target/<profile>/deps/flood-…` →
/// `target/<profile>/mluvme`. (`env!("CARGO_BIN_EXE_mluvme")` exists only inside the bot's own
/// package.)
pub fn bot_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test runs from target/<profile>/deps");
    let bot = profile_dir.join(format!("mluvme{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bot.is_file(),
        "the bot binary {} is missing: build it first with `cargo build -p mluvme` (in the same \
         profile as the tests), or run `cargo test --workspace`, which builds it",
        bot.display()
    );
    bot
}
