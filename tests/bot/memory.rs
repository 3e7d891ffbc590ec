//! Honzík remembers cheaply: a 40-turn conversation stays within the token budget, and a fact
//! from turn 2 is still in the prompt at turn 40 through the rolling summary.

use emulators::Endpoint;

use crate::common::*;

#[tokio::test]
async fn forty_turns_stay_within_the_budget_and_the_learners_name_survives_through_the_summary() {
    let app = spawn_app().await;
    let l = app.learner(701, "en");
    app.onboard(&l, "en", "intermediate").await;
    for i in 1..=40 {
        let text = learner_turn(i); // turn 2: "Jmenuju se Olga a bydlím v Brně…"
        let sent = l.send_text(&text);
        app.replies_to(&l, sent.message_id, true).await;
    }
    let turns: Vec<_> = app
        .ai
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Endpoint::Chat && is_turn(&r.body))
        .map(|r| r.body)
        .collect();
    assert_eq!(turns.len(), 40);
    for (i, body) in turns.iter().enumerate() {
        let tokens = prompt_tokens(body);
        assert!(tokens <= 3000, "turn {} sent {tokens} prompt tokens", i + 1);
    }
    let last = &turns[39];
    // A user-side context note, never a system message: it is model-written text built from what
    // the learner said.
    let messages = last["messages"].as_array().unwrap();
    assert_eq!(messages.iter().filter(|m| m["role"] == "system").count(), 1, "only the persona");
    let summary = messages.iter().find(|m| {
        m["role"] == "user"
            && m["content"].as_str().unwrap().starts_with(mluvme::ai::chat::SUMMARY_HEADING)
    });
    let summary = summary.expect("the summary is in the prompt at turn 40")["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(summary.contains("Olga"), "the name given at turn 2 survives: {summary}");
    assert!(
        !last.to_string().contains("Jmenuju se Olga"),
        "…through the summary, not the verbatim history"
    );
    let summaries = app
        .ai
        .requests()
        .iter()
        .filter(|r| r.endpoint == Endpoint::Chat && !is_turn(&r.body))
        .count();
    assert!(
        (5..40).contains(&summaries),
        "at most one cheap summary per turn, once the window is full: {summaries}"
    );
    assert!(summaries as i64 <= app.count("SELECT COUNT(*) AS n FROM usage WHERE user_id = 701 AND kind = 'summary' AND model = 'gpt-4o-mini'").await + 1);
}

#[tokio::test]
async fn every_request_is_costed_and_summed_per_day() {
    let app = spawn_app().await;
    let l = app.learner(702, "en");
    app.onboard(&l, "en", "beginner").await;
    let sent = l.send_voice(emulators::samples::BEGINNER_MISTAKE.to_vec(), 4);
    app.replies_to(&l, sent.message_id, true).await;
    for kind in ["stt", "chat", "tts"] {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM usage WHERE user_id = 702 AND kind = '{kind}' AND cost_micros > 0"
        );
        assert_eq!(app.count(&sql).await, 1, "{kind} is priced");
    }
    // Billed by the voice's measured length, not the whole second Telegram's client rounds up to.
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM usage WHERE user_id = 702 AND kind = 'stt' AND audio_seconds > 3 AND audio_seconds <= 4").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM usage WHERE user_id = 702 AND kind = 'chat' AND model = 'gpt-4o-mini' AND prompt_tokens > 0").await, 1);
    let total = app.count("SELECT SUM(cost_micros) AS n FROM usage WHERE user_id = 702").await;
    assert_eq!(
        app.count("SELECT cost_micros AS n FROM daily_stats WHERE user_id = 702").await,
        total,
        "the day's sum matches the ledger"
    );
}

#[tokio::test]
async fn an_unpriced_model_is_recorded_as_unknown_cost_not_zero() {
    let mut app = spawn_app().await;
    app.stop().await;
    app.set_env("OPENAI_MODEL_INTERMEDIATE", "llama3.1:8b");
    app.start_again().await;
    let l = app.learner(703, "en");
    app.onboard(&l, "en", "intermediate").await;
    let sent = l.send_text("Dobrý den, mám se dobře.");
    app.replies_to(&l, sent.message_id, true).await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM usage WHERE user_id = 703 AND kind = 'chat' AND model = 'llama3.1:8b' AND cost_micros IS NULL").await, 1);
    assert_eq!(
        app.count("SELECT unpriced_requests AS n FROM daily_stats WHERE user_id = 703").await,
        1
    );
}

