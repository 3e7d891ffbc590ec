//! Shapes a generated value to the caller's JSON schema.
//!
//! With `response_format: json_schema` and `strict: true`, OpenAI guarantees
//! the content matches the schema exactly. The tutor generates one fixed
//! object; conforming it to whatever schema the bot sends (keeping known
//! fields, filling missing required ones with type defaults, dropping
//! unknown ones when `additionalProperties` is false) keeps that guarantee
//! even when the bot's contract evolves ahead of this emulator.

use serde_json::{Map, Value, json};

/// `value` reshaped to `schema`; `root` resolves `$ref`s (`#/$defs/…`).
pub fn conform(value: &Value, schema: &Value, root: &Value) -> Value {
    conform_depth(value, schema, root, 0)
}

fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => root.pointer(pointer).unwrap_or(schema),
        None => schema,
    }
}

/// The schema's non-null type, and whether null is allowed.
fn types(schema: &Value) -> (Option<&str>, bool) {
    match schema.get("type") {
        Some(Value::String(t)) => (Some(t.as_str()).filter(|t| *t != "null"), t == "null"),
        Some(Value::Array(ts)) => {
            let nullable = ts.iter().any(|t| t == "null");
            (ts.iter().filter_map(Value::as_str).find(|t| *t != "null"), nullable)
        }
        _ => (None, false),
    }
}

fn conform_depth(value: &Value, schema: &Value, root: &Value, depth: usize) -> Value {
    if depth > 32 {
        return value.clone();
    }
    let schema = resolve(schema, root);
    if let Some(variants) =
        schema.get("anyOf").or_else(|| schema.get("oneOf")).and_then(Value::as_array)
    {
        let is_null = |v: &Value| resolve(v, root).get("type").is_some_and(|t| t == "null");
        if value.is_null() && variants.iter().any(is_null) {
            return Value::Null;
        }
        return match variants.iter().find(|v| !is_null(v)) {
            Some(v) => conform_depth(value, v, root, depth + 1),
            None => Value::Null,
        };
    }
    if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
        return if choices.contains(value) {
            value.clone()
        } else {
            choices.first().cloned().unwrap_or(Value::Null)
        };
    }
    let (ty, nullable) = types(schema);
    if value.is_null() && nullable {
        return Value::Null;
    }
    let ty = ty.or_else(|| schema.get("properties").map(|_| "object"));
    match ty {
        Some("object") => {
            let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                return if value.is_object() { value.clone() } else { json!({}) };
            };
            let empty = Map::new();
            let src = value.as_object().unwrap_or(&empty);
            let mut out = Map::new();
            for (k, sub) in props {
                let v = src.get(k).cloned().unwrap_or(Value::Null);
                let missing = !src.contains_key(k);
                out.insert(
                    k.clone(),
                    if missing {
                        default(sub, root, depth)
                    } else {
                        conform_depth(&v, sub, root, depth + 1)
                    },
                );
            }
            if schema.get("additionalProperties") != Some(&Value::Bool(false)) {
                for (k, v) in src {
                    out.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            Value::Object(out)
        }
        Some("array") => {
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            let list = value
                .as_array()
                .map(|a| a.iter().map(|v| conform_depth(v, &items, root, depth + 1)).collect());
            Value::Array(list.unwrap_or_default())
        }
        Some("string") => match value {
            Value::String(_) => value.clone(),
            Value::Null => json!(""),
            other => json!(other.to_string()),
        },
        Some("integer") => {
            let n =
                value.as_i64().or_else(|| value.as_f64().map(|f| f.round() as i64)).unwrap_or(0);
            let lo = schema.get("minimum").and_then(Value::as_i64).unwrap_or(i64::MIN);
            let hi = schema.get("maximum").and_then(Value::as_i64).unwrap_or(i64::MAX);
            json!(n.clamp(lo, hi))
        }
        Some("number") => json!(value.as_f64().unwrap_or(0.0)),
        Some("boolean") => json!(value.as_bool().unwrap_or(false)),
        _ => value.clone(),
    }
}

fn default(schema: &Value, root: &Value, depth: usize) -> Value {
    let s = resolve(schema, root);
    if let Some(first) = s.get("enum").and_then(Value::as_array).and_then(|c| c.first()) {
        return first.clone();
    }
    // Null where allowed, otherwise the type's zero value.
    conform_depth(&Value::Null, s, root, depth + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_shaped_to_a_strict_schema_with_refs() {
        let schema = json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["reply", "score", "mistakes", "level", "note"],
            "properties": {
                "reply": {"type": "string"},
                "score": {"type": "integer", "minimum": 0, "maximum": 100},
                "mistakes": {"type": "array", "items": {"$ref": "#/$defs/Mistake"}},
                "level": {"type": "string", "enum": ["a1", "a2"]},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}]}
            },
            "$defs": {"Mistake": {"type": "object", "additionalProperties": false,
                "properties": {"original": {"type": "string"}, "corrected": {"type": "string"}}}}
        });
        let value = json!({
            "reply": "Ahoj", "score": 130, "extra": true,
            "mistakes": [{"original": "v Praha", "corrected": "v Praze", "category": "case_ending"}]
        });
        let out = conform(&value, &schema, &schema);
        assert_eq!(
            out,
            json!({
                "reply": "Ahoj", "score": 100, "level": "a1", "note": null,
                "mistakes": [{"original": "v Praha", "corrected": "v Praze"}]
            })
        );
    }
}
