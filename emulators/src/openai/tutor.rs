//! Deterministic fake Honzík: what the chat-completions emulator answers.
//!
//! The reply follows the bot's tutor contract (a JSON object with
//! `corrected_text`, `honzik_response`, `mistakes`, `correctness_score`,
//! `translation`, `new_words`, `suggestion`) and depends only on the
//! conversation, so tests can predict it: mistakes come from a small table
//! of typical learner errors (`corrections`), the reply text from the topic
//! of the last learner message (or a stable hash of it).
//!
//! Like a model, it follows what the system prompt asks, where a test needs
//! to see it: colloquial forms become register notes when the prompt says so,
//! the reply recasts the first corrected form when asked to, keeps to the
//! level's number of sentences and leaves the translation empty when told.
//! Like a careless model, it still "corrects" the spelling of transcribed
//! speech: dropping those is the bot's job.

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

    pub(super) fn pick<'a>(self, en: &'a str, ru: &'a str) -> &'a str {
        match self {
            Lang::English => en,
            Lang::Russian => ru,
        }
    }
}

pub use super::corrections::{Mistake, check, score};

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
        cs: "Mňam! Knedlíky se svíčkovou jsou nejlepší jídlo na světě. V Praze znám skvělou hospodu, půjdeš tam se mnou?",
        en: "Yum! Dumplings with svíčková are the best food in the world. I know a great pub in Prague, will you come with me?",
        ru: "Ням! Кнедлики со свичковой — лучшая еда в мире. Я знаю отличную пивную в Праге, пойдёшь туда со мной?",
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
        cs: "Hokej je naše národní vášeň! Po zápase jedu tramvají domů s celou Spartou. Fandíš Spartě, nebo Slavii?",
        en: "Hockey is our national passion! After the match I ride the tram home with all of Sparta. Do you support Sparta or Slavia?",
        ru: "Хоккей — наша национальная страсть! После матча я еду домой на трамвае со всей Спартой. Ты болеешь за Спарту или за Славию?",
        words: &[("fandit", "to cheer for", "болеть за"), ("zápas", "match", "матч")],
    },
    Line {
        keys: &["praha", "praze", "prahy", "prahu", "most", "brn", "ostrav"],
        cs: "Praha je krásná! Nejlepší procházka je z Letné dolů k Vltavě. Byl jsi už na Karlově mostě?",
        en: "Prague is beautiful! The best walk is from Letná down to the Vltava. Have you been on Charles Bridge yet?",
        ru: "Прага прекрасна! Лучшая прогулка — с Летны вниз к Влтаве. Ты уже был на Карловом мосту?",
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
        cs: "To je zajímavé! Já dnes večer jdu na koncert do malého klubu na Žižkově. Co rád posloucháš?",
        en: "That's interesting! Tonight I'm going to a concert in a small club in Žižkov. What do you like listening to?",
        ru: "Это интересно! Сегодня вечером я иду на концерт в маленький клуб на Жижкове. Что ты любишь слушать?",
        words: &[("zajímavé", "interesting", "интересно"), ("koncert", "concert", "концерт")],
    },
    Line {
        keys: &[],
        cs: "Super! O víkendu jedu do Krkonoš na chatu, v Praze je v létě moc horko. Co rád děláš o víkendu?",
        en: "Great! At the weekend I'm going to a cabin in the Krkonoše, Prague is too hot in summer. What do you like to do at the weekend?",
        ru: "Супер! На выходных я еду в Крконоше на дачу, в Праге летом слишком жарко. Что ты любишь делать на выходных?",
        words: &[("víkend", "weekend", "выходные"), ("chata", "cottage", "дача")],
    },
    Line {
        keys: &[],
        cs: "Rozumím. Já jsem dnes ráno stál hodinu ve frontě na úřadě, ale s Lítačkou jsem tam byl rychle. Kam jezdíš každý den?",
        en: "I see. This morning I queued for an hour at the office, but with my Lítačka I got there fast. Where do you go every day?",
        ru: "Понимаю. Сегодня утром я час простоял в очереди в учреждении, зато с «Литачкой» быстро туда доехал. Куда ты ездишь каждый день?",
        words: &[("fronta", "queue", "очередь"), ("každý den", "every day", "каждый день")],
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
        Some("case_endings") => lang.pick(
            "After \"v\" use the locative: v Praze, v Brně, v restauraci.",
            "После «v» используйте местный падеж: v Praze, v Brně, v restauraci.",
        ),
        Some("verb_forms") => lang.pick(
            "Conjugate verbs: já mám, ty máš, on má; já jsem, ty jsi.",
            "Спрягайте глаголы: já mám, ty máš, on má; já jsem, ty jsi.",
        ),
        Some("agreement") => lang.pick(
            "Adjectives agree with their noun: dobrý den, dobrou noc.",
            "Прилагательные согласуются с существительным: dobrý den, dobrou noc.",
        ),
        Some("prepositions") => lang.pick(
            "Places with \"na\": na poště, na nádraží, na úřadě.",
            "Места с «na»: na poště, na nádraží, na úřadě.",
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

/// What the system prompt asks of the reply (the bot's wording, `tutor::persona`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Asked {
    /// Colloquial forms are register notes, not mistakes.
    notes: bool,
    /// Re-use the corrected form in the reply.
    recast: bool,
    /// At most this many sentences ("Answer in 1-2 sentences").
    sentences: Option<usize>,
    /// "leave translation empty".
    no_translation: bool,
}

impl Asked {
    fn of(system: &str) -> Asked {
        let sentences = system.split("Answer in ").nth(1).and_then(|rest| {
            let (range, tail) = rest.split_once(' ')?;
            tail.starts_with("sentences").then(|| range.rsplit('-').next()?.parse().ok())?
        });
        Asked {
            notes: system.contains("as a note with category register"),
            recast: system.contains("Recast"),
            sentences,
            no_translation: system.contains("leave translation empty"),
        }
    }
}

/// At most `n` sentences of `text`: the first `n - 1` and the last (Honzík's question).
fn fit_sentences(text: &str, n: usize) -> String {
    let sentences: Vec<&str> = text.split_inclusive(['.', '!', '?']).map(str::trim).collect();
    if n == 0 || sentences.len() <= n {
        return text.to_owned();
    }
    let mut kept: Vec<&str> = sentences[..n - 1].to_vec();
    kept.push(sentences[sentences.len() - 1]);
    kept.join(" ")
}

/// The full tutor reply object for the learner's latest message.
pub fn reply(system: &str, learner_text: &str) -> Value {
    let lang = Lang::from_system_prompt(system);
    let asked = Asked::of(system);
    let (corrected, mistakes) = check(learner_text, lang, asked.notes);
    let line = line_for(learner_text);
    let (mut cs, mut translation) = (line.cs.to_owned(), lang.pick(line.en, line.ru).to_owned());
    if let Some(n) = asked.sentences {
        (cs, translation) = (fit_sentences(&cs, n), fit_sentences(&translation, n));
    }
    // A teacher's recast: the first corrected form, said back naturally.
    let first = mistakes.iter().find(|m| m.category != "register");
    if let (true, Some(m)) = (asked.recast, first) {
        let said = lower_first(&m.corrected);
        cs = format!("Aha, {said}! {cs}");
        translation = format!("Aha, {said}! {translation}");
    }
    if asked.no_translation {
        translation.clear();
    }
    json!({
        "corrected_text": corrected,
        "honzik_response": cs,
        "mistakes": mistakes.iter().map(Mistake::to_json).collect::<Vec<_>>(),
        "correctness_score": score(mistakes.iter().filter(|m| m.category != "register").count()),
        "translation": translation,
        "new_words": line.words.iter().map(|(cs, en, ru)| json!({ "czech": cs, "translation": lang.pick(en, ru) })).collect::<Vec<_>>(),
        "suggestion": tip(first.map(|m| m.category.as_str()), learner_text, lang),
        "scene": super::scene::progress(system, learner_text),
    })
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
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
    fn replies_are_deterministic_and_mention_prague_life() {
        for text in ["ahoj", "blablabla 🍺 <&>", "Mám rád hokej", ""] {
            let a = reply("", text);
            assert_eq!(a, reply("", text));
            let cs = a["honzik_response"].as_str().unwrap();
            assert!(
                [
                    "pivo", "knedlík", "Hokej", "hokej", "Prah", "Praz", "hospod", "Žižkov",
                    "Krkonoš", "Lítačk"
                ]
                .iter()
                .any(|w| cs.contains(w)),
                "{cs}"
            );
        }
    }

    #[test]
    fn every_line_ends_with_exactly_one_follow_up_question() {
        for line in LINES.iter().chain(FALLBACK) {
            for text in [line.cs, line.en, line.ru] {
                assert!(text.ends_with('?') && text.matches('?').count() == 1, "{text}");
            }
        }
    }

    #[test]
    fn the_reply_follows_what_the_prompt_asks() {
        let system = "Recast: ... LEVEL: BEGINNER (A1–A2). Answer in 1-2 sentences with basic words. \
            No translation: leave translation empty. ... as a note with category register ...";
        let r = reply(system, "Byl jsem v Praha a to je velkej most.");
        let cs = r["honzik_response"].as_str().unwrap();
        assert!(cs.starts_with("Aha, v Praze! "), "recasts the corrected form: {cs}");
        assert_eq!(cs.matches(['.', '!', '?']).count(), 3, "recast plus two sentences: {cs}");
        assert!(cs.ends_with('?'), "the question stays: {cs}");
        assert_eq!(r["translation"], "");
        assert_eq!(r["mistakes"][1]["category"], "register");
        assert_eq!(r["correctness_score"], 85, "a note does not lower the score");
        let plain = reply("", "Byl jsem v Praha.");
        assert!(!plain["honzik_response"].as_str().unwrap().contains("Aha"), "no recast unasked");
    }
}
