//! Honzík's brain, minus the network: prompt, reply contract, token budget,
//! model choice and input heuristics. Everything here is pure and unit-tested;
//! the LLM client lives elsewhere and only glues these together.

pub mod budget;
pub mod category;
pub mod cost;
pub mod language;
pub mod levels;
pub mod model;
pub mod persona;
pub mod placement;
pub mod reply;
pub mod sift;

pub use budget::{
    Encoding, FittedContext, HistoryTurn, MESSAGE_OVERHEAD, Role, count_tokens, encoding_for_model,
    fit_context, fit_context_counted, fit_context_with_summary, newest_within, truncate_to_tokens,
};
pub use category::MistakeCategory;
pub use cost::Prices;
pub use language::{looks_non_czech, word_count};
pub use levels::{LevelPolicy, policy};
pub use model::{ModelPolicy, Purpose, choose_model};
pub use persona::{PromptParams, counted_system_prompt, system_prompt};
pub use reply::{
    HonzikReply, MAX_MISTAKES, MAX_NEW_WORDS, Mistake, NewWord, REPLY_MAX_TOKENS, ReplyError,
    SCHEMA_NAME, SceneProgress, json_schema, parse_reply,
};
pub use sift::sift;
