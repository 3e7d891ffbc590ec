//! Quiz polls (`/listen`'s comprehension questions): a native Telegram quiz, not anonymous so
//! the answer comes back to the bot as a `poll_answer` update naming the learner.

use teloxide::prelude::*;
use teloxide::types::{InputPollOption, PollType};

use super::address::addressed;
use super::{Outbox, OutboxError, To};

/// A quiz: the question, its options and the right one.
#[derive(Clone, Debug)]
pub struct Quiz {
    pub question: String,
    pub options: Vec<String>,
    pub correct: u8,
    /// Shown by Telegram after a wrong answer (plain text, ≤ 200 characters).
    pub explanation: Option<String>,
}

impl Outbox {
    /// Sends a quiz poll; the sent message carries the poll's id, which its answers name.
    pub async fn quiz(&self, to: impl Into<To>, quiz: &Quiz) -> Result<Message, OutboxError> {
        let to = to.into();
        self.deliver(to, "quiz", || {
            let options = quiz.options.iter().map(|o| InputPollOption::new(o.clone()));
            let mut req = self
                .bot
                .send_poll(to.chat, quiz.question.clone(), options)
                .type_(PollType::Quiz)
                .is_anonymous(false)
                .correct_option_id(quiz.correct);
            if let Some(e) = &quiz.explanation {
                req = req.explanation(e.clone());
            }
            addressed(req, &to, None).into_future()
        })
        .await
    }
}
