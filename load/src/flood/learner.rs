//! One synthetic learner: onboarding, then a scripted mix of voice and text turns, settings
//! changes and /stats, with think time; every message the bot sends them is timed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use emulators::openai::OpenAiEmulator;
use emulators::samples;
use emulators::telegram::{BotMessageKind, SentEvent, TelegramEmulator};
use rand::{Rng, SeedableRng, rngs::StdRng};
use tokio::sync::mpsc;

use super::progress::Progress;
use super::script::{Action, LEVELS, PHRASES, Script};

/// What happened to one action.
#[derive(Clone, Debug)]
pub struct Record {
    pub action: Action,
    pub message_id: i64,
    /// The update that carried the learner's message (the bot's `turns` table is keyed by it).
    pub update_id: i64,
    pub offered: Instant,
    /// When each reply to this message arrived, in order, with its kind.
    pub replies: Vec<(Instant, BotMessageKind)>,
    /// Whether one of the replies was the "upstream-busy" notice (Honzík will answer once
    /// OpenAI is back). Set by [`inspect`].
    pub told_to_wait: bool,
    /// Replies that repeat an earlier one word for word (a second voice counts too): what a
    /// message sent twice leaves. Set by [`inspect`].
    pub copies: usize,
}

impl Record {
    pub fn voices(&self) -> usize {
        self.replies.iter().filter(|(_, k)| *k == BotMessageKind::Voice).count()
    }
    /// From the update being offered to the last reply.
    pub fn latency(&self) -> Option<Duration> {
        self.replies.last().map(|(t, _)| t.duration_since(self.offered))
    }
    /// Whether the action was under way at `at`: offered before, and replied to after (or never).
    pub fn in_flight_at(&self, at: Instant) -> bool {
        self.offered <= at && self.replies.last().is_none_or(|(t, _)| *t > at)
    }
}

/// The "upstream-busy" notice in every interface language, as the learner sees it.
fn busy_notices() -> &'static [String] {
    static NOTICES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NOTICES.get_or_init(|| {
        [
            include_str!("../../../locales/en/main.ftl"),
            include_str!("../../../locales/ru/main.ftl"),
            include_str!("../../../locales/uk/main.ftl"),
        ]
        .iter()
        .filter_map(|ftl| {
            ftl.lines().find_map(|l| l.strip_prefix("upstream-busy =")).map(|v| v.trim().to_owned())
        })
        .filter(|v| !v.is_empty())
        .collect()
    })
}

fn is_busy_notice(m: &emulators::telegram::BotMessage) -> bool {
    let text = m.plain_text();
    busy_notices().contains(&text)
}

/// Whether every reply to `message_id` so far is the "upstream-busy" notice.
fn only_told_to_wait(tg: &TelegramEmulator, chat_id: i64, message_id: i64) -> bool {
    tg.messages(chat_id).iter().filter(|m| m.reply_to == Some(message_id)).all(is_busy_notice)
}

/// Fills in what the event stream does not carry, from the messages the emulator keeps: which
/// turns were told to wait for OpenAI, and which replies went out more than once.
pub fn inspect(tg: &TelegramEmulator, outcome: &mut Outcome) {
    let messages = tg.messages(outcome.user);
    for r in outcome.records.iter_mut().filter(|r| r.action.is_turn()) {
        let replies: Vec<_> =
            messages.iter().filter(|m| m.reply_to == Some(r.message_id) && !m.deleted).collect();
        r.told_to_wait = replies.iter().any(|m| is_busy_notice(m));
        let voices = replies.iter().filter(|m| m.kind == BotMessageKind::Voice).count();
        let mut seen = std::collections::HashMap::new();
        for m in replies.iter().filter(|m| m.kind != BotMessageKind::Voice) {
            *seen.entry((m.text.clone(), m.caption.clone())).or_insert(0usize) += 1;
        }
        r.copies = voices.saturating_sub(1) + seen.values().map(|n| n - 1).sum::<usize>();
    }
}

