//! The reply contract between Honzík (the LLM) and the bot.
//!
//! The model is asked for strict structured output ([`json_schema`]), but
//! not every provider or model honours it, so [`parse_reply`] repairs what is
//! repairable (fences, stray text, string scores, missing fields) and fails
//! only when there is nothing Honzík could say.
//!
//! Whatever the model returns is also bounded here, once, so that what is stored and what is
//! shown agree: at most [`MAX_MISTAKES`] mistakes and [`MAX_NEW_WORDS`] new words, each text
//! field clipped to its `*_CHARS` limit (see [`HonzikReply::bounded`]), and the completion
//! itself capped at [`REPLY_MAX_TOKENS`].

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

pub use super::category::MistakeCategory;
use serde_json::{Map, Value, json};

/// The name under which [`json_schema`] is registered in `response_format`.
pub const SCHEMA_NAME: &str = "honzik_reply";

/// `max_completion_tokens` of a turn's chat request. A normal reply is 150–500 tokens; the
/// largest honest one — the correction of a 4,096-character message (≈1,200 tokens) with ten
/// mistakes, a tip and five words — stays under 2,000. A model that runs away (repeating itself,
/// or talked into writing an essay) is cut here instead of being paid for up to the model's own
/// limit: at most ~5× a normal reply. A reply cut short breaks the contract and is retried once,
/// like any broken reply. (A reasoning model counts its hidden reasoning in this cap too: one
/// configured for turns needs it raised.)
pub const REPLY_MAX_TOKENS: u32 = 2_500;

/// Mistakes kept from one reply (shown, stored, reviewed). Ten already fill a screen; a model
/// listing thirty is padding, and every stored one becomes a review card.
pub const MAX_MISTAKES: usize = 10;
/// New words kept from one reply: the prompt asks for 0–3, the save buttons show a few.
pub const MAX_NEW_WORDS: usize = 5;

/// Longest `honzik_response`, in characters. Spoken by text-to-speech (which takes 4,096) and
/// shown under a spoiler; the longest level asks for 3–5 sentences (~600 characters), so this is
/// only ever reached by a runaway, and it still fits one Telegram message with its translation.
pub const RESPONSE_CHARS: usize = 2_000;
/// Longest `translation` (of the response, so as long).
pub const TRANSLATION_CHARS: usize = 2_000;
/// Longest `corrected_text`: the learner's message may be 4,096 characters and its correction
/// as long — one Telegram message ([`crate::html::TEXT_LIMIT`]).
pub const CORRECTED_CHARS: usize = 4_096;
/// Longest `original` or `corrected` fragment of a mistake (a fragment, not the whole text).
pub const FRAGMENT_CHARS: usize = 300;
/// Longest explanation of a mistake, and longest tip.
pub const EXPLANATION_CHARS: usize = 500;
/// Longest new word (a word or a short phrase: it becomes a button and a review card).
pub const WORD_CHARS: usize = 64;
/// Longest translation of a new word.
pub const WORD_TRANSLATION_CHARS: usize = 200;

/// One structured answer from Honzík.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct HonzikReply {
    /// What Honzík says (spoken by TTS).
    pub honzik_response: String,
    /// `honzik_response` in the learner's explanation language.
    pub translation: String,
    /// The learner's last message, corrected.
    pub corrected_text: String,
    pub mistakes: Vec<Mistake>,
    /// 0–100.
    pub correctness_score: u8,
    /// A short tip in the explanation language; may be empty.
    pub suggestion: String,
    pub new_words: Vec<NewWord>,
    /// In a role-play scene only (`practice::scenes`): whether the goal is reached, and the
    /// phrase to hint next. `None` outside scenes and in replies stored before scenes existed.
    #[serde(default)]
    pub scene: Option<SceneProgress>,
}

