//! Artificial response latency.
//!
//! Integration tests run with zero latency (fast, deterministic); the load
//! generator uses [`LatencyProfile::realistic`] so that concurrency, timeouts
//! and queueing in the bot behave as they would against the real services.

use std::time::Duration;

use rand::Rng;

/// A uniform random delay between `min` and `max` (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencyRange {
    pub min: Duration,
    pub max: Duration,
}

impl LatencyRange {
    pub const ZERO: Self = Self { min: Duration::ZERO, max: Duration::ZERO };

    /// `min_ms..=max_ms` milliseconds.
    pub const fn ms(min_ms: u64, max_ms: u64) -> Self {
        Self { min: Duration::from_millis(min_ms), max: Duration::from_millis(max_ms) }
    }

    /// Draws one delay. A reversed range is treated as its mirror image.
    pub fn sample(&self) -> Duration {
        let (lo, hi) =
            if self.min <= self.max { (self.min, self.max) } else { (self.max, self.min) };
        if lo == hi {
            return lo;
        }
        let nanos = rand::rng().random_range(lo.as_nanos() as u64..=hi.as_nanos() as u64);
        Duration::from_nanos(nanos)
    }

    /// Sleeps for one drawn delay (returns at once for a zero range).
    pub async fn sleep(&self) {
        let d = self.sample();
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }
}

/// Latency of each OpenAI endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencyProfile {
    pub chat: LatencyRange,
    pub transcription: LatencyRange,
    pub speech: LatencyRange,
}

impl LatencyProfile {
    /// No delay anywhere (the default).
    pub const fn zero() -> Self {
        Self {
            chat: LatencyRange::ZERO,
            transcription: LatencyRange::ZERO,
            speech: LatencyRange::ZERO,
        }
    }

    /// Roughly what gpt-4o-mini / whisper-1 / tts-1 take for short inputs.
    pub const fn realistic() -> Self {
        Self {
            chat: LatencyRange::ms(700, 2500),
            transcription: LatencyRange::ms(300, 1200),
            speech: LatencyRange::ms(400, 1500),
        }
    }
}
