//! Pure: the body of one chat completion request, and how Honzík's reply is asked to be JSON on
//! servers that offer less than OpenAI.
//!
//! Structured outputs (a strict JSON schema) first; where the server refuses that, JSON mode
//! (`json_object`: Ollama, llama.cpp's server and vLLM have it, not every server does); where it
//! refuses that too, no `response_format` at all and the schema in the system prompt — every chat
//! server can follow an instruction, and `tutor::parse_reply` repairs fences and chatter around
//! the object. The request is sent as JSON of our own making (async-openai's "bring your own
//! types"), so the last step can change the system message.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU8, Ordering};

use async_openai::types::chat::{
    ChatCompletionRequestMessage, CreateChatCompletionRequestArgs, ResponseFormat,
    ResponseFormatJsonSchema,
};
use serde_json::Value;

use crate::ai::client::AiError;
use crate::ai::meter::Tokens;
use crate::tutor;

static REPLY_SCHEMA: LazyLock<Value> = LazyLock::new(tutor::json_schema);
static PLACEMENT_SCHEMA: LazyLock<Value> = LazyLock::new(tutor::placement::json_schema);

/// What a completion is asked to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Format {
    /// Honzík's reply: the JSON contract.
    Reply,
    /// Plain text (a summary).
    Text,
    /// A placement test's grade: its own strict schema (`tutor::placement`).
    Placement,
}

impl Format {
    /// Whether the answer is asked to be JSON (a `response_format` or the schema in the prompt).
    pub(super) fn is_json(self) -> bool {
        self != Format::Text
    }

    /// The schema's name, description and body.
    fn schema(self) -> Option<(&'static str, &'static str, Value)> {
        match self {
            // Built once: a turn's request is built anew for each of its attempts.
            Format::Reply => Some((
                tutor::SCHEMA_NAME,
                "Honzík's answer to the learner with corrections",
                REPLY_SCHEMA.clone(),
            )),
            Format::Placement => Some((
                tutor::placement::SCHEMA_NAME,
                "A CEFR level and one line per skill",
                PLACEMENT_SCHEMA.clone(),
            )),
            Format::Text => None,
        }
    }
}

/// How the reply contract is asked for, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ReplyFormat {
    /// `response_format: json_schema`, strict.
    Schema,
    /// `response_format: json_object`.
    JsonObject,
    /// No `response_format`: the schema in the system prompt.
    Prompt,
}

impl ReplyFormat {
    const ALL: [ReplyFormat; 3] =
        [ReplyFormat::Schema, ReplyFormat::JsonObject, ReplyFormat::Prompt];

    /// The next one down, after a server refused this one.
    pub(super) fn fallback(self) -> Option<ReplyFormat> {
        ReplyFormat::ALL.get(self as usize + 1).copied()
    }
}

/// The best reply format this server has not refused yet; shared by every request of the
/// process (a server that refused a format once will refuse it again).
#[derive(Debug, Default)]
pub(super) struct Ladder(AtomicU8);

impl Ladder {
    pub(super) fn current(&self) -> ReplyFormat {
        ReplyFormat::ALL[usize::from(self.0.load(Ordering::Relaxed)).min(2)]
    }

    /// Steps below `refused` (never back up: concurrent requests may report the same refusal).
    pub(super) fn refused(&self, refused: ReplyFormat) -> Option<ReplyFormat> {
        let next = refused.fallback()?;
        self.0.fetch_max(next as u8, Ordering::Relaxed);
        Some(next)
    }
}

/// Whether a refusal is about the response format (OpenAI names the parameter; llama.cpp,
/// vLLM and FastAPI servers name the format or the parameter in their message).
pub(super) fn refuses_format(message: &str) -> bool {
    let status_ok = ["400", "422"].iter().any(|s| message.starts_with(s));
    let m = message.to_ascii_lowercase();
    status_ok && ["response_format", "json_schema", "json_object"].iter().any(|k| m.contains(k))
}

/// Whether a refusal is about streaming (a server without it names the parameter).
pub(super) fn refuses_stream(message: &str) -> bool {
    let status_ok = ["400", "422"].iter().any(|s| message.starts_with(s));
    status_ok && message.to_ascii_lowercase().contains("stream")
}

/// What the system prompt gets when the server takes no `response_format` at all.
fn instruction(schema: &Value) -> String {
    format!(
        "\n\nOdpověz pouze jedním objektem JSON přesně podle tohoto schématu JSON, bez jakéhokoli \
         dalšího textu:\n{schema}"
    )
}

