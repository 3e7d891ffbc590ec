//! Telegram's formatted-text parser: HTML (and, via `super::markdown`,
//! MarkdownV2 and legacy Markdown) to plain text plus message entities.
//!
//! It follows TDLib's `parse_html` (what the Bot API runs) closely, because
//! its *errors* are the point: a message the real Telegram refuses with
//! "can't parse entities" must be refused here, with the same text, and a
//! message it accepts must be accepted. It also yields the text length after
//! entity parsing, in UTF-16 code units, which is what the 4096/1024 limits
//! count.

pub use super::entities::{Entity, ParsedText, utf16_len};

/// Parses `raw` per `parse_mode` (case-insensitive, `None` = plain text)
/// and trims surrounding whitespace as Telegram does. `Err` is the full Bot
/// API description, e.g. "Bad Request: can't parse entities: …".
pub fn parse(
    raw: &str,
    parse_mode: Option<&str>,
    strict_ampersand: bool,
) -> Result<ParsedText, String> {
    let parsed = match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => Ok(ParsedText { text: raw.to_owned(), entities: vec![] }),
        Some("html") => parse_html(raw, strict_ampersand),
        Some("markdownv2") => super::markdown::parse_markdown_v2(raw),
        Some("markdown") => super::markdown::parse_markdown_legacy(raw),
        Some(_) => return Err("Bad Request: unsupported parse_mode".into()),
    };
    parsed.map(trim).map_err(|e| format!("Bad Request: can't parse entities: {e}"))
}

/// What the user sees; on a parse error (which the emulator would have
/// rejected anyway) the raw text.
pub fn visible_text(raw: &str, parse_mode: Option<&str>) -> String {
    match parse(raw, parse_mode, false) {
        Ok(p) => p.text,
        Err(_) => raw.to_owned(),
    }
}

const TAGS: &[&str] = &[
    "a",
    "b",
    "strong",
    "i",
    "em",
    "s",
    "strike",
    "del",
    "u",
    "ins",
    "tg-spoiler",
    "tg-emoji",
    "span",
    "pre",
    "code",
    "blockquote",
];

struct Open {
    tag: String,
    arg: String,
    offset: usize,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0x0B | 0x0C)
}

/// TDLib's HTML parser. Errors are the text after "can't parse entities: ".
pub fn parse_html(input: &str, strict_ampersand: bool) -> Result<ParsedText, String> {
    let mut p = HtmlParser {
        input,
        b: input.as_bytes(),
        i: 0,
        out: String::with_capacity(input.len()),
        off: 0,
        stack: Vec::new(),
        entities: Vec::new(),
    };
    while p.i < p.b.len() {
        let c = p.b[p.i];
        if c == b'&' {
            if let Some((ch, next)) = decode_entity(p.b, p.i) {
                p.push(ch);
                p.i = next;
                continue;
            }
            if strict_ampersand {
                return Err(format!(
                    "Unescaped \"&\" at byte offset {}; write it as \"&amp;\"",
                    p.i
                ));
            }
        }
        if c != b'<' {
            let ch = input[p.i..].chars().next().expect("char boundary");
            p.push(ch);
            p.i += ch.len_utf8();
            continue;
        }
        let begin = p.i;
        p.i += 1;
        if p.i < p.b.len() && p.b[p.i] == b'/' {
            p.end_tag(begin)?;
        } else {
            p.start_tag(begin)?;
        }
    }
    if let Some(open) = p.stack.last() {
        return Err(format!("Can't find end tag corresponding to start tag \"{}\"", open.tag));
    }
    let mut entities = p.entities;
    entities.sort_by(|a, b| a.offset.cmp(&b.offset).then(b.length.cmp(&a.length)));
    Ok(ParsedText { text: p.out, entities })
}

/// Where [`parse_html`] is: the input (`b` its bytes, `i` the position), the text so far (`off`
/// its UTF-16 length), the tags open and the entities closed.
struct HtmlParser<'a> {
    input: &'a str,
    b: &'a [u8],
    i: usize,
    out: String,
    off: usize,
    stack: Vec<Open>,
    entities: Vec<Entity>,
}

