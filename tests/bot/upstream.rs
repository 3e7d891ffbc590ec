use emulators::{AiFault, Endpoint};

use crate::common::*;

#[tokio::test]
async fn an_openai_outage_is_announced_once_and_the_turn_is_answered_when_it_clears() {
    let env = [
        ("OPENAI_BREAKER_FAILURES", "2"),
        ("OPENAI_MAX_RETRIES", "1"),
        ("OPENAI_BACKOFF_BASE_MS", "10"),
        ("OPENAI_BREAKER_COOLDOWN_SECONDS", "1"),
    ];
    let (app, l) = app_with(401, &env).await;
    // Four failed requests: two turns' worth of attempts open the circuit, then it clears.
    app.ai.fail_next(Endpoint::Chat, 4, AiFault::Status(503));
    let sent = l.send_text("Ahoj, jak se máš?");
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert_eq!(replies.len(), 2, "one notice, then the answer: {replies:#?}");
    let notice = replies[0].plain_text();
    assert!(
        notice.contains("catching his breath"),
        "the localized upstream-busy notice first: {notice}"
    );
    assert!(
        !notice.contains("503") && !notice.to_lowercase().contains("error:"),
        "no internals shown: {notice}"
    );
    assert_eq!(replies[1].kind, emulators::telegram::BotMessageKind::Voice, "then Honzík's answer");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 401 AND role = 'learner' AND text LIKE 'Ahoj%'").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 401 AND role = 'honzik'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM turns WHERE user_id = 401 AND outcome = 'answered'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_outage_longer_than_the_wait_gets_a_clear_give_up_and_the_message_is_kept() {
    let env = [
        ("OPENAI_MAX_RETRIES", "0"),
        ("OUTAGE_WAIT_SECONDS", "2"),
        ("OPENAI_BREAKER_COOLDOWN_SECONDS", "3600"),
        ("OPENAI_BREAKER_FAILURES", "1"),
    ];
    let (app, l) = app_with(409, &env).await;
    app.ai.fail_next(Endpoint::Chat, 100, AiFault::Status(503));
    let sent = l.send_text("Ahoj, jak se máš?");
    app.replies_to(&l, sent.message_id, false).await;
    app.wait_until(|| {
        l.messages().iter().filter(|m| m.reply_to == Some(sent.message_id)).count() == 2
    })
    .await;
    let replies: Vec<_> =
        l.messages().into_iter().filter(|m| m.reply_to == Some(sent.message_id)).collect();
    assert!(replies[0].plain_text().contains("catching his breath"), "{replies:#?}");
    assert!(
        replies[1].plain_text().contains("send it again"),
        "the localized give-up: {replies:#?}"
    );
    assert_eq!(app.ai.calls(Endpoint::Chat), 1, "the open circuit sent nothing more");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 409 AND role = 'learner' AND text LIKE 'Ahoj%'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM turns WHERE user_id = 409 AND outcome = 'notice:upstream-gave-up'").await, 1);
}

#[tokio::test]
async fn a_short_rate_limit_is_retried_without_bothering_the_learner() {
    let app = spawn_app().await;
    let l = app.learner(402, "en");
    app.onboard(&l, "en", "beginner").await;
    app.ai.fail_next(Endpoint::Chat, 1, AiFault::RateLimited { retry_after_secs: 1 });
    let sent = l.send_text("Ahoj, jak se máš?");
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert!(replies.iter().any(|m| m.kind == emulators::telegram::BotMessageKind::Voice));
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
    // No answer, but both unreadable replies were paid for: they are on the learner's account.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM usage WHERE user_id = 403 AND kind = 'chat' AND prompt_tokens > 0 AND completion_tokens > 0").await,
        1,
        "the two attempts recorded as one request's cost"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM daily_stats WHERE user_id = 403 AND cost_micros > 0")
            .await,
        1,
        "and counted in the learner's day"
    );
}