pub struct Outcome {
    pub user: i64,
    pub onboarded: bool,
    /// /start to the level question (the last message onboarding sends; the level press is
    /// answered with an edit, which is not waited for). Absent when onboarding stalled before.
    pub onboarding: Option<Record>,
    pub records: Vec<Record>,
    /// Replies that arrived for an older message after a newer one had been answered.
    pub out_of_order: usize,
}

pub async fn play(
    tg: Arc<TelegramEmulator>,
    _ai: Arc<OpenAiEmulator>,
    id: i64,
    script: Script,
    mut rx: mpsc::UnboundedReceiver<(SentEvent, Instant)>,
    progress: Progress,
) -> Outcome {
    let l = tg.learner(id, "Synth", Some(script.lang));
    let mut rng = StdRng::seed_from_u64(script.seed ^ 0x5eed);
    let mut book = Book::default();
    let (onboarded, onboarding) = onboard(&tg, &l, &script, &mut rx, &mut book).await;
    if let Some(rec) = &onboarding {
        progress.onboarded(rec);
    }
    let mut records = Vec::new();
    if onboarded {
        for action in script.actions() {
            let rec = act(&tg, &l, action, &script, &mut rng, &mut rx, &mut book).await;
            progress.action_done(&rec);
            records.push(rec);
            let think = rng.random_range(script.think.0..=script.think.1.max(script.think.0));
            drain(&mut rx, &mut book, Duration::from_millis(think)).await;
        }
    }
    // Late replies (a voice turn's details follow its voice) still count.
    drain(&mut rx, &mut book, Duration::from_millis(300)).await;
    for r in &mut records {
        r.replies = book.replies.remove(&r.message_id).unwrap_or_default();
    }
    Outcome { user: id, onboarded, onboarding, records, out_of_order: book.out_of_order }
}

/// Every reply seen so far, by the learner message it answers.
#[derive(Default)]
pub(super) struct Book {
    pub(super) replies: BTreeMap<i64, Vec<(Instant, BotMessageKind)>>,
    newest_answered: i64,
    out_of_order: usize,
    /// Messages without `reply_to` (greetings, keyboards), newest last, with their arrival.
    pub(super) loose: Vec<(SentEvent, Instant)>,
}

impl Book {
    fn note(&mut self, e: SentEvent, at: Instant) {
        match e.reply_to {
            Some(to) => {
                if to < self.newest_answered {
                    self.out_of_order += 1;
                }
                self.newest_answered = self.newest_answered.max(to);
                self.replies.entry(to).or_default().push((at, e.kind));
            }
            None => self.loose.push((e, at)),
        }
    }
}

async fn drain(
    rx: &mut mpsc::UnboundedReceiver<(SentEvent, Instant)>,
    book: &mut Book,
    for_: Duration,
) {
    let until = tokio::time::Instant::now() + for_;
    while let Ok(Some((e, at))) = tokio::time::timeout_at(until, rx.recv()).await {
        book.note(e, at);
    }
}

/// Waits until `done` holds for the book, or the deadline passes.
pub(super) async fn wait(
    rx: &mut mpsc::UnboundedReceiver<(SentEvent, Instant)>,
    book: &mut Book,
    timeout: Duration,
    done: impl Fn(&Book) -> bool,
) -> bool {
    let until = tokio::time::Instant::now() + timeout;
    while !done(book) {
        match tokio::time::timeout_at(until, rx.recv()).await {
            Ok(Some((e, at))) => book.note(e, at),
            _ => return done(book),
        }
    }
    true
}