impl HtmlParser<'_> {
    fn push(&mut self, ch: char) {
        self.out.push(ch);
        self.off += ch.len_utf16();
    }

    fn skip_spaces(&mut self) {
        while self.i < self.b.len() && is_space(self.b[self.i]) {
            self.i += 1;
        }
    }

    /// `</tag>` (or `</>`), at `begin`, closing the innermost open tag.
    fn end_tag(&mut self, begin: usize) -> Result<(), String> {
        let (b, n) = (self.b, self.b.len());
        if self.stack.is_empty() {
            return Err(format!("Unexpected end tag at byte offset {begin}"));
        }
        self.i += 1;
        let name_start = self.i;
        while self.i < n && !is_space(b[self.i]) && b[self.i] != b'>' {
            self.i += 1;
        }
        let end_name = self.input[name_start..self.i].to_ascii_lowercase();
        self.skip_spaces();
        if self.i >= n || b[self.i] != b'>' {
            return Err(format!("Unclosed end tag at byte offset {begin}"));
        }
        self.i += 1;
        let open = self.stack.pop().expect("checked non-empty");
        if !end_name.is_empty() && end_name != open.tag {
            return Err(format!(
                "Unmatched end tag at byte offset {begin}, expected \"</{}>\", found \"</{end_name}>\"",
                open.tag
            ));
        }
        close_entity(open, self.off, &mut self.entities);
        Ok(())
    }

    /// `<tag attr="value" …>`, at `begin`: a supported tag, its one meaningful attribute kept.
    fn start_tag(&mut self, begin: usize) -> Result<(), String> {
        let (b, n) = (self.b, self.b.len());
        while self.i < n && !is_space(b[self.i]) && b[self.i] != b'>' {
            self.i += 1;
        }
        if self.i >= n {
            return Err(format!("Unclosed start tag at byte offset {begin}"));
        }
        let tag = self.input[begin + 1..self.i].to_ascii_lowercase();
        if !TAGS.contains(&tag.as_str()) {
            return Err(format!("Unsupported start tag \"{tag}\" at byte offset {begin}"));
        }
        let mut arg = String::new();
        while let Some((attr, value)) = self.attribute(&tag, begin)? {
            let Some(value) = value else {
                arg = "expandable".into();
                continue;
            };
            match (tag.as_str(), attr.as_str()) {
                ("a", "href") | ("tg-emoji", "emoji-id") => arg = value,
                ("code", "class") if value.starts_with("language-") => {
                    arg = value["language-".len()..].into()
                }
                ("span", "class") if value.starts_with("tg-") => arg = value[3..].into(),
                _ => {}
            }
        }
        if tag == "span" && arg != "spoiler" {
            return Err(format!(
                "Tag \"span\" must have class \"tg-spoiler\" at byte offset {begin}"
            ));
        }
        self.stack.push(Open { tag, arg, offset: self.off });
        Ok(())
    }

    /// The next attribute of the tag `tag` at `begin`: its name and value (`None` for the one
    /// attribute without a value, blockquote's `expandable`); `None` at the tag's `>`.
    fn attribute(
        &mut self,
        tag: &str,
        begin: usize,
    ) -> Result<Option<(String, Option<String>)>, String> {
        let (b, n) = (self.b, self.b.len());
        self.skip_spaces();
        if self.i >= n {
            return Err(format!("Unclosed start tag at byte offset {begin}"));
        }
        if b[self.i] == b'>' {
            self.i += 1;
            return Ok(None);
        }
        let attr_start = self.i;
        while self.i < n && !is_space(b[self.i]) && b[self.i] != b'=' && b[self.i] != b'>' {
            self.i += 1;
        }
        let attr = self.input[attr_start..self.i].to_ascii_lowercase();
        if attr.is_empty() {
            return Err(format!(
                "Empty attribute name in the tag \"{tag}\" at byte offset {begin}"
            ));
        }
        self.skip_spaces();
        if self.i >= n {
            return Err(format!("Unclosed start tag at byte offset {begin}"));
        }
        if b[self.i] != b'=' {
            if tag == "blockquote" && attr == "expandable" {
                return Ok(Some((attr, None)));
            }
            return Err(format!(
                "Expected equal sign in declaration of an attribute of the tag \"{tag}\" at byte offset {begin}"
            ));
        }
        self.i += 1;
        self.skip_spaces();
        if self.i >= n {
            return Err(format!("Unclosed start tag \"{tag}\" at byte offset {begin}"));
        }
        let value = self.attribute_value(begin)?;
        Ok(Some((attr, Some(value))))
    }

    /// A quoted value (entities decoded) or an unquoted one (letters, digits, `.`, `-`, `_`).
    fn attribute_value(&mut self, begin: usize) -> Result<String, String> {
        let (b, n) = (self.b, self.b.len());
        let mut value = String::new();
        if b[self.i] == b'"' || b[self.i] == b'\'' {
            let quote = b[self.i];
            self.i += 1;
            while self.i < n && b[self.i] != quote {
                if let Some((ch, next)) =
                    (b[self.i] == b'&').then(|| decode_entity(b, self.i)).flatten()
                {
                    value.push(ch);
                    self.i = next;
                    continue;
                }
                let ch = self.input[self.i..].chars().next().expect("char boundary");
                value.push(ch);
                self.i += ch.len_utf8();
            }
            if self.i >= n {
                return Err(format!("Unclosed start tag at byte offset {begin}"));
            }
            self.i += 1;
        } else {
            while self.i < n
                && (b[self.i].is_ascii_alphanumeric() || matches!(b[self.i], b'.' | b'-' | b'_'))
            {
                value.push(b[self.i] as char);
                self.i += 1;
            }
            if value.is_empty() {
                return Err(format!("Expected quote at byte offset {}", self.i));
            }
        }
        Ok(value)
    }
}

