//! Telegram glue: the handler tree, commands, keyboards, the callback codec and sending helpers.
//!
//! Handlers are small: extract what the update says, call a service (`turn`, `store`), render
//! through `i18n` (pure views in [`views`]). The tree is built once (`schema()`) and run by the
//! intake for each recorded update with one `Arc<App>` and the intake's [`InFlight`] (for
//! `/cancel`) as its dependencies.

pub mod callback;
pub mod commands;
pub mod edit;
pub mod handlers;
pub mod keyboards;
pub mod labels;
pub mod pace;
pub mod render;
pub mod send;
pub mod turn_reply;
pub mod views;

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use teloxide::dispatching::{HandlerExt, UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;
use teloxide::types::ReplyParameters;
use teloxide::utils::command::BotCommands;

use crate::app::App;
use crate::intake::scheduler::InFlight;
use crate::store::learners::{Awaiting, Learner};
use crate::store::{self, StoreError};
use commands::Command;
use handlers::{callbacks, groups, misc, onboarding, review, timezone, turns};

/// Why handling an update failed (after the learner has been told, where there was someone to tell).
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("telegram: {0}")]
    Telegram(#[from] teloxide::RequestError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("turn: {0}")]
    Turn(#[from] crate::turn::TurnError),
}

pub type HandlerResult = Result<(), BotError>;

/// The whole handler tree.
pub fn schema() -> UpdateHandler<BotError> {
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
        .branch(
            dptree::filter_map_async(misc::load_learner)
                .branch(dptree::filter(|l: Learner| !l.onboarded()).endpoint(onboarding::remind))
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
                .branch(dptree::filter_map(turns::voice_input).endpoint(turns::voice))
                .branch(dptree::filter_map(turns::text_input).endpoint(turns::text))
                .endpoint(misc::unsupported),
        )
        .endpoint(onboarding::first_contact);
    dptree::entry()
        // Groups and supergroups first: no learner, no command, no turn there (see `groups`).
        .branch(dptree::filter(groups::outside_private).endpoint(groups::not_private))
        // Banned users and, in allow-list mode, those not on the list: nothing further runs.
        .branch(
            dptree::filter_map_async(handlers::access::refused).endpoint(handlers::access::refuse),
        )
        .branch(messages)
        .branch(Update::filter_callback_query().endpoint(callbacks::on_callback))
        .branch(Update::filter_edited_message().endpoint(misc::edited))
        .branch(Update::filter_my_chat_member().endpoint(misc::membership))
}

static SCHEMA: LazyLock<UpdateHandler<BotError>> = LazyLock::new(schema);

/// Runs one update through the tree. Update kinds the tree does not handle are fine to ignore.
pub async fn dispatch(app: Arc<App>, update: Update, in_flight: Arc<InFlight>) -> HandlerResult {
    let deps = dptree::deps![app.clone(), app.me.clone(), update, in_flight];
    match SCHEMA.dispatch(deps).await {
        std::ops::ControlFlow::Break(result) => result,
        std::ops::ControlFlow::Continue(_) => Ok(()),
    }
}

/// Telegram said the user blocked the bot (403): remember it, so nothing more is sent to them.
pub async fn mark_if_blocked(app: &App, user_id: i64, e: &teloxide::RequestError) {
    if !send::is_blocked(e) {
        return;
    }
    tracing::info!(user_id, "the learner blocked the bot; not sending to them any more");
    if let Err(e) =
        store::learners::set_status(&app.db, user_id, store::learners::BLOCKED, app.clock.now())
            .await
    {
        tracing::warn!(user_id, error = %e, "could not mark the learner blocked");
    }
}

/// An update that did not fit in its chat's backlog: kept in the inbox, not processed, and the
/// learner gets one polite notice per burst.
pub async fn overflow(app: Arc<App>, update: Update) {
    let id = update.id.0 as i64;
    if let Err(e) = store::inbox::skip(&app.db, id, "chat backlog full", app.clock.now()).await {
        tracing::error!(update_id = id, error = %e, "could not mark overflow");
    }
    if let teloxide::types::UpdateKind::CallbackQuery(q) = &update.kind {
        // A press is answered whatever happens to it, or its button keeps spinning.
        return callbacks::answer_busy(&app, q).await;
    }
    let (Some(chat), Some(user)) =
        (update.chat().map(|c| c.id), update.from().map(|u| u.id.0 as i64))
    else {
        return;
    };
    let notify = {
        let mut seen = app.overflow_notified.lock().expect("overflow lock");
        let now = Instant::now();
        seen.retain(|_, t| now.duration_since(*t) < Duration::from_secs(60));
        seen.insert(chat.0, now).is_none()
    };
    if !notify {
        return;
    }
    let lang = match store::learners::find(&app.db, user).await {
        Ok(Some(l)) => l.lang,
        _ => {
            crate::i18n::Lang::from_telegram(update.from().and_then(|u| u.language_code.as_deref()))
                .unwrap_or(crate::i18n::Lang::En)
        }
    };
    let text = app.i18n.tr(lang, "one-at-a-time", &[]);
    let reply_to = match &update.kind {
        teloxide::types::UpdateKind::Message(m) => {
            Some(ReplyParameters::new(m.id).allow_sending_without_reply())
        }
        _ => None,
    };
    let sent = send::paced(&app.pacer, chat, "one-at-a-time", || {
        let req =
            app.bot.send_message(chat, text.clone()).parse_mode(teloxide::types::ParseMode::Html);
        match &reply_to {
            Some(r) => req.reply_parameters(r.clone()).into_future(),
            None => req.into_future(),
        }
    })
    .await;
    if let Err(e) = sent {
        tracing::warn!(error = %e, "could not send the one-at-a-time notice");
    }
}

/// Shows the command menu in each interface language, and in English to everyone else.
pub async fn register_commands(app: &App) {
    let menu = |lang| {
        Command::bot_commands()
            .into_iter()
            .map(|c| {
                let name = c.command.trim_start_matches('/').to_owned();
                let description = app.i18n.tr(lang, &labels::command(&name), &[]);
                teloxide::types::BotCommand::new(name, description)
            })
            .collect::<Vec<_>>()
    };
    for lang in crate::i18n::Lang::ALL {
        if let Err(e) = app.bot.set_my_commands(menu(lang)).language_code(lang.code()).await {
            tracing::warn!(error = %e, "could not register the command menu");
        }
    }
    if let Err(e) = app.bot.set_my_commands(menu(crate::i18n::Lang::En)).await {
        tracing::warn!(error = %e, "could not register the default command menu");
    }
}
