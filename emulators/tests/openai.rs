//! The OpenAI emulator as async-openai 0.43 sees it: the real client
//! drives chat completions, transcriptions and speech; raw HTTP checks the
//! refusals, faults and holds.

use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::audio::{
    AudioInput, CreateSpeechRequestArgs, CreateTranscriptionRequestArgs, SpeechModel,
    SpeechResponseFormat, TranscriptionUsage, Voice,
};
use async_openai::types::chat::{
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequestArgs, CreateChatCompletionResponse, FinishReason, ResponseFormat,
    ResponseFormatJsonSchema,
};
use emulators::openai::{AiFault, Endpoint, OpenAiConfig, OpenAiEmulator};
use emulators::samples;
use serde_json::{Value, json};

async fn emulator() -> OpenAiEmulator {
    OpenAiEmulator::start(OpenAiConfig::default()).await.unwrap()
}

fn client(em: &OpenAiEmulator) -> Client<OpenAIConfig> {
    // The bot's TLS stack needs a process-wide provider even for plain HTTP.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::with_config(OpenAIConfig::new().with_api_base(em.base_url()).with_api_key("sk-test"))
}

const SYSTEM: &str =
    "Jsi Honzík, veselý pražský tutor češtiny. Answer in JSON. Translation language: English.";

fn tutor_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["honzik_response", "translation", "corrected_text", "mistakes", "correctness_score", "suggestion", "new_words"],
        "properties": {
            "honzik_response": {"type": "string"},
            "translation": {"type": "string"},
            "corrected_text": {"type": "string"},
            "mistakes": {"type": "array", "items": {"$ref": "#/$defs/Mistake"}},
            "correctness_score": {"type": "integer"},
            "suggestion": {"type": "string"},
            "new_words": {"type": "array", "items": {"type": "object", "additionalProperties": false,
                "required": ["czech", "translation"],
                "properties": {"czech": {"type": "string"}, "translation": {"type": "string"}}}}
        },
        "$defs": {"Mistake": {"type": "object", "additionalProperties": false,
            "required": ["original", "corrected", "explanation", "category"],
            "properties": {"original": {"type": "string"}, "corrected": {"type": "string"},
                           "explanation": {"type": "string"}, "category": {"type": "string"}}}}
    })
}

fn chat_request(user: &str) -> async_openai::types::chat::CreateChatCompletionRequest {
    CreateChatCompletionRequestArgs::default()
        .model("gpt-4o-mini")
        .messages([
            ChatCompletionRequestSystemMessage::from(SYSTEM).into(),
            ChatCompletionRequestUserMessage::from(user).into(),
        ])
        .response_format(ResponseFormat::JsonSchema {
            json_schema: ResponseFormatJsonSchema {
                name: "honzik_reply".into(),
                schema: tutor_schema(),
                strict: Some(true),
                description: None,
            },
        })
        .build()
        .unwrap()
}

async fn post(em: &OpenAiEmulator, path: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", em.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_real_client_gets_a_tutor_reply_that_follows_the_schema_and_finds_the_mistake() {
    let em = emulator().await;
    let resp =
        client(&em).chat().create(chat_request("Já jsem byl v Praha včera 🍺 <&>")).await.unwrap();
    assert_eq!(resp.choices[0].finish_reason, Some(FinishReason::Stop));
    let content: Value =
        serde_json::from_str(resp.choices[0].message.content.as_deref().unwrap()).unwrap();
    assert_eq!(content["corrected_text"], "Já jsem byl v Praze včera 🍺 <&>");
    assert_eq!(content["mistakes"].as_array().unwrap().len(), 1);
    assert_eq!(content["mistakes"][0]["original"], "v Praha");
    assert_eq!(content["mistakes"][0]["corrected"], "v Praze");
    assert_eq!(content["mistakes"][0]["category"], "case_endings");
    assert_eq!(content["correctness_score"], 85);
    assert!(content["honzik_response"].as_str().unwrap().contains("Praha"));
    let usage = resp.usage.unwrap();
    assert!(usage.prompt_tokens >= 1 && usage.completion_tokens >= 1);
    let reqs = em.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].model, "gpt-4o-mini");
    assert_eq!(reqs[0].body["messages"][0]["content"], SYSTEM);
    assert_eq!(
        (reqs[0].prompt_tokens, reqs[0].completion_tokens),
        (usage.prompt_tokens, usage.completion_tokens)
    );
    assert!(em.rejected().is_empty());
}

