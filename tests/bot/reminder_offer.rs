//! The one-tap daily reminder offered at the end of onboarding: accepted, it sets a reminder at
//! the offered time in the learner's zone (and that reminder comes, ending with the learner's
//! phrase of the day); declined, it is never offered again.

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use emulators::telegram::{BotMessage, Learner};
use mluvme::store::reminders;
use sea_orm::ConnectionTrait;

use crate::common::*;

/// Onboards `l` (in English), skips the placement test offered there, and returns the message
/// ending onboarding, which then carries the reminder offer.
async fn onboarded_with_offer(app: &TestApp, l: &Learner) -> BotMessage {
    app.onboard(l, "en", "beginner").await;
    let done = app.wait_for(l, |m| m.buttons().iter().any(|(_, d)| d == "pl:skip")).await;
    l.press(done.message_id, "pl:skip");
    app.wait_for(l, |m| m.buttons().iter().any(|(_, d)| d.starts_with("ro:"))).await
}

#[tokio::test]
async fn an_accepted_offer_sets_the_reminder_at_the_offered_local_time_with_one_tap() {
    let env = [("REMINDER_SWEEP_SECONDS", "1")];
    let app = TestApp::builder().env(&env).spawn().await.expect("the suite's database");
    let jana = app.learner(301, "en");
    let offer = onboarded_with_offer(&app, &jana).await;
    // The test clock says 10:00 UTC: 11:00 in Prague, the default zone. The next full hour.
    let text = offer.plain_text();
    assert!(text.contains("12:00") && text.contains("Europe/Prague"), "{text}");
    assert!(text.contains("Hotovo"), "the offer sits under the onboarding confirmation: {text}");
    let data: Vec<String> = offer.buttons().into_iter().map(|(_, d)| d).collect();
    assert_eq!(data, ["ro:yes:720", "ro:no"]);

    jana.press(offer.message_id, "ro:yes:720");
    let said = app.wait_for(&jana, |m| m.plain_text().contains("Every day at")).await;
    assert!(said.plain_text().contains("12:00"), "{}", said.plain_text());
    let at = reminders::get(&app.db().await, 301).await.unwrap();
    assert_eq!(at, NaiveTime::from_hms_opt(12, 0, 0), "set at the offered time");
    app.wait_until(|| jana.messages().iter().all(|m| m.buttons().is_empty())).await;

    // Noon in Prague: the reminder comes, with this learner's phrase of the day.
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 28, 11, 0, 30).unwrap());
    let reminder = app.wait_for(&jana, |m| m.plain_text().contains("Phrase of the day")).await;
    let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    let phrase = mluvme::review::phrases::of_the_day(301, today);
    let shown = reminder.plain_text();
    assert!(shown.contains(&phrase.cs) && shown.contains(&phrase.en), "{shown}");
    app.assert_no_rejections();
}

#[tokio::test]
async fn a_declined_offer_is_remembered_and_never_made_again() {
    let app = spawn_app().await;
    let petr = app.learner(302, "en");
    let offer = onboarded_with_offer(&app, &petr).await;
    petr.press(offer.message_id, "ro:no");
    app.wait_for(&petr, |m| m.plain_text().contains("no reminders")).await;
    let db = app.db().await;
    assert_eq!(reminders::get(&db, 302).await.unwrap(), None, "no reminder set");
    assert!(reminders::offer_answered(&db, 302).await.unwrap(), "the answer is stored");

    // Sent back to the level step (where /start resumes an unfinished onboarding) and through
    // it again: onboarding ends without the offer this time.
    db.execute_unprepared("UPDATE users SET onboarding = 'level' WHERE id = 302").await.unwrap();
    petr.send_command("/start");
    let is_ask = |m: &BotMessage| m.buttons().iter().any(|(_, d)| d == "level:intermediate");
    app.wait_until(|| petr.messages().iter().filter(|m| is_ask(m)).count() == 1).await;
    let ask = app.wait_for(&petr, is_ask).await;
    petr.press(ask.message_id, "level:intermediate");
    let edited = |m: &BotMessage| m.message_id == ask.message_id && m.edits > 0;
    app.wait_until(|| petr.messages().iter().any(edited)).await;
    app.settle().await;
    let done = petr.messages().into_iter().find(edited).unwrap();
    assert!(done.plain_text().contains("Hotovo"), "{}", done.plain_text());
    let data: Vec<String> = done.buttons().into_iter().map(|(_, d)| d).collect();
    assert_eq!(data, ["pl:go", "pl:skip"], "the placement offer only");
    petr.press(done.message_id, "pl:skip");
    let skipped = |m: &BotMessage| m.message_id == ask.message_id && m.buttons().is_empty();
    app.wait_until(|| petr.messages().iter().any(skipped)).await;
    app.settle().await;
    let done = petr.messages().into_iter().find(|m| m.message_id == ask.message_id).unwrap();
    assert!(done.plain_text().contains("Hotovo"), "{}", done.plain_text());
    assert!(done.buttons().is_empty(), "no second reminder offer: {done:#?}");
    assert_eq!(reminders::get(&db, 302).await.unwrap(), None);
    app.assert_no_rejections();
}
