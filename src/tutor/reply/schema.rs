//! The structured-output schema Honzík is asked to fill: one JSON Schema in the strict subset
//! every OpenAI-compatible provider accepts. Kept apart from the parser because the two change for
//! different reasons — the schema when the contract grows a field, the parser when a model finds a
//! new way to break it.

use serde_json::{Value, json};

use super::MistakeCategory;

/// The name under which [`json_schema`] is registered in `response_format`.
pub const SCHEMA_NAME: &str = "honzik_reply";

/// An OpenAI structured-outputs schema for [`HonzikReply`](super::HonzikReply), strict-mode
/// compatible: every property required, no additional properties, no
/// unsupported keywords (the score range is stated in the description and
/// enforced by [`parse_reply`](super::parse_reply)).
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
