//! Review and reminders against the emulators: a `/review` session of the learner's own saved
//! words and past mistakes (buttons, typed answers, diacritics, `/cancel`), `/stats` trends, and
//! daily reminders sent once at the learner's local time — across a restart, and with several
//! replicas sweeping one PostgreSQL database.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use emulators::telegram::{BotMessage, Learner};
use mluvme::app::App;
use mluvme::bot::{BotError, Telegram};
use mluvme::jobs::reminders;
use mluvme::words::{Candidate, normalize};

use crate::common::*;

async fn learner(app: &TestApp, id: i64) -> Learner {
    let l = app.learner(id, "en");
    app.onboard(&l, "en", "beginner").await;
    l
}

fn data(m: &BotMessage, prefix: &str) -> String {
    m.buttons()
        .into_iter()
        .map(|(_, d)| d)
        .find(|d| d.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} button: {m:#?}"))
}

/// A text turn, answered in voice (the default) once it is all there.
async fn turn(app: &TestApp, l: &Learner, text: &str) {
    let sent = l.send_text(text);
    app.replies_to(l, sent.message_id, true).await;
}

async fn save_word(app: &TestApp, user: i64, czech: &str, translation: &str) {
    let c = Candidate {
        czech: czech.into(),
        translation: translation.into(),
        original: None,
        source: None,
        key: normalize(czech),
    };
    assert!(
        mluvme::store::words::save(
            &app.db().await,
            user,
            &c,
            mluvme::progress::Clock::now(app.clock.as_ref())
        )
        .await
        .unwrap()
    );
}

#[tokio::test]
async fn a_review_session_asks_own_mistakes_and_saved_words_and_grades_buttons_and_typed_answers() {
    let app = spawn_app().await;
    let l = learner(&app, 901).await;
    // A real turn with a mistake the emulated Honzík corrects ("v Praha" → "v Praze").
    turn(&app, &l, "Bydlím v Praha a mám rád pivo.").await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM mistakes WHERE user_id = 901").await, 1);
    save_word(&app, 901, "pivo", "beer").await;
    save_word(&app, 901, "čaj", "tea").await;

    // Own mistake first, then the newest word, then the older one.
    let first = command(&app, &l, "/review").await;
    let text = first.plain_text();
    assert!(
        text.contains("3 cards")
            && text.contains("1/3")
            && text.contains("Bydlím v ____ a mám rád pivo.")
            && text.contains("You wrote there: Praha"),
        "{text}"
    );
    let stale_show = data(&first, "rv:s:");

    // Typed, in another case: right; what the learner wrote comes after.
    let second = command(&app, &l, "v praze").await;
    let text = second.plain_text();
    assert!(
        text.contains("Right! Bydlím v Praze a mám rád pivo.")
            && text.contains("You wrote: Bydlím v Praha a mám rád pivo.")
            && text.contains("2/3")
            && text.contains("What does čaj mean?"),
        "{text}"
    );
    assert_eq!(
        press(&app, &l, first.message_id, &stale_show).await.as_deref(),
        Some("⌛ This button is no longer valid."),
        "the answered card's button is stale"
    );

    // Buttons: show the answer, grade it.
    assert_eq!(press(&app, &l, second.message_id, &data(&second, "rv:s:")).await, None);
    let shown = current(&l, second.message_id);
    assert!(shown.plain_text().contains("Answer: tea"), "{}", shown.plain_text());
    assert_eq!(shown.buttons().len(), 5, "again, hard, good, easy and end: {shown:#?}");
    let good = shown
        .buttons()
        .into_iter()
        .map(|(_, d)| d)
        .find(|d| d.starts_with("rv:g:") && d.ends_with(":3"))
        .unwrap();
    assert_eq!(press(&app, &l, second.message_id, &good).await, None);
    assert!(current(&l, second.message_id).plain_text().contains("Your grade: 🙂 Good"));
    let again = l.press_forged(second.message_id, &good);
    app.wait_until(|| app.tg.callback_answers().iter().any(|a| a.id == again)).await;
    let third = app.wait_for(&l, |m| m.plain_text().contains("3/3")).await;
    assert!(third.plain_text().contains("What does pivo mean?"), "{}", third.plain_text());

    // Wrong: the answer is shown, and the session ends with its tally.
    let done = command(&app, &l, "wine").await.plain_text();
    assert!(
        done.contains("Not quite. The answer: beer") && done.contains("Review done: 3 of 3"),
        "{done}"
    );
    assert!(done.contains("🙂 2") && done.contains("🔁 1"), "two good, one again: {done}");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM review_cards WHERE user_id = 901").await, 3);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM review_sessions").await, 0);

    // The next text is a turn again, not an answer.
    let before = app.count("SELECT COUNT(*) AS n FROM messages WHERE role = 'learner'").await;
    turn(&app, &l, "Dobrý den!").await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE role = 'learner'").await,
        before + 1
    );

    // The same day: the other direction of each word is new; the graded cards are not due.
    let next = command(&app, &l, "/review").await.plain_text();
    assert!(next.contains("2 cards") && next.contains("How do you say tea in Czech?"), "{next}");
    let accents = command(&app, &l, "CAJ").await.plain_text();
    assert!(
        accents.contains("mind the háčky and čárky: čaj")
            && accents.contains("How do you say beer in Czech?"),
        "{accents}"
    );
    let stopped = command(&app, &l, "/cancel").await.plain_text();
    assert!(stopped.contains("Review ended: 1 of 2") && stopped.contains("😬 1"), "{stopped}");

    // Tomorrow the card answered wrong is due again.
    app.clock.advance(Duration::days(1));
    let tomorrow = command(&app, &l, "/review").await.plain_text();
    assert!(tomorrow.contains("What does pivo mean?"), "{tomorrow}");
    app.assert_no_rejections();
}

