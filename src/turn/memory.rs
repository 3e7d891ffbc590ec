//! What Honzík remembers: the conversation's recent turns verbatim and a rolling summary of the
//! older ones.
//!
//! After a reply has been sent, turns that fell out of the verbatim window are folded into the
//! summary by the simple model, in the background: it never adds to the learner's wait, and a
//! failed summary simply keeps the previous one. The window is measured in tokens, so the prompt
//! stays flat; the fold costs one call of the cheap model on ~500 tokens when a turn leaves it.

use std::sync::Arc;

use chrono_tz::Tz;

use crate::app::App;
use crate::store::{self, StoreError, conversations};
use crate::tutor;

/// Messages read for a turn's context (the verbatim window trims further).
pub const CONTEXT_WINDOW: u64 = 40;

/// Tokens of verbatim history a prompt carries: 30% of the budget (900 of the default 3,000), room
/// for the last 3–5 exchanges of voice practice. Older turns live in the summary, so the prompt
/// stays flat however long the conversation grows.
pub fn verbatim_tokens(budget: usize) -> usize {
    budget * 3 / 10
}
/// A summary never grows beyond this, whatever the model returns.
pub const SUMMARY_MAX_TOKENS: usize = 300;

/// Whether the exchange just stored may push older turns out of the verbatim window. `history` is
/// what the turn read (at most [`CONTEXT_WINDOW`] unsummarized messages): if it was all of them
/// and they still fit with this exchange, the fold would find nothing to do, so it is not
/// scheduled — it would cost two queries on every turn.
pub fn may_need_folding(
    history: &[tutor::HistoryTurn],
    learner: (&str, usize),
    reply: (&str, usize),
    budget: usize,
) -> bool {
    if history.len() as u64 >= CONTEXT_WINDOW {
        return true;
    }
    let mut all = history.to_vec();
    all.push(tutor::HistoryTurn {
        role: tutor::Role::Learner,
        text: learner.0.to_owned(),
        tokens: learner.1,
    });
    all.push(tutor::HistoryTurn {
        role: tutor::Role::Honzik,
        text: reply.0.to_owned(),
        tokens: reply.1,
    });
    tutor::newest_within(&all, verbatim_tokens(budget)) > 0
}

/// Schedules a fold of `conversation_id` after the reply went out.
pub fn after_reply(app: &Arc<App>, conversation_id: i64, user_id: i64, tz: Tz) {
    {
        let mut folding = app.folds.0.lock().expect("folding lock");
        if let Some(again) = folding.get_mut(&conversation_id) {
            *again = true;
            return;
        }
        folding.insert(conversation_id, false);
    }
    let app = app.clone();
    app.background.clone().spawn(async move {
        loop {
            if let Err(e) = fold(&app, conversation_id, user_id, tz).await {
                tracing::warn!(conversation_id, error = %e, "summary not updated; the previous one stays");
            }
            let mut folding = app.folds.0.lock().expect("folding lock");
            match folding.get_mut(&conversation_id) {
                Some(again) if *again => *again = false,
                _ => {
                    folding.remove(&conversation_id);
                    return;
                }
            }
        }
    });
}

async fn fold(app: &App, conversation_id: i64, user_id: i64, tz: Tz) -> Result<(), StoreError> {
    let Some(conv) = conversations::get(&app.db, conversation_id).await? else { return Ok(()) };
    let messages = conversations::unsummarized(&app.db, &conv, i64::MAX, 1000).await?;
    let turns: Vec<_> = messages.iter().map(|m| m.turn.clone()).collect();
    // Whatever no longer fits in the verbatim window goes into the summary (whole exchanges).
    let cut = tutor::newest_within(&turns, verbatim_tokens(app.config.limits.context_token_budget));
    let Some(last) = messages[..cut].last() else { return Ok(()) };
    let turns = &turns[..cut];
    let model = app.models.for_summary();
    let summary = match app
        .chat
        .summarize(model, conv.summary.as_deref(), turns, SUMMARY_MAX_TOKENS as u32 + 50)
        .await
    {
        Ok(r) => r,
        Err(failed) => {
            tracing::warn!(conversation_id, error = %failed, "summary failed; keeping the previous one");
            // An empty summary was paid for all the same.
            if let Some(usage) = failed.paid {
                let now = app.clock.now();
                let day = crate::progress::local_day(now, tz);
                store::usage::record(&app.db, user_id, None, &usage, day, now).await?;
            }
            return Ok(());
        }
    };
    let (text, usage) = (summary.value, summary.usage);
    let (text, tokens) = tutor::truncate_to_tokens(&app.models.main, &text, SUMMARY_MAX_TOKENS);
    let now = app.clock.now();
    conversations::set_summary(&app.db, conversation_id, &text, tokens, last.id, now).await?;
    store::usage::record(&app.db, user_id, None, &usage, crate::progress::local_day(now, tz), now)
        .await
}
