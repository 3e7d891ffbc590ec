//! What review cards ask, against the emulators: a mistake as a gap in the learner's own
//! sentence (what they wrote shown after), a saved correction reviewed as its mistake, a saved
//! word both ways with the sentence it came in, and answers compared whole.

use emulators::telegram::{BotMessage, Learner};
use mluvme::words::{Candidate, normalize};

use crate::common::*;

async fn learner(app: &TestApp, id: i64) -> Learner {
    let l = app.learner(id, "en");
    app.onboard(&l, "en", "beginner").await;
    l
}

/// A text turn, answered in voice (the default); its messages.
async fn turn(app: &TestApp, l: &Learner, text: &str) -> Vec<BotMessage> {
    let sent = l.send_text(text);
    app.replies_to(l, sent.message_id, true).await
}

/// Presses the turn's ➕ button for `word`; returns the press's answer.
async fn save(app: &TestApp, l: &Learner, turn: &[BotMessage], word: &str) -> Option<String> {
    let label = format!("➕ {word}");
    let (m, data) = turn
        .iter()
        .find_map(|m| {
            let b = m.buttons().into_iter().find(|(text, _)| *text == label)?;
            Some((m.message_id, b.1))
        })
        .unwrap_or_else(|| panic!("no {label} button: {turn:#?}"));
    press(app, l, m, &data).await
}

#[tokio::test]
async fn a_saved_correction_is_reviewed_as_a_gap_in_the_learners_own_sentence_showing_what_they_wrote_after()
 {
    let app = spawn_app().await;
    let l = learner(&app, 931).await;
    let answer = turn(&app, &l, "Ahoj! Bydlím v Praha a mám rád pivo.").await;
    assert_eq!(save(&app, &l, &answer, "v Praze").await.as_deref(), Some("✅ Saved — see /saved"));
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM saved_words WHERE user_id = 931 AND kind = 'correction' AND mistake_id IS NOT NULL").await,
        1,
        "saved as a correction of its mistake"
    );

    // One card: the mistake, in the learner's sentence — no word card asking what "v Praze" means.
    let card = command(&app, &l, "/review").await.plain_text();
    assert!(
        card.contains("1 card")
            && card.contains("Bydlím v ____ a mám rád pivo.")
            && card.contains("You wrote there: Praha"),
        "{card}"
    );
    assert!(
        !card.contains("Ahoj") && !card.contains("mean?"),
        "only the mistake's sentence: {card}"
    );
    let done = command(&app, &l, "praze").await.plain_text();
    assert!(
        done.contains("Right! Bydlím v Praze a mám rád pivo.")
            && done.contains("You wrote: Bydlím v Praha a mám rád pivo.")
            && done.contains("Review done: 1 of 1"),
        "the corrected sentence, then what the learner wrote: {done}"
    );
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_mistake_stored_before_sentences_were_kept_is_asked_in_the_sentence_of_its_message() {
    let app = spawn_app().await;
    let l = learner(&app, 932).await;
    turn(&app, &l, "Dobře den! Jak se máš?").await;
    let db = app.db().await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &db,
        "UPDATE mistakes SET sentence = NULL, corrected_sentence = NULL WHERE user_id = 932",
    )
    .await
    .unwrap();
    let card = command(&app, &l, "/review").await;
    let text = card.plain_text();
    assert!(text.contains("____ den!") && text.contains("You wrote there: Dobře"), "{text}");
    // "Show answer" reveals the corrected sentence, what was written, and why.
    assert_eq!(press(&app, &l, card.message_id, &data(&card, "rv:s:")).await, None);
    let shown = current(&l, card.message_id).plain_text();
    assert!(
        shown.contains("Answer: Dobrý den!")
            && shown.contains("You wrote: Dobře den!")
            && shown.contains("💡 \"Den\" is a noun"),
        "{shown}"
    );
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_saved_word_is_asked_both_ways_with_the_sentence_it_came_in() {
    let app = spawn_app().await;
    let l = learner(&app, 933).await;
    let answer = turn(&app, &l, "Byl jsem v Praze na mostě.").await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM mistakes WHERE user_id = 933").await, 0);
    save(&app, &l, &answer, "most").await;

    // Czech first, with Honzík's sentence it came in.
    let card = command(&app, &l, "/review").await.plain_text();
    assert!(
        card.contains("What does most mean?") && card.contains("📖 Byl jsi už na Karlově mostě?"),
        "{card}"
    );
    assert!(command(&app, &l, "bridge").await.plain_text().contains("Right! bridge"));

    // The other way the same day: the sentence would give the Czech away, so it comes after.
    let back = command(&app, &l, "/review").await.plain_text();
    assert!(back.contains("How do you say bridge in Czech?") && !back.contains("mostě"), "{back}");
    let done = command(&app, &l, "Most").await.plain_text();
    assert!(
        done.contains("Right! most") && done.contains("📖 Byl jsi už na Karlově mostě?"),
        "{done}"
    );
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_part_of_a_phrase_does_not_answer_it() {
    let app = spawn_app().await;
    let l = learner(&app, 934).await;
    let c = Candidate {
        czech: "Myslím, že".into(),
        translation: "I think that".into(),
        original: None,
        source: None,
        key: normalize("Myslím, že"),
    };
    let now = mluvme::progress::Clock::now(app.clock.as_ref());
    assert!(mluvme::store::words::save(&app.db().await, 934, &c, now).await.unwrap());

    assert!(command(&app, &l, "/review").await.plain_text().contains("What does Myslím, že mean?"));
    let wrong = command(&app, &l, "I think").await.plain_text();
    assert!(wrong.contains("Not quite. The answer: I think that"), "{wrong}");
    assert!(
        command(&app, &l, "/review")
            .await
            .plain_text()
            .contains("How do you say I think that in Czech?")
    );
    let part = command(&app, &l, "že").await.plain_text();
    assert!(part.contains("Not quite. The answer: Myslím, že"), "{part}");
    app.assert_no_rejections();
}

fn data(m: &BotMessage, prefix: &str) -> String {
    m.buttons()
        .into_iter()
        .map(|(_, d)| d)
        .find(|d| d.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} button: {m:#?}"))
}
