//! What a turn looks like in Telegram (pure; texts from [`I18n`]).
//!
//! A turn is normally two messages: Honzík's voice with a short caption
//! (score, streak, stars) and one text message with the details. When
//! everything fits into one caption, it is a single voice message instead.
//!
//! Telegram counts limits in UTF-16 units of the *visible* text; we count
//! the HTML string itself, which is always at least as long, so the check
//! is conservative and needs no HTML parser.

use crate::i18n::{I18n, Lang, escape_html};
use crate::progress::rules::DAILY_CHALLENGE_STARS;
use crate::settings::Level;
use crate::tutor::reply::HonzikReply;

/// Maximum length of a media caption.
pub const CAPTION_LIMIT: usize = 1024;
/// Maximum length of a text message.
pub const TEXT_LIMIT: usize = 4096;

/// How the learner sent the turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TurnKind {
    Voice,
    Text,
}

/// Everything needed to render one turn.
#[derive(Clone, Copy, Debug)]
pub struct TurnView<'a> {
    pub lang: Lang,
    pub level: Level,
    pub kind: TurnKind,
    /// The transcript (voice) or the typed text.
    pub learner_text: &'a str,
    pub reply: &'a HonzikReply,
    pub stars_earned: u32,
    pub streak_days: u32,
    pub challenge_completed: bool,
    pub nudge_czech: bool,
}

/// The messages of a rendered turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TurnLayout {
    /// One voice message whose caption holds everything.
    Single { caption: String },
    /// A voice message with a short caption, then text messages
    /// (each ≤ [`TEXT_LIMIT`]) with the details.
    Split { caption: String, details: Vec<String> },
}

/// Length as Telegram counts it (UTF-16 code units).
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The short voice caption, e.g. "🎯 85/100 · 🔥 3 days · +2 ⭐".
pub fn caption(i18n: &I18n, v: &TurnView) -> String {
    let mut parts =
        vec![i18n.tr(v.lang, "caption-score", &[("score", v.reply.correctness_score.into())])];
    if v.streak_days > 0 {
        parts.push(i18n.tr(v.lang, "caption-streak", &[("days", v.streak_days.into())]));
    }
    if v.stars_earned > 0 {
        parts.push(i18n.tr(v.lang, "caption-stars", &[("stars", v.stars_earned.into())]));
    }
    let text = parts.join(" · ");
    // Cannot happen with sane locale texts; guarded so a caption never fails.
    if utf16_len(&text) <= CAPTION_LIMIT {
        text
    } else {
        split_message(&text, CAPTION_LIMIT).swap_remove(0)
    }
}

/// The full details as Telegram HTML; may exceed [`TEXT_LIMIT`] (use
/// [`split_message`]). Every inserted text is escaped.
pub fn details(i18n: &I18n, v: &TurnView) -> String {
    let t = |key: &str| i18n.tr(v.lang, key, &[]);
    let label = |key: &str| format!("<b>{}</b>", t(key));
    let r = v.reply;
    let mut sections = Vec::new();

    if v.nudge_czech {
        sections.push(t("not-czech-nudge"));
    }
    let learner = v.learner_text.trim();
    if !learner.is_empty() {
        let key = match v.kind {
            TurnKind::Voice => "heard-label",
            TurnKind::Text => "you-wrote-label",
        };
        sections.push(format!("{}\n<i>{}</i>", label(key), escape_html(learner)));
    }
    // Under a spoiler: the learner should listen first, then check.
    sections.push(format!(
        "{}\n<tg-spoiler>{}</tg-spoiler>",
        label("honzik-label"),
        escape_html(&r.honzik_response)
    ));
    if v.level == Level::Beginner && !r.translation.is_empty() {
        sections.push(format!(
            "{}\n<tg-spoiler>{}</tg-spoiler>",
            label("translation-label"),
            escape_html(&r.translation)
        ));
    }
    if r.mistakes.is_empty() {
        sections.push(format!("{}\n{}", label("corrections-label"), t("no-mistakes")));
    } else {
        let lines: Vec<String> = r
            .mistakes
            .iter()
            .map(|m| {
                let mut line = format!(
                    "• <s>{}</s> → <b>{}</b>",
                    escape_html(&m.original),
                    escape_html(&m.corrected)
                );
                if !m.explanation.is_empty() {
                    line.push_str(" — ");
                    line.push_str(&escape_html(&m.explanation));
                }
                line
            })
            .collect();
        sections.push(format!("{}\n{}", label("corrections-label"), lines.join("\n")));
        if !r.corrected_text.is_empty() {
            sections.push(format!(
                "{}\n{}",
                label("corrected-label"),
                escape_html(&r.corrected_text)
            ));
        }
    }
    if !r.suggestion.is_empty() {
        sections.push(format!("{}\n{}", label("tip-label"), escape_html(&r.suggestion)));
    }
    if !r.new_words.is_empty() {
        let lines: Vec<String> = r
            .new_words
            .iter()
            .map(|w| {
                let mut line = format!("• <b>{}</b>", escape_html(&w.czech));
                if !w.translation.is_empty() {
                    line.push_str(" — ");
                    line.push_str(&escape_html(&w.translation));
                }
                line
            })
            .collect();
        sections.push(format!("{}\n{}", label("new-words-label"), lines.join("\n")));
    }
    if v.challenge_completed {
        sections.push(i18n.tr(
            v.lang,
            "challenge-done",
            &[("stars", DAILY_CHALLENGE_STARS.into())],
        ));
    }
    sections.join("\n\n")
}

