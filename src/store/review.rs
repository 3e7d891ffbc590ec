//! Review cards and sessions: which cards are due, the open session, and a grade stored with
//! the card's new FSRS memory and the session's progress in one transaction.
//!
//! A grade is taken only for the card the session is at (`position`), with a conditional
//! update, so a double press, a press on an old card's buttons, or a typed answer racing a
//! press are graded once.

use chrono::{DateTime, Utc};
use entity::{review_cards, review_sessions};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::StoreError;
use super::cards;
use super::ending::end_row;
use crate::review::cards::{CardKind, CardRef};
use crate::review::{Grade, Memory, schedule};

/// An open review session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub cards: Vec<CardRef>,
    /// The card being asked; `cards.len()` once all are graded.
    pub position: usize,
    /// Grades given so far, again/hard/good/easy.
    pub tally: [u32; 4],
}

impl Session {
    pub fn current(&self) -> Option<CardRef> {
        self.cards.get(self.position).copied()
    }

    pub fn graded(&self) -> u32 {
        self.tally.iter().sum()
    }

    fn from_row(r: review_sessions::Model) -> Session {
        let n = |v: i32| u32::try_from(v).unwrap_or(0);
        Session {
            id: r.id,
            cards: crate::review::cards::decode_queue(&r.queue),
            position: usize::try_from(r.position).unwrap_or(0),
            tally: [n(r.again), n(r.hard), n(r.good), n(r.easy)],
        }
    }
}

