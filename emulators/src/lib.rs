//! Loopback emulators of the remote services mluvme talks to: the Telegram
//! Bot API, the OpenAI API and S3-compatible storage.
//!
//! They are product code, not throwaway mocks: the bot reaches them through
//! teloxide and async-openai *unchanged* (only the base URL differs), so every
//! response has the exact shape the real service produces and every request
//! the real service would refuse is refused here too, with the real error
//! text. A test that passes against them should therefore pass in production;
//! a bot bug that Telegram would answer with "can't parse entities" fails the
//! test instead of shipping.
//!
//! Both servers bind `127.0.0.1:0` (never another address) and stop when the
//! emulator value is dropped.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use std::time::Duration;
//! use emulators::{OpenAiConfig, OpenAiEmulator, TelegramConfig, TelegramEmulator, samples};
//!
//! let tg = TelegramEmulator::start(TelegramConfig::default()).await?;
//! let ai = OpenAiEmulator::start(OpenAiConfig::default()).await?;
//! // Start the bot with TELOXIDE_TOKEN = tg.token(), TELOXIDE_API_URL = tg.api_url(),
//! // OPENAI_BASE_URL = ai.base_url(); then play the learner:
//! let anna = tg.learner(1001, "Anna", Some("ru"));
//! anna.send_command("/start");
//! anna.send_sample(&samples::ALL[1]); // "Já jsem byl v Praha včera…"
//! let replies = tg.wait_messages(anna.chat_id(), 2, Duration::from_secs(20)).await;
//! assert!(replies.iter().any(|m| m.plain_text().contains("v Praze")));
//! assert!(tg.rejected().is_empty() && ai.rejected().is_empty());
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`telegram`]: Bot API emulator. `server` (routes, long polling,
//!   downloads), `methods` + `send` (the Bot API methods), `webhook`
//!   (delivery to the bot), `learner` (the simulated user pushing updates),
//!   `state` (chats, messages, updates, files, the webhook's state; the
//!   single lock), `types` (public observation types), `html` + `markdown`
//!   (Telegram's formatted-text parsers, used to validate and to measure
//!   text) over `entities`, `error` (a method's error reply).
//! - [`openai`]: OpenAI-compatible emulator. `server` (routes), `chat` and
//!   `audio` (the endpoints), `steps` (what every endpoint does: count,
//!   record, fault, hold, latency), `validate` (chat request checks), `state`
//!   (the shared state, holds), `faults` (injected failures, error bodies),
//!   `types` (endpoints, configuration, recorded requests), `tutor`
//!   (deterministic fake Honzík replies and the learner-mistake table),
//!   `schema` (shapes a reply to the caller's JSON schema).
//! - [`s3`]: a minimal S3-compatible object store (the bot's S3 audio storage).
//! - [`samples`]: real Czech Ogg Opus voice notes and their spoken texts.
//! - [`latency`]: per-endpoint artificial latency ranges.
//! - `body`: one parser for JSON, urlencoded and multipart request bodies,
//!   shared by both servers.
//! - `audio`: container sniffing and Ogg duration, shared by both servers.
//! - `loopback`: binds and serves each emulator on `127.0.0.1:0`.
//!
//! No module uses one that uses it back: the crate root only re-exports, and
//! inside `telegram` and `openai` the modules form layers (see each one's doc).

pub mod latency;
pub mod openai;
pub mod s3;
pub mod samples;
pub mod telegram;

mod audio;
mod body;
mod loopback;

pub use latency::{LatencyProfile, LatencyRange};
pub use openai::{AiFault, Endpoint, Moment, OpenAiConfig, OpenAiEmulator, Shapes};
pub use telegram::{TelegramConfig, TelegramEmulator, TgFault};
