//! The daily-reminder sweep (`/remind` sets them: `bot::handlers::remind`).
//!
//! Every replica sweeps (every `REMINDER_SWEEP_SECONDS`): learners with a reminder, active and
//! onboarded, whose local time has reached it today (within `review::reminder::WINDOW`) and who
//! have not practised today. Each reminder is claimed in the database before it is sent
//! (`store::reminders::claim`), so exactly one replica sends it, at most once a day, restarts
//! included. A send that fails is not retried (a second attempt could be a second reminder).
//! Reminders are unprompted sends: the outbox skips a learner marked blocked and marks one
//! whose 403 says so, so no further reminders go to them.

use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use teloxide::types::ChatId;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::bot::outbox::To;
use crate::bot::{BotError, Telegram};
use crate::html::escape_html;
use crate::i18n::Arg;
use crate::progress::{local_day, parse_tz};
use crate::review::{phrases, reminder};
use crate::store::learners::{self, Learner};
use crate::store::{reminders, review};

/// Sweeps until `shutdown`; started at start-up on every replica.
pub async fn run(app: Arc<App>, tg: Arc<Telegram>, shutdown: CancellationToken) {
    loop {
        match sweep(&app, &tg).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "daily reminders sent"),
            Err(e) => {
                tracing::warn!(error = %e, "reminder sweep failed; trying again at the next one")
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(app.config.reminder_sweep) => {}
        }
    }
}

/// One pass over the learners with a reminder; returns how many this replica sent.
pub async fn sweep(app: &App, tg: &Telegram) -> Result<usize, BotError> {
    let now = app.clock.now();
    let due: Vec<(i64, NaiveDate)> = reminders::candidates(&app.db)
        .await?
        .into_iter()
        .filter_map(|c| {
            Some((c.user_id, reminder::due(now, parse_tz(&c.timezone)?, c.at, c.last_practice)?))
        })
        .collect();
    let claimed = reminders::already_claimed(&app.db, &due).await?;
    let mut sent = 0;
    for (user_id, day) in due.into_iter().filter(|d| !claimed.contains(d)) {
        if !reminders::claim(&app.db, user_id, day, now).await? {
            continue; // another replica has it
        }
        if remind(app, tg, user_id, now).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Sends one claimed reminder; `false` when it could not be sent.
async fn remind(
    app: &App,
    tg: &Telegram,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, BotError> {
    let Some(learner) = learners::find(&app.db, user_id)
        .await?
        .filter(|l| l.status == learners::LearnerStatus::Active)
    else {
        return Ok(false);
    };
    let text = message(app, &learner, review::due_count(&app.db, user_id, now).await?, now);
    match tg.outbox.text(To::unprompted(ChatId(learner.chat_id)), text, None).await {
        Ok(_) => Ok(true),
        Err(e) => {
            tracing::warn!(user_id, error = %e, "could not send a daily reminder");
            Ok(false)
        }
    }
}

/// Hello, the cards waiting, the streak if it ends tonight, and the learner's phrase of the day
/// (`review::phrases`: none repeats within 120 days).
fn message(app: &App, l: &Learner, due: u64, now: DateTime<Utc>) -> String {
    let t = |key: &str, args: &[(&str, Arg)]| app.i18n.tr(l.lang, key, args);
    let today = local_day(now, l.tz);
    let mut lines = vec![t("remind-hello", &[])];
    if due > 0 {
        lines.push(t("remind-due", &[("due", Arg::Num(i64::try_from(due).unwrap_or(i64::MAX)))]));
    }
    if reminder::streak_at_risk(l.streak.current, l.streak.last_day, today) {
        lines.push(t("remind-streak", &[("days", l.streak.current.into())]));
    }
    // Something short to start with: two minutes of /listen one day, a scene the next, a
    // phrase to shadow the day after.
    let practice = ["remind-listen", "remind-scene", "remind-shadow"][today.ordinal() as usize % 3];
    lines.push(t(practice, &[]));
    let phrase = phrases::of_the_day(l.id, today);
    lines.push(format!(
        "{} <b>{}</b> — {}",
        t("remind-phrase", &[]),
        escape_html(&phrase.cs),
        escape_html(phrase.meaning(l.lang))
    ));
    lines.join("\n")
}