/// What a scene turn's reply says about the scene.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SceneProgress {
    pub goal_reached: bool,
    /// One short Czech sentence the learner could say next; may be empty.
    pub hint: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Mistake {
    pub original: String,
    pub corrected: String,
    pub explanation: String,
    pub category: MistakeCategory,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct NewWord {
    pub czech: String,
    pub translation: String,
}

impl HonzikReply {
    /// The reply within the contract's bounds: at most [`MAX_MISTAKES`] mistakes and
    /// [`MAX_NEW_WORDS`] words (the first ones: the model lists the most important first), every
    /// text clipped to its limit. [`parse_reply`] applies it, so a stored reply is always
    /// bounded and renders within Telegram's limits.
    pub fn bounded(mut self) -> HonzikReply {
        self.honzik_response = clip(self.honzik_response, RESPONSE_CHARS);
        self.translation = clip(self.translation, TRANSLATION_CHARS);
        self.corrected_text = clip(self.corrected_text, CORRECTED_CHARS);
        self.suggestion = clip(self.suggestion, EXPLANATION_CHARS);
        self.mistakes.truncate(MAX_MISTAKES);
        for m in &mut self.mistakes {
            m.original = clip(std::mem::take(&mut m.original), FRAGMENT_CHARS);
            m.corrected = clip(std::mem::take(&mut m.corrected), FRAGMENT_CHARS);
            m.explanation = clip(std::mem::take(&mut m.explanation), EXPLANATION_CHARS);
        }
        self.new_words.truncate(MAX_NEW_WORDS);
        for w in &mut self.new_words {
            w.czech = clip(std::mem::take(&mut w.czech), WORD_CHARS);
            w.translation = clip(std::mem::take(&mut w.translation), WORD_TRANSLATION_CHARS);
        }
        if let Some(scene) = &mut self.scene {
            scene.hint = clip(std::mem::take(&mut scene.hint), FRAGMENT_CHARS);
        }
        self
    }
}

/// At most `max` characters of `s`, ending in "…" when cut (so the learner sees it was).
fn clip(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// Why a model answer could not be used at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReplyError {
    #[error("the reply contains no JSON object")]
    NotJson,
    #[error("the reply has no honzik_response")]
    MissingResponse,
    #[error("honzik_response is empty")]
    EmptyResponse,
}

/// An OpenAI structured-outputs schema for [`HonzikReply`], strict-mode
/// compatible: every property required, no additional properties, no
/// unsupported keywords (the score range is stated in the description and
/// enforced by [`parse_reply`]).
///
/// The model writes the keys in the schema's order, and each key it writes conditions the next,
/// so the order is chosen: the short `corrected_text` first (Honzík then recasts from it),
/// `honzik_response` next, the long parts (mistakes with explanations, translation, words, tip)
/// after — within a mistake the category before its explanation. serde_json keeps it only with
/// its `preserve_order` feature (otherwise maps are sorted), which the workspace enables.
pub fn json_schema() -> Value {
    let categories: Vec<&str> = MistakeCategory::ALL.iter().map(|c| c.as_str()).collect();
    let string = |description: &str| json!({ "type": "string", "description": description });
    json!({
        "type": "object",
        "properties": {
            "corrected_text": string("the learner's last message, corrected"),
            "honzik_response": string("Honzík's spoken reply in Czech, no emoji or markdown"),
            "mistakes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "original": string("the wrong fragment as the learner said it"),
                        "corrected": string("the corrected fragment"),
                        "category": { "type": "string", "enum": categories },
                        "explanation": string("why, in the explanation language")
                    },
                    "required": ["original", "corrected", "category", "explanation"],
                    "additionalProperties": false
                }
            },
            "correctness_score": {
                "type": "integer",
                "description": "0-100: how correct the learner's last message was"
            },
            "translation": string("honzik_response translated into the explanation language, or empty"),
            "new_words": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "czech": string("a useful Czech word from the reply"),
                        "translation": string("its translation into the explanation language")
                    },
                    "required": ["czech", "translation"],
                    "additionalProperties": false
                }
            },
            "suggestion": string("one short tip in the explanation language, or empty"),
            "scene": {
                "type": ["object", "null"],
                "description": "only in a role-play scene, null otherwise",
                "properties": {
                    "goal_reached": { "type": "boolean" },
                    "hint": string("one short Czech sentence the learner could say next")
                },
                "required": ["goal_reached", "hint"],
                "additionalProperties": false
            }
        },
        "required": [
            "corrected_text", "honzik_response", "mistakes", "correctness_score",
            "translation", "new_words", "suggestion", "scene"
        ],
        "additionalProperties": false
    })
}

