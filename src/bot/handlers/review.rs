//! `/review`: a short session of the learner's due cards — saved words both ways and their own
//! past mistakes — one card per message.
//!
//! A card is answered by typing or saying the answer (the learner's next message, see
//! `Awaiting::ReviewAnswer` in `schema()`; checked by `review::check`), or with "Show answer" and
//! a self-grade (again / hard / good / easy). "End", `/cancel` or any other command ends the
//! session; the last message shows how it went. The session lives in the database
//! (`store::review`), so a restart or another replica carries on where it was.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

use super::access::{Gate, gate};
use super::callbacks::Press;
use super::misc::{notice, reply};
use super::practice_common::{after, close, end_pressed, nothing_asked};
use crate::app::App;
use crate::bot::callback::Callback;
use crate::bot::outbox::To;
use crate::bot::turn_reply::TelegramTurn;
use crate::bot::views::clip;
use crate::bot::{HandlerResult, Telegram};
use crate::i18n::{Arg, Lang};
use crate::review::face::{After, Ask, Face};
use crate::review::{Grade, Verdict, check};
use crate::store::cards::face;
use crate::store::learners::{self, Awaiting, Learner};
use crate::store::review::{self as store, Session};
use crate::turn::{AudioInput, Fence};

/// Longest question, answer or note shown on a card (a mistake can be a long fragment).
const SHOWN_CHARS: usize = 600;

/// `/review`: opens a session (replacing an unfinished one) and asks its first card.
pub async fn start(app: &App, tg: &Telegram, msg: &Message, learner: &Learner) -> HandlerResult {
    let now = app.clock.now();
    let Some(session) = store::start(&app.db, learner.id, app.config.review_cards, now).await?
    else {
        let key = if store::has_cards(&app.db, learner.id).await? {
            "review-caught-up"
        } else {
            "review-empty"
        };
        return notice(tg, msg, learner.lang, key, &[]).await;
    };
    let intro = app.i18n.tr(learner.lang, "review-start", &[("total", session.cards.len().into())]);
    ask(app, tg, msg.chat.id, learner, session, Some(msg.id), Some(intro)).await
}

/// A typed answer to the card shown.
pub async fn typed(
    app: Arc<App>,
    tg: Arc<Telegram>,
    msg: Message,
    learner: Learner,
    text: String,
) -> HandlerResult {
    answer(&app, &tg, &msg, &learner, &text).await
}

/// A spoken answer: transcribed through the turn's speech path, then checked like a typed one.
/// Speech-to-text is paid for, so it passes the same gate as a turn first (turn limit, spend
/// cap, allowance): a refused answer is told why, costs nothing, and the card keeps waiting.
pub async fn spoken(
    app: Arc<App>,
    tg: Arc<Telegram>,
    msg: Message,
    update: Update,
    fence: Arc<dyn Fence>,
    learner: Learner,
    input: AudioInput,
) -> HandlerResult {
    if gate(&app, &tg, &msg, update.id.0 as i64, &learner).await? == Gate::Closed {
        return Ok(());
    }
    let show = TelegramTurn { app: &app, out: &tg.outbox, msg: &msg, lang: learner.lang };
    match crate::turn::transcribe_only(&app, &show, fence.as_ref(), &learner, &input).await? {
        Some(text) => answer(&app, &tg, &msg, &learner, &text).await,
        None => notice(&tg, &msg, learner.lang, "review-unheard", &[]).await,
    }
}

async fn answer(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    learner: &Learner,
    text: &str,
) -> HandlerResult {
    let Some(session) = store::open(&app.db, learner.id).await? else {
        return nothing_asked(app, tg, msg, learner).await;
    };
    let Some(content) = current_content(app, learner, &session).await? else {
        return finish(app, tg, msg.chat.id, learner, session, Some(msg.id), None).await;
    };
    let verdict = check(text, &content.accepted);
    let Some(next) = store::grade(
        &app.db,
        learner.id,
        session.id,
        session.position,
        verdict.grade(),
        app.clock.now(),
    )
    .await?
    else {
        return Ok(()); // graded meanwhile by a button press
    };
    let key = match verdict {
        Verdict::Exact => "review-right",
        Verdict::Diacritics => "review-accents",
        Verdict::Wrong => "review-wrong",
    };
    let said = app.i18n.tr(
        learner.lang,
        key,
        &[("answer", Arg::from(clip(&content.answer, SHOWN_CHARS).as_str()))],
    );
    let said = with_after(app, learner.lang, said, &content, verdict != Verdict::Exact);
    ask(app, tg, msg.chat.id, learner, next, Some(msg.id), Some(said)).await
}