/// Opens a new session of up to `n` cards (replacing any open one); `None` when there is
/// nothing to review.
pub async fn start(
    db: &DatabaseConnection,
    user_id: i64,
    n: usize,
    now: DateTime<Utc>,
) -> Result<Option<Session>, StoreError> {
    let picked = pick(db, user_id, n, now).await?;
    review_sessions::Entity::delete_many()
        .filter(review_sessions::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if picked.is_empty() {
        return Ok(None);
    }
    let row = review_sessions::ActiveModel {
        user_id: Set(user_id),
        queue: Set(crate::review::cards::encode_queue(&picked)),
        position: Set(0),
        again: Set(0),
        hard: Set(0),
        good: Set(0),
        easy: Set(0),
        created_at: Set(now),
        ..Default::default()
    };
    let id = review_sessions::Entity::insert(row).exec(db).await?.last_insert_id;
    Ok(Some(Session { id, cards: picked, position: 0, tally: [0; 4] }))
}

/// The learner's open session.
pub async fn open(db: &impl ConnectionTrait, user_id: i64) -> Result<Option<Session>, StoreError> {
    let row = review_sessions::Entity::find()
        .filter(review_sessions::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    Ok(row.map(Session::from_row))
}

/// Closes whatever session the learner has open (another command took over).
pub async fn close(db: &impl ConnectionTrait, user_id: i64) -> Result<(), StoreError> {
    review_sessions::Entity::delete_many()
        .filter(review_sessions::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Closes session `id`; returns it as it ended (`None` if it was not open any more).
pub async fn end(
    db: &impl ConnectionTrait,
    user_id: i64,
    id: i64,
) -> Result<Option<Session>, StoreError> {
    let open = open(db, user_id).await?.filter(|s| s.id == id);
    end_row::<review_sessions::Entity, _>(db, review_sessions::Column::Id, id, open).await
}

/// Grades the card at `position` of session `id` and moves the session on. `None` when that
/// card is not the one asked any more (graded already, or the session is gone).
pub async fn grade(
    db: &DatabaseConnection,
    user_id: i64,
    id: i64,
    position: usize,
    grade: Grade,
    now: DateTime<Utc>,
) -> Result<Option<Session>, StoreError> {
    let txn = db.begin().await?;
    let Some(mut session) =
        open(&txn, user_id).await?.filter(|s| s.id == id && s.position == position)
    else {
        return Ok(None);
    };
    let Some(card) = session.current() else { return Ok(None) };
    let tally_col = match grade {
        Grade::Again => review_sessions::Column::Again,
        Grade::Hard => review_sessions::Column::Hard,
        Grade::Good => review_sessions::Column::Good,
        Grade::Easy => review_sessions::Column::Easy,
    };
    let moved = review_sessions::Entity::update_many()
        .col_expr(review_sessions::Column::Position, Expr::value(position as i32 + 1))
        .col_expr(tally_col, Expr::col(tally_col).add(1))
        .filter(review_sessions::Column::Id.eq(id))
        .filter(review_sessions::Column::Position.eq(position as i32))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Ok(None);
    }
    let before = find_card(&txn, user_id, card).await?.map(|r| memory_of(&r));
    save_memory(&txn, user_id, card, &schedule::review(before.as_ref(), grade, now)).await?;
    txn.commit().await?;
    session.position += 1;
    session.tally[usize::from(grade.number() - 1)] += 1;
    Ok(Some(session))
}

/// Moves past a card whose word or mistake is gone (deleted meanwhile), without a grade.
pub async fn skip(db: &impl ConnectionTrait, id: i64, position: usize) -> Result<bool, StoreError> {
    let res = review_sessions::Entity::update_many()
        .col_expr(review_sessions::Column::Position, Expr::value(position as i32 + 1))
        .filter(review_sessions::Column::Id.eq(id))
        .filter(review_sessions::Column::Position.eq(position as i32))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// Whether the learner has reviewed anything yet (an empty session then means "all caught up").
pub async fn has_cards(db: &impl ConnectionTrait, user_id: i64) -> Result<bool, StoreError> {
    Ok(review_cards::Entity::find()
        .filter(review_cards::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .is_some())
}

/// Cards due now plus cards never reviewed: what a session could show today.
pub async fn due_count(
    db: &DatabaseConnection,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let due = review_cards::Entity::find()
        .filter(review_cards::Column::UserId.eq(user_id))
        .filter(review_cards::Column::Due.lte(now))
        .count(db)
        .await?;
    let (words, mistakes) = cards::new_cards(db, user_id).await?;
    Ok(due + words.len() as u64 + mistakes.len() as u64)
}

async fn pick(
    db: &DatabaseConnection,
    user_id: i64,
    n: usize,
    now: DateTime<Utc>,
) -> Result<Vec<CardRef>, StoreError> {
    let due_rows = review_cards::Entity::find()
        .filter(review_cards::Column::UserId.eq(user_id))
        .filter(review_cards::Column::Due.lte(now))
        .order_by_asc(review_cards::Column::Due)
        .limit((n * 3) as u64)
        .all(db)
        .await?;
    let due: Vec<CardRef> = due_rows.iter().filter_map(card_of).collect();
    let alive = cards::existing_sources(db, user_id, &due).await?;
    let (due, gone): (Vec<CardRef>, Vec<CardRef>) =
        due.into_iter().partition(|c| alive.contains(&(c.kind.is_word(), c.source)));
    for c in gone {
        // Its word was removed or its mistake deleted: nothing left to review.
        delete_card(db, user_id, c).await?;
    }
    let (words, mistakes) = cards::new_cards(db, user_id).await?;
    Ok(crate::review::cards::pick(&due, &words, &mistakes, n))
}

fn card_of(r: &review_cards::Model) -> Option<CardRef> {
    Some(CardRef { kind: CardKind::parse(&r.kind)?, source: r.source_id })
}

fn memory_of(r: &review_cards::Model) -> Memory {
    Memory {
        due: r.due,
        stability: r.stability,
        difficulty: r.difficulty,
        elapsed_days: r.elapsed_days,
        scheduled_days: r.scheduled_days,
        reps: r.reps,
        lapses: r.lapses,
        state: r.state,
        last_review: r.last_review,
    }
}

async fn find_card(
    db: &impl ConnectionTrait,
    user_id: i64,
    card: CardRef,
) -> Result<Option<review_cards::Model>, StoreError> {
    Ok(review_cards::Entity::find()
        .filter(review_cards::Column::UserId.eq(user_id))
        .filter(review_cards::Column::Kind.eq(card.kind.as_str()))
        .filter(review_cards::Column::SourceId.eq(card.source))
        .one(db)
        .await?)
}

async fn delete_card(
    db: &impl ConnectionTrait,
    user_id: i64,
    card: CardRef,
) -> Result<(), StoreError> {
    review_cards::Entity::delete_many()
        .filter(review_cards::Column::UserId.eq(user_id))
        .filter(review_cards::Column::Kind.eq(card.kind.as_str()))
        .filter(review_cards::Column::SourceId.eq(card.source))
        .exec(db)
        .await?;
    Ok(())
}

async fn save_memory(
    db: &impl ConnectionTrait,
    user_id: i64,
    card: CardRef,
    m: &Memory,
) -> Result<(), StoreError> {
    use review_cards::Column as C;
    let row = review_cards::ActiveModel {
        user_id: Set(user_id),
        kind: Set(card.kind.as_str().into()),
        source_id: Set(card.source),
        due: Set(m.due),
        stability: Set(m.stability),
        difficulty: Set(m.difficulty),
        elapsed_days: Set(m.elapsed_days),
        scheduled_days: Set(m.scheduled_days),
        reps: Set(m.reps),
        lapses: Set(m.lapses),
        state: Set(m.state),
        last_review: Set(m.last_review),
        ..Default::default()
    };
    let upsert = OnConflict::columns([C::UserId, C::Kind, C::SourceId])
        .update_columns([
            C::Due,
            C::Stability,
            C::Difficulty,
            C::ElapsedDays,
            C::ScheduledDays,
            C::Reps,
            C::Lapses,
            C::State,
            C::LastReview,
        ])
        .to_owned();
    review_cards::Entity::insert(row).on_conflict(upsert).exec_without_returning(db).await?;
    Ok(())
}

/// The learner's review data, for `/delete_me`.
pub async fn delete_all(db: &impl ConnectionTrait, user_id: i64) -> Result<(), StoreError> {
    review_sessions::Entity::delete_many()
        .filter(review_sessions::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    review_cards::Entity::delete_many()
        .filter(review_cards::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::learners::{self, TelegramUser};

    #[tokio::test]
    async fn a_card_is_graded_once_and_a_removed_word_leaves_the_session() {
        let (_dir, db) = crate::store::test_db().await;
        let now = Utc::now();
        let tg = TelegramUser {
            id: 5,
            chat_id: 5,
            first_name: "A",
            username: None,
            language_code: None,
        };
        learners::find_or_create(&db, &tg, now).await.unwrap();
        for (cz, tr) in [("pivo", "beer"), ("čaj", "tea")] {
            let c = crate::words::Candidate {
                czech: cz.into(),
                translation: tr.into(),
                original: None,
                source: None,
                key: crate::words::normalize(cz),
            };
            crate::store::words::save(&db, 5, &c, now).await.unwrap();
        }
        let s = start(&db, 5, 5, now).await.unwrap().unwrap();
        assert_eq!(s.cards.len(), 2, "one direction of each word: {s:?}");
        let first = cards::face(&db, 5, s.current().unwrap()).await.unwrap().unwrap();
        assert_eq!(
            (first.ask, first.answer.as_str()),
            (crate::review::face::Ask::Word { czech: "čaj".into(), example: None }, "tea"),
            "newest word first, Czech shown"
        );

        let after = grade(&db, 5, s.id, 0, Grade::Good, now).await.unwrap().unwrap();
        assert_eq!((after.position, after.tally), (1, [0, 0, 1, 0]));
        assert_eq!(
            grade(&db, 5, s.id, 0, Grade::Again, now).await.unwrap(),
            None,
            "the same card again: refused"
        );
        assert_eq!(
            grade(&db, 5, s.id + 1, 1, Grade::Again, now).await.unwrap(),
            None,
            "another session's card: refused"
        );
        assert_eq!(open(&db, 5).await.unwrap().unwrap().tally, [0, 0, 1, 0]);

        // The word of the remaining card is removed: its content is gone.
        let (words, _) = crate::store::words::page(&db, 5, 0, 10).await.unwrap();
        let pivo = words.iter().find(|w| w.czech == "pivo").unwrap().id;
        crate::store::words::remove(&db, 5, pivo).await.unwrap();
        assert_eq!(cards::face(&db, 5, after.current().unwrap()).await.unwrap(), None);
        assert!(skip(&db, after.id, 1).await.unwrap());
        assert_eq!(end(&db, 5, after.id).await.unwrap().unwrap().position, 2);

        // The graded card is not due today; the other direction of the word is new.
        assert_eq!(due_count(&db, 5, now).await.unwrap(), 1);
        let next = start(&db, 5, 5, now).await.unwrap().unwrap();
        assert_eq!(
            next.cards,
            [CardRef { kind: CardKind::TranslationToWord, source: after.cards[0].source }]
        );
        assert_eq!(
            due_count(&db, 5, now + chrono::Duration::days(30)).await.unwrap(),
            2,
            "a month on, the graded card is due too"
        );
    }
}
