//! The real ecosystem of OpenAI-compatible servers (issue 16): response bodies in the shapes
//! OpenAI, Ollama, llama.cpp's server, vLLM and the Whisper servers document, fed to the bot
//! (`tests/fixtures/ai/`); servers that offer less than OpenAI (no `usage`, no `verbose_json`,
//! no structured outputs or no `response_format` at all); answers the bot cannot read; and
//! speech on a server of its own.

use emulators::telegram::{BotMessage, BotMessageKind, Learner};
use emulators::{Endpoint, OpenAiConfig, OpenAiEmulator, Shapes, samples};

use crate::common::*;

const CHAT_FIXTURES: [(&str, &str); 5] = [
    ("openai", include_str!("../fixtures/ai/openai-chat.json")),
    ("ollama", include_str!("../fixtures/ai/ollama-chat.json")),
    ("llama.cpp", include_str!("../fixtures/ai/llamacpp-chat.json")),
    ("vllm", include_str!("../fixtures/ai/vllm-chat.json")),
    ("minimal", include_str!("../fixtures/ai/minimal-chat.json")),
];

/// Each transcription body, and whether it tells the audio's length (3.29 s or 4 s).
const TRANSCRIPTION_FIXTURES: [(&str, &str, bool); 8] = [
    ("openai json", include_str!("../fixtures/ai/openai-transcription.json"), true),
    ("openai verbose_json", include_str!("../fixtures/ai/openai-transcription-verbose.json"), true),
    (
        "openai gpt-4o-transcribe",
        include_str!("../fixtures/ai/openai-transcription-tokens.json"),
        false,
    ),
    ("speaches json", include_str!("../fixtures/ai/speaches-transcription.json"), false),
    (
        "speaches verbose_json",
        include_str!("../fixtures/ai/speaches-transcription-verbose.json"),
        true,
    ),
    (
        "whisper.cpp verbose_json",
        include_str!("../fixtures/ai/whispercpp-transcription-verbose.json"),
        true,
    ),
    ("vllm", include_str!("../fixtures/ai/vllm-transcription.json"), true),
    ("minimal", include_str!("../fixtures/ai/minimal-transcription.json"), false),
];

async fn learner(app: &TestApp, id: i64, level: &str) -> Learner {
    let l = app.learner(id, "en");
    app.onboard(&l, "en", level).await;
    l
}

fn answered(replies: &[BotMessage]) -> bool {
    replies.iter().any(|m| m.kind == BotMessageKind::Voice)
}

