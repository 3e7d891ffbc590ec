//! Dictation sentences, graded A1–C1 (`dictation.json`), some with a comprehension question,
//! and how a `/listen` session picks them: [`ITEMS`] items at the learner's level, every third
//! a quiz (the sentence heard, then a question about it as a Telegram quiz poll).

use std::sync::LazyLock;

use serde::Deserialize;

use super::Texts;
use crate::settings::Level;

/// Items in one `/listen` session: about two minutes.
pub const ITEMS: usize = 6;

/// Telegram's limits for a quiz poll: question, option, number of options.
pub const QUESTION_CHARS: usize = 300;
pub const OPTION_CHARS: usize = 100;
pub const MAX_OPTIONS: usize = 10;

#[derive(Clone, Debug, Deserialize)]
pub struct Quiz {
    /// The question, in Czech (simple at the lower grades).
    pub q: String,
    pub options: Vec<String>,
    /// Index of the right option.
    pub answer: u8,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Item {
    /// Stable: stored in a session's subject.
    pub id: String,
    /// A1, A2, B1, B2 or C1.
    pub grade: String,
    pub cs: String,
    #[serde(flatten)]
    pub tr: Texts,
    pub quiz: Option<Quiz>,
}

static ITEMS_DATA: LazyLock<Vec<Item>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("dictation.json")).expect("dictation.json is valid (tested)")
});

pub fn all() -> &'static [Item] {
    &ITEMS_DATA
}

pub fn find(id: &str) -> Option<&'static Item> {
    all().iter().find(|i| i.id == id)
}

/// The grades a level hears: its own and the one below, so a session is never all new.
pub fn grades(level: Level) -> [&'static str; 2] {
    match level {
        Level::Beginner => ["A1", "A2"],
        Level::Intermediate => ["A2", "B1"],
        Level::Advanced => ["B1", "B2"],
        Level::Native => ["B2", "C1"],
    }
}

/// How fast Honzík dictates, on top of the learner's voice speed: slower for beginners.
pub fn pace(level: Level) -> f32 {
    match level {
        Level::Beginner => 0.85,
        Level::Intermediate => 0.95,
        Level::Advanced | Level::Native => 1.0,
    }
}

/// Whether the item at `position` of a session is a comprehension question: every third.
pub fn is_quiz(position: usize) -> bool {
    position % 3 == 2
}

/// [`ITEMS`] items for a session at `level`, chosen by `seed` (different sessions, different
/// sentences): a sentence with a quiz wherever [`is_quiz`] says so, no sentence twice.
pub fn pick(level: Level, seed: u64) -> Vec<&'static Item> {
    let pool: Vec<&Item> =
        all().iter().filter(|i| grades(level).contains(&i.grade.as_str())).collect();
    let (mut quizzes, mut plain): (Vec<&Item>, Vec<&Item>) =
        pool.into_iter().partition(|i| i.quiz.is_some());
    shuffle(&mut quizzes, seed);
    shuffle(&mut plain, seed.rotate_left(17));
    let (mut q, mut p) = (quizzes.into_iter(), plain.into_iter());
    (0..ITEMS).filter_map(|pos| if is_quiz(pos) { q.next() } else { p.next() }).collect()
}

/// A Fisher–Yates shuffle driven by a small xorshift generator (no randomness crate needed for
/// picking six sentences; the seed makes it testable).
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut x = seed | 1;
    for i in (1..items.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        items.swap(i, (x % (i as u64 + 1)) as usize);
    }
}

/// A session's items as stored (`a1-03,a1-17,…`).
pub fn encode(items: &[&Item]) -> String {
    items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>().join(",")
}

/// The stored items back; an id no longer in the data is left out.
pub fn decode(subject: &str) -> Vec<&'static Item> {
    subject.split(',').filter_map(find).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn every_grade_has_twenty_sentences_translated_and_quizzes_within_telegram_s_limits() {
        for grade in ["A1", "A2", "B1", "B2", "C1"] {
            let n = all().iter().filter(|i| i.grade == grade).count();
            assert!(n >= 20, "{grade}: {n}");
        }
        let ids: HashSet<&str> = all().iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids.len(), all().len(), "ids are unique");
        for i in all() {
            assert!(!i.id.contains(','), "{}", i.id);
            for lang in Lang::ALL {
                assert!(!i.tr.get(lang).trim().is_empty(), "{} in {lang:?}", i.id);
            }
            if let Some(q) = &i.quiz {
                assert!(q.q.chars().count() <= QUESTION_CHARS, "{}", i.id);
                assert!((2..=MAX_OPTIONS).contains(&q.options.len()), "{}", i.id);
                assert!(q.options.iter().all(|o| o.chars().count() <= OPTION_CHARS), "{}", i.id);
                assert!(usize::from(q.answer) < q.options.len(), "{}", i.id);
            }
        }
    }

    #[test]
    fn a_session_is_six_items_at_the_level_with_a_quiz_every_third() {
        for level in Level::ALL {
            for seed in [0, 1, 42, u64::MAX] {
                let items = pick(level, seed);
                assert_eq!(items.len(), ITEMS, "{level:?}");
                let ids: HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
                assert_eq!(ids.len(), ITEMS, "no sentence twice");
                for (pos, item) in items.iter().enumerate() {
                    assert!(grades(level).contains(&item.grade.as_str()), "{level:?}: {}", item.id);
                    assert_eq!(item.quiz.is_some(), is_quiz(pos), "{}", item.id);
                }
            }
        }
        assert_ne!(
            encode(&pick(Level::Beginner, 1)),
            encode(&pick(Level::Beginner, 2)),
            "another session, other sentences"
        );
    }

    #[test]
    fn stored_items_read_back_and_unknown_ids_are_left_out() {
        let items = pick(Level::Advanced, 7);
        let back = decode(&encode(&items));
        assert_eq!(encode(&back), encode(&items));
        assert_eq!(decode("a1-01,zz-99").len(), 1);
        assert!(decode("").is_empty());
    }
}
