//! Pure: the error body of any OpenAI-compatible server, read as OpenAI's.
//!
//! OpenAI answers `{"error": {"message", "type", "param", "code"}}`; the servers that copy its API
//! do not all copy its errors: llama.cpp's `code` is a number, FastAPI servers (speaches,
//! faster-whisper-server, openedai-speech) answer `{"detail": "…"}` or a list of field errors,
//! Ollama sometimes `{"error": "…"}`, and a proxy in front may send HTML or plain text. async-openai
//! only reads OpenAI's shape and turns anything else into a deserialization error without the
//! status — which reads like a broken success. So every error response is read here, status kept,
//! and what decides retries and notices (the status, `insufficient_quota`, the message) survives.

use async_openai::error::ApiError;
use serde_json::Value;

/// The longest message kept from a body: enough to say why, never a whole page.
const MESSAGE_CHARS: usize = 300;

/// Reads an error body of any shape; never fails.
pub fn read(body: &[u8]) -> ApiError {
    let text = || String::from_utf8_lossy(body).trim().chars().take(MESSAGE_CHARS).collect();
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return ApiError { message: text(), ..Default::default() };
    };
    let error = &json["error"];
    let string = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let message = match (error, &json["detail"], &json["message"]) {
        (Value::Object(_), _, _) => string(&error["message"]),
        (Value::String(s), _, _) => Some(s.clone()),
        (_, Value::String(s), _) => Some(s.clone()),
        (_, detail @ (Value::Array(_) | Value::Object(_)), _) => Some(detail.to_string()),
        (_, _, Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    ApiError {
        message: message.map_or_else(text, |m| m.chars().take(MESSAGE_CHARS).collect()),
        r#type: string(&error["type"]),
        param: string(&error["param"]),
        code: string(&error["code"]),
        misalignment: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openais_own_error_body_is_read_field_by_field() {
        let e = read(
            br#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
        );
        assert_eq!(e.message, "You exceeded your current quota");
        assert_eq!(e.r#type.as_deref(), Some("insufficient_quota"));
        assert_eq!(e.code.as_deref(), Some("insufficient_quota"));
    }

    #[test]
    fn llama_cpps_numeric_code_and_fastapis_detail_are_read_too() {
        let llama = read(
            br#"{"error":{"code":400,"message":"'response_format' type must be one of 'text' or 'json_object'","type":"invalid_request_error"}}"#,
        );
        assert_eq!(llama.code.as_deref(), Some("400"));
        assert!(llama.message.contains("response_format"), "{}", llama.message);
        let speaches = read(br#"{"detail":"Unsupported response_format: verbose_json"}"#);
        assert_eq!(speaches.message, "Unsupported response_format: verbose_json");
        let validation = read(
            br#"{"detail":[{"loc":["body","response_format"],"msg":"Input should be 'json' or 'text'","type":"enum"}]}"#,
        );
        assert!(validation.message.contains("response_format"), "{}", validation.message);
        let ollama = read(br#"{"error":"model \"llama3.1\" not found, try pulling it first"}"#);
        assert!(ollama.message.starts_with("model \"llama3.1\" not found"));
    }

    #[test]
    fn a_proxys_html_page_becomes_a_short_message() {
        let page = format!("<html><body>{}</body></html>", "502 Bad Gateway ".repeat(100));
        let e = read(page.as_bytes());
        assert!(e.message.starts_with("<html><body>502 Bad Gateway"));
        assert_eq!(e.message.chars().count(), MESSAGE_CHARS);
        assert_eq!(read(b"").message, "");
    }
}
