//! What of a reply's corrections the learner actually gets: sifted once, before the reply is
//! shown, stored or counted, so all three agree.
//!
//! - On a spoken turn the text is the transcriber's: its spelling, diacritics, capitals and
//!   punctuation are not the learner's. The prompt says so, but models still "correct" them, and
//!   such a correction would be stored, counted in the trends and drilled in review as the
//!   learner's spelling mistake. [`transcriber_only`] recognises them and they are dropped.
//! - Register notes (colloquial forms) stay in the reply to be shown, but count apart from the
//!   mistakes: never against the level's limit, never stored (`store::answer`).
//! - The level decides how many corrections a turn shows ([`LevelPolicy::corrections_shown`]);
//!   the model lists the most important first, so the first ones are kept.

use super::levels::LevelPolicy;
use super::reply::{HonzikReply, Mistake};

/// Register notes kept per turn: enough to show how Prague talks, not a lecture.
pub const MAX_NOTES: usize = 3;

/// Points given back per correction of the transcriber's spelling: the score must not punish
/// what was dropped, and the model does not say what it deducted, so this is the deduction
/// `parse_reply` assumes when it derives a missing score (10 points a mistake).
pub const POINTS_PER_DROPPED: u8 = 10;

/// `reply` as the learner gets it: on a `spoken` turn without the transcriber's spelling (and
/// its points back), then at most the level's number of mistakes and [`MAX_NOTES`] notes, in the
/// model's order.
pub fn sift(mut reply: HonzikReply, spoken: bool, policy: &LevelPolicy) -> HonzikReply {
    let (mut mistakes, mut notes, mut dropped) = (0usize, 0usize, 0u8);
    reply.mistakes.retain(|m| {
        if spoken && transcriber_only(m) {
            dropped = dropped.saturating_add(1);
            return false;
        }
        let count = if m.category.is_note() { &mut notes } else { &mut mistakes };
        let limit = if m.category.is_note() { MAX_NOTES } else { policy.corrections_shown };
        *count += 1;
        *count <= limit
    });
    let back = dropped.saturating_mul(POINTS_PER_DROPPED);
    reply.correctness_score = reply.correctness_score.saturating_add(back).min(100);
    reply
}

/// The mistakes to store and count: everything but the register notes.
pub fn mistakes(reply: &HonzikReply) -> impl Iterator<Item = &Mistake> {
    reply.mistakes.iter().filter(|m| !m.category.is_note())
}

/// The register notes to show apart from the mistakes.
pub fn notes(reply: &HonzikReply) -> impl Iterator<Item = &Mistake> {
    reply.mistakes.iter().filter(|m| m.category.is_note())
}

/// Whether a correction of transcribed speech only changes how it is written: it is filed as
/// spelling or i/y (which sound the same), or the two fragments are equal once case,
/// diacritics, i/y and punctuation are folded away ("dekuji" → "děkuji", "praha" → "Praha",
/// "ahoj jak se mas" → "Ahoj, jak se máš?"). A real mistake changes a sound: "v Praha" →
/// "v Praze", "já byl" → "byl jsem", "dobře den" → "dobrý den".
pub fn transcriber_only(m: &Mistake) -> bool {
    m.category.is_orthographic() || fold(&m.original) == fold(&m.corrected)
}

/// Lower case, without diacritics, i/y merged, words separated by single spaces and no
/// punctuation: what speech leaves of a written fragment.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase).map(plain));
    }
    out
}

