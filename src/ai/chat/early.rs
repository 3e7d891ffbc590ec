//! Pure: Honzík's spoken words read out of a reply that is still arriving.
//!
//! The turn's completion streams as partial JSON text. The words Honzík speaks
//! (`honzik_response`) are usually complete long before the corrections, the translation and
//! the tip are, and his voice takes as long to make as a good part of the rest of the stream:
//! reading the field as soon as its closing quote arrives lets the voice be made meanwhile.
//! Only a top-level string whose closing quote has arrived counts — a nested object with the
//! same key, or a string still being written, does not — and the model may put the keys in any
//! order, so the scanner steps over whole values of any kind (strings with escapes, nested
//! objects and arrays, numbers, literals) until it reaches the key.

/// The reply's field Honzík speaks.
const SPOKEN: &str = "honzik_response";

/// Where a streamed reply hands over Honzík's words the moment they are complete — once per
/// turn, from whichever attempt gets there first (the turn compares them with the final reply
/// and makes the voice again only if they differ).
#[derive(Debug)]
pub struct EarlyWords(std::sync::Mutex<Option<tokio::sync::oneshot::Sender<String>>>);

impl EarlyWords {
    /// The handoff and the end the turn waits on (closed without words when the handoff is dropped
    /// before they were complete: the reply was not streamed, or failed).
    pub fn new() -> (EarlyWords, tokio::sync::oneshot::Receiver<String>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (EarlyWords(std::sync::Mutex::new(Some(tx))), rx)
    }

    /// Hands the words over if `partial` has them whole and they were not handed over yet.
    pub(super) fn offer(&self, partial: &str) {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_some()
            && let Some(words) = complete_string(partial, SPOKEN)
            && let Some(tx) = slot.take()
        {
            // The parser trims the field: the early words are what the final reply will say.
            let _ = tx.send(words.trim().to_owned());
        }
    }
}

/// The complete top-level string value of `key` in the partial JSON object `partial`
/// (unescaped), or `None` while it has not arrived whole (or is not a string). Text before the
/// object's opening brace (a fence, a model's chatter) is skipped.
pub fn complete_string(partial: &str, key: &str) -> Option<String> {
    let b = partial.as_bytes();
    let mut i = partial.find('{')? + 1;
    loop {
        i = skip_ws(b, i);
        match *b.get(i)? {
            b',' => {
                i += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let name_end = string_end(b, i)?;
        let name: String = serde_json::from_str(&partial[i..name_end]).ok()?;
        i = skip_ws(b, name_end);
        if *b.get(i)? != b':' {
            return None;
        }
        i = skip_ws(b, i + 1);
        if name == key {
            if *b.get(i)? != b'"' {
                return None;
            }
            let end = string_end(b, i)?;
            return serde_json::from_str(&partial[i..end]).ok();
        }
        i = value_end(b, i)?;
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// Just past the closing quote of the string opening at `start`; `None` while unclosed.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Just past the value starting at `i`; `None` while it may still be growing.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        // A number or a literal ends where a delimiter follows; at the end of the text it may
        // still be growing.
        _ => {
            let len = b[i..]
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']') || c.is_ascii_whitespace())?;
            Some(i + len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "honzik_response";

    #[test]
    fn the_words_are_known_only_once_their_closing_quote_has_arrived() {
        let full = r#"{"corrected_text": "Byl jsem v Praze.", "honzik_response": "Super! A co jsi tam dělal?", "mistakes": []}"#;
        let close = full.find("?\"").unwrap() + 1;
        for cut in (0..=close).filter(|c| full.is_char_boundary(*c)) {
            assert_eq!(complete_string(&full[..cut], KEY), None, "cut at {cut}: {}", &full[..cut]);
        }
        for cut in (close + 1..=full.len()).filter(|c| full.is_char_boundary(*c)) {
            assert_eq!(
                complete_string(&full[..cut], KEY).as_deref(),
                Some("Super! A co jsi tam dělal?"),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn escapes_are_undone_and_an_escaped_quote_does_not_end_the_words() {
        let partial = r#"{"honzik_response": "Řekl \"ahoj\"\n\u00e1 \\ konec", "mis"#;
        assert_eq!(complete_string(partial, KEY).as_deref(), Some("Řekl \"ahoj\"\ná \\ konec"));
        assert_eq!(complete_string(r#"{"honzik_response": "Řekl \""#, KEY), None);
        assert_eq!(complete_string(r#"{"honzik_response": "konec\\"#, KEY), None);
    }

    #[test]
    fn keys_in_any_order_and_values_of_any_kind_are_stepped_over() {
        let partial = r#"```json
{"mistakes": [{"original": "v Praha", "honzik_response": "not this one", "x": [1, {"y": "}"}]}],
 "score": 80, "ok": true, "none": null, "note": {"a": "b"},
 "honzik_response": "Tohle." "#;
        assert_eq!(complete_string(partial, KEY).as_deref(), Some("Tohle."));
    }

    #[test]
    fn a_value_still_growing_before_the_key_keeps_the_words_unknown() {
        assert_eq!(complete_string(r#"{"score": 8"#, KEY), None);
        assert_eq!(complete_string(r#"{"mistakes": [{"original": "a"}"#, KEY), None);
        assert_eq!(complete_string(r#"{"honzik_response": 5, "x": "y"}"#, KEY), None);
        assert_eq!(complete_string("no json yet", KEY), None);
    }
}
