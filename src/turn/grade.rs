//! A placement test's grade: the one request outside a turn that asks the chat model. Like a
//! turn's, it runs on behalf of the learner (their failures count once toward the circuit) and
//! its cost goes to their day — an unreadable grade's too.

use crate::ai::upstream::on_behalf_of;
use crate::app::App;
use crate::store::learners::Learner;
use crate::tutor::placement::{self as rules, Answer, EXAMINER, Grade};

/// Grades `answers` with the main model; `None` when no readable grade came back (the caller
/// keeps the answers and offers to try again).
pub async fn placement(app: &App, learner: &Learner, answers: &[Answer]) -> Option<Grade> {
    let prompt = rules::grading_prompt(answers, crate::tutor::persona::language_name(learner.lang));
    let model = &app.config.models.main;
    let request = app.chat.grade_placement(model, EXAMINER, &prompt);
    let (grade, paid) = match on_behalf_of(learner.id, request).await {
        Ok(m) => (Some(m.value), Some(m.usage)),
        Err(failed) => {
            tracing::warn!(error = %failed, "could not grade a placement test");
            (None, failed.paid)
        }
    };
    if let Some(usage) = paid {
        let now = app.clock.now();
        let day = crate::progress::local_day(now, learner.tz);
        let recorded = crate::store::usage::record(&app.db, learner.id, None, &usage, day, now);
        if let Err(e) = recorded.await {
            tracing::warn!(error = %e, "could not record the cost of a placement grade");
        }
    }
    grade
}
