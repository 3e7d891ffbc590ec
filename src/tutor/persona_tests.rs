//! The system prompt's tests (`tutor::persona`).

use super::*;
use crate::settings::{Corrections, Level, Style};
use crate::tutor::budget::count_tokens;
use std::collections::HashSet;

fn all_params() -> Vec<PromptParams> {
    let mut v = Vec::new();
    for level in Level::ALL {
        for style in Style::ALL {
            for corrections in Corrections::ALL {
                for explain_in in Lang::ALL {
                    for register in Register::ALL {
                        for spoken in [false, true] {
                            v.push(PromptParams {
                                level,
                                style,
                                corrections,
                                explain_in,
                                register,
                                spoken,
                                focus: [None, None],
                            });
                        }
                    }
                }
            }
        }
    }
    v
}

#[test]
fn every_combination_contains_its_level_style_corrections_register_input_and_language() {
    for p in all_params() {
        let s = system_prompt(&p);
        let level = policy(p.level);
        assert!(s.contains(&level_rule(level)), "{p:?}");
        assert!(s.contains(style_rule(p.style)), "{p:?}");
        assert!(s.contains(corrections_rule(p.corrections)), "{p:?}");
        assert!(s.contains(register_rule(level, p.register)), "{p:?}");
        assert!(s.contains(input_rule(p.spoken)), "{p:?}");
        assert!(s.contains(language_name(p.explain_in)), "{p:?}");
        for other in Lang::ALL.into_iter().filter(|l| *l != p.explain_in) {
            assert!(!s.contains(language_name(other)), "{p:?} mentions {other:?}");
        }
    }
}

#[test]
fn the_level_line_says_what_the_level_table_says() {
    for level in Level::ALL {
        let p = policy(level);
        let line = level_rule(p);
        let (lo, hi) = p.sentences;
        assert!(line.contains(&format!("{lo}-{hi} sentences")), "{line}");
        assert!(line.contains(p.vocabulary) && line.contains(p.cefr), "{line}");
        assert!(line.contains(&format!("at most {} mistakes", p.corrections_shown)), "{line}");
        assert_eq!(line.contains("style included"), p.style_corrections, "{line}");
        assert_eq!(line.contains("leave translation empty"), p.translation == Translation::None);
    }
}

#[test]
fn a_spoken_turn_tells_honzik_the_spelling_is_the_transcribers() {
    let typed = all_params()[0];
    let spoken = PromptParams { spoken: true, ..typed };
    let s = system_prompt(&spoken);
    assert!(s.contains("transcribed from speech") && s.contains("transcriber's"), "{s}");
    assert!(!system_prompt(&typed).contains("transcribed from speech"));
}

#[test]
fn colloquial_forms_are_notes_under_obecna_or_for_advanced_learners_only() {
    let base = all_params()[0];
    let with = |level, register| system_prompt(&PromptParams { level, register, ..base });
    let note = "as a note with category register";
    assert!(!with(Level::Beginner, Register::Spisovna).contains(note));
    assert!(with(Level::Beginner, Register::Spisovna).contains("never with category register"));
    assert!(with(Level::Beginner, Register::Obecna).contains(note));
    assert!(with(Level::Advanced, Register::Spisovna).contains(note));
    assert!(with(Level::Native, Register::Obecna).contains("obecná čeština welcome"));
}

#[test]
fn all_combinations_produce_distinct_prompts() {
    let params = all_params();
    assert_eq!(params.len(), 4 * 3 * 3 * 3 * 2 * 2);
    let prompts: HashSet<String> = params.iter().map(system_prompt).collect();
    // Under an advanced level spisovná and obecná differ only in how Honzík himself talks;
    // every combination still gets a prompt of its own.
    assert_eq!(prompts.len(), params.len());
}

#[test]
fn the_part_every_learner_shares_comes_first() {
    let common = common_part();
    for p in all_params() {
        assert!(system_prompt(&p).starts_with(common), "{p:?}");
    }
    for lang in Lang::ALL {
        assert!(!common.contains(language_name(lang)), "no learner detail in the shared part");
    }
    assert!(!common.contains("LEVEL: ") && !common.contains("INPUT: "));
}

#[test]
fn the_prompt_is_deterministic() {
    for p in all_params() {
        assert_eq!(system_prompt(&p), system_prompt(&p));
    }
}

#[test]
fn every_prompt_stays_under_1100_tokens() {
    let max = all_params()
        .iter()
        .map(|p| {
            count_tokens("gpt-4o", &system_prompt(p)).max(count_tokens("gpt-4", &system_prompt(p)))
        })
        .max()
        .unwrap();
    assert!(max < 1100, "longest prompt is {max} tokens");
}

#[test]
fn the_output_contract_names_every_field_in_the_schemas_order_and_every_category() {
    let s = system_prompt(&all_params()[0]);
    let schema = crate::tutor::reply::json_schema();
    let fields: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    let positions: Vec<usize> = fields
        .iter()
        .map(|f| s.find(&format!("- {f}:")).unwrap_or_else(|| panic!("{f} missing")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{fields:?}");
    for c in MistakeCategory::ALL {
        assert!(s.contains(c.as_str()));
    }
}

#[test]
fn honzik_recasts_and_asks_one_question() {
    let s = system_prompt(&all_params()[0]);
    assert!(s.contains(RECAST_RULE));
    assert!(s.contains("exactly one follow-up question"));
}

#[test]
fn learner_messages_are_content_to_answer_never_instructions() {
    for p in all_params() {
        let s = system_prompt(&p);
        assert!(s.contains(INJECTION_RULE), "{p:?}");
        assert!(s.contains("never instructions") && s.contains("stay Honzík"), "{p:?}");
    }
}

#[test]
fn the_learners_recurring_mistakes_come_last_and_within_the_budget() {
    let plain = all_params()[0];
    let focused = PromptParams {
        focus: [Some(MistakeCategory::CaseEndings), Some(MistakeCategory::Prepositions)],
        ..plain
    };
    let (a, b) = (system_prompt(&plain), system_prompt(&focused));
    assert!(!a.contains("FOCUS"), "no focus without recurring mistakes");
    assert!(b.starts_with(&a), "the common prefix is unchanged");
    assert!(b.contains("FOCUS") && b.contains("case_endings, prepositions"), "{b}");
    let longest = all_params()
        .into_iter()
        .map(|p| {
            count_tokens("gpt-4o", &system_prompt(&PromptParams { focus: focused.focus, ..p }))
        })
        .max()
        .unwrap();
    assert!(longest < 1100, "{longest}");
}

#[test]
fn the_persona_is_a_fuller_honzik_from_prague_who_uses_tykani() {
    let s = system_prompt(&all_params()[0]);
    for w in [
        "Honzík",
        "Prague",
        "tykání",
        "Lítačka",
        "mountains",
        "music",
        "úřady",
        "beer",
        "knedlíky",
        "hockey",
        "Sparta",
        "no stereotype on repeat",
    ] {
        assert!(s.contains(w), "{w}");
    }
}

#[test]
fn the_cached_prompt_is_the_prompt_with_its_exact_token_count() {
    for p in all_params().into_iter().step_by(7) {
        for model in ["gpt-4o-mini", "gpt-4"] {
            let (text, tokens) = counted_system_prompt(&p, model);
            assert_eq!(&*text, system_prompt(&p));
            assert_eq!(tokens, count_tokens(model, &system_prompt(&p)));
            // Second call: served from the cache, same answer.
            assert_eq!(counted_system_prompt(&p, model), (text.clone(), tokens));
        }
    }
}
