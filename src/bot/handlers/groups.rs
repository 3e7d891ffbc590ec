//! Messages from outside a private chat.
//!
//! Honzík talks one-to-one: a turn is about one learner's Czech, and the history, stars and
//! settings it feeds are theirs. In a group or supergroup, a message addressed to the bot — a
//! command (for this bot), an @mention, a reply to one of its messages — gets a short note to talk
//! to him in private (`GROUP_CHATS=reply`, the default) or nothing (`GROUP_CHATS=ignore`).
//! Everything else said in a group is not for him and is left alone, as are edits there: with
//! privacy mode off the bot sees every message of the group, and a note under each would be spam.
//! No learner is created from a group and no turn runs there; the update itself stays in the
//! inbox like every other. Channel posts never arrive: the poller does not ask for them
//! (`allowed_updates`), and the tree has no branch for them either.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{Me, UpdateKind};

use super::misc::{lang_of, notice};
use crate::app::App;
use crate::bot::{HandlerResult, Telegram};
use crate::config::GroupChats;

/// A message or an edit in a chat that is not private.
pub fn outside_private(update: Update) -> bool {
    match &update.kind {
        UpdateKind::Message(m) | UpdateKind::EditedMessage(m) => !m.chat.is_private(),
        _ => false,
    }
}

pub async fn not_private(
    app: Arc<App>,
    tg: Arc<Telegram>,
    me: Me,
    update: Update,
) -> HandlerResult {
    let UpdateKind::Message(msg) = &update.kind else { return Ok(()) };
    if app.config.group_chats == GroupChats::Ignore || !addressed_to(msg, &me) {
        return Ok(());
    }
    if super::access::banned(&app, msg.from.as_ref()).await {
        return Ok(());
    }
    let lang = lang_of(&app, msg.from.as_ref()).await;
    notice(&tg, msg, lang, "private-only", &[("bot", me.username().into())]).await
}

/// A command for this bot (`/start`, `/start@this_bot`; not `/start@other_bot`), a mention of it,
/// or a reply to one of its messages.
fn addressed_to(msg: &Message, me: &Me) -> bool {
    let text = msg.text().or(msg.caption()).unwrap_or("");
    let name = me.username().to_lowercase();
    let command = text.strip_prefix('/').map(|c| c.split_whitespace().next().unwrap_or(""));
    let for_us = command
        .is_some_and(|c| c.split_once('@').is_none_or(|(_, bot)| bot.to_lowercase() == name));
    let mentioned = text.to_lowercase().contains(&format!("@{name}"));
    let replied =
        msg.reply_to_message().and_then(|r| r.from.as_ref()).is_some_and(|u| u.id == me.id);
    for_us || mentioned || replied
}
