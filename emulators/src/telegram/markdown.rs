//! MarkdownV2 and legacy Markdown parse modes, after TDLib's parsers.
//!
//! The bot formats with HTML, but a stray `parse_mode: MarkdownV2` with an
//! unescaped `.` or `!` is the classic Telegram bug, so these modes are
//! validated with Telegram's own error texts rather than accepted blindly.
//! Supported: bold, italic, underline, strikethrough, spoiler, inline code,
//! pre (with language), text links, custom emoji and line blockquotes.

use super::entities::{Entity, ParsedText, utf16_len};

const RESERVED: &[u8] = b"_*[]()~`>#+-=|{}.!";

struct Open {
    kind: &'static str,
    /// TDLib's name for the entity in "Can't find end of … entity".
    name: &'static str,
    offset: usize,
    begin: usize,
    /// Language of a pre block.
    lang: Option<String>,
}

/// Errors are the text after "can't parse entities: ".
pub fn parse_markdown_v2(input: &str) -> Result<ParsedText, String> {
    let mut p = MarkdownV2 {
        input,
        b: input.as_bytes(),
        i: 0,
        out: String::with_capacity(input.len()),
        off: 0,
        stack: Vec::new(),
        entities: Vec::new(),
    };
    let n = p.b.len();
    let mut quote: Option<usize> = None;
    while p.i < n {
        let (b, i) = (p.b, p.i);
        let c = b[i];
        let in_code = p.stack.last().is_some_and(|o| o.kind == "code" || o.kind == "pre");
        let line_start = i == 0 || b[i - 1] == b'\n';
        if line_start && !in_code {
            if c == b'>' {
                quote.get_or_insert(p.off);
                p.i += 1;
                continue;
            } else if let Some(start) = quote.take() {
                close_quote(&mut p.entities, start, &p.out);
            }
        }
        if c == b'\\' && i + 1 < n && (1..=126).contains(&b[i + 1]) {
            p.push(b[i + 1] as char);
            p.i += 2;
            continue;
        }
        if !RESERVED.contains(&c) || (in_code && c != b'`') {
            let ch = input[i..].chars().next().expect("char boundary");
            p.push(ch);
            p.i += ch.len_utf8();
            continue;
        }
        if p.closes(c) {
            p.close()?;
        } else {
            p.open(c)?;
        }
    }
    if let Some(open) = p.stack.last() {
        return Err(format!(
            "Can't find end of {} entity at byte offset {}",
            open.name, open.begin
        ));
    }
    if let Some(start) = quote {
        close_quote(&mut p.entities, start, &p.out);
    }
    let mut entities = p.entities;
    entities
        .sort_by(|a: &Entity, b: &Entity| a.offset.cmp(&b.offset).then(b.length.cmp(&a.length)));
    Ok(ParsedText { text: p.out, entities })
}

/// Where [`parse_markdown_v2`] is: the input (`b` its bytes, `i` the position), the text so far
/// (`off` its UTF-16 length), the entities open and closed.
struct MarkdownV2<'a> {
    input: &'a str,
    b: &'a [u8],
    i: usize,
    out: String,
    off: usize,
    stack: Vec<Open>,
    entities: Vec<Entity>,
}

