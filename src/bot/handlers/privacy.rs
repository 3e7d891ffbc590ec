//! The learner's own data: `/privacy` (what is stored, for how long, why), `/export` (all of it
//! as a JSON file) and `/delete_me` (erase it, after a confirmation).

use teloxide::types::{InputFile, Message};

use super::callbacks::Press;
use super::misc::{lang_of, notice, reply};
use crate::app::App;
use crate::audio_store::{archive, keys};
use crate::bot::callback::Callback;
use crate::bot::outbox::To;
use crate::bot::{HandlerResult, Telegram, keyboards};
use crate::store::{self, learners::Learner};

pub async fn explain(app: &App, tg: &Telegram, msg: &Message) -> HandlerResult {
    let lang = lang_of(app, msg.from.as_ref()).await;
    notice(tg, msg, lang, "privacy", &[]).await
}

/// Sends everything stored about the learner as one JSON document.
pub async fn export(app: &App, tg: &Telegram, msg: &Message, learner: &Learner) -> HandlerResult {
    let now = app.clock.now();
    let Some(doc) = store::privacy::export(&app.db, learner.id, now).await? else {
        return notice(tg, msg, learner.lang, "nothing-stored", &[]).await;
    };
    let bytes = bytes::Bytes::from(serde_json::to_vec_pretty(&doc).unwrap_or_default());
    let name = format!("mluvme-{}-{}.json", learner.id, now.format("%Y-%m-%d"));
    let caption = app.i18n.tr(learner.lang, "export-caption", &[]);
    let file = InputFile::memory(bytes).file_name(name);
    tg.outbox.document(To::reply(msg), file, caption).await?;
    export_audio(app, tg, msg, learner).await
}

/// An archive part of the audio export: well under Telegram's 50 MB for a bot's document, and
/// within `AUDIO_MEMORY_MB` (at least 20 MB), from which it is reserved while it is packed.
const AUDIO_PART_BYTES: usize = 16 * 1024 * 1024;

/// The learner's voice notes and Honzík's answers, as ZIP archives of at most
/// [`AUDIO_PART_BYTES`] each. Audio gone from the store (retention, a lost disk) is left out.
async fn export_audio(app: &App, tg: &Telegram, msg: &Message, learner: &Learner) -> HandlerResult {
    let paths = store::privacy::audio_paths(&app.db, learner.id).await?;
    if paths.is_empty() {
        return Ok(());
    }
    let _memory = app.audio_memory.reserve(AUDIO_PART_BYTES as u64).await;
    let mut packer = archive::Packer::new(AUDIO_PART_BYTES);
    let mut part = 0;
    for path in &paths {
        let (Some(key), Some(bytes)) = (keys::location(path), app.audio.read(path).await) else {
            continue;
        };
        let closed = packer.add(&archive::entry_name(key.as_ref()), &bytes)?;
        if let Some(archive) = closed {
            part += 1;
            send_part(app, tg, msg, learner, part, archive).await?;
        }
    }
    if let Some(archive) = packer.finish()? {
        send_part(app, tg, msg, learner, part + 1, archive).await?;
    }
    Ok(())
}

async fn send_part(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    learner: &Learner,
    part: i64,
    archive: bytes::Bytes,
) -> HandlerResult {
    let now = app.clock.now();
    let name = format!("mluvme-{}-{}-audio-{part}.zip", learner.id, now.format("%Y-%m-%d"));
    let caption = app.i18n.tr(learner.lang, "export-audio-caption", &[("part", part.into())]);
    let file = InputFile::memory(archive).file_name(name);
    tg.outbox.document(To::reply(msg), file, caption).await?;
    Ok(())
}

/// `/delete_me`: says what goes and asks. The "yes" button carries the learner's deletion count,
/// so it deletes at most once.
pub async fn ask_delete(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    learner: &Learner,
) -> HandlerResult {
    let yes = ("delete-yes", Callback::DeleteYes { deletions: learner.deletions });
    let keyboard =
        keyboards::confirm(&app.i18n, learner.lang, yes, ("delete-no", Callback::DeleteNo));
    reply(tg, msg, app.i18n.tr(learner.lang, "delete-ask", &[]), Some(keyboard)).await
}

/// "Yes, delete everything": erase, then say what was removed in place of the question.
pub async fn delete(app: &App, tg: &Telegram, press: &Press, asked_at: i32) -> HandlerResult {
    if press.learner.deletions != asked_at {
        return press.answer(tg, Some("stale-button")).await; // already deleted
    }
    let removed =
        store::privacy::delete_content(&app.db, press.learner.id, app.clock.now()).await?;
    // Audio still on its way to the store when the rows went is deleted too, once it is there.
    app.audio.settle(press.learner.chat_id).await;
    // Only objects in the audio store (local or S3), whatever a row says.
    let audio = app.audio.remove(&removed.audio_paths).await;
    press.answer(tg, None).await?;
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
    press.edit(tg, app.i18n.tr(press.learner.lang, "delete-done", &args), None).await
}
