//! Deterministic fake Honzík: what the chat-completions emulator answers.
//!
//! The reply follows the bot's tutor contract (a JSON object with
//! `honzik_response`, `translation`, `corrected_text`, `mistakes`,
//! `correctness_score`, `suggestion`, `new_words`) and depends only on the
//! conversation, so tests can predict it: mistakes come from a small table
//! of typical learner errors, the reply text from the topic of the last
//! learner message (or a stable hash of it).

use serde_json::{Value, json};

/// Language of `translation`, explanations and tips, chosen from a hint in
/// the system prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    English,
    Russian,
}

impl Lang {
    /// Russian if the system prompt mentions Russian (in English, Czech or
    /// Russian, or as the code "ru"), otherwise English.
    pub fn from_system_prompt(system: &str) -> Self {
        let s = system.to_lowercase();
        let hints = [
            "russian",
            "русск",
            "rusky",
            "ruštin",
            "ruštině",
            "language: ru",
            "\"ru\"",
            "'ru'",
            "lang=ru",
        ];
        if hints.iter().any(|h| s.contains(h)) { Lang::Russian } else { Lang::English }
    }

    fn pick<'a>(self, en: &'a str, ru: &'a str) -> &'a str {
        match self {
            Lang::English => en,
            Lang::Russian => ru,
        }
    }
}

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

const RULES: &[Rule] = &[
    Rule {
        wrong: "v praha",
        right: "v Praze",
        category: "case_ending",
        en: LOCATIVE_EN,
        ru: LOCATIVE_RU,
    },
    Rule {
        wrong: "v brno",
        right: "v Brně",
        category: "case_ending",
        en: LOCATIVE_EN,
        ru: LOCATIVE_RU,
    },
    Rule {
        wrong: "v ostrava",
        right: "v Ostravě",
        category: "case_ending",
        en: LOCATIVE_EN,
        ru: LOCATIVE_RU,
    },
    Rule {
        wrong: "v restaurace",
        right: "v restauraci",
        category: "case_ending",
        en: LOCATIVE_EN,
        ru: LOCATIVE_RU,
    },
    Rule {
        wrong: "v česko",
        right: "v Česku",
        category: "case_ending",
        en: LOCATIVE_EN,
        ru: LOCATIVE_RU,
    },
    Rule {
        wrong: "do praha",
        right: "do Prahy",
        category: "case_ending",
        en: GENITIVE_EN,
        ru: GENITIVE_RU,
    },
    Rule {
        wrong: "do brno",
        right: "do Brna",
        category: "case_ending",
        en: GENITIVE_EN,
        ru: GENITIVE_RU,
    },
    Rule {
        wrong: "já mít",
        right: "já mám",
        category: "verb_conjugation",
        en: VERB_EN,
        ru: VERB_RU,
    },
    Rule {
        wrong: "ty mít",
        right: "ty máš",
        category: "verb_conjugation",
        en: VERB_EN,
        ru: VERB_RU,
    },
    Rule {
        wrong: "on mít",
        right: "on má",
        category: "verb_conjugation",
        en: VERB_EN,
        ru: VERB_RU,
    },
    Rule {
        wrong: "já být",
        right: "já jsem",
        category: "verb_conjugation",
        en: VERB_EN,
        ru: VERB_RU,
    },
    Rule {
        wrong: "já chtít",
        right: "já chci",
        category: "verb_conjugation",
        en: VERB_EN,
        ru: VERB_RU,
    },
    Rule {
        wrong: "já jít",
        right: "já jdu",
        category: "verb_conjugation",
        en: VERB_EN,
        ru: VERB_RU,
    },
    Rule {
        wrong: "já pít",
        right: "já piju",
        category: "verb_conjugation",
        en: VERB_EN,
        ru: VERB_RU,
    },
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
        wrong: "dobry den",
        right: "dobrý den",
        category: "diacritics",
        en: DIAC_EN,
        ru: DIAC_RU,
    },
    Rule { wrong: "dekuji", right: "děkuji", category: "diacritics", en: DIAC_EN, ru: DIAC_RU },
    Rule { wrong: "dekuju", right: "děkuju", category: "diacritics", en: DIAC_EN, ru: DIAC_RU },
    Rule { wrong: "prosim", right: "prosím", category: "diacritics", en: DIAC_EN, ru: DIAC_RU },
    Rule {
        wrong: "knedliky", right: "knedlíky", category: "diacritics", en: DIAC_EN, ru: DIAC_RU
    },
    Rule { wrong: "cesky", right: "česky", category: "diacritics", en: DIAC_EN, ru: DIAC_RU },
    Rule { wrong: "cestina", right: "čeština", category: "diacritics", en: DIAC_EN, ru: DIAC_RU },
    Rule {
        wrong: "jak se mas",
        right: "jak se máš",
        category: "diacritics",
        en: DIAC_EN,
        ru: DIAC_RU,
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

/// Finds the table's mistakes in `text` (case-insensitive, whole words,
/// longest match first) and returns the corrected text with them.
pub fn check(text: &str, lang: Lang) -> (String, Vec<Mistake>) {
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = chars.iter().map(|c| c.to_lowercase().next().unwrap_or(*c)).collect();
    let mut rules: Vec<&Rule> = RULES.iter().collect();
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
                        category: r.category.to_owned(),
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

/// Honzík's line for one topic: Czech, English, Russian, new words
/// (Czech, English, Russian).
struct Line {
    keys: &'static [&'static str],
    cs: &'static str,
    en: &'static str,
    ru: &'static str,
    words: &'static [(&'static str, &'static str, &'static str)],
}

