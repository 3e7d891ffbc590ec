use serde_json::{Value, json};

use super::*;

fn full() -> Value {
    json!({
        "honzik_response": "Ahoj! Já mám rád pivo.",
        "translation": "Hi! I like beer.",
        "corrected_text": "Mám rád pivo.",
        "mistakes": [{
            "original": "Mám ráda pivo", "corrected": "Mám rád pivo",
            "explanation": "masculine", "category": "gender"
        }],
        "correctness_score": 85,
        "suggestion": "Watch the gender.",
        "new_words": [{ "czech": "pivo", "translation": "beer" }]
    })
}

#[test]
fn a_well_formed_reply_parses_unchanged() {
    let r = parse_reply(&full().to_string()).unwrap();
    assert_eq!(r.honzik_response, "Ahoj! Já mám rád pivo.");
    assert_eq!(r.correctness_score, 85);
    assert_eq!(r.mistakes[0].category, MistakeCategory::Gender);
    assert_eq!(r.new_words, vec![NewWord { czech: "pivo".into(), translation: "beer".into() }]);
    // And the struct round-trips through serde.
    let back: HonzikReply = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}

#[test]
fn code_fences_and_chatter_around_the_object_are_stripped() {
    let raw = format!("Sure! Here it is:\n```json\n{}\n```\nHope it helps {{:}}", full());
    assert_eq!(parse_reply(&raw).unwrap().correctness_score, 85);
}

#[test]
fn braces_inside_strings_do_not_confuse_extraction() {
    let raw = r#"note {not json} then {"honzik_response": "Ahoj {kamaráde}!"} bye"#;
    assert_eq!(parse_reply(raw).unwrap().honzik_response, "Ahoj {kamaráde}!");
}

#[test]
fn scores_as_floats_and_strings_are_accepted_and_clamped() {
    let with = |s: Value| {
        let mut v = full();
        v["correctness_score"] = s;
        parse_reply(&v.to_string()).unwrap().correctness_score
    };
    assert_eq!(with(json!(72.6)), 73);
    assert_eq!(with(json!("64")), 64);
    assert_eq!(with(json!(" 90 % ")), 90);
    assert_eq!(with(json!(150)), 100);
    assert_eq!(with(json!(-5)), 0);
}

#[test]
fn a_missing_score_is_derived_from_the_mistakes() {
    let mut v = full();
    v.as_object_mut().unwrap().remove("correctness_score");
    assert_eq!(parse_reply(&v.to_string()).unwrap().correctness_score, 90);
    v["correctness_score"] = json!("lots");
    assert_eq!(parse_reply(&v.to_string()).unwrap().correctness_score, 90);
    let many: Vec<Value> = (0..12)
        .map(|i| json!({"original": format!("a{i}"), "corrected": format!("b{i}")}))
        .collect();
    v["mistakes"] = Value::Array(many);
    v.as_object_mut().unwrap().remove("correctness_score");
    assert_eq!(parse_reply(&v.to_string()).unwrap().correctness_score, 0);
}

