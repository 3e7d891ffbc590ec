//! `/listen`: dictation and listening. Honzík says a sentence at the learner's level (and a
//! little slower for beginners); the learner types what they heard and gets the diff — missing,
//! extra and wrong words, háčky, vowel length, i/y (`practice::diff`). Every third item is a
//! comprehension question instead: the sentence, then a native Telegram quiz poll, whose answer
//! comes back as a `poll_answer` update. A sentence not written word for word, or a quiz
//! answered wrong, goes into the review deck. Each voiced sentence is text-to-speech, paid
//! for: it passes the gate first and is metered into the learner's usage like a turn's voice.
//!
//! The session lives in the database (`store::practice`); every move is conditional on the
//! item asked, so a restart, another replica or a double press moves it once.

use std::sync::Arc;

use bytes::Bytes;
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, PollAnswer,
};

use super::access::{Gate, gate};
use super::callbacks::Press;
use super::misc::notice;
use super::practice_common::{after, close, end_pressed, nothing_asked};
use crate::app::App;
use crate::bot::callback::Callback;
use crate::bot::outbox::{Body, Quiz, To};
use crate::bot::views::practice::verdict;
use crate::bot::{BotError, HandlerResult, Telegram};
use crate::i18n::{Arg, Lang};
use crate::practice::dictation::{self, Item};
use crate::practice::{Mode, diff};
use crate::store::learners::{self, Awaiting, Learner};
use crate::store::practice::{self as store, Session};
use crate::words::{Candidate, normalize};

/// `/listen`: a new dictation (replacing whatever practice was under way) and its first item.
pub async fn start(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    update_id: i64,
    learner: &Learner,
) -> HandlerResult {
    if gate(app, tg, msg, update_id, learner).await? == Gate::Closed {
        return Ok(());
    }
    let now = app.clock.now();
    let seed = now.timestamp_nanos_opt().unwrap_or_default() as u64 ^ learner.id as u64;
    let items = dictation::pick(learner.level, seed);
    let session =
        store::start(&app.db, learner.id, Mode::Listen, &dictation::encode(&items), now).await?;
    let intro = app.i18n.tr(learner.lang, "listen-start", &[("total", items.len().into())]);
    ask(app, tg, msg.chat.id, learner, session, Some(msg.id), Some(intro)).await
}

/// A typed answer to the sentence just said.
pub async fn typed(
    app: Arc<App>,
    tg: Arc<Telegram>,
    msg: Message,
    update: Update,
    learner: Learner,
    text: String,
) -> HandlerResult {
    let (app, tg, learner) = (app.as_ref(), tg.as_ref(), &learner);
    let Some(session) = store::open_of(&app.db, learner.id, Mode::Listen).await? else {
        return nothing_asked(app, tg, &msg, learner).await;
    };
    let items = dictation::decode(&session.subject);
    let Some(item) = items.get(session.position).copied() else {
        return finish(app, tg, msg.chat.id, learner, session, Some(msg.id), None).await;
    };
    // The next sentence is voiced (paid): the gate first, before anything changes.
    let more = session.position + 1 < items.len();
    if more && gate(app, tg, &msg, update.id.0 as i64, learner).await? == Gate::Closed {
        return Ok(());
    }
    let check = diff::check(&item.cs, &text);
    let Some(next) =
        store::advance(&app.db, learner.id, session.id, session.position, !check.missed()).await?
    else {
        return Ok(()); // answered meanwhile
    };
    if check.missed() {
        to_review(app, learner, item).await?;
    }
    let said = verdict(&app.i18n, learner.lang, &check, &item.cs, item.tr.get(learner.lang));
    ask(app, tg, msg.chat.id, learner, next, Some(msg.id), Some(said)).await
}

/// A voice note while a sentence waits: this is dictation, the answer is typed.
pub async fn spoken(tg: Arc<Telegram>, msg: Message, learner: Learner) -> HandlerResult {
    notice(&tg, &msg, learner.lang, "listen-type-it", &[]).await
}

