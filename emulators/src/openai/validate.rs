//! Chat-completion request validation, with OpenAI's error texts.
//!
//! OpenAI refuses malformed requests with specific 400s (empty `messages`,
//! unknown roles, `json_object` without the word "json", strict schemas
//! that break Structured Outputs' rules, …). The bot must never send one, so
//! the emulator refuses them the same way and lists them in `rejected()`.

use serde_json::{Value, json};

use super::faults::error_json;
use super::types::{OpenAiConfig, Shapes};

/// A message's text: a string, or the text parts of a content array.
pub(super) fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => {
            parts.iter().filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join("\n")
        }
        _ => String::new(),
    }
}

/// Whether the configured server offers the `response_format` asked for; `Err` is its refusal
/// (status and body): OpenAI's own for a model without structured outputs, llama.cpp's server's
/// in the minimal shapes (its `code` is a number), or one that takes no `response_format` at all.
pub(super) fn offered(req: &Value, cfg: &OpenAiConfig) -> Result<(), (u16, Value)> {
    let kind = req["response_format"]["type"].as_str().unwrap_or("text");
    let minimal = cfg.shapes == Shapes::Minimal;
    let refused = match kind {
        "json_schema" => minimal || !cfg.json_schema_supported,
        "json_object" => !cfg.json_object_supported,
        _ => false,
    };
    if !refused {
        return Ok(());
    }
    if !cfg.json_object_supported {
        let msg = format!(
            "Unsupported parameter: 'response_format' of type '{kind}' is not supported by this server."
        );
        return Err((
            400,
            error_json(&msg, "invalid_request_error", Some("response_format"), None),
        ));
    }
    if minimal {
        let msg = format!(
            "\"response_format\" type must be one of \"text\" or \"json_object\", but got: {kind}"
        );
        return Err((
            400,
            json!({ "error": { "code": 400, "message": msg, "type": "invalid_request_error" } }),
        ));
    }
    let msg = "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this \
        model. Learn more about supported models at the Structured Outputs guide: \
        https://platform.openai.com/docs/guides/structured-outputs";
    Err((400, error_json(msg, "invalid_request_error", Some("response_format"), None)))
}

