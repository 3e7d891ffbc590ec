//! The kinds of mistakes Honzík names, counted in `/stats` and practised by steering the talk.
//!
//! The list follows what Russian and Ukrainian speakers actually get wrong in Czech: case
//! endings, prepositions (v/na/do), verb forms ("já byl" for "byl jsem"), agreement, aspect —
//! not only what a spelling checker sees. Anything filed under "other" is never practised, so
//! the list is wide enough that little lands there. [`MistakeCategory::Register`] is the odd one
//! out: colloquial Czech is a note, never a mistake (see `tutor::sift`).
//!
//! The names are a stable wire format (the reply schema's enum, stored rows, locale keys
//! `mistake-category-*`): renaming a variant must not change its string.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One kind of mistake, serialized as its snake_case name. Deserialization is tolerant
/// ([`MistakeCategory::normalize`]) so stored or model-produced variants never fail a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MistakeCategory {
    CaseEndings,
    /// v/na/do/k and friends: which preposition, not the case after it.
    Prepositions,
    /// Conjugation, tense, the past with its auxiliary ("byl jsem", not "já byl").
    VerbForms,
    /// Adjectives, pronouns and past participles agreeing with their noun.
    Agreement,
    Gender,
    VerbAspect,
    WordOrder,
    Vocabulary,
    /// Spelling, including diacritics (háčky a čárky) and capitals.
    Spelling,
    /// i/y after the "vyjmenovaná slova" consonants.
    VyjmenovanaSlova,
    /// Colloquial Czech (obecná čeština: velkej, vokno, sem byl): a note on register, not a
    /// mistake — shown, never scored, stored or practised.
    Register,
    Other,
}

impl MistakeCategory {
    pub const ALL: [MistakeCategory; 12] = [
        Self::CaseEndings,
        Self::Prepositions,
        Self::VerbForms,
        Self::Agreement,
        Self::Gender,
        Self::VerbAspect,
        Self::WordOrder,
        Self::Vocabulary,
        Self::Spelling,
        Self::VyjmenovanaSlova,
        Self::Register,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CaseEndings => "case_endings",
            Self::Prepositions => "prepositions",
            Self::VerbForms => "verb_forms",
            Self::Agreement => "agreement",
            Self::Gender => "gender",
            Self::VerbAspect => "verb_aspect",
            Self::WordOrder => "word_order",
            Self::Vocabulary => "vocabulary",
            Self::Spelling => "spelling",
            Self::VyjmenovanaSlova => "vyjmenovana_slova",
            Self::Register => "register",
            Self::Other => "other",
        }
    }

    /// A note on register rather than a mistake: shown, never scored, stored or counted.
    pub fn is_note(self) -> bool {
        self == Self::Register
    }

    /// About how Czech is written, not how it sounds: on a spoken turn it is the transcriber's
    /// doing, not the learner's (i/y sound the same; the transcriber chooses the spelling).
    pub fn is_orthographic(self) -> bool {
        matches!(self, Self::Spelling | Self::VyjmenovanaSlova)
    }

    /// Something Honzík can steer the conversation to: a real kind of mistake with a name.
    /// "Other" says nothing he could practise, and register is not a mistake.
    pub fn is_practised(self) -> bool {
        !matches!(self, Self::Other | Self::Register)
    }

    /// Maps whatever the model wrote ("Case endings", "pády", "diacritics", "slovosled",
    /// "word choice", "предлог", …) onto the fixed list; unknown → `Other`.
    pub fn normalize(raw: &str) -> MistakeCategory {
        let lower = raw.trim().to_lowercase();
        if let Some(exact) = Self::ALL.into_iter().find(|c| c.as_str() == lower) {
            return exact;
        }
        let words: Vec<&str> =
            lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        let has = |stems: &[&str]| words.iter().any(|w| stems.iter().any(|s| w.starts_with(s)));
        let phrase = |p: &str| lower.contains(p);
        // Order matters: the more specific kinds are checked first ("verb aspect" must not
        // become a verb form, "gender agreement" is gender, "word order" not vocabulary).
        if has(&["register", "colloquial", "obecn", "hovorov", "informal", "разговорн", "розмовн"])
        {
            Self::Register
        } else if has(&["vyjmenovan", "vyjmenovaná"]) || phrase("i/y") {
            Self::VyjmenovanaSlova
        } else if has(&["aspect", "vid", "вид"]) {
            Self::VerbAspect
        } else if has(&["gender", "rod", "род", "рід"]) {
            Self::Gender
        } else if has(&[
            "verb",
            "conjugat",
            "tense",
            "auxiliar",
            "časován",
            "casovan",
            "sloves",
            "спряж",
            "глагол",
            "дієвідм",
            "дієсл",
        ]) {
            Self::VerbForms
        } else if has(&["agreement", "agree", "concord", "shod", "согласов", "узгодж"])
        {
            Self::Agreement
        } else if phrase("word order") || has(&["slovosled", "order", "порядок", "syntax"]) {
            Self::WordOrder
        } else if has(&[
            "diacritic",
            "spelling",
            "orthograph",
            "pravopis",
            "typo",
            "accent",
            "háč",
            "čárk",
            "capital",
            "punctuat",
            "орфограф",
            "правопис",
        ]) {
            Self::Spelling
        } else if has(&[
            "case",
            "pád",
            "pad",
            "declension",
            "ending",
            "skloň",
            "sklon",
            "падеж",
            "відмін",
        ]) {
            Self::CaseEndings
        } else if has(&["preposit", "předložk", "predlozk", "предлог", "прийменник"])
        {
            Self::Prepositions
        } else if phrase("word choice")
            || phrase("slovní zásob")
            || has(&["vocab", "lexis", "lexic", "лексик", "wording"])
        {
            Self::Vocabulary
        } else {
            Self::Other
        }
    }
}

