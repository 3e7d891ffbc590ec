//! Token counting and fitting a conversation into the model's context.
//!
//! History turns carry their token count, computed once when stored, so
//! fitting a context never re-encodes history: only the new message is
//! counted on the hot path.

use tiktoken_rs::{CoreBPE, cl100k_base_singleton, o200k_base_singleton};

/// Approximate per-message framing cost of the chat format (role markers,
/// separators); OpenAI documents 3–4 tokens per message.
pub const MESSAGE_OVERHEAD: usize = 4;

/// The tokenizer family of a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// GPT-4o, GPT-4.1, o-series, GPT-5; also the fallback for unknown models.
    O200k,
    /// GPT-4 (original/turbo) and GPT-3.5.
    Cl100k,
}

/// Picks the tokenizer for `model`. Unknown models (Llama, Qwen, … behind an
/// OpenAI-compatible API) get O200k: not exact for them, but a modern
/// vocabulary with similar density is a sane budget estimate.
pub fn encoding_for_model(model: &str) -> Encoding {
    let lower = model.trim().to_ascii_lowercase();
    // Strip provider prefixes such as "openai/gpt-4o".
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    const O200K: &[&str] =
        &["gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "gpt-oss", "o1", "o3", "o4"];
    const CL100K: &[&str] =
        &["gpt-4", "gpt-3.5", "gpt-35", "text-embedding-3", "text-embedding-ada-002"];
    if O200K.iter().any(|p| name.starts_with(p)) {
        Encoding::O200k
    } else if CL100K.iter().any(|p| name.starts_with(p)) {
        Encoding::Cl100k
    } else {
        warn_unknown_once(name);
        Encoding::O200k
    }
}

/// Logs each unknown model name once per process, not once per counted message.
fn warn_unknown_once(name: &str) {
    static SEEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if !seen.iter().any(|n| n == name) {
        tracing::warn!(
            model = name,
            "unknown model: counting tokens with o200k_base as an estimate"
        );
        seen.push(name.to_owned());
    }
}

fn bpe(encoding: Encoding) -> &'static CoreBPE {
    match encoding {
        Encoding::O200k => o200k_base_singleton(),
        Encoding::Cl100k => cl100k_base_singleton(),
    }
}

/// Tokens in `text` for `model` (no special tokens).
pub fn count_tokens(model: &str, text: &str) -> usize {
    bpe(encoding_for_model(model)).encode_ordinary(text).len()
}

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

/// The longest prefix of `text` within `max_tokens`, cut after a whole word
/// (or mid-word only if the first word alone is too long). Binary search
/// over cut points keeps this to O(log n) encodings.
pub fn truncate_to_tokens(model: &str, text: &str, max_tokens: usize) -> (String, usize) {
    let count = |s: &str| count_tokens(model, s);
    let whole = count(text);
    if whole <= max_tokens {
        return (text.to_owned(), whole);
    }
    let word_ends: Vec<usize> = text
        .char_indices()
        .zip(text.chars().skip(1))
        .filter(|((_, c), next)| !c.is_whitespace() && next.is_whitespace())
        .map(|((i, c), _)| i + c.len_utf8())
        .collect();
    if let Some((cut, tokens)) = longest_fitting(&word_ends, |&end| count(&text[..end]), max_tokens)
    {
        return (text[..cut].to_owned(), tokens);
    }
    let char_ends: Vec<usize> = text.char_indices().map(|(i, c)| i + c.len_utf8()).collect();
    match longest_fitting(&char_ends, |&end| count(&text[..end]), max_tokens) {
        Some((cut, tokens)) => (text[..cut].to_owned(), tokens),
        None => (String::new(), 0),
    }
}

