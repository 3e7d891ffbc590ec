//! The Telegram emulator as teloxide 0.17 sees it: a real `teloxide::Bot`
//! drives it, and everything it generates deserializes into teloxide's own
//! types with the right variants.

use std::time::Duration;

use emulators::samples;
use emulators::telegram::{BotMessageKind, TelegramConfig, TelegramEmulator};
use serde_json::Value;
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{
    ChatMemberKind, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MediaKind, MessageId,
    MessageKind, ParseMode, ReplyParameters, Update, UpdateKind,
};

async fn emulator() -> TelegramEmulator {
    TelegramEmulator::start(TelegramConfig::default()).await.unwrap()
}

fn bot(em: &TelegramEmulator) -> Bot {
    Bot::new(em.token()).set_api_url(reqwest::Url::parse(&em.api_url()).unwrap())
}

/// Fetches the queued updates as raw JSON (without confirming them).
async fn raw_updates(em: &TelegramEmulator) -> Vec<Value> {
    let url = format!("{}/bot{}/getUpdates", em.api_url(), em.token());
    let v: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    v["result"].as_array().unwrap().clone()
}

fn media(u: &Update) -> &MediaKind {
    match &u.kind {
        UpdateKind::Message(m) | UpdateKind::EditedMessage(m) => match &m.kind {
            MessageKind::Common(c) => &c.media_kind,
            other => panic!("not a common message: {other:?}"),
        },
        other => panic!("not a message update: {other:?}"),
    }
}

#[tokio::test]
async fn a_real_teloxide_bot_gets_itself_updates_sends_html_replies_voice_and_downloads_files() {
    let em = emulator().await;
    let bot = bot(&em);

    let me = bot.get_me().await.unwrap();
    assert_eq!(me.username(), "mluvme_test_bot");
    assert!(me.user.is_bot);

    let anna = em.learner(1001, "Anna", Some("cs"));
    let hello = anna.send_text("Ahoj!");
    anna.send_sample(&samples::ALL[1]);

    let updates = bot.get_updates().timeout(1).await.unwrap();
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0].id.0 as i64, hello.update_id);
    let UpdateKind::Message(m) = &updates[0].kind else { panic!("{:?}", updates[0].kind) };
    assert_eq!(m.text(), Some("Ahoj!"));
    assert_eq!(m.chat.id, ChatId(1001));
    assert_eq!(m.from.as_ref().unwrap().language_code.as_deref(), Some("cs"));
    let MediaKind::Voice(v) = media(&updates[1]) else { panic!("{:?}", updates[1]) };
    assert_eq!(v.voice.duration.seconds(), 4);

    // Confirming with offset = last + 1 forgets them.
    let next = updates.last().unwrap().id.0 as i32 + 1;
    assert!(bot.get_updates().offset(next).await.unwrap().is_empty());
    assert_eq!(em.confirmed_offset(), next as i64);
    assert_eq!(em.pending_updates(), 0);

    // HTML reply with an inline keyboard.
    let keyboard =
        InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Znovu 🔁", "retry:1")]]);
    let sent = bot
        .send_message(ChatId(1001), "<b>Ahoj</b>, Anno! 1 &lt; 2 &amp; <i>pivo</i> 🍺")
        .parse_mode(ParseMode::Html)
        .reply_parameters(ReplyParameters::new(MessageId(hello.message_id as i32)))
        .reply_markup(keyboard)
        .await
        .unwrap();
    assert_eq!(sent.text(), Some("Ahoj, Anno! 1 < 2 & pivo 🍺"));
    assert_eq!(sent.entities().unwrap().len(), 2);
    assert_eq!(sent.reply_to_message().unwrap().text(), Some("Ahoj!"));
    assert_eq!(sent.from.as_ref().unwrap().id.0, 123_456);
    assert!(sent.reply_markup().is_some());

    // Voice upload from memory (multipart with attach://).
    let out = bot
        .send_voice(ChatId(1001), InputFile::memory(samples::INTERMEDIATE_RESTAURACE))
        .caption("Poslechni si")
        .await
        .unwrap();
    let voice_out = out.voice().expect("a voice message");
    assert_eq!(voice_out.duration.seconds(), 6);
    assert_eq!(out.caption(), Some("Poslechni si"));

    let msgs = em.wait_messages(1001, 2, Duration::from_secs(5)).await;
    assert_eq!(msgs[0].plain_text(), "Ahoj, Anno! 1 < 2 & pivo 🍺");
    assert_eq!(msgs[0].reply_to, Some(hello.message_id));
    assert_eq!(msgs[0].buttons(), [("Znovu 🔁".to_string(), "retry:1".to_string())]);
    assert_eq!(msgs[1].kind, BotMessageKind::Voice);
    assert_eq!(msgs[1].file_bytes.as_deref(), Some(samples::INTERMEDIATE_RESTAURACE));

    // getFile + download of the learner's voice note.
    let file = bot.get_file(v.voice.file.id.clone()).await.unwrap();
    assert_eq!(file.meta.size as usize, samples::BEGINNER_MISTAKE.len());
    assert!(file.path.starts_with("voice/") && file.path.ends_with(".oga"), "{}", file.path);
    let mut bytes = Vec::new();
    bot.download_file(&file.path, &mut bytes).await.unwrap();
    assert_eq!(bytes, samples::BEGINNER_MISTAKE);
    assert_eq!(em.downloaded_files(), 1);

    assert!(em.rejected().is_empty(), "{:?}", em.rejected());
}

