//! Broadcasts: a draft (previewed), confirmed into one row per recipient, then sent by one
//! replica at a time under a lease (`holder`, `lease_until` in epoch ms). Each recipient is
//! claimed by the sender just before their send (pending → sending, only while the sender holds
//! the broadcast) and marked right after it: a sender that stalled past its lease and woke up
//! cannot claim anyone more, and the replica that took over never sends to one it claimed — a
//! recipient is sent to at most once, whatever stalls or crashes.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

use super::StoreError;
use super::learners::LearnerStatus;
use super::sql::{exec, scalar, stmt};
use crate::admin::args::Audience;

pub const PENDING: &str = "pending";
/// Claimed by a sender, send under way. Left so only by a sender that stopped (or was overtaken)
/// between its claim and its mark: whether Telegram got it is unknown, so it is never sent again
/// and the broadcast's end counts it failed.
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
/// Blocked the bot (before or at the send), or banned meanwhile: not sent, counted as skipped.
pub const SKIPPED: &str = "skipped";
/// Telegram refused for another reason: not retried (it would likely refuse again).
pub const FAILED: &str = "failed";

/// Active, onboarded learners of the audience: who a broadcast goes to.
const AUDIENCE: &str = "FROM users u JOIN user_settings s ON s.user_id = u.id \
                        WHERE u.status = 'active' AND u.onboarding = 'done' AND ($1 = 'all' OR s.interface_lang = $1)";

pub async fn audience_size(
    db: &impl ConnectionTrait,
    audience: Audience,
) -> Result<i64, StoreError> {
    Ok(scalar(db, &format!("SELECT COUNT(*) {AUDIENCE}"), vec![audience.as_str().into()])
        .await?
        .unwrap_or(0))
}

/// Stores what the admin previewed; returns its id (the Confirm button carries it).
pub async fn draft(
    db: &impl ConnectionTrait,
    admin_id: i64,
    admin_chat_id: i64,
    audience: Audience,
    text: &str,
    voice: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let sql = "INSERT INTO broadcasts (admin_id, admin_chat_id, audience, text, voice_file_id, status, lease_until, created_at) \
               VALUES ($1, $2, $3, $4, $5, 'draft', 0, $6) RETURNING id";
    let voice = sea_orm::Value::from(voice.map(str::to_owned));
    scalar(
        db,
        sql,
        vec![
            admin_id.into(),
            admin_chat_id.into(),
            audience.as_str().into(),
            text.into(),
            voice,
            now.into(),
        ],
    )
    .await?
    .ok_or_else(|| StoreError::Corrupt("broadcast insert returned nothing".into()))
}

/// Confirms a draft: its recipients are fixed now (one row each) and it becomes "sending".
/// None if it was not a draft any more (a second press, or cancelled); Some(0) if nobody is left
/// to send to (then it is closed at once).
pub async fn confirm(db: &DatabaseConnection, id: i64) -> Result<Option<i64>, StoreError> {
    let txn = db.begin().await?;
    let Some(audience) = scalar::<String>(
        &txn,
        "SELECT audience FROM broadcasts WHERE id = $1 AND status = 'draft'",
        vec![id.into()],
    )
    .await?
    else {
        return Ok(None);
    };
    if exec(
        &txn,
        "UPDATE broadcasts SET status = 'sending' WHERE id = $1 AND status = 'draft'",
        vec![id.into()],
    )
    .await?
        == 0
    {
        return Ok(None);
    }
    let sql = format!(
        "INSERT INTO broadcast_recipients (broadcast_id, user_id, status) SELECT CAST($2 AS BIGINT), u.id, '{PENDING}' {AUDIENCE}"
    );
    let n = exec(&txn, &sql, vec![audience.into(), id.into()]).await? as i64;
    if n == 0 {
        exec(&txn, "UPDATE broadcasts SET status = 'done' WHERE id = $1", vec![id.into()]).await?;
    }
    txn.commit().await?;
    Ok(Some(n))
}

/// Cancels a draft; false if it was already confirmed or cancelled.
pub async fn cancel(db: &impl ConnectionTrait, id: i64) -> Result<bool, StoreError> {
    Ok(exec(
        db,
        "UPDATE broadcasts SET status = 'cancelled' WHERE id = $1 AND status = 'draft'",
        vec![id.into()],
    )
    .await?
        == 1)
}

pub async fn set_progress_message(
    db: &impl ConnectionTrait,
    id: i64,
    message_id: i64,
) -> Result<(), StoreError> {
    exec(
        db,
        "UPDATE broadcasts SET progress_message_id = $1 WHERE id = $2",
        vec![message_id.into(), id.into()],
    )
    .await
    .map(drop)
}

