//! Daily allowances and what was spent: a learner's own allowance (`quotas`), the default
//! (`bot_settings`), the learner's spend in their local day (`daily_stats`), and everyone's
//! spend since an instant (`usage`, for the global cap).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;

use super::StoreError;
use super::admin::{DEFAULT_QUOTA, SPEND_CAP, set_setting, setting};
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
/// round trip (checked before every turn: three lookups as one statement).
pub async fn standing(
    db: &impl ConnectionTrait,
    user_id: i64,
    day: NaiveDate,
    fallback: Allowance,
) -> Result<(Allowance, i64), StoreError> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT (SELECT kind FROM quotas WHERE user_id = $1), (SELECT micros FROM quotas WHERE user_id = $1), \
         (SELECT value FROM bot_settings WHERE key = '{DEFAULT_QUOTA}'), \
         (SELECT CAST(cost_micros AS BIGINT) FROM daily_stats WHERE user_id = $1 AND day = $2)"
    );
    let row = db.query_one_raw(stmt(backend, &sql, vec![user_id.into(), day.into()])).await?;
    let Some(row) = row else { return Ok((fallback, 0)) };
    let (kind, micros): (Option<String>, Option<i64>) =
        (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
    let default: Option<String> = row.try_get_by_index(2)?;
    let spent: Option<i64> = row.try_get_by_index(3)?;
    let allowance = match (kind, micros, default) {
        (Some(kind), Some(micros), _) => Allowance::from_db(&kind, micros).ok_or_else(|| {
            StoreError::Corrupt(format!("quota of user {user_id}: {kind} {micros}"))
        })?,
        (_, _, Some(v)) => {
            decode(&v).ok_or_else(|| StoreError::Corrupt(format!("default quota {v:?}")))?
        }
        _ => fallback,
    };
    Ok((allowance, spent.unwrap_or(0)))
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
