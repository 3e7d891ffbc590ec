//! The paid gate: [`gate`] before the first paid request of a learner's message — the turn
//! limit, the global spend cap, the learner's allowance, in that order (why, in the [`access`]
//! module docs). Apart from admission: admission decides who is heard at all, this gate what
//! being heard may cost.
//!
//! [`access`]: super

use teloxide::prelude::*;

use crate::admin::quota::{self, Verdict, dollars};
use crate::app::App;
use crate::bot::handlers::misc::notice;
use crate::bot::outbox::To;
use crate::bot::{BotError, Telegram};
use crate::cache::rate;
use crate::i18n::Arg;
use crate::metrics::operations::Refusal as Refused;
use crate::progress::local_day;
use crate::store::learners::Learner;
use crate::store::{StoreError, admin as store, quotas};

/// Whether a paid request may go ahead (see [`gate`]).
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Pay for it.
    Open,
    /// Refused: the learner was told why; pay for nothing.
    Closed,
}

/// **The one gate for everything paid** (see the [`access`] docs): call it before the first paid
/// request a learner's message would cause, and pay only on [`Gate::Open`]. `update_id` is the
/// update the request answers: the turn limit counts an update once, so a resumed one is not
/// counted again. The per-learner turn limit first (it needs no database), then the global spend
/// cap, then the learner's allowance. A database error is [`BotError::Unavailable`]: nothing is
/// paid for, and the intake tells the learner and tries again.
///
/// [`access`]: super
pub async fn gate(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    update_id: i64,
    learner: &Learner,
) -> Result<Gate, BotError> {
    gate_with(app, tg, msg, update_id, learner, None).await
}

/// [`gate`], with the allowance's standing read with the learner as this message came in
/// (`Sender::take_standing`); without it, or for a day it does not cover, it is read here.
pub async fn gate_with(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    update_id: i64,
    learner: &Learner,
    known: Option<quotas::Standing>,
) -> Result<Gate, BotError> {
    if slowed_down(app, tg, msg, update_id, learner).await? {
        return Ok(Gate::Closed);
    }
    match over_budget(app, tg, msg, learner, known).await {
        Ok(true) => Ok(Gate::Closed),
        Ok(false) => Ok(Gate::Open),
        Err(Budget::Unreadable(e)) => Err(BotError::Unavailable(e.to_string())),
        Err(Budget::Shown(e)) => Err(e),
    }
}

/// Over `TURNS_PER_MINUTE`: the learner is told when to go on, and nothing is downloaded,
/// transcribed or answered. What they sent stays recorded in the inbox (`updates`).
async fn slowed_down(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    update_id: i64,
    learner: &Learner,
) -> Result<bool, BotError> {
    match app.cache.turns.check(learner.id, update_id, app.clock.now()).await {
        rate::Verdict::Go => Ok(false),
        rate::Verdict::Wait(wait) => {
            app.metrics.ops.refused(Refused::TurnLimit);
            let seconds = wait.as_secs_f64().ceil().max(1.0) as i64;
            tracing::info!(user_id = learner.id, seconds, "turn limit reached");
            notice(tg, msg, learner.lang, "slow-down", &[("seconds", Arg::from(seconds))]).await?;
            Ok(true)
        }
    }
}

/// The learner's days their average turn cost is taken over (today included): recent enough to
/// follow a change of level or of voice notes' length.
const AVERAGE_DAYS: i64 = 14;

/// Why [`over_budget`] could not decide: the spend or the allowance could not be read (nothing
/// was shown), or a notice could not be sent.
enum Budget {
    Unreadable(StoreError),
    Shown(BotError),
}

impl From<BotError> for Budget {
    fn from(e: BotError) -> Self {
        Budget::Shown(e)
    }
}