#[test]
fn missing_optional_fields_default_to_empty() {
    let r = parse_reply(r#"{"honzik_response": "  Čau!  "}"#).unwrap();
    assert_eq!(r.honzik_response, "Čau!");
    assert_eq!(r.translation, "");
    assert_eq!(r.corrected_text, "");
    assert!(r.mistakes.is_empty());
    assert!(r.new_words.is_empty());
    assert_eq!(r.suggestion, "");
    assert_eq!(r.correctness_score, 100);
}

#[test]
fn fields_of_the_wrong_type_default_instead_of_failing() {
    let r = parse_reply(
        r#"{"honzik_response":"Ahoj","mistakes":null,"translation":5,"new_words":"pivo"}"#,
    )
    .unwrap();
    assert!(r.mistakes.is_empty());
    assert_eq!(r.translation, "");
    assert!(r.new_words.is_empty());
}

#[test]
fn empty_or_unchanged_mistakes_are_dropped() {
    let mut v = full();
    v["mistakes"] = json!([
        { "original": "", "corrected": "x" },
        { "original": "x", "corrected": " " },
        { "original": "pivo", "corrected": " pivo " },
        { "original": " jsem byl ", "corrected": "byl jsem", "category": "Word order" }
    ]);
    let r = parse_reply(&v.to_string()).unwrap();
    assert_eq!(r.mistakes.len(), 1);
    assert_eq!(r.mistakes[0].original, "jsem byl");
    assert_eq!(r.mistakes[0].category, MistakeCategory::WordOrder);
    assert_eq!(r.mistakes[0].explanation, "");
}

#[test]
fn string_fields_are_trimmed() {
    let mut v = full();
    v["translation"] = json!("  Hi!\n");
    v["suggestion"] = json!("\t tip ");
    let r = parse_reply(&v.to_string()).unwrap();
    assert_eq!((r.translation.as_str(), r.suggestion.as_str()), ("Hi!", "tip"));
}

#[test]
fn new_words_are_deduplicated_case_insensitively_and_blank_ones_dropped() {
    let mut v = full();
    v["new_words"] = json!([
        { "czech": "pivo", "translation": "beer" },
        { "czech": " Pivo ", "translation": "beer again" },
        { "czech": "", "translation": "nothing" },
        { "czech": "knedlík", "translation": "dumpling" }
    ]);
    let words: Vec<String> =
        parse_reply(&v.to_string()).unwrap().new_words.into_iter().map(|w| w.czech).collect();
    assert_eq!(words, vec!["pivo", "knedlík"]);
}

#[test]
fn text_without_json_is_not_json() {
    assert_eq!(parse_reply("Ahoj, jak se máš?"), Err(ReplyError::NotJson));
    assert_eq!(parse_reply("[1, 2, 3]"), Err(ReplyError::NotJson));
    assert_eq!(parse_reply("{ broken"), Err(ReplyError::NotJson));
    assert_eq!(parse_reply(""), Err(ReplyError::NotJson));
}

#[test]
fn a_missing_or_empty_response_fails() {
    assert_eq!(parse_reply(r#"{"translation": "hi"}"#), Err(ReplyError::MissingResponse));
    assert_eq!(parse_reply(r#"{"honzik_response": 42}"#), Err(ReplyError::MissingResponse));
    assert_eq!(parse_reply(r#"{"honzik_response": "   "}"#), Err(ReplyError::EmptyResponse));
}

#[test]
fn a_stored_reply_with_an_odd_category_still_deserializes() {
    let m: Mistake = serde_json::from_value(json!({
        "original": "a", "corrected": "b", "explanation": "", "category": "Pády"
    }))
    .unwrap();
    assert_eq!(m.category, MistakeCategory::CaseEndings);
    assert_eq!(serde_json::to_value(m.category).unwrap(), "case_endings");
}

#[test]
fn thirty_mistakes_and_twenty_words_are_cut_to_ten_and_five_keeping_the_first() {
    let mut v = full();
    v["mistakes"] = Value::Array(
        (0..30)
            .map(|i| json!({"original": format!("a{i}"), "corrected": format!("b{i}")}))
            .collect(),
    );
    v["new_words"] = Value::Array(
        (0..20).map(|i| json!({"czech": format!("slovo{i}"), "translation": "w"})).collect(),
    );
    v.as_object_mut().unwrap().remove("correctness_score");
    let r = parse_reply(&v.to_string()).unwrap();
    assert_eq!(r.mistakes.len(), MAX_MISTAKES);
    assert_eq!((r.mistakes[0].original.as_str(), r.mistakes[9].original.as_str()), ("a0", "a9"));
    assert_eq!(r.new_words.len(), MAX_NEW_WORDS);
    assert_eq!(r.new_words[4].czech, "slovo4");
    assert_eq!(r.correctness_score, 0, "the score still reflects every mistake listed");
}

#[test]
fn every_text_field_is_clipped_to_its_limit_with_an_ellipsis() {
    let long = |n: usize| "ž".repeat(n + 50);
    let v = json!({
        "honzik_response": long(RESPONSE_CHARS),
        "translation": long(TRANSLATION_CHARS),
        "corrected_text": long(CORRECTED_CHARS),
        "mistakes": [{
            "original": long(FRAGMENT_CHARS), "corrected": "x".repeat(FRAGMENT_CHARS + 1),
            "explanation": long(EXPLANATION_CHARS), "category": "gender"
        }],
        "suggestion": long(EXPLANATION_CHARS),
        "new_words": [{ "czech": long(WORD_CHARS), "translation": long(WORD_TRANSLATION_CHARS) }]
    });
    let r = parse_reply(&v.to_string()).unwrap();
    let n = |s: &str| s.chars().count();
    assert_eq!(n(&r.honzik_response), RESPONSE_CHARS);
    assert!(r.honzik_response.ends_with('…'));
    assert_eq!(n(&r.translation), TRANSLATION_CHARS);
    assert_eq!(n(&r.corrected_text), CORRECTED_CHARS);
    assert_eq!(n(&r.mistakes[0].original), FRAGMENT_CHARS);
    assert_eq!(n(&r.mistakes[0].corrected), FRAGMENT_CHARS);
    assert_eq!(n(&r.mistakes[0].explanation), EXPLANATION_CHARS);
    assert_eq!(n(&r.suggestion), EXPLANATION_CHARS);
    assert_eq!(n(&r.new_words[0].czech), WORD_CHARS);
    assert_eq!(n(&r.new_words[0].translation), WORD_TRANSLATION_CHARS);
    // Within the limits nothing changes.
    assert_eq!(
        parse_reply(&full().to_string()).unwrap(),
        parse_reply(&full().to_string()).unwrap().bounded()
    );
    assert_eq!(parse_reply(&full().to_string()).unwrap().honzik_response, "Ahoj! Já mám rád pivo.");
}

#[test]
fn the_schema_is_strict_mode_compatible() {
    fn check(v: &Value) {
        if let Some(obj) = v.as_object() {
            if obj.get("type") == Some(&json!("object")) {
                assert_eq!(obj["additionalProperties"], json!(false));
                let props: Vec<&String> = obj["properties"].as_object().unwrap().keys().collect();
                let required: Vec<&str> = obj["required"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap())
                    .collect();
                assert_eq!(props.len(), required.len());
                for p in props {
                    assert!(required.contains(&p.as_str()), "{p} not required");
                }
            }
            obj.values().for_each(check);
        }
    }
    let schema = json_schema();
    check(&schema);
    let cats = &schema["properties"]["mistakes"]["items"]["properties"]["category"]["enum"];
    assert_eq!(cats.as_array().unwrap().len(), MistakeCategory::ALL.len());
    assert!(cats.as_array().unwrap().contains(&json!("vyjmenovana_slova")));
}

#[test]
fn the_schema_puts_the_short_corrected_text_first_and_the_long_parts_last() {
    let schema = json_schema();
    let keys: Vec<&str> =
        schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "corrected_text",
            "honzik_response",
            "mistakes",
            "correctness_score",
            "translation",
            "new_words",
            "suggestion",
            "scene"
        ]
    );
    let required: Vec<&str> =
        schema["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(required, keys, "required lists them in the same order");
    let mistake: Vec<&str> = schema["properties"]["mistakes"]["items"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(mistake, ["original", "corrected", "category", "explanation"]);
    // And the order survives serialization, which is what the provider reads.
    let text = schema.to_string();
    let at = |k: &str| text.find(&format!("\"{k}\"")).unwrap();
    assert!(
        at("corrected_text") < at("honzik_response") && at("honzik_response") < at("suggestion")
    );
}

#[test]
fn every_schema_property_is_a_field_of_the_reply() {
    let schema = json_schema();
    let reply = serde_json::to_value(parse_reply(&full().to_string()).unwrap()).unwrap();
    let mut a: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    let mut b: Vec<&String> = reply.as_object().unwrap().keys().collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
fn a_scene_s_progress_is_read_when_given_and_absent_otherwise() {
    let mut v = full();
    assert_eq!(parse_reply(&v.to_string()).unwrap().scene, None);
    v["scene"] = json!({ "goal_reached": "true", "hint": " Zaplatím, prosím. " });
    let scene = parse_reply(&v.to_string()).unwrap().scene.expect("a scene");
    assert!(scene.goal_reached);
    assert_eq!(scene.hint, "Zaplatím, prosím.");
    v["scene"] = Value::Null;
    assert_eq!(parse_reply(&v.to_string()).unwrap().scene, None);
    let schema = json_schema();
    assert!(schema["required"].as_array().unwrap().contains(&json!("scene")));
}