#[tokio::test]
async fn the_chat_response_deserializes_with_async_openai_types() {
    let em = emulator().await;
    let (status, body) = post(&em, "/chat/completions", json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "Отвечай в JSON, перевод на русский."},
                     {"role": "user", "content": [{"type": "text", "text": "Dobře den, já mít pivo"}]}],
        "response_format": {"type": "json_object"}
    })).await;
    assert_eq!(status, 200, "{body}");
    let typed: CreateChatCompletionResponse = serde_json::from_value(body).unwrap();
    let content: Value =
        serde_json::from_str(typed.choices[0].message.content.as_deref().unwrap()).unwrap();
    assert_eq!(content["corrected_text"], "Dobrý den, já mám pivo");
    assert_eq!(content["correctness_score"], 70);
    assert!(content["translation"].as_str().unwrap().contains("Пиво"), "{content}");
}

#[tokio::test]
async fn a_summary_prompt_gets_plain_czech_text_and_queued_content_wins() {
    let em = emulator().await;
    let body = json!({"model": "m", "messages": [
        {"role": "system", "content": "Napiš krátké shrnutí lekce."},
        {"role": "user", "content": "Byl jsem v Brno."}, {"role": "assistant", "content": "…"},
        {"role": "user", "content": "Mám rád hokej."}]});
    let (_, r) = post(&em, "/chat/completions", body.clone()).await;
    let text = r["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(text.starts_with("Shrnutí") && text.contains("Brno"), "{text}");
    em.set_next_chat_content("```json\n{\"honzik_response\": \"Ahoj\"}\n```");
    let (_, r) = post(&em, "/chat/completions", body).await;
    assert_eq!(
        r["choices"][0]["message"]["content"],
        "```json\n{\"honzik_response\": \"Ahoj\"}\n```"
    );
}

#[tokio::test]
async fn invalid_chat_requests_get_openais_400s() {
    let em = emulator().await;
    let cases = [
        (
            json!({"messages": [{"role": "user", "content": "x"}]}),
            "you must provide a model parameter",
        ),
        (json!({"model": "m"}), "Missing required parameter: 'messages'."),
        (json!({"model": "m", "messages": []}), "Invalid 'messages': empty array."),
        (
            json!({"model": "m", "messages": [{"role": "bot", "content": "x"}]}),
            "Invalid value: 'bot'.",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}}),
            "'messages' must contain the word 'json'",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 3}),
            "Invalid 'temperature'",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
                "response_format": {"type": "json_schema", "json_schema": {"name": "r", "strict": true,
                    "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}}),
            "Invalid schema for response_format 'r': In context=(), 'additionalProperties' is required",
        ),
    ];
    for (body, expected) in cases {
        let (status, r) = post(&em, "/chat/completions", body.clone()).await;
        assert_eq!(status, 400, "{body}");
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(msg.starts_with(expected), "{body}: {msg}");
        assert_eq!(r["error"]["type"], "invalid_request_error");
    }
    assert_eq!(em.rejected().len(), 7);
    assert!(em.requests().is_empty());

    let no_schema =
        OpenAiEmulator::start(OpenAiConfig { json_schema_supported: false, ..Default::default() })
            .await
            .unwrap();
    let e = client(&no_schema).chat().create(chat_request("ahoj")).await.unwrap_err();
    assert!(e.to_string().contains("'json_schema' is not supported"), "{e}");
}

#[tokio::test]
async fn the_real_client_without_a_prompt_gets_the_samples_repaired_and_silence_as_nothing() {
    let em = emulator().await;
    let c = client(&em);
    for s in samples::ALL {
        let req = CreateTranscriptionRequestArgs::default()
            .file(AudioInput::from_vec_u8("voice.oga".into(), s.bytes.to_vec()))
            .model("whisper-1")
            .language("cs")
            .build()
            .unwrap();
        let t = c.audio().transcription().create(req).await.unwrap();
        assert_eq!(t.text, s.repaired, "{}", s.name);
        assert!(matches!(t.usage, TranscriptionUsage::Duration(d) if d.seconds >= 1.0));
    }
    em.register_transcript(b"OggS custom", "Vlastní přepis");
    let req = CreateTranscriptionRequestArgs::default()
        .file(AudioInput::from_vec_u8("x.ogg".into(), b"OggS custom".to_vec()))
        .model("gpt-4o-mini-transcribe")
        .build()
        .unwrap();
    let t = c.audio().transcription().create(req).await.unwrap();
    assert_eq!(t.text, "Vlastní přepis");
    assert!(matches!(t.usage, TranscriptionUsage::Tokens(_)));
    let recs = em.requests();
    assert_eq!(recs[0].body["language"], "cs");
    assert_eq!(recs[0].body["file_name"], "voice.oga");
    assert!((recs[0].audio_secs.unwrap() - 3.29).abs() < 0.05);
    assert!(em.rejected().is_empty(), "{:?}", em.rejected());
}