#[tokio::test]
async fn a_simple_model_failing_twice_escalates_once_to_the_main_model() {
    let app = spawn_app().await;
    let l = app.learner(406, "en");
    app.onboard(&l, "en", "beginner").await;
    app.ai.fail_next(Endpoint::Chat, 2, AiFault::InvalidJson);
    let sent = l.send_text("Ahoj, jak se máš?");
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert!(
        replies.iter().any(|m| m.kind == emulators::telegram::BotMessageKind::Voice),
        "answered after escalation"
    );
    let models: Vec<_> = app
        .ai
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Endpoint::Chat)
        .map(|r| r.model)
        .collect();
    assert_eq!(models, ["gpt-4o-mini", "gpt-4o-mini", "gpt-4o"]);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 406 AND role = 'honzik' AND model = 'gpt-4o'").await, 1);
    // The simple model's two unreadable replies are paid for beside the main model's answer.
    for model in ["gpt-4o-mini", "gpt-4o"] {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM usage WHERE user_id = 406 AND kind = 'chat' AND model = '{model}'"
        );
        assert_eq!(app.count(&sql).await, 1, "{model}'s cost recorded");
    }
}

#[tokio::test]
async fn a_telegram_flood_limit_is_waited_out() {
    let app = spawn_app().await;
    let l = app.learner(404, "en");
    app.onboard(&l, "en", "beginner").await;
    app.tg.fail_next(
        "sendVoice",
        1,
        emulators::telegram::TgFault::TooManyRequests { retry_after: 1 },
    );
    let sent = l.send_text("Ahoj, jak se máš?");
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert_eq!(
        replies.iter().filter(|m| m.kind == emulators::telegram::BotMessageKind::Voice).count(),
        1,
        "sent once, after waiting"
    );
}

#[tokio::test]
async fn a_server_without_structured_outputs_is_used_in_json_mode() {
    let ai = emulators::OpenAiConfig { json_schema_supported: false, ..Default::default() };
    let app = TestApp::builder().openai(ai).spawn().await.unwrap();
    let l = app.learner(405, "en");
    app.onboard(&l, "en", "beginner").await;
    for text in ["Ahoj, jak se máš?", "Mám rád pivo."] {
        let sent = l.send_text(text);
        let replies = app.replies_to(&l, sent.message_id, true).await;
        assert!(replies.iter().any(|m| m.kind == emulators::telegram::BotMessageKind::Voice));
    }
    let formats: Vec<_> = app
        .ai
        .requests()
        .iter()
        .filter(|r| r.endpoint == Endpoint::Chat)
        .map(|r| r.body["response_format"]["type"].clone())
        .collect();
    assert_eq!(
        formats,
        ["json_object", "json_object"],
        "after the first refusal the bot stays in JSON mode"
    );
}

// --- Upstream faults without pile-ups (retries, deadline, concurrency limit, circuit breaker) ---

/// A bot with these extra settings (restarted so they apply), and an onboarded beginner.
async fn app_with(id: i64, env: &[(&str, &str)]) -> (TestApp, emulators::telegram::Learner) {
    let mut app = spawn_app().await;
    app.stop().await;
    for (k, v) in env {
        app.set_env(k, v);
    }
    app.start_again().await;
    let l = app.learner(id, "en");
    app.onboard(&l, "en", "beginner").await;
    (app, l)
}

fn chat_turn_requests(app: &TestApp) -> usize {
    app.ai.requests().iter().filter(|r| r.endpoint == Endpoint::Chat && is_turn(&r.body)).count()
}

