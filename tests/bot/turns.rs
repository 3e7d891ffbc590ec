use emulators::Endpoint;
use emulators::samples;
use emulators::telegram::BotMessageKind;

use crate::common::*;

#[tokio::test]
async fn a_voice_turn_gets_honziks_voice_what_he_heard_and_the_correction() {
    let app = spawn_app().await;
    let olga = app.learner(201, "ru");
    app.onboard(&olga, "ru", "beginner").await;
    let sent = olga.send_voice(samples::BEGINNER_MISTAKE.to_vec(), 4);
    let replies = app.replies_to(&olga, sent.message_id, true).await;

    assert!((1..=2).contains(&replies.len()), "one or two messages per turn, got {replies:#?}");
    assert_eq!(replies[0].kind, BotMessageKind::Voice, "the voice comes first for a voice turn");
    let voice = replies.iter().find(|m| m.kind == BotMessageKind::Voice).unwrap();
    assert!(
        voice.file_bytes.as_ref().is_some_and(|b| b.starts_with(b"OggS")),
        "Honzík speaks Ogg Opus"
    );
    let all_text: String = replies
        .iter()
        .map(|m| format!("{} {}", m.plain_text(), m.caption.clone().unwrap_or_default()))
        .collect();
    assert!(all_text.contains("v Praha"), "shows what he heard: {all_text}");
    assert!(all_text.contains("v Praze"), "shows the correction: {all_text}");
    assert!(all_text.contains("/100"), "shows the score: {all_text}");
    assert!(
        app.tg.chat_actions(201).iter().any(|a| a == "record_voice"),
        "the chat shows Honzík recording"
    );

    // The beginner was answered by the simple model, in Czech, with speech speed of the settings.
    let chat = app.ai.requests().into_iter().find(|r| r.endpoint == Endpoint::Chat).unwrap();
    assert_eq!(chat.model, "gpt-4o-mini");
    let stt =
        app.ai.requests().into_iter().find(|r| r.endpoint == Endpoint::Transcription).unwrap();
    assert_eq!(stt.body["language"], "cs");
    assert_eq!(stt.body["file_name"], "voice.ogg");

    // Everything is stored: both messages, the mistake with its category, progress, timings.
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 201").await, 2);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM mistakes WHERE user_id = 201 AND category = 'case_endings'"
        )
        .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 201 AND role = 'learner' AND text LIKE '%v Praha%' AND model = 'gpt-4o-mini' AND prompt_tokens > 0").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM daily_stats WHERE user_id = 201 AND turns = 1").await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM users WHERE id = 201 AND streak_current = 1 AND stars_total >= 1").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM turns WHERE user_id = 201 AND outcome = 'answered' AND stt_ms IS NOT NULL").await, 1);
    // Both voices are persisted (in the background, so wait for the paths).
    app.wait_until(|| std::fs::read_dir(app.dir.path().join("audio")).is_ok()).await;
    let db_paths = async {
        app.count(
            "SELECT COUNT(*) AS n FROM messages WHERE user_id = 201 AND audio_path IS NOT NULL",
        )
        .await
    };
    let mut n = db_paths.await;
    for _ in 0..100 {
        if n == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        n = app
            .count(
                "SELECT COUNT(*) AS n FROM messages WHERE user_id = 201 AND audio_path IS NOT NULL",
            )
            .await;
    }
    assert_eq!(n, 2, "the learner's and Honzík's audio are saved with their paths");
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_text_turn_gets_the_text_first_and_the_voice_last() {
    let app = spawn_app().await;
    let ivan = app.learner(202, "en");
    app.onboard(&ivan, "en", "intermediate").await;
    let sent = ivan.send_text("Dobře den, já mít rád pivo.");
    let replies = app.replies_to(&ivan, sent.message_id, true).await;
    assert!((1..=2).contains(&replies.len()), "{replies:#?}");
    assert_eq!(replies.last().unwrap().kind, BotMessageKind::Voice, "the voice is the final reply");
    if replies.len() == 2 {
        assert_eq!(replies[0].kind, BotMessageKind::Text);
    }
    let all: String = replies
        .iter()
        .map(|m| format!("{} {}", m.plain_text(), m.caption.clone().unwrap_or_default()))
        .collect();
    assert!(all.contains("Dobrý den"), "corrects 'dobře den': {all}");
    let chat = app.ai.requests().into_iter().find(|r| r.endpoint == Endpoint::Chat).unwrap();
    assert_eq!(chat.model, "gpt-4o", "intermediate learners get the main model");
    assert_eq!(app.ai.calls(Endpoint::Transcription), 0, "typed text is not transcribed");
    app.assert_no_rejections();
}

