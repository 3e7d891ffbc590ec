//! Slash commands. Descriptions shown in Telegram's menu come from the locales (`cmd-*` keys).
//!
//! Arguments nobody asked for are ignored (`/style please` shows the styles); `/timezone` takes
//! one (`/timezone Europe/Vienna`), and so does `/register` (`/register obecná`). A message that looks like a command but is none of these
//! gets a hint to `/help` instead of becoming a turn.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{Update, UpdateKind};
use teloxide::utils::command::BotCommands;

use super::handlers::{
    listen, misc, onboarding, placement, privacy, remind, review, scene, settings, shadow, stats,
    timezone, words,
};
use super::{CancelTurn, HandlerResult, Telegram};
use crate::app::App;
use crate::settings::SettingKind;
use crate::store::learners::{self, Learner};

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "snake_case")]
pub enum Command {
    /// Start or restart onboarding.
    Start,
    /// How Honzík works.
    Help,
    Level,
    Style,
    Corrections,
    VoiceSpeed,
    /// Voice replies to text messages on/off.
    Voice,
    Language,
    /// The time zone; an argument is taken as the zone's name.
    Timezone(String),
    /// Standard or colloquial Czech; an argument ("obecná") chooses it straight away.
    Register(String),
    Stats,
    Saved,
    /// Review saved words and past mistakes (spaced repetition).
    Review,
    /// The placement test: about five minutes that measure the level.
    Placement,
    /// The daily reminder; an argument sets the local time ("19:30") or turns it off ("off").
    Remind(String),
    /// A role-play scene with a goal.
    Scene,
    /// Dictation and listening quizzes.
    Listen,
    /// Shadowing: say a phrase after Honzík.
    Shadow,
    /// Start a new conversation (after a confirmation).
    Reset,
    /// Abandon the turn in flight (handled out of the chat's queue, see [`is_cancel`]).
    Cancel,
    Privacy,
    Export,
    DeleteMe,
}

pub async fn handle(
    app: Arc<App>,
    tg: Arc<Telegram>,
    msg: Message,
    cmd: Command,
    running: Arc<dyn CancelTurn>,
    update: Update,
) -> HandlerResult {
    match cmd {
        Command::Start => return onboarding::start(app, tg, msg).await,
        Command::Help => return misc::help(app, tg, msg).await,
        Command::Privacy => return privacy::explain(&app, &tg, &msg).await,
        Command::Cancel => return misc::cancel(&app, &tg, &msg, running.as_ref()).await,
        _ => {}
    }
    let Some(learner) = known_learner(&app, &msg).await? else {
        // Asking what is stored, or to erase it, must not be what creates a learner (nor, in
        // allow-list mode, an entry for a stranger): there is nothing to export or delete.
        if matches!(cmd, Command::Export | Command::DeleteMe) {
            let lang = misc::lang_of(&app, msg.from.as_ref()).await;
            return misc::notice(&tg, &msg, lang, "nothing-stored", &[]).await;
        }
        return onboarding::start(app, tg, msg).await;
    };
    let (app, tg, msg, l) = (app.as_ref(), tg.as_ref(), &msg, &learner);
    match cmd {
        Command::Level => settings::show(app, tg, msg, l, SettingKind::Level).await,
        Command::Style => settings::show(app, tg, msg, l, SettingKind::Style).await,
        Command::Corrections => settings::show(app, tg, msg, l, SettingKind::Corrections).await,
        Command::VoiceSpeed => settings::show(app, tg, msg, l, SettingKind::VoiceSpeed).await,
        Command::Voice => settings::show(app, tg, msg, l, SettingKind::VoiceReplies).await,
        Command::Language => settings::show(app, tg, msg, l, SettingKind::Language).await,
        Command::Timezone(arg) => timezone::command(app, tg, msg, l, &arg).await,
        Command::Register(arg) => settings::register(app, tg, msg, l, &arg).await,
        Command::Stats => stats::show(app, tg, msg, l).await,
        Command::Saved => words::list(app, tg, msg, l).await,
        Command::Review => review::start(app, tg, msg, l).await,
        Command::Placement => placement::command(app, tg, msg, update.id.0 as i64, l).await,
        Command::Remind(arg) => remind::command(app, tg, msg, l, &arg).await,
        Command::Scene => scene::menu(app, tg, msg, l).await,
        Command::Listen => listen::start(app, tg, msg, update.id.0 as i64, l).await,
        Command::Shadow => shadow::start(app, tg, msg, update.id.0 as i64, l).await,
        Command::Reset => misc::ask_reset(app, tg, msg, l).await,
        Command::Export => privacy::export(app, tg, msg, l).await,
        Command::DeleteMe => privacy::ask_delete(app, tg, msg, l).await,
        Command::Start | Command::Help | Command::Privacy | Command::Cancel => Ok(()), // answered above
    }
}

