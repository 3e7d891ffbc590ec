//! Onboarding: greeting, interface language, Czech level — and the buttons that set them.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::InlineKeyboardMarkup;

use super::callbacks::Press;
use super::misc::notice;
use crate::app::App;
use crate::bot::outbox::To;
use crate::bot::{HandlerResult, Telegram, keyboards, labels};
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
pub async fn start(app: Arc<App>, tg: Arc<Telegram>, msg: Message) -> HandlerResult {
    let Some(user) = telegram_user(&msg) else { return Ok(()) };
    // Before anything is shown, and idempotent: a database error is retried, not reported.
    let found = learners::find_or_create(&app.db, &user, app.clock.now()).await;
    let (learner, is_new) = found.map_err(|e| crate::bot::BotError::Unavailable(e.to_string()))?;
    if is_new || learner.onboarding == Onboarding::Language {
        return greet(&app, &tg, &msg, &learner).await;
    }
    if learner.onboarding == Onboarding::Level {
        return ask_level(&app, &tg, msg.chat.id, &learner).await;
    }
    notice(&tg, &msg, learner.lang, "start-known", &[("name", learner.first_name.as_str().into())])
        .await
}

/// A first message from someone who never pressed /start: onboarding begins right there.
pub async fn first_contact(app: Arc<App>, tg: Arc<Telegram>, msg: Message) -> HandlerResult {
    start(app, tg, msg).await
}

/// A message before onboarding is finished: say so and show the step's buttons again.
pub async fn remind(
    app: Arc<App>,
    tg: Arc<Telegram>,
    msg: Message,
    learner: Learner,
) -> HandlerResult {
    notice(&tg, &msg, learner.lang, "onboarding-unfinished", &[]).await?;
    match learner.onboarding {
        Onboarding::Language => greet(&app, &tg, &msg, &learner).await,
        _ => ask_level(&app, &tg, msg.chat.id, &learner).await,
    }
}

/// Greets by the name Telegram gives now (the stored one is erased by `/delete_me`).
async fn greet(app: &App, tg: &Telegram, msg: &Message, learner: &Learner) -> HandlerResult {
    let name = msg.from.as_ref().map_or(learner.first_name.as_str(), |u| u.first_name.as_str());
    let text = app.i18n.tr(learner.lang, "start-greeting", &[("name", name.into())]);
    send_text(tg, msg.chat.id, text, Some(keyboards::languages(&app.i18n, learner.lang))).await
}

async fn ask_level(app: &App, tg: &Telegram, chat: ChatId, learner: &Learner) -> HandlerResult {
    let text = app.i18n.tr(learner.lang, "choose-level", &[]);
    send_text(tg, chat, text, Some(keyboards::levels(&app.i18n, learner.lang))).await
}

/// An interface language chosen. The greeting stays readable (it says what we store); only its
/// buttons go. Pressing it again once chosen changes nothing.
pub async fn language_chosen(app: &App, tg: &Telegram, press: &Press, lang: Lang) -> HandlerResult {
    press.answer(tg, None).await?;
    if press.learner.onboarding != Onboarding::Language && press.learner.lang == lang {
        return Ok(());
    }
    learners::set_language(&app.db, press.learner.id, lang, app.clock.now()).await?;
    press.edit_keyboard(tg, None).await?;
    let name = app.i18n.tr(lang, &labels::lang_name(lang), &[]);
    let mut text = app.i18n.tr(lang, "language-set", &[("language", name.as_str().into())]);
    let next_step = learners::find(&app.db, press.learner.id)
        .await?
        .is_some_and(|l| l.onboarding == Onboarding::Level);
    let keyboard = next_step.then(|| {
        text = format!("{text}\n\n{}", app.i18n.tr(lang, "choose-level", &[]));
        keyboards::levels(&app.i18n, lang)
    });
    send_text(tg, press.chat(), text, keyboard).await
}

/// The Czech level chosen: onboarding is done, and the question becomes the confirmation —
/// with the placement test offered under it (`placement::offer`): taken, the reminder offer
/// follows its result; skipped, the reminder offer (`remind::offer`) takes its place.
pub async fn level_chosen(app: &App, tg: &Telegram, press: &Press, level: Level) -> HandlerResult {
    learners::set_level(&app.db, press.learner.id, level, app.clock.now()).await?;
    press.answer(tg, None).await?;
    let learner = Learner { level, ..press.learner.clone() };
    let text = done_text(app, &learner);
    let (offer, keyboard) = super::placement::offer(app, learner.lang);
    press.edit(tg, format!("{text}\n\n{offer}"), Some(keyboard)).await
}

/// The message that ends onboarding, for the learner's level.
pub fn done_text(app: &App, learner: &Learner) -> String {
    let label = app.i18n.tr(learner.lang, &labels::level(learner.level), &[]);
    app.i18n.tr(learner.lang, "onboarding-done", &[("level", label.as_str().into())])
}

async fn send_text(
    tg: &Telegram,
    chat: ChatId,
    text: String,
    keyboard: Option<InlineKeyboardMarkup>,
) -> HandlerResult {
    tg.outbox.text(To::chat(chat), text, keyboard).await?;
    Ok(())
}