const LINES: &[Line] = &[
    Line {
        keys: &["kund", "knih", "čte", "čtu", "čtení", "film"],
        cs: "Kundera je skvělý spisovatel! Já čtu hlavně o hokeji, ale v Praze je spousta krásných knihoven. Co čteš teď?",
        en: "Kundera is a great writer! I mostly read about hockey, but Prague has lots of beautiful libraries. What are you reading now?",
        ru: "Кундера — отличный писатель! Я читаю в основном про хоккей, но в Праге много красивых библиотек. Что ты сейчас читаешь?",
        words: &[("spisovatel", "writer", "писатель"), ("knihovna", "library", "библиотека")],
    },
    Line {
        keys: &["knedl", "jídl", "restaura", "objedn", "svíčkov", "guláš", "hlad"],
        cs: "Mňam! Knedlíky se svíčkovou jsou nejlepší jídlo na světě. V Praze znám skvělou hospodu, dáme si tam i pivo.",
        en: "Yum! Dumplings with svíčková are the best food in the world. I know a great pub in Prague, we'll have a beer there too.",
        ru: "Ням! Кнедлики со свичковой — лучшая еда в мире. Я знаю отличную пивную в Праге, выпьем там и пива.",
        words: &[("hospoda", "pub", "пивная"), ("nejlepší", "the best", "лучший")],
    },
    Line {
        keys: &["pivo", "piv", "plzeň", "hospod"],
        cs: "Pivo je v Česku skoro svaté! Nejraději mám plzeňské. Piješ raději světlé, nebo tmavé?",
        en: "Beer is almost sacred in Czechia! I like Pilsner best. Do you prefer lager or dark beer?",
        ru: "Пиво в Чехии почти святое! Больше всего люблю пльзеньское. Ты предпочитаешь светлое или тёмное?",
        words: &[
            ("světlé pivo", "lager", "светлое пиво"),
            ("tmavé pivo", "dark beer", "тёмное пиво"),
        ],
    },
    Line {
        keys: &["hokej", "zápas", "sport", "fotbal"],
        cs: "Hokej je naše národní vášeň! Fandíš Spartě, nebo Slavii? Po zápase jdeme na pivo.",
        en: "Hockey is our national passion! Do you support Sparta or Slavia? After the match we go for a beer.",
        ru: "Хоккей — наша национальная страсть! Ты болеешь за Спарту или за Славию? После матча идём на пиво.",
        words: &[("fandit", "to cheer for", "болеть за"), ("zápas", "match", "матч")],
    },
    Line {
        keys: &["praha", "praze", "prahy", "prahu", "most", "brn", "ostrav"],
        cs: "Praha je krásná! Byl jsi už na Karlově mostě? Po procházce si dáme knedlíky a pivo.",
        en: "Prague is beautiful! Have you been on Charles Bridge yet? After a walk we'll have dumplings and beer.",
        ru: "Прага прекрасна! Ты уже был на Карловом мосту? После прогулки поедим кнедлики и выпьем пива.",
        words: &[("procházka", "walk", "прогулка"), ("most", "bridge", "мост")],
    },
    Line {
        keys: &[
            "ahoj",
            "dobrý den",
            "dobre den",
            "dobře den",
            "čau",
            "nazdar",
            "jak se máš",
            "jak se mas",
        ],
        cs: "Ahoj! Já jsem Honzík z Prahy. Mám se skvěle, právě piju pivo a dívám se na hokej. A jak se máš ty?",
        en: "Hi! I'm Honzík from Prague. I'm great, I'm just drinking a beer and watching hockey. And how are you?",
        ru: "Привет! Я Гонзик из Праги. У меня всё отлично, как раз пью пиво и смотрю хоккей. А как у тебя дела?",
        words: &[("skvěle", "great", "отлично"), ("dívat se", "to watch", "смотреть")],
    },
];