/// Over the global cap or the learner's allowance (they are told why). Near the allowance, the
/// learner hears once a day how much is left, and the request goes on.
async fn over_budget(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    learner: &Learner,
    known: Option<quotas::Standing>,
) -> Result<bool, Budget> {
    let now = app.clock.now();
    let (cap, spent) = tg.access.spend(app, now).await.map_err(Budget::Unreadable)?;
    app.metrics.ops.spend(cap, spent);
    if let Some(cap) = cap
        && spent >= cap
    {
        app.metrics.ops.refused(Refused::SpendCap);
        tracing::info!(user_id = learner.id, cap, spent, "global spend cap reached; refused");
        notice(tg, msg, learner.lang, "spend-cap-resting", &[]).await?;
        let first = store::once(&app.db, &format!("spend-cap:{}", now.date_naive()), now).await;
        match first {
            Ok(true) => tell_admins_cap(app, tg, cap, spent).await,
            Ok(false) => {}
            // Refused and told already: the admins hear of it with the next refusal.
            Err(e) => tracing::warn!(error = %e, "could not mark the spend cap's day"),
        }
        return Ok(true);
    }
    let day = local_day(now, learner.tz);
    let fallback = app.config.admin.default_quota;
    let (allowance, spent) = match known.and_then(|s| s.on(day, fallback)) {
        Some(read) => read,
        None => quotas::standing(&app.read, learner.id, day, fallback).await,
    }
    .map_err(Budget::Unreadable)?;
    if allowance == quota::Allowance::Unlimited {
        return Ok(false);
    }
    match quota::verdict(allowance, spent) {
        Verdict::Go => Ok(false),
        Verdict::GoNearLimit { left } => {
            match store::once(&app.db, &format!("quota-near:{}:{day}", learner.id), now).await {
                Ok(true) => {
                    let since = day - chrono::Duration::days(AVERAGE_DAYS - 1);
                    // Without an average the learner hears a share of the day instead.
                    let average = quotas::average_turn_cost(&app.db, learner.id, since)
                        .await
                        .unwrap_or_else(|e| {
                            tracing::warn!(error = %e, "could not read the average turn cost");
                            None
                        });
                    let limit = match allowance {
                        quota::Allowance::Daily(limit) => limit,
                        quota::Allowance::Unlimited => left,
                    };
                    let (key, args) = match quota::left_for_learner(left, limit, average) {
                        quota::Left::Turns(n) => ("quota-near-turns", [("turns", Arg::from(n))]),
                        quota::Left::Percent(p) => {
                            ("quota-near-share", [("percent", Arg::from(p))])
                        }
                    };
                    notice(tg, msg, learner.lang, key, &args).await?;
                }
                Ok(false) => {}
                // Only a courtesy: the request goes on without it.
                Err(e) => tracing::warn!(error = %e, "could not mark the near-allowance notice"),
            }
            Ok(false)
        }
        Verdict::Exhausted => {
            let (at, wait) = quota::resets(now, learner.tz);
            let time = at.with_timezone(&learner.tz).format("%H:%M").to_string();
            let mins = (wait.num_seconds() + 59) / 60;
            let (hours, minutes) = (mins / 60, mins % 60);
            tracing::info!(user_id = learner.id, "daily allowance used up; refused");
            app.metrics.ops.refused(Refused::Allowance);
            let args = [
                ("time", Arg::from(&time)),
                ("zone", Arg::from(learner.tz.name())),
                ("hours", Arg::from(hours)),
                ("minutes", Arg::from(minutes)),
            ];
            notice(tg, msg, learner.lang, "quota-exhausted", &args).await?;
            Ok(true)
        }
    }
}

/// Tells every admin the cap was reached (once a day across replicas: the caller claimed the
/// day's mark). An admin who never started the bot cannot be written to: logged, not retried.
/// Nobody asked for it just now, so an admin who blocked the bot is skipped.
async fn tell_admins_cap(app: &App, tg: &Telegram, cap: i64, spent: i64) {
    for &admin in &app.config.admin_ids {
        let lang = match crate::store::learners::find(&app.db, admin).await {
            Ok(Some(l)) => l.lang,
            _ => crate::i18n::Lang::En,
        };
        let text = app.i18n.tr(
            lang,
            "spend-cap-admin",
            &[("cap", Arg::from(&dollars(cap))), ("spent", Arg::from(&dollars(spent)))],
        );
        if let Err(e) = tg.outbox.text(To::unprompted(ChatId(admin)), text, None).await {
            tracing::warn!(admin_id = admin, error = %e, "could not tell an admin the spend cap was reached");
        }
    }
}
