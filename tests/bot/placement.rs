//! The placement result in `/stats`. The `/placement` conversation is not built yet: the result
//! is stored here the way it will store it (`store::placement`).

use chrono::{TimeZone, Utc};
use mluvme::store::placement;
use mluvme::tutor::placement::{Cefr, Grade};

use crate::common::*;

#[tokio::test]
async fn the_last_placement_shows_in_stats_with_its_date_and_a_line_per_skill() {
    let app = spawn_app().await;
    let l = app.learner(401, "uk");
    app.onboard(&l, "uk", "beginner").await;
    let before = command(&app, &l, "/stats").await.plain_text();
    assert!(!before.contains("Тест рівня"), "no placement taken yet: {before}");

    let db = app.db().await;
    let taken = Utc.with_ymd_and_hms(2026, 11, 27, 23, 30, 0).unwrap();
    placement::start(&db, 401, taken).await.unwrap();
    let grade = Grade {
        level: Cefr::B1,
        listening: "Розумієш повільне мовлення <майже> все.".into(),
        speaking: "Говориш звʼязно про знайомі теми.".into(),
        grammar: "Плутаєш відмінки після прийменників.".into(),
        vocabulary: "Вистачає для побуту.".into(),
    };
    placement::finish(&db, 401, &grade, taken).await.unwrap();

    let stats = command(&app, &l, "/stats").await.plain_text();
    // 23:30 UTC on the 27th is already the 28th in Prague, the learner's zone.
    assert!(stats.contains("Тест рівня (28.11.2026): B1"), "{stats}");
    for line in [&grade.listening, &grade.speaking, &grade.grammar, &grade.vocabulary] {
        assert!(stats.contains(line.as_str()), "{line} in {stats}");
    }
    app.assert_no_rejections();
}
