//! Hostile and broken audio: Ogg cut short or damaged, files that lie about their size or their
//! length, MP3s with no declared length, audio nobody can measure. Each gets a clear reply or is
//! answered from what arrived; nothing is paid for that should not be, and the message is kept.

use emulators::Endpoint;
use emulators::samples;
use mluvme::ai::speech::ogg;

use crate::common::*;
use crate::hostile::{learner, learner_messages, notice, seen};

#[tokio::test]
async fn a_truncated_ogg_is_answered_from_the_part_that_arrived() {
    let app = spawn_app().await;
    let l = learner(&app, 401).await;
    let cut = &samples::BEGINNER_AHOJ[..samples::BEGINNER_AHOJ.len() * 2 / 3];
    app.ai.register_transcript(cut, "Ahoj, jak se máš?");
    let sent = l.send_voice(cut.to_vec(), 4);
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert!(seen(&replies).contains("Ahoj, jak se máš?"), "shows what arrived: {}", seen(&replies));
    assert_eq!(learner_messages(&app, 401).await, 1);
    app.assert_no_rejections();
}

#[tokio::test]
async fn an_ogg_damaged_or_cut_after_its_headers_is_refused_without_paying_for_speech_to_text() {
    let app = spawn_app().await;
    let l = learner(&app, 402).await;
    let header_bytes: usize = ogg::pages(samples::BEGINNER_AHOJ).take(2).map(|p| p.raw.len()).sum();
    let headers_only = samples::BEGINNER_AHOJ[..header_bytes].to_vec();
    let mut junk = b"OggS\0\x02".to_vec();
    junk.extend(std::iter::repeat_n(0xAB, 5000));
    let mut flipped = samples::BEGINNER_AHOJ.to_vec(); // every page's checksum broken
    for p in ogg::pages(samples::BEGINNER_AHOJ)
        .map(|p| p.raw.as_ptr() as usize - samples::BEGINNER_AHOJ.as_ptr() as usize)
    {
        flipped[p + 22] ^= 0xFF;
    }
    for bytes in [headers_only, junk, flipped] {
        let sent = l.send_voice(bytes, 3);
        let text = notice(&app, &l, sent.message_id).await;
        assert!(text.contains("повреждённым"), "says the voice note is damaged: {text}");
    }
    assert_eq!(app.ai.calls(Endpoint::Transcription), 0, "nothing paid for");
    assert_eq!(app.ai.calls(Endpoint::Chat), 0);
    assert_eq!(learner_messages(&app, 402).await, 3, "every voice note is kept");
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_file_over_twenty_megabytes_that_claims_to_be_small_is_refused_without_downloading_it() {
    let app = spawn_app().await;
    let l = learner(&app, 403).await;
    let mut big = samples::BEGINNER_AHOJ.to_vec();
    big.resize(21 * 1024 * 1024, 0);
    let sent = l.send_voice_claiming(big, 5, Some(10_000));
    let text = notice(&app, &l, sent.message_id).await;
    assert!(text.contains("20"), "says the limit: {text}");
    assert_eq!(app.tg.downloaded_files(), 0, "Telegram's getFile refuses it; nothing downloaded");
    assert_eq!(app.ai.calls(Endpoint::Transcription), 0);
    assert_eq!(learner_messages(&app, 403).await, 1);
}

#[tokio::test]
async fn a_voice_that_claims_five_seconds_but_plays_five_minutes_is_refused_before_speech_to_text()
{
    let app = spawn_app().await;
    let l = learner(&app, 404).await;
    let long = ogg::looped(samples::BEGINNER_AHOJ, 92);
    let ogg::Length::Seconds(real) = ogg::length(&long) else { panic!("measurable") };
    assert!(real > 295.0, "{real}");
    let sent = l.send_voice(long, 5);
    let text = notice(&app, &l, sent.message_id).await;
    assert!(text.contains("60"), "says the limit: {text}");
    assert!(
        text.contains(&format!("{}", real.ceil() as i64)),
        "says the real length, not the claimed 5 s: {text}"
    );
    assert_eq!(
        app.ai.calls(Endpoint::Transcription),
        0,
        "five minutes of speech-to-text not paid for"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM usage WHERE user_id = 404 AND kind = 'stt'").await,
        0
    );
    assert_eq!(learner_messages(&app, 404).await, 1);
    // A genuine voice note right after is answered as usual.
    let ok = l.send_voice(samples::BEGINNER_AHOJ.to_vec(), 4);
    app.replies_to(&l, ok.message_id, true).await;
    app.assert_no_rejections();
}

/// `frames` MPEG-1 Layer III frames at 128 kbps, 44.1 kHz (1152 samples, 26.1 ms, 417 bytes
/// each): an MP3 that plays `frames` × 26.1 ms, whatever the message says.
fn mp3(frames: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(frames * 417);
    for _ in 0..frames {
        let mut frame = vec![0u8; 417];
        frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x00]);
        b.extend(frame);
    }
    b
}

#[tokio::test]
async fn an_mp3_sent_as_a_file_that_declares_no_length_is_measured_and_billed_by_what_it_plays() {
    let app = spawn_app().await;
    let l = learner(&app, 405).await;
    // A document carries no duration at all: 800 frames play 20.9 s.
    let sent = l.send_document(mp3(800), "audio/mpeg", "prace.mp3");
    let replies = app.replies_to(&l, sent.message_id, true).await;
    assert!(!replies.is_empty());
    assert_eq!(app.ai.calls(Endpoint::Transcription), 1);
    let billed = app
        .count(
            "SELECT COUNT(*) AS n FROM usage WHERE user_id = 405 AND kind = 'stt' \
             AND audio_seconds > 20.8 AND audio_seconds < 21.0",
        )
        .await;
    assert_eq!(billed, 1, "billed by the 20.9 s it plays, not the 0 s it declared");
}

#[tokio::test]
async fn an_mp3_that_claims_ten_seconds_but_plays_three_minutes_is_refused_before_speech_to_text() {
    let app = spawn_app().await;
    let l = learner(&app, 406).await;
    let sent = l.send_audio(mp3(7000), 10, "audio/mpeg", "song.mp3");
    let text = notice(&app, &l, sent.message_id).await;
    assert!(
        text.contains("183") && text.contains("60"),
        "says its real length and the limit: {text}"
    );
    assert_eq!(app.ai.calls(Endpoint::Transcription), 0, "nothing paid for");
    assert_eq!(learner_messages(&app, 406).await, 1, "kept");
}

#[tokio::test]
async fn audio_whose_length_cannot_be_measured_is_refused_with_the_formats_that_work() {
    let app = spawn_app().await;
    let l = learner(&app, 407).await;
    let mut flac = b"fLaC\0\0\0\x22".to_vec();
    flac.extend(std::iter::repeat_n(0x11, 4000));
    let sent = l.send_document(flac, "audio/flac", "nahravka.flac");
    let text = notice(&app, &l, sent.message_id).await;
    assert!(text.contains("MP3") && text.contains("OGG"), "names what works: {text}");
    assert_eq!(app.ai.calls(Endpoint::Transcription), 0);
    assert_eq!(learner_messages(&app, 407).await, 1);
}
