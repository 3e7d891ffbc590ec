//! What a formatted text parses to, whatever the parse mode (`html`, `markdown`): the visible
//! text and its entities, measured in UTF-16 code units as Telegram measures them.

use serde_json::{Value, json};

/// A message entity (offsets and lengths in UTF-16 code units).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    /// Bot API entity type: "bold", "italic", "text_link", "pre", …
    pub kind: &'static str,
    pub offset: usize,
    pub length: usize,
    pub url: Option<String>,
    pub language: Option<String>,
    pub custom_emoji_id: Option<String>,
}

impl Entity {
    pub(crate) fn new(kind: &'static str, offset: usize, length: usize) -> Self {
        Self { kind, offset, length, url: None, language: None, custom_emoji_id: None }
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({ "type": self.kind, "offset": self.offset, "length": self.length });
        if let Some(u) = &self.url {
            v["url"] = json!(u);
        }
        if let Some(l) = &self.language {
            v["language"] = json!(l);
        }
        if let Some(e) = &self.custom_emoji_id {
            v["custom_emoji_id"] = json!(e);
        }
        v
    }
}

/// Text as the recipient sees it, with its entities.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedText {
    pub text: String,
    pub entities: Vec<Entity>,
}

impl ParsedText {
    /// Length as Telegram counts it for its limits.
    pub fn utf16_len(&self) -> usize {
        utf16_len(&self.text)
    }
}

pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}
