//! What a level changes, as data: one [`LevelPolicy`] per level.
//!
//! The level is self-reported, so it has to mean something visible: how long and how rich
//! Honzík's Czech is, how many corrections a turn shows (a beginner drowning in ten corrections
//! learns nothing; an advanced learner wants all of them, style included), how deep the
//! explanations go, how fast he speaks by default, whether the translation is offered and which
//! register he uses. The prompt (`tutor::persona`), the sifting of a reply (`tutor::sift`), the
//! rendering (`bot::render`) and the learner's defaults (`store::learners`) all read this one
//! table, and `docs/levels.md` is checked against it, so the documentation cannot drift.

use crate::settings::{Level, Register, VoiceSpeed};
use crate::tutor::reply::MAX_MISTAKES;

/// How deep an explanation of a mistake goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Explanation {
    /// A few words, no grammar terms.
    Brief,
    /// One sentence naming the rule.
    Rule,
    /// The rule with a second example; nuance and style included.
    Full,
}

impl Explanation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Brief => "brief",
            Self::Rule => "rule",
            Self::Full => "full",
        }
    }
}

/// How the translation of Honzík's reply is offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Translation {
    /// Under a spoiler: listen first, then check.
    Spoiler,
    /// Not asked for (saves the tokens) and not shown.
    None,
}

impl Translation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spoiler => "spoiler",
            Self::None => "none",
        }
    }
}

/// Everything a level changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelPolicy {
    pub level: Level,
    /// The CEFR levels it stands for, as the learner knows them.
    pub cefr: &'static str,
    /// Honzík's reply length in sentences (fewest, most).
    pub sentences: (u8, u8),
    /// What his Czech may use, as told to the model.
    pub vocabulary: &'static str,
    /// Most corrections shown (and stored) per turn, the most important first.
    pub corrections_shown: usize,
    /// Whether unnatural but correct wording and style are corrected too.
    pub style_corrections: bool,
    pub explanation: Explanation,
    /// Honzík's speech speed until the learner picks one (`/voice_speed`).
    pub voice_speed: VoiceSpeed,
    pub translation: Translation,
    /// The register until the learner picks one (`/register`).
    pub register: Register,
    /// Colloquial forms are register notes whatever the register: an advanced learner knows
    /// standard Czech and should hear how Prague really talks.
    pub colloquial_is_note: bool,
}

/// The table, in [`Level::ALL`] order.
pub const POLICIES: [LevelPolicy; 4] = [
    LevelPolicy {
        level: Level::Beginner,
        cefr: "A1–A2",
        sentences: (1, 2),
        vocabulary: "basic everyday words, mostly present tense; no slang, no idioms",
        corrections_shown: 2,
        style_corrections: false,
        explanation: Explanation::Brief,
        voice_speed: VoiceSpeed::Slow,
        translation: Translation::Spoiler,
        register: Register::Spisovna,
        colloquial_is_note: false,
    },
    LevelPolicy {
        level: Level::Intermediate,
        cefr: "B1–B2",
        sentences: (2, 4),
        vocabulary: "everyday vocabulary; past and future tenses and common idioms",
        corrections_shown: 5,
        style_corrections: false,
        explanation: Explanation::Rule,
        voice_speed: VoiceSpeed::Normal,
        translation: Translation::Spoiler,
        register: Register::Spisovna,
        colloquial_is_note: false,
    },
    LevelPolicy {
        level: Level::Advanced,
        cefr: "C1",
        sentences: (3, 5),
        vocabulary: "rich vocabulary, idioms, nuance and opinions",
        corrections_shown: MAX_MISTAKES,
        style_corrections: true,
        explanation: Explanation::Full,
        voice_speed: VoiceSpeed::Normal,
        translation: Translation::None,
        register: Register::Spisovna,
        colloquial_is_note: true,
    },
    LevelPolicy {
        level: Level::Native,
        cefr: "C2",
        sentences: (3, 5),
        vocabulary: "natural Prague Czech with idioms and humour",
        corrections_shown: MAX_MISTAKES,
        style_corrections: true,
        explanation: Explanation::Full,
        voice_speed: VoiceSpeed::Native,
        translation: Translation::None,
        register: Register::Obecna,
        colloquial_is_note: true,
    },
];

