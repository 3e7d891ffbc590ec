//! The practice modes as load (issue 14): one action plays a whole `/scene`, `/listen` or
//! `/shadow`, with its button presses, for `/listen` its quiz poll, for `/shadow` a voice note. Every message the bot sends during the
//! action — replies, the scene's opening, the next sentences, the poll, the debrief — counts as
//! the action's (the report's messages per action). An action that stalls part-way counts as
//! unanswered: its record keeps no replies, so the report lists it as a violation.

use std::time::{Duration, Instant};

use emulators::telegram::{BotMessage, BotMessageKind, Learner, SentEvent, TelegramEmulator};
use rand::{Rng, rngs::StdRng};
use tokio::sync::mpsc;

use super::learner::{Book, Record, wait};
use super::script::Action;

/// What the learner says in a scene and types in a dictation.
const SCENE_LINE: &str = "Dobrý den, dám si jedno pivo a potom zaplatím, prosím.";
const HEARD: &str = "Dobrý den, jak se máte?";
/// Scenes in the menu (the bot has eight; a press on a ninth would be refused as stale).
const SCENES: u32 = 8;

struct Play<'a> {
    tg: &'a TelegramEmulator,
    l: &'a Learner,
    rx: &'a mut mpsc::UnboundedReceiver<(SentEvent, Instant)>,
    book: &'a mut Book,
    timeout: Duration,
    /// Learner messages sent during the action: their replies are the action's.
    sent: Vec<i64>,
    /// Loose messages (no reply_to) seen before the action started.
    loose_before: usize,
}

impl Play<'_> {
    /// Waits for `n` more loose messages than when the action started.
    async fn loose(&mut self, n: usize) -> bool {
        let want = self.loose_before + n;
        wait(self.rx, self.book, self.timeout, |b| b.loose.len() >= want).await
    }

    /// Waits for a reply to learner message `id` of `kind` (any kind when `None`).
    async fn reply(&mut self, id: i64, kind: Option<BotMessageKind>) -> bool {
        wait(self.rx, self.book, self.timeout, |b| {
            b.replies
                .get(&id)
                .is_some_and(|r| kind.is_none_or(|k| r.iter().any(|(_, rk)| *rk == k)))
        })
        .await
    }

    fn text(&mut self, text: &str) -> i64 {
        let id = self.l.send_text(text).message_id;
        self.sent.push(id);
        id
    }

    /// The newest bot message with a button whose data starts with `prefix`, and that data.
    fn button(&self, prefix: &str) -> Option<(BotMessage, String)> {
        self.tg.messages(self.l.chat_id()).into_iter().rev().find_map(|m| {
            let data = m.buttons().into_iter().map(|(_, d)| d).find(|d| d.starts_with(prefix))?;
            Some((m, data))
        })
    }

    fn press(&self, prefix: &str) -> bool {
        match self.button(prefix) {
            Some((m, data)) => {
                self.l.press(m.message_id, &data);
                true
            }
            None => false,
        }
    }
}

pub async fn play(
    tg: &TelegramEmulator,
    l: &Learner,
    action: Action,
    timeout: Duration,
    rng: &mut StdRng,
    rx: &mut mpsc::UnboundedReceiver<(SentEvent, Instant)>,
    book: &mut Book,
) -> Record {
    let loose_before = book.loose.len();
    let mut p = Play { tg, l, rx, book, timeout, sent: Vec::new(), loose_before };
    let command = match action {
        Action::Scene => "/scene",
        Action::Shadow => "/shadow",
        _ => "/listen",
    };
    let sent = l.send_command(command);
    let offered = Instant::now();
    let done = match action {
        Action::Scene => scene(&mut p, sent.message_id, rng.random_range(0..SCENES)).await,
        Action::Shadow => shadow(&mut p, sent.message_id).await,
        _ => listen(&mut p, sent.message_id).await,
    };
    // Everything the action brought, under its command.
    let mut all: Vec<(Instant, BotMessageKind)> = Vec::new();
    for id in std::iter::once(sent.message_id).chain(p.sent.iter().copied()) {
        all.extend(p.book.replies.remove(&id).unwrap_or_default());
    }
    all.extend(p.book.loose.drain(loose_before..).map(|(e, at)| (at, e.kind)));
    all.sort_by_key(|(at, _)| *at);
    if done {
        p.book.replies.insert(sent.message_id, all);
    }
    Record {
        action,
        message_id: sent.message_id,
        update_id: sent.update_id,
        offered,
        replies: Vec::new(),
        told_to_wait: false,
        copies: 0,
    }
}

/// The menu, scene `n`, one turn in it, ⏹ End, the debrief.
async fn scene(p: &mut Play<'_>, command: i64, n: u32) -> bool {
    if !p.reply(command, None).await {
        return false;
    }
    let menu = p.tg.messages(p.l.chat_id()).into_iter().find(|m| m.reply_to == Some(command));
    let Some(menu) = menu else { return false };
    p.l.press(menu.message_id, &format!("sc:p:{n}"));
    if !p.loose(1).await {
        return false;
    }
    let said = p.text(SCENE_LINE);
    // The turn is over at its voice (or a notice); the goal may end the scene with it.
    if !p.reply(said, None).await {
        return false;
    }
    wait(p.rx, p.book, Duration::from_secs(3), |b| {
        b.replies.get(&said).is_some_and(|r| r.iter().any(|(_, k)| *k == BotMessageKind::Voice))
    })
    .await;
    if p.button("sc:e:").is_some_and(|(m, _)| m.message_id > said) && p.press("sc:e:") {
        return p.loose(2).await;
    }
    // The goal was reached: the debrief comes by itself (or it was ended already).
    p.loose(2).await
}

/// The intro, the phrase and its two voices, a voice note said after them and its result,
/// ⏹ End.
async fn shadow(p: &mut Play<'_>, command: i64) -> bool {
    if !p.reply(command, None).await || !p.loose(3).await {
        return false;
    }
    let sample = emulators::samples::speech()[0];
    let said = p.l.send_voice(sample.bytes.to_vec(), sample.duration_secs).message_id;
    p.sent.push(said);
    if !p.reply(said, None).await || !p.press("sh:e:") {
        return false;
    }
    p.loose(4).await
}

/// Two sentences typed, the quiz poll answered, ⏹ End, the tally.
async fn listen(p: &mut Play<'_>, command: i64) -> bool {
    // The intro answers the command; the first sentence follows on its own.
    if !p.reply(command, None).await || !p.loose(1).await {
        return false;
    }
    for k in 0..2 {
        let typed = p.text(HEARD);
        if !p.reply(typed, None).await || !p.loose(2 + k).await {
            return false;
        }
    }
    // The third item: its sentence and the quiz poll.
    if !p.loose(4).await {
        return false;
    }
    let poll =
        p.tg.messages(p.l.chat_id()).into_iter().rev().find(|m| m.kind == BotMessageKind::Poll);
    let Some(poll) = poll else { return false };
    p.l.answer_poll(poll.message_id, 0);
    if !p.loose(5).await || !p.press("ls:e:") {
        return false;
    }
    p.loose(6).await
}
