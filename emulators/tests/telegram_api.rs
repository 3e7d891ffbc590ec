//! Bot API semantics over raw HTTP: getUpdates offsets and long polling,
//! body encodings, Telegram's refusals with their exact descriptions,
//! injected faults and flood control.

use std::time::{Duration, Instant};

use emulators::telegram::{TelegramConfig, TelegramEmulator, TgFault};
use serde_json::{Value, json};

async fn emulator() -> TelegramEmulator {
    TelegramEmulator::start(TelegramConfig::default()).await.unwrap()
}

async fn call(em: &TelegramEmulator, method: &str, params: Value) -> (u16, Value) {
    let url = format!("{}/bot{}/{method}", em.api_url(), em.token());
    let r = reqwest::Client::new().post(url).json(&params).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Calls a method that must fail; returns its description.
async fn refused(em: &TelegramEmulator, method: &str, params: Value) -> String {
    let (status, body) = call(em, method, params).await;
    assert_eq!(body["ok"], false, "{body}");
    assert_eq!(body["error_code"], status, "{body}");
    body["description"].as_str().unwrap().to_owned()
}

fn ids(body: &Value) -> Vec<i64> {
    body["result"].as_array().unwrap().iter().map(|u| u["update_id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn get_updates_offset_confirms_and_forgets_earlier_updates() {
    let em = emulator().await;
    let l = em.learner(1, "A", None);
    let a = l.send_text("jedna").update_id;
    let b = l.send_text("dvě").update_id;
    let c = l.send_text("tři").update_id;
    // Without an offset nothing is confirmed: the same updates come again.
    assert_eq!(ids(&call(&em, "getUpdates", json!({})).await.1), [a, b, c]);
    assert_eq!(ids(&call(&em, "getUpdates", json!({"limit": 2})).await.1), [a, b]);
    assert_eq!(em.pending_updates(), 3);
    assert_eq!(ids(&call(&em, "getUpdates", json!({"offset": b})).await.1), [b, c]);
    assert_eq!(em.confirmed_offset(), b);
    assert_eq!(em.pending_updates(), 2);
    // Negative offset: only the last N remain.
    let d = l.send_text("čtyři").update_id;
    assert_eq!(ids(&call(&em, "getUpdates", json!({"offset": -1})).await.1), [d]);
    assert_eq!(ids(&call(&em, "getUpdates", json!({"offset": d + 1})).await.1), Vec::<i64>::new());
    assert_eq!(em.pending_updates(), 0);
}

#[tokio::test]
async fn a_long_poll_wakes_as_soon_as_an_update_arrives_and_otherwise_times_out() {
    let em = emulator().await;
    let l = em.learner(1, "A", None);
    let started = Instant::now();
    let (_, empty) = call(&em, "getUpdates", json!({"timeout": 1})).await;
    assert!(ids(&empty).is_empty());
    assert!(started.elapsed() >= Duration::from_millis(900), "{:?}", started.elapsed());

    let started = Instant::now();
    let poll = call(&em, "getUpdates", json!({"timeout": 20}));
    let push = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        l.send_text("ahoj").update_id
    };
    let ((_, body), id) = tokio::join!(poll, push);
    assert_eq!(ids(&body), [id]);
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_second_poller_or_a_webhook_conflicts_with_get_updates() {
    let em = emulator().await;
    let first = call(&em, "getUpdates", json!({"timeout": 10}));
    let second = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        call(&em, "getUpdates", json!({"timeout": 0})).await
    };
    let ((status, body), (status2, _)) = tokio::join!(first, second);
    assert_eq!((status, status2), (409, 200));
    assert_eq!(
        body["description"],
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
    );

    assert_eq!(
        refused(&em, "setWebhook", json!({"url": "http://x"})).await,
        "Bad Request: bad webhook: HTTPS url must be provided for webhook"
    );
    assert_eq!(
        call(&em, "setWebhook", json!({"url": "https://bot.example/hook"})).await.1["result"],
        true
    );
    let d = refused(&em, "getUpdates", json!({})).await;
    assert!(d.starts_with("Conflict: can't use getUpdates method while webhook is active"), "{d}");
    assert_eq!(
        call(&em, "getWebhookInfo", json!({})).await.1["result"]["url"],
        "https://bot.example/hook"
    );
    assert_eq!(call(&em, "deleteWebhook", json!({})).await.1["result"], true);
    assert_eq!(call(&em, "getUpdates", json!({})).await.0, 200);
    assert_eq!(em.rejected().len(), 3);
}

#[tokio::test]
async fn allowed_updates_drops_update_types_the_bot_did_not_ask_for() {
    let em = emulator().await;
    let l = em.learner(1, "A", None);
    l.send_text("zpráva");
    l.block_bot();
    let (_, body) = call(&em, "getUpdates", json!({"allowed_updates": ["message"]})).await;
    assert_eq!(body["result"].as_array().unwrap().len(), 1);
    assert_eq!(em.pending_updates(), 1, "the my_chat_member update is gone");
    // Remembered for later calls, as on Telegram.
    l.block_bot();
    assert_eq!(call(&em, "getUpdates", json!({})).await.1["result"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn tokens_routes_and_method_names_behave_like_telegram() {
    let em = emulator().await;
    let url = format!("{}/bot123:WRONG/getMe", em.api_url());
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["description"], "Unauthorized");
    assert_eq!(call(&em, "GETME", json!({})).await.1["result"]["is_bot"], true);
    assert_eq!(refused(&em, "sendCarrierPigeon", json!({})).await, "Not Found: method not found");
    assert_eq!(em.calls("getme"), 1);
    let r = reqwest::get(format!("{}/nothing/here/at/all", em.api_url())).await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn urlencoded_and_multipart_bodies_carry_json_valued_fields_as_text() {
    let em = emulator().await;
    em.learner(9, "Jan", None);
    let url = format!("{}/bot{}/sendMessage", em.api_url(), em.token());
    let markup = r#"{"inline_keyboard":[[{"text":"Ano","callback_data":"yes"}]]}"#;
    let form =
        [("chat_id", "9"), ("text", "<b>Jo</b>"), ("parse_mode", "HTML"), ("reply_markup", markup)];
    let body: Value =
        reqwest::Client::new().post(&url).form(&form).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["result"]["text"], "Jo", "{body}");
    let mp = reqwest::multipart::Form::new()
        .text("chat_id", "9")
        .text("text", "Ne")
        .text("reply_parameters", format!(r#"{{"message_id":{}}}"#, body["result"]["message_id"]))
        .text("reply_markup", markup);
    let body: Value =
        reqwest::Client::new().post(&url).multipart(mp).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["result"]["reply_to_message"]["text"], "Jo", "{body}");
    let msgs = em.messages(9);
    assert_eq!(msgs[1].buttons(), [("Ano".to_string(), "yes".to_string())]);
    let q = reqwest::get(format!("{url}?chat_id=9&text=Ahoj+sv%C4%9Bte"))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(q["result"]["text"], "Ahoj světe");
}

#[tokio::test]
async fn what_telegram_refuses_is_refused_with_its_descriptions_and_recorded() {
    let em = emulator().await;
    em.learner(3, "Ola", None);
    let html = |t: &str| json!({"chat_id": 3, "text": t, "parse_mode": "HTML"});
    let d = refused(&em, "sendMessage", html("Ahoj <Ola>")).await;
    assert_eq!(
        d,
        "Bad Request: can't parse entities: Unsupported start tag \"ola\" at byte offset 5"
    );
    assert_eq!(
        refused(&em, "sendMessage", html("<b> </b>")).await,
        "Bad Request: message text is empty"
    );
    assert_eq!(
        refused(&em, "sendMessage", json!({"chat_id": 3})).await,
        "Bad Request: message text is empty"
    );
    // 4096 after entities is fine however long the source; 4097 is not.
    call(&em, "sendMessage", html(&format!("<i>{}</i>", "&amp;".repeat(4096)))).await;
    assert_eq!(
        refused(&em, "sendMessage", html(&"😀".repeat(2049))).await,
        "Bad Request: message is too long"
    );
    let long_caption = json!({"chat_id": 3, "voice": "x", "caption": "č".repeat(1025)});
    assert_eq!(
        refused(&em, "sendVoice", long_caption).await,
        "Bad Request: wrong file identifier/HTTP URL specified"
    );
    let button = |data: &str| json!({"chat_id": 3, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": data}]]}});
    assert_eq!(
        refused(&em, "sendMessage", button(&"á".repeat(33))).await,
        "Bad Request: BUTTON_DATA_INVALID"
    );
    assert_eq!(refused(&em, "sendMessage", button("")).await, "Bad Request: BUTTON_DATA_INVALID");
    assert_eq!(call(&em, "sendMessage", button(&"a".repeat(64))).await.0, 200);
    let reply = |extra: Value| {
        let mut p = json!({"chat_id": 3, "text": "odpověď"});
        p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        p
    };
    assert_eq!(
        refused(&em, "sendMessage", reply(json!({"reply_parameters": {"message_id": 999}}))).await,
        "Bad Request: message to be replied not found"
    );
    assert_eq!(
        refused(&em, "sendMessage", reply(json!({"reply_to_message_id": 999}))).await,
        "Bad Request: message to be replied not found"
    );
    let (_, ok) = call(
        &em,
        "sendMessage",
        reply(
            json!({"reply_parameters": {"message_id": 999, "allow_sending_without_reply": true}}),
        ),
    )
    .await;
    assert!(ok["result"].get("reply_to_message").is_none());
    assert_eq!(
        refused(&em, "editMessageText", json!({"chat_id": 3, "message_id": 999, "text": "x"}))
            .await,
        "Bad Request: message to edit not found"
    );
    let id = ok["result"]["message_id"].clone();
    let d =
        refused(&em, "editMessageText", json!({"chat_id": 3, "message_id": id, "text": "odpověď"}))
            .await;
    assert!(
        d.starts_with("Bad Request: message is not modified: specified new message content"),
        "{d}"
    );
    assert_eq!(
        refused(&em, "answerCallbackQuery", json!({"callback_query_id": "42"})).await,
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    );
    assert_eq!(
        refused(&em, "sendMessage", json!({"chat_id": 404, "text": "x"})).await,
        "Bad Request: chat not found"
    );
    assert_eq!(
        refused(&em, "sendChatAction", json!({"chat_id": 3, "action": "dancing"})).await,
        "Bad Request: wrong parameter action in request"
    );
    assert_eq!(em.rejected().len(), 14);
    assert!(em.rejected().iter().all(|r| r.error_code == 400));
    assert_eq!(em.rejected()[0].method, "sendMessage");
}

#[tokio::test]
async fn captions_are_limited_to_1024_characters_after_entities() {
    let em = emulator().await;
    let l = em.learner(4, "Iva", None);
    let voice = l.send_voice(emulators::samples::BEGINNER_AHOJ.to_vec(), 4);
    let (_, up) = call(&em, "getUpdates", json!({})).await;
    let file_id = up["result"][0]["message"]["voice"]["file_id"].clone();
    assert_eq!(voice.message_id, up["result"][0]["message"]["message_id"].as_i64().unwrap());
    let send = |caption: String| json!({"chat_id": 4, "voice": file_id, "caption": caption, "parse_mode": "HTML"});
    assert_eq!(
        refused(&em, "sendVoice", send("ž".repeat(1025))).await,
        "Bad Request: message caption is too long"
    );
    let (status, body) = call(&em, "sendVoice", send(format!("<b>{}</b>", "ž".repeat(1024)))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["result"]["voice"]["file_id"], file_id,
        "re-sending by file_id reuses the file"
    );
}

#[tokio::test]
async fn files_over_20_mb_cannot_be_fetched_by_bots() {
    let em = emulator().await;
    let l = em.learner(2, "Big", None);
    l.send_voice_claiming(vec![0u8; 21 * 1024 * 1024], 600, Some(1000));
    let (_, up) = call(&em, "getUpdates", json!({})).await;
    let voice = &up["result"][0]["message"]["voice"];
    assert_eq!(voice["file_size"], 1000, "the metadata lies");
    let d = refused(&em, "getFile", json!({"file_id": voice["file_id"]})).await;
    assert_eq!(d, "Bad Request: file is too big");
    assert_eq!(
        refused(&em, "getFile", json!({"file_id": "nope"})).await,
        "Bad Request: invalid file id"
    );
}

#[tokio::test]
async fn injected_faults_hit_the_next_calls_only_and_are_not_rejections() {
    let em = emulator().await;
    em.learner(6, "F", None);
    em.fail_next("sendMessage", 2, TgFault::TooManyRequests { retry_after: 7 });
    em.fail_next("getMe", 1, TgFault::ServerError(502));
    let (status, body) = call(&em, "sendMessage", json!({"chat_id": 6, "text": "x"})).await;
    assert_eq!(status, 429);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7", "parameters": {"retry_after": 7}})
    );
    assert_eq!(call(&em, "sendMessage", json!({"chat_id": 6, "text": "x"})).await.0, 429);
    assert_eq!(call(&em, "sendMessage", json!({"chat_id": 6, "text": "x"})).await.0, 200);
    assert_eq!(
        call(&em, "getMe", json!({})).await,
        (502, json!({"ok": false, "error_code": 502, "description": "Bad Gateway"}))
    );
    assert_eq!(em.calls("sendMessage"), 3);
    assert_eq!(em.messages(6).len(), 1);
    assert!(em.rejected().is_empty());

    // teloxide maps the 429 to RetryAfter.
    use teloxide::prelude::*;
    em.fail_next("sendmessage", 1, TgFault::TooManyRequests { retry_after: 3 });
    let bot = Bot::new(em.token()).set_api_url(reqwest::Url::parse(&em.api_url()).unwrap());
    let e = bot.send_message(ChatId(6), "x").await.unwrap_err();
    assert!(matches!(e, teloxide::RequestError::RetryAfter(s) if s.seconds() == 3), "{e:?}");
}

#[tokio::test]
async fn flood_control_allows_a_burst_then_asks_to_retry_later() {
    let em = TelegramEmulator::start(TelegramConfig { flood_limits: true, ..Default::default() })
        .await
        .unwrap();
    em.learner(8, "Rychlík", None);
    em.learner(9, "Jiný", None);
    for i in 0..3 {
        assert_eq!(
            call(&em, "sendMessage", json!({"chat_id": 8, "text": format!("{i}")})).await.0,
            200
        );
    }
    let (status, body) = call(&em, "sendMessage", json!({"chat_id": 8, "text": "4"})).await;
    assert_eq!(status, 429);
    assert!(body["parameters"]["retry_after"].as_u64().unwrap() >= 1);
    // Other chats are not affected.
    assert_eq!(call(&em, "sendMessage", json!({"chat_id": 9, "text": "ok"})).await.0, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(call(&em, "sendMessage", json!({"chat_id": 8, "text": "5"})).await.0, 200);
}

#[tokio::test]
async fn downloads_can_be_slowed_down() {
    let em = TelegramEmulator::start(TelegramConfig {
        download_delay: Some(Duration::from_millis(300)),
        ..Default::default()
    })
    .await
    .unwrap();
    em.learner(1, "D", None).send_voice(emulators::samples::SILENCE.to_vec(), 1);
    let (_, up) = call(&em, "getUpdates", json!({})).await;
    let (_, f) =
        call(&em, "getFile", json!({"file_id": up["result"][0]["message"]["voice"]["file_id"]}))
            .await;
    let url = format!(
        "{}/file/bot{}/{}",
        em.api_url(),
        em.token(),
        f["result"]["file_path"].as_str().unwrap()
    );
    let started = Instant::now();
    let bytes = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(bytes.as_ref(), emulators::samples::SILENCE);
    assert_eq!(em.downloaded_files(), 1);
}

#[tokio::test]
#[should_panic(expected = "waiting for 1 bot message(s) in chat 77")]
async fn waiting_for_messages_that_never_come_panics_with_a_dump() {
    let em = emulator().await;
    em.learner(77, "Nikdo", None);
    em.wait_messages(77, 1, Duration::from_millis(100)).await;
}

#[tokio::test]
async fn raw_updates_get_ids_and_their_callback_queries_can_be_answered_once() {
    let em = emulator().await;
    em.learner(12, "Olga", Some("ru"));
    let id = em.push_raw_update(json!({"callback_query": {
        "id": "forged-1", "from": {"id": 12, "is_bot": false, "first_name": "Olga"},
        "chat_instance": "1", "data": "level:grandmaster"}}));
    let (_, body) = call(&em, "getUpdates", json!({})).await;
    assert_eq!(ids(&body), [id]);
    assert_eq!(
        call(&em, "answerCallbackQuery", json!({"callback_query_id": "forged-1", "text": "?"}))
            .await
            .0,
        200
    );
    assert_eq!(
        call(&em, "answerCallbackQuery", json!({"callback_query_id": "forged-1"})).await.0,
        400
    );
}
