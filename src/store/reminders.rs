//! Daily reminders: the learner's chosen time, who might be due, and the once-a-day claim.
//!
//! The claim is a row per learner and local day inserted with `ON CONFLICT DO NOTHING`: of any
//! number of replicas sweeping at once (and a replica restarted the same day), exactly one
//! inserts it, and only that one sends.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveTime, Timelike, Utc};
use entity::{reminder_offers, reminders, reminders_sent};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement,
    TryInsertResult,
};

use super::StoreError;

/// Turns the reminder on at local time `at`, or off (`None`).
pub async fn set(
    db: &impl ConnectionTrait,
    user_id: i64,
    at: Option<NaiveTime>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(at) = at else {
        reminders::Entity::delete_by_id(user_id).exec(db).await?;
        return Ok(());
    };
    let row = reminders::ActiveModel {
        user_id: Set(user_id),
        at_minute: Set((at.hour() * 60 + at.minute()) as i32),
        updated_at: Set(now),
    };
    let upsert = sea_orm::sea_query::OnConflict::column(reminders::Column::UserId)
        .update_columns([reminders::Column::AtMinute, reminders::Column::UpdatedAt])
        .to_owned();
    reminders::Entity::insert(row).on_conflict(upsert).exec_without_returning(db).await?;
    Ok(())
}

/// The learner's reminder time, if on.
pub async fn get(db: &impl ConnectionTrait, user_id: i64) -> Result<Option<NaiveTime>, StoreError> {
    Ok(reminders::Entity::find_by_id(user_id).one(db).await?.and_then(|r| time_of(r.at_minute)))
}

fn time_of(minute: i32) -> Option<NaiveTime> {
    let m = u32::try_from(minute).ok()?;
    NaiveTime::from_hms_opt(m / 60, m % 60, 0)
}

/// A learner with a reminder who may be sent one: active (not blocked, not banned) and past
/// onboarding.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub user_id: i64,
    pub at: NaiveTime,
    pub timezone: String,
    pub last_practice: Option<NaiveDate>,
}

/// Every learner with a reminder who may be sent one, in one query.
pub async fn candidates(db: &impl ConnectionTrait) -> Result<Vec<Candidate>, StoreError> {
    let sql = "SELECT r.user_id AS user_id, r.at_minute AS at_minute, s.timezone AS timezone, u.last_practice_day AS last_practice_day \
               FROM reminders r JOIN users u ON u.id = r.user_id JOIN user_settings s ON s.user_id = r.user_id \
               WHERE u.status = 'active' AND u.onboarding = 'done'";
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(at) = time_of(r.try_get("", "at_minute")?) else { continue };
        out.push(Candidate {
            user_id: r.try_get("", "user_id")?,
            at,
            timezone: r.try_get("", "timezone")?,
            last_practice: r.try_get("", "last_practice_day")?,
        });
    }
    Ok(out)
}

/// Which of `due` (learner, local day) were claimed already: no need to try them again.
pub async fn already_claimed(
    db: &impl ConnectionTrait,
    due: &[(i64, NaiveDate)],
) -> Result<HashSet<(i64, NaiveDate)>, StoreError> {
    let wanted: HashSet<(i64, NaiveDate)> = due.iter().copied().collect();
    let mut claimed = HashSet::new();
    // Every learner with a reminder may be due at once: in chunks (`store::sql::IN_CHUNK`).
    for chunk in due.chunks(super::sql::IN_CHUNK) {
        let days: HashSet<NaiveDate> = chunk.iter().map(|(_, d)| *d).collect();
        let rows = reminders_sent::Entity::find()
            .filter(reminders_sent::Column::UserId.is_in(chunk.iter().map(|(u, _)| *u)))
            .filter(reminders_sent::Column::Day.is_in(days))
            .all(db)
            .await?;
        // Learner × day matches pairs that were not asked about (one learner's day, another's
        // date): only the pairs in `due` are answered.
        claimed.extend(rows.into_iter().map(|r| (r.user_id, r.day)).filter(|p| wanted.contains(p)));
    }
    Ok(claimed)
}