const FALLBACK: &[Line] = &[
    Line {
        keys: &[],
        cs: "To je zajímavé! Řekni mi víc. Já dnes večer jdu na hokej a potom na pivo a knedlíky.",
        en: "That's interesting! Tell me more. Tonight I'm going to a hockey match and then for beer and dumplings.",
        ru: "Это интересно! Расскажи подробнее. Сегодня вечером я иду на хоккей, а потом на пиво и кнедлики.",
        words: &[("zajímavé", "interesting", "интересно"), ("večer", "evening", "вечер")],
    },
    Line {
        keys: &[],
        cs: "Super! Víš, že v Praze je víc než tisíc hospod? Co rád děláš o víkendu?",
        en: "Great! Did you know Prague has more than a thousand pubs? What do you like to do at the weekend?",
        ru: "Супер! Знаешь, что в Праге больше тысячи пивных? Что ты любишь делать на выходных?",
        words: &[("víkend", "weekend", "выходные"), ("tisíc", "thousand", "тысяча")],
    },
    Line {
        keys: &[],
        cs: "Rozumím. A co české jídlo? Máš rád knedlíky? Já bych je jedl každý den, hlavně po hokeji.",
        en: "I see. And what about Czech food? Do you like dumplings? I'd eat them every day, especially after hockey.",
        ru: "Понимаю. А как тебе чешская еда? Любишь кнедлики? Я бы ел их каждый день, особенно после хоккея.",
        words: &[("rozumím", "I understand", "понимаю"), ("každý den", "every day", "каждый день")],
    },
];

/// FNV-1a: a hash that is stable across runs and Rust versions (std's is not
/// guaranteed to be), so "deterministic" holds for the load generator too.
pub fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

fn line_for(text: &str) -> &'static Line {
    let lower = text.to_lowercase();
    LINES
        .iter()
        .find(|l| l.keys.iter().any(|k| lower.contains(k)))
        .unwrap_or(&FALLBACK[(stable_hash(text) % FALLBACK.len() as u64) as usize])
}

fn tip(category: Option<&str>, text: &str, lang: Lang) -> String {
    let t = match category {
        Some("case_ending") => lang.pick(
            "After \"v\" use the locative: v Praze, v Brně, v restauraci.",
            "После «v» используйте местный падеж: v Praze, v Brně, v restauraci.",
        ),
        Some("verb_conjugation") => lang.pick(
            "Conjugate verbs: já mám, ty máš, on má; já jsem, ty jsi.",
            "Спрягайте глаголы: já mám, ty máš, on má; já jsem, ty jsi.",
        ),
        Some("agreement") => lang.pick(
            "Adjectives agree with their noun: dobrý den, dobrou noc.",
            "Прилагательные согласуются с существительным: dobrý den, dobrou noc.",
        ),
        Some(_) => lang.pick(
            "Use the Czech keyboard layout so háčky and čárky are easy: děkuji, prosím.",
            "Включите чешскую раскладку, чтобы легко ставить гачеки и чарки: děkuji, prosím.",
        ),
        None => {
            let tips = [
                lang.pick(
                    "Great job! Try a longer sentence with \"protože\" (because).",
                    "Отлично! Попробуйте более длинное предложение с «protože» (потому что).",
                ),
                lang.pick(
                    "Well done! Next time try the past tense: \"Včera jsem byl…\".",
                    "Молодец! В следующий раз попробуйте прошедшее время: «Včera jsem byl…».",
                ),
            ];
            tips[(stable_hash(text) % 2) as usize]
        }
    };
    t.to_owned()
}

