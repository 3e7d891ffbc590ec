//! The emulated tutor's corrections: a small table of typical learner errors
//! (case endings, prepositions, verb forms, agreement, spelling) and of
//! colloquial forms, matched on word boundaries. Categories are the bot's own
//! names, so a strict schema's enum keeps them.

use serde_json::{Value, json};

use super::tutor::Lang;

/// One typical learner error: the wrong phrase (lower case, matched on word
/// boundaries) and its correction.
struct Rule {
    wrong: &'static str,
    right: &'static str,
    category: &'static str,
    en: &'static str,
    ru: &'static str,
}

const LOCATIVE_EN: &str = "After \"v\" (in) Czech uses the locative case.";
const LOCATIVE_RU: &str = "После «v» (в) в чешском используется местный падеж.";
const GENITIVE_EN: &str = "After \"do\" (to) Czech uses the genitive case.";
const GENITIVE_RU: &str = "После «do» (в, до) в чешском используется родительный падеж.";
const VERB_EN: &str = "The verb must be conjugated for the person, not left in the infinitive.";
const VERB_RU: &str = "Глагол нужно спрягать по лицам, а не оставлять в инфинитиве.";
const DIAC_EN: &str = "Diacritics change the word: don't leave out háček and čárka.";
const DIAC_RU: &str = "Диакритика меняет слово: не пропускайте гачек и чарку.";
const PLACE_EN: &str = "Some places take \"na\", not \"v\": na poště, na nádraží, na úřadě.";
const PLACE_RU: &str =
    "С некоторыми местами используется «na», а не «v»: na poště, na nádraží, na úřadě.";
const PAST_EN: &str = "The Czech past needs \"jsem\" in the first person: byl jsem, not já byl.";
const PAST_RU: &str = "В прошедшем времени в 1-м лице нужно «jsem»: byl jsem, а не já byl.";

const RULES: &[Rule] = &[
    Rule {
        wrong: "v praha",
        right: "v Praze",
        category: "case_endings",
        en: LOCATIVE_EN,
        ru: LOCATIVE_RU,
    },
    Rule {
        wrong: "v brno",
        right: "v Brně",
        category: "case_endings",
        en: LOCATIVE_EN,
        ru: LOCATIVE_RU,
    },
    Rule {
        wrong: "v ostrava",
        right: "v Ostravě",
        category: "case_endings",
        en: LOCATIVE_EN,
        ru: LOCATIVE_RU,
    },
    Rule {
        wrong: "v restaurace",
        right: "v restauraci",
        category: "case_endings",
        en: LOCATIVE_EN,
        ru: LOCATIVE_RU,
    },
    Rule {
        wrong: "v česko",
        right: "v Česku",
        category: "case_endings",
        en: LOCATIVE_EN,
        ru: LOCATIVE_RU,
    },
    Rule {
        wrong: "do praha",
        right: "do Prahy",
        category: "case_endings",
        en: GENITIVE_EN,
        ru: GENITIVE_RU,
    },
    Rule {
        wrong: "do brno",
        right: "do Brna",
        category: "case_endings",
        en: GENITIVE_EN,
        ru: GENITIVE_RU,
    },
    Rule { wrong: "já mít", right: "já mám", category: "verb_forms", en: VERB_EN, ru: VERB_RU },
    Rule { wrong: "ty mít", right: "ty máš", category: "verb_forms", en: VERB_EN, ru: VERB_RU },
    Rule { wrong: "on mít", right: "on má", category: "verb_forms", en: VERB_EN, ru: VERB_RU },
    Rule { wrong: "já být", right: "já jsem", category: "verb_forms", en: VERB_EN, ru: VERB_RU },
    Rule {
        wrong: "já chtít", right: "já chci", category: "verb_forms", en: VERB_EN, ru: VERB_RU
    },
    Rule { wrong: "já jít", right: "já jdu", category: "verb_forms", en: VERB_EN, ru: VERB_RU },
    Rule { wrong: "já pít", right: "já piju", category: "verb_forms", en: VERB_EN, ru: VERB_RU },
    Rule {
        wrong: "dobře den",
        right: "dobrý den",
        category: "agreement",
        en: "\"Den\" is a noun, so it takes the adjective \"dobrý\", not the adverb \"dobře\".",
        ru: "«Den» — существительное, поэтому нужно прилагательное «dobrý», а не наречие «dobře».",
    },
    Rule {
        wrong: "dobrý noc",
        right: "dobrou noc",
        category: "agreement",
        en: "\"Noc\" is feminine and the wish is in the accusative: dobrou noc.",
        ru: "«Noc» женского рода, а пожелание стоит в винительном падеже: dobrou noc.",
    },
    Rule {
        wrong: "dobry den", right: "dobrý den", category: "spelling", en: DIAC_EN, ru: DIAC_RU
    },
    Rule { wrong: "dekuji", right: "děkuji", category: "spelling", en: DIAC_EN, ru: DIAC_RU },
    Rule { wrong: "dekuju", right: "děkuju", category: "spelling", en: DIAC_EN, ru: DIAC_RU },
    Rule { wrong: "prosim", right: "prosím", category: "spelling", en: DIAC_EN, ru: DIAC_RU },
    Rule { wrong: "knedliky", right: "knedlíky", category: "spelling", en: DIAC_EN, ru: DIAC_RU },
    Rule { wrong: "cesky", right: "česky", category: "spelling", en: DIAC_EN, ru: DIAC_RU },
    Rule { wrong: "cestina", right: "čeština", category: "spelling", en: DIAC_EN, ru: DIAC_RU },
    Rule {
        wrong: "jak se mas",
        right: "jak se máš",
        category: "spelling",
        en: DIAC_EN,
        ru: DIAC_RU,
    },
    Rule {
        wrong: "v poště",
        right: "na poště",
        category: "prepositions",
        en: PLACE_EN,
        ru: PLACE_RU,
    },
    Rule {
        wrong: "v nádraží",
        right: "na nádraží",
        category: "prepositions",
        en: PLACE_EN,
        ru: PLACE_RU,
    },
    Rule { wrong: "já byl", right: "byl jsem", category: "verb_forms", en: PAST_EN, ru: PAST_RU },
];

