//! Telegram's HTML (pure): escaping, lengths as Telegram counts them, the size limits, and
//! splitting or clipping a long text without breaking a tag or an entity.
//!
//! Everything the bot sends is Telegram HTML (`parse_mode = HTML`), so these are shared by the
//! texts ([`crate::i18n`] escapes every argument with [`escape_html`]) and by whatever sends a
//! turn, a `/stats` caption or a broadcast. Telegram counts limits in UTF-16 units of the
//! *visible* text; we count the HTML string itself, which is always at least as long, so every
//! check here is conservative and needs no HTML parser.

/// Maximum length of a media caption.
pub const CAPTION_LIMIT: usize = 1024;
/// Maximum length of a text message.
pub const TEXT_LIMIT: usize = 4096;

/// Escapes text for Telegram's HTML parse mode. Telegram only requires
/// `<`, `>` and `&`; `"` is escaped too so the result is also safe inside
/// attribute values (`<a href="…">`).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// Length as Telegram counts it (UTF-16 code units).
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// `html` cut to fit a caption: the text itself when it fits, else its first part as
/// [`split_message`] cuts it (valid HTML, cut at the strongest break that fits).
pub fn clip_caption(html: &str) -> String {
    if utf16_len(html) <= CAPTION_LIMIT {
        html.to_owned()
    } else {
        split_message(html, CAPTION_LIMIT).into_iter().next().unwrap_or_default()
    }
}

/// One indivisible piece of HTML: a character, an entity or a tag.
#[derive(Debug)]
struct Atom<'a> {
    raw: &'a str,
    len: usize,
    kind: AtomKind<'a>,
}

#[derive(Debug, PartialEq)]
enum AtomKind<'a> {
    Char(char),
    Entity,
    Open(&'a str),
    Close(&'a str),
    /// `<… />`: no effect on nesting.
    Void,
}

impl Atom<'_> {
    fn is_space(&self) -> bool {
        matches!(self.kind, AtomKind::Char(c) if c.is_whitespace())
    }
}

/// Strength of a break opportunity; stronger breaks are preferred.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Break {
    Word = 0,
    Line = 1,
    Paragraph = 2,
}

fn lex(html: &str) -> Vec<Atom<'_>> {
    let mut atoms = Vec::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        let (size, kind) = match c {
            '<' => match rest.find('>') {
                Some(end) => (end + 1, tag_kind(&rest[..=end])),
                None => (1, AtomKind::Char('<')),
            },
            '&' => match rest[1..].find(';') {
                Some(semi)
                    if semi > 0
                        && semi <= 32
                        && rest[1..=semi]
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '#') =>
                {
                    (semi + 2, AtomKind::Entity)
                }
                _ => (1, AtomKind::Char('&')),
            },
            c => (c.len_utf8(), AtomKind::Char(c)),
        };
        let raw = &rest[..size];
        atoms.push(Atom { raw, len: utf16_len(raw), kind });
        rest = &rest[size..];
    }
    atoms
}

fn tag_name(s: &str) -> &str {
    s.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("")
}

fn tag_kind(tag: &str) -> AtomKind<'_> {
    let inner = &tag[1..tag.len() - 1];
    if let Some(close) = inner.strip_prefix('/') {
        AtomKind::Close(tag_name(close.trim_start()))
    } else if inner.ends_with('/') {
        AtomKind::Void
    } else {
        AtomKind::Open(tag_name(inner))
    }
}

/// Open tags at some point of the text: (name, raw opening tag).
type Stack<'a> = Vec<(&'a str, &'a str)>;

fn apply<'a>(stack: &mut Stack<'a>, atom: &Atom<'a>) {
    match atom.kind {
        AtomKind::Open(name) => stack.push((name, atom.raw)),
        AtomKind::Close(name) => {
            if let Some(pos) = stack.iter().rposition(|(n, _)| n.eq_ignore_ascii_case(name)) {
                stack.truncate(pos);
            }
        }
        _ => {}
    }
}

fn closing(stack: &Stack) -> String {
    stack.iter().rev().map(|(name, _)| format!("</{name}>")).collect()
}

fn closing_len(stack: &Stack) -> usize {
    stack.iter().map(|(name, _)| name.len() + 3).sum()
}