#[tokio::test]
async fn honzik_remembers_the_conversation_within_the_budget() {
    let app = spawn_app().await;
    let l = app.learner(203, "en");
    app.onboard(&l, "en", "advanced").await;
    for text in ["Jmenuju se Olga a bydlím v Brně.", "Mám ráda hokej a knedlíky."] {
        let sent = l.send_text(text);
        app.replies_to(&l, sent.message_id, true).await;
    }
    let sent = l.send_text("Jak se jmenuju?");
    app.replies_to(&l, sent.message_id, true).await;
    let last = app.ai.requests().into_iter().rfind(|r| r.endpoint == Endpoint::Chat).unwrap();
    let history = last.body["messages"].to_string();
    assert!(history.contains("Jmenuju se Olga"), "earlier turns are in the context: {history}");
    assert!(last.body["messages"][0]["role"] == "system");
    // Structured outputs where the server offers them; the minimal server does JSON mode only.
    let offered = match emulators::Shapes::from_env() {
        emulators::Shapes::OpenAi => "json_schema",
        emulators::Shapes::Minimal => "json_object",
    };
    assert_eq!(last.body["response_format"]["type"], offered, "the best format offered");
}

#[tokio::test]
async fn a_reply_longer_than_a_telegram_message_is_split_at_word_boundaries() {
    let app = spawn_app().await;
    let l = app.learner(204, "en");
    app.onboard(&l, "en", "native").await;
    // Honzík's line at its longest (`tutor::reply::RESPONSE_CHARS`; a longer one is clipped) and
    // a long message from the learner, shown back: together well over one Telegram message.
    let long = "Pivo a knedlíky jsou základ české kuchyně. ".repeat(46);
    assert!(long.chars().count() <= mluvme::tutor::reply::RESPONSE_CHARS);
    app.ai.set_next_chat_content(
        &serde_json::json!({
            "honzik_response": long, "translation": "", "corrected_text": "Ahoj", "mistakes": [],
            "correctness_score": 95, "suggestion": "<b>&</b>", "new_words": []
        })
        .to_string(),
    );
    let asked = format!(
        "Ahoj, povídej mi o české kuchyni <prosím> & děkuji 🍺 {}",
        "Mám moc rád knedlíky se zelím a plzeňské pivo. ".repeat(60)
    );
    let sent = l.send_text(&asked);
    let replies = app.replies_to(&l, sent.message_id, true).await;
    let texts: Vec<_> = replies.iter().filter(|m| m.kind == BotMessageKind::Text).collect();
    assert!(texts.len() >= 2, "the 5000-character answer needs several messages: {}", texts.len());
    for t in &texts {
        assert!(t.plain_text().encode_utf16().count() <= 4096);
        let p = t.plain_text();
        assert!(!p.starts_with("íky") && !p.ends_with("knedl"), "never cut mid-word");
    }
    let joined: String = texts.iter().map(|t| t.plain_text()).collect();
    assert!(
        joined.contains("<prosím> & děkuji 🍺"),
        "the learner's own <, & and emoji come back intact"
    );
    assert!(joined.contains("<b>&</b>"), "model text is shown, not interpreted as markup");
    app.assert_no_rejections();
}

// --- Honzík's voice made while the rest of his answer streams (issue 18, point 1) ---

/// An app whose chat model takes `chat_ms` to stream its answer, spread over the chunks.
async fn streaming_app(chat_ms: u64) -> TestApp {
    let latency = emulators::LatencyProfile {
        chat: emulators::LatencyRange::ms(chat_ms, chat_ms),
        ..emulators::LatencyProfile::zero()
    };
    let ai = emulators::OpenAiConfig { latency, ..Default::default() };
    TestApp::builder().openai(ai).spawn().await.unwrap()
}

/// The texts Honzík's voice was asked for, in order.
fn voiced(app: &TestApp) -> Vec<String> {
    let speech = app.ai.requests().into_iter().filter(|r| r.endpoint == Endpoint::Speech);
    speech.map(|r| r.body["input"].as_str().unwrap_or_default().to_owned()).collect()
}