#[tokio::test]
async fn review_without_anything_saved_says_how_to_fill_it_and_stats_show_mistake_trends() {
    let app = spawn_app().await;
    let l = learner(&app, 902).await;
    assert!(command(&app, &l, "/review").await.plain_text().contains("Nothing to review yet"));
    turn(&app, &l, "Bydlím v Praha.").await;
    let caption = |m: BotMessage| m.caption.clone().or(m.text.clone()).unwrap();
    let few = caption(command(&app, &l, "/stats").await);
    assert!(!few.contains("Your most frequent mistakes"), "three words are no trend: {few}");

    // About a hundred words more, one mistake in all: now a rate per 100 words is shown.
    let long: Vec<String> = (0..10).map(learner_turn).collect();
    turn(&app, &l, &long.join(" ")).await;
    let words = app.count("SELECT SUM(words) AS n FROM daily_stats WHERE user_id = 902").await;
    assert!(words >= 100, "{words} words");
    let stats = caption(command(&app, &l, "/stats").await);
    assert!(
        stats.contains("per 100 of your words") && stats.contains("Case endings: 0."),
        "{stats}"
    );
    assert!(stats.contains("🆕"), "no baseline from the month before: {stats}");
    app.assert_no_rejections();
}

/// A second instance of the bot on the same database and emulators, for calling the reminder
/// sweep directly (as another replica would).
async fn replica(app: &TestApp) -> (Arc<App>, Arc<Telegram>) {
    mluvme::startup::build(app.config(), app.clock.clone()).await.unwrap()
}

/// One reminder sweep on `replica`; how many it sent.
async fn sweep(replica: &(Arc<App>, Arc<Telegram>)) -> Result<usize, BotError> {
    reminders::sweep(&replica.0, &replica.1).await
}

fn reminders_to(l: &Learner) -> usize {
    l.messages().iter().filter(|m| m.plain_text().contains("Phrase of the day")).count()
}

async fn reminder_fires_once_across_a_restart(db: Db) {
    let env = [("REMINDER_SWEEP_SECONDS", "1")];
    let Some(mut app) = TestApp::builder().db(db).env(&env).spawn().await else { return };
    // 10:00 UTC is 11:00 in Prague (every learner's zone here).
    let (a, b, c) = (learner(&app, 911).await, learner(&app, 912).await, learner(&app, 913).await);
    assert!(
        command(&app, &a, "/remind 11:30")
            .await
            .plain_text()
            .contains("Every day at 11:30 (Europe/Prague)")
    );
    assert!(command(&app, &b, "/remind 11:40").await.plain_text().contains("11:40"));
    assert!(command(&app, &c, "/remind 11:30").await.plain_text().contains("11:30"));
    assert!(command(&app, &c, "/remind 25:00").await.plain_text().contains("is not a time"));
    // D blocks the bot: never reminded.
    let d = learner(&app, 914).await;
    assert!(command(&app, &d, "/remind 11:30").await.plain_text().contains("11:30"));
    d.block_bot();
    app.settle().await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM users WHERE id = 914 AND status = 'blocked'").await,
        1
    );
    let other = replica(&app).await;
    assert_eq!(sweep(&other).await.unwrap(), 0, "11:00: nobody's time yet");

    // C practises today: no reminder for them.
    turn(&app, &c, "Dnes jsem se učil česky.").await;

    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 28, 10, 31, 0).unwrap());
    let sent = app.wait_for(&a, |m| m.plain_text().contains("Phrase of the day")).await;
    assert!(sent.plain_text().contains("we haven't talked today"), "{}", sent.plain_text());
    assert_eq!(sweep(&other).await.unwrap(), 0, "claimed already");
    drop(other);

    app.stop().await;
    app.start_again().await;
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 28, 10, 41, 0).unwrap());
    // B's reminder comes from the restarted bot's sweep, which saw A's (and C's) too.
    app.wait_for(&b, |m| m.plain_text().contains("Phrase of the day")).await;
    app.settle().await;
    assert_eq!(sweep(&replica(&app).await).await.unwrap(), 0);
    assert_eq!(
        (reminders_to(&a), reminders_to(&b), reminders_to(&c)),
        (1, 1, 0),
        "once each, none for who practised"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM reminders_sent WHERE user_id IN (913, 914)").await,
        0
    );
    assert_eq!(reminders_to(&d), 0, "nothing to who blocked the bot");

    // The next day, again once; /remind off stops them.
    assert!(command(&app, &b, "/remind off").await.plain_text().contains("off"));
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 29, 10, 45, 0).unwrap());
    app.wait_until(|| reminders_to(&a) == 2).await;
    app.settle().await;
    assert_eq!(sweep(&replica(&app).await).await.unwrap(), 0);
    assert_eq!((reminders_to(&a), reminders_to(&b)), (2, 1));
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_reminder_fires_at_the_local_time_once_a_day_even_across_a_restart() {
    reminder_fires_once_across_a_restart(Db::Sqlite).await;
}