#[tokio::test]
async fn every_learner_action_deserializes_into_the_right_teloxide_update() {
    let em = emulator().await;
    let bot = bot(&em);
    let l = em.learner(7, "Petr", Some("ru")).with_username("petr_cz");
    let text = l.send_command("/start ref42");
    l.send_voice_claiming(samples::SILENCE.to_vec(), 1, None);
    l.send_audio(samples::BEGINNER_AHOJ.to_vec(), 4, "audio/ogg", "ahoj.ogg");
    l.send_video_note(vec![0, 0, 0, 0x18, b'f', b't', b'y', b'p'], 3);
    l.send_document(b"%PDF-1.4".to_vec(), "application/pdf", "slovicka.pdf");
    l.send_sticker();
    l.send_photo();
    l.edit_text(text.message_id, "/start ref43");
    let menu = bot
        .send_message(ChatId(7), "Vyber:")
        .reply_markup(InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("A", "pick:a")]]))
        .await
        .unwrap();
    let query = l.press(menu.id.0 as i64, "pick:a");
    l.block_bot();

    let raw = raw_updates(&em).await;
    let typed = bot.get_updates().await.unwrap();
    assert_eq!(typed.len(), 10);
    let first = &typed[0];
    let UpdateKind::Message(m) = &first.kind else { panic!() };
    assert_eq!(m.text(), Some("/start ref42"));
    assert_eq!(m.entities().unwrap()[0].kind, teloxide::types::MessageEntityKind::BotCommand);
    assert_eq!(m.chat.username(), Some("petr_cz"));
    // No file_size in the metadata: teloxide substitutes u32::MAX.
    assert!(
        matches!(media(&typed[1]), MediaKind::Voice(v) if v.voice.file.size == u32::MAX),
        "{:?}",
        raw[1]
    );
    assert!(matches!(media(&typed[2]), MediaKind::Audio(_)), "{:?}", raw[2]);
    assert!(matches!(media(&typed[3]), MediaKind::VideoNote(_)), "{:?}", raw[3]);
    assert!(
        matches!(media(&typed[4]), MediaKind::Document(d) if d.document.file_name.as_deref() == Some("slovicka.pdf"))
    );
    assert!(matches!(media(&typed[5]), MediaKind::Sticker(_)), "{:?}", raw[5]);
    assert!(matches!(media(&typed[6]), MediaKind::Photo(p) if p.photo.len() == 2), "{:?}", raw[6]);
    let UpdateKind::EditedMessage(e) = &typed[7].kind else { panic!("{:?}", raw[7]) };
    assert_eq!(e.text(), Some("/start ref43"));
    assert!(e.edit_date().is_some());
    let UpdateKind::CallbackQuery(q) = &typed[8].kind else { panic!("{:?}", raw[8]) };
    assert_eq!(q.id.0, query);
    assert_eq!(q.data.as_deref(), Some("pick:a"));
    let qm = q.regular_message().expect("the pressed message");
    assert_eq!(qm.id, menu.id);
    assert_eq!(qm.text(), Some("Vyber:"));
    let UpdateKind::MyChatMember(cm) = &typed[9].kind else { panic!("{:?}", raw[9]) };
    assert!(matches!(cm.new_chat_member.kind, ChatMemberKind::Banned(_)));
    assert!(matches!(cm.old_chat_member.kind, ChatMemberKind::Member(_)));

    // Answering the query: once is fine, twice is "too old".
    bot.answer_callback_query(q.id.clone()).text("Vybráno").await.unwrap();
    let again = bot.answer_callback_query(q.id.clone()).await.unwrap_err();
    assert!(again.to_string().contains("query is too old"), "{again}");
    assert_eq!(em.callback_answers()[0].text.as_deref(), Some("Vybráno"));

    // Blocked: the bot's next message is refused like Telegram does.
    let blocked = bot.send_message(ChatId(7), "Jsi tam?").await.unwrap_err();
    assert!(
        matches!(blocked, teloxide::RequestError::Api(teloxide::ApiError::BotBlocked)),
        "{blocked:?}"
    );
}