/// The full tutor reply object for the learner's latest message.
pub fn reply(system: &str, learner_text: &str) -> Value {
    let lang = Lang::from_system_prompt(system);
    let (corrected, mistakes) = check(learner_text, lang);
    let line = line_for(learner_text);
    json!({
        "honzik_response": line.cs,
        "translation": lang.pick(line.en, line.ru),
        "corrected_text": corrected,
        "mistakes": mistakes.iter().map(Mistake::to_json).collect::<Vec<_>>(),
        "correctness_score": score(mistakes.len()),
        "suggestion": tip(mistakes.first().map(|m| m.category.as_str()), learner_text, lang),
        "new_words": line.words.iter().map(|(cs, en, ru)| json!({ "czech": cs, "translation": lang.pick(en, ru) })).collect::<Vec<_>>(),
        "scene": super::scene::progress(system, learner_text),
    })
}

/// A deterministic summary of what the summariser was shown (the previous summary and the turns
/// leaving the window): it keeps every capitalised name and place that does not start a sentence,
/// so a test that "a fact survives" tests the bot's plumbing, not the emulator's wit. Bounded: at
/// most 24 facts.
pub fn summary(shown: &[String]) -> String {
    let all = shown.join("\n");
    let mut facts: Vec<String> = Vec::new();
    // After ".", "!", "?" or a "Speaker:" label a capital letter only starts a sentence.
    let mut sentence_start = true;
    for raw in all.split_whitespace() {
        let word: String = raw.trim_matches(|c: char| !c.is_alphanumeric()).to_owned();
        let starts_upper = word.chars().next().is_some_and(char::is_uppercase);
        if starts_upper
            && !sentence_start
            && !STOP_NAMES.contains(&word.as_str())
            && !facts.contains(&word)
            && facts.len() < 24
        {
            facts.push(word.clone());
        }
        if !word.is_empty() || raw.ends_with(['.', '!', '?', ':']) {
            sentence_start = raw.ends_with(['.', '!', '?', ':']);
        }
    }
    let turns = all.lines().filter(|l| l.starts_with("Student:")).count();
    let mut s = format!("Shrnutí: student a Honzík spolu mluvili ({turns} replik studenta).");
    if !facts.is_empty() {
        s.push_str(&format!(" Fakta — {}.", facts.join(", ")));
    }
    s
}

/// Words that are capitalised in the summariser's own framing, not facts.
const STOP_NAMES: [&str; 6] = ["Student", "Honzík", "Shrnutí", "Fakta", "Dosavadní", "Nové"];

/// Pads (with cheerful filler) or cuts `text` to a word count in `range`, chosen from `seed`.
pub fn to_word_count(text: &str, seed: &str, range: (usize, usize)) -> String {
    const FILLER: &str = "A víš co? V Praze je teď krásně, na Letné se hraje hokej a v hospodě U Fleků čepují výborné pivo. Knedlíky se zelím k tomu patří. Pojď, povídej mi víc o sobě!";
    let (lo, hi) = (range.0.min(range.1), range.0.max(range.1));
    let hash = seed.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
    let target = lo + (hash as usize) % (hi - lo + 1);
    let mut words: Vec<&str> = text.split_whitespace().collect();
    while words.len() < target {
        words.extend(FILLER.split_whitespace());
    }
    words.truncate(target.max(1));
    words.join(" ")
}

