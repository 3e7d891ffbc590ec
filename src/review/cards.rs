//! What a review session shows: the kinds of cards, how a card is named in the session's stored
//! queue and in button data, and which cards a session takes. What each card asks is
//! [`super::face`]'s.

use std::collections::HashSet;

/// A saved word is two cards (one per direction); a past mistake is one ("fix this").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CardKind {
    /// The Czech word shown; its translation is the answer.
    WordToTranslation,
    /// The translation shown; the Czech word is the answer.
    TranslationToWord,
    /// The learner's own sentence with the correction as a gap; the corrected sentence is the
    /// answer, and what they wrote is shown after.
    Mistake,
}

impl CardKind {
    pub const ALL: [CardKind; 3] =
        [Self::WordToTranslation, Self::TranslationToWord, Self::Mistake];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::WordToTranslation => "w",
            Self::TranslationToWord => "t",
            Self::Mistake => "m",
        }
    }

    pub fn parse(s: &str) -> Option<CardKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn is_word(self) -> bool {
        self != Self::Mistake
    }
}

/// One card: its kind and the saved word's or the mistake's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CardRef {
    pub kind: CardKind,
    pub source: i64,
}

impl CardRef {
    pub fn encode(self) -> String {
        format!("{}{}", self.kind.as_str(), self.source)
    }

    pub fn decode(s: &str) -> Option<CardRef> {
        let (kind, id) = s.split_at_checked(1)?;
        let source =
            id.parse().ok().filter(|n: &i64| *n >= 0 && id.bytes().all(|b| b.is_ascii_digit()))?;
        Some(CardRef { kind: CardKind::parse(kind)?, source })
    }
}

/// A session's queue as stored: `w12,m7,t12`.
pub fn encode_queue(cards: &[CardRef]) -> String {
    cards.iter().map(|c| c.encode()).collect::<Vec<_>>().join(",")
}

pub fn decode_queue(s: &str) -> Vec<CardRef> {
    s.split(',').filter_map(CardRef::decode).collect()
}

/// Up to `n` cards: those due first (most overdue first), then new ones, alternating between the
/// learner's mistakes and their saved words so neither crowds out the other. One direction of a
/// word per session: seeing "pivo → beer" right after "beer → pivo" tests nothing.
pub fn pick(
    due: &[CardRef],
    new_words: &[CardRef],
    new_mistakes: &[CardRef],
    n: usize,
) -> Vec<CardRef> {
    let mut out = Vec::with_capacity(n);
    let mut words_used = HashSet::new();
    let mut take = |c: CardRef, out: &mut Vec<CardRef>| {
        if out.len() >= n || out.contains(&c) || (c.kind.is_word() && !words_used.insert(c.source))
        {
            return;
        }
        out.push(c);
    };
    for c in due {
        take(*c, &mut out);
    }
    let (mut m, mut w) = (new_mistakes.iter(), new_words.iter());
    loop {
        let (a, b) = (m.next(), w.next());
        if a.is_none() && b.is_none() {
            break;
        }
        for c in a.into_iter().chain(b) {
            take(*c, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use CardKind::*;

    fn c(kind: CardKind, source: i64) -> CardRef {
        CardRef { kind, source }
    }

    #[test]
    fn cards_round_trip_through_their_short_names() {
        let cards = [c(WordToTranslation, 0), c(TranslationToWord, i64::MAX), c(Mistake, 42)];
        assert_eq!(decode_queue(&encode_queue(&cards)), cards);
        for junk in ["", "x1", "w", "w-1", "w+1", "m1.5", "w99999999999999999999"] {
            assert_eq!(CardRef::decode(junk), None, "{junk}");
        }
    }

    #[test]
    fn due_cards_come_first_then_new_ones_alternate() {
        let due = [c(Mistake, 1), c(WordToTranslation, 5)];
        let words = [c(WordToTranslation, 6), c(WordToTranslation, 7)];
        let mistakes = [c(Mistake, 2), c(Mistake, 3)];
        assert_eq!(
            pick(&due, &words, &mistakes, 5),
            [
                c(Mistake, 1),
                c(WordToTranslation, 5),
                c(Mistake, 2),
                c(WordToTranslation, 6),
                c(Mistake, 3)
            ]
        );
        assert_eq!(pick(&due, &words, &mistakes, 1), [c(Mistake, 1)]);
        assert!(pick(&[], &[], &[], 5).is_empty());
    }

    #[test]
    fn a_word_is_asked_one_way_per_session() {
        let due = [c(WordToTranslation, 5), c(TranslationToWord, 5)];
        let words = [c(TranslationToWord, 6)];
        assert_eq!(pick(&due, &words, &[], 5), [c(WordToTranslation, 5), c(TranslationToWord, 6)]);
    }
}
