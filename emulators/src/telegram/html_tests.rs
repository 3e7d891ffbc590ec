//! Telegram HTML parser: what it accepts, what it refuses and with which
//! words, and how it measures.

use super::*;

fn ok(s: &str) -> ParsedText {
    parse(s, Some("HTML"), true).unwrap_or_else(|e| panic!("{s:?} refused: {e}"))
}

fn err(s: &str) -> String {
    match parse(s, Some("HTML"), true) {
        Ok(p) => panic!("{s:?} accepted as {p:?}"),
        Err(e) => e,
    }
}

fn kinds(p: &ParsedText) -> Vec<(&'static str, usize, usize)> {
    p.entities.iter().map(|e| (e.kind, e.offset, e.length)).collect()
}

#[test]
fn nested_tags_become_entities_over_the_visible_text() {
    let p = ok("<b>Ahoj <i>Honzíku</i></b>, <u>pivo</u> <s>x</s>");
    assert_eq!(p.text, "Ahoj Honzíku, pivo x");
    assert_eq!(
        kinds(&p),
        [("bold", 0, 12), ("italic", 5, 7), ("underline", 14, 4), ("strikethrough", 19, 1)]
    );
}

#[test]
fn tag_names_and_synonyms_are_case_insensitive() {
    let p = ok("<STRONG>a</STRONG><em>b</em><ins>c</ins><del>d</del><strike>e</strike>");
    assert_eq!(p.text, "abcde");
    assert_eq!(p.entities.len(), 5);
}

