//! `/stats`: a chart of the last 30 days with the numbers as its caption — or the numbers
//! alone when the chart cannot be drawn.

use teloxide::types::{InputFile, Message};

use super::misc::reply;
use crate::app::App;
use crate::bot::outbox::To;
use crate::bot::views::stats::{Extras, caption};
use crate::bot::{HandlerResult, Telegram};
use crate::charts::{self, ChartError, Labels};
use crate::i18n::{Arg, Lang};
use crate::progress::history::{Day, overview};
use crate::progress::local_day;
use crate::store::{self, learners::Learner};

pub async fn show(app: &App, tg: &Telegram, msg: &Message, learner: &Learner) -> HandlerResult {
    let today = local_day(app.clock.now(), learner.tz);
    let overview = overview(&store::stats::days(&app.db, learner.id).await?, learner.streak, today);
    let extras = Extras {
        stars: learner.stars_total,
        saved_words: store::stats::saved_word_count(&app.db, learner.id).await?,
    };
    let numbers = caption(&app.i18n, learner.lang, &overview, &extras);
    let text = with_placement(app, learner, numbers).await?;
    let text = with_trends(app, learner, with_shadowing(app, learner, text).await?).await?;
    match chart(app, learner, overview.month).await {
        Ok(png) => send_photo(tg, msg, png, text).await,
        Err(e) => {
            tracing::warn!(error = %e, "no chart; sending the numbers alone");
            reply(tg, msg, text, None).await
        }
    }
}

/// The caption with the learner's last placement result (`/placement`): the level and its
/// date, then one line per skill — the lines left out if they would not fit a photo caption.
async fn with_placement(
    app: &App,
    learner: &Learner,
    caption: String,
) -> Result<String, crate::bot::BotError> {
    let Some(placed) = store::placement::last_result(&app.db, learner.id).await? else {
        return Ok(caption);
    };
    let t = |key: &str, args: &[(&str, Arg)]| app.i18n.tr(learner.lang, key, args);
    let date = placed.at.with_timezone(&learner.tz).format("%d.%m.%Y").to_string();
    let head = t(
        "stats-placement",
        &[("level", placed.grade.level.as_str().into()), ("date", Arg::from(&date))],
    );
    let g = &placed.grade;
    let skills = [
        ("stats-placement-listening", &g.listening),
        ("stats-placement-speaking", &g.speaking),
        ("stats-placement-grammar", &g.grammar),
        ("stats-placement-vocabulary", &g.vocabulary),
    ]
    .map(|(key, line)| t(key, &[("line", Arg::from(line.as_str()))]));
    let full = format!("{caption}\n\n{head}\n{}", skills.join("\n"));
    Ok(if crate::bot::render::utf16_len(&full) <= crate::bot::render::CAPTION_LIMIT {
        full
    } else {
        format!("{caption}\n\n{head}")
    })
}

/// The caption with the learner's shadowing over the last 30 days (`/shadow`): attempts, the
/// mean share of the phrases' words said and the mean pace against Honzík's — left out when
/// there was none or it would not fit a photo caption.
async fn with_shadowing(
    app: &App,
    learner: &Learner,
    caption: String,
) -> Result<String, crate::bot::BotError> {
    let today = local_day(app.clock.now(), learner.tz);
    let from = today - chrono::Duration::days(29);
    let days = store::shadow::days(&app.db, learner.id, from).await?;
    let attempts: u32 = days.iter().map(|d| d.attempts).sum();
    if attempts == 0 {
        return Ok(caption);
    }
    let weighted = |f: &dyn Fn(&store::shadow::Day) -> f64| {
        days.iter().map(|d| f(d) * f64::from(d.attempts)).sum::<f64>() / f64::from(attempts)
    };
    let timed: Vec<f64> = days.iter().filter_map(|d| d.wpm).collect();
    let wpm = if timed.is_empty() { 0.0 } else { timed.iter().sum::<f64>() / timed.len() as f64 };
    let line = app.i18n.tr(
        learner.lang,
        "stats-shadow",
        &[
            ("attempts", Arg::from(attempts)),
            ("accuracy", Arg::from(weighted(&|d| d.accuracy).round() as i64)),
            ("wpm", Arg::from(wpm.round() as i64)),
            ("native", Arg::from(weighted(&|d| d.native_wpm).round() as i64)),
        ],
    );
    let with = format!("{caption}\n\n{line}");
    Ok(if crate::bot::render::utf16_len(&with) <= crate::bot::render::CAPTION_LIMIT {
        with
    } else {
        caption
    })
}

