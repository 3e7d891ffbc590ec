//! Saved words: the save buttons under a turn, and `/saved` — a paged list, newest first, each
//! word removable.

use std::collections::HashSet;

use teloxide::types::{InlineKeyboardMarkup, Message};

use super::callbacks::Press;
use super::misc::reply;
use crate::app::App;
use crate::bot::views::saved::{PER_PAGE, page_text, pages};
use crate::bot::{BotError, HandlerResult, Telegram, keyboards};
use crate::store::{self, learners::Learner};
use crate::tutor::HonzikReply;
use crate::words::candidates;

/// The save buttons for a turn whose answer is stored as `honzik_message`, marking the words
/// the learner already has.
pub async fn save_keyboard(
    app: &App,
    user_id: i64,
    honzik_message: i64,
    reply: &HonzikReply,
) -> Result<Option<InlineKeyboardMarkup>, BotError> {
    let words = candidates(reply);
    let keys: Vec<String> = words.iter().map(|c| c.key.clone()).collect();
    let saved = store::words::saved_among(&app.read, user_id, &keys).await?;
    Ok(keyboards::save_words(&words, &saved, honzik_message))
}

/// The same buttons when the learner's saved words among them are known already (read with the
/// turn's answer).
pub fn save_keyboard_of(
    honzik_message: i64,
    reply: &HonzikReply,
    saved: &HashSet<String>,
) -> Option<InlineKeyboardMarkup> {
    keyboards::save_words(&candidates(reply), saved, honzik_message)
}

/// "➕ word" pressed: save it (once — a second press says it is there) and tick its button.
pub async fn save(
    app: &App,
    tg: &Telegram,
    press: &Press,
    honzik_message: i64,
    index: u8,
) -> HandlerResult {
    let user = press.learner.id;
    let answer = store::words::answer_of(&app.db, user, honzik_message).await?;
    let Some((reply, word)) =
        answer.and_then(|r| Some((r.clone(), candidates(&r).into_iter().nth(index.into())?)))
    else {
        return press.answer(tg, Some("stale-button")).await; // e.g. deleted with /delete_me
    };
    let fresh = store::words::save(&app.db, user, &word, app.clock.now()).await?;
    press.answer(tg, Some(if fresh { "word-saved" } else { "word-already-saved" })).await?;
    let keyboard = save_keyboard(app, user, honzik_message, &reply).await?;
    press.edit_keyboard(tg, keyboard).await
}

/// `/saved`: the first page.
pub async fn list(app: &App, tg: &Telegram, msg: &Message, learner: &Learner) -> HandlerResult {
    let (text, keyboard) = page(app, learner, 0).await?;
    reply(tg, msg, text, keyboard).await
}

/// ◀️ / ▶️ under the list.
pub async fn show_page(app: &App, tg: &Telegram, press: &Press, page_no: u32) -> HandlerResult {
    press.answer(tg, None).await?;
    let (text, keyboard) = page(app, &press.learner, page_no).await?;
    press.edit(tg, text, keyboard).await
}

/// 🗑 under the list: remove the word and show the page again (the last page, if it emptied).
pub async fn remove(
    app: &App,
    tg: &Telegram,
    press: &Press,
    word: i64,
    page_no: u32,
) -> HandlerResult {
    let removed = store::words::remove(&app.db, press.learner.id, word).await?;
    press.answer(tg, Some(if removed { "word-removed" } else { "word-gone" })).await?;
    let (text, keyboard) = page(app, &press.learner, page_no).await?;
    press.edit(tg, text, keyboard).await
}

/// Page `page_no` of the list, moved back to the last page when it is past the end.
async fn page(
    app: &App,
    learner: &Learner,
    page_no: u32,
) -> Result<(String, Option<InlineKeyboardMarkup>), BotError> {
    let (mut words, total) =
        store::words::page(&app.db, learner.id, page_no.into(), PER_PAGE).await?;
    let last = pages(total) - 1;
    let page_no = page_no.min(last);
    if words.is_empty() && total > 0 {
        words = store::words::page(&app.db, learner.id, page_no.into(), PER_PAGE).await?.0;
    }
    Ok((
        page_text(&app.i18n, learner.lang, &words, page_no, total),
        keyboards::saved_page(&words, page_no, last + 1),
    ))
}
