//! Who gets through, and whether anything may be paid for.
//!
//! - [`refused`] runs before anything else in a private chat: a banned user gets one polite
//!   notice (ever, until unbanned) and then silence; in allow-list mode someone not on the list
//!   is told once a day that the bot is closed. Nothing of theirs is processed or paid for —
//!   except their data rights (`/privacy`, `/export`, `/delete_me`), which a ban does not remove.
//!   It fails closed: when the database cannot say (a ban, the allow-list), the update does not
//!   go through — the learner hears "a moment, please" and the intake tries it again
//!   ([`BotError::Unavailable`]).
//! - [`gate`] is **the one gate for everything paid**: every handler that would make a paid
//!   request for a learner (a turn, voice or text; a spoken answer to a review card; a
//!   placement dictation's voice, spoken answer or grade; any new one) calls it first, and pays
//!   only on [`Gate::Open`]. It checks, in order, the per-learner turn limit
//!   (`TURNS_PER_MINUTE`), the global daily spend cap ("Honzík is resting"), then the learner's
//!   own daily allowance. A refused request costs nothing, is told why, and its
//!   message stays in the inbox. Work already started is never cut: only the start is checked
//!   (the conversation summary folded after a turn belongs to that turn).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use teloxide::prelude::*;
use teloxide::types::UpdateKind;

use crate::admin::access::{AccessMode, Admission, admit};
use crate::admin::quota::{self, Verdict, dollars};
use crate::app::App;
use crate::bot::handlers::misc::{lang_of, notice};
use crate::bot::outbox::To;
use crate::bot::{BotError, HandlerResult, Telegram};
use crate::cache::rate;
use crate::i18n::Arg;
use crate::metrics::operations::Refusal as Refused;
use crate::progress::local_day;
use crate::store::learners::{Learner, LearnerStatus};
use crate::store::{StoreError, admin as store, quotas};

/// How long a replica trusts the access mode it read. An admin's change reaches the replica
/// where it was made at once (the cache is dropped) and the others within this.
const MODE_TTL: Duration = Duration::from_secs(3);

/// How long a replica trusts today's total spend against the cap. Summing the day's usage on
/// every turn would cost more as the day fills; this way the cap may be overshot by at most a
/// couple of seconds of spending, which turns already started could overshoot anyway.
const SPEND_TTL: Duration = Duration::from_secs(2);

/// The access mode and today's spend against the cap, as last read (one per process, in
/// `bot::Telegram`).
#[derive(Default)]
pub struct AccessCache {
    mode: Mutex<Option<(AccessMode, Instant)>>,
    spend: Mutex<Option<SpendRead>>,
}

/// The cap, the spend of the UTC day, that day, and when they were read.
type SpendRead = (Option<i64>, i64, chrono::NaiveDate, Instant);

impl AccessCache {
    pub async fn mode(&self, app: &App) -> Result<AccessMode, StoreError> {
        if let Some((mode, at)) = *self.mode.lock().expect("access cache")
            && at.elapsed() < MODE_TTL
        {
            return Ok(mode);
        }
        let mode = match store::setting(&app.read, store::ACCESS_MODE).await? {
            Some(v) => AccessMode::parse(&v)
                .ok_or_else(|| StoreError::Corrupt(format!("access mode {v:?}")))?,
            None => app.config.admin.access_mode,
        };
        *self.mode.lock().expect("access cache") = Some((mode, Instant::now()));
        Ok(mode)
    }

    /// The global cap and what was spent since UTC midnight (read at most every [`SPEND_TTL`]);
    /// the spend is not read at all while there is no cap.
    pub async fn spend(
        &self,
        app: &App,
        now: DateTime<Utc>,
    ) -> Result<(Option<i64>, i64), StoreError> {
        if let Some((cap, spent, day, at)) = *self.spend.lock().expect("access cache")
            && at.elapsed() < SPEND_TTL
            && day == now.date_naive()
        {
            return Ok((cap, spent));
        }
        let cap = quotas::spend_cap(&app.read, app.config.admin.spend_cap).await?;
        let spent = match cap {
            Some(_) => quotas::spent_since(&app.read, utc_day_start(now)).await?,
            None => 0,
        };
        *self.spend.lock().expect("access cache") =
            Some((cap, spent, now.date_naive(), Instant::now()));
        Ok((cap, spent))
    }