/// The policy of `level`.
pub fn policy(level: Level) -> &'static LevelPolicy {
    let i = Level::ALL.iter().position(|l| *l == level).unwrap_or(0);
    &POLICIES[i]
}

impl LevelPolicy {
    /// Whether a colloquial form is a note (not a mistake) for a learner of this level who
    /// speaks `register`.
    pub fn colloquial_notes(&self, register: Register) -> bool {
        self.colloquial_is_note || register == Register::Obecna
    }
}

/// The table as Markdown rows (`docs/levels.md` holds exactly these between its markers).
pub fn markdown_table() -> String {
    let mut s = String::from(
        "| Level | CEFR | Reply | Vocabulary | Corrections shown | Style corrected | Explanations | Voice speed | Translation | Register | Colloquial forms |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for p in &POLICIES {
        let shown = if p.corrections_shown >= MAX_MISTAKES {
            format!("all (up to {MAX_MISTAKES})")
        } else {
            format!("the {} that matter most", p.corrections_shown)
        };
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        s.push_str(&format!(
            "| {} | {} | {}–{} sentences | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            p.level.as_str(),
            p.cefr,
            p.sentences.0,
            p.sentences.1,
            p.vocabulary,
            shown,
            yes_no(p.style_corrections),
            p.explanation.as_str(),
            p.voice_speed.as_str(),
            p.translation.as_str(),
            p.register.as_str(),
            if p.colloquial_is_note { "notes" } else { "notes under obecná only" },
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_is_one_policy_per_level_in_level_order() {
        let levels: Vec<Level> = POLICIES.iter().map(|p| p.level).collect();
        assert_eq!(levels, Level::ALL);
        for l in Level::ALL {
            assert_eq!(policy(l).level, l);
        }
    }

    #[test]
    fn the_higher_the_level_the_more_honzik_says_and_corrects() {
        for w in POLICIES.windows(2) {
            assert!(w[0].sentences.1 <= w[1].sentences.1, "{:?}", w[1].level);
            assert!(w[0].corrections_shown <= w[1].corrections_shown, "{:?}", w[1].level);
            assert!(w[0].voice_speed.factor() <= w[1].voice_speed.factor(), "{:?}", w[1].level);
        }
        assert!(policy(Level::Beginner).corrections_shown <= 2, "beginners see one or two");
        assert_eq!(policy(Level::Advanced).corrections_shown, MAX_MISTAKES, "advanced see all");
        assert!(policy(Level::Advanced).style_corrections);
    }

    #[test]
    fn colloquial_forms_are_notes_under_obecna_or_from_advanced_on() {
        let b = policy(Level::Beginner);
        assert!(!b.colloquial_notes(Register::Spisovna));
        assert!(b.colloquial_notes(Register::Obecna));
        assert!(policy(Level::Advanced).colloquial_notes(Register::Spisovna));
    }

    /// With `UPDATE_DOCS=1` the table is written into `docs/levels.md` first.
    #[test]
    fn the_documented_table_is_the_table_in_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/levels.md");
        let (begin, end) = ("<!-- levels:begin -->\n", "<!-- levels:end -->");
        let doc = std::fs::read_to_string(path).expect("docs/levels.md");
        let start = doc.find(begin).expect("docs/levels.md has the begin marker") + begin.len();
        let stop = doc.find(end).expect("docs/levels.md has the end marker");
        if std::env::var_os("UPDATE_DOCS").is_some() {
            let updated = format!("{}{}{}", &doc[..start], markdown_table(), &doc[stop..]);
            std::fs::write(path, updated).expect("docs/levels.md is writable");
            return;
        }
        assert_eq!(
            &doc[start..stop],
            markdown_table(),
            "docs/levels.md is out of date: UPDATE_DOCS=1 cargo test -p mluvme --lib tutor::levels"
        );
    }
}