/// Break opportunity *before* atom `j` (index `atoms.len()` = end of text):
/// right after a whitespace run (and any closing tags that follow it), before
/// the next word. The run's newlines decide the strength.
fn break_kinds(atoms: &[Atom]) -> Vec<Option<Break>> {
    let mut kinds = vec![None; atoms.len() + 1];
    for (j, kind) in kinds.iter_mut().enumerate().skip(1) {
        if j < atoms.len() && (atoms[j].is_space() || matches!(atoms[j].kind, AtomKind::Close(_))) {
            continue;
        }
        let mut k = j;
        while k > 0 && matches!(atoms[k - 1].kind, AtomKind::Close(_)) {
            k -= 1;
        }
        let newlines = atoms[..k]
            .iter()
            .rev()
            .take_while(|a| a.is_space())
            .filter(|a| a.kind == AtomKind::Char('\n'))
            .count();
        if k > 0 && atoms[k - 1].is_space() {
            *kind = Some(match newlines {
                0 => Break::Word,
                1 => Break::Line,
                _ => Break::Paragraph,
            });
        }
    }
    kinds
}

/// Splits Telegram HTML into parts of at most `limit` UTF-16 units.
///
/// Splits at paragraph (`\n\n`), then line, then word boundaries — a
/// stronger boundary is used if it still fills at least half a part — and
/// never inside a tag or entity. Mid-word only when a single word exceeds
/// the limit. Tags open at a split are closed at the end of the part and
/// reopened at the start of the next, so every part is valid on its own;
/// the whitespace at a split stays at the end of the earlier part, so the
/// parts' visible texts concatenate to exactly the original's. An empty or
/// whitespace-only input yields no parts (Telegram rejects empty messages).
/// If `limit` is too small for even one atom plus the tags around it, that
/// atom is emitted anyway rather than looping forever.
pub fn split_message(html: &str, limit: usize) -> Vec<String> {
    if html.trim().is_empty() {
        return Vec::new();
    }
    if utf16_len(html) <= limit {
        return vec![html.to_owned()];
    }
    let atoms = lex(html);
    let breaks = break_kinds(&atoms);
    let mut parts = Vec::new();
    let mut stack: Stack = Vec::new();
    let mut i = 0;
    while i < atoms.len() {
        let prefix: String = stack.iter().map(|(_, raw)| *raw).collect();
        let mut scan = stack.clone();
        let mut len = utf16_len(&prefix);
        // Latest fitting end position for each break strength, plus any atom boundary.
        let mut best: [Option<(usize, usize)>; 3] = [None; 3];
        let mut any = None;
        let mut j = i;
        while j < atoms.len() && len + atoms[j].len <= limit {
            len += atoms[j].len;
            apply(&mut scan, &atoms[j]);
            j += 1;
            if len + closing_len(&scan) > limit {
                continue;
            }
            any = Some(j);
            let strength = if j == atoms.len() { Some(Break::Paragraph) } else { breaks[j] };
            if let Some(s) = strength {
                for slot in &mut best[..=s as usize] {
                    *slot = Some((j, len));
                }
            }
        }
        let half = limit / 2;
        let end = [Break::Paragraph, Break::Line]
            .into_iter()
            .find_map(|s| best[s as usize].filter(|&(_, l)| l >= half).map(|(e, _)| e))
            .or(best[Break::Word as usize].map(|(e, _)| e))
            .or(any)
            .unwrap_or(i + 1);

        let mut part = prefix;
        for atom in &atoms[i..end] {
            part.push_str(atom.raw);
            apply(&mut stack, atom);
        }
        part.push_str(&closing(&stack));
        parts.push(part);
        i = end;
    }
    parts
}

/// Checks on Telegram HTML for tests here and of the texts built from it (`bot::render`).
#[cfg(test)]
pub(crate) mod check {
    use super::*;

    /// Checks that `html` is well-formed Telegram HTML: known tags, balanced
    /// and properly nested, no stray `<`, `>` or `&`.
    pub fn assert_valid(html: &str) {
        let mut stack: Vec<&str> = Vec::new();
        for atom in lex(html) {
            match atom.kind {
                AtomKind::Open(n) => {
                    assert!(
                        ["b", "i", "s", "u", "code", "pre", "a", "tg-spoiler"].contains(&n),
                        "tag {n} in {html}"
                    );
                    stack.push(n);
                }
                AtomKind::Close(n) => assert_eq!(stack.pop(), Some(n), "unbalanced in {html}"),
                AtomKind::Char(c) => assert!(!"<>&".contains(c), "stray {c} in {html}"),
                _ => {}
            }
        }
        assert!(stack.is_empty(), "unclosed {stack:?} in {html}");
    }

    pub fn visible(html: &str) -> String {
        lex(html)
            .iter()
            .filter(|a| matches!(a.kind, AtomKind::Char(_) | AtomKind::Entity))
            .map(|a| a.raw)
            .collect()
    }