impl MarkdownV2<'_> {
    fn push(&mut self, ch: char) {
        self.out.push(ch);
        self.off += ch.len_utf16();
    }

    /// Whether the reserved character `c` here closes the innermost entity.
    fn closes(&self, c: u8) -> bool {
        let rest = &self.input[self.i..];
        match self.stack.last().map(|o| o.kind) {
            Some("code") => c == b'`',
            Some("pre") => rest.starts_with("```"),
            Some("italic") => c == b'_' && !rest.starts_with("__"),
            Some("underline") => rest.starts_with("__"),
            Some("bold") => c == b'*',
            Some("strikethrough") => c == b'~',
            Some("spoiler") => rest.starts_with("||"),
            Some("text_link") | Some("custom_emoji") => c == b']',
            _ => false,
        }
    }

    /// Closes the innermost entity (a link or custom emoji with the target that follows it).
    fn close(&mut self) -> Result<(), String> {
        let open = self.stack.pop().expect("closes implies open");
        self.i += match open.kind {
            "pre" => 3,
            "underline" | "spoiler" => 2,
            _ => 1,
        };
        let mut e = Entity::new(open.kind, open.offset, self.off - open.offset);
        if open.kind == "text_link" || open.kind == "custom_emoji" {
            if let Some(url) = self.link_target(open.begin)? {
                if open.kind == "custom_emoji" {
                    e.custom_emoji_id = url.strip_prefix("tg://emoji?id=").map(str::to_owned);
                } else {
                    e.url = Some(url);
                }
            }
            if e.url.is_none() && e.custom_emoji_id.is_none() {
                return Ok(());
            }
        }
        e.language = open.lang;
        if e.length > 0 {
            self.entities.push(e);
        }
        Ok(())
    }

    /// `[text](url)`: the URL after the closing bracket, if one follows.
    fn link_target(&mut self, begin: usize) -> Result<Option<String>, String> {
        let (input, b, n) = (self.input, self.b, self.b.len());
        if self.i >= n || b[self.i] != b'(' {
            return Ok(None);
        }
        let mut url = String::new();
        self.i += 1;
        while self.i < n && b[self.i] != b')' {
            if b[self.i] == b'\\' && self.i + 1 < n {
                self.i += 1;
            }
            let ch = input[self.i..].chars().next().expect("char boundary");
            url.push(ch);
            self.i += ch.len_utf8();
        }
        if self.i >= n {
            return Err(format!("Can't find end of a url at byte offset {begin}"));
        }
        self.i += 1;
        Ok(Some(url))
    }

    /// Opens the entity the reserved character `c` starts (a pre block with its language), or
    /// refuses an unescaped reserved character.
    fn open(&mut self, c: u8) -> Result<(), String> {
        let (input, begin) = (self.input, self.i);
        let rest = &input[begin..];
        let (kind, name, skip) = match c {
            b'_' if rest.starts_with("__") => ("underline", "Underline", 2),
            b'_' => ("italic", "Italic", 1),
            b'*' => ("bold", "Bold", 1),
            b'~' => ("strikethrough", "Strikethrough", 1),
            b'|' if rest.starts_with("||") => ("spoiler", "Spoiler", 2),
            b'[' => ("text_link", "TextUrl", 1),
            b'!' if rest.starts_with("![") => ("custom_emoji", "CustomEmoji", 2),
            b'`' if rest.starts_with("```") => ("pre", "Pre", 3),
            b'`' => ("code", "Code", 1),
            _ => {
                return Err(format!(
                    "Character '{}' is reserved and must be escaped with the preceding '\\'",
                    c as char
                ));
            }
        };
        self.i += skip;
        let mut lang = String::new();
        if kind == "pre" {
            // The rest of the opening line is the language.
            let i = self.i;
            if let Some(end) = input[i..].find('\n').map(|p| i + p) {
                lang = input[i..end].trim().to_owned();
                self.i = end + 1;
            }
        }
        let lang = (!lang.is_empty()).then_some(lang);
        self.stack.push(Open { kind, name, offset: self.off, begin, lang });
        Ok(())
    }
}

fn close_quote(entities: &mut Vec<Entity>, start: usize, out: &str) {
    let end = utf16_len(out.trim_end_matches('\n'));
    if end > start {
        entities.push(Entity::new("blockquote", start, end - start));
    }
}

/// Legacy `Markdown`: `*bold*`, `_italic_`, `` `code` ``, ```` ```pre``` ````,
/// `[text](url)`; no nesting; only `_*`[` may be escaped.
pub fn parse_markdown_legacy(input: &str) -> Result<ParsedText, String> {
    let b = input.as_bytes();
    let n = b.len();
    let mut out = String::with_capacity(n);
    let mut off = 0usize;
    let mut entities = Vec::new();
    let mut i = 0;
    while i < n {
        let c = b[i];
        if c == b'\\' && i + 1 < n && b"_*`[".contains(&b[i + 1]) {
            out.push(b[i + 1] as char);
            off += 1;
            i += 2;
            continue;
        }
        if !b"_*`[".contains(&c) {
            let ch = input[i..].chars().next().expect("char boundary");
            out.push(ch);
            off += ch.len_utf16();
            i += ch.len_utf8();
            continue;
        }
        let begin = i;
        let (kind, end_marker) = match c {
            b'*' => ("bold", "*"),
            b'_' => ("italic", "_"),
            b'[' => ("text_link", "]"),
            b'`' if input[i..].starts_with("```") => ("pre", "```"),
            _ => ("code", "`"),
        };
        i += if kind == "pre" { 3 } else { 1 };
        let start = off;
        let Some(rel) = input[i..].find(end_marker) else {
            return Err(format!("Can't find end of the entity starting at byte offset {begin}"));
        };
        let inner = &input[i..i + rel];
        out.push_str(inner);
        off += utf16_len(inner);
        i += rel + end_marker.len();
        let mut e = Entity::new(kind, start, off - start);
        if kind == "text_link" {
            if i < n && b[i] == b'(' {
                let Some(close) = input[i..].find(')') else {
                    return Err(format!("Can't find end of a url at byte offset {begin}"));
                };
                e.url = Some(input[i + 1..i + close].to_owned());
                i += close + 1;
            } else {
                continue;
            }
        }
        if e.length > 0 {
            entities.push(e);
        }
    }
    Ok(ParsedText { text: out, entities })
}
