//! The practice session a learner has under way (`/scene`, `/listen`): one row per learner, so
//! any replica — or this one after a restart — takes the next turn, press or quiz answer where
//! the session is. Every move is a conditional update on the position it was asked at, so a
//! double press, an old button, or a typed answer racing a press moves the session once.

use chrono::{DateTime, Utc};
use entity::{messages, mistakes, practice_sessions as rows};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::StoreError;
use super::ending::end_row;
use crate::practice::Mode;

/// An open practice session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub mode: Mode,
    /// A scene's id, or a dictation's item ids.
    pub subject: String,
    /// A scene's turns so far, or the dictation item being asked.
    pub position: usize,
    /// Dictation items answered right.
    pub score: u32,
    /// Dictation items missed.
    pub missed: u32,
    pub hints: u32,
    pub goal_reached: bool,
    /// The latest hint the model suggested in a scene.
    pub note: Option<String>,
    /// The quiz poll waiting for its answer.
    pub poll_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Session {
    pub(super) fn from_row(r: rows::Model) -> Option<Session> {
        let n = |v: i32| u32::try_from(v).unwrap_or(0);
        Some(Session {
            id: r.id,
            mode: Mode::parse(&r.mode)?,
            subject: r.subject,
            position: usize::try_from(r.position).unwrap_or(0),
            score: n(r.score),
            missed: n(r.missed),
            hints: n(r.hints),
            goal_reached: r.goal_reached,
            note: r.note,
            poll_id: r.poll_id,
            created_at: r.created_at,
        })
    }
}