/// Binary search for the last candidate whose cost fits; assumes cost grows
/// with the cut (true up to tokenizer merges, and the returned cut is always
/// one that was measured to fit).
fn longest_fitting(
    cuts: &[usize],
    cost: impl Fn(&usize) -> usize,
    max: usize,
) -> Option<(usize, usize)> {
    let (mut lo, mut hi) = (0, cuts.len());
    let mut best = None;
    while lo < hi {
        let mid = (lo + hi) / 2;
        let c = cost(&cuts[mid]);
        if c <= max {
            best = Some((cuts[mid], c));
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = "gpt-4o-mini";

    fn exchange(i: usize) -> [HistoryTurn; 2] {
        [
            HistoryTurn::new(
                MODEL,
                Role::Learner,
                format!("Ahoj Honzíku, dnes je den číslo {i} a já mám hlad."),
            ),
            HistoryTurn::new(
                MODEL,
                Role::Honzik,
                format!("Čau! Den {i}? Tak to chce knedlíky a jedno pivo, ne?"),
            ),
        ]
    }

    fn history(n: usize) -> Vec<HistoryTurn> {
        (0..n).flat_map(exchange).collect()
    }

    #[test]
    fn models_map_to_their_tokenizers() {
        for m in [
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-4.1-nano",
            "o3-mini",
            "o4-mini",
            "o1",
            "gpt-5",
            "openai/gpt-4o",
        ] {
            assert_eq!(encoding_for_model(m), Encoding::O200k, "{m}");
        }
        for m in ["gpt-4", "gpt-4-turbo", "gpt-3.5-turbo", "GPT-4-0613"] {
            assert_eq!(encoding_for_model(m), Encoding::Cl100k, "{m}");
        }
        for m in ["llama3", "qwen2.5:7b", "mistral-large", ""] {
            assert_eq!(encoding_for_model(m), Encoding::O200k, "{m}");
        }
    }

    #[test]
    fn cl100k_and_o200k_count_czech_differently_and_stably() {
        let s = "Dobrý den, dal bych si jedno orosené pivo a knedlíky se zelím.";
        let o = count_tokens("gpt-4o", s);
        let c = count_tokens("gpt-4", s);
        assert!(o > 5 && c > 5);
        assert_ne!(o, c, "the two vocabularies should tokenize Czech differently");
        assert_eq!(count_tokens("gpt-4o", s), o);
        assert_eq!(count_tokens("gpt-4o", s), count_tokens("llama3", s));
    }

    #[test]
    fn empty_history_yields_just_the_message() {
        let f = fit_context(MODEL, 100, &[], "Ahoj!", 1000);
        assert!(f.turns.is_empty());
        assert_eq!(f.new_message, "Ahoj!");
        assert_eq!(f.prompt_tokens, 100 + 2 * MESSAGE_OVERHEAD + count_tokens(MODEL, "Ahoj!"));
    }

    #[test]
    fn a_long_history_is_cut_to_the_budget_keeping_the_newest_exchanges() {
        let h = history(200);
        let f = fit_context(MODEL, 500, &h, "Jak se máš?", 1200);
        assert!(f.prompt_tokens <= 1200);
        assert!(!f.turns.is_empty() && f.turns.len() < h.len());
        assert_eq!(f.turns.last(), h.last());
        assert_eq!(f.turns[0].role, Role::Learner);
        assert_eq!(f.turns.len() % 2, 0);
        let expected: usize = 500
            + 2 * MESSAGE_OVERHEAD
            + count_tokens(MODEL, "Jak se máš?")
            + f.turns.iter().map(|t| t.tokens + MESSAGE_OVERHEAD).sum::<usize>();
        assert_eq!(f.prompt_tokens, expected);
    }

    #[test]
    fn a_history_that_fits_is_kept_whole() {
        let h = history(3);
        let f = fit_context(MODEL, 100, &h, "Ahoj", 100_000);
        assert_eq!(f.turns, h);
    }

    #[test]
    fn stored_counts_are_trusted_not_recomputed() {
        let mut h = history(2);
        h[3].tokens = 10_000; // the newest Honzík turn claims to be huge
        let f = fit_context(MODEL, 10, &h, "Ahoj", 2_000);
        assert!(f.turns.is_empty(), "the huge exchange blocks older ones too: no gaps in history");
    }

    #[test]
    fn an_exchange_is_never_split_and_a_leading_orphan_answer_is_dropped() {
        // History starts with a Honzík greeting (no learner turn before it).
        let mut h = vec![HistoryTurn::new(MODEL, Role::Honzik, "Ahoj, já jsem Honzík!")];
        h.extend(history(1));
        let all = fit_context(MODEL, 10, &h, "Ahoj", 100_000);
        assert_eq!(all.turns, h[1..].to_vec());

        // Budget for exactly one Honzík turn but not its question: keep nothing.
        let h = history(1);
        let room = 10
            + 2 * MESSAGE_OVERHEAD
            + count_tokens(MODEL, "Ahoj")
            + h[1].tokens
            + MESSAGE_OVERHEAD;
        let f = fit_context(MODEL, 10, &h, "Ahoj", room);
        assert!(f.turns.is_empty());
        assert_eq!(f.prompt_tokens, room - h[1].tokens - MESSAGE_OVERHEAD);
    }

    #[test]
    fn an_unanswered_learner_turn_is_kept_on_its_own() {
        let mut h = history(1);
        h.push(HistoryTurn::new(MODEL, Role::Learner, "Haló?"));
        let f = fit_context(MODEL, 10, &h, "Jsi tam?", 100_000);
        assert_eq!(f.turns, h);
    }

    #[test]
    fn an_oversized_message_is_truncated_at_a_word_boundary() {
        let msg = "Včera jsem byl v hospodě a pil jsem pivo. ".repeat(200);
        let f = fit_context(MODEL, 300, &history(5), &msg, 600);
        assert!(f.turns.is_empty());
        assert!(f.prompt_tokens <= 600);
        assert!(msg.starts_with(&f.new_message));
        assert!(f.new_message.len() > 100);
        let next = msg[f.new_message.len()..].chars().next();
        assert!(next.is_some_and(char::is_whitespace), "cut mid-word");
        assert_eq!(
            f.prompt_tokens,
            300 + 2 * MESSAGE_OVERHEAD + count_tokens(MODEL, &f.new_message)
        );
    }

    #[test]
    fn a_single_giant_word_is_cut_mid_word_and_no_room_means_empty() {
        let word = "ž".repeat(5000);
        let f = fit_context(MODEL, 0, &[], &word, 50);
        assert!(!f.new_message.is_empty() && word.starts_with(&f.new_message));
        assert!(f.prompt_tokens <= 50);
        let none = fit_context(MODEL, 1000, &[], "Ahoj", 500);
        assert_eq!(none.new_message, "");
    }

    #[test]
    fn with_a_summary_the_budget_is_never_exceeded_for_any_history_length() {
        let system = 600;
        for n in 0..120 {
            let h = history(n);
            for summary in [None, Some(250), Some(5000)] {
                let f = fit_context_with_summary(
                    MODEL,
                    system,
                    summary,
                    &h,
                    "Dobrý den, mám se dobře.",
                    3000,
                    usize::MAX,
                );
                assert!(f.prompt_tokens <= 3000, "n={n} summary={summary:?}: {}", f.prompt_tokens);
                assert!(f.prompt_tokens >= system, "the system prompt is always counted in");
                assert_eq!(
                    f.with_summary,
                    summary == Some(250),
                    "a summary that fits is kept, an oversized one dropped"
                );
                // The kept turns are the newest ones, verbatim and in order.
                assert_eq!(f.turns, h[h.len() - f.turns.len()..].to_vec());
                if n >= 3 {
                    assert!(
                        f.turns.len() >= 6,
                        "at least the last three exchanges fit: {}",
                        f.turns.len()
                    );
                }
            }
        }
    }

    #[test]
    fn the_summary_outranks_old_history_but_not_the_new_message() {
        let h = history(50);
        let plain = fit_context_with_summary(MODEL, 600, None, &h, "Ahoj", 1500, usize::MAX);
        let with = fit_context_with_summary(MODEL, 600, Some(300), &h, "Ahoj", 1500, usize::MAX);
        assert!(with.with_summary);
        assert!(with.turns.len() < plain.turns.len(), "old turns make room for the summary");
        let long = "slovo ".repeat(2000);
        let squeezed = fit_context_with_summary(MODEL, 600, Some(300), &h, &long, 1500, usize::MAX);
        assert!(
            !squeezed.with_summary && squeezed.turns.is_empty(),
            "an oversized message takes the room first"
        );
        assert!(squeezed.prompt_tokens <= 1500);
    }

    #[test]
    fn text_that_fits_is_not_truncated_at_all() {
        let text = "Fakta — Olga, Brně.";
        assert_eq!(truncate_to_tokens(MODEL, text, 300).0, text);
    }

    #[test]
    fn the_history_cap_keeps_the_prompt_flat_as_the_conversation_grows() {
        let sizes: Vec<usize> = (10..200)
            .map(|n| {
                fit_context_with_summary(MODEL, 600, Some(100), &history(n), "Ahoj", 3000, 500)
                    .prompt_tokens
            })
            .collect();
        let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
        assert!(max - min <= 40, "flat: {min}..{max}");
        let h = history(20);
        let start = newest_within(&h, 500);
        assert_eq!((h.len() - start) % 2, 0, "whole exchanges only");
        assert!(h[start..].iter().map(|t| t.tokens + MESSAGE_OVERHEAD).sum::<usize>() <= 500);
    }

    #[test]
    fn a_message_counted_already_fits_exactly_as_if_counted_here() {
        let h = history(30);
        let text = "Včera jsem byl v hospodě a dal jsem si dvě piva.";
        let counted = (text, Some(count_tokens(MODEL, text)));
        let here = fit_context_with_summary(MODEL, 600, Some(250), &h, text, 3000, usize::MAX);
        let given = fit_context_counted(MODEL, 600, Some(250), &h, counted, 3000, usize::MAX);
        assert_eq!(given.prompt_tokens, here.prompt_tokens);
        assert_eq!(given.message_tokens, here.message_tokens);
        assert_eq!(given.turns, here.turns);
        assert_eq!(given.new_message, here.new_message);
    }
}
