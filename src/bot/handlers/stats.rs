//! `/stats`: a chart of the last 30 days with the numbers as its caption — or the numbers
//! alone when the chart cannot be drawn.

use teloxide::prelude::*;
use teloxide::types::{InputFile, Message, ParseMode, ReplyParameters};

use super::misc::reply;
use crate::app::App;
use crate::bot::views::stats::{Extras, caption};
use crate::bot::{HandlerResult, send};
use crate::charts::{self, ChartError, Labels};
use crate::i18n::Lang;
use crate::progress::history::{Day, overview};
use crate::progress::local_day;
use crate::store::{self, learners::Learner};

pub async fn show(app: &App, msg: &Message, learner: &Learner) -> HandlerResult {
    let today = local_day(app.clock.now(), learner.tz);
    let overview = overview(&store::stats::days(&app.db, learner.id).await?, learner.streak, today);
    let extras = Extras { stars: learner.stars_total, saved_words: store::stats::saved_word_count(&app.db, learner.id).await? };
    let text = caption(&app.i18n, learner.lang, &overview, &extras);
    match chart(app, learner.lang, overview.month).await {
        Ok(png) => send_photo(app, msg, png, text).await,
        Err(e) => {
            tracing::warn!(error = %e, "no chart; sending the numbers alone");
            reply(app, msg, text, None).await
        }
    }
}

/// Draws off the async workers: rendering is plain CPU work.
async fn chart(app: &App, lang: Lang, month: Vec<Day>) -> Result<Vec<u8>, ChartError> {
    let t = |key: &str| app.i18n.tr(lang, key, &[]);
    let (title, turns, score) = (t("chart-title"), t("chart-turns"), t("chart-score"));
    let job = move || charts::progress_png(&month, &Labels { title: &title, turns: &turns, score: &score });
    tokio::task::spawn_blocking(job).await.unwrap_or_else(|e| Err(ChartError::from_panic(e)))
}

async fn send_photo(app: &App, msg: &Message, png: Vec<u8>, caption: String) -> HandlerResult {
    let png = bytes::Bytes::from(png);
    send::paced(&app.pacer, msg.chat.id, "stats", || {
        app.bot
            .send_photo(msg.chat.id, InputFile::memory(png.clone()).file_name("stats.png"))
            .caption(caption.clone())
            .parse_mode(ParseMode::Html)
            .reply_parameters(ReplyParameters::new(msg.id).allow_sending_without_reply())
            .into_future()
    })
    .await?;
    Ok(())
}
