//! `/level`, `/style`, `/corrections`, `/voice_speed`, `/voice`, `/language`, `/register` (and
//! the buttons of `/timezone`): the current value with a keyboard of choices; a choice is stored and the
//! message becomes its confirmation. It takes effect on the next turn, which loads the learner
//! afresh.

use super::callbacks::Press;
use super::misc::reply;
use crate::app::App;
use crate::bot::views::settings::{changed, screen};
use crate::bot::{HandlerResult, Telegram, keyboards};
use crate::settings::{Register, Setting, SettingKind};
use crate::store::learners::{self, Learner};

pub async fn show(
    app: &App,
    tg: &Telegram,
    msg: &teloxide::types::Message,
    learner: &Learner,
    kind: SettingKind,
) -> HandlerResult {
    let text = screen(&app.i18n, learner, kind, app.clock.now());
    reply(tg, msg, text, Some(keyboards::setting(&app.i18n, learner, kind))).await
}

/// `/register`: the choices, or — with a register named after it (`/register obecná`, with or
/// without čárka) — that one stored and confirmed. Anything else after it shows the choices.
pub async fn register(
    app: &App,
    tg: &Telegram,
    msg: &teloxide::types::Message,
    learner: &Learner,
    arg: &str,
) -> HandlerResult {
    let Some(register) = Register::from_typed(arg) else {
        return show(app, tg, msg, learner, SettingKind::Register).await;
    };
    let now = app.clock.now();
    learners::apply(&app.db, learner.id, Setting::Register(register), now).await?;
    let updated = Learner { register, ..learner.clone() };
    reply(tg, msg, changed(&app.i18n, &updated, SettingKind::Register, now), None).await
}

/// A choice pressed: store it, confirm in place (in the new language, if that was the choice).
/// Pressing it twice stores the same value and repeats the same edit, which is skipped.
pub async fn choose(app: &App, tg: &Telegram, press: &Press, setting: Setting) -> HandlerResult {
    let now = app.clock.now();
    learners::apply(&app.db, press.learner.id, setting, now).await?;
    if press.learner.awaiting.is_some() {
        learners::set_awaiting(&app.db, press.learner.id, None, now).await?;
    }
    press.answer(tg, None).await?;
    let learner =
        learners::find(&app.db, press.learner.id).await?.unwrap_or_else(|| press.learner.clone());
    let text = changed(&app.i18n, &learner, setting.kind(), now);
    press.edit(tg, text, None).await
}
