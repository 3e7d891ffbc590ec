//! Cold start (`--cold-start N`): how long a learner who wrote while the bot was down waits once
//! it is started. Each run starts both emulators, queues one learner's `/start`, then execs the
//! bot on a fresh SQLite database (so its migrations are part of the figure) and times from the
//! exec to the bot's first message to that learner. Runs one after another; the report gives
//! each run and the median.

use std::time::{Duration, Instant};

use super::{Options, process, start_emulators, tempdir};

/// Runs `runs` cold starts and returns the report's text.
pub async fn run(opts: &Options, runs: usize) -> anyhow::Result<String> {
    let mut times = Vec::new();
    let mut commands = Vec::new();
    for _ in 0..runs.max(1) {
        let (tg, ai) = start_emulators(opts).await?;
        let dir = tempdir()?;
        let database_url = format!("sqlite://{}/mluvme.db?mode=rwc", dir.display());
        let learner = tg.learner(1, "Cold", Some("en"));
        learner.send_command("/start");
        let started = Instant::now();
        let mut fleet = process::Fleet::start(
            &opts.bot,
            &tg,
            &ai,
            &database_url,
            &dir,
            false,
            &opts.bot_env,
            1,
            false,
        )?;
        let answered = tg
            .wait_until(Duration::from_secs(60), |tg| !tg.messages(learner.chat_id()).is_empty())
            .await;
        let took = started.elapsed();
        let menu = tg.wait_until(Duration::from_secs(10), |tg| !tg.my_commands().is_empty()).await;
        let menu_at = started.elapsed();
        fleet.stop().await;
        let _ = std::fs::remove_dir_all(&dir);
        anyhow::ensure!(answered, "the bot did not answer the waiting /start within 60 s");
        times.push(took);
        commands.push(if menu { Some(menu_at) } else { None });
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut out =
        String::from("cold start (exec → first answer to a waiting /start, fresh SQLite):\n");
    for (i, (t, m)) in times.iter().zip(&commands).enumerate() {
        let menu = m.map(|m| format!("{:.0} ms", ms(m))).unwrap_or_else(|| "not registered".into());
        out.push_str(&format!(
            "  run {}: {:.0} ms (command menu registered by {menu})\n",
            i + 1,
            ms(*t)
        ));
    }
    let mut sorted = times.clone();
    sorted.sort();
    out.push_str(&format!(
        "  median {:.0} ms, min {:.0} ms, max {:.0} ms\n",
        ms(sorted[sorted.len() / 2]),
        ms(sorted[0]),
        ms(sorted[sorted.len() - 1])
    ));
    Ok(out)
}
