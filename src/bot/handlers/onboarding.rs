//! Onboarding: greeting, interface language, Czech level — and the buttons that set them.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, ParseMode};

use super::callbacks::Press;
use super::misc::notice;
use crate::app::App;
use crate::bot::{HandlerResult, edit, keyboards, labels, send};
use crate::i18n::Lang;
use crate::settings::Level;
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
    notice(&app, &msg, learner.lang, "start-known", &[("name", learner.first_name.as_str().into())])
        .await
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

/// Greets by the name Telegram gives now (the stored one is erased by `/delete_me`).
async fn greet(app: &App, msg: &Message, learner: &Learner) -> HandlerResult {
    let name = msg.from.as_ref().map_or(learner.first_name.as_str(), |u| u.first_name.as_str());
    let text = app.i18n.tr(learner.lang, "start-greeting", &[("name", name.into())]);
    send_text(app, msg.chat.id, text, Some(keyboards::languages(&app.i18n, learner.lang))).await
}

async fn ask_level(app: &App, chat: ChatId, learner: &Learner) -> HandlerResult {
    let text = app.i18n.tr(learner.lang, "choose-level", &[]);
    send_text(app, chat, text, Some(keyboards::levels(&app.i18n, learner.lang))).await
}

/// An interface language chosen. The greeting stays readable (it says what we store); only its
/// buttons go. Pressing it again once chosen changes nothing.
pub async fn language_chosen(app: &App, press: &Press, lang: Lang) -> HandlerResult {
    press.answer(app, None).await?;
    if press.learner.onboarding != Onboarding::Language && press.learner.lang == lang {
        return Ok(());
    }
    learners::set_language(&app.db, press.learner.id, lang, app.clock.now()).await?;
    edit::keyboard(app, press.chat(), press.message_id(), None).await?;
    let name = app.i18n.tr(lang, &labels::lang_name(lang), &[]);
    let mut text = app.i18n.tr(lang, "language-set", &[("language", name.as_str().into())]);
    let next_step = learners::find(&app.db, press.learner.id)
        .await?
        .is_some_and(|l| l.onboarding == Onboarding::Level);
    let keyboard = next_step.then(|| {
        text = format!("{text}\n\n{}", app.i18n.tr(lang, "choose-level", &[]));
        keyboards::levels(&app.i18n, lang)
    });
    send_text(app, press.chat(), text, keyboard).await
}

/// The Czech level chosen: onboarding is done, and the question becomes the confirmation.
pub async fn level_chosen(app: &App, press: &Press, level: Level) -> HandlerResult {
    learners::set_level(&app.db, press.learner.id, level, app.clock.now()).await?;
    press.answer(app, None).await?;
    let label = app.i18n.tr(press.learner.lang, &labels::level(level), &[]);
    let text =
        app.i18n.tr(press.learner.lang, "onboarding-done", &[("level", label.as_str().into())]);
    edit::text(app, press.chat(), press.message_id(), text, None).await
}

async fn send_text(
    app: &App,
    chat: ChatId,
    text: String,
    keyboard: Option<InlineKeyboardMarkup>,
) -> HandlerResult {
    send::paced(&app.pacer, chat, "onboarding", || {
        let req = app.bot.send_message(chat, text.clone()).parse_mode(ParseMode::Html);
        match &keyboard {
            Some(k) => req.reply_markup(k.clone()).into_future(),
            None => req.into_future(),
        }
    })
    .await?;
    Ok(())
}
