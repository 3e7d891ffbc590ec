//! Token counting and fitting a conversation into the model's context.
//!
//! History turns carry their token count, computed once when stored, so
//! fitting a context never re-encodes history: only the new message is
//! counted on the hot path.
//!
//! Here: the history and fitting it. Counting tokens (a model's tokenizer, cutting a text to a
//! count) is in `tokens`, re-exported, so callers keep naming `tutor::budget::*`.

pub use tokens::{
    Encoding, count_tokens, encoding_for_model, load_in_background, truncate_to_tokens,
};

mod tokens;

/// Approximate per-message framing cost of the chat format (role markers,
/// separators); OpenAI documents 3–4 tokens per message.
pub const MESSAGE_OVERHEAD: usize = 4;

/// Who said a history turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Learner,
    Honzik,
}

/// One stored message of the conversation with its precomputed token count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryTurn {
    pub role: Role,
    pub text: String,
    pub tokens: usize,
}

impl HistoryTurn {
    /// Builds a turn, counting its tokens (do this once, when storing it).
    pub fn new(model: &str, role: Role, text: impl Into<String>) -> HistoryTurn {
        let text = text.into();
        let tokens = count_tokens(model, &text);
        HistoryTurn { role, text, tokens }
    }
}

/// What goes into the prompt after the system message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FittedContext {
    /// Kept history, oldest first.
    pub turns: Vec<HistoryTurn>,
    /// The learner's new message, truncated if alone it was oversized.
    pub new_message: String,
    /// Estimated prompt size, including per-message overhead.
    pub prompt_tokens: usize,
    /// The new message's own tokens (as kept): counted once here, reused by whoever needs them.
    pub message_tokens: usize,
    /// Whether the conversation summary fitted (it is sent as a user-side context message after
    /// the system prompt, never as a system message: `ai::chat::summary_context`).
    pub with_summary: bool,
}

/// Fits system prompt + history + new message into `budget` tokens.
///
/// Priority: the system prompt (always kept), then the new learner message
/// (truncated at a word boundary if it alone does not fit), then the latest
/// history, newest first, a whole exchange (learner + Honzík) at a time, so
/// the model never sees an answer without its question.
pub fn fit_context(
    model: &str,
    system_prompt_tokens: usize,
    history: &[HistoryTurn],
    new_message: &str,
    budget: usize,
) -> FittedContext {
    fit_context_with_summary(
        model,
        system_prompt_tokens,
        None,
        history,
        new_message,
        budget,
        usize::MAX,
    )
}

/// Where the newest whole exchanges that fit in `max_tokens` (with per-message overhead) begin.
/// Walks back a whole exchange at a time: a Honzík turn takes its learner turn with it. Used both
/// to fill a prompt and to decide which turns the summary must take over.
pub fn newest_within(history: &[HistoryTurn], max_tokens: usize) -> usize {
    let mut used = 0;
    let mut start = history.len();
    while start > 0 {
        let unit = match history[..start] {
            [
                ..,
                HistoryTurn { role: Role::Learner, .. },
                HistoryTurn { role: Role::Honzik, .. },
            ] => 2,
            _ => 1,
        };
        let cost: usize =
            history[start - unit..start].iter().map(|t| t.tokens + MESSAGE_OVERHEAD).sum();
        if used + cost > max_tokens {
            break;
        }
        used += cost;
        start -= unit;
    }
    start
}

/// As [`fit_context`], with the conversation's running summary (its stored token count) and a cap
/// on the verbatim history. The summary comes after the new message in priority and before the
/// history: it is what keeps older facts once their turns have left the verbatim window, and the
/// cap is what keeps the prompt flat however long the conversation grows.
pub fn fit_context_with_summary(
    model: &str,
    system_prompt_tokens: usize,
    summary_tokens: Option<usize>,
    history: &[HistoryTurn],
    new_message: &str,
    budget: usize,
    history_cap: usize,
) -> FittedContext {
    let message = (new_message, None);
    let s = (system_prompt_tokens, summary_tokens);
    fit_context_counted(model, s.0, s.1, history, message, budget, history_cap)
}

/// [`fit_context_with_summary`] with the new message's tokens where they were counted already
/// (a transcript's, counted as it was stored): counting is a good part of a turn's CPU.
pub fn fit_context_counted(
    model: &str,
    system_prompt_tokens: usize,
    summary_tokens: Option<usize>,
    history: &[HistoryTurn],
    (new_message, counted): (&str, Option<usize>),
    budget: usize,
    history_cap: usize,
) -> FittedContext {
    let fixed = system_prompt_tokens + 2 * MESSAGE_OVERHEAD;
    let room_for_message = budget.saturating_sub(fixed);
    let mut message_tokens = counted.unwrap_or_else(|| count_tokens(model, new_message));
    let mut new_message = new_message.to_owned();
    if message_tokens > room_for_message {
        (new_message, message_tokens) = truncate_to_tokens(model, &new_message, room_for_message);
    }
    let mut used = fixed + message_tokens;
    let with_summary = match summary_tokens {
        Some(t) if t > 0 && used + t + MESSAGE_OVERHEAD <= budget => {
            used += t + MESSAGE_OVERHEAD;
            true
        }
        _ => false,
    };

    let room = budget.saturating_sub(used).min(history_cap);
    let start = newest_within(history, room);
    used += history[start..].iter().map(|t| t.tokens + MESSAGE_OVERHEAD).sum::<usize>();
    let mut turns = &history[start..];
    if let [first, rest @ ..] = turns
        && first.role == Role::Honzik
    {
        used -= first.tokens + MESSAGE_OVERHEAD;
        turns = rest;
    }
    FittedContext {
        turns: turns.to_vec(),
        new_message,
        prompt_tokens: used,
        message_tokens,
        with_summary,
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