    pub fn assert_good_split(html: &str, limit: usize) -> Vec<String> {
        let parts = split_message(html, limit);
        for p in &parts {
            assert!(utf16_len(p) <= limit, "part of {} > {limit}: {p}", utf16_len(p));
            assert_valid(p);
        }
        assert_eq!(parts.iter().map(|p| visible(p)).collect::<String>(), visible(html));
        for p in &parts[..parts.len() - 1] {
            assert!(visible(p).ends_with(char::is_whitespace), "split mid-word after {p:?}");
        }
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::check::*;
    use super::*;

    #[test]
    fn escape_html_escapes_the_four_specials_and_keeps_emoji() {
        assert_eq!(escape_html("a<b>&\"c\" 🍺"), "a&lt;b&gt;&amp;&quot;c&quot; 🍺");
    }

    #[test]
    fn utf16_lengths_count_emoji_as_two() {
        assert_eq!(utf16_len("pivo"), 4);
        assert_eq!(utf16_len("ž"), 1);
        assert_eq!(utf16_len("🍺"), 2);
    }

    #[test]
    fn a_caption_is_kept_when_it_fits_and_cut_validly_when_not() {
        let fits = "<b>Ahoj</b> ".repeat(50);
        assert_eq!(clip_caption(&fits), fits);
        let long = "<b>pivo</b> <i>knedlíky</i>\n".repeat(100);
        let clipped = clip_caption(&long);
        assert!(utf16_len(&clipped) <= CAPTION_LIMIT && long.starts_with(&clipped));
        assert_valid(&clipped);
        assert!(clip_caption("").is_empty());
    }

    #[test]
    fn short_html_is_returned_as_is_and_empty_html_gives_no_parts() {
        assert_eq!(split_message("<b>Ahoj</b>", 4096), vec!["<b>Ahoj</b>"]);
        assert!(split_message("", 10).is_empty());
        assert!(split_message(" \n ", 10).is_empty());
    }

    #[test]
    fn paragraph_breaks_are_preferred_over_line_and_word_breaks() {
        let html = "aaaa bbbb cccc\n\ndddd eeee\nffff gggg";
        let parts = assert_good_split(html, 22);
        assert_eq!(parts[0], "aaaa bbbb cccc\n\n");
        let parts = assert_good_split("aaaa bbbb\ncccc dddd eeee", 20);
        assert_eq!(parts[0], "aaaa bbbb\n");
    }

    #[test]
    fn a_far_too_early_paragraph_break_yields_to_a_later_word_break() {
        let html = "a\n\nbbbb cccc dddd eeee ffff gggg";
        let parts = assert_good_split(html, 20);
        assert_eq!(parts[0], "a\n\nbbbb cccc dddd ");
    }

    #[test]
    fn entities_and_tags_are_never_cut() {
        let html =
            "<b>&amp;&amp;&amp;&amp;&amp;&amp;</b> <a href=\"https://example.com/x\">odkaz</a>";
        let parts = assert_good_split(html, 45);
        assert!(parts.iter().any(|p| p.contains("<a href=\"https://example.com/x\">odkaz</a>")));
    }

    #[test]
    fn nested_tags_are_closed_and_reopened_in_order() {
        let html = "<b>tučně <i>kurzíva jedna dva tři čtyři pět</i> konec</b>";
        let parts = assert_good_split(html, 30);
        assert!(parts.len() > 1);
        assert!(parts[1].starts_with("<b><i>"), "{parts:?}");
    }

    #[test]
    fn a_single_overlong_word_is_split_hard() {
        let word = "ž".repeat(50);
        let parts = split_message(&format!("<b>{word}</b>"), 20);
        assert!(parts.len() > 3);
        for p in &parts {
            assert!(utf16_len(p) <= 20);
            assert_valid(p);
        }
        assert_eq!(parts.iter().map(|p| visible(p)).collect::<String>(), word);
    }

    #[test]
    fn emoji_are_counted_as_utf16_and_never_split() {
        let html = "🍺 ".repeat(100);
        for p in assert_good_split(&html, 31) {
            assert!(utf16_len(&p) <= 31);
        }
    }

    #[test]
    fn splitting_holds_its_invariants_across_many_limits() {
        // A pseudo-random mix of words, markup, entities, emoji and newlines.
        let pieces = [
            "pivo",
            "knedlíky",
            "<b>Sparta</b>",
            "&amp;",
            "🍺",
            "\n",
            "\n\n",
            "<i>Praha je</i>",
            "<tg-spoiler>tajemství <b>uvnitř</b></tg-spoiler>",
            "ž",
            "hokej",
            "&lt;3",
        ];
        let mut seed: u64 = 42;
        let mut html = String::new();
        for _ in 0..400 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            html.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            html.push(' ');
        }
        for limit in (60..400).step_by(7) {
            assert_good_split(&html, limit);
        }
    }
}