impl Serialize for MistakeCategory {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MistakeCategory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Ok(MistakeCategory::normalize(&raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn categories_are_normalised_from_free_text() {
        use MistakeCategory::*;
        let cases = [
            ("case", CaseEndings),
            ("pády", CaseEndings),
            ("declension", CaseEndings),
            ("Case endings", CaseEndings),
            ("case_endings", CaseEndings),
            ("wrong case after a preposition", CaseEndings),
            ("preposition", Prepositions),
            ("Předložky", Prepositions),
            ("предлог", Prepositions),
            ("прийменник", Prepositions),
            ("verb conjugation", VerbForms),
            ("past tense", VerbForms),
            ("časování", VerbForms),
            ("auxiliary verb", VerbForms),
            ("спряжение глагола", VerbForms),
            ("agreement", Agreement),
            ("shoda", Agreement),
            ("согласование", Agreement),
            ("diacritics", Spelling),
            ("spelling", Spelling),
            ("Pravopis", Spelling),
            ("punctuation", Spelling),
            ("vyjmenovaná slova", VyjmenovanaSlova),
            ("Vyjmenovana slova", VyjmenovanaSlova),
            ("aspect", VerbAspect),
            ("verb aspect", VerbAspect),
            ("vid", VerbAspect),
            ("вид глагола", VerbAspect),
            ("gender", Gender),
            ("rod", Gender),
            ("grammatical gender", Gender),
            ("gender agreement", Gender),
            ("word order", WordOrder),
            ("slovosled", WordOrder),
            ("word_order", WordOrder),
            ("vocabulary", Vocabulary),
            ("lexis", Vocabulary),
            ("word choice", Vocabulary),
            ("register", Register),
            ("colloquial form", Register),
            ("obecná čeština", Register),
            ("pronunciation", Other),
            ("", Other),
            ("other", Other),
        ];
        for (raw, want) in cases {
            assert_eq!(MistakeCategory::normalize(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn every_name_round_trips_and_names_are_unique() {
        let names: std::collections::HashSet<&str> =
            MistakeCategory::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), MistakeCategory::ALL.len());
        for c in MistakeCategory::ALL {
            assert_eq!(MistakeCategory::normalize(c.as_str()), c);
            assert_eq!(serde_json::to_value(c).unwrap(), json!(c.as_str()));
        }
    }

    #[test]
    fn register_is_a_note_and_neither_it_nor_other_is_practised() {
        use MistakeCategory::*;
        let notes: Vec<_> = MistakeCategory::ALL.into_iter().filter(|c| c.is_note()).collect();
        assert_eq!(notes, [Register]);
        let unpractised: Vec<_> =
            MistakeCategory::ALL.into_iter().filter(|c| !c.is_practised()).collect();
        assert_eq!(unpractised, [Register, Other]);
        let written: Vec<_> =
            MistakeCategory::ALL.into_iter().filter(|c| c.is_orthographic()).collect();
        assert_eq!(written, [Spelling, VyjmenovanaSlova]);
    }

    #[test]
    fn every_category_is_documented() {
        let doc = include_str!("../../docs/categories.md");
        for c in MistakeCategory::ALL {
            assert!(
                doc.contains(&format!("| `{}` |", c.as_str())),
                "{} in docs/categories.md",
                c.as_str()
            );
        }
    }

    #[test]
    fn a_stored_mistake_with_an_odd_category_still_deserializes() {
        let c: MistakeCategory = serde_json::from_value(json!("Pády")).unwrap();
        assert_eq!(c, MistakeCategory::CaseEndings);
        assert_eq!(serde_json::to_value(c).unwrap(), "case_endings");
    }
}