/// How long a completion may be, and how to say it to this server.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limit {
    pub tokens: u32,
    /// Also as `max_tokens`: servers other than OpenAI (Ollama's documented fields, older
    /// llama.cpp and vLLM) know only that name and would otherwise not cap the answer at all.
    /// Never to OpenAI, whose reasoning models refuse `max_tokens`.
    pub legacy: bool,
}

/// The request for one completion, as JSON; `max_completion_tokens` is always set.
pub(super) fn request(
    model: &str,
    messages: Vec<ChatCompletionRequestMessage>,
    format: Format,
    reply_format: ReplyFormat,
    limit: Limit,
) -> Result<Value, AiError> {
    let max_tokens = limit.tokens;
    let mut args = CreateChatCompletionRequestArgs::default();
    args.model(model).messages(messages).max_completion_tokens(max_tokens);
    let schema = format.schema();
    if let Some((name, description, schema)) = schema.clone() {
        match reply_format {
            ReplyFormat::Schema => {
                args.response_format(ResponseFormat::JsonSchema {
                    json_schema: ResponseFormatJsonSchema {
                        name: name.into(),
                        description: Some(description.into()),
                        schema,
                        strict: Some(true),
                    },
                });
            }
            ReplyFormat::JsonObject => {
                args.response_format(ResponseFormat::JsonObject);
            }
            ReplyFormat::Prompt => {}
        }
    }
    let built = args.build().map_err(|e| AiError::Refused(e.to_string()))?;
    let mut body = serde_json::to_value(built).map_err(|e| AiError::Refused(e.to_string()))?;
    if limit.legacy {
        body["max_tokens"] = Value::from(max_tokens);
    }
    if let (Some((_, _, schema)), ReplyFormat::Prompt) = (schema, reply_format) {
        let system = &mut body["messages"][0];
        if system["role"] == "system"
            && let Some(text) = system["content"].as_str()
        {
            system["content"] = Value::String(format!("{text}{}", instruction(&schema)));
        }
    }
    Ok(body)
}

