//! What the practice modes (`/listen`, `/shadow`, `/scene`, `/review`) do alike when a session
//! ends or an answer finds none. Kept in one place so that every way a session ends (a button,
//! the last item, `/cancel`, a voice that could not be made) leaves the learner in the same
//! state: the session gone and their next message no longer taken for an answer.

use std::future::Future;

use teloxide::types::Message;

use super::callbacks::Press;
use super::misc::{notice, reply};
use crate::app::App;
use crate::bot::{BotError, HandlerResult, Telegram};
use crate::practice::Mode;
use crate::store::StoreError;
use crate::store::learners::{self, Learner};
use crate::store::practice as store;

/// Ends a session through `ending` (its store's `end`, practice or review) and, when this run
/// ended it, stops taking the learner's next message as its answer. `None` when it was not open
/// any more: whoever ended it meanwhile has cleared the question already, and a session started
/// meanwhile asks its own question, which is not this one's to clear.
pub(super) async fn close<S>(
    app: &App,
    learner_id: i64,
    ending: impl Future<Output = Result<Option<S>, StoreError>>,
) -> Result<Option<S>, BotError> {
    let ended = ending.await?;
    if ended.is_some() {
        learners::set_awaiting(&app.db, learner_id, None, app.clock.now()).await?;
    }
    Ok(ended)
}

/// "End" pressed under a dictation, shadowing or a review card: the session ends through
/// `ending` (see [`close`]) and the press is answered. `None` when it had ended already: the
/// press is told its button is stale, and there is nothing more to show.
pub(super) async fn end_pressed<S>(
    app: &App,
    tg: &Telegram,
    press: &Press,
    ending: impl Future<Output = Result<Option<S>, StoreError>>,
) -> Result<Option<S>, BotError> {
    let Some(session) = close(app, press.learner.id, ending).await? else {
        press.answer(tg, Some("stale-button")).await?;
        return Ok(None);
    };
    press.answer(tg, None).await?;
    Ok(Some(session))
}

/// An answer that found its session gone (ended elsewhere: a button, another command): nothing
/// waits for an answer any more, and the learner is told so rather than left guessing.
pub(super) async fn nothing_asked(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    learner: &Learner,
) -> HandlerResult {
    learners::set_awaiting(&app.db, learner.id, None, app.clock.now()).await?;
    notice(tg, msg, learner.lang, "cancel-question", &[]).await
}

/// `text` after `prefix` (the verdict on the last answer), so the two go out as one message.
pub(super) fn after(prefix: Option<String>, text: String) -> String {
    match prefix {
        Some(p) => format!("{p}\n\n{text}"),
        None => text,
    }
}

/// `/cancel` during a scene, a dictation or shadowing: the learner has one practice session at
/// most, so whichever is open ends, and the reply is that mode's own ending (a scene's debrief,
/// a dictation's score). `false` when none was under way.
pub(super) async fn cancelled(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    learner: &Learner,
) -> Result<bool, BotError> {
    let ending = store::end_open(&app.db, learner.id);
    let Some(session) = close(app, learner.id, ending).await? else { return Ok(false) };
    let text = match session.mode {
        Mode::Scene => super::scene::debriefed(app, learner, &session).await?,
        Mode::Listen => super::listen::stopped(app, learner.lang, &session),
        Mode::Shadow => super::shadow::stopped(app, learner.lang),
    };
    reply(tg, msg, text, None).await?;
    Ok(true)
}