/// "Show answer": the card's answer and the grade buttons, in place of the card.
pub async fn show(
    app: &App,
    tg: &Telegram,
    press: &Press,
    session_id: i64,
    position: u32,
) -> HandlerResult {
    let learner = &press.learner;
    let Some(session) = asked(app, learner.id, session_id, position).await? else {
        return press.answer(tg, Some("stale-button")).await;
    };
    let Some(content) = current_content(app, learner, &session).await? else {
        return press.answer(tg, Some("stale-button")).await;
    };
    press.answer(tg, None).await?;
    let text = format!(
        "{}\n\n{}",
        card_text(app, learner.lang, &session, &content),
        answer_text(app, learner.lang, &content)
    );
    press.edit(tg, text, Some(grades(app, learner.lang, session.id, position))).await
}

/// A self-grade: stored, the card's message keeps its answer and the grade, and the next card
/// (or the summary) follows.
pub async fn grade(
    app: &App,
    tg: &Telegram,
    press: &Press,
    session_id: i64,
    position: u32,
    grade: u8,
) -> HandlerResult {
    let learner = &press.learner;
    let (Some(grade), Some(session)) =
        (Grade::from_number(grade), asked(app, learner.id, session_id, position).await?)
    else {
        return press.answer(tg, Some("stale-button")).await;
    };
    let content = current_content(app, learner, &session).await?;
    let Some(next) =
        store::grade(&app.db, learner.id, session.id, session.position, grade, app.clock.now())
            .await?
    else {
        return press.answer(tg, Some("stale-button")).await;
    };
    press.answer(tg, None).await?;
    if let Some(content) = content {
        let label = app.i18n.tr(learner.lang, &format!("review-grade-{}", grade.as_str()), &[]);
        let graded =
            app.i18n.tr(learner.lang, "review-graded", &[("grade", Arg::from(label.as_str()))]);
        let text = format!(
            "{}\n\n{}\n{graded}",
            card_text(app, learner.lang, &session, &content),
            answer_text(app, learner.lang, &content)
        );
        press.edit(tg, text, None).await?;
    }
    ask(app, tg, press.chat(), learner, next, None, None).await
}

/// "End": the session closes and its message shows how it went.
pub async fn end(app: &App, tg: &Telegram, press: &Press, session_id: i64) -> HandlerResult {
    let ending = store::end(&app.db, press.learner.id, session_id);
    let Some(session) = end_pressed(app, tg, press, ending).await? else { return Ok(()) };
    press.edit(tg, summary(app, press.learner.lang, &session, "review-stopped"), None).await
}

/// `/cancel` during a session: it ends, with its summary. `false` when no session was open.
pub async fn cancelled(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    learner: &Learner,
) -> Result<bool, crate::bot::BotError> {
    let Some(open) = store::open(&app.db, learner.id).await? else { return Ok(false) };
    let Some(session) = store::end(&app.db, learner.id, open.id).await? else { return Ok(false) };
    reply(tg, msg, summary(app, learner.lang, &session, "review-stopped"), None).await?;
    Ok(true)
}

/// The open session if it is at card `position` (the card whose button was pressed).
async fn asked(
    app: &App,
    user_id: i64,
    session_id: i64,
    position: u32,
) -> Result<Option<Session>, crate::bot::BotError> {
    Ok(store::open(&app.db, user_id)
        .await?
        .filter(|s| s.id == session_id && s.position == position as usize))
}

async fn current_content(
    app: &App,
    learner: &Learner,
    session: &Session,
) -> Result<Option<Face>, crate::bot::BotError> {
    let Some(card) = session.current() else { return Ok(None) };
    Ok(face(&app.db, learner.id, card).await?)
}

/// Sends the session's current card (after `prefix`, e.g. the verdict on the last answer), or
/// its summary once every card is done. A card whose word or mistake is gone is skipped.
async fn ask(
    app: &App,
    tg: &Telegram,
    chat: ChatId,
    learner: &Learner,
    mut session: Session,
    reply_to: Option<MessageId>,
    prefix: Option<String>,
) -> HandlerResult {
    let content = loop {
        let Some(card) = session.current() else {
            return finish(app, tg, chat, learner, session, reply_to, prefix).await;
        };
        match face(&app.db, learner.id, card).await? {
            Some(content) => break content,
            None => {
                store::skip(&app.db, session.id, session.position).await?;
                session.position += 1;
            }
        }
    };
    if learner.awaiting != Some(Awaiting::ReviewAnswer) {
        learners::set_awaiting(&app.db, learner.id, Some(Awaiting::ReviewAnswer), app.clock.now())
            .await?;
    }
    let text = after(prefix, card_text(app, learner.lang, &session, &content));
    let position = session.position as u32;
    let keyboard = InlineKeyboardMarkup::new([[
        button(
            app,
            learner.lang,
            "review-show",
            Callback::ReviewShow { session: session.id, position },
        ),
        button(app, learner.lang, "review-end", Callback::ReviewEnd { session: session.id }),
    ]]);
    send_html(tg, chat, text, reply_to, Some(keyboard)).await
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
    let text = after(prefix, summary(app, learner.lang, &session, "review-done"));
    send_html(tg, chat, text, reply_to, None).await
}

