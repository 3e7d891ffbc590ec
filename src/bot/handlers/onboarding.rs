//! Onboarding: greeting, interface language, Czech level — and the buttons that set them.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{CallbackQuery, MaybeInaccessibleMessage, ParseMode};

use super::misc::notice;
use crate::app::App;
use crate::bot::callback::Callback;
use crate::bot::{HandlerResult, keyboards, send};
use crate::store::learners::{self, Learner, Onboarding, TelegramUser};

fn telegram_user(msg: &Message) -> Option<TelegramUser<'_>> {
    let u = msg.from.as_ref()?;
    Some(TelegramUser {
        id: u.id.0 as i64,
        chat_id: msg.chat.id.0,
        first_name: &u.first_name,
        username: u.username.as_deref(),
        language_code: u.language_code.as_deref(),
    })
}

/// `/start`: greet a new learner and ask for the language; a known one is pointed to /help.
pub async fn start(app: Arc<App>, msg: Message) -> HandlerResult {
    let Some(tg) = telegram_user(&msg) else { return Ok(()) };
    let (learner, is_new) = learners::find_or_create(&app.db, &tg, app.clock.now()).await?;
    if is_new || learner.onboarding == Onboarding::Language {
        return greet(&app, &msg, &learner).await;
    }
    if learner.onboarding == Onboarding::Level {
        return ask_level(&app, msg.chat.id, &learner).await;
    }
    notice(&app, &msg, learner.lang, "start-known", &[("name", learner.first_name.as_str().into())]).await
}

/// A first message from someone who never pressed /start: onboarding begins right there.
pub async fn first_contact(app: Arc<App>, msg: Message) -> HandlerResult {
    start(app, msg).await
}

/// A message before onboarding is finished: say so and show the step's buttons again.
pub async fn remind(app: Arc<App>, msg: Message, learner: Learner) -> HandlerResult {
    notice(&app, &msg, learner.lang, "onboarding-unfinished", &[]).await?;
    match learner.onboarding {
        Onboarding::Language => greet(&app, &msg, &learner).await,
        _ => ask_level(&app, msg.chat.id, &learner).await,
    }
}

async fn greet(app: &App, msg: &Message, learner: &Learner) -> HandlerResult {
    let text = app.i18n.tr(learner.lang, "start-greeting", &[("name", learner.first_name.as_str().into())]);
    let keyboard = keyboards::languages(&app.i18n, learner.lang);
    send::with_retry("greeting", || {
        app.bot.send_message(msg.chat.id, text.clone()).parse_mode(ParseMode::Html).reply_markup(keyboard.clone()).into_future()
    })
    .await?;
    Ok(())
}

async fn ask_level(app: &App, chat: ChatId, learner: &Learner) -> HandlerResult {
    let text = app.i18n.tr(learner.lang, "choose-level", &[]);
    let keyboard = keyboards::levels(&app.i18n, learner.lang);
    send::with_retry("ask level", || {
        app.bot.send_message(chat, text.clone()).parse_mode(ParseMode::Html).reply_markup(keyboard.clone()).into_future()
    })
    .await?;
    Ok(())
}

/// Every button press. Data the bot never sent, or a press from a stranger, gets a short notice
/// and changes nothing.
pub async fn on_callback(app: Arc<App>, q: CallbackQuery) -> HandlerResult {
    let user_id = q.from.id.0 as i64;
    let learner = learners::find(&app.db, user_id).await?;
    let decoded = q.data.as_deref().and_then(Callback::decode);
    let message = match &q.message {
        Some(MaybeInaccessibleMessage::Regular(m)) => Some(m.as_ref()),
        _ => None,
    };
    let (Some(learner), Some(cb), Some(message)) = (learner, decoded, message) else {
        let lang = super::misc::lang_of(&app, Some(&q.from)).await;
        app.bot.answer_callback_query(q.id.clone()).text(app.i18n.tr(lang, "stale-button", &[])).await?;
        return Ok(());
    };
    let now = app.clock.now();
    match cb {
        Callback::Lang(lang) => {
            learners::set_language(&app.db, user_id, lang, now).await?;
            app.bot.answer_callback_query(q.id.clone()).await?;
            // The greeting stays readable (it says what we store); only its buttons go.
            if let Err(e) = app.bot.edit_message_reply_markup(message.chat.id, message.id).await {
                tracing::debug!(error = %e, "keyboard already gone");
            }
            let name = app.i18n.tr(lang, &format!("lang-name-{}", lang.code()), &[]);
            let mut text = app.i18n.tr(lang, "language-set", &[("language", name.as_str().into())]);
            let learner = learners::find(&app.db, user_id).await?.unwrap_or(learner);
            let keyboard = (learner.onboarding == Onboarding::Level).then(|| {
                text = format!("{text}\n\n{}", app.i18n.tr(lang, "choose-level", &[]));
                keyboards::levels(&app.i18n, lang)
            });
            send::with_retry("language set", || {
                let req = app.bot.send_message(message.chat.id, text.clone()).parse_mode(ParseMode::Html);
                match &keyboard {
                    Some(k) => req.reply_markup(k.clone()).into_future(),
                    None => req.into_future(),
                }
            })
            .await?;
        }
        Callback::Level(level) => {
            learners::set_level(&app.db, user_id, level, now).await?;
            app.bot.answer_callback_query(q.id.clone()).await?;
            let label = app.i18n.tr(learner.lang, &format!("level-{}", level.as_str()), &[]);
            let text = app.i18n.tr(learner.lang, "onboarding-done", &[("level", label.as_str().into())]);
            edit(&app, message, text).await?;
        }
    }
    Ok(())
}

/// Replaces a keyboard message with its confirmation (the buttons go away with the edit).
async fn edit(app: &App, message: &Message, text: String) -> HandlerResult {
    if message.text() == Some(text.as_str()) {
        return Ok(()); // Telegram refuses an edit that changes nothing
    }
    send::with_retry("edit", || app.bot.edit_message_text(message.chat.id, message.id, text.clone()).parse_mode(ParseMode::Html).into_future())
        .await?;
    Ok(())
}
