//! Shadowing (`/shadow`): Honzík says a phrase slowly, then at normal speed; the learner says it
//! after him. What can be measured from a transcript with word timestamps, and nothing more:
//! which words were missed, changed or added (`practice::diff`, punctuation and case aside), the
//! speech rate in words per minute against the native recording's, and the long pauses between
//! words. Sounds (ř, vowel length, stress) would need a phoneme model: not claimed here — and the
//! transcriber's spelling of a word says nothing about how it was pronounced, so a word that
//! differs only in háčky or length counts as said.
//!
//! Pure: the phrases are data (`shadow.json`, per grade A1–C1), the comparison a function.

use std::sync::LazyLock;

use serde::Deserialize;

use super::Texts;
use super::diff::{self, Word};
use crate::settings::Level;

/// A gap between two words longer than this is a long pause, in seconds.
pub const LONG_PAUSE_SECS: f64 = 0.7;

/// How much slower the first, slow recording is than the normal one.
pub const SLOW: f32 = 0.7;

/// Words per minute a native recording is taken to have when its length is unknown.
const NATIVE_WPM_ESTIMATE: f64 = 150.0;

#[derive(Clone, Debug, Deserialize)]
pub struct Phrase {
    /// Stable: stored with a session and its results.
    pub id: String,
    /// A1, A2, B1, B2 or C1.
    pub grade: String,
    pub cs: String,
    #[serde(flatten)]
    pub tr: Texts,
}

static PHRASES: LazyLock<Vec<Phrase>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("shadow.json")).expect("shadow.json is valid (tested)")
});

pub fn all() -> &'static [Phrase] {
    &PHRASES
}

pub fn find(id: &str) -> Option<&'static Phrase> {
    all().iter().find(|p| p.id == id)
}

/// The grades a level shadows: its own and the one above (saying is easier than composing).
pub fn grades(level: Level) -> [&'static str; 2] {
    match level {
        Level::Beginner => ["A1", "A2"],
        Level::Intermediate => ["A2", "B1"],
        Level::Advanced => ["B1", "B2"],
        Level::Native => ["B2", "C1"],
    }
}

/// A phrase for `level`, chosen by `seed`, not `previous` when there is another.
pub fn pick(level: Level, seed: u64, previous: Option<&str>) -> &'static Phrase {
    let pool: Vec<&Phrase> = all()
        .iter()
        .filter(|p| grades(level).contains(&p.grade.as_str()))
        .filter(|p| Some(p.id.as_str()) != previous)
        .collect();
    let mut x = seed | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    pool[(x % pool.len() as u64) as usize]
}

/// One word the learner said, with its start and end in seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Said<'a> {
    pub word: &'a str,
    pub start: f64,
    pub end: f64,
}

/// A long pause: after which word, and how long.
#[derive(Clone, Debug, PartialEq)]
pub struct Pause {
    pub after: String,
    pub secs: f64,
}

/// How one attempt went.
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    /// The phrase's words as heard: right, missing, changed (`Wrong`), or extra.
    pub words: Vec<Word>,
    /// 0–100: the phrase's words said, extra words taking off.
    pub accuracy: u8,
    /// The learner's words per minute, from the first word's start to the last one's end (the
    /// whole recording when the transcript has no timestamps); None when nothing was heard.
    pub wpm: Option<u32>,
    pub native_wpm: u32,
    pub pauses: Vec<Pause>,
}