/// Opens a session (replacing whatever the learner had open).
pub async fn start(
    db: &impl ConnectionTrait,
    user_id: i64,
    mode: Mode,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<Session, StoreError> {
    close(db, user_id).await?;
    let row = rows::ActiveModel {
        user_id: Set(user_id),
        mode: Set(mode.as_str().to_owned()),
        subject: Set(subject.to_owned()),
        position: Set(0),
        score: Set(0),
        missed: Set(0),
        hints: Set(0),
        goal_reached: Set(false),
        note: Set(None),
        poll_id: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    let id = rows::Entity::insert(row).exec(db).await?.last_insert_id;
    Ok(Session {
        id,
        mode,
        subject: subject.to_owned(),
        position: 0,
        score: 0,
        missed: 0,
        hints: 0,
        goal_reached: false,
        note: None,
        poll_id: None,
        created_at: now,
    })
}

/// The learner's open session (a row of a mode this build does not know counts as none).
pub async fn open(db: &impl ConnectionTrait, user_id: i64) -> Result<Option<Session>, StoreError> {
    let row = open_query(user_id).one(db).await?;
    Ok(row.and_then(Session::from_row))
}

/// The select behind [`open`], also sent with the turn's other reads (`store::prompt`).
pub(super) fn open_query(user_id: i64) -> sea_orm::Select<rows::Entity> {
    rows::Entity::find().filter(rows::Column::UserId.eq(user_id))
}

/// The learner's open session of `mode`.
pub async fn open_of(
    db: &impl ConnectionTrait,
    user_id: i64,
    mode: Mode,
) -> Result<Option<Session>, StoreError> {
    Ok(open(db, user_id).await?.filter(|s| s.mode == mode))
}

/// Ends whatever practice the learner has open and returns it (`/cancel`, whichever the mode);
/// `None` when none was open (or another run ended it first).
pub async fn end_open(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<Session>, StoreError> {
    let Some(session) = open(db, user_id).await? else { return Ok(None) };
    end_row::<rows::Entity, _>(db, rows::Column::Id, session.id, Some(session)).await
}

/// Closes whatever the learner had open (another command took over, or `/delete_me`).
pub async fn close(db: &impl ConnectionTrait, user_id: i64) -> Result<(), StoreError> {
    rows::Entity::delete_many().filter(rows::Column::UserId.eq(user_id)).exec(db).await?;
    Ok(())
}

/// Closes session `id`; returns it as it ended. `None` if it was not open any more (ended by a
/// press, a goal or another replica meanwhile): whoever gets `Some` shows the ending, once.
pub async fn end(
    db: &impl ConnectionTrait,
    user_id: i64,
    id: i64,
) -> Result<Option<Session>, StoreError> {
    let open = open(db, user_id).await?.filter(|s| s.id == id);
    end_row::<rows::Entity, _>(db, rows::Column::Id, id, open).await
}

/// Keeps `note` with session `id` (shadowing: the native recording's length in seconds).
pub async fn set_note(db: &impl ConnectionTrait, id: i64, note: &str) -> Result<(), StoreError> {
    rows::Entity::update_many()
        .col_expr(rows::Column::Note, Expr::value(note.to_owned()))
        .filter(rows::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A scene turn answered: one more turn, the goal if the model says it is reached (it stays
/// reached), and the model's latest hint. Idempotent enough for a resumed turn: it counts one
/// more turn at worst.
pub async fn scene_turn(
    db: &impl ConnectionTrait,
    id: i64,
    goal_reached: bool,
    hint: Option<&str>,
) -> Result<(), StoreError> {
    let mut update = rows::Entity::update_many()
        .col_expr(rows::Column::Position, Expr::col(rows::Column::Position).add(1))
        .col_expr(rows::Column::Note, Expr::value(hint.map(str::to_owned)));
    if goal_reached {
        update = update.col_expr(rows::Column::GoalReached, Expr::value(true));
    }
    update.filter(rows::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// One more hint used; the session as it is now.
pub async fn hint(
    db: &impl ConnectionTrait,
    user_id: i64,
    id: i64,
) -> Result<Option<Session>, StoreError> {
    let res = rows::Entity::update_many()
        .col_expr(rows::Column::Hints, Expr::col(rows::Column::Hints).add(1))
        .filter(rows::Column::Id.eq(id))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Ok(None);
    }
    Ok(open(db, user_id).await?.filter(|s| s.id == id))
}

/// The dictation item at `position` answered (`right` or not): the session moves on. `None`
/// when that item is not the one asked any more.
pub async fn advance(
    db: &impl ConnectionTrait,
    user_id: i64,
    id: i64,
    position: usize,
    right: bool,
) -> Result<Option<Session>, StoreError> {
    let tally = if right { rows::Column::Score } else { rows::Column::Missed };
    let res = rows::Entity::update_many()
        .col_expr(rows::Column::Position, Expr::value(position as i32 + 1))
        .col_expr(tally, Expr::col(tally).add(1))
        .col_expr(rows::Column::PollId, Expr::value(Option::<String>::None))
        .filter(rows::Column::Id.eq(id))
        .filter(rows::Column::Position.eq(position as i32))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Ok(None);
    }
    Ok(open(db, user_id).await?.filter(|s| s.id == id))
}

/// The quiz poll sent for item `position`, so its answer finds the session.
pub async fn set_poll(
    db: &impl ConnectionTrait,
    id: i64,
    position: usize,
    poll_id: &str,
) -> Result<bool, StoreError> {
    let res = rows::Entity::update_many()
        .col_expr(rows::Column::PollId, Expr::value(poll_id.to_owned()))
        .filter(rows::Column::Id.eq(id))
        .filter(rows::Column::Position.eq(position as i32))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// One mistake made during a scene, for its debrief.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SceneMistake {
    pub original: String,
    pub corrected: String,
}

/// What the scene's turns earned — the learner's last `turns` answered messages, none older
/// than the scene — their scores and their mistakes (oldest first, at most `max`).
pub async fn scene_record(
    db: &impl ConnectionTrait,
    user_id: i64,
    (since, turns): (DateTime<Utc>, usize),
    max: u64,
) -> Result<(Vec<u8>, Vec<SceneMistake>), StoreError> {
    let answered: Vec<(i64, Option<i32>)> = messages::Entity::find()
        .select_only()
        .column(messages::Column::Id)
        .column(messages::Column::Score)
        .filter(messages::Column::UserId.eq(user_id))
        // The score is stored on both sides of a turn: the learner's message counts it once.
        .filter(messages::Column::Role.eq("learner"))
        .filter(messages::Column::CreatedAt.gte(since))
        .filter(messages::Column::Score.is_not_null())
        .order_by_desc(messages::Column::Id)
        .limit(turns as u64)
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<i64> = answered.iter().map(|(id, _)| *id).collect();
    let found = mistakes::Entity::find()
        .filter(mistakes::Column::UserId.eq(user_id))
        .filter(mistakes::Column::MessageId.is_in(ids))
        .order_by_asc(mistakes::Column::Id)
        .limit(max)
        .all(db)
        .await?;
    Ok((
        answered.into_iter().rev().filter_map(|(_, s)| s).map(|s| s.clamp(0, 100) as u8).collect(),
        found
            .into_iter()
            .map(|m| SceneMistake { original: m.original, corrected: m.corrected })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::store::learners::{self, TelegramUser};

    async fn learner(db: &sea_orm::DatabaseConnection, id: i64) {
        let tg = TelegramUser {
            id,
            chat_id: id,
            first_name: "Olga",
            username: None,
            language_code: Some("ru"),
        };
        learners::find_or_create(db, &tg, Utc::now()).await.unwrap();
    }

    #[tokio::test]
    async fn a_dictation_moves_once_per_item_however_often_it_is_answered() {
        let (_dir, db) = crate::store::test_db().await;
        learner(&db, 7).await;
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap();
        let s = start(&db, 7, Mode::Listen, "a1-01,a1-02", now).await.unwrap();
        assert!(set_poll(&db, s.id, 0, "p1").await.unwrap());
        let next = advance(&db, 7, s.id, 0, true).await.unwrap().expect("moved");
        assert_eq!((next.position, next.score, next.missed, next.poll_id), (1, 1, 0, None));
        assert_eq!(advance(&db, 7, s.id, 0, false).await.unwrap(), None, "answered already");
        assert!(!set_poll(&db, s.id, 0, "p2").await.unwrap(), "an old item gets no poll");
        let next = advance(&db, 7, s.id, 1, false).await.unwrap().unwrap();
        assert_eq!((next.position, next.score, next.missed), (2, 1, 1));
        let ended = end(&db, 7, s.id).await.unwrap().expect("ends once");
        assert_eq!(ended.missed, 1);
        assert_eq!(end(&db, 7, s.id).await.unwrap(), None);
        assert_eq!(open(&db, 7).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_new_session_replaces_the_open_one_and_a_scene_keeps_its_goal_once_reached() {
        let (_dir, db) = crate::store::test_db().await;
        learner(&db, 8).await;
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap();
        let listen = start(&db, 8, Mode::Listen, "a1-01", now).await.unwrap();
        let scene = start(&db, 8, Mode::Scene, "hospoda", now).await.unwrap();
        assert_eq!(open_of(&db, 8, Mode::Listen).await.unwrap(), None);
        assert_eq!(end(&db, 8, listen.id).await.unwrap(), None, "replaced");
        scene_turn(&db, scene.id, true, Some("Zaplatím, prosím.")).await.unwrap();
        scene_turn(&db, scene.id, false, None).await.unwrap();
        let hinted = hint(&db, 8, scene.id).await.unwrap().unwrap();
        assert_eq!((hinted.position, hinted.goal_reached, hinted.hints), (2, true, 1));
        assert_eq!(hinted.note, None, "the latest hint, not an old one");
    }
}