/// The caption with the learner's most frequent kinds of mistakes over the last 30 days, per 100
/// words they produced, and how each moved against the 30 days before — left out when there is
/// too little material (`review::trends::MIN_WORDS`) or it would not fit a photo caption.
async fn with_trends(
    app: &App,
    learner: &Learner,
    caption: String,
) -> Result<String, crate::bot::BotError> {
    let now = app.clock.now();
    let (month, second) = (chrono::Duration::days(30), chrono::Duration::seconds(1));
    let (id, tz) = (learner.id, learner.tz);
    let this = store::mistakes::period(&app.db, id, (now - month, now + second), tz).await?;
    let before =
        store::mistakes::period(&app.db, id, (now - month - month, now - month), tz).await?;
    let top = crate::review::trends::top(&this, &before, 3);
    if top.is_empty() {
        return Ok(caption);
    }
    let t = |key: &str, args: &[(&str, Arg)]| app.i18n.tr(learner.lang, key, args);
    let mut lines = vec![caption, String::new(), t("trend-title", &[])];
    for trend in top {
        let kind = t(&format!("mistake-category-{}", trend.category.as_str()), &[]);
        let (rate, previous) =
            (tenths(learner.lang, trend.rate), tenths(learner.lang, trend.previous));
        let moved = t(
            &format!("trend-{}", trend.direction.as_str()),
            &[("previous", Arg::from(&previous))],
        );
        // All are our own plain texts: escaping them as arguments changes nothing.
        lines.push(t(
            "trend-line",
            &[
                ("kind", Arg::from(kind.as_str())),
                ("rate", Arg::from(rate.as_str())),
                ("trend", Arg::from(moved.as_str())),
            ],
        ));
    }
    let with = lines.join("\n");
    Ok(if crate::bot::render::utf16_len(&with) <= crate::bot::render::CAPTION_LIMIT {
        with
    } else {
        lines.swap_remove(0)
    })
}

/// A number of tenths as the learner's language writes a decimal: "2.5", "2,5".
fn tenths(lang: Lang, n: u32) -> String {
    let sep = match lang {
        Lang::En => '.',
        Lang::Ru | Lang::Uk => ',',
    };
    format!("{}{sep}{}", n / 10, n % 10)
}

/// Draws off the async workers: rendering is plain CPU work.
async fn chart(app: &App, learner: &Learner, month: Vec<Day>) -> Result<Vec<u8>, ChartError> {
    let t = |key: &str| app.i18n.tr(learner.lang, key, &[]);
    let (title, turns, score) = (t("chart-title"), t("chart-turns"), t("chart-score"));
    let shadow_label = t("chart-shadowing");
    // The shadowing series, day by day (a database hiccup: the chart without it).
    let from = month.first().map(|d| d.day).unwrap_or_default();
    let shadowed = store::shadow::days(&app.db, learner.id, from).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "no shadowing series in the chart");
        Vec::new()
    });
    let shadowing: Vec<Option<f64>> = month
        .iter()
        .map(|d| shadowed.iter().find(|s| s.day == d.day).map(|s| s.accuracy))
        .collect();
    let job = move || {
        let labels =
            Labels { title: &title, turns: &turns, score: &score, shadowing: &shadow_label };
        charts::progress_png(&month, &shadowing, &labels)
    };
    tokio::task::spawn_blocking(job).await.unwrap_or_else(|e| Err(ChartError::from_panic(e)))
}

async fn send_photo(tg: &Telegram, msg: &Message, png: Vec<u8>, caption: String) -> HandlerResult {
    let file = InputFile::memory(bytes::Bytes::from(png)).file_name("stats.png");
    tg.outbox.photo(To::reply(msg), file, caption).await?;
    Ok(())
}
