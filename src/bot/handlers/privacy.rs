//! The learner's own data: `/privacy` (what is stored, for how long, why), `/export` (all of it
//! as a JSON file) and `/delete_me` (erase it, after a confirmation).

use teloxide::prelude::*;
use teloxide::types::{InputFile, Message, ParseMode, ReplyParameters};

use super::callbacks::Press;
use super::misc::{lang_of, notice, reply};
use crate::app::App;
use crate::bot::callback::Callback;
use crate::bot::{HandlerResult, edit, keyboards, send};
use crate::store::{self, learners::Learner};

pub async fn explain(app: &App, msg: &Message) -> HandlerResult {
    let lang = lang_of(app, msg.from.as_ref()).await;
    notice(app, msg, lang, "privacy", &[]).await
}

/// Sends everything stored about the learner as one JSON document.
pub async fn export(app: &App, msg: &Message, learner: &Learner) -> HandlerResult {
    let now = app.clock.now();
    let Some(doc) = store::privacy::export(&app.db, learner.id, now).await? else {
        return notice(app, msg, learner.lang, "nothing-stored", &[]).await;
    };
    let bytes = bytes::Bytes::from(serde_json::to_vec_pretty(&doc).unwrap_or_default());
    let name = format!("mluvme-{}-{}.json", learner.id, now.format("%Y-%m-%d"));
    let caption = app.i18n.tr(learner.lang, "export-caption", &[]);
    send::paced(&app.pacer, msg.chat.id, "export", || {
        app.bot
            .send_document(msg.chat.id, InputFile::memory(bytes.clone()).file_name(name.clone()))
            .caption(caption.clone())
            .parse_mode(ParseMode::Html)
            .reply_parameters(ReplyParameters::new(msg.id).allow_sending_without_reply())
            .into_future()
    })
    .await?;
    Ok(())
}

/// `/delete_me`: says what goes and asks. The "yes" button carries the learner's deletion count,
/// so it deletes at most once.
pub async fn ask_delete(app: &App, msg: &Message, learner: &Learner) -> HandlerResult {
    let yes = ("delete-yes", Callback::DeleteYes { deletions: learner.deletions });
    let keyboard =
        keyboards::confirm(&app.i18n, learner.lang, yes, ("delete-no", Callback::DeleteNo));
    reply(app, msg, app.i18n.tr(learner.lang, "delete-ask", &[]), Some(keyboard)).await
}

/// "Yes, delete everything": erase, then say what was removed in place of the question.
pub async fn delete(app: &App, press: &Press, asked_at: i32) -> HandlerResult {
    if press.learner.deletions != asked_at {
        return press.answer(app, Some("stale-button")).await; // already deleted
    }
    let removed =
        store::privacy::delete_content(&app.db, press.learner.id, app.clock.now()).await?;
    // Only objects in the audio store (local or S3), whatever a row says.
    let audio = app.audio.remove(&removed.audio_paths).await;
    press.answer(app, None).await?;
    let counts = [
        ("messages", removed.messages),
        ("audio", audio),
        ("words", removed.saved_words),
        ("days", removed.days),
    ];
    let args: Vec<_> = counts
        .iter()
        .map(|(k, n)| (*k, crate::i18n::Arg::Num(i64::try_from(*n).unwrap_or(i64::MAX))))
        .collect();
    edit::text(
        app,
        press.chat(),
        press.message_id(),
        app.i18n.tr(press.learner.lang, "delete-done", &args),
        None,
    )
    .await
}