fn summary(app: &App, lang: Lang, s: &Session, key: &str) -> String {
    let [again, hard, good, easy] = s.tally;
    let args = [
        ("done", Arg::from(s.graded())),
        ("total", s.cards.len().into()),
        ("again", again.into()),
        ("hard", hard.into()),
        ("good", good.into()),
        ("easy", easy.into()),
    ];
    app.i18n.tr(lang, key, &args)
}

fn card_text(app: &App, lang: Lang, s: &Session, c: &Face) -> String {
    let shown = |t: &str| clip(t, SHOWN_CHARS);
    let (key, text, extra) = match &c.ask {
        Ask::Word { czech, example } => ("review-card-word", shown(czech), example.as_deref()),
        Ask::Back { translation } => ("review-card-back", shown(translation), None),
        Ask::Gap { sentence, hint } => ("review-card-gap", shown(sentence), Some(hint.as_str())),
        Ask::Fix { original } => ("review-card-fix", shown(original), None),
    };
    let position = [("position", Arg::from(s.position + 1)), ("total", s.cards.len().into())];
    let mut args = position.to_vec();
    args.push(("question", Arg::from(text.as_str())));
    let card = app.i18n.tr(lang, key, &args);
    let extra = extra.map(shown);
    match (&c.ask, extra) {
        (Ask::Word { .. }, Some(example)) => {
            let line =
                app.i18n.tr(lang, "review-example", &[("example", Arg::from(example.as_str()))]);
            format!("{card}\n{line}")
        }
        (Ask::Gap { .. }, Some(hint)) => {
            let line = app.i18n.tr(lang, "review-hint", &[("hint", Arg::from(hint.as_str()))]);
            format!("{card}\n{line}")
        }
        _ => card,
    }
}

/// The answer as "Show answer" reveals it: the answer, then what comes after it.
fn answer_text(app: &App, lang: Lang, c: &Face) -> String {
    let answer = clip(&c.answer, SHOWN_CHARS);
    let text = app.i18n.tr(lang, "review-answer", &[("answer", Arg::from(answer.as_str()))]);
    with_after(app, lang, text, c, true)
}

/// `text` followed by what a card shows once answered: the example sentence, what the learner
/// wrote, and (with `note`) why the correction is right.
fn with_after(app: &App, lang: Lang, text: String, c: &Face, note: bool) -> String {
    let mut lines = vec![text];
    let shown = |t: &str| clip(t, SHOWN_CHARS);
    match &c.after {
        Some(After::Example(e)) => lines.push(app.i18n.tr(
            lang,
            "review-example",
            &[("example", Arg::from(shown(e).as_str()))],
        )),
        Some(After::YouWrote(w)) => lines.push(app.i18n.tr(
            lang,
            "review-you-wrote",
            &[("sentence", Arg::from(shown(w).as_str()))],
        )),
        None => {}
    }
    if let (Some(n), true) = (&c.note, note) {
        lines.push(app.i18n.tr(lang, "review-note", &[("note", Arg::from(shown(n).as_str()))]));
    }
    lines.join("\n")
}

fn grades(app: &App, lang: Lang, session: i64, position: u32) -> InlineKeyboardMarkup {
    let row = Grade::ALL.map(|g| {
        button(
            app,
            lang,
            &format!("review-grade-{}", g.as_str()),
            Callback::ReviewGrade { session, position, grade: g.number() },
        )
    });
    InlineKeyboardMarkup::new([
        row.to_vec(),
        vec![button(app, lang, "review-end", Callback::ReviewEnd { session })],
    ])
}

fn button(app: &App, lang: Lang, key: &str, cb: Callback) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(app.i18n.tr(lang, key, &[]), cb.encode())
}

/// The next card or the summary, in the chat of the answer or press that asked for it.
async fn send_html(
    tg: &Telegram,
    chat: ChatId,
    text: String,
    reply_to: Option<MessageId>,
    keyboard: Option<InlineKeyboardMarkup>,
) -> HandlerResult {
    tg.outbox.text(To::chat(chat).replying_to(reply_to), text, keyboard).await?;
    Ok(())
}