/// Colloquial forms (obecná čeština): a register note where the prompt asks for notes, and a
/// mistake of their grammatical kind (`category`) where the learner practises standard Czech.
const COLLOQUIAL: &[Rule] = &[
    Rule {
        wrong: "velkej",
        right: "velký",
        category: "case_endings",
        en: "\"Velkej\" is colloquial Prague Czech; standard (written, formal) Czech says \"velký\".",
        ru: "«Velkej» — разговорная пражская форма; в литературном чешском — «velký».",
    },
    Rule {
        wrong: "vokno",
        right: "okno",
        category: "vocabulary",
        en: "The \"v\" before \"o\" is colloquial; standard Czech says \"okno\".",
        ru: "«V» перед «o» — разговорное; в литературном чешском — «okno».",
    },
    Rule {
        wrong: "sem byl",
        right: "byl jsem",
        category: "verb_forms",
        en: "\"Sem\" for \"jsem\" is colloquial; standard Czech says \"byl jsem\".",
        ru: "«Sem» вместо «jsem» — разговорное; в литературном чешском — «byl jsem».",
    },
];

/// A detected mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mistake {
    /// As the learner wrote it (original capitalisation).
    pub original: String,
    pub corrected: String,
    pub explanation: String,
    pub category: String,
}

impl Mistake {
    pub fn to_json(&self) -> Value {
        json!({
            "original": self.original, "corrected": self.corrected,
            "explanation": self.explanation, "category": self.category,
        })
    }
}