#[test]
fn spoilers_links_code_pre_and_blockquotes_are_supported() {
    let p = ok(
        r#"<tg-spoiler>s</tg-spoiler><span class="tg-spoiler">t</span><a href="https://cs.wikipedia.org/?a=1&amp;b=2">w</a>"#,
    );
    assert_eq!(kinds(&p), [("spoiler", 0, 1), ("spoiler", 1, 1), ("text_link", 2, 1)]);
    assert_eq!(p.entities[2].url.as_deref(), Some("https://cs.wikipedia.org/?a=1&b=2"));
    let p = ok(r#"<pre><code class="language-rust">let x = 1 &lt; 2;</code></pre><code>c</code>"#);
    assert_eq!(p.text, "let x = 1 < 2;c");
    assert_eq!(kinds(&p), [("pre", 0, 14), ("code", 14, 1)]);
    assert_eq!(p.entities[0].language.as_deref(), Some("rust"));
    assert_eq!(p.entities[1].language, None);
    let p = ok("<blockquote>q</blockquote><blockquote expandable>e</blockquote>");
    assert_eq!(kinds(&p), [("blockquote", 0, 1), ("expandable_blockquote", 1, 1)]);
}

#[test]
fn escapes_and_numeric_entities_are_decoded() {
    assert_eq!(
        ok("&lt;b&gt; &amp; &quot;x&quot; &#269;&#x159; &#128512;").text,
        "<b> & \"x\" čř 😀"
    );
    // TDLib also accepts a named entity without its semicolon.
    assert_eq!(ok("a &lt b").text, "a < b");
}

#[test]
fn a_bare_less_than_sign_is_an_unsupported_empty_tag() {
    assert_eq!(
        err("2 < 3"),
        "Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 2"
    );
    assert_eq!(
        err("x<3 pivo"),
        "Bad Request: can't parse entities: Unsupported start tag \"3\" at byte offset 1"
    );
    assert_eq!(
        err("a <b"),
        "Bad Request: can't parse entities: Unclosed start tag at byte offset 2"
    );
}

#[test]
fn a_bare_ampersand_is_refused_in_strict_mode_and_kept_otherwise() {
    let e = err("Tom & Jerry");
    assert!(
        e.starts_with("Bad Request: can't parse entities: Unescaped \"&\" at byte offset 4"),
        "{e}"
    );
    err("&nbsp;");
    err("&#0;");
    let lenient = parse("Tom & Jerry &nbsp;", Some("HTML"), false).unwrap();
    assert_eq!(lenient.text, "Tom & Jerry &nbsp;");
}

#[test]
fn unknown_unclosed_and_mismatched_tags_are_refused_with_telegrams_words() {
    let pre = "Bad Request: can't parse entities: ";
    assert_eq!(err("<br>"), format!("{pre}Unsupported start tag \"br\" at byte offset 0"));
    assert_eq!(err("<p>x</p>"), format!("{pre}Unsupported start tag \"p\" at byte offset 0"));
    assert_eq!(err("<b>x"), format!("{pre}Can't find end tag corresponding to start tag \"b\""));
    assert_eq!(
        err("<b><i>x</b></i>"),
        format!("{pre}Unmatched end tag at byte offset 7, expected \"</i>\", found \"</b>\"")
    );
    assert_eq!(err("x</b>"), format!("{pre}Unexpected end tag at byte offset 1"));
    assert_eq!(
        err("<span>x</span>"),
        format!("{pre}Tag \"span\" must have class \"tg-spoiler\" at byte offset 0")
    );
    assert_eq!(err("<b>x</b"), format!("{pre}Unclosed end tag at byte offset 4"));
    assert!(err("<a href=\"x>y</a>").contains("Unclosed start tag"));
}

#[test]
fn length_is_counted_after_entities_in_utf16_code_units() {
    // 4096 visible characters, many more bytes of markup: allowed.
    let p = ok(&format!("<b>{}</b>", "&lt;".repeat(4096)));
    assert_eq!(p.utf16_len(), 4096);
    // An emoji outside the BMP counts twice, a Czech letter once.
    assert_eq!(ok("😀").utf16_len(), 2);
    assert_eq!(ok("ř").utf16_len(), 1);
    let p = ok("<b>😀</b><i>ž</i>");
    assert_eq!(kinds(&p), [("bold", 0, 2), ("italic", 2, 1)]);
}

#[test]
fn surrounding_whitespace_is_trimmed_and_entities_follow() {
    let p = ok("  \n<b> Ahoj </b>\n ");
    assert_eq!(p.text, "Ahoj");
    assert_eq!(kinds(&p), [("bold", 0, 4)]);
    assert_eq!(ok("<b> </b>").text, "");
    assert_eq!(ok("<b></b>x").entities, vec![]);
}

#[test]
fn plain_text_and_unknown_parse_modes() {
    assert_eq!(parse("a < b & c", None, true).unwrap().text, "a < b & c");
    assert_eq!(parse("x", Some("html"), true).unwrap().text, "x");
    assert_eq!(
        parse("x", Some("bbcode"), true).unwrap_err(),
        "Bad Request: unsupported parse_mode"
    );
    assert_eq!(visible_text("<b>Na zdraví!</b> 🍺", Some("HTML")), "Na zdraví! 🍺");
}

#[test]
fn markdown_v2_needs_reserved_characters_escaped() {
    let e = parse("Ahoj. Jak se máš!", Some("MarkdownV2"), true).unwrap_err();
    assert_eq!(
        e,
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'"
    );
    let p = parse(
        r"*Ahoj*\. _Jak_ se __máš__\? ||tajné|| `kód` [odkaz](https://x.cz)",
        Some("MarkdownV2"),
        true,
    )
    .unwrap();
    assert_eq!(p.text, "Ahoj. Jak se máš? tajné kód odkaz");
    let k: Vec<_> = p.entities.iter().map(|e| e.kind).collect();
    assert_eq!(k, ["bold", "italic", "underline", "spoiler", "code", "text_link"]);
    let e = parse("*bold", Some("MarkdownV2"), true).unwrap_err();
    assert_eq!(
        e,
        "Bad Request: can't parse entities: Can't find end of Bold entity at byte offset 0"
    );
    let p = parse("```rust\nlet a = 1;\n```", Some("MarkdownV2"), true).unwrap();
    assert_eq!((p.entities[0].kind, p.entities[0].language.as_deref()), ("pre", Some("rust")));
    let p = parse(">citace\n>dál\nkonec", Some("MarkdownV2"), true).unwrap();
    assert_eq!(p.text, "citace\ndál\nkonec");
    assert_eq!(kinds(&p), [("blockquote", 0, 10)]);
}

#[test]
fn legacy_markdown_needs_closed_entities() {
    let p = parse("*tučně* _kurzíva_ `kód` [web](https://x.cz). Hotovo!", Some("Markdown"), true)
        .unwrap();
    assert_eq!(p.text, "tučně kurzíva kód web. Hotovo!");
    let e = parse("snake_case", Some("Markdown"), true).unwrap_err();
    assert_eq!(
        e,
        "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 5"
    );
}