async fn transcribe_raw(
    em: &OpenAiEmulator,
    name: &str,
    bytes: Vec<u8>,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()))
        .text("model", "whisper-1");
    for (k, v) in extra {
        form = form.text(k.to_string(), v.to_string());
    }
    let r = reqwest::Client::new()
        .post(format!("{}/audio/transcriptions", em.base_url()))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn transcription_refuses_empty_and_non_audio_files_like_openai() {
    let em = emulator().await;
    let (s, b) = transcribe_raw(&em, "voice.ogg", vec![], &[]).await;
    assert_eq!(s, 400);
    assert!(b.contains("Audio file is too short"), "{b}");
    let (s, b) = transcribe_raw(&em, "voice.ogg", b"<html>not audio</html>".to_vec(), &[]).await;
    assert_eq!(s, 400);
    let err: Value = serde_json::from_str(&b).unwrap();
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid file format. Supported formats: ['flac'"),
        "{b}"
    );
    assert_eq!(err["error"]["type"], "invalid_request_error");
    let (s, _) = transcribe_raw(&em, "voice.opus", samples::SILENCE.to_vec(), &[]).await;
    assert_eq!(s, 400, "OpenAI goes by the extension, and .opus is not on its list");
    let (s, b) = transcribe_raw(
        &em,
        "v.ogg",
        samples::BEGINNER_AHOJ.to_vec(),
        &[("response_format", "text")],
    )
    .await;
    assert_eq!((s, b.as_str()), (200, "Ahoj, jak se máš? Já se mám dobře.\n"));
    let (s, _) =
        transcribe_raw(&em, "v.ogg", samples::BEGINNER_AHOJ.to_vec(), &[("language", "czech")])
            .await;
    assert_eq!(s, 400);
    assert_eq!(em.rejected().len(), 4);
}

#[tokio::test]
#[allow(deprecated)] // the model enum is marked deprecated upstream, the model still exists
async fn speech_returns_a_real_ogg_opus_voice_note_and_validates_its_input() {
    let em = emulator().await;
    let req = CreateSpeechRequestArgs::default()
        .model(SpeechModel::Gpt4oMiniTts)
        .input("Ahoj, já jsem Honzík!")
        .voice(Voice::Nova)
        .response_format(SpeechResponseFormat::Opus)
        .speed(1.0)
        .build()
        .unwrap();
    let audio = client(&em).audio().speech().create(req).await.unwrap();
    assert!(audio.bytes.starts_with(b"OggS"));
    assert!(samples::speech().iter().any(|s| s.bytes == audio.bytes.as_ref()));
    assert_eq!(em.requests()[0].body["voice"], "nova");

    let base = json!({"model": "tts-1", "voice": "alloy", "input": "Ahoj"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, expected) in [
        (with("input", json!("")), "Invalid 'input': empty string."),
        (with("input", json!("á".repeat(4097))), "Invalid 'input': string too long."),
        (with("speed", json!(4.5)), "Invalid 'speed': decimal above maximum value."),
        (with("speed", json!(0.2)), "Invalid 'speed': decimal below minimum value."),
        (with("voice", json!("honzik")), "Invalid value: 'honzik'."),
    ] {
        let (status, r) = post(&em, "/audio/speech", body).await;
        assert_eq!(status, 400);
        assert!(r["error"]["message"].as_str().unwrap().starts_with(expected), "{r}");
    }
    let ok = reqwest::Client::new()
        .post(format!("{}/audio/speech", em.base_url()))
        .json(&with("input", json!("á".repeat(4096))))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.headers()["content-type"], "audio/mpeg");
}

