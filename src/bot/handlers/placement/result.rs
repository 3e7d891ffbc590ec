//! The end of a placement test: the grading request, the result stored and shown, the level set.

use super::Origin;
use crate::app::App;
use crate::bot::outbox::To;
use crate::bot::{HandlerResult, Telegram, labels};
use crate::i18n::{Arg, Lang};
use crate::store::learners::{self, Learner};
use crate::store::placement as store;
use crate::tutor::placement::{Answer, Grade, ITEMS};

/// The grade: one request to the model, metered as chat; the result stored with its date,
/// the level set from it, and shown — with the reminder offer under it when it was never
/// answered. A failed request keeps the answers: `/placement` (or any message) tries again.
pub(super) async fn grade(
    app: &App,
    tg: &Telegram,
    learner: &Learner,
    answers: Vec<Option<String>>,
    from: &Origin<'_>,
) -> HandlerResult {
    let lang = learner.lang;
    let answers: Vec<Answer> = ITEMS
        .iter()
        .enumerate()
        .map(|(i, item)| Answer { item: *item, given: answers.get(i).cloned().flatten() })
        .collect();
    let Some(grade) = crate::turn::grade::placement(app, learner, &answers).await else {
        return super::say(app, tg, from.chat, lang, "placement-grade-failed").await;
    };
    let now = app.clock.now();
    store::finish(&app.db, learner.id, &grade, now).await?;
    learners::set_level(&app.db, learner.id, grade.level.level(), now).await?;
    learners::set_awaiting(&app.db, learner.id, None, now).await?;
    let text = result_text(app, lang, &grade);
    let to = To::chat(from.chat).replying_to(from.reply_to);
    with_reminder_offer(app, tg, to, learner, text).await
}

/// The result: the level (CEFR and the bot's level it sets), then one line per skill.
fn result_text(app: &App, lang: Lang, g: &Grade) -> String {
    let t = |key: &str, args: &[(&str, Arg)]| app.i18n.tr(lang, key, args);
    let level = t(&labels::level(g.level.level()), &[]);
    let head = t(
        "placement-result",
        &[("grade", Arg::from(g.level.as_str())), ("level", Arg::from(level.as_str()))],
    );
    let skills = [
        ("stats-placement-listening", &g.listening),
        ("stats-placement-speaking", &g.speaking),
        ("stats-placement-grammar", &g.grammar),
        ("stats-placement-vocabulary", &g.vocabulary),
    ]
    .map(|(key, line)| t(key, &[("line", Arg::from(line.as_str()))]));
    format!("{head}\n\n{}\n\n{}", skills.join("\n"), t("placement-result-after", &[]))
}

/// Sends `text`, with the reminder offer and its buttons under it when it was never answered.
pub(super) async fn with_reminder_offer(
    app: &App,
    tg: &Telegram,
    to: To,
    learner: &Learner,
    text: String,
) -> HandlerResult {
    match crate::bot::handlers::remind::offer(app, learner).await? {
        Some((offer, keyboard)) => {
            tg.outbox.text(to, format!("{text}\n\n{offer}"), Some(keyboard)).await?
        }
        None => tg.outbox.text(to, text, None).await?,
    };
    Ok(())
}
