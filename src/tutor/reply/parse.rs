//! Reading a model answer into a [`HonzikReply`]: find the JSON object in whatever came back,
//! then take each field leniently (a wrong type becomes a default, a string score a number) and
//! fail only when there is no `honzik_response` to say. Lenient because a broken reply costs a
//! retry, paid for, and most breakage is cosmetic.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{HonzikReply, Mistake, MistakeCategory, NewWord, ReplyError, SceneProgress};

/// Parses and repairs a model answer; see the [`super`] module docs.
pub fn parse_reply(raw: &str) -> Result<HonzikReply, ReplyError> {
    let obj = extract_object(raw).ok_or(ReplyError::NotJson)?;

    let honzik_response = match obj.get("honzik_response") {
        Some(Value::String(s)) => s.trim().to_owned(),
        _ => return Err(ReplyError::MissingResponse),
    };
    if honzik_response.is_empty() {
        return Err(ReplyError::EmptyResponse);
    }

    let mistakes: Vec<Mistake> = array(&obj, "mistakes").iter().filter_map(mistake).collect();
    let correctness_score = obj.get("correctness_score").and_then(score).unwrap_or_else(|| {
        100u8.saturating_sub(u8::try_from(mistakes.len()).unwrap_or(u8::MAX).saturating_mul(10))
    });

    let mut seen = HashSet::new();
    let new_words = array(&obj, "new_words")
        .iter()
        .filter_map(|w| {
            let czech = text(w.get("czech"));
            let translation = text(w.get("translation"));
            (!czech.is_empty() && seen.insert(czech.to_lowercase()))
                .then_some(NewWord { czech, translation })
        })
        .collect();

    let reply = HonzikReply {
        honzik_response,
        translation: text(obj.get("translation")),
        corrected_text: text(obj.get("corrected_text")),
        mistakes,
        correctness_score,
        suggestion: text(obj.get("suggestion")),
        new_words,
        scene: obj.get("scene").and_then(scene_progress),
    };
    Ok(reply.bounded())
}

/// Finds the JSON object in `raw`: the whole text, else the first balanced
/// `{…}` that parses (skipping ```json fences and chatter around it), else
/// the span from the first `{` to the last `}`.
fn extract_object(raw: &str) -> Option<Map<String, Value>> {
    let as_object = |s: &str| match serde_json::from_str::<Value>(s) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    };
    if let Some(m) = as_object(raw.trim()) {
        return Some(m);
    }
    for (start, _) in raw.match_indices('{') {
        if let Some(end) = balanced_end(&raw[start..])
            && let Some(m) = as_object(&raw[start..start + end])
        {
            return Some(m);
        }
    }
    let (first, last) = (raw.find('{')?, raw.rfind('}')?);
    (first < last).then(|| as_object(&raw[first..=last])).flatten()
}

/// Byte length of the balanced `{…}` at the start of `s`, string-aware.
fn balanced_end(s: &str) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in s.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

fn array<'a>(obj: &'a Map<String, Value>, key: &str) -> &'a [Value] {
    obj.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// A trimmed string field; anything else (missing, null, number) → "".
fn text(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).map(|s| s.trim().to_owned()).unwrap_or_default()
}

/// A mistake worth showing: both sides present and actually different.
fn mistake(v: &Value) -> Option<Mistake> {
    let original = text(v.get("original"));
    let corrected = text(v.get("corrected"));
    if original.is_empty() || corrected.is_empty() || original == corrected {
        return None;
    }
    Some(Mistake {
        original,
        corrected,
        explanation: text(v.get("explanation")),
        category: MistakeCategory::normalize(
            v.get("category").and_then(Value::as_str).unwrap_or(""),
        ),
    })
}

/// A scene's progress when the model gave one (`goal_reached` as a boolean or "true").
fn scene_progress(v: &Value) -> Option<SceneProgress> {
    let obj = v.as_object()?;
    let goal_reached = match obj.get("goal_reached") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
        _ => false,
    };
    Some(SceneProgress { goal_reached, hint: text(obj.get("hint")) })
}

/// A score from a number, float or numeric string, rounded and clamped.
fn score(v: &Value) -> Option<u8> {
    let n = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().trim_end_matches('%').trim().parse::<f64>().ok()?,
        _ => return None,
    };
    // The cast saturates; NaN was already rejected by the is_finite check.
    n.is_finite().then(|| n.round().clamp(0.0, 100.0) as u8)
}
