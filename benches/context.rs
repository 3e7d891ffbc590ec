//! Context benchmark: what the memory policy saves.
//!
//! Replays a scripted 40-turn voice conversation for each level (learner turns of 20–60 words,
//! Honzík's of 30–80) through the real bot against the emulators, and reports per turn the prompt
//! tokens the bot sent versus a naive policy (the whole history, main model for everyone), the
//! share of turns per model, and the cost per 1,000 voice turns split into LLM, STT and TTS at the
//! default prices. Token counts and costs, not speed: the figures do not depend on the machine.
//!
//! Run: `cargo bench --bench context` (prints Markdown tables for BENCHMARKS.md).

#[path = "../tests/bot/common.rs"]
#[allow(dead_code)]
mod common;

use std::collections::BTreeMap;

use common::{Db, TestApp, is_turn, learner_turn, prompt_tokens};
use emulators::{Endpoint, OpenAiConfig};
use mluvme::tutor::{MESSAGE_OVERHEAD, Prices, count_tokens};

const TURNS: usize = 40;
const LEVELS: [&str; 4] = ["beginner", "intermediate", "advanced", "native"];

struct LevelRun {
    policy: Vec<usize>,
    /// Per turn: (system, summary, history, new message) tokens of what the bot sent.
    parts: Vec<[usize; 4]>,
    naive: Vec<usize>,
    models: BTreeMap<String, usize>,
    /// Micro-dollars for the whole conversation, by kind.
    llm: i64,
    stt: i64,
    tts: i64,
    naive_llm: i64,
}

#[tokio::main]
async fn main() {
    let mut runs = Vec::new();
    for (k, level) in LEVELS.iter().enumerate() {
        let ai = OpenAiConfig { reply_words: Some((30, 80)), ..Default::default() };
        let app = TestApp::builder().db(Db::Sqlite).openai(ai).spawn().await.unwrap();
        runs.push(run_level(&app, 800 + k as i64, level).await);
    }
    print_report(&runs);
}

async fn run_level(app: &TestApp, user: i64, level: &str) -> LevelRun {
    let l = app.learner(user, "ru");
    app.onboard(&l, "ru", level).await;
    for i in 1..=TURNS {
        let text = learner_turn(i);
        let mut audio = emulators::samples::BEGINNER_AHOJ.to_vec();
        audio.extend_from_slice(format!("#{user}-{i}").as_bytes()); // unique bytes → its own transcript
        app.ai.register_transcript(&audio, &text);
        let seconds = (text.split_whitespace().count() as f64 / 2.2).ceil() as u32; // ~130 words a minute
        let sent = l.send_voice(audio, seconds);
        app.replies_to(&l, sent.message_id, true).await;
    }
    app.settle().await;
    let requests: Vec<_> =
        app.ai.requests().into_iter().filter(|r| r.endpoint == Endpoint::Chat).collect();
    let turns: Vec<_> = requests.iter().filter(|r| is_turn(&r.body)).collect();
    assert_eq!(turns.len(), TURNS, "every turn reached the model once");
    let policy: Vec<usize> = turns.iter().map(|r| prompt_tokens(&r.body)).collect();
    let parts = turns.iter().map(|r| breakdown(&r.body)).collect();
    let mut models = BTreeMap::new();
    for r in &turns {
        *models.entry(r.model.clone()).or_insert(0) += 1;
    }

    // The naive policy: the same system prompt, the whole history and the new message, main model.
    let main = "gpt-4o";
    let honzik = app.texts(user, "honzik").await;
    let mut naive = Vec::new();
    let mut history = 0;
    let prices = Prices::default();
    let mut naive_llm = 0;
    for (i, r) in turns.iter().enumerate() {
        let system = r.body["messages"][0]["content"].as_str().unwrap();
        let new = count_tokens(main, &learner_turn(i + 1)) + MESSAGE_OVERHEAD;
        let tokens = count_tokens(main, system) + MESSAGE_OVERHEAD + history + new;
        naive.push(tokens);
        let completion = count_tokens(main, &honzik[i]) * 3; // the JSON reply is ~3× Honzík's words
        naive_llm += prices.chat_micros(main, tokens as u32, completion as u32).unwrap();
        history += new + count_tokens(main, &honzik[i]) + MESSAGE_OVERHEAD;
    }
    let cost = |kinds: &'static str| {
        let sql = format!(
            "SELECT COALESCE(SUM(cost_micros), 0) AS n FROM usage WHERE user_id = {user} AND kind IN ({kinds})"
        );
        async move { app.count(&sql).await }
    };
    LevelRun {
        policy,
        parts,
        naive,
        models,
        llm: cost("'chat','summary'").await,
        stt: cost("'stt'").await,
        tts: cost("'tts'").await,
        naive_llm,
    }
}

