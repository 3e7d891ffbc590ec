//! The emulated model in a role-play scene (the bot's `/scene`): it reads the scene's section of
//! the system prompt and fills the reply's `scene` object, predictably enough for tests.
//!
//! The goal counts as reached when the learner's message contains the stem (first five letters,
//! diacritics folded) of the last long word (six letters or more) of the goal line — "…a na
//! konci zaplatit." is reached by "Zaplatím, prosím", "…na čtvrtek." by "Ve čtvrtek v jedenáct".
//! Outside a scene the object is `null`, as the strict schema asks.

use serde_json::{Value, json};

/// The line of the prompt that names the goal.
const GOAL: &str = "The learner's goal: ";
/// What the emulated character always suggests next.
pub const HINT: &str = "Můžete mi prosím poradit?";

/// The reply's `scene` object for this prompt and learner message.
pub fn progress(system: &str, learner_text: &str) -> Value {
    let Some(goal) = system.lines().find_map(|l| l.trim().strip_prefix(GOAL)) else {
        return Value::Null;
    };
    let reached = stem(goal).is_some_and(|s| fold(learner_text).contains(&s));
    json!({ "goal_reached": reached, "hint": HINT })
}

/// The first five letters of the goal's last word of six letters or more, folded.
fn stem(goal: &str) -> Option<String> {
    let folded = fold(goal);
    let word = folded.split(|c: char| !c.is_alphanumeric()).rfind(|w| w.chars().count() >= 6)?;
    Some(word.chars().take(5).collect())
}

/// Lower case without háčky and čárky.
fn fold(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' => 'a',
            'č' => 'c',
            'ď' => 'd',
            'é' | 'ě' => 'e',
            'í' => 'i',
            'ň' => 'n',
            'ó' => 'o',
            'ř' => 'r',
            'š' => 's',
            'ť' => 't',
            'ú' | 'ů' => 'u',
            'ý' => 'y',
            'ž' => 'z',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUB: &str = "You are Honzík.\n\n## Role-play scene: V hospodě\n\
                       The learner's goal: Objednat si pivo a něco k jídlu a na konci zaplatit.\n";

    #[test]
    fn the_goal_is_reached_by_its_last_long_word_in_any_form() {
        assert_eq!(progress(PUB, "Zaplatím, prosím.")["goal_reached"], json!(true));
        assert_eq!(progress(PUB, "Dám si pivo.")["goal_reached"], json!(false));
        let doctor = "The learner's goal: Objednat se k lékaři na čtvrtek.";
        assert_eq!(progress(doctor, "Ve ctvrtek v jedenáct")["goal_reached"], json!(true));
        assert_eq!(progress(PUB, "Dám si pivo.")["hint"], json!(HINT));
    }

    #[test]
    fn outside_a_scene_there_is_no_scene_object() {
        assert_eq!(progress("You are Honzík, a Czech tutor.", "Zaplatím"), Value::Null);
    }
}
