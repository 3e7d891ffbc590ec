//! `/scene`: a role-play with a goal. The learner picks a scene from a menu; the character's
//! opening line follows with "💡 Hint" and "⏹ End". From then on every message is a normal turn
//! (corrected, metered, gated, fenced — `turn::run`), with the scene added to Honzík's prompt
//! (`practice::scenes::prompt`). When the model says the goal is reached, or the learner
//! presses End (or `/cancel`s), the scene ends with a debrief: the goal, how the replies went,
//! the mistakes (already in the review deck, like every turn's) and the scene's useful phrases
//! (added to the deck here). The session lives in the database (`store::practice`), so a
//! restart or another replica carries on.

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::callbacks::Press;
use super::misc::reply;
use crate::app::App;
use crate::bot::callback::Callback;
use crate::bot::outbox::To;
use crate::bot::views::practice::{Debrief, debrief};
use crate::bot::{BotError, HandlerResult, Telegram};
use crate::i18n::{Arg, Lang};
use crate::practice::Mode;
use crate::practice::scenes::{self, Scene};
use crate::store::learners::Learner;
use crate::store::practice::{self as store, Session};
use crate::tutor::HonzikReply;
use crate::words::{Candidate, normalize};

/// Mistakes a debrief lists (all of them are in the review deck anyway).
const DEBRIEF_MISTAKES: u64 = 8;

/// `/scene`: the menu of scenes, two to a row.
pub async fn menu(app: &App, tg: &Telegram, msg: &Message, learner: &Learner) -> HandlerResult {
    let buttons: Vec<InlineKeyboardButton> = scenes::all()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let cb = Callback::ScenePick(i as u8);
            InlineKeyboardButton::callback(scenes::title(s, learner.lang), cb.encode())
        })
        .collect();
    let rows: Vec<Vec<InlineKeyboardButton>> = buttons.chunks(2).map(<[_]>::to_vec).collect();
    let text = app.i18n.tr(learner.lang, "scene-menu", &[]);
    reply(tg, msg, text, Some(InlineKeyboardMarkup::new(rows))).await
}

/// A scene picked: the session opens (replacing whatever practice was under way) and the
/// character speaks first. Nothing is paid for until the learner answers.
pub async fn pick(app: &App, tg: &Telegram, press: &Press, index: u8) -> HandlerResult {
    let learner = &press.learner;
    let Some(scene) = scenes::all().get(usize::from(index)) else {
        return press.answer(tg, Some("stale-button")).await;
    };
    let session =
        store::start(&app.db, learner.id, Mode::Scene, &scene.id, app.clock.now()).await?;
    press.answer(tg, None).await?;
    press.edit_keyboard(tg, None).await?;
    let lang = learner.lang;
    let text = format!(
        "{}\n\n{}",
        app.i18n.tr(
            lang,
            "scene-start",
            &[
                ("title", Arg::from(scenes::title(scene, lang).as_str())),
                ("target", Arg::from(scene.goal.tr.get(lang))),
            ],
        ),
        app.i18n.tr(
            lang,
            "scene-opening",
            &[
                ("phrase", Arg::from(scene.opening.cs.as_str())),
                ("translation", Arg::from(scene.opening.tr.get(lang))),
            ],
        ),
    );
    let keyboard = InlineKeyboardMarkup::new([buttons(app, lang, session.id)]);
    tg.outbox.text(To::chat(press.chat()), text, Some(keyboard)).await?;
    Ok(())
}

/// "💡 Hint" and "⏹ End" for scene session `session`.
fn buttons(app: &App, lang: Lang, session: i64) -> Vec<InlineKeyboardButton> {
    let button = |key: &str, cb: Callback| {
        InlineKeyboardButton::callback(app.i18n.tr(lang, key, &[]), cb.encode())
    };
    vec![
        button("scene-hint-button", Callback::SceneHint { session }),
        button("scene-end-button", Callback::SceneEnd { session }),
    ]
}

/// The scene's buttons under an answer given in a scene (its reply has a `scene` part) that did
/// not reach the goal — the debrief follows that one. `None` outside a scene.
pub async fn answer_buttons(
    app: &App,
    user_id: i64,
    lang: Lang,
    reply: &HonzikReply,
) -> Option<Vec<InlineKeyboardButton>> {
    if reply.scene.as_ref().is_none_or(|s| s.goal_reached) {
        return None;
    }
    let open = store::open_of(&app.db, user_id, Mode::Scene).await;
    let session = open.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "no scene buttons for this answer");
        None
    })?;
    Some(buttons(app, lang, session.id))
}