/// Splits a turn's prompt into system prompt, summary, verbatim history and the new message.
fn breakdown(body: &serde_json::Value) -> [usize; 4] {
    let model = body["model"].as_str().unwrap();
    let msgs = body["messages"].as_array().unwrap();
    let tokens = |m: &serde_json::Value| {
        count_tokens(model, m["content"].as_str().unwrap_or("")) + MESSAGE_OVERHEAD
    };
    let summary: usize = msgs[1..].iter().filter(|m| m["role"] == "system").map(tokens).sum();
    let new = tokens(msgs.last().unwrap());
    let history: usize =
        msgs[1..msgs.len() - 1].iter().filter(|m| m["role"] != "system").map(tokens).sum();
    [tokens(&msgs[0]), summary, history, new]
}

fn print_report(runs: &[LevelRun]) {
    println!("### Prompt tokens per turn (naive → mluvme)\n");
    println!("| turn | {} |", LEVELS.map(|l| format!("{l} naive | {l} mluvme")).join(" | "));
    println!("|---:|{}", "---:|".repeat(2 * LEVELS.len()));
    for t in 0..TURNS {
        let cells: Vec<String> =
            runs.iter().map(|r| format!("{} | {}", r.naive[t], r.policy[t])).collect();
        println!("| {} | {} |", t + 1, cells.join(" | "));
    }
    println!("\n### Per level over {TURNS} turns\n");
    println!(
        "| level | prompt tokens naive | mluvme | saving | turn 40 vs naive | turn 10 → turn 40 | turns per model |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    for (level, r) in LEVELS.iter().zip(runs) {
        let (n, p): (usize, usize) = (r.naive.iter().sum(), r.policy.iter().sum());
        let at40 = 100.0 * (1.0 - r.policy[TURNS - 1] as f64 / r.naive[TURNS - 1] as f64);
        let models: Vec<String> = r
            .models
            .iter()
            .map(|(m, c)| format!("{m} {:.0}%", 100.0 * *c as f64 / TURNS as f64))
            .collect();
        println!(
            "| {level} | {n} | {p} | {:.0}% | {at40:.0}% smaller | {} → {} | {} |",
            100.0 * (1.0 - p as f64 / n as f64),
            r.policy[9],
            r.policy[TURNS - 1],
            models.join(", ")
        );
    }
    println!("\n### Where the prompt goes (intermediate; tokens)\n");
    println!("| turn | system prompt | summary | verbatim history | new message | total |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for t in [1, 6, 7, 10, 20, 30, 39, 40] {
        let [a, b, c, d] = runs[1].parts[t - 1];
        println!("| {t} | {a} | {b} | {c} | {d} | {} |", a + b + c + d);
    }
    println!("\n### Cost per 1,000 voice turns (USD, default prices)\n");
    println!(
        "| level | LLM (mluvme) | STT | TTS | total | LLM share | LLM with the naive policy |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (level, r) in LEVELS.iter().zip(runs) {
        let per1000 = |micros: i64| micros as f64 / 1e6 * 1000.0 / TURNS as f64;
        let total = r.llm + r.stt + r.tts;
        println!(
            "| {level} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0}% | {:.2} |",
            per1000(r.llm),
            per1000(r.stt),
            per1000(r.tts),
            per1000(total),
            100.0 * r.llm as f64 / total as f64,
            per1000(r.naive_llm)
        );
    }
}