fn said(replies: &[BotMessage]) -> String {
    replies.iter().map(|m| m.plain_text()).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn every_servers_documented_chat_completion_is_answered_and_only_one_without_usage_is_an_estimate()
 {
    let app = spawn_app().await;
    let l = learner(&app, 1601, "advanced").await;
    for (server, body) in CHAT_FIXTURES {
        app.ai.set_next_body(Endpoint::Chat, body);
        let sent = l.send_text("Já jsem byl v Praha včera a pil jsem pivo.");
        let replies = app.replies_to(&l, sent.message_id, true).await;
        assert!(said(&replies).contains("A co jsi v Praze viděl?"), "{server}: {replies:#?}");
    }
    let rows = |filter: &str| {
        format!("SELECT COUNT(*) AS n FROM usage WHERE user_id = 1601 AND kind = 'chat'{filter}")
    };
    assert_eq!(app.count(&rows("")).await, 5);
    assert_eq!(
        app.count(&rows(" AND estimated AND prompt_tokens > 0 AND cost_micros > 0")).await,
        1
    );
    app.assert_no_rejections();
}

#[tokio::test]
async fn every_servers_documented_transcription_is_heard_verbatim_and_billed_by_what_it_decoded() {
    let app = spawn_app().await;
    let l = learner(&app, 1602, "beginner").await;
    // About 6.5 s as measured; the fixtures that tell a length say 3.29 s or 4 s.
    let sample = samples::INTERMEDIATE_RESTAURACE;
    let mut told = 0;
    for (server, body, tells_length) in TRANSCRIPTION_FIXTURES {
        app.ai.set_next_body(Endpoint::Transcription, body);
        let sent = l.send_voice(sample.to_vec(), 7);
        let replies = app.replies_to(&l, sent.message_id, true).await;
        assert!(answered(&replies), "{server}: {replies:#?}");
        told += usize::from(tells_length);
        let billed_by_server = app
            .count("SELECT COUNT(*) AS n FROM usage WHERE user_id = 1602 AND kind = 'stt' AND audio_seconds <= 4")
            .await;
        assert_eq!(billed_by_server as usize, told, "{server}");
    }
    let kept = "SELECT COUNT(*) AS n FROM messages WHERE user_id = 1602 AND role = 'learner' \
                AND text = 'Já jsem byl v Praha včera a pil jsem pivo.'";
    assert_eq!(app.count(kept).await, 8, "the learner's mistake is what Honzík hears");
    let measured = "SELECT COUNT(*) AS n FROM usage WHERE user_id = 1602 AND kind = 'stt' \
                    AND audio_seconds > 6 AND audio_seconds <= 7";
    assert_eq!(app.count(measured).await, 3, "the others by the bot's own measurement");
}

#[tokio::test]
async fn against_a_minimal_server_voice_turns_are_answered_and_costs_are_marked_as_estimates() {
    let ai = OpenAiConfig { shapes: Shapes::Minimal, ..Default::default() };
    let app = TestApp::builder().openai(ai).env(&[("ADMIN_IDS", "1600")]).spawn().await.unwrap();
    let l = learner(&app, 1603, "beginner").await;
    for _ in 0..2 {
        let sent = l.send_sample(&samples::ALL[1]);
        let replies = app.replies_to(&l, sent.message_id, true).await;
        assert!(answered(&replies), "{replies:#?}");
        assert!(!said(&replies).contains("catching his breath"), "{replies:#?}");
    }
    // Each refusal once: the bot remembers what the server does not offer.
    let refused: Vec<u16> = app.ai.unsupported().iter().map(|r| r.status).collect();
    assert_eq!(refused, [422, 400], "verbose_json, then json_schema");
    let stt: Vec<_> =
        app.ai.requests().into_iter().filter(|r| r.endpoint == Endpoint::Transcription).collect();
    assert!(
        stt.iter().all(|r| r.body["response_format"] == "json" && r.body["prompt"].is_string())
    );
    let heard = "SELECT COUNT(*) AS n FROM messages WHERE user_id = 1603 AND role = 'learner' AND text LIKE '%v Praha%'";
    assert_eq!(app.count(heard).await, 2, "the verbatim transcript");
    let estimated = "SELECT COUNT(*) AS n FROM usage WHERE user_id = 1603 AND kind = 'chat' AND estimated AND cost_micros > 0";
    assert_eq!(app.count(estimated).await, 2);
    let exact = "SELECT COUNT(*) AS n FROM usage WHERE user_id = 1603 AND kind IN ('stt', 'tts') AND NOT estimated";
    assert_eq!(app.count(exact).await, 4);
    let admin = learner(&app, 1600, "beginner").await;
    let sent = admin.send_text("/admin");
    let stats = said(&app.replies_to(&admin, sent.message_id, false).await);
    assert!(stats.contains("gpt-4o-mini $") && stats.contains("(estimate)"), "{stats}");
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_server_without_any_response_format_gets_the_schema_in_the_prompt() {
    let ai = OpenAiConfig {
        json_schema_supported: false,
        json_object_supported: false,
        ..Default::default()
    };
    let app = TestApp::builder().openai(ai).spawn().await.unwrap();
    let l = learner(&app, 1604, "beginner").await;
    for text in ["Ahoj, jak se máš?", "Mám rád pivo."] {
        let sent = l.send_text(text);
        assert!(answered(&app.replies_to(&l, sent.message_id, true).await), "{text}");
    }
    let chats: Vec<_> =
        app.ai.requests().into_iter().filter(|r| r.endpoint == Endpoint::Chat).collect();
    assert_eq!(chats.len(), 2);
    for c in &chats {
        assert!(c.body["response_format"].is_null(), "{}", c.body["response_format"]);
        let system = c.body["messages"][0]["content"].as_str().unwrap();
        assert!(system.contains("\"honzik_response\""), "the schema is in the prompt");
    }
    assert_eq!(app.ai.unsupported().len(), 2, "json_schema and json_object, once each");
}

/// A bot whose circuits open at the first failure, with its operations port.
async fn touchy_app() -> (TestApp, u16) {
    let port = free_port();
    let env = [("OPENAI_BREAKER_FAILURES", "1"), ("PORT", &port.to_string())];
    (TestApp::builder().env(&env).spawn().await.unwrap(), port)
}

/// The bot's `/metrics` text.
async fn metrics(port: u16) -> String {
    let r = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap();
    r.text().await.unwrap()
}

#[tokio::test]
async fn an_unreadable_transcription_is_that_voice_notes_fault_not_an_outage() {
    let (app, port) = touchy_app().await;
    let l = learner(&app, 1605, "beginner").await;
    app.ai.set_next_body(Endpoint::Transcription, r#"{"result": "Ahoj", "status": "ok"}"#);
    let sent = l.send_sample(&samples::ALL[0]);
    let replies = app.replies_to(&l, sent.message_id, false).await;
    assert_eq!(replies.len(), 1, "{replies:#?}");
    let notice = replies[0].plain_text();
    assert!(notice.contains("speech recognition service sent back"), "{notice}");
    assert!(!notice.contains("catching his breath"), "{notice}");
    assert_eq!(app.ai.calls(Endpoint::Transcription), 1, "not retried as if the server were down");
    let counted = "mluvme_upstream_errors_total{upstream=\"stt\",kind=\"unreadable\"} 1";
    assert!(metrics(port).await.contains(counted), "counted as unreadable");
    // The server is up, and a circuit that opens at one failure stayed closed: the next voice
    // note goes through at once.
    let sent = l.send_sample(&samples::ALL[0]);
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert!(answered(&replies) && !said(&replies).contains("catching his breath"), "{replies:#?}");
}

#[tokio::test]
async fn an_unreadable_chat_answer_is_that_turns_fault_and_the_next_turn_is_answered() {
    let (app, port) = touchy_app().await;
    // Advanced: the main model, so there is no bigger one to escalate to.
    let l = learner(&app, 1606, "advanced").await;
    // Ollama's native answer: what a base URL without `/v1` gets.
    let native =
        r#"{"model":"llama3.1:8b","message":{"role":"assistant","content":"Ahoj"},"done":true}"#;
    app.ai.set_next_body(Endpoint::Chat, native);
    let sent = l.send_text("Ahoj, jak se máš?");
    let replies = app.replies_to(&l, sent.message_id, false).await;
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert!(replies[0].plain_text().contains("Honzík got confused"), "{replies:#?}");
    assert_eq!(app.ai.calls(Endpoint::Chat), 1, "not retried as if the server were down");
    let counted = "mluvme_upstream_errors_total{upstream=\"chat\",kind=\"unreadable\"} 1";
    assert!(metrics(port).await.contains(counted), "counted as unreadable");
    let sent = l.send_text("Ahoj, jak se máš?");
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert!(answered(&replies) && !said(&replies).contains("catching his breath"), "{replies:#?}");
}

#[tokio::test]
async fn speech_can_run_on_a_server_of_its_own_with_its_own_key() {
    let local = OpenAiConfig {
        shapes: Shapes::Minimal,
        api_key: Some("local-speech-key".into()),
        ..Default::default()
    };
    let speech = OpenAiEmulator::start(local).await.unwrap();
    let url = speech.base_url();
    let env = [
        ("STT_BASE_URL", url.as_str()),
        ("STT_API_KEY", "local-speech-key"),
        ("TTS_BASE_URL", url.as_str()),
        ("TTS_API_KEY", "local-speech-key"),
    ];
    let app = TestApp::builder().env(&env).spawn().await.unwrap();
    let l = learner(&app, 1607, "beginner").await;
    let sent = l.send_sample(&samples::ALL[1]);
    assert!(answered(&app.replies_to(&l, sent.message_id, true).await));
    let on = |em: &OpenAiEmulator| {
        [Endpoint::Chat, Endpoint::Transcription, Endpoint::Speech].map(|e| em.calls(e))
    };
    assert_eq!(on(&app.ai), [1, 0, 0], "chat stays on the chat server");
    assert_eq!(on(&speech), [0, 1, 1], "speech both ways on its own server");
    assert!(speech.rejected().is_empty(), "its key was sent: {:?}", speech.rejected());
    app.assert_no_rejections();
}