/// "💡 Hint": the phrase the model suggested last, else the scene's next useful phrase.
pub async fn hint(app: &App, tg: &Telegram, press: &Press, session_id: i64) -> HandlerResult {
    let learner = &press.learner;
    let Some((session, scene)) = scene_of(app, learner.id, session_id).await? else {
        return press.answer(tg, Some("stale-button")).await;
    };
    let Some(after) = store::hint(&app.db, learner.id, session.id).await? else {
        return press.answer(tg, Some("stale-button")).await;
    };
    press.answer(tg, None).await?;
    let lang = learner.lang;
    let text = match &session.note {
        Some(phrase) => app.i18n.tr(lang, "scene-hint", &[("phrase", Arg::from(phrase))]),
        None => {
            let p = scenes::fallback_hint(scene, after.hints.saturating_sub(1));
            app.i18n.tr(
                lang,
                "scene-hint-translated",
                &[("phrase", Arg::from(p.cs.as_str())), ("translation", Arg::from(p.tr.get(lang)))],
            )
        }
    };
    let to = To::chat(press.chat()).replying_to(Some(press.message_id()));
    tg.outbox.text(to, text, None).await?;
    Ok(())
}

/// "⏹ End": the scene ends here, with its debrief.
pub async fn end(app: &App, tg: &Telegram, press: &Press, session_id: i64) -> HandlerResult {
    let learner = &press.learner;
    let Some(session) = store::end(&app.db, learner.id, session_id).await? else {
        return press.answer(tg, Some("stale-button")).await;
    };
    press.answer(tg, None).await?;
    press.edit_keyboard(tg, None).await?;
    let text = debriefed(app, learner, &session).await?;
    tg.outbox.text(To::chat(press.chat()), text, None).await?;
    Ok(())
}

/// After a turn: a scene whose goal the turn reached ends with its debrief. Whoever ends the
/// session shows it (once, across replicas and a turn resumed after a restart).
pub async fn after_turn(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    learner: &Learner,
) -> HandlerResult {
    let Some(open) = store::open_of(&app.db, learner.id, Mode::Scene).await? else { return Ok(()) };
    if !open.goal_reached {
        return Ok(());
    }
    let Some(session) = store::end(&app.db, learner.id, open.id).await? else { return Ok(()) };
    let text = debriefed(app, learner, &session).await?;
    tg.outbox.text(To::chat(msg.chat.id), text, None).await?;
    Ok(())
}

/// The open scene session `id` and its scene.
async fn scene_of(
    app: &App,
    user_id: i64,
    id: i64,
) -> Result<Option<(Session, &'static Scene)>, BotError> {
    let open = store::open_of(&app.db, user_id, Mode::Scene).await?.filter(|s| s.id == id);
    Ok(open.and_then(|s| scenes::find(&s.subject).map(|scene| (s, scene))))
}

/// The debrief of an ended session; its useful phrases go into the learner's review deck.
pub(super) async fn debriefed(
    app: &App,
    learner: &Learner,
    session: &Session,
) -> Result<String, BotError> {
    let Some(scene) = scenes::find(&session.subject) else {
        return Ok(app.i18n.tr(learner.lang, "practice-more", &[]));
    };
    let lang = learner.lang;
    let now = app.clock.now();
    let (scores, mistakes) = store::scene_record(
        &app.db,
        learner.id,
        (session.created_at, session.position),
        DEBRIEF_MISTAKES,
    )
    .await?;
    for p in &scene.phrases {
        let c = Candidate {
            czech: p.cs.clone(),
            translation: p.tr.get(lang).to_owned(),
            original: None,
            source: Some(scene.title.cs.clone()),
            key: normalize(&p.cs),
        };
        crate::store::words::save(&app.db, learner.id, &c, now).await?;
    }
    let title = scenes::title(scene, lang);
    let d = Debrief {
        title: &title,
        goal: scene.goal.tr.get(lang),
        goal_reached: session.goal_reached,
        scores: &scores,
        mistakes: &mistakes,
        phrases: scene.phrases.iter().map(|p| (p.cs.as_str(), p.tr.get(lang))).collect(),
    };
    Ok(debrief(&app.i18n, lang, &d))
}