#[tokio::test]
async fn server_errors_are_retried_and_the_learner_gets_the_normal_answer() {
    let (app, l) = app_with(410, &[("OPENAI_BACKOFF_BASE_MS", "20")]).await;
    app.ai.fail_next(Endpoint::Chat, 2, AiFault::Status(503));
    let sent = l.send_text("Ahoj, jak se máš?");
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert!(
        replies.iter().any(|m| m.kind == emulators::telegram::BotMessageKind::Voice),
        "{replies:#?}"
    );
    assert_eq!(app.ai.calls(Endpoint::Chat), 3, "two failures, one success, no doubled retries");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM turns WHERE user_id = 410 AND outcome = 'answered'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_exhausted_quota_is_not_retried() {
    let (app, l) =
        app_with(411, &[("OPENAI_BACKOFF_BASE_MS", "20"), ("OUTAGE_WAIT_SECONDS", "0")]).await;
    app.ai.fail_next(Endpoint::Chat, 1, AiFault::Status(429)); // insufficient_quota
    let sent = l.send_text("Ahoj, jak se máš?");
    app.replies_to(&l, sent.message_id, false).await;
    assert_eq!(app.ai.calls(Endpoint::Chat), 1);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM turns WHERE user_id = 411 AND outcome = 'notice:upstream-gave-up'").await, 1);
}

#[tokio::test]
async fn a_refused_request_is_not_retried() {
    let (app, l) = app_with(412, &[("OPENAI_BACKOFF_BASE_MS", "20")]).await;
    app.ai.fail_next(Endpoint::Chat, 1, AiFault::Status(401));
    let sent = l.send_text("Ahoj, jak se máš?");
    app.replies_to(&l, sent.message_id, false).await;
    assert_eq!(app.ai.calls(Endpoint::Chat), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM turns WHERE user_id = 412 AND outcome = 'failed'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_hung_request_times_out_and_is_retried() {
    let env = [
        ("OPENAI_TIMEOUT_SECONDS", "1"),
        ("OPENAI_DEADLINE_SECONDS", "8"),
        ("OPENAI_BACKOFF_BASE_MS", "20"),
    ];
    let (app, l) = app_with(413, &env).await;
    app.ai.fail_next(Endpoint::Chat, 1, AiFault::Timeout);
    let sent = l.send_text("Ahoj, jak se máš?");
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert!(replies.iter().any(|m| m.kind == emulators::telegram::BotMessageKind::Voice));
    assert_eq!(app.ai.calls(Endpoint::Chat), 2);
}

#[tokio::test]
async fn a_request_that_keeps_hanging_ends_at_its_deadline_with_a_notice() {
    let env = [
        ("OPENAI_TIMEOUT_SECONDS", "1"),
        ("OPENAI_DEADLINE_SECONDS", "2"),
        ("OPENAI_BACKOFF_BASE_MS", "20"),
        ("OUTAGE_WAIT_SECONDS", "0"),
    ];
    let (app, l) = app_with(414, &env).await;
    app.ai.fail_next(Endpoint::Chat, 20, AiFault::Timeout);
    let sent = l.send_text("Ahoj, jak se máš?");
    app.replies_to(&l, sent.message_id, false).await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM turns WHERE user_id = 414 AND outcome = 'notice:upstream-gave-up'").await, 1);
}

#[tokio::test]
async fn an_outage_opens_the_circuit_and_later_turns_get_the_notice_without_a_request() {
    let env = [
        ("OPENAI_BREAKER_FAILURES", "2"),
        ("OPENAI_MAX_RETRIES", "1"),
        ("OPENAI_BACKOFF_BASE_MS", "10"),
        ("OPENAI_BREAKER_COOLDOWN_SECONDS", "3600"),
        ("OUTAGE_WAIT_SECONDS", "0"),
    ];
    let (app, l) = app_with(415, &env).await;
    app.ai.fail_next(Endpoint::Chat, 100, AiFault::Status(503));
    for text in ["Ahoj, jak se máš?", "Mám rád pivo.", "Kde je nádraží?", "Dobrou noc."] {
        let sent = l.send_text(text);
        let replies = app.replies_to(&l, sent.message_id, false).await;
        assert_eq!(replies.len(), 1, "{replies:#?}");
        assert!(
            replies[0].plain_text().contains("send it again"),
            "the localized give-up notice: {replies:#?}"
        );
    }
    assert_eq!(
        app.ai.calls(Endpoint::Chat),
        4,
        "two turns of two attempts opened the circuit; the other two sent nothing"
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM turns WHERE user_id = 415 AND outcome = 'notice:upstream-gave-up'").await, 4);
}

#[tokio::test]
async fn after_the_cooldown_a_probe_closes_the_circuit_and_turns_are_answered_again() {
    let env = [
        ("OPENAI_BREAKER_FAILURES", "1"),
        ("OPENAI_MAX_RETRIES", "0"),
        ("OPENAI_BREAKER_COOLDOWN_SECONDS", "1"),
    ];
    let (app, l) = app_with(416, &env).await;
    app.ai.fail_next(Endpoint::Chat, 1, AiFault::Status(503));
    let sent = l.send_text("Ahoj, jak se máš?");
    // The failure opens the circuit; the turn waits out the cooldown and is the probe.
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert!(replies[0].plain_text().contains("catching his breath"), "{replies:#?}");
    for text in ["Mám rád pivo.", "Kde je nádraží?"] {
        let sent = l.send_text(text);
        let replies = app.replies_to(&l, sent.message_id, true).await;
        assert_eq!(
            replies.iter().filter(|m| m.plain_text().contains("catching his breath")).count(),
            0,
            "{replies:#?}"
        );
    }
    assert_eq!(
        chat_turn_requests(&app),
        4,
        "the failure, the probe that answers the first turn, two more turns"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM turns WHERE user_id = 416 AND outcome = 'answered'")
            .await,
        3
    );
}

#[tokio::test]
async fn the_chat_concurrency_limit_holds_back_requests_until_a_slot_frees() {
    let (app, a) = app_with(417, &[("OPENAI_MAX_CONCURRENT_CHAT", "1")]).await;
    let b = app.learner(418, "en");
    app.onboard(&b, "en", "beginner").await;
    let hold = app.ai.hold(Endpoint::Chat);
    let sent_a = a.send_text("Ahoj, jak se máš?");
    let sent_b = b.send_text("Mám rád pivo.");
    app.wait_until(|| app.ai.held_requests(Endpoint::Chat) == 1).await;
    // Both turns are running; the second has no slot, so it never reaches the server.
    app.wait_until(|| app.tg.pending_updates() == 0).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.ai.calls(Endpoint::Chat), 1);
    hold.release();
    for (l, sent) in [(&a, sent_a), (&b, sent_b)] {
        let replies = app.replies_to(l, sent.message_id, true).await;
        assert!(replies.iter().any(|m| m.kind == emulators::telegram::BotMessageKind::Voice));
    }
    assert_eq!(app.ai.calls(Endpoint::Chat), 2);
}

/// Issue 15, point 2: speech-to-text failing on one learner's audio — however many files they
/// send — does not open the circuit for everyone; two learners' failures do.
#[tokio::test]
async fn one_learners_failing_audio_never_opens_the_speech_circuit_for_the_others() {
    let env = [
        ("OPENAI_BREAKER_FAILURES", "2"),
        ("OPENAI_MAX_RETRIES", "0"),
        ("OPENAI_BREAKER_COOLDOWN_SECONDS", "3600"),
        ("OUTAGE_WAIT_SECONDS", "0"),
    ];
    let (app, mallory) = app_with(431, &env).await;
    let (olga, petr) = (app.learner(432, "en"), app.learner(433, "en"));
    app.onboard(&olga, "en", "beginner").await;
    app.onboard(&petr, "en", "beginner").await;
    let voice = || emulators::samples::BEGINNER_MISTAKE.to_vec();

    app.ai.fail_next(Endpoint::Transcription, 3, AiFault::Status(503));
    for _ in 0..3 {
        let sent = mallory.send_voice(voice(), 4);
        let replies = app.replies_to(&mallory, sent.message_id, false).await;
        assert!(replies[0].plain_text().contains("send it again"), "{replies:#?}");
    }
    let sent = olga.send_voice(voice(), 4);
    let replies = app.replies_to(&olga, sent.message_id, true).await;
    assert!(
        !replies.iter().any(|m| m.plain_text().contains("catching his breath")),
        "three failures of one learner's audio count once: {replies:#?}"
    );
    assert_eq!(app.ai.calls(Endpoint::Transcription), 4);

    // A second learner's failure is a second failure: now the circuit opens.
    app.ai.fail_next(Endpoint::Transcription, 2, AiFault::Status(503));
    for l in [&mallory, &olga] {
        let sent = l.send_voice(voice(), 4);
        app.replies_to(l, sent.message_id, false).await;
    }
    let sent = petr.send_voice(voice(), 4);
    let replies = app.replies_to(&petr, sent.message_id, false).await;
    assert!(replies[0].plain_text().contains("send it again"), "{replies:#?}");
    assert_eq!(app.ai.calls(Endpoint::Transcription), 6, "refused without a request");
}
