//! Telegram glue: the handler tree, commands, keyboards, the callback codec and the one way out
//! to Telegram ([`outbox`]).
//!
//! Handlers are small: extract what the update says, call a service (`turn`, `store`), render
//! through `i18n` (pure views in [`views`]), send through the [`Outbox`](outbox::Outbox). The
//! tree is built once (`schema()`) and run by the intake for each recorded update with its
//! dependencies injected by type: `Arc<App>` (the lower layers), `Arc<Telegram>` (this layer's
//! state), an `Arc<dyn CancelTurn>` (for `/cancel`) and an `Arc<dyn Fence>` (whether the update
//! is still this run's, checked by the turn before each paid or visible step), both provided by
//! whoever runs the updates.

pub mod callback;
pub mod commands;
pub mod handlers;
pub mod keyboards;
pub mod labels;
pub mod outbox;
pub mod pace;
pub mod render;
pub mod telegram;
pub mod turn_reply;
pub mod views;

use std::sync::{Arc, LazyLock};

use teloxide::dispatching::{HandlerExt, UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;

use crate::app::App;
use crate::store::learners::{Awaiting, Learner};
use crate::store::{self, StoreError};
use commands::Command;
use handlers::{
    callbacks, groups, listen, misc, onboarding, placement, review, shadow, timezone, turns,
};
use outbox::{OutboxError, To};
pub use telegram::Telegram;

/// Why handling an update failed (after the learner has been told, where there was someone to tell).
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("turn: {0}")]
    Turn(#[from] crate::turn::TurnError),
    /// The database failed before anything was paid for, shown or changed for this update (the
    /// access check, the learner lookup, the paid gate's budget): safe to run again, and the
    /// intake does ([`BotError::is_retryable`]) after telling the learner ([`unavailable`]).
    #[error("database unavailable before handling: {0}")]
    Unavailable(String),
    /// Packing the `/export` audio archive failed (writing to memory: a bug, not an outage).
    #[error("packing the audio export: {0}")]
    Archive(#[from] zip::result::ZipError),
}

impl BotError {
    /// Whether running the whole update again is safe and may succeed: only a database failure
    /// before anything happened. Anything later (a turn, a notice sent, a row written) is not
    /// repeated: a turn resumes from its checkpoints on its own, and the rest is reported.
    pub fn is_retryable(&self) -> bool {
        matches!(self, BotError::Unavailable(_))
    }

    /// The update stopped being this run's part-way ([`crate::turn::Fence`]): it is left, not
    /// marked, to whoever holds it now.
    pub fn is_fenced(&self) -> bool {
        matches!(self, BotError::Turn(crate::turn::TurnError::Fenced))
    }
}

pub type HandlerResult = Result<(), BotError>;

/// What `/cancel` needs from whoever runs the updates (the intake's scheduler): abandon the
/// work running for a chat. Defined here, so the bot never reaches up into the intake.
pub trait CancelTurn: Send + Sync {
    /// Abandons the work running for `chat`; `false` when nothing was running.
    fn cancel(&self, chat: i64) -> bool;
}

/// The whole handler tree.
pub fn schema() -> UpdateHandler<BotError> {
    // A known learner's message: onboarding to finish, a question answered, a turn.
    let known = dptree::filter_map(misc::Lookup::learner)
        .branch(dptree::filter(|l: Learner| !l.onboarded()).endpoint(onboarding::remind))
        // Something asked and waiting for its answer (one check for all, so a plain turn passes
        // them in one step; none matching falls through to the turn).
        .branch(
            dptree::filter(|l: Learner| l.awaiting.is_some())
                .branch(
                    dptree::filter(|l: Learner| l.awaiting == Some(Awaiting::Timezone))
                        .filter_map(turns::text_input)
                        .endpoint(timezone::answer),
                )
                // A review card waits for its answer: the next text or voice is that answer.
                .branch(
                    dptree::filter(|l: Learner| l.awaiting == Some(Awaiting::ReviewAnswer))
                        .filter_map(turns::text_input)
                        .endpoint(review::typed),
                )
                .branch(
                    dptree::filter(|l: Learner| l.awaiting == Some(Awaiting::ReviewAnswer))
                        .filter_map(turns::voice_input)
                        .endpoint(review::spoken),
                )
                // A placement test under way: the next text or voice answers its item.
                .branch(
                    dptree::filter(|l: Learner| l.awaiting == Some(Awaiting::Placement))
                        .filter_map(turns::text_input)
                        .endpoint(placement::typed),
                )
                .branch(
                    dptree::filter(|l: Learner| l.awaiting == Some(Awaiting::Placement))
                        .filter_map(turns::voice_input)
                        .endpoint(placement::spoken),
                )
                // A dictation sentence waits for what the learner heard, typed.
                .branch(
                    dptree::filter(|l: Learner| l.awaiting == Some(Awaiting::ListenAnswer))
                        .filter_map(turns::text_input)
                        .endpoint(listen::typed),
                )
                .branch(
                    dptree::filter(|l: Learner| l.awaiting == Some(Awaiting::ListenAnswer))
                        .filter_map(turns::voice_input)
                        .endpoint(listen::spoken),
                )
                // A shadowing phrase waits for the learner to say it.
                .branch(
                    dptree::filter(|l: Learner| l.awaiting == Some(Awaiting::ShadowAnswer))
                        .filter_map(turns::voice_input)
                        .endpoint(shadow::spoken),
                )
                .branch(
                    dptree::filter(|l: Learner| l.awaiting == Some(Awaiting::ShadowAnswer))
                        .filter_map(turns::text_input)
                        .endpoint(shadow::typed),
                ),
        )
        .branch(dptree::filter_map(turns::turn_input).endpoint(turns::turn))
        .endpoint(misc::unsupported);
    let messages = Update::filter_message()
        // Admin commands only from `ADMIN_IDS` (checked first: a learner's message is not even
        // parsed as one); anyone else falls through to the unknown-command reply.
        .branch(
            dptree::filter(handlers::admin::from_admin)
                .filter_command::<handlers::admin::AdminCommand>()
                .endpoint(handlers::admin::handle),
        )
        .branch(dptree::entry().filter_command::<Command>().endpoint(commands::handle))
        .branch(dptree::filter(commands::looks_like_command).endpoint(misc::unknown_command))
        // Who sent it: a known learner, a stranger (onboarding), or — the database failing — no
        // answer yet: never "a stranger", which would restart onboarding (see `misc::Lookup`).
        .branch(
            dptree::map_async(misc::lookup)
                .branch(dptree::filter(|l: misc::Lookup| l.failed()).endpoint(misc::unavailable))
                .branch(known)
                .endpoint(onboarding::first_contact),
        );
    dptree::entry()
        // Groups and supergroups first: no learner, no command, no turn there (see `groups`).
        .branch(dptree::filter(groups::outside_private).endpoint(groups::not_private))
        // Banned users and, in allow-list mode, those not on the list: nothing further runs.
        .branch(
            dptree::filter_map_async(handlers::access::refused).endpoint(handlers::access::refuse),
        )
        .branch(messages)
        .branch(Update::filter_callback_query().endpoint(callbacks::on_callback))
        .branch(Update::filter_poll_answer().endpoint(listen::poll_answer))
        .branch(Update::filter_edited_message().endpoint(misc::edited))
        .branch(Update::filter_my_chat_member().endpoint(misc::membership))
}

static SCHEMA: LazyLock<UpdateHandler<BotError>> = LazyLock::new(schema);

/// Runs one update through the tree. Update kinds the tree does not handle are fine to ignore.
pub async fn dispatch(
    app: Arc<App>,
    tg: Arc<Telegram>,
    update: Update,
    cancel: Arc<dyn CancelTurn>,
    fence: Arc<dyn crate::turn::Fence>,
) -> HandlerResult {
    let sender = Arc::new(handlers::access::Sender::default());
    let deps = dptree::deps![app, tg.me.clone(), tg, update, cancel, fence, sender];
    match SCHEMA.dispatch(deps).await {
        std::ops::ControlFlow::Break(result) => result,
        std::ops::ControlFlow::Continue(_) => Ok(()),
    }
}

/// An update that did not fit in its chat's backlog: kept in the inbox, not processed, and the
/// learner gets one polite notice per burst.
pub async fn overflow(app: Arc<App>, tg: Arc<Telegram>, update: Update) {
    let id = update.id.0 as i64;
    if let Err(e) = store::inbox::skip(&app.db, id, "chat backlog full", app.clock.now()).await {
        tracing::error!(error = %e, "could not mark overflow");
    }
    if let teloxide::types::UpdateKind::CallbackQuery(q) = &update.kind {
        // A press is answered whatever happens to it, or its button keeps spinning.
        return callbacks::answer_busy(&app, &tg, q).await;
    }
    let Some(chat) = update.chat().map(|c| c.id) else { return };
    if update.from().is_none() || handlers::access::banned(&app, update.from()).await {
        return;
    }
    if !tg.outbox.first_overflow(chat) {
        return;
    }
    let lang = misc::lang_of(&app, update.from()).await;
    let to = match &update.kind {
        teloxide::types::UpdateKind::Message(m) => To::reply(m),
        _ => To::chat(chat),
    };
    if let Err(e) = tg.outbox.notice(to, lang, "one-at-a-time", &[]).await {
        tracing::warn!(error = %e, "could not send the one-at-a-time notice");
    }
}

/// The database failed before an update could be handled ([`BotError::Unavailable`]); the
/// intake tries it again and calls this to say so, without touching the database (the language
/// is the one Telegram reports). On the first failure a message gets "one moment, trying again";
/// when the last try failed too, "please send it again later". A press is answered only then:
/// until then a retry may still answer it properly (a press is answered once).
pub async fn unavailable(app: &App, tg: &Telegram, update: &Update, gave_up: bool) {
    let lang =
        crate::i18n::Lang::from_telegram(update.from().and_then(|u| u.language_code.as_deref()))
            .unwrap_or(crate::i18n::Lang::En);
    let sent = match &update.kind {
        teloxide::types::UpdateKind::Message(m) | teloxide::types::UpdateKind::EditedMessage(m) => {
            let key = if gave_up { "unavailable-gave-up" } else { "unavailable-retrying" };
            tg.outbox.notice(To::reply(m), lang, key, &[]).await.map(drop)
        }
        teloxide::types::UpdateKind::CallbackQuery(q) if gave_up => {
            let text = app.i18n.tr(lang, "unavailable-press", &[]);
            tg.outbox.answer_press(&q.id, Some(text)).await
        }
        _ => Ok(()),
    };
    if let Err(e) = sent {
        tracing::warn!(error = %e, "could not tell the learner the database is failing");
    }
}