impl Attempt {
    pub fn missed(&self) -> Vec<&str> {
        self.words
            .iter()
            .filter_map(|w| match w {
                Word::Missing(s) => Some(s.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Changed words: (what the phrase says, what was heard).
    pub fn changed(&self) -> Vec<(&str, &str)> {
        self.words
            .iter()
            .filter_map(|w| match w {
                Word::Wrong { said, typed } => Some((said.as_str(), typed.as_str())),
                _ => None,
            })
            .collect()
    }

    pub fn extra(&self) -> Vec<&str> {
        self.words
            .iter()
            .filter_map(|w| match w {
                Word::Extra(s) => Some(s.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Words per minute of `words` words over `secs` seconds.
fn per_minute(words: usize, secs: f64) -> Option<u32> {
    (words > 0 && secs > 0.05).then(|| (words as f64 * 60.0 / secs).round() as u32)
}

/// The native recording's rate: the phrase's words over its length (at normal speed), else the
/// usual conversational rate.
pub fn native_wpm(phrase: &str, native_secs: Option<f64>) -> u32 {
    let n = phrase.split_whitespace().count();
    native_secs.and_then(|s| per_minute(n, s)).unwrap_or(NATIVE_WPM_ESTIMATE.round() as u32)
}

/// Compares what the learner said (`text`, with its timed `words` when the transcriber gave
/// them, and the recording's `duration`) with `phrase`.
pub fn compare(
    phrase: &str,
    text: &str,
    words: &[Said],
    duration: Option<f64>,
    native_secs: Option<f64>,
) -> Attempt {
    let check = diff::check(phrase, text);
    // The transcriber's spelling is no evidence of pronunciation: a slip counts as said.
    let words_out: Vec<Word> = check
        .words
        .into_iter()
        .map(|w| match w {
            Word::Slipped { said, .. } => Word::Right(said),
            other => other,
        })
        .collect();
    let expected = words_out.iter().filter(|w| !matches!(w, Word::Extra(_))).count().max(1);
    let right = words_out.iter().filter(|w| matches!(w, Word::Right(_))).count();
    let extra = words_out.iter().filter(|w| matches!(w, Word::Extra(_))).count();
    let accuracy = ((right as f64 - 0.5 * extra as f64).max(0.0) / expected as f64 * 100.0)
        .round()
        .min(100.0) as u8;
    let heard = text.split_whitespace().count();
    let spoken_secs = match (words.first(), words.last()) {
        (Some(first), Some(last)) if last.end > first.start => Some(last.end - first.start),
        _ => duration,
    };
    let wpm = spoken_secs.and_then(|s| per_minute(heard, s));
    let pauses = words
        .windows(2)
        .filter(|w| w[1].start - w[0].end > LONG_PAUSE_SECS)
        .map(|w| Pause { after: w[0].word.to_owned(), secs: w[1].start - w[0].end })
        .collect();
    Attempt { words: words_out, accuracy, wpm, native_wpm: native_wpm(phrase, native_secs), pauses }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn timed<'a>(ws: &[(&'a str, f64, f64)]) -> Vec<Said<'a>> {
        ws.iter().map(|&(word, start, end)| Said { word, start, end }).collect()
    }

    #[test]
    fn every_grade_has_eight_phrases_translated_with_unique_ids() {
        for grade in ["A1", "A2", "B1", "B2", "C1"] {
            let n = all().iter().filter(|p| p.grade == grade).count();
            assert!(n >= 8, "{grade}: {n}");
        }
        let mut ids: Vec<&str> = all().iter().map(|p| p.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all().len());
        for p in all() {
            for lang in Lang::ALL {
                assert!(!p.tr.get(lang).trim().is_empty(), "{} {lang:?}", p.id);
            }
            assert!(!p.tr.uk.contains('\''), "uk writes ʼ: {}", p.id);
            assert!(!p.tr.ru.contains("Гонзик") || !p.tr.uk.contains("Гонзик"));
        }
    }

    #[test]
    fn a_missed_word_and_a_changed_one_are_named_and_cost_accuracy() {
        let a = compare("Dám si jedno pivo, prosím.", "dám si pivo prosim", &[], None, None);
        assert_eq!(a.missed(), ["jedno"]);
        assert!(a.changed().is_empty(), "prosim for prosím is the transcriber's spelling");
        assert_eq!(a.accuracy, 80);
        let b = compare("Kde je tady nádraží?", "kde je tady letiště", &[], None, None);
        assert_eq!(b.changed(), [("nádraží", "letiště")]);
        let c = compare("Kolik to stojí?", "kolik to stojí", &[], None, None);
        assert_eq!((c.accuracy, c.missed().len(), c.extra().len()), (100, 0, 0));
        let d = compare("Kolik to stojí?", "no kolik to stojí", &[], None, None);
        assert_eq!((d.accuracy, d.extra()), (83, vec!["no"]));
    }

    #[test]
    fn the_rate_comes_from_the_word_timestamps_and_long_pauses_are_found() {
        let said = timed(&[
            ("Kolik", 0.5, 0.9),
            ("to", 0.9, 1.1),
            // 1.2 s of silence: a long pause after "to".
            ("stojí", 2.3, 2.9),
        ]);
        let a = compare("Kolik to stojí?", "Kolik to stojí?", &said, Some(4.0), Some(1.2));
        assert_eq!(a.wpm, Some(75), "3 words in 2.4 s");
        assert_eq!(a.native_wpm, 150, "3 words in 1.2 s");
        assert_eq!(a.pauses.len(), 1);
        assert_eq!(a.pauses[0].after, "to");
        assert!((a.pauses[0].secs - 1.2).abs() < 1e-9);
        // No timestamps: the whole recording, and no pause can be told.
        let b = compare("Kolik to stojí?", "Kolik to stojí?", &[], Some(3.0), None);
        assert_eq!((b.wpm, b.pauses.len(), b.native_wpm), (Some(60), 0, 150));
        assert_eq!(compare("Kolik to stojí?", "", &[], None, None).wpm, None);
    }

    #[test]
    fn a_new_phrase_is_at_the_level_and_not_the_one_just_said() {
        for level in Level::ALL {
            for seed in 0..50 {
                let p = pick(level, seed, Some("a1-01"));
                assert!(grades(level).contains(&p.grade.as_str()));
                assert_ne!(p.id, "a1-01");
            }
        }
    }
}
