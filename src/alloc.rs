//! The memory allocator: mimalloc, told to give memory back at once.
//!
//! Under load glibc's malloc (allocating, freeing, consolidating) was a fifth of the bot's CPU
//! (`perf`, BENCHMARKS.md "Issue 18, session 9"). mimalloc with its defaults saved CPU but held
//! ~50 MiB more at the peak of 1,000 learners at once: it keeps freed memory a while (a second,
//! in its version 3) and commits its arenas whole. Purging at once and committing as it goes
//! kept the CPU saved and brought the peak below glibc's.
//!
//! mimalloc reads its options from the environment as the process starts, before `main`, and
//! reserves its first arena then: set later, from code, they measured no better than the
//! defaults at 10,000 learners (255 MiB). So [`tuned`] starts the program again, once, with the
//! options in its environment. `main` installs mimalloc as the global allocator; tests and the
//! library's other users keep the system allocator. An operator's own `MIMALLOC_*` values win.

use std::ffi::OsStr;
use std::os::unix::process::CommandExt;

/// What the bot runs with unless the environment says otherwise.
pub const OPTIONS: [(&str, &str); 2] =
    [("MIMALLOC_PURGE_DELAY", "0"), ("MIMALLOC_ARENA_EAGER_COMMIT", "0")];

/// Returns when the process already runs with [`OPTIONS`] (or cannot start again: it then runs
/// with mimalloc's defaults); otherwise replaces the process with itself — same program, same
/// arguments, same process id — with the missing options added to its environment.
pub fn tuned() {
    let missing: Vec<_> = OPTIONS.iter().filter(|(k, _)| std::env::var_os(k).is_none()).collect();
    if missing.is_empty() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut again = std::process::Command::new(exe);
    again.args(std::env::args_os().skip(1));
    again.envs(missing.iter().map(|(k, v)| (OsStr::new(k), OsStr::new(v))));
    // Only returns if the program could not be started again (e.g. its file was replaced).
    let _ = again.exec();
}
