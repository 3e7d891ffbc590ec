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
    let b = input.as_bytes();
    let n = b.len();
    let mut out = String::with_capacity(n);
    let mut off = 0usize;
    let mut stack: Vec<Open> = Vec::new();
    let mut entities = Vec::new();
    let mut quote: Option<usize> = None;
    let mut i = 0;
    let push = |out: &mut String, off: &mut usize, ch: char| {
        out.push(ch);
        *off += ch.len_utf16();
    };
    while i < n {
        let c = b[i];
        let in_code = stack.last().is_some_and(|o| o.kind == "code" || o.kind == "pre");
        let line_start = i == 0 || b[i - 1] == b'\n';
        if line_start && !in_code {
            if c == b'>' {
                quote.get_or_insert(off);
                i += 1;
                continue;
            } else if let Some(start) = quote.take() {
                close_quote(&mut entities, start, &out);
            }
        }
        if c == b'\\' && i + 1 < n && (1..=126).contains(&b[i + 1]) {
            push(&mut out, &mut off, b[i + 1] as char);
            i += 2;
            continue;
        }
        if !RESERVED.contains(&c) || (in_code && c != b'`') {
            let ch = input[i..].chars().next().expect("char boundary");
            push(&mut out, &mut off, ch);
            i += ch.len_utf8();
            continue;
        }
        // Does `c` close the innermost entity?
        let closes = match stack.last().map(|o| o.kind) {
            Some("code") => c == b'`',
            Some("pre") => input[i..].starts_with("```"),
            Some("italic") => c == b'_' && !input[i..].starts_with("__"),
            Some("underline") => input[i..].starts_with("__"),
            Some("bold") => c == b'*',
            Some("strikethrough") => c == b'~',
            Some("spoiler") => input[i..].starts_with("||"),
            Some("text_link") | Some("custom_emoji") => c == b']',
            _ => false,
        };
        if closes {
            let open = stack.pop().expect("closes implies open");
            i += match open.kind {
                "pre" => 3,
                "underline" | "spoiler" => 2,
                _ => 1,
            };
            let mut e = Entity::new(open.kind, open.offset, off - open.offset);
            if open.kind == "text_link" || open.kind == "custom_emoji" {
                // `[text](url)`: the URL follows the bracket.
                if i < n && b[i] == b'(' {
                    let mut url = String::new();
                    i += 1;
                    while i < n && b[i] != b')' {
                        if b[i] == b'\\' && i + 1 < n {
                            i += 1;
                        }
                        let ch = input[i..].chars().next().expect("char boundary");
                        url.push(ch);
                        i += ch.len_utf8();
                    }
                    if i >= n {
                        return Err(format!(
                            "Can't find end of a url at byte offset {}",
                            open.begin
                        ));
                    }
                    i += 1;
                    if open.kind == "custom_emoji" {
                        e.custom_emoji_id = url.strip_prefix("tg://emoji?id=").map(str::to_owned);
                    } else {
                        e.url = Some(url);
                    }
                }
                if e.url.is_none() && e.custom_emoji_id.is_none() {
                    continue;
                }
            }
            e.language = open.lang;
            if e.length > 0 {
                entities.push(e);
            }
            continue;
        }
        let begin = i;
        let (kind, name, skip) = match c {
            b'_' if input[i..].starts_with("__") => ("underline", "Underline", 2),
            b'_' => ("italic", "Italic", 1),
            b'*' => ("bold", "Bold", 1),
            b'~' => ("strikethrough", "Strikethrough", 1),
            b'|' if input[i..].starts_with("||") => ("spoiler", "Spoiler", 2),
            b'[' => ("text_link", "TextUrl", 1),
            b'!' if input[i..].starts_with("![") => ("custom_emoji", "CustomEmoji", 2),
            b'`' if input[i..].starts_with("```") => ("pre", "Pre", 3),
            b'`' => ("code", "Code", 1),
            _ => {
                return Err(format!(
                    "Character '{}' is reserved and must be escaped with the preceding '\\'",
                    c as char
                ));
            }
        };
        i += skip;
        let mut lang = String::new();
        if kind == "pre" {
            // The rest of the opening line is the language.
            let line_end = input[i..].find('\n').map(|p| i + p);
            if let Some(end) = line_end {
                lang = input[i..end].trim().to_owned();
                i = end + 1;
            }
        }
        let lang = (!lang.is_empty()).then_some(lang);
        stack.push(Open { kind, name, offset: off, begin, lang });
    }
    if let Some(open) = stack.last() {
        return Err(format!(
            "Can't find end of {} entity at byte offset {}",
            open.name, open.begin
        ));
    }
    if let Some(start) = quote {
        close_quote(&mut entities, start, &out);
    }
    entities
        .sort_by(|a: &Entity, b: &Entity| a.offset.cmp(&b.offset).then(b.length.cmp(&a.length)));
    Ok(ParsedText { text: out, entities })
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