/// Claims the learner's reminder for `day`: `true` on exactly one caller, ever.
pub async fn claim(
    db: &impl ConnectionTrait,
    user_id: i64,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let row =
        reminders_sent::ActiveModel { user_id: Set(user_id), day: Set(day), sent_at: Set(now) };
    let keys = [reminders_sent::Column::UserId, reminders_sent::Column::Day];
    let res = reminders_sent::Entity::insert(row)
        .on_conflict_do_nothing_on(keys)
        .exec_without_returning(db)
        .await?;
    Ok(matches!(res, TryInsertResult::Inserted(n) if n > 0))
}

/// Whether the learner has answered the one-tap reminder offer (either way): if so, it is not
/// made again.
pub async fn offer_answered(db: &impl ConnectionTrait, user_id: i64) -> Result<bool, StoreError> {
    Ok(reminder_offers::Entity::find_by_id(user_id).one(db).await?.is_some())
}

/// Records the learner's answer to the offer; `true` only for the first answer, so a second
/// press (or a press on another device) changes nothing.
pub async fn answer_offer(
    db: &impl ConnectionTrait,
    user_id: i64,
    accepted: bool,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let row = reminder_offers::ActiveModel {
        user_id: Set(user_id),
        accepted: Set(accepted),
        decided_at: Set(now),
    };
    let res = reminder_offers::Entity::insert(row)
        .on_conflict_do_nothing_on([reminder_offers::Column::UserId])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(res, TryInsertResult::Inserted(n) if n > 0))
}

/// The learner's reminder data, for `/delete_me`.
pub async fn delete_all(db: &impl ConnectionTrait, user_id: i64) -> Result<(), StoreError> {
    reminders::Entity::delete_by_id(user_id).exec(db).await?;
    reminder_offers::Entity::delete_by_id(user_id).exec(db).await?;
    reminders_sent::Entity::delete_many()
        .filter(reminders_sent::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::learners::{self, TelegramUser};

    #[tokio::test]
    async fn a_days_reminder_is_claimed_once_and_a_time_can_be_changed_or_turned_off() {
        let (_dir, db) = crate::store::test_db().await;
        let now = Utc::now();
        let tg = TelegramUser {
            id: 7,
            chat_id: 7,
            first_name: "A",
            username: None,
            language_code: None,
        };
        learners::find_or_create(&db, &tg, now).await.unwrap();
        let at = NaiveTime::from_hms_opt(19, 30, 0).unwrap();
        set(&db, 7, Some(at), now).await.unwrap();
        set(&db, 7, Some(at), now).await.unwrap();
        assert_eq!(get(&db, 7).await.unwrap(), Some(at));
        assert!(candidates(&db).await.unwrap().is_empty(), "not onboarded yet");
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert!(claim(&db, 7, day, now).await.unwrap());
        assert!(!claim(&db, 7, day, now).await.unwrap(), "the same day twice");
        assert!(claim(&db, 7, day.succ_opt().unwrap(), now).await.unwrap(), "the next day");
        assert_eq!(already_claimed(&db, &[(7, day)]).await.unwrap(), HashSet::from([(7, day)]));
        set(&db, 7, None, now).await.unwrap();
        assert_eq!(get(&db, 7).await.unwrap(), None);
    }

    #[tokio::test]
    async fn claims_are_found_among_more_learners_due_than_one_statement_takes() {
        let (_dir, db) = crate::store::test_db().await;
        let now = Utc::now();
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let n = 2 * crate::store::sql::IN_CHUNK as i64 + 7;
        for id in 1..=n {
            let tg = TelegramUser {
                id,
                chat_id: id,
                first_name: "A",
                username: None,
                language_code: None,
            };
            learners::find_or_create(&db, &tg, now).await.unwrap();
        }
        // Claimed: the first and last learner of every chunk, and one a day early.
        let claimed: HashSet<(i64, NaiveDate)> = (1..=n)
            .filter(|id| id % crate::store::sql::IN_CHUNK as i64 <= 1)
            .map(|id| (id, day))
            .collect();
        for &(id, d) in &claimed {
            assert!(claim(&db, id, d, now).await.unwrap());
        }
        assert!(claim(&db, 2, day.pred_opt().unwrap(), now).await.unwrap());
        let due: Vec<(i64, NaiveDate)> = (1..=n).map(|id| (id, day)).collect();
        assert_eq!(
            already_claimed(&db, &due).await.unwrap(),
            claimed,
            "every claim found, in every chunk, and no other day's"
        );
    }
}
