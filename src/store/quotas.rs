//! Daily allowances and what was spent: a learner's own allowance (`quotas`), the default
//! (`bot_settings`), the learner's spend in their local day (`daily_stats`), and everyone's
//! spend since an instant (`usage`, for the global cap).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;

use super::StoreError;
use super::admin::{DEFAULT_QUOTA, SPEND_CAP, set_setting, setting};
use super::learners::Learner;
use super::sql::{exec, scalar, stmt};
use crate::admin::quota::Allowance;

/// The learner's own allowance; None = they follow the default.
pub async fn own(db: &impl ConnectionTrait, user_id: i64) -> Result<Option<Allowance>, StoreError> {
    let backend = db.get_database_backend();
    let Some(row) = db
        .query_one_raw(stmt(
            backend,
            "SELECT kind, micros FROM quotas WHERE user_id = $1",
            vec![user_id.into()],
        ))
        .await?
    else {
        return Ok(None);
    };
    let (kind, micros): (String, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
    Allowance::from_db(&kind, micros)
        .map(Some)
        .ok_or_else(|| StoreError::Corrupt(format!("quota of user {user_id}: {kind} {micros}")))
}

/// Sets (`Some`) or removes (`None`, back to the default) the learner's own allowance.
pub async fn set_own(
    db: &impl ConnectionTrait,
    user_id: i64,
    allowance: Option<Allowance>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(a) = allowance else {
        return exec(db, "DELETE FROM quotas WHERE user_id = $1", vec![user_id.into()])
            .await
            .map(drop);
    };
    let (kind, micros) = a.to_db();
    let sql = "INSERT INTO quotas (user_id, kind, micros, updated_at) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind, micros = excluded.micros, updated_at = excluded.updated_at";
    exec(db, sql, vec![user_id.into(), kind.into(), micros.into(), now.into()]).await.map(drop)
}

/// The default allowance an admin set, else `fallback` (from `DEFAULT_DAILY_QUOTA`).
pub async fn default(
    db: &impl ConnectionTrait,
    fallback: Allowance,
) -> Result<Allowance, StoreError> {
    Ok(match setting(db, DEFAULT_QUOTA).await? {
        Some(v) => decode(&v).ok_or_else(|| StoreError::Corrupt(format!("default quota {v:?}")))?,
        None => fallback,
    })
}

pub async fn set_default(
    db: &impl ConnectionTrait,
    a: Allowance,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    set_setting(db, DEFAULT_QUOTA, &encode(a), now).await
}

/// The allowance that applies to the learner: their own, else the default.
pub async fn effective(
    db: &impl ConnectionTrait,
    user_id: i64,
    fallback: Allowance,
) -> Result<Allowance, StoreError> {
    match own(db, user_id).await? {
        Some(a) => Ok(a),
        None => default(db, fallback).await,
    }
}

/// The allowance that applies to the learner and what they spent in their local `day`, in one
/// round trip: [`Standing`]'s select around `day`, for when the one read beside the learner does
/// not cover it.
pub async fn standing(
    db: &impl ConnectionTrait,
    user_id: i64,
    day: NaiveDate,
    fallback: Allowance,
) -> Result<(Allowance, i64), StoreError> {
    let select = standing_around(user_id, day);
    let row = db.query_one_raw(db.get_database_backend().build(&select)).await?;
    let row = row.ok_or_else(|| StoreError::Corrupt("the standing read returned no row".into()))?;
    let read = standing_of(&row, user_id, day)?;
    read.on(day, fallback)
        .unwrap_or_else(|| Err(StoreError::Corrupt("a standing without its day".into())))
}

/// The learner's own allowance, else the default an admin set, else `fallback`.
fn allowance_of(
    user_id: i64,
    own: Option<(String, i64)>,
    default: Option<String>,
    fallback: Allowance,
) -> Result<Allowance, StoreError> {
    Ok(match (own, default) {
        (Some((kind, micros)), _) => Allowance::from_db(&kind, micros).ok_or_else(|| {
            StoreError::Corrupt(format!("quota of user {user_id}: {kind} {micros}"))
        })?,
        (None, Some(v)) => {
            decode(&v).ok_or_else(|| StoreError::Corrupt(format!("default quota {v:?}")))?
        }
        (None, None) => fallback,
    })
}

/// What [`standing`] reads, for every day that can be "today" for someone somewhere (the UTC
/// day and the days either side): read beside the learner as their message comes in
/// ([`find_with_standing`]), it answers the paid gate without a round trip of its own,
/// whatever the learner's time zone.
#[derive(Clone, Debug, PartialEq)]
pub struct Standing {
    user_id: i64,
    own: Option<(String, i64)>,
    default: Option<String>,
    spent: [(NaiveDate, i64); 3],
}

impl Standing {
    /// The allowance and the spend of the learner's `day`; None when `day` is not one read.
    pub fn on(
        &self,
        day: NaiveDate,
        fallback: Allowance,
    ) -> Option<Result<(Allowance, i64), StoreError>> {
        let spent = self.spent.iter().find(|(d, _)| *d == day)?.1;
        let allowance =
            allowance_of(self.user_id, self.own.clone(), self.default.clone(), fallback);
        Some(allowance.map(|a| (a, spent)))
    }
}

/// The days [`Standing`] covers around `utc_day`.
fn days_around(utc_day: NaiveDate) -> [NaiveDate; 3] {
    [utc_day.pred_opt().unwrap_or(utc_day), utc_day, utc_day.succ_opt().unwrap_or(utc_day)]
}

/// The select behind [`Standing`]: one row, whatever is stored (the learner's read joins it).
fn standing_around(user_id: i64, utc_day: NaiveDate) -> sea_orm::sea_query::SelectStatement {
    use entity::daily_stats::{Column as D, Entity as Days};
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
    let sub = |q: &mut SelectStatement| Expr::SubQuery(None, Box::new(q.to_owned().into()));
    let quota = |column: &str| {
        sub(Query::select()
            .column(Alias::new(column))
            .from(Alias::new("quotas"))
            .and_where(Expr::col(Alias::new("user_id")).eq(user_id)))
    };
    let mut select = Query::select();
    select
        .expr_as(quota("kind"), Alias::new("own_kind"))
        .expr_as(quota("micros"), Alias::new("own_micros"))
        .expr_as(
            sub(Query::select()
                .column(Alias::new("value"))
                .from(Alias::new("bot_settings"))
                .and_where(Expr::col(Alias::new("key")).eq(DEFAULT_QUOTA))),
            Alias::new("default_quota"),
        );
    for (i, day) in days_around(utc_day).into_iter().enumerate() {
        let spent = sub(Query::select()
            .column(D::CostMicros)
            .from(Days)
            .and_where(Expr::col(D::UserId).eq(user_id))
            .and_where(Expr::col(D::Day).eq(day)));
        select.expr_as(spent, Alias::new(format!("spent_{i}")));
    }
    select
}

/// [`standing_around`]'s row.
fn standing_of(
    row: &sea_orm::QueryResult,
    user_id: i64,
    utc_day: NaiveDate,
) -> Result<Standing, StoreError> {
    let kind: Option<String> = row.try_get("", "own_kind")?;
    let micros: Option<i64> = row.try_get("", "own_micros")?;
    let days = days_around(utc_day);
    let mut spent = [(utc_day, 0); 3];
    for (i, day) in days.into_iter().enumerate() {
        spent[i] = (day, row.try_get::<Option<i64>>("", &format!("spent_{i}"))?.unwrap_or(0));
    }
    Ok(Standing {
        user_id,
        own: kind.zip(micros),
        default: row.try_get("", "default_quota")?,
        spent,
    })
}

/// The learner's average cost of a turn (micro-dollars) over their days from `since` on: what a
/// turn of theirs costs (their level's model, their voice notes' length), so what is left of an
/// allowance can be told in turns. `None` before their first turn.
pub async fn average_turn_cost(
    db: &impl ConnectionTrait,
    user_id: i64,
    since: NaiveDate,
) -> Result<Option<i64>, StoreError> {
    let sql = "SELECT CAST(SUM(cost_micros) AS BIGINT), CAST(SUM(turns) AS BIGINT) \
               FROM daily_stats WHERE user_id = $1 AND day >= $2";
    let backend = db.get_database_backend();
    let row = db.query_one_raw(stmt(backend, sql, vec![user_id.into(), since.into()])).await?;
    let Some(row) = row else { return Ok(None) };
    let (cost, turns): (Option<i64>, Option<i64>) =
        (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
    Ok(match (cost, turns) {
        (Some(cost), Some(turns)) if turns > 0 && cost > 0 => Some(cost / turns),
        _ => None,
    })
}

fn encode(a: Allowance) -> String {
    match a {
        Allowance::Unlimited => "unlimited".into(),
        Allowance::Daily(m) => m.to_string(),
    }
}

fn decode(v: &str) -> Option<Allowance> {
    if v == "unlimited" {
        Some(Allowance::Unlimited)
    } else {
        v.parse().ok().filter(|m| *m >= 0).map(Allowance::Daily)
    }
}

/// The global daily cap in micro-dollars an admin set, else `fallback` (`SPEND_CAP_DAILY`).
/// None = no cap.
pub async fn spend_cap(
    db: &impl ConnectionTrait,
    fallback: Option<i64>,
) -> Result<Option<i64>, StoreError> {
    Ok(match setting(db, SPEND_CAP).await?.as_deref() {
        None => fallback,
        Some("off") => None,
        Some(v) => Some(v.parse().map_err(|_| StoreError::Corrupt(format!("spend cap {v:?}")))?),
    })
}

pub async fn set_spend_cap(
    db: &impl ConnectionTrait,
    cap: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    set_setting(db, SPEND_CAP, &cap.map_or("off".to_owned(), |m| m.to_string()), now).await
}

/// What the learner spent in their local `day`.
pub async fn spent_on(
    db: &impl ConnectionTrait,
    user_id: i64,
    day: NaiveDate,
) -> Result<i64, StoreError> {
    let sql = "SELECT CAST(cost_micros AS BIGINT) FROM daily_stats WHERE user_id = $1 AND day = $2";
    Ok(scalar(db, sql, vec![user_id.into(), day.into()]).await?.unwrap_or(0))
}

/// What everyone spent since `since` (the start of the UTC day, for the global cap).
pub async fn spent_since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let sql =
        "SELECT CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) FROM usage WHERE created_at >= $1";
    Ok(scalar(db, sql, vec![since.into()]).await?.unwrap_or(0))
}

/// What the learner spent since their local day `from` (inclusive).
pub async fn spent_since_for(
    db: &impl ConnectionTrait,
    user_id: i64,
    from: NaiveDate,
) -> Result<i64, StoreError> {
    let sql = "SELECT CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) FROM daily_stats WHERE user_id = $1 AND day >= $2";
    Ok(scalar(db, sql, vec![user_id.into(), from.into()]).await?.unwrap_or(0))
}

/// The learner (as [`super::learners::find`]) and their [`Standing`] around `utc_day`, in one
/// statement: what a voice or text message needs before it is paid for. The standing's select
/// is the one row, the learner joined to it where there is one (`LEFT JOIN … ON TRUE`): two round
/// trips of every turn's were one on SQLite (statements sent together) but two on PostgreSQL.
pub async fn find_with_standing(
    db: &impl ConnectionTrait,
    user_id: i64,
    utc_day: NaiveDate,
) -> Result<(Option<Learner>, Standing), StoreError> {
    use entity::{user_settings, users};
    use sea_orm::sea_query::{Alias, Asterisk, Expr, JoinType, Query};
    use sea_orm::{EntityTrait, FromQueryResult, QueryTrait};
    let learner =
        users::Entity::find_by_id(user_id).find_also_related(user_settings::Entity).into_query();
    let select = Query::select()
        .column(Asterisk)
        .from_subquery(standing_around(user_id, utc_day), Alias::new("standing"))
        .join_subquery(JoinType::LeftJoin, learner, Alias::new("learner"), Expr::cust("TRUE"))
        .to_owned();
    let row = db.query_one_raw(db.get_database_backend().build(&select)).await?;
    let row = row.ok_or_else(|| StoreError::Corrupt("the standing read returned no row".into()))?;
    // The learner's columns are NULL for someone we do not know.
    let learner = match users::Model::from_query_result_optional(&row, "A_")? {
        Some(user) => user_settings::Model::from_query_result_optional(&row, "B_")?
            .map(|settings| Learner::from_rows(user, settings)),
        None => None,
    };
    Ok((learner, standing_of(&row, user_id, utc_day)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{learners, usage};

    #[tokio::test]
    async fn the_gate_reads_what_applies_and_each_days_spend_on_sqlite_and_postgres() {
        for (_dir, db) in crate::store::test_dbs().await {
            standing_read_gives_what_applies(db).await;
        }
    }

    async fn standing_read_gives_what_applies(db: sea_orm::DatabaseConnection) {
        let now = Utc::now();
        let utc_day = now.date_naive();
        let fallback = Allowance::Daily(50_000);
        // Nobody yet: no learner, and the standing still answers (the fallback, nothing spent).
        let (nobody, standing) = find_with_standing(&db, 11, utc_day).await.unwrap();
        assert!(nobody.is_none());
        assert_eq!(standing.on(utc_day, fallback).unwrap().unwrap(), (fallback, 0));

        let learner = crate::store::test_learner(&db, 11, "uk").await;
        let metrics = crate::metrics::Metrics::new(Default::default());
        let meter = crate::ai::meter::Meter::new(Default::default(), metrics.usage_counters());
        let yesterday = utc_day.pred_opt().unwrap();
        for (day, characters) in [(yesterday, 1_000), (utc_day, 3_000)] {
            let paid = meter.speech("tts-1", characters, false);
            usage::record(&db, learner.id, None, &paid, day, now).await.unwrap();
        }
        let check = |expected: Allowance, label: &'static str| {
            let db = db.clone();
            async move {
                let (found, standing) = find_with_standing(&db, learner.id, utc_day).await.unwrap();
                let alone = learners::find(&db, learner.id).await.unwrap();
                assert_eq!(format!("{found:?}"), format!("{alone:?}"), "{label}");
                assert!(found.is_some());
                let [before, today, after] = days_around(utc_day).map(|day| {
                    let (allowance, spent) = standing.on(day, fallback).unwrap().unwrap();
                    assert_eq!(allowance, expected, "{label}, {day}");
                    spent
                });
                assert!(0 < before && before < today, "{label}: 1,000 then 3,000 characters");
                assert_eq!(after, 0, "{label}: nothing spent tomorrow");
                let far = utc_day + chrono::Duration::days(2);
                assert!(standing.on(far, fallback).is_none(), "a day not read is read again");
                let read_again = super::standing(&db, learner.id, yesterday, fallback).await;
                assert_eq!(read_again.unwrap(), (expected, before), "{label}: read on its own");
            }
        };
        check(fallback, "the fallback").await;
        set_default(&db, Allowance::Daily(70_000), now).await.unwrap();
        check(Allowance::Daily(70_000), "the default").await;
        set_own(&db, learner.id, Some(Allowance::Unlimited), now).await.unwrap();
        check(Allowance::Unlimited, "their own").await;
    }
}
