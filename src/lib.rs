//! mluvme — a Telegram bot for practising spoken Czech with Honzík.
//!
//! # Layout
//!
//! Calls run one way, from the top down: **startup → intake → bot → turn → (tutor, ai, store,
//! progress, …)**. A lower layer never names a higher one; where it needs something from above it
//! declares a small trait the higher layer implements (`turn::Show`, `bot::CancelTurn`). Pure
//! rules (tutor, progress, review, words, admin, html) do no I/O at all.
//!
//! The wiring, at the top:
//! - [`startup`]: `run(config, clock, shutdown)`, the entry point `main` and the tests share —
//!   builds [`app::App`] and [`bot::Telegram`], starts the jobs, then the intake.
//! - [`jobs`]: background work with its own clock — daily reminders, the broadcast sender,
//!   audio retention.
//! - [`config`] (typed settings from the environment; one clear line per bad value),
//!   [`telemetry`] (the one tracing-subscriber set-up) and [`alloc`] (mimalloc, as `main`
//!   installs it).
//!
//! Updates in, answers out:
//! - [`intake`]: the durable update loop — record every update before Telegram's confirmation,
//!   per-chat ordering with a bounded backlog, `/cancel` out of band, resume after a restart; long
//!   polling (one process) or a webhook, where `intake::leases` lets any number of replicas share
//!   one PostgreSQL inbox with each chat on one replica at a time. Each update runs inside one
//!   `update` span (update id, chat, user, kind).
//! - [`server`]: the operations HTTP server on `PORT` — Telegram's webhook (answered 200 only once
//!   the update is recorded), `/healthz`, `/readyz`, `/metrics` (the last two on `OPS_PORT` when
//!   set) — every client bounded in time and number, and webhook registration.
//! - [`bot`]: everything Telegram — the dptree handler tree (`schema()`), commands, keyboards, the
//!   typed callback codec, short handlers injected by type (`Arc<App>`, `Arc<Telegram>`), the
//!   rendering of a turn (`bot::render`, `bot::turn_reply`), and `bot::outbox`, **the one way out
//!   to Telegram**: every send, edit and chat action, paced within Telegram's limits
//!   (`bot::pace`: 30/s, ~1/s per chat), retried where safe, with one policy for a learner who
//!   blocked the bot.
//! - [`turn`]: one learner turn as a pipeline (audio → speech-to-text → Honzík → text-to-speech →
//!   deliver → store) with a checkpoint after each paid or visible step (received → transcribed →
//!   answered → delivered), so a crash or deploy resumes it without paying or sending twice; an
//!   OpenAI outage is announced once, waited out, and the turn answered. It knows nothing of
//!   Telegram: it fetches and shows through `turn::Show`, has its own `turn::TurnError`, and runs
//!   its stages in child spans (`listen`, `download`, `stt`, `answer`, `llm`, `tts`, `deliver`).
//!
//! The services a turn and the handlers use:
//! - [`app`]: `App`, the lower layers' state (config, database, AI clients, audio store, cache,
//!   metrics, clock, locales, models) — it names nothing above it.
//! - [`ai`]: everything that talks to the OpenAI-compatible servers — [`ai::client`] (the shared
//!   client and [`ai::AiError`]), [`ai::chat`] (Honzík's chat completions and summaries),
//!   [`ai::speech`] (speech-to-text, text-to-speech, Ogg measured in linear time), [`ai::meter`]
//!   (**the one place a paid request is priced and counted**: the clients return its
//!   [`ai::meter::Usage`] with every paid result, the store records it) and [`ai::upstream`]
//!   (faults without pile-ups: retries with jittered backoff and `Retry-After` within one deadline
//!   per request, a concurrency limit and a circuit breaker per upstream, and
//!   [`ai::upstream::Outage`] for waiting an outage out), [`ai::wire`] (servers' response bodies
//!   read leniently: what OpenAI-compatible servers leave out is never required).
//! - [`store`]: sea-orm queries and transactions (SQLite by default, PostgreSQL in production); a
//!   turn's writes go in few round trips (`store::batch`), on SQLite committed with other turns'
//!   by one writer task (`store::writer`), its prompt's reads in one
//!   (`store::together`), its checkpoints in `store::turns` and `store::answer`, the durable inbox
//!   and its purge in `store::inbox`, chat leases and replica heartbeats in `store::leases`, the
//!   usage ledger in `store::usage`, the learner's data rights in `store::privacy`.
//! - [`audio_store`]: audio persistence off the reply's critical path (a local directory or an
//!   S3-compatible bucket, through `object_store`): bounded, retried, never silently lost, and
//!   deleted after `AUDIO_RETENTION_DAYS`.
//! - [`cache`]: Redis (`REDIS_URL`) or in-process: the per-learner turn limit, Honzík's voice
//!   cache, the Telegram send budget shared by replicas; Redis down never stops a turn.
//! - [`metrics`]: Prometheus metrics (turns, stage latencies, upstream errors, tokens and cost,
//!   queue depths), pre-built so an observation is an atomic add.
//! - [`i18n`]: Fluent locales (ru, uk, en), every argument escaped at the one point of insertion.
//! - [`charts`]: the `/stats` picture (plotters, a bundled font, PNG).
//!
//! Pure rules, no I/O:
//! - [`tutor`]: Honzík's persona prompt, the reply contract and its repair, token budgets, model
//!   choice, prices, language heuristics.
//! - [`progress`]: stars, streaks and the daily challenge, what `/stats` shows, time zones, and
//!   the injectable clock.
//! - [`review`]: FSRS scheduling of saved words and past mistakes, answer checking
//!   (diacritics-aware), mistake trends, when a daily reminder is due.
//! - [`words`]: which words of a turn can be saved, and when two spellings are one word.
//! - [`admin`]: daily allowances in money terms, admin command arguments, access (public /
//!   allow-list, bans).
//! - [`settings`]: the learner's settings as types.
//! - [`html`]: Telegram's HTML — escaping, UTF-16 lengths, splitting a long text into messages
//!   without breaking a tag, clipping captions.
//!
//! # Where to add…
//!
//! - **A command:** a variant of `bot::commands::Command` (its name is the command, snake_case);
//!   its arm in `bot::commands::handle`, which calls the handler in `bot::handlers::<area>`
//!   (commands reach it through the one `filter_command::<Command>()` branch of `bot::schema()`;
//!   a new *kind* of update or button needs its own branch, or a `bot::callback::Callback`
//!   variant handled in `bot::handlers::callbacks`). Its texts go in the locales, with its menu
//!   line `cmd-<name>` — `bot::register_commands` builds the `/` menu from the enum and those
//!   keys — and a line in the `help` text of every locale. `tests/bot/controls.rs` pins the menu
//!   and `/help`.
//! - **A user text:** a key in all three of `locales/{ru,uk,en}/main.ftl` (the same keys in
//!   each), used through [`i18n::I18n::tr`]; text arguments are escaped there, markup is
//!   Telegram HTML ([`html`]). `i18n`'s tests check that every key the code uses exists in every
//!   locale and formats: a literal key anywhere in `src/` is found by the scan, and a key built
//!   at run time (`format!("trend-{}", …)`) needs its family in the tests' `dynamic_families`,
//!   built from one list of its values (an enum's `ALL`).
//! - **A table:** its entity in `entity/`, a migration in `migration/` (with a `down`), and a
//!   store module in [`store`] that owns its queries. And the learner's rights: a table holding
//!   anything about a person (a `user_id`, `chat_id`, …) is exported by `/export` and erased by
//!   `/delete_me` ([`store::privacy`]), or listed as exempt with the reason — its entry in
//!   [`store::privacy::DUTIES`], which a test checks against the schema and against what export
//!   and delete really do.
//! - **An OpenAI call:** in [`ai`] (a new endpoint family gets an [`ai::upstream::Upstream`] and
//!   so its own gate: concurrency limit, circuit breaker, retries within one deadline), its
//!   failures as [`ai::AiError`], its answer read with a type of [`ai::wire`] (only what the bot
//!   uses required), its price in [`tutor::cost`], and its usage recorded by the
//!   meter, `ai`'s one place that records every paid request's usage, price and metrics — never
//!   by hand at the call site. The handler whose update causes it passes
//!   `bot::handlers::access::gate` (turn limit, spend cap, allowance) before anything is paid,
//!   and the request carries a bound on what it may cost (`max_completion_tokens`, audio length).

pub mod admin;
pub mod ai;
pub mod alloc;
pub mod app;
pub mod audio_store;
pub mod bot;
pub mod cache;
pub mod charts;
pub mod config;
pub mod html;
pub mod i18n;
pub mod intake;
pub mod jobs;
pub mod metrics;
pub mod practice;
pub mod progress;
pub mod review;
pub mod server;
pub mod settings;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod turn;
pub mod tutor;
pub mod update_json;
pub mod words;

pub use startup::run;