/// A broadcast being sent, as its sender needs it.
#[derive(Clone, Debug)]
pub struct Sending {
    pub id: i64,
    pub admin_chat_id: i64,
    pub text: String,
    /// A voice to send, with `text` as its caption.
    pub voice_file_id: Option<String>,
    pub progress_message_id: Option<i64>,
}

/// Takes (or renews) the lease of the oldest broadcast still sending that no other live replica
/// holds. The lease condition is repeated in the outer WHERE so that on PostgreSQL a replica that
/// waited for another's update re-checks it and takes nothing.
pub async fn claim(
    db: &impl ConnectionTrait,
    holder: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<Option<Sending>, StoreError> {
    let free = "status = 'sending' AND (holder IS NULL OR holder = $1 OR lease_until < $3)";
    let sql = format!(
        "UPDATE broadcasts SET holder = $1, lease_until = $2 \
         WHERE id = (SELECT id FROM broadcasts WHERE {free} ORDER BY id LIMIT 1) AND {free} \
         RETURNING id, admin_chat_id, text, voice_file_id, progress_message_id"
    );
    let Some(row) = db
        .query_one_raw(stmt(
            db.get_database_backend(),
            &sql,
            vec![holder.into(), until_ms.into(), now_ms.into()],
        ))
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Sending {
        id: row.try_get_by_index(0)?,
        admin_chat_id: row.try_get_by_index(1)?,
        text: row.try_get_by_index(2)?,
        voice_file_id: row.try_get_by_index(3)?,
        progress_message_id: row.try_get_by_index(4)?,
    }))
}

/// Extends our lease; false if it was lost (expired and taken): then we stop sending.
pub async fn renew(
    db: &impl ConnectionTrait,
    id: i64,
    holder: &str,
    until_ms: i64,
) -> Result<bool, StoreError> {
    Ok(exec(db, "UPDATE broadcasts SET lease_until = $1 WHERE id = $2 AND holder = $3 AND status = 'sending'", vec![until_ms.into(), id.into(), holder.into()]).await? == 1)
}

/// Gives the lease back (a graceful stop), so another replica or the next start goes on at once.
pub async fn release(db: &impl ConnectionTrait, id: i64, holder: &str) -> Result<(), StoreError> {
    exec(
        db,
        "UPDATE broadcasts SET holder = NULL, lease_until = 0 WHERE id = $1 AND holder = $2",
        vec![id.into(), holder.into()],
    )
    .await
    .map(drop)
}

/// The next recipients still pending: (user id, chat id, whether they can be sent to now).
pub async fn pending(
    db: &impl ConnectionTrait,
    id: i64,
    limit: i64,
) -> Result<Vec<(i64, i64, bool)>, StoreError> {
    let sql = "SELECT r.user_id, COALESCE(u.chat_id, r.user_id), COALESCE(u.status, 'gone') FROM broadcast_recipients r \
               LEFT JOIN users u ON u.id = r.user_id WHERE r.broadcast_id = $1 AND r.status = 'pending' ORDER BY r.user_id LIMIT $2";
    let rows = db
        .query_all_raw(stmt(db.get_database_backend(), sql, vec![id.into(), limit.into()]))
        .await?;
    rows.iter()
        .map(|r| {
            let status: String = r.try_get_by_index(2)?;
            Ok((
                r.try_get_by_index(0)?,
                r.try_get_by_index(1)?,
                status == LearnerStatus::Active.as_str(),
            ))
        })
        .collect()
}

/// Claims a recipient for `holder`'s send: true only if they are still pending and `holder`
/// still holds the broadcast. One statement, so of two senders (one stalled past its lease) at
/// most one ever gets a given recipient.
pub async fn claim_recipient(
    db: &impl ConnectionTrait,
    id: i64,
    user_id: i64,
    holder: &str,
) -> Result<bool, StoreError> {
    let sql = format!(
        "UPDATE broadcast_recipients SET status = '{SENDING}' \
         WHERE broadcast_id = $1 AND user_id = $2 AND status = '{PENDING}' \
         AND EXISTS (SELECT 1 FROM broadcasts WHERE id = $1 AND holder = $3 AND status = 'sending')"
    );
    Ok(exec(db, &sql, vec![id.into(), user_id.into(), holder.into()]).await? == 1)
}

/// Records how a claimed recipient's send went.
pub async fn mark(
    db: &impl ConnectionTrait,
    id: i64,
    user_id: i64,
    status: &str,
) -> Result<(), StoreError> {
    exec(
        db,
        &format!("UPDATE broadcast_recipients SET status = $1 WHERE broadcast_id = $2 AND user_id = $3 AND status = '{SENDING}'"),
        vec![status.into(), id.into(), user_id.into()],
    )
    .await
    .map(drop)
}