#[tokio::test]
async fn on_postgres_a_reminder_fires_at_the_local_time_once_a_day_even_across_a_restart() {
    reminder_fires_once_across_a_restart(Db::Postgres).await;
}

#[tokio::test]
async fn on_postgres_replicas_sweeping_at_once_send_each_reminder_once() {
    let env = [("REMINDER_SWEEP_SECONDS", "1")];
    let Some(app) = TestApp::builder().db(Db::Postgres).env(&env).spawn().await else { return };
    let mut learners = Vec::new();
    for id in 921..926 {
        let l = learner(&app, id).await;
        assert!(command(&app, &l, "/remind 12:00").await.plain_text().contains("12:00"));
        learners.push(l);
    }
    let (r1, r2) = (replica(&app).await, replica(&app).await);
    // 11:00 UTC = 12:00 in Prague: due for all five, on three replicas at once.
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 28, 11, 0, 0).unwrap());
    let (s1, s2) = tokio::join!(sweep(&r1), sweep(&r2));
    assert!(s1.unwrap() + s2.unwrap() <= 5);
    app.wait_until(|| learners.iter().all(|l| reminders_to(l) >= 1)).await;
    app.settle().await;
    let (s1, s2) = tokio::join!(sweep(&r1), sweep(&r2));
    assert_eq!((s1.unwrap(), s2.unwrap()), (0, 0));
    for l in &learners {
        assert_eq!(reminders_to(l), 1, "exactly one reminder for {}", l.user_id());
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM reminders_sent").await, 5);
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_card_can_be_answered_by_voice_and_ended_with_a_button() {
    let app = spawn_app().await;
    let l = learner(&app, 903).await;
    // The translation is what the sample voice note says, so saying it answers the card.
    save_word(&app, 903, "pozdrav", emulators::samples::BEGINNER_AHOJ_TEXT).await;
    save_word(&app, 903, "pivo", "beer").await;

    let card = command(&app, &l, "/review").await;
    assert!(card.plain_text().contains("What does pivo mean?"), "{}", card.plain_text());
    assert_eq!(press(&app, &l, card.message_id, &data(&card, "rv:e:")).await, None);
    let ended = current(&l, card.message_id).plain_text();
    assert!(
        ended.contains("Review ended: 0 of 2") && current(&l, card.message_id).buttons().is_empty(),
        "{ended}"
    );

    command(&app, &l, "/review").await;
    assert!(command(&app, &l, "beer").await.plain_text().contains("What does pozdrav mean?"));
    let silence = l.send_voice(emulators::samples::SILENCE.to_vec(), 1);
    let unheard = app.replies_to(&l, silence.message_id, false).await;
    assert!(unheard[0].plain_text().contains("couldn't make that out"), "{unheard:#?}");
    let voice = l.send_voice(emulators::samples::BEGINNER_AHOJ.to_vec(), 3);
    let done = app.replies_to(&l, voice.message_id, false).await[0].plain_text();
    assert!(done.contains("Right!") && done.contains("Review done: 2 of 2"), "{done}");
    // The other direction of both words: the Czech expected.
    assert!(
        command(&app, &l, "/review").await.plain_text().contains("How do you say beer in Czech?")
    );
    assert!(
        command(&app, &l, "Pivo!").await.plain_text().contains("How do you say Ahoj, jak se máš?")
    );
    let done = command(&app, &l, "pozdrav").await.plain_text();
    assert!(done.contains("Right!") && done.contains("Review done: 2 of 2"), "{done}");
    assert!(
        command(&app, &l, "/review").await.plain_text().contains("All caught up"),
        "every card rests until a later day"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 903").await,
        0,
        "answers to cards are not turns"
    );
    // But both transcriptions (the silent one too) were paid for, and count toward the quota.
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM usage WHERE user_id = 903 AND kind = 'stt' AND cost_micros > 0").await, 2);
    app.assert_no_rejections();
}
