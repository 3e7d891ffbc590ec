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
//!
//! Here: admission ([`refused`], [`refuse`], [`Sender`]). The paid gate is in `paid`, the
//! per-replica cache of the access mode and the day's spend in `cache`; both re-exported at
//! their old paths.

use std::sync::{Arc, Mutex};

use teloxide::prelude::*;
use teloxide::types::UpdateKind;

use crate::admin::access::{AccessMode, Admission, admit};
use crate::app::App;
use crate::bot::handlers::misc::lang_of;
use crate::bot::outbox::To;
use crate::bot::{BotError, HandlerResult, Telegram};
use crate::store::learners::{Learner, LearnerStatus};
use crate::store::{StoreError, admin as store, quotas};

pub use cache::{AccessCache, utc_day_start};
pub use paid::{Gate, gate, gate_with};

mod cache;
mod paid;

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