#[tokio::test]
async fn sent_messages_and_edits_deserialize_into_teloxide_messages() {
    let em = emulator().await;
    let bot = bot(&em);
    em.learner(5, "Eva", None);
    let m = bot
        .send_message(ChatId(5), "<pre><code class=\"language-cs\">Dobrý den</code></pre><a href=\"https://mluv.me\">web</a>")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    assert_eq!(m.text(), Some("Dobrý denweb"));
    let edited = bot
        .edit_message_text(ChatId(5), m.id, "<s>nové</s>")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    assert_eq!(edited.text(), Some("nové"));
    assert!(edited.edit_date().is_some());
    let same = bot
        .edit_message_text(ChatId(5), m.id, "<s>nové</s>")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap_err();
    assert!(
        matches!(same, teloxide::RequestError::Api(teloxide::ApiError::MessageNotModified)),
        "{same:?}"
    );
    let photo = bot
        .send_photo(ChatId(5), InputFile::memory(include_bytes!("../assets/pixel.png").as_slice()))
        .await
        .unwrap();
    assert!(photo.photo().is_some());
    let doc = bot
        .send_voice(ChatId(5), InputFile::memory(b"RIFF\0\0\0\0WAVEfmt ".as_slice()))
        .await
        .unwrap();
    assert!(doc.document().is_some(), "a WAV sent as voice becomes a document on Telegram");
    bot.delete_message(ChatId(5), m.id).await.unwrap();
    let gone = bot.delete_message(ChatId(5), m.id).await.unwrap_err();
    assert!(matches!(
        gone,
        teloxide::RequestError::Api(teloxide::ApiError::MessageToDeleteNotFound)
    ));
    let msgs = em.messages(5);
    assert!(msgs[0].deleted);
    assert_eq!(msgs[0].edits, 1);
    assert_eq!(msgs[0].plain_text(), "nové");

    bot.send_chat_action(ChatId(5), teloxide::types::ChatAction::RecordVoice).await.unwrap();
    assert_eq!(em.chat_actions(5), ["record_voice"]);

    let cmds = [
        teloxide::types::BotCommand::new("start", "Začít"),
        teloxide::types::BotCommand::new("help", "Nápověda"),
    ];
    bot.set_my_commands(cmds.clone()).await.unwrap();
    bot.set_my_commands([teloxide::types::BotCommand::new("start", "Начать")])
        .language_code("ru")
        .await
        .unwrap();
    assert_eq!(bot.get_my_commands().await.unwrap(), cmds);
    let all = em.my_commands();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].0, None);
    assert_eq!(all[1], (Some("ru".into()), vec![("start".into(), "Начать".into())]));

    let info = bot.get_webhook_info().await.unwrap();
    assert!(info.url.is_none());
}
