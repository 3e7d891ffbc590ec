//! Everything that talks to the OpenAI-compatible servers, in one place, so a new paid call has
//! one obvious home and goes through the same gates as the others.
//!
//! - [`client`]: the async-openai client with our own HTTP service under it, and [`AiError`], the
//!   one error type for everything that can go wrong upstream.
//! - [`chat`]: Honzík's chat completions (the structured reply, conversation summaries).
//! - [`speech`]: speech-to-text and text-to-speech, and measuring Ogg audio before paying for it.
//! - [`meter`]: the one place a paid request is priced and counted; the clients return its
//!   [`meter::Usage`] with every paid result, and the store records it.
//! - [`upstream`]: retries, deadlines, concurrency limits and circuit breakers per upstream.
//! - [`wire`]: the response bodies of OpenAI-compatible servers, read leniently.

pub mod chat;
pub mod client;
pub mod meter;
pub mod speech;
pub mod upstream;
pub mod wire;

pub use client::AiError;