/// Whether onboarding finished, and its record once the level question arrived.
async fn onboard(
    tg: &TelegramEmulator,
    l: &emulators::telegram::Learner,
    s: &Script,
    rx: &mut mpsc::UnboundedReceiver<(SentEvent, Instant)>,
    book: &mut Book,
) -> (bool, Option<Record>) {
    let start = l.send_command("/start");
    let offered = Instant::now();
    if !wait(rx, book, s.timeout, |b| !b.loose.is_empty()).await {
        return (false, None);
    }
    let (greeting, greeted) = book.loose.remove(0);
    l.press(greeting.message_id, &format!("lang:{}", s.lang));
    if !wait(rx, book, s.timeout, |b| !b.loose.is_empty()).await {
        return (false, None);
    }
    let (ask, asked) = book.loose.remove(0);
    let record = Record {
        action: Action::Onboarding,
        message_id: start.message_id,
        update_id: start.update_id,
        offered,
        replies: vec![(greeted, greeting.kind), (asked, ask.kind)],
        told_to_wait: false,
        copies: 0,
    };
    let has_levels = tg.messages(l.chat_id()).iter().any(|m| {
        m.message_id == ask.message_id && m.buttons().iter().any(|(_, d)| d.starts_with("level:"))
    });
    if !has_levels {
        return (false, Some(record));
    }
    l.press(ask.message_id, &format!("level:{}", LEVELS[s.level]));
    (true, Some(record))
}

async fn act(
    tg: &TelegramEmulator,
    l: &emulators::telegram::Learner,
    action: Action,
    s: &Script,
    rng: &mut StdRng,
    rx: &mut mpsc::UnboundedReceiver<(SentEvent, Instant)>,
    book: &mut Book,
) -> Record {
    if matches!(action, Action::Scene | Action::Listen | Action::Shadow) {
        return super::practice::play(tg, l, action, s.timeout, rng, rx, book).await;
    }
    let sent = match action {
        Action::Voice => {
            let sample = samples::speech()[s.level];
            l.send_voice(sample.bytes.to_vec(), sample.duration_secs)
        }
        Action::Text => {
            let phrases = PHRASES[s.level];
            l.send_text(phrases[rng.random_range(0..phrases.len())])
        }
        Action::Settings => {
            l.send_command(["/style", "/corrections", "/voice_speed"][rng.random_range(0..3)])
        }
        Action::Stats => l.send_command("/stats"),
        Action::Scene | Action::Listen | Action::Shadow => unreachable!("played above"),
        Action::Onboarding => unreachable!("onboarding is not a scripted action"),
    };
    let offered = Instant::now();
    let id = sent.message_id;
    if action.is_turn() {
        // The turn is over at Honzík's voice. Anything else but "please wait" (a notice, an
        // answer whose voice failed) is over once nothing follows for 3 s; after "please wait"
        // the learner keeps waiting for the answer.
        let deadline = tokio::time::Instant::now() + s.timeout;
        loop {
            if book
                .replies
                .get(&id)
                .is_some_and(|r| r.iter().any(|(_, k)| *k == BotMessageKind::Voice))
            {
                break;
            }
            let settling =
                book.replies.contains_key(&id) && !only_told_to_wait(tg, l.chat_id(), id);
            let until = if settling {
                deadline.min(tokio::time::Instant::now() + Duration::from_secs(3))
            } else {
                deadline
            };
            match tokio::time::timeout_at(until, rx.recv()).await {
                Ok(Some((e, at))) => book.note(e, at),
                _ => break,
            }
        }
    } else {
        wait(rx, book, s.timeout, |b| b.replies.contains_key(&id)).await;
        if action == Action::Settings {
            let keyboard = book.replies.get(&id).and_then(|_| {
                tg.messages(l.chat_id()).into_iter().rev().find(|m| m.reply_to == Some(id))
            });
            if let Some(choice) = keyboard.and_then(|m| {
                m.buttons().into_iter().map(|(_, d)| d).rfind(|d| d.starts_with("set:"))
            }) {
                l.press(keyboard_id(tg, l, id), &choice);
            }
        }
    }
    Record {
        action,
        message_id: id,
        update_id: sent.update_id,
        offered,
        replies: Vec::new(),
        told_to_wait: false,
        copies: 0,
    }
}

fn keyboard_id(tg: &TelegramEmulator, l: &emulators::telegram::Learner, reply_to: i64) -> i64 {
    tg.messages(l.chat_id())
        .into_iter()
        .rev()
        .find(|m| m.reply_to == Some(reply_to))
        .map(|m| m.message_id)
        .unwrap_or(0)
}