#[tokio::test]
async fn injected_faults_reach_the_client_as_openai_errors() {
    let em = emulator().await;
    let c = client(&em);
    em.fail_next(Endpoint::Chat, 1, AiFault::RateLimited { retry_after_secs: 1 });
    let r = reqwest::Client::new()
        .post(format!("{}/chat/completions", em.base_url()))
        .json(&json!({"model": "m", "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "rate_limit_exceeded");

    // async-openai 0.43 retries 429 (honouring retry-after) and 5xx itself, up to 3 times.
    em.fail_next(Endpoint::Chat, 1, AiFault::RateLimited { retry_after_secs: 1 });
    c.chat().create(chat_request("ahoj")).await.unwrap();
    em.fail_next(Endpoint::Chat, 4, AiFault::Status(503));
    let e = c.chat().create(chat_request("ahoj")).await.unwrap_err();
    assert!(e.to_string().contains("503"), "{e}");
    // Quota exhaustion is a 429 it does not retry.
    em.fail_next(Endpoint::Chat, 1, AiFault::Status(429));
    let e = c.chat().create(chat_request("ahoj")).await.unwrap_err();
    assert!(e.to_string().contains("insufficient_quota"), "{e}");
    assert_eq!(em.calls(Endpoint::Chat), 1 + 2 + 4 + 1);

    em.fail_next(Endpoint::Chat, 1, AiFault::InvalidJson);
    em.fail_next(Endpoint::Chat, 1, AiFault::MissingFields);
    em.fail_next(Endpoint::Chat, 1, AiFault::Truncated);
    em.fail_next(Endpoint::Chat, 1, AiFault::Refusal);
    let resp = c.chat().create(chat_request("ahoj")).await.unwrap();
    assert!(
        serde_json::from_str::<Value>(resp.choices[0].message.content.as_deref().unwrap()).is_err()
    );
    let resp = c.chat().create(chat_request("ahoj")).await.unwrap();
    let v: Value =
        serde_json::from_str(resp.choices[0].message.content.as_deref().unwrap()).unwrap();
    assert!(v.get("honzik_response").is_some() && v.get("mistakes").is_none());
    let resp = c.chat().create(chat_request("ahoj")).await.unwrap();
    assert_eq!(resp.choices[0].finish_reason, Some(FinishReason::Length));
    let resp = c.chat().create(chat_request("ahoj")).await.unwrap();
    assert!(resp.choices[0].message.content.is_none() && resp.choices[0].message.refusal.is_some());
    assert!(em.rejected().is_empty());
}

#[tokio::test]
async fn a_held_endpoint_parks_requests_until_released() {
    let em = emulator().await;
    let guard = em.hold(Endpoint::Transcription);
    let c = client(&em);
    let req = CreateTranscriptionRequestArgs::default()
        .file(AudioInput::from_vec_u8("v.oga".into(), samples::ADVANCED_KUNDERA.to_vec()))
        .model("whisper-1")
        .build()
        .unwrap();
    let pending = tokio::spawn(async move { c.audio().transcription().create(req).await });
    assert!(
        em.wait_until(Duration::from_secs(5), |em| em.held_requests(Endpoint::Transcription) == 1)
            .await
    );
    assert_eq!(em.requests().len(), 1, "recorded before being held");
    assert!(!pending.is_finished());
    guard.release();
    let t = pending.await.unwrap().unwrap();
    assert_eq!(t.text, samples::ADVANCED_KUNDERA_TEXT);
    assert_eq!(em.held_requests(Endpoint::Transcription), 0);
}

#[tokio::test]
async fn an_api_key_is_required_when_configured() {
    let em = OpenAiEmulator::start(OpenAiConfig {
        api_key: Some("sk-right".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let e = client(&em).chat().create(chat_request("ahoj")).await.unwrap_err();
    assert!(e.to_string().contains("Incorrect API key provided"), "{e}");
    let (status, _) = post(&em, "/chat/completions", json!({})).await;
    assert_eq!(status, 401);
    let ok = Client::with_config(
        OpenAIConfig::new().with_api_base(em.base_url()).with_api_key("sk-right"),
    );
    ok.chat().create(chat_request("ahoj")).await.unwrap();
}

#[tokio::test]
async fn an_outage_refuses_every_endpoint_until_it_ends_and_keeps_queued_faults() {
    let em = emulator().await;
    em.fail_next(Endpoint::Chat, 1, AiFault::Status(500));
    em.set_outage(Some(503));
    let http = reqwest::Client::new();
    let chat = || {
        http.post(format!("{}/chat/completions", em.base_url()))
            .json(&json!({"model": "m", "messages": [{"role": "user", "content": "x"}]}))
            .send()
    };
    let r = chat().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["type"], "server_error");
    let r = http
        .post(format!("{}/audio/speech", em.base_url()))
        .json(&json!({"model": "tts-1", "input": "ahoj", "voice": "onyx"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503, "speech too, before validation");
    assert_eq!((em.outage_refused(Endpoint::Chat), em.outage_refused(Endpoint::Speech)), (1, 1));
    assert_eq!(em.calls(Endpoint::Chat), 1);
    assert!(em.requests().is_empty(), "refused requests are not recorded");
    em.set_outage(None);
    assert_eq!(
        chat().await.unwrap().status(),
        500,
        "the queued fault waited for the outage to end"
    );
    assert_eq!(chat().await.unwrap().status(), 200);
    assert!(em.rejected().is_empty());
}