/// Parses and repairs a model answer; see the module docs.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Value {
        json!({
            "honzik_response": "Ahoj! Já mám rád pivo.",
            "translation": "Hi! I like beer.",
            "corrected_text": "Mám rád pivo.",
            "mistakes": [{
                "original": "Mám ráda pivo", "corrected": "Mám rád pivo",
                "explanation": "masculine", "category": "gender"
            }],
            "correctness_score": 85,
            "suggestion": "Watch the gender.",
            "new_words": [{ "czech": "pivo", "translation": "beer" }]
        })
    }

    #[test]
    fn a_well_formed_reply_parses_unchanged() {
        let r = parse_reply(&full().to_string()).unwrap();
        assert_eq!(r.honzik_response, "Ahoj! Já mám rád pivo.");
        assert_eq!(r.correctness_score, 85);
        assert_eq!(r.mistakes[0].category, MistakeCategory::Gender);
        assert_eq!(r.new_words, vec![NewWord { czech: "pivo".into(), translation: "beer".into() }]);
        // And the struct round-trips through serde.
        let back: HonzikReply = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn code_fences_and_chatter_around_the_object_are_stripped() {
        let raw = format!("Sure! Here it is:\n```json\n{}\n```\nHope it helps {{:}}", full());
        assert_eq!(parse_reply(&raw).unwrap().correctness_score, 85);
    }

    #[test]
    fn braces_inside_strings_do_not_confuse_extraction() {
        let raw = r#"note {not json} then {"honzik_response": "Ahoj {kamaráde}!"} bye"#;
        assert_eq!(parse_reply(raw).unwrap().honzik_response, "Ahoj {kamaráde}!");
    }

    #[test]
    fn scores_as_floats_and_strings_are_accepted_and_clamped() {
        let with = |s: Value| {
            let mut v = full();
            v["correctness_score"] = s;
            parse_reply(&v.to_string()).unwrap().correctness_score
        };
        assert_eq!(with(json!(72.6)), 73);
        assert_eq!(with(json!("64")), 64);
        assert_eq!(with(json!(" 90 % ")), 90);
        assert_eq!(with(json!(150)), 100);
        assert_eq!(with(json!(-5)), 0);
    }

    #[test]
    fn a_missing_score_is_derived_from_the_mistakes() {
        let mut v = full();
        v.as_object_mut().unwrap().remove("correctness_score");
        assert_eq!(parse_reply(&v.to_string()).unwrap().correctness_score, 90);
        v["correctness_score"] = json!("lots");
        assert_eq!(parse_reply(&v.to_string()).unwrap().correctness_score, 90);
        let many: Vec<Value> = (0..12)
            .map(|i| json!({"original": format!("a{i}"), "corrected": format!("b{i}")}))
            .collect();
        v["mistakes"] = Value::Array(many);
        v.as_object_mut().unwrap().remove("correctness_score");
        assert_eq!(parse_reply(&v.to_string()).unwrap().correctness_score, 0);
    }

    #[test]
    fn missing_optional_fields_default_to_empty() {
        let r = parse_reply(r#"{"honzik_response": "  Čau!  "}"#).unwrap();
        assert_eq!(r.honzik_response, "Čau!");
        assert_eq!(r.translation, "");
        assert_eq!(r.corrected_text, "");
        assert!(r.mistakes.is_empty());
        assert!(r.new_words.is_empty());
        assert_eq!(r.suggestion, "");
        assert_eq!(r.correctness_score, 100);
    }

    #[test]
    fn fields_of_the_wrong_type_default_instead_of_failing() {
        let r = parse_reply(
            r#"{"honzik_response":"Ahoj","mistakes":null,"translation":5,"new_words":"pivo"}"#,
        )
        .unwrap();
        assert!(r.mistakes.is_empty());
        assert_eq!(r.translation, "");
        assert!(r.new_words.is_empty());
    }

    #[test]
    fn empty_or_unchanged_mistakes_are_dropped() {
        let mut v = full();
        v["mistakes"] = json!([
            { "original": "", "corrected": "x" },
            { "original": "x", "corrected": " " },
            { "original": "pivo", "corrected": " pivo " },
            { "original": " jsem byl ", "corrected": "byl jsem", "category": "Word order" }
        ]);
        let r = parse_reply(&v.to_string()).unwrap();
        assert_eq!(r.mistakes.len(), 1);
        assert_eq!(r.mistakes[0].original, "jsem byl");
        assert_eq!(r.mistakes[0].category, MistakeCategory::WordOrder);
        assert_eq!(r.mistakes[0].explanation, "");
    }

    #[test]
    fn string_fields_are_trimmed() {
        let mut v = full();
        v["translation"] = json!("  Hi!\n");
        v["suggestion"] = json!("\t tip ");
        let r = parse_reply(&v.to_string()).unwrap();
        assert_eq!((r.translation.as_str(), r.suggestion.as_str()), ("Hi!", "tip"));
    }

    #[test]
    fn new_words_are_deduplicated_case_insensitively_and_blank_ones_dropped() {
        let mut v = full();
        v["new_words"] = json!([
            { "czech": "pivo", "translation": "beer" },
            { "czech": " Pivo ", "translation": "beer again" },
            { "czech": "", "translation": "nothing" },
            { "czech": "knedlík", "translation": "dumpling" }
        ]);
        let words: Vec<String> =
            parse_reply(&v.to_string()).unwrap().new_words.into_iter().map(|w| w.czech).collect();
        assert_eq!(words, vec!["pivo", "knedlík"]);
    }

    #[test]
    fn text_without_json_is_not_json() {
        assert_eq!(parse_reply("Ahoj, jak se máš?"), Err(ReplyError::NotJson));
        assert_eq!(parse_reply("[1, 2, 3]"), Err(ReplyError::NotJson));
        assert_eq!(parse_reply("{ broken"), Err(ReplyError::NotJson));
        assert_eq!(parse_reply(""), Err(ReplyError::NotJson));
    }

    #[test]
    fn a_missing_or_empty_response_fails() {
        assert_eq!(parse_reply(r#"{"translation": "hi"}"#), Err(ReplyError::MissingResponse));
        assert_eq!(parse_reply(r#"{"honzik_response": 42}"#), Err(ReplyError::MissingResponse));
        assert_eq!(parse_reply(r#"{"honzik_response": "   "}"#), Err(ReplyError::EmptyResponse));
    }

    #[test]
    fn a_stored_reply_with_an_odd_category_still_deserializes() {
        let m: Mistake = serde_json::from_value(json!({
            "original": "a", "corrected": "b", "explanation": "", "category": "Pády"
        }))
        .unwrap();
        assert_eq!(m.category, MistakeCategory::CaseEndings);
        assert_eq!(serde_json::to_value(m.category).unwrap(), "case_endings");
    }

    #[test]
    fn thirty_mistakes_and_twenty_words_are_cut_to_ten_and_five_keeping_the_first() {
        let mut v = full();
        v["mistakes"] = Value::Array(
            (0..30)
                .map(|i| json!({"original": format!("a{i}"), "corrected": format!("b{i}")}))
                .collect(),
        );
        v["new_words"] = Value::Array(
            (0..20).map(|i| json!({"czech": format!("slovo{i}"), "translation": "w"})).collect(),
        );
        v.as_object_mut().unwrap().remove("correctness_score");
        let r = parse_reply(&v.to_string()).unwrap();
        assert_eq!(r.mistakes.len(), MAX_MISTAKES);
        assert_eq!(
            (r.mistakes[0].original.as_str(), r.mistakes[9].original.as_str()),
            ("a0", "a9")
        );
        assert_eq!(r.new_words.len(), MAX_NEW_WORDS);
        assert_eq!(r.new_words[4].czech, "slovo4");
        assert_eq!(r.correctness_score, 0, "the score still reflects every mistake listed");
    }

    #[test]
    fn every_text_field_is_clipped_to_its_limit_with_an_ellipsis() {
        let long = |n: usize| "ž".repeat(n + 50);
        let v = json!({
            "honzik_response": long(RESPONSE_CHARS),
            "translation": long(TRANSLATION_CHARS),
            "corrected_text": long(CORRECTED_CHARS),
            "mistakes": [{
                "original": long(FRAGMENT_CHARS), "corrected": "x".repeat(FRAGMENT_CHARS + 1),
                "explanation": long(EXPLANATION_CHARS), "category": "gender"
            }],
            "suggestion": long(EXPLANATION_CHARS),
            "new_words": [{ "czech": long(WORD_CHARS), "translation": long(WORD_TRANSLATION_CHARS) }]
        });
        let r = parse_reply(&v.to_string()).unwrap();
        let n = |s: &str| s.chars().count();
        assert_eq!(n(&r.honzik_response), RESPONSE_CHARS);
        assert!(r.honzik_response.ends_with('…'));
        assert_eq!(n(&r.translation), TRANSLATION_CHARS);
        assert_eq!(n(&r.corrected_text), CORRECTED_CHARS);
        assert_eq!(n(&r.mistakes[0].original), FRAGMENT_CHARS);
        assert_eq!(n(&r.mistakes[0].corrected), FRAGMENT_CHARS);
        assert_eq!(n(&r.mistakes[0].explanation), EXPLANATION_CHARS);
        assert_eq!(n(&r.suggestion), EXPLANATION_CHARS);
        assert_eq!(n(&r.new_words[0].czech), WORD_CHARS);
        assert_eq!(n(&r.new_words[0].translation), WORD_TRANSLATION_CHARS);
        // Within the limits nothing changes.
        assert_eq!(
            parse_reply(&full().to_string()).unwrap(),
            parse_reply(&full().to_string()).unwrap().bounded()
        );
        assert_eq!(
            parse_reply(&full().to_string()).unwrap().honzik_response,
            "Ahoj! Já mám rád pivo."
        );
    }

    #[test]
    fn the_schema_is_strict_mode_compatible() {
        fn check(v: &Value) {
            if let Some(obj) = v.as_object() {
                if obj.get("type") == Some(&json!("object")) {
                    assert_eq!(obj["additionalProperties"], json!(false));
                    let props: Vec<&String> =
                        obj["properties"].as_object().unwrap().keys().collect();
                    let required: Vec<&str> = obj["required"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r.as_str().unwrap())
                        .collect();
                    assert_eq!(props.len(), required.len());
                    for p in props {
                        assert!(required.contains(&p.as_str()), "{p} not required");
                    }
                }
                obj.values().for_each(check);
            }
        }
        let schema = json_schema();
        check(&schema);
        let cats = &schema["properties"]["mistakes"]["items"]["properties"]["category"]["enum"];
        assert_eq!(cats.as_array().unwrap().len(), MistakeCategory::ALL.len());
        assert!(cats.as_array().unwrap().contains(&json!("vyjmenovana_slova")));
    }

    #[test]
    fn the_schema_puts_the_short_corrected_text_first_and_the_long_parts_last() {
        let schema = json_schema();
        let keys: Vec<&str> =
            schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "corrected_text",
                "honzik_response",
                "mistakes",
                "correctness_score",
                "translation",
                "new_words",
                "suggestion",
                "scene"
            ]
        );
        let required: Vec<&str> =
            schema["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert_eq!(required, keys, "required lists them in the same order");
        let mistake: Vec<&str> = schema["properties"]["mistakes"]["items"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(mistake, ["original", "corrected", "category", "explanation"]);
        // And the order survives serialization, which is what the provider reads.
        let text = schema.to_string();
        let at = |k: &str| text.find(&format!("\"{k}\"")).unwrap();
        assert!(
            at("corrected_text") < at("honzik_response")
                && at("honzik_response") < at("suggestion")
        );
    }

    #[test]
    fn every_schema_property_is_a_field_of_the_reply() {
        let schema = json_schema();
        let reply = serde_json::to_value(parse_reply(&full().to_string()).unwrap()).unwrap();
        let mut a: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        let mut b: Vec<&String> = reply.as_object().unwrap().keys().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn a_scene_s_progress_is_read_when_given_and_absent_otherwise() {
        let mut v = full();
        assert_eq!(parse_reply(&v.to_string()).unwrap().scene, None);
        v["scene"] = json!({ "goal_reached": "true", "hint": " Zaplatím, prosím. " });
        let scene = parse_reply(&v.to_string()).unwrap().scene.expect("a scene");
        assert!(scene.goal_reached);
        assert_eq!(scene.hint, "Zaplatím, prosím.");
        v["scene"] = Value::Null;
        assert_eq!(parse_reply(&v.to_string()).unwrap().scene, None);
        let schema = json_schema();
        assert!(schema["required"].as_array().unwrap().contains(&json!("scene")));
    }
}