#[tokio::test]
async fn reset_starts_a_fresh_context_but_keeps_history_and_stats() {
    let app = spawn_app().await;
    let l = app.learner(704, "en");
    app.onboard(&l, "en", "advanced").await;
    let sent = l.send_text("Jmenuju se Olga a mám ráda hokej.");
    app.replies_to(&l, sent.message_id, true).await;
    let reset = l.send_command("/reset");
    app.wait_until(|| {
        l.messages().iter().any(|m| {
            m.reply_to == Some(reset.message_id)
                || m.buttons().iter().any(|(_, d)| d.contains("reset"))
        })
    })
    .await;
    if let Some(confirm) = l
        .messages()
        .into_iter()
        .rev()
        .find(|m| m.buttons().iter().any(|(_, d)| d.contains("reset")))
    {
        // The learner-controls confirmation, when present: confirm it.
        let data = confirm
            .buttons()
            .into_iter()
            .map(|(_, d)| d)
            .find(|d| d.contains("reset") && !d.contains("no") && !d.contains("cancel"))
            .unwrap();
        l.press(confirm.message_id, &data);
    }
    app.wait_until(|| conversations_of_704(&app) == 2).await;
    let sent = l.send_text("Jak se jmenuju?");
    app.replies_to(&l, sent.message_id, true).await;
    let last = app
        .ai
        .requests()
        .into_iter()
        .rfind(|r| r.endpoint == Endpoint::Chat && is_turn(&r.body))
        .unwrap();
    assert!(!last.body.to_string().contains("Olga"), "the new conversation starts clean");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM messages WHERE user_id = 704").await,
        4,
        "history is kept"
    );
    assert_eq!(
        app.count("SELECT turns AS n FROM daily_stats WHERE user_id = 704").await,
        2,
        "stats are kept"
    );
}

/// Conversations of learner 704 (synchronously, through a blocking read of the SQLite file).
fn conversations_of_704(app: &TestApp) -> i64 {
    let url = app.database_url.clone();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(
            async move {
                let db = mluvme::store::connect(&url).await.unwrap();
                use sea_orm::{ConnectionTrait, Statement};
                let row = db
                    .query_one_raw(Statement::from_string(
                        db.get_database_backend(),
                        "SELECT COUNT(*) AS n FROM conversations WHERE user_id = 704",
                    ))
                    .await
                    .unwrap()
                    .unwrap();
                row.try_get::<i64>("", "n").unwrap()
            },
        )
    })
    .join()
    .unwrap()
}

/// Plays turns 1..=6 (by the sixth the window is full, so a fold follows its reply) and releases
/// that fold's request with `content` as its answer. Returns how far the summary reached before.
async fn fold_answering(app: &TestApp, l: &emulators::telegram::Learner, content: &str) -> i64 {
    for i in 1..=5 {
        let sent = l.send_text(&learner_turn(i));
        app.replies_to(l, sent.message_id, true).await;
    }
    let sent = l.send_text(&learner_turn(6));
    let hold_after_reply = app.ai.hold(Endpoint::Speech); // the reply's speech comes just before the fold
    assert!(app.ai.wait_until(WAIT, |ai| ai.held_requests(Endpoint::Speech) == 1).await);
    let hold = app.ai.hold(Endpoint::Chat);
    drop(hold_after_reply);
    app.replies_to(l, sent.message_id, true).await;
    let folded = app.ai.wait_until(WAIT, |ai| ai.held_requests(Endpoint::Chat) == 1).await;
    let msgs = app.count("SELECT COUNT(*) AS n FROM messages").await;
    let convs = app.count("SELECT COUNT(*) AS n FROM conversations").await;
    assert!(
        folded,
        "a fold was requested (messages {msgs}, conversations {convs}, chat calls {})",
        app.ai.calls(Endpoint::Chat)
    );
    let before = app.count("SELECT MAX(summarized_through) AS n FROM conversations").await;
    app.ai.set_next_chat_content(content);
    drop(hold);
    before
}

/// Polls `sql` (returning `n`) until it equals `want` or 10 s pass; returns the last value.
async fn eventually(app: &TestApp, sql: &str, want: i64) -> i64 {
    let mut n = app.count(sql).await;
    for _ in 0..200 {
        if n == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        n = app.count(sql).await;
    }
    n
}

#[tokio::test]
async fn a_huge_summary_is_bounded() {
    let mut app = spawn_app().await;
    app.stop().await;
    app.set_env("CONTEXT_TOKEN_BUDGET", "1500"); // a small window, so turn 6 certainly leaves it
    app.start_again().await;
    let l = app.learner(705, "en");
    app.onboard(&l, "en", "intermediate").await;
    let before = fold_answering(&app, &l, &"Olga má ráda pivo a hokej. ".repeat(400)).await;
    let sql = format!(
        "SELECT COUNT(*) AS n FROM conversations WHERE user_id = 705 AND summarized_through > {before}"
    );
    eventually(&app, &sql, 1).await;
    let tokens =
        app.count("SELECT summary_tokens AS n FROM conversations WHERE user_id = 705").await;
    assert!(tokens > 0 && tokens <= mluvme::turn::memory::SUMMARY_MAX_TOKENS as i64, "{tokens}");
}

#[tokio::test]
async fn an_empty_summary_keeps_the_previous_context_and_nothing_blocks() {
    let mut app = spawn_app().await;
    app.stop().await;
    app.set_env("CONTEXT_TOKEN_BUDGET", "1500"); // a small window, so turn 6 certainly leaves it
    app.start_again().await;
    let l = app.learner(706, "en");
    app.onboard(&l, "en", "intermediate").await;
    let before = fold_answering(&app, &l, "").await;
    // The fold's request was answered (empty) and nothing was stored.
    assert!(app.ai.wait_until(WAIT, |ai| ai.held_requests(Endpoint::Chat) == 0).await);
    app.settle().await;
    let after = app
        .count("SELECT MAX(summarized_through) AS n FROM conversations WHERE user_id = 706")
        .await;
    assert_eq!(after, before, "an empty summary changes nothing");
    let sent = l.send_text("Ahoj, jak se máš?");
    app.replies_to(&l, sent.message_id, true).await;
}
