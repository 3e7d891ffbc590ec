//! Everything that is not onboarding or a turn: help, unsupported messages, edits, membership.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{ChatMemberUpdated, ParseMode, ReplyParameters};

use crate::app::App;
use crate::bot::{HandlerResult, send};
use crate::i18n::Lang;
use crate::store::{self, learners::Learner};

/// Injects the learner who sent `msg`, if they are known.
pub async fn load_learner(app: Arc<App>, msg: Message) -> Option<Learner> {
    let user = msg.from.as_ref()?;
    match store::learners::find(&app.db, user.id.0 as i64).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "could not load learner");
            None
        }
    }
}

/// The learner's language, or the one Telegram reports for them, or English.
pub async fn lang_of(app: &App, user: Option<&teloxide::types::User>) -> Lang {
    let Some(user) = user else { return Lang::En };
    if let Ok(Some(l)) = store::learners::find(&app.db, user.id.0 as i64).await {
        return l.lang;
    }
    Lang::from_telegram(user.language_code.as_deref()).unwrap_or(Lang::En)
}

/// Sends a short localized notice as a reply to `msg`.
pub async fn notice(app: &App, msg: &Message, lang: Lang, key: &str, args: &[(&str, crate::i18n::Arg<'_>)]) -> HandlerResult {
    let text = app.i18n.tr(lang, key, args);
    send::with_retry("notice", || {
        app.bot
            .send_message(msg.chat.id, text.clone())
            .parse_mode(ParseMode::Html)
            .reply_parameters(ReplyParameters::new(msg.id).allow_sending_without_reply())
            .into_future()
    })
    .await?;
    Ok(())
}

pub async fn help(app: Arc<App>, msg: Message) -> HandlerResult {
    let lang = lang_of(&app, msg.from.as_ref()).await;
    notice(&app, &msg, lang, "help", &[]).await
}

/// `/reset`: a new conversation — Honzík starts from a clean context; history, stats and stars stay.
pub async fn reset(app: Arc<App>, msg: Message) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else { return Ok(()) };
    let lang = lang_of(&app, Some(user)).await;
    if store::learners::find(&app.db, user.id.0 as i64).await?.is_some() {
        store::conversations::start_new(&app.db, user.id.0 as i64, app.clock.now()).await?;
    }
    notice(&app, &msg, lang, "reset-done", &[]).await
}

/// Stickers, photos, documents that are not audio…: say what Honzík understands.
pub async fn unsupported(app: Arc<App>, msg: Message, learner: Learner) -> HandlerResult {
    notice(&app, &msg, learner.lang, "unsupported-message", &[]).await
}

/// Edits are not new turns; say so instead of silently ignoring them.
pub async fn edited(app: Arc<App>, msg: Message) -> HandlerResult {
    let lang = lang_of(&app, msg.from.as_ref()).await;
    notice(&app, &msg, lang, "edited-ignored", &[]).await
}

/// The learner blocked or unblocked the bot: remember it, so nothing is sent in vain.
pub async fn membership(app: Arc<App>, upd: ChatMemberUpdated) -> HandlerResult {
    let status = if upd.new_chat_member.is_banned() || upd.new_chat_member.is_left() { "blocked" } else { "active" };
    store::learners::set_status(&app.db, upd.from.id.0 as i64, status, app.clock.now()).await?;
    Ok(())
}
