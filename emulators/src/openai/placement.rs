//! The placement test's grade (`tutor::placement` in the bot): derived from the answers in the
//! request, so a test can tell a good performance from a poor one — the share of dictated words
//! typed back (capitals, punctuation and order aside) and how much was said in the spoken
//! answers — with one line per skill in the language the request asks for.

use serde_json::{Value, json};

/// The grading request's own first words.
const MARKER: &str = "You grade a Czech placement test";

/// Whether a request's messages ask for a placement grade.
pub fn wants_grade(text: &str) -> bool {
    text.contains(MARKER)
}

/// What the request says was said and typed, and what was answered aloud.
#[derive(Debug, Default, PartialEq)]
struct Answers {
    /// (said, typed) per dictation.
    dictations: Vec<(String, Option<String>)>,
    /// The transcript of each spoken answer.
    spoken: Vec<Option<String>>,
}

fn quoted(s: &str) -> Option<&str> {
    let start = s.find('«')? + '«'.len_utf8();
    let end = start + s[start..].find('»')?;
    Some(&s[start..end])
}

fn parse(prompt: &str) -> Answers {
    let mut a = Answers::default();
    for line in prompt.lines() {
        if let Some(rest) = line.split_once(". Dictation: said ").map(|(_, r)| r) {
            let said = quoted(rest).unwrap_or_default().to_owned();
            let typed = rest.split_once(", typed ").and_then(|(_, t)| quoted(t)).map(str::to_owned);
            a.dictations.push((said, typed));
        } else if let Some(rest) = line.split_once(". Spoken answer to ").map(|(_, r)| r) {
            let given = rest.split_once("»: ").and_then(|(_, t)| quoted(t)).map(str::to_owned);
            a.spoken.push(given);
        }
    }
    a
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The share of the dictated words typed back (each typed word counts once).
fn heard(said: &str, typed: Option<&str>) -> f64 {
    let said = words(said);
    let mut typed = words(typed.unwrap_or_default());
    if said.is_empty() {
        return 0.0;
    }
    let caught = said
        .iter()
        .filter(|w| typed.iter().position(|t| t == *w).map(|i| typed.swap_remove(i)).is_some())
        .count();
    caught as f64 / said.len() as f64
}

const LEVELS: [&str; 5] = ["A1", "A2", "B1", "B2", "C1"];

/// The grade as the bot's schema asks for it.
pub fn grade(prompt: &str) -> Value {
    let a = parse(prompt);
    let listening = if a.dictations.is_empty() {
        0.0
    } else {
        a.dictations.iter().map(|(s, t)| heard(s, t.as_deref())).sum::<f64>()
            / a.dictations.len() as f64
    };
    let said: usize = a.spoken.iter().flatten().map(|s| words(s).len()).sum();
    let per_answer = said as f64 / a.spoken.len().max(1) as f64;
    let listening_points = if listening >= 0.9 {
        2
    } else if listening >= 0.5 {
        1
    } else {
        0
    };
    let speaking_points = if per_answer >= 25.0 {
        2
    } else if per_answer >= 6.0 {
        1
    } else {
        0
    };
    let level = LEVELS[listening_points + speaking_points];
    let percent = (listening * 100.0).round() as u32;
    let [l, s, g, v] = if prompt.contains("in Russian") {
        [
            format!("В диктантах записано {percent}% слов."),
            format!("В устных ответах слов: {said}."),
            format!("Грамматика на уровне {level}; поработай над падежными окончаниями."),
            format!("Словарный запас на уровне {level}; учи слова на новые темы."),
        ]
    } else if prompt.contains("in Ukrainian") {
        [
            format!("У диктантах записано {percent}% слів."),
            format!("В усних відповідях слів: {said}."),
            format!("Граматика на рівні {level}; попрацюй над відмінковими закінченнями."),
            format!("Словниковий запас на рівні {level}; вчи слова на нові теми."),
        ]
    } else {
        [
            format!("You typed {percent}% of the dictated words."),
            format!("Your spoken answers came to {said} words."),
            format!("Your grammar is at {level}; work on case endings."),
            format!("Your vocabulary is at {level}; learn words for new topics."),
        ]
    };
    json!({ "level": level, "listening": l, "speaking": s, "grammar": g, "vocabulary": v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(typed: &str, spoken: &str) -> String {
        format!(
            "{MARKER} against the CEFR descriptors.\n\
             1. Dictation: said «Dobrý den, jmenuju se Honzík.», typed {typed}\n\
             2. Dictation: said «Bydlím v Praze.», typed (no answer)\n\
             3. Spoken answer to «Představ se.»: {spoken}\n\
             Answer with the JSON object only: … in English, addressed to the learner."
        )
    }

    #[test]
    fn more_heard_and_more_said_grade_higher() {
        let good = grade(&prompt(
            "«dobrý den jmenuju se honzík»",
            "«Jmenuju se Olga a bydlím v Brně, pracuju jako učitelka a mám dvě děti.»",
        ));
        let poor = grade(&prompt("«dobry»", "(no answer)"));
        assert!(good["level"].as_str() > poor["level"].as_str(), "{good} vs {poor}");
        assert_eq!(poor["level"], "A1");
        assert_eq!(good["listening"], "You typed 50% of the dictated words.");
        assert!(good["speaking"].as_str().unwrap().contains("14 words"), "{good}");
    }
}
