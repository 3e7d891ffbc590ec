//! `store::answer`'s tests: what a stored answer earned, its saved words, voice and ledger.

use super::*;
use crate::store::{conversations, learners};

#[tokio::test]
async fn the_fifth_answer_of_a_day_earns_the_challenge_once_and_each_answer_keeps_what_it_earned() {
    for (_dir, db) in crate::store::test_dbs().await {
        let now = Utc::now();
        let learner = crate::store::test_learner(&db, 7, "ru").await;
        let conversation = conversations::current(&db, learner.id, now).await.unwrap();
        let reply = reply_to_ahoj("Ahoj!");
        let mut answers = Vec::new();
        for update_id in 1..=6 {
            // The day as the turn's prompt read finds it.
            let today = progress::local_day(now, chrono_tz::UTC);
            let window = (i64::MAX, 10);
            let reads =
                crate::store::prompt::read(&db, conversation.id, window, learner.id, (now, today));
            let a = Answer {
                user_id: learner.id,
                conversation_id: conversation.id,
                chat_id: learner.chat_id,
                update_id,
                learner_message_id: 0,
                learner_text: "Ahoj",
                reply: &reply,
                reply_tokens: 3,
                model: "gpt-4o-mini",
                prompt_tokens: 100,
                completion_tokens: 20,
                usage: &[],
                streak: learner.streak,
                day_so_far: reads.await.unwrap().day,
                audio_path: None,
                word_keys: &[],
            };
            let r = record(&db, &a, chrono_tz::UTC, now).await.unwrap();
            answers.push((r.id, r.earned));
        }
        let challenge: Vec<bool> = answers.iter().map(|(_, e)| e.challenge_completed).collect();
        assert_eq!(challenge, [false, false, false, false, true, false]);
        assert_eq!(answers[4].1.stars, answers[3].1.stars + progress::DAILY_CHALLENGE_STARS);

        let (fifth_id, fifth) = answers[4];
        let stored = messages::Entity::find_by_id(fifth_id).one(&db).await.unwrap().unwrap();
        assert_eq!(stored.role, "honzik");
        assert_eq!(stored.text.as_deref(), Some("Ahoj!"));
        assert_eq!(stored.stars_earned, Some(fifth.stars as i32));
        assert_eq!(stored.streak_days, Some(fifth.streak as i32));
        assert_eq!(stored.challenge_completed, Some(true));
        let total: i64 = answers.iter().map(|(_, e)| e.stars as i64).sum();
        let after = learners::find(&db, learner.id).await.unwrap().unwrap();
        assert_eq!(after.stars_total, learner.stars_total + total);
    }
}

#[tokio::test]
async fn an_answer_comes_back_with_the_words_already_saved_and_keeps_a_voice_made_before_it() {
    for (_dir, db) in crate::store::test_dbs().await {
        let now = Utc::now();
        let learner = crate::store::test_learner(&db, 8, "uk").await;
        let conversation = conversations::current(&db, learner.id, now).await.unwrap();
        let word = |czech: &str| crate::words::Candidate {
            czech: czech.into(),
            translation: "-".into(),
            original: None,
            source: None,
            key: crate::words::normalize(czech),
        };
        crate::store::words::save(&db, learner.id, &word("pivo"), now).await.unwrap();
        let reply = reply_to_ahoj("Dáš si pivo?");
        let keys = ["pivo", "knedlík", "hospoda"].map(crate::words::normalize);
        let metrics = crate::metrics::Metrics::new(Default::default());
        let meter = crate::ai::meter::Meter::new(Default::default(), metrics.usage_counters());
        let tokens = crate::ai::meter::Tokens { prompt: 100, completion: 20, estimated: false };
        let paid = [
            meter.chat(crate::ai::meter::UsageKind::Chat, "gpt-4o-mini", tokens),
            meter.speech("tts-1", 12, false),
        ];
        let a = Answer {
            user_id: learner.id,
            conversation_id: conversation.id,
            chat_id: learner.chat_id,
            update_id: 1,
            learner_message_id: 0,
            learner_text: "Ahoj",
            reply: &reply,
            reply_tokens: 3,
            model: "gpt-4o-mini",
            prompt_tokens: 100,
            completion_tokens: 20,
            usage: &paid,
            streak: learner.streak,
            day_so_far: DaySoFar { day: now.date_naive(), turns: 0, challenge_done: false },
            audio_path: Some("2026/12/05/8/1-honzik.ogg"),
            word_keys: &keys,
        };
        let r = record(&db, &a, chrono_tz::UTC, now).await.unwrap();
        assert_eq!(r.saved_words, HashSet::from([crate::words::normalize("pivo")]));
        let stored = messages::Entity::find_by_id(r.id).one(&db).await.unwrap().unwrap();
        assert_eq!(stored.audio_path.as_deref(), Some("2026/12/05/8/1-honzik.ogg"));
        // Both requests in the ledger, under the answer whose id they were written without.
        let ledger: Vec<(Option<i64>, String)> = entity::usage::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|u| (u.message_id, u.kind))
            .collect();
        assert_eq!(ledger, [(Some(r.id), "chat".into()), (Some(r.id), "tts".into())]);

        // Nothing to look up: nothing read, and still one answer stored.
        let none = Answer { update_id: 2, word_keys: &[], audio_path: None, usage: &[], ..a };
        let r = record(&db, &none, chrono_tz::UTC, now).await.unwrap();
        assert!(r.saved_words.is_empty());
        let stored = messages::Entity::find_by_id(r.id).one(&db).await.unwrap().unwrap();
        assert_eq!(stored.audio_path, None);
    }
}

#[test]
fn a_day_read_before_midnight_counts_for_nothing_after_it() {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
    let so_far = DaySoFar { day, turns: 4, challenge_done: true };
    assert_eq!(so_far.on(day), (4, true));
    assert_eq!(so_far.on(day.succ_opt().unwrap()), (0, false));
}

/// Honzík's `response` to a learner who said "Ahoj" without a mistake.
fn reply_to_ahoj(response: &str) -> HonzikReply {
    HonzikReply {
        honzik_response: response.into(),
        translation: String::new(),
        corrected_text: "Ahoj".into(),
        mistakes: vec![],
        correctness_score: 90,
        suggestion: String::new(),
        new_words: vec![],
        scene: None,
    }
}