/// A Czech letter without its háček or čárka (and y as i: the two are one sound).
fn plain(c: char) -> char {
    match c {
        'á' => 'a',
        'č' => 'c',
        'ď' => 'd',
        'é' | 'ě' => 'e',
        'í' | 'y' | 'ý' => 'i',
        'ň' => 'n',
        'ó' => 'o',
        'ř' => 'r',
        'š' => 's',
        'ť' => 't',
        'ú' | 'ů' => 'u',
        'ž' => 'z',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Level;
    use crate::tutor::category::MistakeCategory;
    use crate::tutor::levels::policy;
    use MistakeCategory::*;

    fn m(original: &str, corrected: &str, category: MistakeCategory) -> Mistake {
        Mistake {
            original: original.into(),
            corrected: corrected.into(),
            explanation: String::new(),
            category,
        }
    }

    fn reply(mistakes: Vec<Mistake>) -> HonzikReply {
        HonzikReply {
            honzik_response: "Ahoj!".into(),
            translation: String::new(),
            corrected_text: String::new(),
            mistakes,
            correctness_score: 80,
            suggestion: String::new(),
            new_words: Vec::new(),
            scene: None,
        }
    }

    #[test]
    fn diacritics_case_and_punctuation_are_the_transcribers_whatever_the_category() {
        for (original, corrected, category) in [
            ("dekuji", "děkuji", Spelling),
            ("dobry den", "dobrý den", Agreement),
            ("praha", "Praha", Other),
            ("ahoj jak se mas", "Ahoj, jak se máš?", Spelling),
            ("prosim", "prosím", Vocabulary),
            ("Ceska republika", "Česká republika", CaseEndings),
            ("mile", "milé", Other),
            ("bil jsem doma", "byl jsem doma", VyjmenovanaSlova),
            ("mliko", "mlíko", Register),
        ] {
            assert!(
                transcriber_only(&m(original, corrected, category)),
                "{original} → {corrected} is only spelling"
            );
        }
    }

    #[test]
    fn a_correction_that_changes_a_sound_is_the_learners() {
        for (original, corrected, category) in [
            ("v Praha", "v Praze", CaseEndings),
            ("já byl", "byl jsem", VerbForms),
            ("dobře den", "dobrý den", Agreement),
            ("v poště", "na poště", Prepositions),
            ("mám ráda", "mám rád", Gender),
            ("udělám to zítra vždycky", "dělám to vždycky", VerbAspect),
            ("velkej", "velký", Register),
            ("jsem byl", "byl jsem", WordOrder),
        ] {
            assert!(
                !transcriber_only(&m(original, corrected, category)),
                "{original} → {corrected} is a real mistake"
            );
        }
    }

    #[test]
    fn spelling_and_i_y_are_never_the_speakers() {
        // Filed as spelling or i/y, they are about writing even when more than accents changed.
        assert!(transcriber_only(&m("vokno", "okno", Spelling)));
        assert!(transcriber_only(&m("mi jsme", "my jsme", VyjmenovanaSlova)));
    }

    #[test]
    fn a_spoken_turn_loses_the_transcribers_spelling_and_a_typed_one_keeps_it() {
        let r = reply(vec![m("dekuji", "děkuji", Spelling), m("v Praha", "v Praze", CaseEndings)]);
        let advanced = policy(Level::Advanced);
        let spoken = sift(r.clone(), true, advanced);
        assert_eq!(spoken.mistakes, [m("v Praha", "v Praze", CaseEndings)]);
        let typed = sift(r.clone(), false, advanced);
        assert_eq!(typed.mistakes, r.mistakes);
        assert_eq!(typed.correctness_score, 80, "a typed turn keeps the model's score");
        assert_eq!(spoken.correctness_score, 90, "the dropped correction's points come back");
        let mut low = r.clone();
        low.correctness_score = 95;
        low.mistakes = vec![m("dekuji", "děkuji", Spelling); 3];
        assert_eq!(sift(low, true, advanced).correctness_score, 100, "never above 100");
    }

    #[test]
    fn a_beginner_gets_the_first_two_mistakes_and_every_note_up_to_three() {
        let r = reply(vec![
            m("v Praha", "v Praze", CaseEndings),
            m("velkej", "velký", Register),
            m("já byl", "byl jsem", VerbForms),
            m("v poště", "na poště", Prepositions),
            m("vokno", "okno", Register),
            m("sem byl", "byl jsem", Register),
            m("mlíko", "mléko", Register),
        ]);
        let out = sift(r, false, policy(Level::Beginner));
        let kept: Vec<&str> = mistakes(&out).map(|m| m.original.as_str()).collect();
        assert_eq!(kept, ["v Praha", "já byl"]);
        let noted: Vec<&str> = notes(&out).map(|m| m.original.as_str()).collect();
        assert_eq!(noted, ["velkej", "vokno", "sem byl"]);
    }

    #[test]
    fn nothing_to_sift_leaves_the_reply_as_it_was() {
        let r = reply(vec![m("v Praha", "v Praze", CaseEndings)]);
        for level in Level::ALL {
            for spoken in [false, true] {
                assert_eq!(sift(r.clone(), spoken, policy(level)), r, "{level:?} {spoken}");
            }
        }
    }
}
