//! Editing a message in place, idempotently.
//!
//! Telegram refuses an edit that changes nothing ("message is not modified") — exactly what a
//! button pressed twice quickly produces: both presses are queued before the first edit lands,
//! and the second would repeat it. So the last edit made to each message is remembered (a short,
//! bounded memory: it only needs to span a double press) and a repeat is skipped; after a
//! restart the memory is empty, and Telegram's refusal is then taken as the success it is.

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::PoisonError;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, MessageId, ParseMode};
use teloxide::{ApiError, RequestError};

use super::{Outbox, OutboxError, retry};

/// How many messages' last edits are remembered.
const REMEMBERED: usize = 1024;

/// The last edit of each recent message (a digest of its text and keyboard).
#[derive(Default)]
pub struct LastEdits {
    by_message: HashMap<(i64, i32), u64>,
    order: VecDeque<(i64, i32)>,
}

impl LastEdits {
    /// Records `digest` for the message; `false` if it was already the message's last edit.
    fn record(&mut self, key: (i64, i32), digest: u64) -> bool {
        match self.by_message.insert(key, digest) {
            Some(previous) if previous == digest => return false,
            Some(_) => return true,
            None => self.order.push_back(key),
        }
        while self.order.len() > REMEMBERED {
            if let Some(old) = self.order.pop_front() {
                self.by_message.remove(&old);
            }
        }
        true
    }

    fn forget(&mut self, key: (i64, i32)) {
        self.by_message.remove(&key);
    }
}

fn digest(text: Option<&str>, keyboard: Option<&InlineKeyboardMarkup>) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    serde_json::to_string(&keyboard).unwrap_or_default().hash(&mut h);
    h.finish()
}

impl Outbox {
    /// Replaces a message's text (HTML) and keyboard (`None` removes it).
    pub async fn edit_text(
        &self,
        chat: ChatId,
        id: MessageId,
        text: String,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> Result<(), OutboxError> {
        if !self.is_new_edit(chat, id, digest(Some(&text), keyboard.as_ref())) {
            return Ok(());
        }
        let sent = retry::with_retry("edit text", || {
            let req =
                self.bot.edit_message_text(chat, id, text.clone()).parse_mode(ParseMode::Html);
            match &keyboard {
                Some(k) => req.reply_markup(k.clone()).into_future(),
                None => req.into_future(),
            }
        })
        .await;
        self.settle_edit(chat, id, sent.map(drop)).await
    }

    /// Replaces a message's keyboard (any message: text, or a voice with a caption).
    pub async fn edit_keyboard(
        &self,
        chat: ChatId,
        id: MessageId,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> Result<(), OutboxError> {
        if !self.is_new_edit(chat, id, digest(None, keyboard.as_ref())) {
            return Ok(());
        }
        let sent = retry::with_retry("edit keyboard", || {
            let req = self.bot.edit_message_reply_markup(chat, id);
            match &keyboard {
                Some(k) => req.reply_markup(k.clone()).into_future(),
                None => req.into_future(),
            }
        })
        .await;
        self.settle_edit(chat, id, sent.map(drop)).await
    }

    fn is_new_edit(&self, chat: ChatId, id: MessageId, digest: u64) -> bool {
        self.edits.lock().unwrap_or_else(PoisonError::into_inner).record((chat.0, id.0), digest)
    }

    /// "Not modified" is success; any other failure leaves the message as it was, so the next
    /// edit must not be skipped.
    async fn settle_edit(
        &self,
        chat: ChatId,
        id: MessageId,
        sent: Result<(), RequestError>,
    ) -> Result<(), OutboxError> {
        match sent {
            Ok(()) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
            Err(e) => {
                self.edits.lock().unwrap_or_else(PoisonError::into_inner).forget((chat.0, id.0));
                self.settle(chat, Err(e)).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_edit_is_recognised_and_a_different_one_is_not() {
        let mut m = LastEdits::default();
        assert!(m.record((1, 10), 7));
        assert!(!m.record((1, 10), 7), "the same edit twice");
        assert!(m.record((1, 10), 8));
        assert!(m.record((2, 10), 8), "another chat's message");
        m.forget((1, 10));
        assert!(m.record((1, 10), 8), "forgotten after a failed edit");
    }

    #[test]
    fn the_memory_stays_bounded() {
        let mut m = LastEdits::default();
        for i in 0..(REMEMBERED as i32 * 3) {
            m.record((1, i), 1);
        }
        assert!(m.by_message.len() <= REMEMBERED);
    }
}
