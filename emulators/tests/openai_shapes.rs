//! The OpenAI emulator's transcripts (verbatim with a prompt, "repaired" without), its
//! `verbose_json`, and its minimal OpenAI-compatible shapes, over raw HTTP.

use emulators::openai::{Endpoint, OpenAiConfig, OpenAiEmulator, Shapes};
use emulators::samples;
use serde_json::{Value, json};

async fn emulator(shapes: Shapes) -> OpenAiEmulator {
    OpenAiEmulator::start(OpenAiConfig { shapes, ..Default::default() }).await.unwrap()
}

/// A transcription of `audio` with these form fields (repeated names allowed): status and body.
async fn transcribe(em: &OpenAiEmulator, audio: &[u8], fields: &[(&str, &str)]) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(audio.to_vec()).file_name("voice.ogg"))
        .text("model", "whisper-1");
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let r = reqwest::Client::new()
        .post(format!("{}/audio/transcriptions", em.base_url()))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn chat(em: &OpenAiEmulator, response_format: Value) -> (u16, Value) {
    let body = json!({
        "model": "llama3.1:8b",
        "messages": [{ "role": "system", "content": "Jsi Honzík. Answer in JSON." },
                     { "role": "user", "content": "Ahoj, jak se máš?" }],
        "response_format": response_format,
    });
    let r = reqwest::Client::new()
        .post(format!("{}/chat/completions", em.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn a_prompt_gets_the_learners_mistakes_kept_and_no_prompt_gets_them_repaired() {
    let em = emulator(Shapes::OpenAi).await;
    let sample = &samples::ALL[1];
    assert_ne!(sample.text, sample.repaired, "the sample has a mistake to keep or repair");
    let prompt = [("prompt", "Doslovný přepis, včetně chyb.")];
    let (_, verbatim) = transcribe(&em, sample.bytes, &prompt).await;
    assert_eq!(verbatim["text"], "Já jsem byl v Praha včera a pil jsem pivo.");
    let (_, repaired) = transcribe(&em, sample.bytes, &[]).await;
    assert_eq!(repaired["text"], "Včera jsem byl v Praze a pil jsem pivo.");
    let (_, blank) = transcribe(&em, sample.bytes, &[("prompt", "  ")]).await;
    assert_eq!(blank["text"], repaired["text"], "a blank prompt asks for nothing");
    for s in samples::ALL {
        let (_, t) = transcribe(&em, s.bytes, &prompt).await;
        assert_eq!(t["text"], s.text, "{}", s.name);
    }
}

#[tokio::test]
async fn verbose_json_tells_the_duration_segments_and_the_words_asked_for() {
    let em = emulator(Shapes::OpenAi).await;
    let fields = [
        ("response_format", "verbose_json"),
        ("timestamp_granularities[]", "word"),
        ("timestamp_granularities[]", "segment"),
    ];
    let (status, v) = transcribe(&em, samples::BEGINNER_AHOJ, &fields).await;
    assert_eq!(status, 200, "{v}");
    assert!((v["duration"].as_f64().unwrap() - 3.29).abs() < 0.05, "{v}");
    let words = v["words"].as_array().unwrap();
    assert_eq!(words.len(), 8, "{v}");
    assert_eq!(words[0], json!({ "word": "Ahoj,", "start": 0.0, "end": words[0]["end"] }));
    assert_eq!(v["segments"].as_array().unwrap().len(), 2, "two sentences");
    assert_eq!(
        em.requests()[0].body["timestamp_granularities[]"],
        json!(["word", "segment"]),
        "every value of a repeated field is kept"
    );
    let (_, no_words) =
        transcribe(&em, samples::BEGINNER_AHOJ, &[("response_format", "verbose_json")]).await;
    assert!(no_words.get("words").is_none(), "{no_words}");
    let (status, refused) =
        transcribe(&em, samples::BEGINNER_AHOJ, &[("timestamp_granularities[]", "word")]).await;
    assert_eq!(status, 400, "word timestamps need verbose_json: {refused}");
}

#[tokio::test]
async fn the_minimal_server_answers_the_text_alone_and_refuses_verbose_json_in_its_own_shape() {
    let em = emulator(Shapes::Minimal).await;
    let (status, t) = transcribe(&em, samples::BEGINNER_AHOJ, &[]).await;
    assert_eq!((status, t), (200, json!({ "text": samples::BEGINNER_AHOJ_TEXT })));
    let (status, refused) =
        transcribe(&em, samples::BEGINNER_AHOJ, &[("response_format", "verbose_json")]).await;
    assert_eq!(status, 422);
    assert_eq!(refused["detail"][0]["loc"], json!(["body", "response_format"]), "{refused}");
    assert!(em.rejected().is_empty(), "not offered is not a bug: {:?}", em.rejected());
    assert_eq!(em.unsupported().len(), 1);
}

#[tokio::test]
async fn the_minimal_chat_completion_has_no_usage_and_refuses_structured_outputs() {
    let em = emulator(Shapes::Minimal).await;
    let (status, c) = chat(&em, json!({ "type": "json_object" })).await;
    assert_eq!(status, 200, "{c}");
    let keys: Vec<&String> = c.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["choices"], "{c}");
    let content: Value =
        serde_json::from_str(c["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
    assert!(content["honzik_response"].is_string(), "{content}");
    let schema = json!({ "type": "json_schema", "json_schema": { "name": "r", "schema": { "type": "object" } } });
    let (status, refused) = chat(&em, schema).await;
    assert_eq!(status, 400);
    assert_eq!(refused["error"]["code"], 400, "llama.cpp's numeric code: {refused}");
    assert!(em.rejected().is_empty(), "{:?}", em.rejected());
    assert_eq!(em.unsupported().len(), 1);
}

#[tokio::test]
async fn a_server_without_json_mode_refuses_it_and_a_queued_body_is_answered_as_it_is() {
    let config = OpenAiConfig { json_object_supported: false, ..Default::default() };
    let em = OpenAiEmulator::start(config).await.unwrap();
    let (status, _) = chat(&em, json!({ "type": "json_object" })).await;
    assert_eq!(status, 400);
    em.set_next_body(Endpoint::Chat, r#"{"choices":[{"message":{"content":"hotovo"}}]}"#);
    let (status, c) = chat(&em, json!({ "type": "text" })).await;
    assert_eq!((status, c), (200, json!({ "choices": [{ "message": { "content": "hotovo" } }] })));
    em.set_next_body(Endpoint::Transcription, r#"{"text":"Ahoj"}"#);
    let (_, t) = transcribe(&em, samples::BEGINNER_MISTAKE, &[]).await;
    assert_eq!(t, json!({ "text": "Ahoj" }));
}