/// Caption and details as one caption, if that fits into [`CAPTION_LIMIT`].
pub fn single_caption(i18n: &I18n, v: &TurnView) -> Option<String> {
    let text = format!("{}\n\n{}", caption(i18n, v), details(i18n, v));
    (utf16_len(&text) <= CAPTION_LIMIT).then_some(text)
}

/// Decides between one captioned voice message and voice + details.
pub fn layout(i18n: &I18n, v: &TurnView) -> TurnLayout {
    match single_caption(i18n, v) {
        Some(caption) => TurnLayout::Single { caption },
        None => TurnLayout::Split {
            caption: caption(i18n, v),
            details: split_message(&details(i18n, v), TEXT_LIMIT),
        },
    }
}

// ---------------------------------------------------------------------------
// Splitting

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tutor::reply::{Mistake, MistakeCategory, NewWord};

    fn reply() -> HonzikReply {
        HonzikReply {
            honzik_response: "Ahoj! Já jsem Honzík a mám rád pivo.".into(),
            translation: "Hi! I'm Honzík and I like beer.".into(),
            corrected_text: "Mám rád pivo.".into(),
            mistakes: vec![Mistake {
                original: "Mám ráda pivo".into(),
                corrected: "Mám rád pivo".into(),
                explanation: "masculine <ending> & co".into(),
                category: MistakeCategory::Gender,
            }],
            correctness_score: 85,
            suggestion: "Say it twice!".into(),
            new_words: vec![NewWord { czech: "pivo".into(), translation: "beer".into() }],
        }
    }

    fn view<'a>(r: &'a HonzikReply, learner: &'a str) -> TurnView<'a> {
        TurnView {
            lang: Lang::En,
            level: Level::Intermediate,
            kind: TurnKind::Voice,
            learner_text: learner,
            reply: r,
            stars_earned: 2,
            streak_days: 3,
            challenge_completed: false,
            nudge_czech: false,
        }
    }

    /// Checks that `html` is well-formed Telegram HTML: known tags, balanced
    /// and properly nested, no stray `<`, `>` or `&`.
    fn assert_valid(html: &str) {
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

    fn visible(html: &str) -> String {
        lex(html)
            .iter()
            .filter(|a| matches!(a.kind, AtomKind::Char(_) | AtomKind::Entity))
            .map(|a| a.raw)
            .collect()
    }

    fn assert_good_split(html: &str, limit: usize) -> Vec<String> {
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

    #[test]
    fn learner_text_and_reply_fields_are_escaped_and_emoji_kept() {
        let i18n = I18n::new();
        let r = reply();
        let d = details(&i18n, &view(&r, "a < b && c > d 🍺🇨🇿"));
        assert!(d.contains("a &lt; b &amp;&amp; c &gt; d 🍺🇨🇿"), "{d}");
        assert!(d.contains("masculine &lt;ending&gt; &amp; co"));
        assert_valid(&d);
    }

    #[test]
    fn details_show_the_sections_in_order() {
        let i18n = I18n::new();
        let r = reply();
        let mut v = view(&r, "mám ráda pivo");
        v.nudge_czech = true;
        v.challenge_completed = true;
        let d = details(&i18n, &v);
        let order = [
            "Zkus to česky",
            "I heard",
            "<tg-spoiler>Ahoj! Já jsem",
            "Corrections",
            "• <s>Mám ráda pivo</s> → <b>Mám rád pivo</b> — masculine",
            "The correct version",
            "Say it twice!",
            "• <b>pivo</b> — beer",
            "Daily challenge done! +5",
        ];
        let positions: Vec<usize> = order
            .iter()
            .map(|s| d.find(s).unwrap_or_else(|| panic!("{s} missing in {d}")))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{d}");
    }

    #[test]
    fn typed_turns_say_you_wrote_and_clean_turns_say_no_mistakes() {
        let i18n = I18n::new();
        let mut r = reply();
        r.mistakes.clear();
        let mut v = view(&r, "Mám rád pivo.");
        v.kind = TurnKind::Text;
        let d = details(&i18n, &v);
        assert!(d.contains("You wrote") && !d.contains("I heard"));
        assert!(d.contains("No mistakes"));
        assert!(!d.contains("The correct version"), "no corrected text without mistakes");
    }

    #[test]
    fn only_beginners_get_the_translation_spoiler() {
        let i18n = I18n::new();
        let r = reply();
        let mut v = view(&r, "ahoj");
        v.level = Level::Beginner;
        assert!(
            details(&i18n, &v).contains("<tg-spoiler>Hi! I'm Honzík and I like beer.</tg-spoiler>")
        );
        for level in [Level::Intermediate, Level::Advanced, Level::Native] {
            v.level = level;
            let d = details(&i18n, &v);
            assert!(!d.contains("Hi! I'm") && !d.contains("Translation"), "{level:?}");
        }
    }

    #[test]
    fn the_caption_shows_score_streak_and_stars() {
        let i18n = I18n::new();
        let r = reply();
        assert_eq!(caption(&i18n, &view(&r, "x")), "🎯 85/100 · 🔥 3 days · +2 ⭐");
        let mut v = view(&r, "x");
        v.lang = Lang::Ru;
        v.streak_days = 0;
        v.stars_earned = 0;
        assert_eq!(caption(&i18n, &v), "🎯 85/100");
    }

    #[test]
    fn the_caption_always_fits() {
        let i18n = I18n::new();
        let r = reply();
        for lang in Lang::ALL {
            let mut v = view(&r, "x");
            v.lang = lang;
            v.streak_days = u32::MAX;
            v.stars_earned = u32::MAX;
            assert!(utf16_len(&caption(&i18n, &v)) <= CAPTION_LIMIT);
        }
    }

    #[test]
    fn a_short_turn_fits_one_caption_and_a_long_one_does_not() {
        let i18n = I18n::new();
        let r = reply();
        let v = view(&r, "mám ráda pivo");
        let single = single_caption(&i18n, &v).expect("short turn should fit");
        assert!(single.starts_with(&caption(&i18n, &v)) && utf16_len(&single) <= CAPTION_LIMIT);
        assert_eq!(layout(&i18n, &v), TurnLayout::Single { caption: single });

        let mut long = reply();
        long.honzik_response = "Praha je krásné město plné piva. ".repeat(40);
        let v = view(&long, "mám ráda pivo");
        assert_eq!(single_caption(&i18n, &v), None);
        match layout(&i18n, &v) {
            TurnLayout::Split { caption: c, details: d } => {
                assert_eq!(c, caption(&i18n, &v));
                assert_eq!(d.len(), 1);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_6000_character_reply_splits_into_valid_parts() {
        let i18n = I18n::new();
        let mut r = reply();
        let sentence = "Včera jsem byl s kamarády v hospodě U Fleků, dali jsme si knedlíky & pivo <3 a koukali na hokej. ";
        r.honzik_response = sentence.repeat(6000 / sentence.chars().count() + 1);
        assert!(r.honzik_response.chars().count() >= 6000);
        let d = details(&i18n, &view(&r, "ahoj"));
        assert!(utf16_len(&d) > TEXT_LIMIT);
        let parts = assert_good_split(&d, TEXT_LIMIT);
        assert!(parts.len() >= 2);
        // The spoiler is closed at the split and reopened in the next part.
        assert!(parts[0].ends_with("</tg-spoiler>"));
        assert!(parts[1].starts_with("<tg-spoiler>"));
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