/// Finds the tables' mistakes in `text` (case-insensitive, whole words,
/// longest match first) and returns the corrected text with them. Colloquial
/// forms are register notes (category "register") when `notes`, otherwise
/// mistakes of their grammatical kind.
pub fn check(text: &str, lang: Lang, notes: bool) -> (String, Vec<Mistake>) {
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = chars.iter().map(|c| c.to_lowercase().next().unwrap_or(*c)).collect();
    let mut rules: Vec<&Rule> = RULES.iter().chain(COLLOQUIAL).collect();
    rules.sort_by_key(|r| std::cmp::Reverse(r.wrong.chars().count()));
    let word = |i: usize| lower.get(i).is_some_and(|c| c.is_alphanumeric());
    let mut corrected = String::with_capacity(text.len());
    let mut mistakes = Vec::new();
    let mut i = 0;
    'outer: while i < chars.len() {
        if i == 0 || !word(i - 1) {
            for r in &rules {
                let pat: Vec<char> = r.wrong.chars().collect();
                if lower[i..].starts_with(&pat) && !word(i + pat.len()) {
                    let original: String = chars[i..i + pat.len()].iter().collect();
                    let mut right = r.right.to_owned();
                    if chars[i].is_uppercase() {
                        right = capitalise(&right);
                    }
                    corrected.push_str(&right);
                    mistakes.push(Mistake {
                        original,
                        corrected: right,
                        explanation: lang.pick(r.en, r.ru).to_owned(),
                        category: if notes && is_colloquial(r) {
                            "register".to_owned()
                        } else {
                            r.category.to_owned()
                        },
                    });
                    i += pat.len();
                    continue 'outer;
                }
            }
        }
        corrected.push(chars[i]);
        i += 1;
    }
    (corrected, mistakes)
}

fn is_colloquial(r: &Rule) -> bool {
    COLLOQUIAL.iter().any(|c| std::ptr::eq(c, r))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// 100 minus 15 per mistake, never below 20.
pub fn score(mistakes: usize) -> u32 {
    100u32.saturating_sub(15 * mistakes as u32).max(20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_case_after_v_is_one_case_ending_mistake() {
        let (corrected, mistakes) = check("Já jsem byl v Praha včera", Lang::English, false);
        assert_eq!(corrected, "Já jsem byl v Praze včera");
        assert_eq!(mistakes.len(), 1);
        assert_eq!(mistakes[0].original, "v Praha");
        assert_eq!(mistakes[0].corrected, "v Praze");
        assert_eq!(mistakes[0].category, "case_endings");
        assert_eq!(score(1), 85);
    }

    #[test]
    fn several_mistakes_are_found_and_capitalisation_is_kept() {
        let (corrected, mistakes) =
            check("Dobře den! Já mít knedliky, dekuji.", Lang::English, false);
        assert_eq!(corrected, "Dobrý den! Já mám knedlíky, děkuji.");
        let cats: Vec<&str> = mistakes.iter().map(|m| m.category.as_str()).collect();
        assert_eq!(cats, ["agreement", "verb_forms", "spelling", "spelling"]);
        assert_eq!(score(mistakes.len()), 40);
        assert_eq!(score(9), 20);
    }

    #[test]
    fn prepositions_and_the_past_without_jsem_have_their_own_kinds() {
        let (corrected, mistakes) = check("Já byl v poště.", Lang::English, false);
        assert_eq!(corrected, "Byl jsem na poště.");
        let cats: Vec<&str> = mistakes.iter().map(|m| m.category.as_str()).collect();
        assert_eq!(cats, ["verb_forms", "prepositions"]);
    }

    #[test]
    fn colloquial_forms_are_notes_only_when_asked_for() {
        let (_, standard) = check("To je velkej dům.", Lang::English, false);
        assert_eq!(standard[0].category, "case_endings");
        let (corrected, notes) = check("To je velkej dům.", Lang::English, true);
        assert_eq!(corrected, "To je velký dům.");
        assert_eq!(
            (notes[0].original.as_str(), notes[0].category.as_str()),
            ("velkej", "register")
        );
    }

    #[test]
    fn correct_czech_and_words_containing_a_pattern_are_not_mistakes() {
        for text in
            ["Byl jsem v Praze a v Brně.", "Jdu do restaurace.", "Prosím, děkuji.", "Kuprosim"]
        {
            let (corrected, mistakes) = check(text, Lang::English, false);
            assert!(mistakes.is_empty(), "{text}: {mistakes:?}");
            assert_eq!(corrected, text);
        }
    }
}