/// The answer to a quiz poll (Telegram sends it without a chat: the private chat is the
/// voter's). An answer to a poll that is not the session's current one changes nothing.
pub async fn poll_answer(app: Arc<App>, tg: Arc<Telegram>, answer: PollAnswer) -> HandlerResult {
    let Some(user) = answer.voter.user() else { return Ok(()) };
    let Some(learner) = learners::find(&app.db, user.id.0 as i64).await? else { return Ok(()) };
    let (app, tg, learner) = (app.as_ref(), tg.as_ref(), &learner);
    let asked = store::open_of(&app.db, learner.id, Mode::Listen).await?;
    let Some(session) = asked.filter(|s| s.poll_id.as_deref() == Some(answer.poll_id.0.as_str()))
    else {
        return Ok(());
    };
    let items = dictation::decode(&session.subject);
    let Some((item, quiz)) =
        items.get(session.position).and_then(|i| i.quiz.as_ref().map(|q| (*i, q)))
    else {
        return Ok(());
    };
    let right = answer.option_ids == [quiz.answer];
    let Some(next) =
        store::advance(&app.db, learner.id, session.id, session.position, right).await?
    else {
        return Ok(());
    };
    let lang = learner.lang;
    let mut text = if right {
        app.i18n.tr(lang, "listen-quiz-right", &[])
    } else {
        to_review(app, learner, item).await?;
        let correct = quiz.options.get(usize::from(quiz.answer)).map(String::as_str).unwrap_or("");
        app.i18n.tr(lang, "listen-quiz-wrong", &[("answer", Arg::from(correct))])
    };
    let said = app.i18n.tr(
        lang,
        "listen-said",
        &[("phrase", Arg::from(item.cs.as_str())), ("translation", Arg::from(item.tr.get(lang)))],
    );
    text = format!("{text}\n{said}");
    let chat = ChatId(learner.chat_id);
    if next.position >= items.len() {
        return finish(app, tg, chat, learner, next, None, Some(text)).await;
    }
    let position = next.position as u32;
    let keyboard = InlineKeyboardMarkup::new([vec![
        button(
            app,
            lang,
            "listen-next-button",
            Callback::ListenNext { session: next.id, position },
        ),
        button(app, lang, "listen-end-button", Callback::ListenEnd { session: next.id }),
    ]]);
    tg.outbox.text(To::chat(chat), text, Some(keyboard)).await?;
    Ok(())
}

/// "▶️ Next" after a quiz: the next sentence (voiced, so gated).
pub async fn next(
    app: &App,
    tg: &Telegram,
    press: &Press,
    session_id: i64,
    position: u32,
) -> HandlerResult {
    let learner = &press.learner;
    let open = store::open_of(&app.db, learner.id, Mode::Listen).await?;
    let Some(session) = open
        .filter(|s| s.id == session_id && s.position == position as usize && s.poll_id.is_none())
    else {
        return press.answer(tg, Some("stale-button")).await;
    };
    press.answer(tg, None).await?;
    if gate(app, tg, &press.message, press.update_id, learner).await? == Gate::Closed {
        return Ok(());
    }
    press.edit_keyboard(tg, None).await?;
    ask(app, tg, press.chat(), learner, session, None, None).await
}

/// "⏹ End": the dictation ends with how it went.
pub async fn end(app: &App, tg: &Telegram, press: &Press, session_id: i64) -> HandlerResult {
    let ending = store::end(&app.db, press.learner.id, session_id);
    let Some(session) = end_pressed(app, tg, press, ending).await? else { return Ok(()) };
    press.edit_keyboard(tg, None).await?;
    tg.outbox
        .text(To::chat(press.chat()), stopped(app, press.learner.lang, &session), None)
        .await?;
    Ok(())
}

/// How a dictation stopped before its end went ("⏹ End", `/cancel`).
pub(super) fn stopped(app: &App, lang: Lang, session: &Session) -> String {
    summary(app, lang, session, "listen-stopped")
}