/// Whether a system prompt asks for a summary rather than a tutor reply.
pub fn wants_summary(system: &str) -> bool {
    let s = system.to_lowercase();
    // The tutor's own prompt names its reply contract; a summariser's does not.
    !s.contains("honzik_response")
        && (s.contains("summary") || s.contains("shrnutí") || s.contains("shrnuti"))
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    #[test]
    fn a_summary_keeps_names_and_places_from_the_previous_summary_and_the_turns() {
        let shown = vec!["Dosavadní shrnutí: Shrnutí: bla. Fakta — Olga, Brně.\n\nNové repliky:\nStudent: Jezdím do Ostravy za babičkou.\nHonzík: To je hezké! Ostrava je super.".to_owned()];
        let s = summary(&shown);
        for fact in ["Olga", "Brně", "Ostravy"] {
            assert!(s.contains(fact), "{s}");
        }
        assert!(
            !s.contains("Jezdím") && !s.contains("To je"),
            "sentence starts are not facts: {s}"
        );
    }

    #[test]
    fn replies_can_be_stretched_to_a_word_count() {
        let r = to_word_count("Ahoj!", "seed", (30, 80));
        let n = r.split_whitespace().count();
        assert!((30..=80).contains(&n), "{n}");
        assert_eq!(r, to_word_count("Ahoj!", "seed", (30, 80)), "deterministic");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_case_after_v_is_one_case_ending_mistake() {
        let (corrected, mistakes) = check("Já jsem byl v Praha včera", Lang::English);
        assert_eq!(corrected, "Já jsem byl v Praze včera");
        assert_eq!(mistakes.len(), 1);
        assert_eq!(mistakes[0].original, "v Praha");
        assert_eq!(mistakes[0].corrected, "v Praze");
        assert_eq!(mistakes[0].category, "case_ending");
        assert_eq!(score(1), 85);
    }

    #[test]
    fn several_mistakes_are_found_and_capitalisation_is_kept() {
        let (corrected, mistakes) = check("Dobře den! Já mít knedliky, dekuji.", Lang::English);
        assert_eq!(corrected, "Dobrý den! Já mám knedlíky, děkuji.");
        let cats: Vec<&str> = mistakes.iter().map(|m| m.category.as_str()).collect();
        assert_eq!(cats, ["agreement", "verb_conjugation", "diacritics", "diacritics"]);
        assert_eq!(score(mistakes.len()), 40);
        assert_eq!(score(9), 20);
    }

    #[test]
    fn correct_czech_and_words_containing_a_pattern_are_not_mistakes() {
        for text in
            ["Byl jsem v Praze a v Brně.", "Jdu do restaurace.", "Prosím, děkuji.", "Kuprosim"]
        {
            let (corrected, mistakes) = check(text, Lang::English);
            assert!(mistakes.is_empty(), "{text}: {mistakes:?}");
            assert_eq!(corrected, text);
        }
    }

    #[test]
    fn the_translation_language_follows_the_system_prompt() {
        assert_eq!(Lang::from_system_prompt("Translate into Russian."), Lang::Russian);
        assert_eq!(Lang::from_system_prompt("Переводи на русский язык"), Lang::Russian);
        assert_eq!(Lang::from_system_prompt("Ты — Гонзик <&> 🍺"), Lang::English);
        let r = reply("Translation language: ru", "Já jsem byl v Praha včera a pil jsem pivo.");
        assert!(
            r["translation"].as_str().unwrap().chars().any(|c| ('а'..='я').contains(&c)),
            "{r}"
        );
        assert_eq!(r["correctness_score"], 85);
    }

    #[test]
    fn replies_are_deterministic_and_mention_czech_culture() {
        for text in ["ahoj", "blablabla 🍺 <&>", "Mám rád hokej", ""] {
            let a = reply("", text);
            assert_eq!(a, reply("", text));
            let cs = a["honzik_response"].as_str().unwrap();
            assert!(
                ["pivo", "knedlík", "hokej", "Prah", "hospod"].iter().any(|w| cs.contains(w)),
                "{cs}"
            );
        }
    }
}
