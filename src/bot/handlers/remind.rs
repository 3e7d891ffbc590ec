//! `/remind`: the learner's daily reminder — set to a local time, shown, or turned off. The
//! sweep that sends them is a background job (`jobs::reminders`).

use teloxide::types::Message;

use super::misc::notice;
use crate::app::App;
use crate::bot::views::{ECHO_MAX, clip};
use crate::bot::{HandlerResult, Telegram};
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