/// Says the session's current item (after `prefix`, the verdict on the last answer), or its
/// summary once every item is done.
async fn ask(
    app: &App,
    tg: &Telegram,
    chat: ChatId,
    learner: &Learner,
    session: Session,
    reply_to: Option<MessageId>,
    prefix: Option<String>,
) -> HandlerResult {
    let items = dictation::decode(&session.subject);
    let Some(item) = items.get(session.position).copied() else {
        return finish(app, tg, chat, learner, session, reply_to, prefix).await;
    };
    let lang = learner.lang;
    if let Some(p) = prefix {
        tg.outbox.text(To::chat(chat).replying_to(reply_to), p, None).await?;
    }
    let Some(audio) = speak(app, learner, &item.cs).await else {
        close(app, learner.id, store::end(&app.db, learner.id, session.id)).await?;
        tg.outbox.notice(To::chat(chat), lang, "listen-no-voice", &[]).await?;
        return Ok(());
    };
    let quiz = item.quiz.as_ref().filter(|_| dictation::is_quiz(session.position));
    let key = if quiz.is_some() { "listen-quiz-item" } else { "listen-item" };
    let caption = app.i18n.tr(
        lang,
        key,
        &[("position", (session.position + 1).into()), ("total", items.len().into())],
    );
    let end = button(app, lang, "listen-end-button", Callback::ListenEnd { session: session.id });
    let keyboard = InlineKeyboardMarkup::new([vec![end]]);
    let file = InputFile::memory(audio).file_name("honzik.ogg");
    tg.outbox.voice(To::chat(chat), file, Body::Html(caption), Some(keyboard)).await?;
    let awaiting = match quiz {
        Some(q) => {
            let poll = Quiz {
                question: q.q.clone(),
                options: q.options.clone(),
                correct: q.answer,
                explanation: Some(item.cs.clone()),
            };
            let sent = tg.outbox.quiz(To::chat(chat), &poll).await?;
            if let Some(p) = sent.poll() {
                store::set_poll(&app.db, session.id, session.position, &p.id.0).await?;
            }
            None
        }
        None => Some(Awaiting::ListenAnswer),
    };
    if learner.awaiting != awaiting {
        learners::set_awaiting(&app.db, learner.id, awaiting, app.clock.now()).await?;
    }
    Ok(())
}

async fn finish(
    app: &App,
    tg: &Telegram,
    chat: ChatId,
    learner: &Learner,
    session: Session,
    reply_to: Option<MessageId>,
    prefix: Option<String>,
) -> HandlerResult {
    close(app, learner.id, store::end(&app.db, learner.id, session.id)).await?;
    let text = after(prefix, summary(app, learner.lang, &session, "listen-done"));
    tg.outbox.text(To::chat(chat).replying_to(reply_to), text, None).await?;
    Ok(())
}

fn summary(app: &App, lang: Lang, s: &Session, key: &str) -> String {
    let total = dictation::decode(&s.subject).len();
    let args = [
        ("right", Arg::from(s.score)),
        ("done", Arg::from(s.score + s.missed)),
        ("total", total.into()),
        ("missed", Arg::from(s.missed)),
    ];
    app.i18n.tr(lang, key, &args) + "\n" + &app.i18n.tr(lang, "practice-more", &[])
}

fn button(app: &App, lang: Lang, key: &str, cb: Callback) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(app.i18n.tr(lang, key, &[]), cb.encode())
}

/// A missed sentence, with its translation, into the learner's review deck.
async fn to_review(app: &App, learner: &Learner, item: &Item) -> Result<(), BotError> {
    let c = Candidate {
        czech: item.cs.clone(),
        translation: item.tr.get(learner.lang).to_owned(),
        original: None,
        source: None,
        key: normalize(&item.cs),
    };
    crate::store::words::save(&app.db, learner.id, &c, app.clock.now()).await?;
    Ok(())
}

/// Honzík says `text` at the learner's speed (slower for beginners), from the cache when he
/// has said it before; the request is recorded in the learner's usage. `None` when the speech
/// service fails (the dictation cannot go on without it).
async fn speak(app: &App, learner: &Learner, text: &str) -> Option<Bytes> {
    say(app, learner, text, learner.voice_speed.factor() * dictation::pace(learner.level)).await
}

/// Honzík says `text` at `speed` (dictation, shadowing): from the cache when he has said it
/// before at that speed, else synthesised (in the turn layer: handlers never call the AI
/// clients); either way recorded in the learner's usage.
pub(super) async fn say(app: &App, learner: &Learner, text: &str, speed: f32) -> Option<Bytes> {
    crate::turn::speak_only_at(app, learner, text, speed).await
}
