//! The placement test's state and result (`tutor::placement` has the rules).
//!
//! One row per learner: the test under way, if any, and the last result. The state is here, not
//! in memory, so a restart or another replica takes the next answer; an answer advances the
//! step only from the step it answers (compare and set), so an update delivered twice or
//! handled by two replicas counts once. A re-take keeps the last result until it has a new one.

use chrono::{DateTime, Utc};
use entity::placements;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr,
};
use serde_json::json;

use super::StoreError;
use crate::tutor::placement::{Cefr, Grade};

/// A test under way: the item answered next and the answers so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnderWay {
    pub step: usize,
    pub answers: Vec<Option<String>>,
    pub started_at: DateTime<Utc>,
}

/// The last result, with its date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub grade: Grade,
    pub at: DateTime<Utc>,
}

/// Starts (or restarts) the learner's test at its first item.
pub async fn start(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = placements::ActiveModel {
        user_id: Set(user_id),
        step: Set(Some(0)),
        answers: Set("[]".to_owned()),
        started_at: Set(now),
        level: Set(None),
        skills: Set(None),
        finished_at: Set(None),
    };
    let restart = sea_orm::sea_query::OnConflict::column(placements::Column::UserId)
        .update_columns([
            placements::Column::Step,
            placements::Column::Answers,
            placements::Column::StartedAt,
        ])
        .to_owned();
    placements::Entity::insert(row).on_conflict(restart).exec_without_returning(db).await?;
    Ok(())
}

/// The test under way, if any.
pub async fn under_way(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<UnderWay>, StoreError> {
    let Some(row) = placements::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(None);
    };
    let Some(step) = row.step.and_then(|s| usize::try_from(s).ok()) else { return Ok(None) };
    let answers = serde_json::from_str(&row.answers).unwrap_or_default();
    Ok(Some(UnderWay { step, answers, started_at: row.started_at }))
}

/// Records the answer to item `step` (`None`: skipped or not heard) and moves to the next; `false`
/// when the test is no longer at `step` (answered already, finished or cancelled).
pub async fn answer(
    db: &impl ConnectionTrait,
    user_id: i64,
    step: usize,
    given: Option<&str>,
) -> Result<bool, StoreError> {
    let Some(current) = under_way(db, user_id).await?.filter(|u| u.step == step) else {
        return Ok(false);
    };
    let mut answers = current.answers;
    answers.truncate(step);
    answers.resize(step, None);
    answers.push(given.map(str::to_owned));
    let step = i32::try_from(step).unwrap_or(i32::MAX);
    let res = placements::Entity::update_many()
        .col_expr(placements::Column::Step, Expr::value(step.saturating_add(1)))
        .col_expr(placements::Column::Answers, Expr::value(json!(answers).to_string()))
        .filter(placements::Column::UserId.eq(user_id))
        .filter(placements::Column::Step.eq(step))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Ends the test under way with its grade, which becomes the learner's last result.
pub async fn finish(
    db: &impl ConnectionTrait,
    user_id: i64,
    grade: &Grade,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let skills = json!({
        "listening": grade.listening,
        "speaking": grade.speaking,
        "grammar": grade.grammar,
        "vocabulary": grade.vocabulary,
    });
    placements::Entity::update_many()
        .col_expr(placements::Column::Step, Expr::value(Option::<i32>::None))
        .col_expr(placements::Column::Level, Expr::value(grade.level.as_str()))
        .col_expr(placements::Column::Skills, Expr::value(skills.to_string()))
        .col_expr(placements::Column::FinishedAt, Expr::value(now))
        .filter(placements::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Stops the test under way (skipped); the last result stays.
pub async fn cancel(db: &impl ConnectionTrait, user_id: i64) -> Result<(), StoreError> {
    placements::Entity::update_many()
        .col_expr(placements::Column::Step, Expr::value(Option::<i32>::None))
        .filter(placements::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The learner's last result, if they ever finished a test.
pub async fn last_result(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<Placed>, StoreError> {
    let Some(row) = placements::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(None);
    };
    let (Some(level), Some(skills), Some(at)) = (row.level, row.skills, row.finished_at) else {
        return Ok(None);
    };
    let Some(level) = Cefr::parse(&level) else { return Ok(None) };
    let skills: serde_json::Value = serde_json::from_str(&skills).unwrap_or_default();
    let line = |k: &str| skills[k].as_str().unwrap_or_default().to_owned();
    let grade = Grade {
        level,
        listening: line("listening"),
        speaking: line("speaking"),
        grammar: line("grammar"),
        vocabulary: line("vocabulary"),
    };
    Ok(Some(Placed { grade, at }))
}

/// The learner's placement, for `/delete_me`.
pub async fn delete_all(db: &impl ConnectionTrait, user_id: i64) -> Result<(), StoreError> {
    placements::Entity::delete_by_id(user_id).exec(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::learners::{self, TelegramUser};

    fn grade(level: Cefr) -> Grade {
        Grade {
            level,
            listening: "l".into(),
            speaking: "s".into(),
            grammar: "g".into(),
            vocabulary: "v".into(),
        }
    }

    #[tokio::test]
    async fn a_test_advances_once_per_answer_and_its_result_survives_a_retake_until_replaced() {
        let (_dir, db) = crate::store::test_db().await;
        let now = Utc::now();
        let tg = TelegramUser {
            id: 9,
            chat_id: 9,
            first_name: "A",
            username: None,
            language_code: None,
        };
        learners::find_or_create(&db, &tg, now).await.unwrap();
        assert_eq!(under_way(&db, 9).await.unwrap(), None);

        start(&db, 9, now).await.unwrap();
        assert!(answer(&db, 9, 0, Some("dobry den")).await.unwrap());
        assert!(!answer(&db, 9, 0, Some("again")).await.unwrap(), "the same step twice");
        assert!(answer(&db, 9, 1, None).await.unwrap());
        let u = under_way(&db, 9).await.unwrap().unwrap();
        assert_eq!((u.step, u.answers), (2, vec![Some("dobry den".to_owned()), None]));

        finish(&db, 9, &grade(Cefr::B1), now).await.unwrap();
        assert_eq!(under_way(&db, 9).await.unwrap(), None);
        assert!(!answer(&db, 9, 2, Some("late")).await.unwrap(), "finished");
        let placed = last_result(&db, 9).await.unwrap().unwrap();
        assert_eq!(placed.grade, grade(Cefr::B1));

        start(&db, 9, now).await.unwrap();
        assert_eq!(under_way(&db, 9).await.unwrap().unwrap().step, 0, "a re-take starts over");
        cancel(&db, 9).await.unwrap();
        assert_eq!(under_way(&db, 9).await.unwrap(), None);
        assert_eq!(last_result(&db, 9).await.unwrap().unwrap().grade.level, Cefr::B1, "kept");
        start(&db, 9, now).await.unwrap();
        finish(&db, 9, &grade(Cefr::C1), now).await.unwrap();
        assert_eq!(last_result(&db, 9).await.unwrap().unwrap().grade.level, Cefr::C1);
    }
}
