//! `/timezone`: the usual zones for the learner's language as buttons, or a zone typed by the
//! learner — after "Other…", or straight after the command (`/timezone Europe/Vienna`).
//! Streaks and "today" follow the stored zone from the next turn on.

use teloxide::types::Message;

use super::callbacks::Press;
use super::misc::{notice, reply};
use super::settings;
use crate::app::App;
use crate::bot::views::settings::changed;
use crate::bot::views::{ECHO_MAX, clip};
use crate::bot::{HandlerResult, Telegram};
use crate::progress::zones;
use crate::settings::{Setting, SettingKind};
use crate::store::learners::{self, Awaiting, Learner};

pub async fn command(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    learner: &Learner,
    arg: &str,
) -> HandlerResult {
    if arg.trim().is_empty() {
        return settings::show(app, tg, msg, learner, SettingKind::Timezone).await;
    }
    typed(app, tg, msg, learner, arg).await
}

/// "Other…": the learner's next text is the zone.
pub async fn ask_typed(app: &App, tg: &Telegram, press: &Press) -> HandlerResult {
    learners::set_awaiting(&app.db, press.learner.id, Some(Awaiting::Timezone), app.clock.now())
        .await?;
    press.answer(tg, None).await?;
    let text = app.i18n.tr(press.learner.lang, "tz-ask", &[]);
    press.edit(tg, text, None).await
}

/// A zone typed by the learner. One that does not exist is explained and the question stays
/// open (the learner can try again, or /cancel).
pub async fn typed(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    learner: &Learner,
    input: &str,
) -> HandlerResult {
    let Some(tz) = zones::resolve(input) else {
        return notice(
            tg,
            msg,
            learner.lang,
            "tz-unknown",
            &[("zone", clip(input, ECHO_MAX).as_str().into())],
        )
        .await;
    };
    let now = app.clock.now();
    learners::apply(&app.db, learner.id, Setting::Timezone(tz), now).await?;
    learners::set_awaiting(&app.db, learner.id, None, now).await?;
    let updated = Learner { tz, awaiting: None, ..learner.clone() };
    reply(tg, msg, changed(&app.i18n, &updated, SettingKind::Timezone, now), None).await
}

/// A text message while the bot waits for a typed zone.
pub async fn answer(
    app: std::sync::Arc<App>,
    tg: std::sync::Arc<Telegram>,
    msg: Message,
    learner: Learner,
    text: String,
) -> HandlerResult {
    typed(&app, &tg, &msg, &learner, &text).await
}
