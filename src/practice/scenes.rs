//! Role-play scenes: where the learner is, who they talk to, and the goal to reach — data in
//! `scenes.json`. A scene turn is a normal turn with [`prompt`] added to Honzík's instructions;
//! the model says in its reply whether the goal is reached and what to say next (the reply's
//! `scene` object), and the bot ends the scene with a debrief.

use std::sync::LazyLock;

use serde::Deserialize;

use super::Texts;
use crate::i18n::Lang;
use crate::settings::Level;

/// Who speaks for the other side of the scene.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Character {
    /// Honzík himself, in a role: informal, colloquial Prague Czech.
    Honzik,
    /// Paní Nováková: formal, vykání, standard Czech, her own voice.
    Novakova,
}

/// A Czech phrase with its translations.
#[derive(Clone, Debug, Deserialize)]
pub struct Phrase {
    pub cs: String,
    #[serde(flatten)]
    pub tr: Texts,
}

/// A title or a goal: in Czech (for the prompt) and in each interface language.
#[derive(Clone, Debug, Deserialize)]
pub struct Named {
    pub cs: String,
    #[serde(flatten)]
    pub tr: Texts,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Scene {
    /// Short and stable: it is stored with a session and sent in buttons.
    pub id: String,
    pub emoji: String,
    pub title: Named,
    pub character: Character,
    /// Who the character is and how they talk (English, for the model).
    pub role: String,
    /// Where the scene happens and the facts the character knows (English, for the model).
    pub setting: String,
    pub goal: Named,
    /// When the goal counts as reached (English, for the model).
    pub goal_check: String,
    /// How to adapt the scene to the learner's level (English, for the model).
    pub level_notes: String,
    /// The character's first line, and its translations.
    pub opening: Phrase,
    /// Useful phrases: the hints when the model gave none, and the debrief's list.
    pub phrases: Vec<Phrase>,
}

static SCENES: LazyLock<Vec<Scene>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("scenes.json")).expect("scenes.json is valid (tested)")
});

/// Every scene, in the order the `/scene` menu shows them.
pub fn all() -> &'static [Scene] {
    &SCENES
}

pub fn find(id: &str) -> Option<&'static Scene> {
    all().iter().find(|s| s.id == id)
}

/// The scene's section of Honzík's instructions: the role to play instead of free talk, the
/// goal and when it counts as reached, and what the reply's `scene` object must say. The
/// correction of the learner's Czech goes on as in any turn.
pub fn prompt(scene: &Scene, level: Level) -> String {
    let voice = match scene.character {
        Character::Honzik => {
            "You stay Honzík, playing the role below; talk as that character would."
        }
        Character::Novakova => {
            "In this scene you do not speak as Honzík: you are paní Nováková. She is formal, \
             always uses vykání (Vy) and standard (spisovná) Czech, never colloquial Prague forms, \
             and never jokes about it. Corrections and tips stay in the usual fields."
        }
    };
    format!(
        "\n\n## Role-play scene: {title}\n{voice}\nRole: {role}\nSetting: {setting}\n\
         The scene opened with the character saying: \"{opening}\"\n\
         The learner's goal: {goal}\nThe goal is reached when: {check}\n\
         Adapt to the learner's level ({level}): {notes}\n\
         Stay in the scene: answer in character in honzik_response (one to three sentences, \
         leave room for the learner), steer gently towards the goal without reaching it for \
         them, and never say you are an AI. Fill the reply's `scene` object: goal_reached is \
         true only once the learner has done what the goal says; hint is one short Czech \
         sentence the learner could say next to get closer to the goal.",
        title = scene.title.cs,
        role = scene.role,
        setting = scene.setting,
        opening = scene.opening.cs,
        goal = scene.goal.cs,
        check = scene.goal_check,
        level = level.as_str(),
        notes = scene.level_notes,
    )
}

/// The phrase to hint when the model gave none: the scene's useful phrases in turn.
pub fn fallback_hint(scene: &Scene, hints_used: u32) -> &Phrase {
    &scene.phrases[hints_used as usize % scene.phrases.len()]
}

/// The title as the learner's interface shows it.
pub fn title(scene: &Scene, lang: Lang) -> String {
    format!("{} {}", scene.emoji, scene.title.tr.get(lang))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn there_are_at_least_eight_scenes_each_complete_in_every_language() {
        let scenes = all();
        assert!(scenes.len() >= 8, "{}", scenes.len());
        let ids: HashSet<&str> = scenes.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids.len(), scenes.len(), "scene ids are unique");
        for s in scenes {
            assert!(
                !s.id.is_empty()
                    && s.id.len() <= 12
                    && s.id.bytes().all(|b| b.is_ascii_lowercase()),
                "{}: a short lowercase id (it goes into buttons)",
                s.id
            );
            assert!(s.phrases.len() >= 3, "{}: useful phrases", s.id);
            for lang in Lang::ALL {
                for text in [s.title.tr.get(lang), s.goal.tr.get(lang), s.opening.tr.get(lang)] {
                    assert!(!text.trim().is_empty(), "{} in {lang:?}", s.id);
                }
                assert!(s.phrases.iter().all(|p| !p.tr.get(lang).trim().is_empty()), "{}", s.id);
            }
            for text in [&s.role, &s.setting, &s.goal_check, &s.level_notes, &s.opening.cs] {
                assert!(text.len() > 10, "{}: {text}", s.id);
            }
        }
    }

    #[test]
    fn the_issue_s_eight_settings_and_both_characters_are_there() {
        for id in
            ["hospoda", "lekar", "policie", "byt", "nadrazi", "reklamace", "pohovor", "sousede"]
        {
            assert!(find(id).is_some(), "{id}");
        }
        assert!(all().iter().any(|s| s.character == Character::Novakova));
        assert!(all().iter().any(|s| s.character == Character::Honzik));
        assert!(find("nope").is_none());
    }

    #[test]
    fn the_prompt_names_the_goal_the_role_and_paní_nováková_s_formality() {
        let doctor = find("lekar").unwrap();
        let p = prompt(doctor, Level::Beginner);
        assert!(p.contains(&doctor.goal.cs) && p.contains(&doctor.goal_check), "{p}");
        assert!(p.contains("vykání") && p.contains("beginner") && p.contains("goal_reached"));
        let pub_scene = prompt(find("hospoda").unwrap(), Level::Advanced);
        assert!(!pub_scene.contains("vykání") && pub_scene.contains("Honzík"), "{pub_scene}");
    }

    #[test]
    fn fallback_hints_go_round_the_scene_s_phrases() {
        let s = find("nadrazi").unwrap();
        let n = s.phrases.len() as u32;
        assert_eq!(fallback_hint(s, 0).cs, s.phrases[0].cs);
        assert_eq!(fallback_hint(s, n + 1).cs, s.phrases[1].cs);
    }
}
