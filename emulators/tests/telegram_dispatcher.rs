//! A complete teloxide `Dispatcher` (its own long polling, offsets and
//! `allowed_updates`) runs against the emulator: the way the bot itself
//! will be tested.

use std::time::Duration;

use emulators::telegram::{TelegramConfig, TelegramEmulator};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, ParseMode};
use teloxide::utils::html;

async fn on_message(bot: Bot, msg: Message) -> ResponseResult<()> {
    let text = msg.text().unwrap_or("(bez textu)");
    let keyboard =
        InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Ještě jednou", "again")]]);
    bot.send_message(msg.chat.id, format!("Řekl jsi: <b>{}</b>", html::escape(text)))
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard)
        .await?;
    Ok(())
}

async fn on_callback(bot: Bot, q: CallbackQuery) -> ResponseResult<()> {
    bot.answer_callback_query(q.id.clone()).text("Dobře!").await?;
    if let Some(m) = q.regular_message() {
        bot.edit_message_text(m.chat.id, m.id, "Hotovo ✅").await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_teloxide_dispatcher_polls_the_emulator_and_its_replies_are_observable() {
    let em = TelegramEmulator::start(TelegramConfig::default()).await.unwrap();
    let bot = Bot::new(em.token()).set_api_url(reqwest::Url::parse(&em.api_url()).unwrap());
    let handler = dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_callback_query().endpoint(on_callback));
    let mut dispatcher = Dispatcher::builder(bot, handler).build();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });

    let jana = em.learner(42, "Jana", Some("cs"));
    jana.send_text("1 < 2 & <b>tučně</b>?");
    let msgs = em.wait_messages(42, 1, Duration::from_secs(10)).await;
    assert_eq!(msgs[0].plain_text(), "Řekl jsi: 1 < 2 & <b>tučně</b>?");

    jana.press(msgs[0].message_id, "again");
    assert!(em.wait_until(Duration::from_secs(10), |em| em.messages(42)[0].edits == 1).await);
    assert_eq!(em.messages(42)[0].plain_text(), "Hotovo ✅");
    assert!(em.messages(42)[0].buttons().is_empty(), "editing without markup removes the keyboard");
    assert_eq!(em.callback_answers()[0].text.as_deref(), Some("Dobře!"));

    // Offsets are confirmed as the dispatcher goes.
    assert!(em.wait_until(Duration::from_secs(15), |em| em.pending_updates() == 0).await);
    assert!(em.rejected().is_empty(), "{:?}", em.rejected());
    running.abort();
}