    pub fn invalidate(&self) {
        *self.mode.lock().expect("access cache") = None;
        *self.spend.lock().expect("access cache") = None;
    }
}

/// The sender's learner as [`refused`] read it, for the same update's own lookup to take
/// (`misc::lookup`, a button press's check) instead of reading the same row again: the ban check
/// and the lookup were two round trips of every message's (BENCHMARKS.md, issue 18). Taken
/// once: a handler that reads the learner again after changing it reads the database.
///
/// For a message that may be paid for, their allowance's standing was read with them
/// (`quotas::find_with_standing`), for the paid gate to take ([`gate_with`]): one round trip of
/// every turn's less.
#[derive(Default)]
pub struct Sender {
    learner: Mutex<Option<Option<Learner>>>,
    standing: Mutex<Option<quotas::Standing>>,
}

impl Sender {
    fn keep(&self, learner: Option<Learner>) {
        *self.learner.lock().expect("sender") = Some(learner);
    }

    /// The learner the gate read (None inside: nobody we know), or None if it read none.
    pub fn take(&self) -> Option<Option<Learner>> {
        self.learner.lock().expect("sender").take()
    }

    /// The standing read with the learner, if it was.
    pub fn take_standing(&self) -> Option<quotas::Standing> {
        self.standing.lock().expect("sender").take()
    }
}

/// A message that may become a paid turn (a voice note, a file, text that is not a command).
fn may_be_paid(update: &Update) -> bool {
    match &update.kind {
        UpdateKind::Message(m) => m.text().is_none_or(|t| !t.starts_with('/')),
        _ => false,
    }
}

/// Whether a banned user sent this: they receive nothing unasked — no group note, no "one at a
/// time" — beyond the one refusal (`refuse`). When the database cannot say, they are treated as
/// banned: a note withheld costs less than one sent to someone who must get nothing.
pub async fn banned(app: &App, user: Option<&teloxide::types::User>) -> bool {
    let Some(user) = user else { return false };
    match store::status(&app.read, user.id.0 as i64).await {
        Ok(status) => status.as_deref() == Some(LearnerStatus::Banned.as_str()),
        Err(e) => {
            tracing::warn!(error = %e, "could not read a ban; the note is withheld");
            true
        }
    }
}

/// Whether someone is on the allow-list (`ALLOWED_USERS` or added by an admin).
pub async fn on_list(app: &App, user_id: i64) -> Result<bool, StoreError> {
    Ok(app.config.admin.allowed_users.contains(&user_id)
        || store::is_allowed(&app.read, user_id).await?)
}

/// Why an update does not go through [`refused`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Banned, or not on the allow-list.
    Admission(Admission),
    /// The database could not say whether they may come in (why, for the log): refused for now,
    /// and tried again by the intake.
    Unavailable(String),
}

