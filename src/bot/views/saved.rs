//! A page of `/saved`: newest words first, each with its translation and the sentence it came
//! from. Pages are small and every field is clipped, so a page stays far below Telegram's 4096
//! characters however long the stored words are.

use entity::saved_words;

use super::clip;
use crate::i18n::{I18n, Lang, escape_html};

pub const PER_PAGE: u64 = 8;
const WORD_CHARS: usize = 60;
const TRANSLATION_CHARS: usize = 80;
const SENTENCE_CHARS: usize = 120;

/// How many pages `total` words fill (at least one, the empty list).
pub fn pages(total: u64) -> u32 {
    total.div_ceil(PER_PAGE).clamp(1, u64::from(u32::MAX)) as u32
}

pub fn page_text(
    i18n: &I18n,
    lang: Lang,
    words: &[saved_words::Model],
    page: u32,
    total: u64,
) -> String {
    if words.is_empty() {
        return i18n.tr(lang, "saved-empty", &[]);
    }
    let mut head =
        i18n.tr(lang, "saved-title", &[("total", i64::try_from(total).unwrap_or(i64::MAX).into())]);
    if pages(total) > 1 {
        head = format!(
            "{head}\n{}",
            i18n.tr(
                lang,
                "saved-page",
                &[("page", (page + 1).into()), ("pages", pages(total).into())]
            )
        );
    }
    let entries: Vec<String> = words.iter().map(entry).collect();
    format!("{head}\n\n{}", entries.join("\n\n"))
}

fn entry(w: &saved_words::Model) -> String {
    let mut line = format!("• <b>{}</b>", escape_html(&clip(&w.czech, WORD_CHARS)));
    if !w.translation.trim().is_empty() {
        line.push_str(" — ");
        line.push_str(&escape_html(&clip(&w.translation, TRANSLATION_CHARS)));
    }
    if let Some(s) = w.source_sentence.as_deref().filter(|s| !s.trim().is_empty()) {
        line.push_str(&format!("\n   <i>{}</i>", escape_html(&clip(s, SENTENCE_CHARS))));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::render::{TEXT_LIMIT, utf16_len};

    fn word(id: i64, len: usize) -> saved_words::Model {
        saved_words::Model {
            id,
            user_id: 1,
            czech: "ž🍺".repeat(len),
            translation: "перевод ".repeat(len),
            normalized: format!("w{id}"),
            source_sentence: Some("Věta <s> & \"uvozovky\" ".repeat(len)),
            created_at: chrono::Utc::now(),
            kind: "word".into(),
            mistake_id: None,
        }
    }

    #[test]
    fn a_full_page_of_the_longest_words_stays_within_a_message() {
        let i18n = I18n::new();
        let words: Vec<_> = (0..PER_PAGE as i64).map(|i| word(i, 500)).collect();
        for lang in Lang::ALL {
            let text = page_text(&i18n, lang, &words, 41, 999);
            // The HTML source is longer than what Telegram counts; bounding it bounds both.
            assert!(utf16_len(&text) <= TEXT_LIMIT, "{}", utf16_len(&text));
            assert!(text.contains("42") && text.contains("125"), "page 42 of 125: {text}");
            assert!(text.contains("&lt;s&gt; &amp;"), "stored text is escaped");
        }
    }

    #[test]
    fn an_empty_list_says_how_to_save_words_and_pages_are_counted_up() {
        let i18n = I18n::new();
        assert!(!page_text(&i18n, Lang::En, &[], 0, 0).is_empty());
        assert_eq!((pages(0), pages(1), pages(PER_PAGE), pages(PER_PAGE + 1)), (1, 1, 1, 2));
        let one = page_text(&i18n, Lang::En, &[word(1, 1)], 0, 1);
        assert!(one.contains("<b>ž🍺</b> — перевод"), "{one}");
    }
}