/// The learner sending a command; a command starts something new, so a question the bot was
/// waiting on (a typed time zone) is dropped — but not a placement test under way: a look at
/// `/stats` in the middle of it does not end it, and the next answer still goes to it.
async fn known_learner(app: &App, msg: &Message) -> Result<Option<Learner>, super::BotError> {
    // A lookup error is not "a stranger" (that would restart onboarding): the command waits.
    let found = misc::load_learner_of(app, msg).await;
    let found = found.map_err(|e| super::BotError::Unavailable(e.to_string()))?;
    let Some(mut learner) = found else { return Ok(None) };
    if let Some(was) = learner.awaiting.take_if(|a| *a != learners::Awaiting::Placement) {
        learners::set_awaiting(&app.db, learner.id, None, app.clock.now()).await?;
        if was == learners::Awaiting::ReviewAnswer {
            crate::store::review::close(&app.db, learner.id).await?; // a review in progress ends quietly
        }
        if matches!(was, learners::Awaiting::ListenAnswer | learners::Awaiting::ShadowAnswer) {
            crate::store::practice::close(&app.db, learner.id).await?; // so does a dictation or shadowing
        }
    }
    Ok(Some(learner))
}

/// `/cancel` must act while its chat's turn is still running, so the intake runs it outside the
/// chat's queue.
pub fn is_cancel(update: &Update) -> bool {
    let UpdateKind::Message(m) = &update.kind else { return false };
    let first = m.text().and_then(|t| t.split_whitespace().next()).unwrap_or("");
    first == "/cancel" || first.starts_with("/cancel@")
}

/// A learner's message that may become a turn (not a command, not a button): the only kind of
/// work `/cancel` abandons, so it never cuts a settings change or onboarding step in half.
pub fn is_turn_message(update: &Update) -> bool {
    let UpdateKind::Message(m) = &update.kind else { return false };
    !looks_like_command(m.clone())
}

/// A first word like `/word` or `/word@bot`: meant as a command, whether or not we know it.
pub fn looks_like_command(msg: Message) -> bool {
    let first = msg.text().and_then(|t| t.split_whitespace().next()).unwrap_or("");
    let name = first.strip_prefix('/').map(|n| n.split('@').next().unwrap_or(""));
    name.is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> serde_json::Value {
        serde_json::json!({
            "message_id": 1, "date": 0, "chat": {"id": 5, "type": "private", "first_name": "A"},
            "from": {"id": 5, "is_bot": false, "first_name": "A"}, "text": text
        })
    }

    fn message(text: &str) -> Message {
        serde_json::from_value(raw(text)).unwrap()
    }

    fn update(text: &str) -> Update {
        // From a string, as the intake reads them: teloxide's Update does not read from a Value.
        serde_json::from_str(&serde_json::json!({"update_id": 1, "message": raw(text)}).to_string())
            .unwrap()
    }

    #[test]
    fn every_command_parses_with_or_without_junk_arguments() {
        for c in Command::bot_commands() {
            let name = c.command.trim_start_matches('/');
            assert!(Command::parse(&format!("/{name}"), "mluvme_bot").is_ok(), "{name}");
            assert!(
                Command::parse(&format!("/{name} bla bla 42"), "mluvme_bot").is_ok(),
                "{name} with junk"
            );
        }
        assert_eq!(
            Command::parse("/timezone Europe/Vienna", "b").unwrap(),
            Command::Timezone("Europe/Vienna".into())
        );
        assert_eq!(Command::parse("/voice_speed", "b").unwrap(), Command::VoiceSpeed);
        assert_eq!(
            Command::parse("/register obecná", "b").unwrap(),
            Command::Register("obecná".into())
        );
        assert_eq!(Command::parse("/delete_me@b now", "b").unwrap(), Command::DeleteMe);
    }

    #[test]
    fn cancel_is_recognised_before_the_handler_tree_runs() {
        assert!(is_cancel(&update("/cancel")));
        assert!(is_cancel(&update("/cancel@mluvme_bot please")));
        assert!(!is_cancel(&update("/cancellation")));
        assert!(!is_cancel(&update("cancel")));
    }

    #[test]
    fn unknown_commands_are_told_apart_from_text() {
        assert!(looks_like_command(message("/foo")));
        assert!(looks_like_command(message("/foo@other_bot bar")));
        assert!(!looks_like_command(message("/ ahoj")));
        assert!(!looks_like_command(message("Ahoj /foo")));
        assert!(!looks_like_command(message("/?!")));
    }
}