/// The tokens of a completion whose server reported none: the request's messages as the bot
/// budgets them (content plus per-message overhead) and the answer, counted with the model's
/// tokenizer (o200k where the model is unknown) — an estimate, and marked as one.
pub(super) fn estimate(model: &str, body: &Value, answer: &str) -> Tokens {
    let prompt: usize = body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            tutor::count_tokens(model, m["content"].as_str().unwrap_or_default())
                + tutor::MESSAGE_OVERHEAD
        })
        .sum();
    Tokens {
        prompt: prompt as u32,
        completion: tutor::count_tokens(model, answer) as u32,
        estimated: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_openai::types::chat::{
        ChatCompletionRequestSystemMessageArgs, ChatCompletionRequestUserMessageArgs,
    };

    fn messages() -> Vec<ChatCompletionRequestMessage> {
        vec![
            ChatCompletionRequestSystemMessageArgs::default()
                .content("persona: answer in json")
                .build()
                .unwrap()
                .into(),
            ChatCompletionRequestUserMessageArgs::default().content("Ahoj").build().unwrap().into(),
        ]
    }

    #[test]
    fn every_request_carries_max_completion_tokens() {
        for (format, rf) in [
            (Format::Reply, ReplyFormat::Schema),
            (Format::Reply, ReplyFormat::JsonObject),
            (Format::Text, ReplyFormat::Schema),
        ] {
            let body = request("gpt-4o-mini", messages(), format, rf, openai(77)).unwrap();
            assert_eq!(body["max_completion_tokens"], 77, "{format:?}");
            assert!(body.get("max_tokens").is_none(), "never the old name to OpenAI");
            assert_eq!(body["response_format"].is_null(), format == Format::Text, "{format:?}");
        }
        let limit = Limit { tokens: 77, legacy: true };
        let ollama =
            request("gemma3:12b", messages(), Format::Reply, ReplyFormat::JsonObject, limit)
                .unwrap();
        assert_eq!(
            (&ollama["max_completion_tokens"], &ollama["max_tokens"]),
            (&77.into(), &77.into())
        );
    }

    fn openai(tokens: u32) -> Limit {
        Limit { tokens, legacy: false }
    }

    #[test]
    fn a_placement_grade_is_asked_for_in_its_own_schema_down_the_same_ladder() {
        let schema =
            request("m", messages(), Format::Placement, ReplyFormat::Schema, openai(9)).unwrap();
        let format = &schema["response_format"]["json_schema"];
        assert_eq!(format["name"], tutor::placement::SCHEMA_NAME);
        assert_eq!(format["strict"], true);
        assert_eq!(format["schema"], tutor::placement::json_schema());
        let object =
            request("m", messages(), Format::Placement, ReplyFormat::JsonObject, openai(9))
                .unwrap();
        assert_eq!(object["response_format"]["type"], "json_object");
        let prompted =
            request("m", messages(), Format::Placement, ReplyFormat::Prompt, openai(9)).unwrap();
        let system = prompted["messages"][0]["content"].as_str().unwrap();
        assert!(
            system.contains("\"vocabulary\"") && !system.contains("honzik_response"),
            "{system}"
        );
    }

    #[test]
    fn each_step_down_the_ladder_asks_for_json_in_a_way_fewer_servers_refuse() {
        let types: Vec<Value> = ReplyFormat::ALL
            .iter()
            .map(|rf| {
                request("m", messages(), Format::Reply, *rf, openai(9)).unwrap()["response_format"]
                    ["type"]
                    .clone()
            })
            .collect();
        assert_eq!(types, [Value::from("json_schema"), Value::from("json_object"), Value::Null]);
        let prompted =
            request("m", messages(), Format::Reply, ReplyFormat::Prompt, openai(9)).unwrap();
        let system = prompted["messages"][0]["content"].as_str().unwrap();
        assert!(system.starts_with("persona: answer in json"), "{system}");
        assert!(system.contains("\"honzik_response\""), "the schema is in the prompt: {system}");
        assert_eq!(prompted["messages"][1]["content"], "Ahoj", "the learner's words untouched");
        let summary =
            request("m", messages(), Format::Text, ReplyFormat::Prompt, openai(9)).unwrap();
        assert_eq!(summary["messages"][0]["content"], "persona: answer in json");
    }

    #[test]
    fn the_ladder_only_steps_down_and_stops_at_the_prompt() {
        let ladder = Ladder::default();
        assert_eq!(ladder.current(), ReplyFormat::Schema);
        assert_eq!(ladder.refused(ReplyFormat::Schema), Some(ReplyFormat::JsonObject));
        assert_eq!(ladder.refused(ReplyFormat::Schema), Some(ReplyFormat::JsonObject));
        assert_eq!(ladder.current(), ReplyFormat::JsonObject);
        assert_eq!(ladder.refused(ReplyFormat::JsonObject), Some(ReplyFormat::Prompt));
        assert_eq!(ladder.refused(ReplyFormat::Prompt), None);
        assert_eq!(ladder.current(), ReplyFormat::Prompt);
    }

    #[test]
    fn format_refusals_are_told_from_other_refusals() {
        assert!(refuses_format(
            "400 Invalid parameter: 'response_format' of type 'json_schema' is not supported"
        ));
        assert!(refuses_format(
            "400 'response_format' type must be one of 'text' or 'json_object'"
        ));
        assert!(refuses_format("422 [{\"loc\":[\"body\",\"response_format\"]}]"));
        assert!(!refuses_format("400 Invalid 'messages': empty array"));
        assert!(!refuses_format("500 response_format handler crashed"));
        assert!(refuses_stream("400 Streaming is not supported; send stream=false."));
        assert!(refuses_stream("422 [{\"loc\":[\"body\",\"stream_options\"]}]"));
        assert!(!refuses_stream("400 Invalid 'messages': empty array"));
        assert!(!refuses_stream("503 stream handler overloaded"));
    }

    #[test]
    fn an_estimate_counts_what_was_sent_and_what_came_back() {
        let body = request("gpt-4o-mini", messages(), Format::Text, ReplyFormat::Schema, openai(9))
            .unwrap();
        let t = estimate("gpt-4o-mini", &body, "Ahoj, jak se máš?");
        assert!(t.estimated);
        let content = tutor::count_tokens("gpt-4o-mini", "persona: answer in json")
            + tutor::count_tokens("gpt-4o-mini", "Ahoj");
        assert_eq!(t.prompt as usize, content + 2 * tutor::MESSAGE_OVERHEAD);
        assert_eq!(t.completion as usize, tutor::count_tokens("gpt-4o-mini", "Ahoj, jak se máš?"));
    }
}
