//! Polls: `sendPoll` (regular and quiz), and a learner answering one, which reaches the bot as
//! a `poll_answer` update (only for a poll that is not anonymous, as on Telegram). Validation
//! follows the Bot API: 1–300 characters of question, 2–10 options of 1–100 characters, and a
//! quiz needs its `correct_option_id` among them.

use serde_json::{Value, json};

use super::error::{ApiErr, bad};
use super::learner::Learner;
use super::send::{chat_id, flood, new_message, push_message, reply_markup, reply_target};
use super::state::Inner;
use super::types::BotMessageKind;
use crate::body::Params;

pub(super) fn send_poll(st: &mut Inner, p: &Params) -> Result<Value, ApiErr> {
    let chat = chat_id(st, p)?;
    let question = p.str("question").unwrap_or_default();
    let len = question.trim().chars().count();
    if len == 0 {
        return Err(bad("poll question must be non-empty"));
    }
    if len > 300 {
        return Err(bad("poll question length must not exceed 300"));
    }
    let options = p.json("options").map_err(|_| bad("can't parse options JSON object"))?;
    let options: Vec<String> = options
        .as_ref()
        .and_then(Value::as_array)
        .ok_or_else(|| bad("options must be an array"))?
        .iter()
        .map(|o| o.as_str().or_else(|| o["text"].as_str()).unwrap_or("").to_owned())
        .collect();
    if !(2..=10).contains(&options.len()) {
        return Err(bad("poll must have 2-10 options"));
    }
    if options.iter().any(|o| o.trim().is_empty() || o.chars().count() > 100) {
        return Err(bad("poll options length must be between 1 and 100"));
    }
    let kind = p.str("type").unwrap_or_else(|| "regular".into());
    let correct = p.i64("correct_option_id").map_err(|_| bad("wrong correct_option_id"))?;
    if kind == "quiz" {
        match correct {
            Some(c) if (0..options.len() as i64).contains(&c) => {}
            _ => return Err(bad("wrong correct option ID specified")),
        }
    } else if kind != "regular" {
        return Err(bad("wrong poll type specified"));
    }
    let anonymous = !p.has("is_anonymous") || p.bool("is_anonymous");
    let markup = reply_markup(p)?;
    let reply_to = reply_target(st, chat, p)?;
    flood(st, chat)?;
    // Unique in the emulator: the chat and how many messages the bot has sent to it.
    let sent = st.chats.get(&chat).map_or(0, |c| c.bot_messages.len());
    let id = format!("{}{sent:06}", chat.unsigned_abs());
    let mut m = new_message(chat, BotMessageKind::Poll);
    m.poll = Some(json!({
        "id": id,
        "question": question,
        "options": options.iter().map(|o| json!({ "text": o, "voter_count": 0 })).collect::<Vec<_>>(),
        "total_voter_count": 0,
        "is_closed": false,
        "is_anonymous": anonymous,
        "type": kind,
        "allows_multiple_answers": false,
        "correct_option_id": correct,
        "explanation": p.str("explanation"),
    }));
    m.reply_markup = markup;
    m.reply_to = reply_to;
    Ok(push_message(st, m))
}

impl Learner {
    /// Answers the poll of the bot's message `message_id` with option `option` (0-based);
    /// returns the update id. Panics if there is no such poll or option (the app cannot vote
    /// for what is not there). An anonymous poll's vote is counted but not reported to the
    /// bot, as on Telegram: `None`.
    pub fn answer_poll(&self, message_id: i64, option: usize) -> Option<i64> {
        let update = {
            let mut st = self.shared.inner.lock();
            let chat = st.chats.get_mut(&self.user.id).expect("learner chat exists");
            let m = chat
                .bot_messages
                .iter_mut()
                .find(|m| m.message_id == message_id && !m.deleted)
                .unwrap_or_else(|| panic!("no live bot message {message_id}"));
            let poll = m.poll.as_mut().unwrap_or_else(|| panic!("message {message_id} is no poll"));
            let options = poll["options"].as_array_mut().expect("options");
            assert!(option < options.len(), "poll {message_id} has no option {option}");
            let count = options[option]["voter_count"].as_i64().unwrap_or(0);
            options[option]["voter_count"] = json!(count + 1);
            if poll["is_anonymous"] == json!(true) {
                return None;
            }
            json!({ "poll_answer": {
                "poll_id": poll["id"],
                "user": self.user.json(),
                "option_ids": [option],
            }})
        };
        let id = self.shared.inner.lock().push_update(update);
        self.shared.notify_updates();
        self.shared.notify_observers();
        Some(id)
    }
}
