//! Honzík's one chat completion per turn.
//!
//! Structured outputs (a strict JSON schema) where the server supports them; JSON mode where it
//! refuses the schema (many OpenAI-compatible servers do), remembered for the rest of the process.
//! An answer that breaks the contract is repaired where possible and retried once otherwise.

use std::sync::atomic::{AtomicBool, Ordering};

use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessageArgs, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessageArgs, ChatCompletionRequestUserMessageArgs,
    CreateChatCompletionRequestArgs, ResponseFormat, ResponseFormatJsonSchema,
};

use crate::ai::client::{AiError, OpenAi, classify};
use crate::ai::meter::{Meter, Metered, Usage, UsageKind};
use crate::ai::upstream::{Outage, Upstream};
use crate::tutor::{self, FittedContext, HistoryTurn, HonzikReply, Role};

/// What the model said and what it cost.
#[derive(Clone, Debug)]
pub struct Completion {
    pub reply: HonzikReply,
    /// Both attempts when the first broke the contract: it was paid for too.
    pub usage: Usage,
}

pub struct ChatClient {
    client: OpenAi,
    meter: Meter,
    /// Cleared the first time a server rejects `response_format: json_schema`.
    schema_supported: AtomicBool,
}

impl ChatClient {
    pub fn new(client: OpenAi, meter: Meter) -> Self {
        ChatClient { client, meter, schema_supported: AtomicBool::new(true) }
    }

    /// The chat upstream's circuit: whether it is open, and [`Outage::ready`] to wait until a
    /// request may go again (turns and summaries share it).
    pub fn outage(&self) -> Outage {
        self.client.outage(Upstream::Chat)
    }

    /// Asks `model` for Honzík's reply to the fitted context (with the conversation summary when
    /// it fitted); one retry when the answer cannot be repaired into the contract. The returned
    /// token counts include a failed first attempt: it was paid for too.
    pub async fn reply(
        &self,
        model: &str,
        system_prompt: &str,
        summary: Option<&str>,
        ctx: &FittedContext,
    ) -> Result<Completion, AiError> {
        let messages = build_messages(system_prompt, summary.filter(|_| ctx.with_summary), ctx)?;
        let mut last_err = String::new();
        let (mut prompt_tokens, mut completion_tokens) = (0, 0);
        for _attempt in 0..2 {
            let (raw, usage) = self.complete(model, messages.clone(), None).await?;
            let (p, c) = usage.unwrap_or_else(|| {
                (ctx.prompt_tokens as u32, tutor::count_tokens(model, &raw) as u32)
            });
            prompt_tokens += p;
            completion_tokens += c;
            match tutor::parse_reply(&raw) {
                Ok(reply) => {
                    let usage =
                        self.meter.chat(UsageKind::Chat, model, prompt_tokens, completion_tokens);
                    return Ok(Completion { reply, usage });
                }
                Err(e) => {
                    tracing::warn!(model, error = %e, "model broke the reply contract");
                    last_err = e.to_string();
                }
            }
        }
        Err(AiError::InvalidReply(last_err))
    }

    /// Folds the turns leaving the verbatim window into the conversation's summary: a few Czech
    /// sentences (topics, facts about the learner, recurring mistakes). Plain text, bounded by
    /// `max_tokens`; an empty answer is an error so the previous summary stays.
    pub async fn summarize(
        &self,
        model: &str,
        previous: Option<&str>,
        turns: &[HistoryTurn],
        max_tokens: u32,
    ) -> Result<Metered<String>, AiError> {
        let mut shown = String::new();
        if let Some(p) = previous {
            shown.push_str(&format!("Dosavadní shrnutí: {p}\n\n"));
        }
        shown.push_str("Nové repliky:\n");
        for t in turns {
            let who = if t.role == Role::Learner { "Student" } else { "Honzík" };
            shown.push_str(&format!("{who}: {}\n", t.text));
        }
        let bad = |e: async_openai::error::OpenAIError| AiError::Refused(e.to_string());
        let messages: Vec<ChatCompletionRequestMessage> = vec![
            ChatCompletionRequestSystemMessageArgs::default()
                .content(SUMMARY_PROMPT)
                .build()
                .map_err(bad)?
                .into(),
            ChatCompletionRequestUserMessageArgs::default()
                .content(shown.as_str())
                .build()
                .map_err(bad)?
                .into(),
        ];
        let (raw, usage) = self.complete(model, messages, Some(max_tokens)).await?;
        let text = raw.trim().to_owned();
        if text.is_empty() {
            return Err(AiError::InvalidReply("empty summary".into()));
        }
        let (p, c) = usage.unwrap_or_else(|| {
            (tutor::count_tokens(model, &shown) as u32, tutor::count_tokens(model, &text) as u32)
        });
        Ok(Metered { value: text, usage: self.meter.chat(UsageKind::Summary, model, p, c) })
    }