/// Chat request validation; `Err((message, param, code))`.
type Invalid = (String, Option<String>, Option<&'static str>);

fn invalid(m: impl Into<String>, p: Option<&str>, c: Option<&'static str>) -> Invalid {
    (m.into(), p.map(str::to_owned), c)
}

/// OpenAI's checks of a chat request, in its order: model, messages, temperature, stream,
/// response format.
pub(super) fn validate_chat(req: &Value) -> Result<(), Invalid> {
    if req["model"].as_str().is_none_or(str::is_empty) {
        return Err(invalid("you must provide a model parameter", None, None));
    }
    let messages = check_messages(req)?;
    check_temperature(req)?;
    if req["stream"].as_bool() != Some(true) && !req["stream_options"].is_null() {
        return Err(invalid(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            Some("stream_options"),
            None,
        ));
    }
    match req.get("response_format").filter(|r| !r.is_null()) {
        Some(rf) => check_response_format(rf, messages),
        None => Ok(()),
    }
}

/// `messages`: a non-empty array of messages, each with a known role and a content.
fn check_messages(req: &Value) -> Result<&Vec<Value>, Invalid> {
    let Some(messages) = req.get("messages") else {
        return Err(invalid(
            "Missing required parameter: 'messages'.",
            Some("messages"),
            Some("missing_required_parameter"),
        ));
    };
    let Some(messages) = messages.as_array() else {
        return Err(invalid(
            "Invalid type for 'messages': expected an array of objects.",
            Some("messages"),
            Some("invalid_type"),
        ));
    };
    if messages.is_empty() {
        return Err(invalid(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            Some("messages"),
            Some("empty_array"),
        ));
    }
    for (i, m) in messages.iter().enumerate() {
        check_message(i, m)?;
    }
    Ok(messages)
}

fn check_message(i: usize, m: &Value) -> Result<(), Invalid> {
    let Some(role) = m["role"].as_str() else {
        let p = format!("messages[{i}].role");
        return Err(invalid(
            format!("Missing required parameter: '{p}'."),
            Some(&p),
            Some("missing_required_parameter"),
        ));
    };
    if !["system", "developer", "user", "assistant", "tool", "function"].contains(&role) {
        return Err(invalid(
            format!(
                "Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', \
                 and 'developer'."
            ),
            Some(&format!("messages[{i}].role")),
            Some("invalid_value"),
        ));
    }
    let content = m.get("content").filter(|c| !c.is_null());
    if content.is_none() && role != "assistant" {
        let p = format!("messages[{i}].content");
        return Err(invalid(
            format!("Missing required parameter: '{p}'."),
            Some(&p),
            Some("missing_required_parameter"),
        ));
    }
    if content.is_some_and(|c| !c.is_string() && !c.is_array()) {
        let p = format!("messages[{i}].content");
        return Err(invalid(
            format!("Invalid type for '{p}': expected one of a string or array of objects."),
            Some(&p),
            Some("invalid_type"),
        ));
    }
    Ok(())
}

fn check_temperature(req: &Value) -> Result<(), Invalid> {
    let Some(t) = req.get("temperature").filter(|t| !t.is_null()) else {
        return Ok(());
    };
    let t = t.as_f64().unwrap_or(-1.0);
    if t > 2.0 {
        return Err(invalid(
            format!(
                "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got {t} instead."
            ),
            Some("temperature"),
            Some("decimal_above_max_value"),
        ));
    }
    if t < 0.0 {
        return Err(invalid(
            format!(
                "Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got {t} instead."
            ),
            Some("temperature"),
            Some("decimal_below_min_value"),
        ));
    }
    Ok(())
}

/// `response_format`: `text`; `json_object` when a message mentions JSON; `json_schema` when the
/// model supports it, named, and (in strict mode) a schema strict mode accepts.
fn check_response_format(rf: &Value, messages: &[Value]) -> Result<(), Invalid> {
    match rf["type"].as_str().unwrap_or("") {
        "text" => Ok(()),
        "json_object" => {
            let mentions_json = messages
                .iter()
                .any(|m| content_text(&m["content"]).to_lowercase().contains("json"));
            if mentions_json {
                Ok(())
            } else {
                Err(invalid(
                    "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
                    Some("messages"),
                    None,
                ))
            }
        }
        "json_schema" => check_json_schema(rf),
        other => Err(invalid(
            format!(
                "Invalid value: '{other}'. Supported values are: 'json_object', 'json_schema', and 'text'."
            ),
            Some("response_format.type"),
            Some("invalid_value"),
        )),
    }
}

fn check_json_schema(rf: &Value) -> Result<(), Invalid> {
    let Some(js) = rf.get("json_schema").filter(|j| j.is_object()) else {
        return Err(invalid(
            "Missing required parameter: 'response_format.json_schema'.",
            Some("response_format.json_schema"),
            Some("missing_required_parameter"),
        ));
    };
    let Some(name) = js["name"].as_str() else {
        return Err(invalid(
            "Missing required parameter: 'response_format.json_schema.name'.",
            Some("response_format.json_schema.name"),
            Some("missing_required_parameter"),
        ));
    };
    if js["strict"].as_bool() == Some(true)
        && let Some(problem) = strict_problem(&js["schema"], "()", 0)
    {
        return Err(invalid(
            format!("Invalid schema for response_format '{name}': {problem}"),
            Some("response_format"),
            None,
        ));
    }
    Ok(())
}

/// Structured Outputs' strict-mode rules OpenAI enforces on a schema:
/// every object has `additionalProperties: false` and lists every property
/// in `required`.
fn strict_problem(s: &Value, ctx: &str, depth: usize) -> Option<String> {
    if depth > 32 {
        return None;
    }
    let is_object =
        s["type"] == "object" || s["type"].as_array().is_some_and(|t| t.contains(&json!("object")));
    if is_object || s.get("properties").is_some() {
        if s.get("additionalProperties") != Some(&Value::Bool(false)) {
            return Some(format!(
                "In context={ctx}, 'additionalProperties' is required to be supplied and to be false."
            ));
        }
        let props = s["properties"].as_object().cloned().unwrap_or_default();
        let required: Vec<&str> =
            s["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        if let Some(missing) = props.keys().find(|k| !required.contains(&k.as_str())) {
            return Some(format!(
                "In context={ctx}, 'required' is required to be supplied and to be an array including every key in \
                 properties. Missing '{missing}'."
            ));
        }
        for (k, sub) in &props {
            if let Some(p) = strict_problem(sub, &format!("('properties', '{k}')"), depth + 1) {
                return Some(p);
            }
        }
    }
    let items = s
        .get("items")
        .and_then(|items| strict_problem(items, &format!("{ctx}, 'items'"), depth + 1));
    if items.is_some() {
        return items;
    }
    for key in ["anyOf", "oneOf"] {
        for v in s[key].as_array().into_iter().flatten() {
            if let Some(p) = strict_problem(v, ctx, depth + 1) {
                return Some(p);
            }
        }
    }
    for key in ["$defs", "definitions"] {
        for (name, def) in s[key].as_object().into_iter().flatten() {
            if let Some(p) = strict_problem(def, &format!("('{key}', '{name}')"), depth + 1) {
                return Some(p);
            }
        }
    }
    None
}
