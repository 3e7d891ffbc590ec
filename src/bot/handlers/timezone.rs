//! `/timezone`: the usual zones for the learner's language as buttons, or a zone typed by the
//! learner — after "Other…", or straight after the command (`/timezone Europe/Vienna`).
//! Streaks and "today" follow the stored zone from the next turn on.

use teloxide::types::Message;

use super::callbacks::Press;
use super::misc::{notice, reply};
use super::settings;
use crate::app::App;
use crate::bot::views::settings::changed;
use crate::bot::{HandlerResult, edit};
use crate::progress::zones;
use crate::settings::{Setting, SettingKind};
use crate::store::learners::{self, Awaiting, Learner};

pub async fn command(app: &App, msg: &Message, learner: &Learner, arg: &str) -> HandlerResult {
    if arg.trim().is_empty() {
        return settings::show(app, msg, learner, SettingKind::Timezone).await;
    }
    typed(app, msg, learner, arg).await
}

/// "Other…": the learner's next text is the zone.
pub async fn ask_typed(app: &App, press: &Press) -> HandlerResult {
    learners::set_awaiting(&app.db, press.learner.id, Some(Awaiting::Timezone), app.clock.now())
        .await?;
    press.answer(app, None).await?;
    let text = app.i18n.tr(press.learner.lang, "tz-ask", &[]);
    edit::text(app, press.chat(), press.message_id(), text, None).await
}

/// A zone typed by the learner. One that does not exist is explained and the question stays
/// open (the learner can try again, or /cancel).
pub async fn typed(app: &App, msg: &Message, learner: &Learner, input: &str) -> HandlerResult {
    let Some(tz) = zones::resolve(input) else {
        return notice(app, msg, learner.lang, "tz-unknown", &[("zone", input.trim().into())])
            .await;
    };
    let now = app.clock.now();
    learners::apply(&app.db, learner.id, Setting::Timezone(tz), now).await?;
    learners::set_awaiting(&app.db, learner.id, None, now).await?;
    let updated = Learner { tz, awaiting: None, ..learner.clone() };
    reply(app, msg, changed(&app.i18n, &updated, SettingKind::Timezone, now), None).await
}

/// A text message while the bot waits for a typed zone.
pub async fn answer(
    app: std::sync::Arc<App>,
    msg: Message,
    learner: Learner,
    text: String,
) -> HandlerResult {
    typed(&app, &msg, &learner, &text).await
}