fn close_entity(open: Open, end: usize, entities: &mut Vec<Entity>) {
    let length = end - open.offset;
    if length == 0 {
        return; // TDLib drops empty entities
    }
    let mut e = Entity::new("bold", open.offset, length);
    e.kind = match open.tag.as_str() {
        "b" | "strong" => "bold",
        "i" | "em" => "italic",
        "u" | "ins" => "underline",
        "s" | "strike" | "del" => "strikethrough",
        "tg-spoiler" | "span" => "spoiler",
        "code" => {
            // The language is kept only until an enclosing <pre> takes it;
            // `trim` drops it from a bare code entity.
            e.language = (!open.arg.is_empty()).then(|| open.arg.clone());
            "code"
        }
        "pre" => {
            // <pre><code class="language-x">…</code></pre> is one pre entity with a language.
            let wraps_code = entities
                .last()
                .is_some_and(|l| l.kind == "code" && l.offset == open.offset && l.length == length);
            if wraps_code {
                e.language = entities.pop().and_then(|code| code.language);
            }
            "pre"
        }
        "blockquote" if open.arg == "expandable" => "expandable_blockquote",
        "blockquote" => "blockquote",
        "a" => {
            if open.arg.is_empty() {
                return;
            }
            e.url = Some(open.arg.clone());
            "text_link"
        }
        "tg-emoji" => {
            if open.arg.is_empty() {
                return;
            }
            e.custom_emoji_id = Some(open.arg.clone());
            "custom_emoji"
        }
        _ => return,
    };
    entities.push(e);
}

/// Decodes the HTML entity starting at `b[pos] == '&'`: `&lt;` `&gt;`
/// `&amp;` `&quot;` and numeric ones, the `;` optional (TDLib accepts
/// `&lt` too). Returns the character and the index after the entity, or
/// `None` if this `&` does not start a supported entity.
fn decode_entity(b: &[u8], pos: usize) -> Option<(char, usize)> {
    let n = b.len();
    let mut end = pos + 1;
    let code: u32;
    if end < n && b[end] == b'#' {
        end += 1;
        let hex = end < n && (b[end] == b'x' || b[end] == b'X');
        if hex {
            end += 1;
        }
        let start = end;
        let mut v: u32 = 0;
        while end < n && (if hex { b[end].is_ascii_hexdigit() } else { b[end].is_ascii_digit() }) {
            v = v * if hex { 16 } else { 10 } + (b[end] as char).to_digit(16)?;
            if v >= 0x10FFFF {
                return None;
            }
            end += 1;
        }
        if end == start || v == 0 {
            return None;
        }
        code = v;
    } else {
        let start = end;
        while end < n && b[end].is_ascii_alphabetic() {
            end += 1;
        }
        code = match &b[start..end] {
            b"lt" => '<' as u32,
            b"gt" => '>' as u32,
            b"amp" => '&' as u32,
            b"quot" => '"' as u32,
            _ => return None,
        };
    }
    let ch = char::from_u32(code)?;
    if end < n && b[end] == b';' {
        end += 1;
    }
    Some((ch, end))
}

/// Telegram strips leading and trailing whitespace from message texts and
/// captions (entities are shifted and clipped accordingly).
fn trim(mut p: ParsedText) -> ParsedText {
    let is_ws = |c: char| c.is_whitespace();
    let lead: usize = p.text.chars().take_while(|c| is_ws(*c)).map(char::len_utf16).sum();
    let trimmed = p.text.trim_matches(is_ws).to_owned();
    let len = utf16_len(&trimmed);
    let mut out = Vec::with_capacity(p.entities.len());
    for mut e in p.entities.drain(..) {
        let start = e.offset.saturating_sub(lead).min(len);
        let end = (e.offset + e.length).saturating_sub(lead).min(len);
        if end > start {
            e.offset = start;
            e.length = end - start;
            if e.kind == "code" {
                e.language = None;
            }
            out.push(e);
        }
    }
    ParsedText { text: trimmed, entities: out }
}

#[cfg(test)]
#[path = "html_tests.rs"]
mod tests;
