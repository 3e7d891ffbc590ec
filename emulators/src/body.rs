//! One request-parameter model for every body encoding.
//!
//! The Bot API accepts the same parameters as a query string, a JSON object,
//! an urlencoded form or multipart form data (teloxide uses JSON, and
//! multipart whenever a file is uploaded). In the form encodings every value
//! is a string, and JSON-valued parameters (`reply_markup`,
//! `reply_parameters`, …) arrive as JSON text. [`Params`] hides that: method
//! handlers ask for "an integer" or "a JSON object" and get one whatever the
//! encoding. The OpenAI transcription endpoint reuses it for its multipart
//! form.

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use bytes::Bytes;
use serde_json::{Map, Value};

/// A file part of a multipart body.
#[derive(Debug, Clone)]
pub(crate) struct UploadedFile {
    pub bytes: Bytes,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Params {
    pub fields: Map<String, Value>,
    /// File parts by part name (teloxide names them with a random id and
    /// refers to them as `attach://<id>` from the field itself).
    pub files: HashMap<String, UploadedFile>,
}

#[derive(Debug)]
pub(crate) enum BodyError {
    /// The body exceeded the router's `DefaultBodyLimit`.
    TooLarge,
    /// Declared JSON that does not parse (the message is serde's).
    Json(String),
    /// Any other unreadable body.
    Malformed(String),
}

impl Params {
    /// A form field; one named `…[]` (OpenAI's `timestamp_granularities[]`) may come several
    /// times and collects every value in an array.
    fn insert_field(&mut self, name: String, value: Value) {
        if !name.ends_with("[]") {
            self.fields.insert(name, value);
            return;
        }
        match self.fields.entry(name).or_insert_with(|| Value::Array(Vec::new())) {
            Value::Array(values) => values.push(value),
            other => *other = Value::Array(vec![other.take(), value]),
        }
    }

    /// Reads query string and body. `content-type` decides the decoder; a
    /// missing or unknown one with an empty body yields only the query.
    pub async fn from_request(req: Request) -> Result<Self, BodyError> {
        let mut params = Params::default();
        if let Some(q) = req.uri().query() {
            for (k, v) in url_pairs(q) {
                params.fields.insert(k, Value::String(v));
            }
        }
        let ctype = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if ctype.starts_with("multipart/form-data") {
            let mut mp = Multipart::from_request(req, &()).await.map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    BodyError::TooLarge
                } else {
                    BodyError::Malformed(e.body_text())
                }
            })?;
            loop {
                let field = match mp.next_field().await {
                    Ok(Some(f)) => f,
                    Ok(None) => break,
                    Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                        return Err(BodyError::TooLarge);
                    }
                    Err(e) => return Err(BodyError::Malformed(e.body_text())),
                };
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.file_name().map(str::to_owned);
                let content_type = field.content_type().map(str::to_owned);
                let data = field.bytes().await.map_err(|e| {
                    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                        BodyError::TooLarge
                    } else {
                        BodyError::Malformed(e.body_text())
                    }
                })?;
                if file_name.is_some() {
                    params
                        .files
                        .insert(name, UploadedFile { bytes: data, file_name, content_type });
                } else {
                    let text = Value::String(String::from_utf8_lossy(&data).into_owned());
                    params.insert_field(name, text);
                }
            }
            return Ok(params);
        }
        let body = Bytes::from_request(req, &()).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                BodyError::TooLarge
            } else {
                BodyError::Malformed(e.body_text())
            }
        })?;
        if body.is_empty() {
            return Ok(params);
        }
        if ctype.starts_with("application/json") {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(map)) => params.fields.extend(map),
                Ok(_) => return Err(BodyError::Json("expected a JSON object".into())),
                Err(e) => return Err(BodyError::Json(e.to_string())),
            }
        } else if ctype.starts_with("application/x-www-form-urlencoded") {
            let text = String::from_utf8_lossy(&body);
            for (k, v) in url_pairs(&text) {
                params.fields.insert(k, Value::String(v));
            }
        }
        Ok(params)
    }

    pub fn has(&self, name: &str) -> bool {
        self.fields.get(name).is_some_and(|v| !v.is_null())
    }

    /// A string parameter; numbers and booleans are rendered as text.
    pub fn str(&self, name: &str) -> Option<String> {
        match self.fields.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => Some(other.to_string()),
        }
    }

    /// An integer parameter. `Err(())` when present but not an integer.
    pub fn i64(&self, name: &str) -> Result<Option<i64>, ()> {
        match self.fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or(()),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| ()),
            Some(_) => Err(()),
        }
    }

    /// Telegram's lenient booleans: `true`, `"true"`, `"1"`.
    pub fn bool(&self, name: &str) -> bool {
        match self.fields.get(name) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            Some(Value::String(s)) => matches!(s.trim(), "true" | "True" | "1"),
            _ => false,
        }
    }

    /// A JSON-valued parameter, given either as JSON or as JSON text.
    /// `Err(())` when it is text that is not JSON.
    pub fn json(&self, name: &str) -> Result<Option<Value>, ()> {
        match self.fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s).map(Some).map_err(|_| ()),
            Some(v) => Ok(Some(v.clone())),
        }
    }

    /// All non-file fields as one JSON object (for recording requests).
    pub fn fields_json(&self) -> Value {
        Value::Object(self.fields.clone())
    }
}

/// `application/x-www-form-urlencoded` pairs, percent- and plus-decoded.
pub(crate) fn url_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_values_are_percent_and_plus_decoded() {
        let pairs = url_pairs("chat_id=42&text=Ahoj+sv%C4%9Bte%21&x=%zz&empty=");
        assert_eq!(pairs[0], ("chat_id".into(), "42".into()));
        assert_eq!(pairs[1], ("text".into(), "Ahoj světe!".into()));
        assert_eq!(pairs[2], ("x".into(), "%zz".into()));
        assert_eq!(pairs[3], ("empty".into(), "".into()));
    }

    #[test]
    fn typed_getters_accept_both_json_values_and_form_text() {
        let mut p = Params::default();
        p.fields.insert("a".into(), Value::String("12".into()));
        p.fields.insert("b".into(), serde_json::json!(13));
        p.fields.insert("m".into(), Value::String(r#"{"inline_keyboard":[]}"#.into()));
        p.fields.insert("bad".into(), Value::String("{nope".into()));
        p.fields.insert("t".into(), Value::String("true".into()));
        assert_eq!(p.i64("a"), Ok(Some(12)));
        assert_eq!(p.i64("b"), Ok(Some(13)));
        assert_eq!(p.i64("missing"), Ok(None));
        assert!(p.json("m").unwrap().unwrap()["inline_keyboard"].is_array());
        assert_eq!(p.json("bad"), Err(()));
        assert!(p.bool("t") && !p.bool("missing"));
    }
}
