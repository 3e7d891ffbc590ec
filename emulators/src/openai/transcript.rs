//! Transcription bodies, in OpenAI's shapes or the minimal compatible one.
//!
//! OpenAI's `json` is the text and a usage (seconds for Whisper, tokens for the `gpt-…`
//! models); its `verbose_json` adds the language, the duration, segments and — asked for with
//! `timestamp_granularities[]=word` — every word with its start and end. The minimal shape is
//! `{"text": …}` alone, as self-hosted Whisper servers answer `json`. Word times are spread over
//! the audio by each word's length: not what a model would hear, but ordered, within the audio and
//! deterministic, which is what a caller can rely on.

use serde_json::{Value, json};

use super::steps::estimate_tokens;
use super::types::Shapes;

/// What a transcription knows of the audio besides its text.
pub(super) struct Audio {
    /// The audio's length, when the container tells.
    pub secs: Option<f64>,
    /// A `gpt-…` transcription model: usage in tokens.
    pub token_model: bool,
}

/// Nominal length of a word when the audio's own length is unknown.
const WORD_SECS: f64 = 0.4;

/// The `json` body.
pub(super) fn json_body(text: &str, audio: &Audio, shapes: Shapes) -> Value {
    match shapes {
        Shapes::Minimal => json!({ "text": text }),
        Shapes::OpenAi => {
            let mut body = json!({ "text": text });
            if let Some(usage) = usage(text, audio) {
                body["usage"] = usage;
            }
            body
        }
    }
}

/// The `verbose_json` body (OpenAI's shape; the minimal server refuses the format).
pub(super) fn verbose_body(text: &str, audio: &Audio, with_words: bool) -> Value {
    let span = audio.secs.unwrap_or(text.split_whitespace().count() as f64 * WORD_SECS);
    let mut body = json!({
        "task": "transcribe",
        "language": "czech",
        "text": text,
        "segments": segments(text, span),
    });
    if let Some(usage) = usage(text, audio) {
        body["usage"] = usage;
    }
    // OpenAI always tells the duration; the emulator only when it could measure the audio, so a
    // caller never bills by a length it made up.
    if let Some(secs) = audio.secs {
        body["duration"] = json!(secs);
    }
    if with_words {
        body["words"] = Value::Array(
            timed(text.split_whitespace(), span)
                .map(|(w, start, end)| json!({ "word": w, "start": start, "end": end }))
                .collect(),
        );
    }
    body
}

/// OpenAI's usage: tokens for the `gpt-…` models, else the seconds billed — left out when the
/// emulator could not measure the audio (like `duration`).
fn usage(text: &str, audio: &Audio) -> Option<Value> {
    let secs = audio.secs.unwrap_or(1.0);
    Some(if audio.token_model {
        let audio_tokens = (secs * 10.0).ceil() as u32;
        let out = estimate_tokens(text.chars().count());
        json!({ "type": "tokens", "input_tokens": audio_tokens, "output_tokens": out, "total_tokens": audio_tokens + out,
                "input_token_details": { "text_tokens": 0, "audio_tokens": audio_tokens } })
    } else {
        json!({ "type": "duration", "seconds": audio.secs?.ceil() as u32 })
    })
}

/// One segment per sentence, timed like words.
fn segments(text: &str, span: f64) -> Vec<Value> {
    let mut sentences = Vec::new();
    let mut rest = text.trim();
    while let Some(i) = rest.find(['.', '?', '!']).filter(|i| i + 1 < rest.len()) {
        sentences.push(rest[..=i].trim());
        rest = rest[i + 1..].trim_start();
    }
    if !rest.is_empty() {
        sentences.push(rest);
    }
    timed(sentences.into_iter(), span)
        .enumerate()
        .map(|(id, (t, start, end))| {
            json!({ "id": id, "seek": 0, "start": start, "end": end, "text": format!(" {t}"), "tokens": [],
                    "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.0, "no_speech_prob": 0.01 })
        })
        .collect()
}

/// Each piece with a start and end: `span` shared out by the pieces' lengths, in order.
fn timed<'a>(
    pieces: impl Iterator<Item = &'a str>,
    span: f64,
) -> impl Iterator<Item = (&'a str, f64, f64)> {
    let pieces: Vec<&str> = pieces.collect();
    let total = pieces.iter().map(|p| p.chars().count()).sum::<usize>().max(1) as f64;
    let round = |t: f64| (t * 100.0).round() / 100.0;
    let mut at = 0.0;
    pieces.into_iter().map(move |p| {
        let start = at;
        at += span * p.chars().count() as f64 / total;
        (p, round(start), round(at))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAID: &str = "Já jsem byl v Praha včera. A pil jsem pivo.";

    #[test]
    fn the_minimal_json_is_the_text_alone_and_openais_adds_usage() {
        let audio = Audio { secs: Some(3.3), token_model: false };
        assert_eq!(json_body(SAID, &audio, Shapes::Minimal), json!({ "text": SAID }));
        let full = json_body(SAID, &audio, Shapes::OpenAi);
        assert_eq!(full["usage"], json!({ "type": "duration", "seconds": 4 }));
    }

    #[test]
    fn verbose_json_has_the_duration_ordered_words_within_it_and_a_segment_per_sentence() {
        let audio = Audio { secs: Some(3.3), token_model: false };
        let v = verbose_body(SAID, &audio, true);
        assert_eq!(v["duration"], 3.3);
        let words = v["words"].as_array().unwrap();
        assert_eq!(words.len(), 10);
        assert_eq!(words[0]["word"], "Já");
        assert!(words.windows(2).all(|w| w[0]["end"].as_f64() <= w[1]["start"].as_f64()));
        assert!(words.last().unwrap()["end"].as_f64().unwrap() <= 3.3);
        let segments = v["segments"].as_array().unwrap();
        assert_eq!(segments.len(), 2);
        assert_eq!(segments[1]["text"], " A pil jsem pivo.");
        assert!(verbose_body(SAID, &audio, false).get("words").is_none());
    }

    #[test]
    fn audio_of_unknown_length_gets_no_duration_and_no_seconds_billed() {
        let unmeasured = Audio { secs: None, token_model: false };
        let v = verbose_body(SAID, &unmeasured, true);
        assert!(v.get("duration").is_none() && v.get("usage").is_none(), "{v}");
        assert_eq!(json_body(SAID, &unmeasured, Shapes::OpenAi), json!({ "text": SAID }));
        assert_eq!(v["words"].as_array().unwrap().len(), 10);
    }
}
