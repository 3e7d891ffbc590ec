//! `/remind`: the learner's daily reminder — set to a local time, shown, or turned off — and
//! the one-tap offer of one at the end of onboarding (most learners never type `/remind`;
//! a reminder they did not have to look for is what brings them back). The sweep that sends
//! them is a background job (`jobs::reminders`).

use chrono::NaiveTime;
use teloxide::types::{InlineKeyboardMarkup, Message};

use super::callbacks::Press;
use super::misc::notice;
use crate::app::App;
use crate::bot::outbox::To;
use crate::bot::views::{ECHO_MAX, clip};
use crate::bot::{HandlerResult, Telegram, keyboards};
use crate::i18n::Arg;
use crate::review::reminder::{self, RemindArg};
use crate::store::learners::Learner;
use crate::store::reminders;

pub async fn command(
    app: &App,
    tg: &Telegram,
    msg: &Message,
    learner: &Learner,
    arg: &str,
) -> HandlerResult {
    let zone = learner.tz.name();
    match reminder::parse(arg) {
        RemindArg::Show => match reminders::get(&app.db, learner.id).await? {
            Some(at) => {
                notice(
                    tg,
                    msg,
                    learner.lang,
                    "remind-current",
                    &[
                        ("time", Arg::from(at.format("%H:%M").to_string().as_str())),
                        ("zone", zone.into()),
                    ],
                )
                .await
            }
            None => notice(tg, msg, learner.lang, "remind-none", &[("zone", zone.into())]).await,
        },
        RemindArg::Off => {
            reminders::set(&app.db, learner.id, None, app.clock.now()).await?;
            notice(tg, msg, learner.lang, "remind-off", &[]).await
        }
        RemindArg::At(at) => {
            reminders::set(&app.db, learner.id, Some(at), app.clock.now()).await?;
            notice(
                tg,
                msg,
                learner.lang,
                "remind-on",
                &[
                    ("time", Arg::from(at.format("%H:%M").to_string().as_str())),
                    ("zone", zone.into()),
                ],
            )
            .await
        }
        RemindArg::Invalid => {
            notice(
                tg,
                msg,
                learner.lang,
                "remind-invalid",
                &[("value", Arg::from(clip(arg, ECHO_MAX).as_str()))],
            )
            .await
        }
    }
}

/// The reminder offer for a learner who has none and never answered it: a line to add under
/// the message that ends onboarding, and its two buttons. `None` once answered either way (a
/// declined offer is never made again) or when a reminder is already set.
pub async fn offer(
    app: &App,
    learner: &Learner,
) -> Result<Option<(String, InlineKeyboardMarkup)>, crate::store::StoreError> {
    if reminders::offer_answered(&app.db, learner.id).await?
        || reminders::get(&app.db, learner.id).await?.is_some()
    {
        return Ok(None);
    }
    let local_now = app.clock.now().with_timezone(&learner.tz).time();
    let at = reminder::offer_time(local_now);
    let time = at.format("%H:%M").to_string();
    let text = app.i18n.tr(
        learner.lang,
        "remind-offer",
        &[("time", time.as_str().into()), ("zone", learner.tz.name().into())],
    );
    Ok(Some((text, keyboards::remind_offer(&app.i18n, learner.lang, at))))
}

/// "Yes, at 19:00": the reminder is set at the time on the button, and said back. A second
/// press (another device, a double tap) only clears the buttons.
pub async fn offer_accepted(app: &App, tg: &Telegram, press: &Press, minute: u16) -> HandlerResult {
    press.answer(tg, None).await?;
    let learner = &press.learner;
    let now = app.clock.now();
    let at = NaiveTime::from_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0)
        .unwrap_or(NaiveTime::MIN);
    let first = reminders::answer_offer(&app.db, learner.id, true, now).await?;
    press.edit_keyboard(tg, None).await?;
    if !first {
        return Ok(());
    }
    reminders::set(&app.db, learner.id, Some(at), now).await?;
    let text = app.i18n.tr(
        learner.lang,
        "remind-on",
        &[
            ("time", Arg::from(at.format("%H:%M").to_string().as_str())),
            ("zone", learner.tz.name().into()),
        ],
    );
    tg.outbox.text(To::chat(press.chat()), text, None).await?;
    Ok(())
}

/// "No, thanks": remembered, so the offer is not made again; `/remind` still works.
pub async fn offer_declined(app: &App, tg: &Telegram, press: &Press) -> HandlerResult {
    press.answer(tg, None).await?;
    let first = reminders::answer_offer(&app.db, press.learner.id, false, app.clock.now()).await?;
    press.edit_keyboard(tg, None).await?;
    if first {
        let text = app.i18n.tr(press.learner.lang, "remind-offer-declined", &[]);
        tg.outbox.text(To::chat(press.chat()), text, None).await?;
    }
    Ok(())
}
