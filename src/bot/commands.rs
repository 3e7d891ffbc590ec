//! Slash commands. Descriptions shown in Telegram's menu come from the locales (`cmd-*` keys).

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::utils::command::BotCommands;

use super::HandlerResult;
use super::handlers::{misc, onboarding};
use crate::app::App;

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Start or restart onboarding.
    Start,
    /// How Honzík works.
    Help,
    /// Start a new conversation (Honzík forgets the context; history and stats stay).
    Reset,
}

pub async fn handle(app: Arc<App>, msg: Message, cmd: Command) -> HandlerResult {
    match cmd {
        Command::Start => onboarding::start(app, msg).await,
        Command::Help => misc::help(app, msg).await,
        Command::Reset => misc::reset(app, msg).await,
    }
}
