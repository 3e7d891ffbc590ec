//! Honzík's one chat completion per turn.
//!
//! Structured outputs (a strict JSON schema) where the server supports them; JSON mode where it
//! refuses the schema (many OpenAI-compatible servers do), remembered for the rest of the process.
//! An answer that breaks the contract is repaired where possible and retried once otherwise.

use std::sync::atomic::{AtomicBool, Ordering};

use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessageArgs, ChatCompletionRequestMessage, ChatCompletionRequestSystemMessageArgs,
    ChatCompletionRequestUserMessageArgs, CreateChatCompletionRequestArgs, ResponseFormat, ResponseFormatJsonSchema,
};

use crate::openai::{AiError, OpenAi, classify};
use crate::tutor::{self, FittedContext, HonzikReply, Role};

/// What the model said and what it cost.
#[derive(Clone, Debug)]
pub struct Completion {
    pub reply: HonzikReply,
    pub model: String,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
}

pub struct Tutor {
    client: OpenAi,
    /// Cleared the first time a server rejects `response_format: json_schema`.
    schema_supported: AtomicBool,
}

impl Tutor {
    pub fn new(client: OpenAi) -> Self {
        Tutor { client, schema_supported: AtomicBool::new(true) }
    }

    /// Asks `model` for Honzík's reply to the fitted context; one retry when the answer cannot be
    /// repaired into the contract.
    pub async fn reply(&self, model: &str, system_prompt: &str, ctx: &FittedContext) -> Result<Completion, AiError> {
        let messages = build_messages(system_prompt, ctx)?;
        let mut last_err = String::new();
        for _attempt in 0..2 {
            let (raw, usage) = self.complete(model, messages.clone()).await?;
            match tutor::parse_reply(&raw) {
                Ok(reply) => {
                    let (prompt_tokens, completion_tokens) = usage.unwrap_or_else(|| {
                        (ctx.prompt_tokens as u32, tutor::count_tokens(model, &raw) as u32)
                    });
                    return Ok(Completion { reply, model: model.to_owned(), prompt_tokens, completion_tokens });
                }
                Err(e) => {
                    tracing::warn!(model, error = %e, "model broke the reply contract");
                    last_err = e.to_string();
                }
            }
        }
        Err(AiError::InvalidReply(last_err))
    }

    async fn complete(&self, model: &str, messages: Vec<ChatCompletionRequestMessage>) -> Result<(String, Option<(u32, u32)>), AiError> {
        loop {
            let use_schema = self.schema_supported.load(Ordering::Relaxed);
            let format = if use_schema {
                ResponseFormat::JsonSchema {
                    json_schema: ResponseFormatJsonSchema {
                        name: "honzik_reply".into(),
                        description: Some("Honzík's answer to the learner with corrections".into()),
                        schema: tutor::json_schema(),
                        strict: Some(true),
                    },
                }
            } else {
                ResponseFormat::JsonObject
            };
            let request = CreateChatCompletionRequestArgs::default()
                .model(model)
                .messages(messages.clone())
                .response_format(format)
                .build()
                .map_err(|e| AiError::Refused(e.to_string()))?;
            match self.client.chat().create(request).await {
                Ok(resp) => {
                    let content = resp.choices.into_iter().next().and_then(|c| c.message.content).unwrap_or_default();
                    let usage = resp.usage.map(|u| (u.prompt_tokens, u.completion_tokens));
                    return Ok((content, usage));
                }
                Err(e) => match classify(e) {
                    AiError::Refused(msg) if use_schema && msg.starts_with("400") && msg.contains("response_format") => {
                        tracing::info!("server refuses json_schema; using JSON mode from now on");
                        self.schema_supported.store(false, Ordering::Relaxed);
                    }
                    other => return Err(other),
                },
            }
        }
    }
}

fn build_messages(system_prompt: &str, ctx: &FittedContext) -> Result<Vec<ChatCompletionRequestMessage>, AiError> {
    let bad = |e: async_openai::error::OpenAIError| AiError::Refused(e.to_string());
    let mut out: Vec<ChatCompletionRequestMessage> =
        vec![ChatCompletionRequestSystemMessageArgs::default().content(system_prompt).build().map_err(bad)?.into()];
    for turn in &ctx.turns {
        out.push(match turn.role {
            Role::Learner => ChatCompletionRequestUserMessageArgs::default().content(turn.text.as_str()).build().map_err(bad)?.into(),
            Role::Honzik => ChatCompletionRequestAssistantMessageArgs::default().content(turn.text.as_str()).build().map_err(bad)?.into(),
        });
    }
    out.push(ChatCompletionRequestUserMessageArgs::default().content(ctx.new_message.as_str()).build().map_err(bad)?.into());
    Ok(out)
}
