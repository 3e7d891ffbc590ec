//! Counting tokens the way the model will: the tokenizer family of a model name, a text's count,
//! and the longest prefix of a text within a count. Apart from fitting because it is the only
//! part that knows about tokenizers (and the only part that is CPU-heavy).

use tiktoken_rs::{CoreBPE, cl100k_base_singleton, o200k_base_singleton};

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

/// Loads the tokenizers `models` count with, now, on a thread of its own, and returns at once.
/// Why: loading one takes ~110 ms of CPU (o200k_base, this box). Left to the first count, it
/// fell on the first turns after a start, on a runtime worker, and every turn that arrived
/// meanwhile waited behind it: most of a steady run's slow turns were in its first 0.3 s.
/// Started before the database opens, it is done before learners' first turns.
pub fn load_in_background<'a>(models: impl IntoIterator<Item = &'a str>) {
    let mut encodings = Vec::new();
    for encoding in models.into_iter().map(encoding_for_model) {
        if !encodings.contains(&encoding) {
            encodings.push(encoding);
        }
    }
    let spawned = std::thread::Builder::new().name("tokenizers".into()).spawn(move || {
        lowest_priority();
        encodings.into_iter().for_each(|e| _ = bpe(e));
    });
    if let Err(e) = spawned {
        // Not fatal: the first count loads it, as it always could.
        tracing::warn!(error = %e, "could not load the tokenizers ahead of the first turn");
    }
}

/// Lowers the calling thread to the lowest priority (nice 19): on one core (a Fly
/// `shared-cpu-1x`) the loading then takes only what the start and the first answers leave idle,
/// instead of delaying an answer to `/start` by a fifth of its ~30 ms.
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: `nice` touches no memory; on Linux it sets the calling thread's own priority.
    unsafe {
        libc::nice(19);
    }
}

/// Tokens in `text` for `model` (no special tokens).
pub fn count_tokens(model: &str, text: &str) -> usize {
    bpe(encoding_for_model(model)).encode_ordinary(text).len()
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