#[tokio::test]
async fn honziks_voice_is_asked_for_before_the_rest_of_his_streamed_answer_has_arrived() {
    let app = streaming_app(1500).await;
    let l = app.learner(205, "en");
    app.onboard(&l, "en", "beginner").await;
    let sent = l.send_voice(samples::BEGINNER_MISTAKE.to_vec(), 4);
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert_eq!(replies[0].kind, BotMessageKind::Voice, "{replies:#?}");

    let chat = app.ai.requests().iter().position(|r| r.endpoint == Endpoint::Chat).unwrap();
    assert_eq!(app.ai.requests()[chat].body["stream"], true, "a voice turn streams its reply");
    let timeline = app.ai.timeline();
    let at = |endpoint, moment| {
        timeline.iter().position(|e| e.endpoint == endpoint && e.moment == moment).unwrap()
    };
    let chat_done = timeline
        .iter()
        .position(|e| e.request == chat && e.moment == emulators::Moment::Answered)
        .unwrap();
    assert!(
        at(Endpoint::Speech, emulators::Moment::Arrived) < chat_done,
        "the voice was asked for while the answer still streamed: {timeline:#?}"
    );
    assert_eq!(app.ai.calls(Endpoint::Speech), 1, "and made once");
    let said = app.texts(205, "honzik").await;
    assert_eq!(voiced(&app), said, "his voice says what the stored answer says");
    let tts = "SELECT COUNT(*) AS n FROM usage WHERE user_id = 205 AND kind = 'tts'";
    assert_eq!(app.count(tts).await, 1, "the voice is paid for once");
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_streamed_reply_the_bot_clips_gets_its_voice_made_again_and_one_left_as_it_is_does_not() {
    let app = streaming_app(200).await;
    let l = app.learner(206, "en");
    app.onboard(&l, "en", "beginner").await;
    let reply = |said: &str| {
        serde_json::json!({
            "honzik_response": said, "corrected_text": "Byl jsem v Praze.", "mistakes": [],
            "correctness_score": 90, "translation": "", "suggestion": "", "new_words": []
        })
        .to_string()
    };
    // Longer than the bot keeps (`tutor::reply::RESPONSE_CHARS`): what he says is clipped.
    let long = "Praha je krásná a já tam jezdím rád. ".repeat(60);
    assert!(long.chars().count() > mluvme::tutor::reply::RESPONSE_CHARS);
    app.ai.set_next_chat_content(&reply(&long));
    let sent = l.send_voice(samples::BEGINNER_MISTAKE.to_vec(), 4);
    app.replies_to(&l, sent.message_id, true).await;
    let said = app.texts(206, "honzik").await;
    let voices = voiced(&app);
    assert_eq!(voices.len(), 2, "made early, then again for the clipped words");
    assert_eq!(voices[0], long.trim(), "the early voice said the words as they streamed");
    assert_eq!(voices[1], said[0], "the voice sent says what the stored answer says");
    assert_ne!(voices[0], voices[1]);
    let tts = "SELECT COUNT(*) AS n FROM usage WHERE user_id = 206 AND kind = 'tts'";
    assert_eq!(app.count(tts).await, 2, "both voices were paid for, and both are counted");

    app.ai.set_next_chat_content(&reply("Super! A co jsi v Praze dělal?"));
    let sent = l.send_voice(samples::BEGINNER_MISTAKE.to_vec(), 4);
    app.replies_to(&l, sent.message_id, true).await;
    assert_eq!(voiced(&app).len(), 3, "the words he streamed are the words he says: one voice");
    assert_eq!(voiced(&app)[2], "Super! A co jsi v Praze dělal?");
}

#[tokio::test]
async fn a_chat_server_that_cannot_stream_is_asked_for_whole_replies_from_then_on() {
    let ai = emulators::OpenAiConfig { streaming_supported: false, ..Default::default() };
    let app = TestApp::builder().openai(ai).spawn().await.unwrap();
    let l = app.learner(207, "en");
    app.onboard(&l, "en", "beginner").await;
    for _ in 0..2 {
        let sent = l.send_voice(samples::BEGINNER_MISTAKE.to_vec(), 4);
        let replies = app.replies_to(&l, sent.message_id, true).await;
        assert_eq!(replies[0].kind, BotMessageKind::Voice, "{replies:#?}");
    }
    let refused: Vec<_> = app.ai.rejected().into_iter().filter(|r| r.status == 400).collect();
    assert_eq!(refused.len(), 1, "refused once, then not asked to stream again: {refused:#?}");
    let chats = app.ai.requests().into_iter().filter(|r| r.endpoint == Endpoint::Chat);
    assert!(chats.map(|r| r.body).all(|b| b.get("stream").is_none_or(|s| s != true)));
    assert_eq!(app.ai.calls(Endpoint::Speech), 2);
}
