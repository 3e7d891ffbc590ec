//! Telegram glue: the handler tree, commands, keyboards, the callback codec and sending helpers.
//!
//! Handlers are small: extract what the update says, call a service (`turn`, `store`), render
//! through `i18n`. The tree is built once (`schema()`) and run by the intake for each recorded
//! update with one `Arc<App>` as its dependency.

pub mod callback;
pub mod commands;
pub mod handlers;
pub mod keyboards;
pub mod render;
pub mod send;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use teloxide::dispatching::{HandlerExt, UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;
use teloxide::types::ReplyParameters;
use teloxide::utils::command::BotCommands;

use crate::app::App;
use crate::store::{self, StoreError};
use commands::Command;
use handlers::{misc, onboarding, turns};

/// Why handling an update failed (after the learner has been told, where there was someone to tell).
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("telegram: {0}")]
    Telegram(#[from] teloxide::RequestError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("turn: {0}")]
    Turn(String),
}

pub type HandlerResult = Result<(), BotError>;

/// The whole handler tree.
pub fn schema() -> UpdateHandler<BotError> {
    let messages = Update::filter_message()
        .branch(dptree::entry().filter_command::<Command>().endpoint(commands::handle))
        .branch(
            dptree::filter_map_async(misc::load_learner)
                .branch(dptree::filter(|l: crate::store::learners::Learner| !l.onboarded()).endpoint(onboarding::remind))
                .branch(dptree::filter_map(turns::voice_input).endpoint(turns::voice))
                .branch(dptree::filter_map(turns::text_input).endpoint(turns::text))
                .endpoint(misc::unsupported),
        )
        .endpoint(onboarding::first_contact);
    dptree::entry()
        .branch(messages)
        .branch(Update::filter_callback_query().endpoint(onboarding::on_callback))
        .branch(Update::filter_edited_message().endpoint(misc::edited))
        .branch(Update::filter_my_chat_member().endpoint(misc::membership))
}

static SCHEMA: LazyLock<UpdateHandler<BotError>> = LazyLock::new(schema);

/// Runs one update through the tree. Update kinds the tree does not handle are fine to ignore.
pub async fn dispatch(app: Arc<App>, update: Update) -> HandlerResult {
    let deps = dptree::deps![app.clone(), app.me.clone(), update];
    match SCHEMA.dispatch(deps).await {
        std::ops::ControlFlow::Break(result) => result,
        std::ops::ControlFlow::Continue(_) => Ok(()),
    }
}

/// Chats told recently to send one message at a time: the notice goes out once per burst.
static OVERFLOW_NOTIFIED: LazyLock<Mutex<HashMap<i64, Instant>>> = LazyLock::new(Default::default);

/// An update that did not fit in its chat's backlog: kept in the inbox, not processed, and the
/// learner gets one polite notice per burst.
pub async fn overflow(app: Arc<App>, update: Update) {
    let id = update.id.0 as i64;
    if let Err(e) = store::inbox::skip(&app.db, id, "chat backlog full", app.clock.now()).await {
        tracing::error!(update_id = id, error = %e, "could not mark overflow");
    }
    let (Some(chat), Some(user)) = (update.chat().map(|c| c.id), update.from().map(|u| u.id.0 as i64)) else { return };
    let notify = {
        let mut seen = OVERFLOW_NOTIFIED.lock().expect("overflow lock");
        let now = Instant::now();
        seen.retain(|_, t| now.duration_since(*t) < Duration::from_secs(60));
        seen.insert(chat.0, now).is_none()
    };
    if !notify {
        return;
    }
    let lang = match store::learners::find(&app.db, user).await {
        Ok(Some(l)) => l.lang,
        _ => crate::i18n::Lang::from_telegram(update.from().and_then(|u| u.language_code.as_deref())).unwrap_or(crate::i18n::Lang::En),
    };
    let text = app.i18n.tr(lang, "one-at-a-time", &[]);
    let mut req = app.bot.send_message(chat, text).parse_mode(teloxide::types::ParseMode::Html);
    if let teloxide::types::UpdateKind::Message(m) = &update.kind {
        req = req.reply_parameters(ReplyParameters::new(m.id).allow_sending_without_reply());
    }
    if let Err(e) = req.await {
        tracing::warn!(error = %e, "could not send the one-at-a-time notice");
    }
}

/// Shows the command menu in each interface language.
pub async fn register_commands(app: &App) {
    for lang in crate::i18n::Lang::ALL {
        let commands = Command::bot_commands()
            .into_iter()
            .map(|c| {
                let key = format!("cmd-{}", c.command.trim_start_matches('/'));
                teloxide::types::BotCommand::new(c.command.trim_start_matches('/'), app.i18n.tr(lang, &key, &[]))
            })
            .collect::<Vec<_>>();
        if let Err(e) = app.bot.set_my_commands(commands).language_code(lang.code()).await {
            tracing::warn!(error = %e, "could not register the command menu");
        }
    }
}
