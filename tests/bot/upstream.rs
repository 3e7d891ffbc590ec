use load::{AiFault, Endpoint};

use crate::common::*;

#[tokio::test]
async fn an_openai_outage_gets_a_friendly_notice_and_the_message_is_kept() {
    let app = spawn_app().await;
    let l = app.learner(401, "en");
    app.onboard(&l, "en", "beginner").await;
    app.ai.fail_next(Endpoint::Chat, 10, AiFault::Status(503));
    let sent = l.send_text("Ahoj, jak se máš?");
    let replies = app.replies_to(&l, sent.message_id, false).await;
    assert_eq!(replies.len(), 1, "{replies:#?}");
    let text = replies[0].plain_text();
    assert!(!text.contains("503") && !text.to_lowercase().contains("error:"), "no internals shown: {text}");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 401 AND role = 'learner' AND text LIKE 'Ahoj%'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM turns WHERE user_id = 401 AND outcome = 'notice:upstream-busy'").await, 1);
}

#[tokio::test]
async fn a_short_rate_limit_is_retried_without_bothering_the_learner() {
    let app = spawn_app().await;
    let l = app.learner(402, "en");
    app.onboard(&l, "en", "beginner").await;
    app.ai.fail_next(Endpoint::Chat, 1, AiFault::RateLimited { retry_after_secs: 1 });
    let sent = l.send_text("Ahoj, jak se máš?");
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert!(replies.iter().any(|m| m.kind == load::telegram::BotMessageKind::Voice));
}

#[tokio::test]
async fn invalid_model_output_is_retried_once_then_explained() {
    let app = spawn_app().await;
    let l = app.learner(403, "en");
    app.onboard(&l, "en", "intermediate").await;
    app.ai.fail_next(Endpoint::Chat, 2, AiFault::InvalidJson);
    let sent = l.send_text("Ahoj, jak se máš?");
    let replies = app.replies_to(&l, sent.message_id, false).await;
    assert_eq!(replies.len(), 1);
    assert_eq!(app.ai.calls(Endpoint::Chat), 2, "one retry");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM turns WHERE user_id = 403 AND outcome = 'notice:reply-invalid'").await, 1);
}

#[tokio::test]
async fn a_simple_model_failing_twice_escalates_once_to_the_main_model() {
    let app = spawn_app().await;
    let l = app.learner(406, "en");
    app.onboard(&l, "en", "beginner").await;
    app.ai.fail_next(Endpoint::Chat, 2, AiFault::InvalidJson);
    let sent = l.send_text("Ahoj, jak se máš?");
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert!(replies.iter().any(|m| m.kind == load::telegram::BotMessageKind::Voice), "answered after escalation");
    let models: Vec<_> = app.ai.requests().into_iter().filter(|r| r.endpoint == Endpoint::Chat).map(|r| r.model).collect();
    assert_eq!(models, ["gpt-4o-mini", "gpt-4o-mini", "gpt-4o"]);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 406 AND role = 'honzik' AND model = 'gpt-4o'").await, 1);
}

#[tokio::test]
async fn a_telegram_flood_limit_is_waited_out() {
    let app = spawn_app().await;
    let l = app.learner(404, "en");
    app.onboard(&l, "en", "beginner").await;
    app.tg.fail_next("sendVoice", 1, load::telegram::TgFault::TooManyRequests { retry_after: 1 });
    let sent = l.send_text("Ahoj, jak se máš?");
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert_eq!(replies.iter().filter(|m| m.kind == load::telegram::BotMessageKind::Voice).count(), 1, "sent once, after waiting");
}

#[tokio::test]
async fn a_server_without_structured_outputs_is_used_in_json_mode() {
    let ai = load::OpenAiConfig { json_schema_supported: false, ..Default::default() };
    let app = spawn_app_with(Db::Sqlite, ai).await.unwrap();
    let l = app.learner(405, "en");
    app.onboard(&l, "en", "beginner").await;
    for text in ["Ahoj, jak se máš?", "Mám rád pivo."] {
        let sent = l.send_text(text);
        let replies = app.replies_to(&l, sent.message_id, true).await;
        assert!(replies.iter().any(|m| m.kind == load::telegram::BotMessageKind::Voice));
    }
    let formats: Vec<_> = app.ai.requests().iter().filter(|r| r.endpoint == Endpoint::Chat).map(|r| r.body["response_format"]["type"].clone()).collect();
    assert_eq!(formats, ["json_object", "json_object"], "after the first refusal the bot stays in JSON mode");
}