    /// One chat completion: Honzík's JSON reply (`max_tokens` None) or plain text (a summary).
    async fn complete(
        &self,
        model: &str,
        messages: Vec<ChatCompletionRequestMessage>,
        max_tokens: Option<u32>,
    ) -> Result<(String, Option<(u32, u32)>), AiError> {
        loop {
            let use_schema = self.schema_supported.load(Ordering::Relaxed);
            if let Some(max) = max_tokens {
                let request = CreateChatCompletionRequestArgs::default()
                    .model(model)
                    .messages(messages.clone())
                    .max_completion_tokens(max)
                    .build()
                    .map_err(|e| AiError::Refused(e.to_string()))?;
                let resp = self.client.api().chat().create(request).await.map_err(classify)?;
                let usage = resp.usage.map(|u| (u.prompt_tokens, u.completion_tokens));
                let content = resp
                    .choices
                    .into_iter()
                    .next()
                    .and_then(|c| c.message.content)
                    .unwrap_or_default();
                return Ok((content, usage));
            }
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
            match self.client.api().chat().create(request).await {
                Ok(resp) => {
                    let content = resp
                        .choices
                        .into_iter()
                        .next()
                        .and_then(|c| c.message.content)
                        .unwrap_or_default();
                    let usage = resp.usage.map(|u| (u.prompt_tokens, u.completion_tokens));
                    return Ok((content, usage));
                }
                Err(e) => match classify(e) {
                    AiError::Refused(msg)
                        if use_schema
                            && msg.starts_with("400")
                            && msg.contains("response_format") =>
                    {
                        tracing::info!("server refuses json_schema; using JSON mode from now on");
                        self.schema_supported.store(false, Ordering::Relaxed);
                    }
                    other => return Err(other),
                },
            }
        }
    }
}

/// The summariser's instructions (Czech output; names and places must survive).
const SUMMARY_PROMPT: &str = "Jsi zapisovatel. Aktualizuj shrnutí (summary) rozhovoru studenta češtiny s lektorem Honzíkem: \
vezmi dosavadní shrnutí a nové repliky a napiš 3–5 krátkých vět česky: o čem se mluvilo, fakta o studentovi \
(jméno, města, rodina, záliby — jména a místa vždy zachovej) a chyby, které se opakují. Odpověz jen textem shrnutí.";

/// The first words of the system message that carries the conversation summary.
pub const SUMMARY_HEADING: &str = "Z dřívějška víš:";

fn build_messages(
    system_prompt: &str,
    summary: Option<&str>,
    ctx: &FittedContext,
) -> Result<Vec<ChatCompletionRequestMessage>, AiError> {
    let bad = |e: async_openai::error::OpenAIError| AiError::Refused(e.to_string());
    let mut out: Vec<ChatCompletionRequestMessage> = vec![
        ChatCompletionRequestSystemMessageArgs::default()
            .content(system_prompt)
            .build()
            .map_err(bad)?
            .into(),
    ];
    if let Some(summary) = summary {
        let text = format!("{SUMMARY_HEADING} {summary}");
        out.push(
            ChatCompletionRequestSystemMessageArgs::default()
                .content(text)
                .build()
                .map_err(bad)?
                .into(),
        );
    }
    for turn in &ctx.turns {
        out.push(match turn.role {
            Role::Learner => ChatCompletionRequestUserMessageArgs::default()
                .content(turn.text.as_str())
                .build()
                .map_err(bad)?
                .into(),
            Role::Honzik => ChatCompletionRequestAssistantMessageArgs::default()
                .content(turn.text.as_str())
                .build()
                .map_err(bad)?
                .into(),
        });
    }
    out.push(
        ChatCompletionRequestUserMessageArgs::default()
            .content(ctx.new_message.as_str())
            .build()
            .map_err(bad)?
            .into(),
    );
    Ok(out)
}