/// The refusal for an update from a banned or not-allowed user; None lets it through. Only
/// messages, edits and button presses are gated (membership changes keep being recorded). On a
/// database error the update is refused too ([`Refusal::Unavailable`]): letting it through would
/// let a banned user in whenever the database hiccups.
pub async fn refused(
    app: Arc<App>,
    tg: Arc<Telegram>,
    update: Update,
    sender: Arc<Sender>,
) -> Option<Refusal> {
    if !matches!(
        update.kind,
        UpdateKind::Message(_) | UpdateKind::EditedMessage(_) | UpdateKind::CallbackQuery(_)
    ) {
        return None;
    }
    if data_rights(&update) {
        return None;
    }
    let user_id = update.from()?.id.0 as i64;
    let check = async {
        // The whole learner, not just the status: the handler's own lookup takes it (`Sender`);
        // with their allowance's standing where the message may be paid for.
        let learner = if may_be_paid(&update) {
            let utc_day = app.clock.now().date_naive();
            let (learner, standing) =
                quotas::find_with_standing(&app.read, user_id, utc_day).await?;
            *sender.standing.lock().expect("sender") = Some(standing);
            learner
        } else {
            crate::store::learners::find(&app.read, user_id).await?
        };
        let banned = learner.as_ref().is_some_and(|l| l.status == LearnerStatus::Banned);
        sender.keep(learner);
        let mode = tg.access.mode(&app).await?;
        let listed = mode == AccessMode::AllowList && !banned && on_list(&app, user_id).await?;
        Ok::<_, StoreError>(admit(mode, app.config.is_admin(user_id), banned, listed))
    };
    match check.await {
        Ok(Admission::Let) => None,
        Ok(refusal) => Some(Refusal::Admission(refusal)),
        Err(e) => {
            tracing::error!(user_id, error = %e, "could not check access; refused for now");
            Some(Refusal::Unavailable(e.to_string()))
        }
    }
}

/// `/privacy`, `/export`, `/delete_me` and the deletion's buttons: a ban or a closed door never
/// takes away seeing and erasing one's own data (none of them costs anything).
fn data_rights(update: &Update) -> bool {
    match &update.kind {
        UpdateKind::Message(m) => {
            let first = m.text().and_then(|t| t.split_whitespace().next()).unwrap_or("");
            let name = first.split('@').next().unwrap_or("");
            matches!(name, "/privacy" | "/export" | "/delete_me")
        }
        UpdateKind::CallbackQuery(q) => q.data.as_deref().is_some_and(|d| d.starts_with("del:")),
        _ => false,
    }
}

/// Answers a refused update: the notice once, then nothing (a press is still answered, or its
/// button would spin). A refusal for want of a database is handed to the intake as
/// [`BotError::Unavailable`]: it tells the learner and tries the update again.
pub async fn refuse(
    app: Arc<App>,
    tg: Arc<Telegram>,
    update: Update,
    refusal: Refusal,
) -> HandlerResult {
    let admission = match refusal {
        Refusal::Admission(admission) => admission,
        Refusal::Unavailable(why) => return Err(BotError::Unavailable(why)),
    };
    let Some(user) = update.from() else { return Ok(()) };
    let user_id = user.id.0 as i64;
    if let UpdateKind::CallbackQuery(q) = &update.kind {
        tg.outbox.answer_press(&q.id, None).await?;
    }
    let (key, mark) = match admission {
        Admission::Banned => ("banned-notice", format!("banned:{user_id}")),
        Admission::NotAllowed => {
            ("access-closed", format!("access:{user_id}:{}", app.clock.now().date_naive()))
        }
        Admission::Let => return Ok(()),
    };
    tracing::info!(user_id, ?admission, "update refused");
    if !store::once(&app.db, &mark, app.clock.now()).await? {
        return Ok(());
    }
    let text = app.i18n.tr(lang_of(&app, Some(user)).await, key, &[]);
    let to = match &update.kind {
        UpdateKind::Message(m) => To::reply(m),
        _ => match update.chat() {
            Some(chat) => To::chat(chat.id),
            None => return Ok(()),
        },
    };
    tg.outbox.text(to, text, None).await?;
    Ok(())
}

/// The start of today for the global cap: UTC midnight (one day for every replica and learner).
pub fn utc_day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

/// Whether a paid request may go ahead (see [`gate`]).
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Pay for it.
    Open,
    /// Refused: the learner was told why; pay for nothing.
    Closed,
}

/// **The one gate for everything paid** (see the module docs): call it before the first paid
/// request a learner's message would cause, and pay only on [`Gate::Open`]. `update_id` is the
/// update the request answers: the turn limit counts an update once, so a resumed one is not
/// counted again. The per-learner turn limit first (it needs no database), then the global spend
/// cap, then the learner's allowance. A database error is [`BotError::Unavailable`]: nothing is
/// paid for, and the intake tells the learner and tries again.
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