/// How many recipients are sent, skipped, failed and still pending.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub sent: i64,
    pub skipped: i64,
    pub failed: i64,
    pub pending: i64,
}

impl Tally {
    pub fn total(&self) -> i64 {
        self.sent + self.skipped + self.failed + self.pending
    }
}

pub async fn tally(db: &impl ConnectionTrait, id: i64) -> Result<Tally, StoreError> {
    let rows = db
        .query_all_raw(stmt(db.get_database_backend(), "SELECT status, COUNT(*) FROM broadcast_recipients WHERE broadcast_id = $1 GROUP BY status", vec![id.into()]))
        .await?;
    let mut t = Tally::default();
    for r in rows {
        let (status, n): (String, i64) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?);
        match status.as_str() {
            SENT => t.sent = n,
            SKIPPED => t.skipped = n,
            FAILED => t.failed = n,
            _ => t.pending += n,
        }
    }
    Ok(t)
}

/// Closes the broadcast once nobody is pending. Recipients still claimed then were left by a
/// sender that stopped between its claim and its mark (this sender has marked all of its own):
/// counted failed, never sent again.
pub async fn finish(db: &impl ConnectionTrait, id: i64) -> Result<(), StoreError> {
    exec(
        db,
        &format!("UPDATE broadcast_recipients SET status = '{FAILED}' WHERE broadcast_id = $1 AND status = '{SENDING}'"),
        vec![id.into()],
    )
    .await?;
    exec(db, "UPDATE broadcasts SET status = 'done', holder = NULL WHERE id = $1", vec![id.into()])
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A broadcast being sent to recipients 1..=n (rows straight in: `confirm` needs learners).
    async fn sending_to(db: &DatabaseConnection, n: i64) -> i64 {
        let id = draft(db, 1, 1, Audience::All, "Ahoj", None, Utc::now()).await.unwrap();
        exec(db, "UPDATE broadcasts SET status = 'sending' WHERE id = $1", vec![id.into()])
            .await
            .unwrap();
        for user in 1..=n {
            exec(
                db,
                "INSERT INTO broadcast_recipients (broadcast_id, user_id, status) VALUES ($1, $2, 'pending')",
                vec![id.into(), user.into()],
            )
            .await
            .unwrap();
        }
        id
    }

    #[tokio::test]
    async fn a_sender_stalled_past_its_lease_claims_nobody_more_and_its_successor_skips_those_it_claimed()
     {
        let (_dir, db) = crate::store::test_db().await;
        let id = sending_to(&db, 6).await;
        assert_eq!(claim(&db, "a", 0, 3_000).await.unwrap().map(|b| b.id), Some(id));
        // a claims three recipients and has sent to the first when it stalls, two sends in flight.
        for user in 1..=3 {
            assert!(claim_recipient(&db, id, user, "a").await.unwrap());
        }
        mark(&db, id, 1, SENT).await.unwrap();
        assert!(claim(&db, "b", 2_000, 5_000).await.unwrap().is_none(), "a's lease still runs");
        assert_eq!(claim(&db, "b", 3_001, 6_001).await.unwrap().map(|b| b.id), Some(id));

        // a wakes up: its sends in flight are marked, but it cannot claim anyone more.
        assert!(!claim_recipient(&db, id, 4, "a").await.unwrap(), "the broadcast is b's now");
        assert!(!renew(&db, id, "a", 9_000).await.unwrap(), "and a learns it at its next renewal");
        mark(&db, id, 2, SENT).await.unwrap();

        // b goes on with those nobody claimed, never with a's.
        let left: Vec<i64> = pending(&db, id, 32).await.unwrap().iter().map(|r| r.0).collect();
        assert_eq!(left, vec![4, 5, 6]);
        for user in 1..=6 {
            let claimed = claim_recipient(&db, id, user, "b").await.unwrap();
            assert_eq!(claimed, user >= 4, "recipient {user} claimed by b: {claimed}");
            if claimed {
                mark(&db, id, user, SENT).await.unwrap();
            }
        }
        // a never marks recipient 3 (it crashed mid-send): in doubt, counted failed, not resent.
        finish(&db, id).await.unwrap();
        let t = tally(&db, id).await.unwrap();
        assert_eq!((t.sent, t.failed, t.pending), (5, 1, 0), "{t:?}");
        mark(&db, id, 3, SENT).await.unwrap();
        assert_eq!(tally(&db, id).await.unwrap(), t, "a mark after the end changes nothing");
    }
}
