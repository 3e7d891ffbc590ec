//! The live progress bar of a flood, and the count of turns finished that the faults and the
//! kills are timed by.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::learner::Record;
use super::options::Options;

/// The live progress bar (a no-op when disabled), and the count of turns finished.
#[derive(Clone)]
pub struct Progress(Option<indicatif::ProgressBar>, Arc<AtomicU64>);

impl Progress {
    pub fn new(opts: &Options) -> Progress {
        if !opts.progress {
            return Progress(None, Default::default());
        }
        let (bar, template) = match opts.duration {
            Some(_) => (
                indicatif::ProgressBar::no_length(),
                "{elapsed_precise} {pos} actions · {per_sec} · {msg}",
            ),
            None => (
                indicatif::ProgressBar::new((opts.users * opts.turns) as u64),
                "{elapsed_precise} [{bar:40}] {pos}/{len} actions · {per_sec} · {msg}",
            ),
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(template)
                .expect("static template")
                .progress_chars("=> "),
        );
        Progress(Some(bar), Default::default())
    }

    /// Voice and text turns finished so far (answered, noticed or timed out).
    pub fn turns_done(&self) -> u64 {
        self.1.load(Ordering::Relaxed)
    }

    pub fn onboarded(&self, rec: &Record) {
        if let (Some(bar), Some(l)) = (&self.0, rec.latency()) {
            bar.set_message(format!("last onboarding {} ms", l.as_millis()));
        }
    }

    pub fn action_done(&self, rec: &Record) {
        if rec.action.is_turn() {
            self.1.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(bar) = &self.0 {
            bar.inc(1);
            if let Some(l) = rec.latency() {
                bar.set_message(format!("last {} {} ms", rec.action.name(), l.as_millis()));
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish();
        }
    }
}
