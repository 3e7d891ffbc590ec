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
    let room =
        10 + 2 * MESSAGE_OVERHEAD + count_tokens(MODEL, "Ahoj") + h[1].tokens + MESSAGE_OVERHEAD;
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
    assert_eq!(f.prompt_tokens, 300 + 2 * MESSAGE_OVERHEAD + count_tokens(MODEL, &f.new_message));
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
