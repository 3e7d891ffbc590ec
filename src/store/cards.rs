//! Review cards' sources: what a card shows, from the learner's saved word or mistake, and which
//! words and mistakes have no card yet.
//!
//! A mistake stored before its sentence was kept finds the sentence in the learner's stored
//! message; a saved correction (`saved_words.kind = 'correction'`) is never a word card — its
//! mistake is the card, and comes first among new mistakes since the learner asked for it.

use std::collections::HashSet;

use entity::{messages, mistakes, review_cards, saved_words};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::StoreError;
use crate::review::cards::{CardKind, CardRef};
use crate::review::face::{self, Face, Sentences};

/// How many of the newest saved words and mistakes a session picks new cards from.
const NEW_POOL: u64 = 200;

/// `saved_words.kind` of a saved correction.
pub const CORRECTION: &str = "correction";
/// `saved_words.kind` of a word.
pub const WORD: &str = "word";

/// The card's face, from the learner's saved word or mistake; `None` if it is gone (or is a
/// saved correction asked as a word, from before corrections were told apart).
pub async fn face(
    db: &impl ConnectionTrait,
    user_id: i64,
    card: CardRef,
) -> Result<Option<Face>, StoreError> {
    if card.kind == CardKind::Mistake {
        let m = mistakes::Entity::find_by_id(card.source)
            .filter(mistakes::Column::UserId.eq(user_id))
            .one(db)
            .await?;
        let Some(m) = m else { return Ok(None) };
        let sentences = match (&m.sentence, &m.corrected_sentence) {
            (Some(written), Some(corrected)) => {
                Some(Sentences { written: written.clone(), corrected: corrected.clone() })
            }
            _ => {
                let text = messages::Entity::find_by_id(m.message_id)
                    .one(db)
                    .await?
                    .and_then(|msg| msg.text);
                text.and_then(|t| face::sentences(&t, None, &m.original, &m.corrected))
            }
        };
        return Ok(Some(face::mistake(
            &m.original,
            &m.corrected,
            &m.explanation,
            sentences.as_ref(),
        )));
    }
    let w = saved_words::Entity::find_by_id(card.source)
        .filter(saved_words::Column::UserId.eq(user_id))
        .filter(saved_words::Column::Kind.ne(CORRECTION))
        .one(db)
        .await?;
    Ok(w.map(|w| face::word(card.kind, &w.czech, &w.translation, w.source_sentence.as_deref())))
}

/// Saved words and mistakes without a card yet, newest first: a word in the direction not yet
/// reviewed (Czech → translation first); a mistake once per distinct correction, those the
/// learner saved first.
pub async fn new_cards(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<(Vec<CardRef>, Vec<CardRef>), StoreError> {
    let have: HashSet<(String, i64)> = review_cards::Entity::find()
        .select_only()
        .column(review_cards::Column::Kind)
        .column(review_cards::Column::SourceId)
        .filter(review_cards::Column::UserId.eq(user_id))
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let has = |kind: CardKind, id: i64| have.contains(&(kind.as_str().to_owned(), id));
    let saved: Vec<(i64, String, Option<i64>)> = saved_words::Entity::find()
        .select_only()
        .columns([
            saved_words::Column::Id,
            saved_words::Column::Kind,
            saved_words::Column::MistakeId,
        ])
        .filter(saved_words::Column::UserId.eq(user_id))
        .order_by_desc(saved_words::Column::Id)
        .limit(NEW_POOL)
        .into_tuple()
        .all(db)
        .await?;
    let words = saved
        .iter()
        .filter(|(_, kind, _)| kind != CORRECTION)
        .filter_map(|(id, _, _)| {
            [CardKind::WordToTranslation, CardKind::TranslationToWord]
                .into_iter()
                .find(|k| !has(*k, *id))
                .map(|kind| CardRef { kind, source: *id })
        })
        .collect();
    let asked: HashSet<i64> = saved.iter().filter_map(|(_, _, mistake)| *mistake).collect();
    let mut rows: Vec<(i64, String, String)> = mistakes::Entity::find()
        .select_only()
        .columns([mistakes::Column::Id, mistakes::Column::Original, mistakes::Column::Corrected])
        .filter(mistakes::Column::UserId.eq(user_id))
        .order_by_desc(mistakes::Column::Id)
        .limit(NEW_POOL)
        .into_tuple()
        .all(db)
        .await?;
    // Stable: newest first within each group.
    rows.sort_by_key(|(id, _, _)| !asked.contains(id));
    let mut seen = HashSet::new();
    let mistakes = rows
        .into_iter()
        .filter(|(_, original, corrected)| {
            let (o, c) = (crate::words::normalize(original), crate::words::normalize(corrected));
            !c.is_empty() && o != c && seen.insert(c)
        })
        .filter(|(id, _, _)| !has(CardKind::Mistake, *id))
        .map(|(id, _, _)| CardRef { kind: CardKind::Mistake, source: id })
        .collect();
    Ok((words, mistakes))
}

/// Which of `cards`' sources still exist as such, as (is a word, id): a saved correction is not a
/// word, so a word card made of one before corrections were told apart leaves the schedule.
pub async fn existing_sources(
    db: &impl ConnectionTrait,
    user_id: i64,
    cards: &[CardRef],
) -> Result<HashSet<(bool, i64)>, StoreError> {
    let ids = |word: bool| {
        cards.iter().filter(|c| c.kind.is_word() == word).map(|c| c.source).collect::<Vec<_>>()
    };
    let words: Vec<i64> = saved_words::Entity::find()
        .select_only()
        .column(saved_words::Column::Id)
        .filter(saved_words::Column::UserId.eq(user_id))
        .filter(saved_words::Column::Kind.ne(CORRECTION))
        .filter(saved_words::Column::Id.is_in(ids(true)))
        .into_tuple()
        .all(db)
        .await?;
    let mistakes: Vec<i64> = mistakes::Entity::find()
        .select_only()
        .column(mistakes::Column::Id)
        .filter(mistakes::Column::UserId.eq(user_id))
        .filter(mistakes::Column::Id.is_in(ids(false)))
        .into_tuple()
        .all(db)
        .await?;
    Ok(words
        .into_iter()
        .map(|id| (true, id))
        .chain(mistakes.into_iter().map(|id| (false, id)))
        .collect())
}
