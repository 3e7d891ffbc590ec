//! What the bot's database says about the run: the turns it answered, each turn's stage timings
//! (the `turns` table), which give the bot's own overhead per turn, and what the consistency
//! checks need (the learner's and Honzík's messages by update, the inbox by status).
//!
//! The bot times each OpenAI request where it makes it (`src/turn`): `stt_ms` around the
//! transcription request, `llm_ms` around Honzík's chat completion (a contract retry or an
//! escalation to the main model included), `tts_ms` around the speech request; async-openai's
//! own 429/5xx retries and their back-off fall inside them. So
//!
//! **overhead = end-to-end (as the learner saw it) − (stt_ms + llm_ms + tts_ms)**
//!
//! is everything else: the update's trip through `getUpdates`, the bot's queues, the database,
//! the file download, rendering and the sends to Telegram (with their 429 waits).

use std::collections::{HashMap, HashSet};

/// One row of the bot's `turns` table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TurnTiming {
    pub chat_id: i64,
    pub kind: String,
    pub download_ms: Option<u64>,
    pub stt_ms: Option<u64>,
    pub llm_ms: Option<u64>,
    pub tts_ms: Option<u64>,
    pub send_ms: Option<u64>,
    pub total_ms: Option<u64>,
    /// `answered`, `notice:<key>` or `failed`.
    pub outcome: String,
}

impl TurnTiming {
    /// The time spent waiting on OpenAI, as the bot measured it around its requests; `None` when
    /// the turn did not get as far as an answer (a stage's time is only stored once it
    /// succeeded, so a failed turn's upstream time is unknown).
    pub fn upstream_ms(&self) -> Option<u64> {
        if self.outcome != "answered" {
            return None;
        }
        let stt = if self.kind == "text" { 0 } else { self.stt_ms? };
        Some(stt + self.llm_ms? + self.tts_ms.unwrap_or(0))
    }

    /// End-to-end minus the upstream time (0 if rounding makes it negative).
    pub fn overhead_ms(&self, end_to_end_ms: u64) -> Option<u64> {
        self.upstream_ms().map(|u| end_to_end_ms.saturating_sub(u))
    }
}

/// The bot's database after the run.
#[derive(Clone, Debug, Default)]
pub struct DbView {
    pub answered: i64,
    /// By update id.
    pub turns: HashMap<i64, TurnTiming>,
    /// Updates with a stored learner message (`messages`, role `learner`).
    pub learner_messages: HashSet<i64>,
    /// Updates with a stored answer from Honzík (`messages`, role `honzik`).
    pub honzik_messages: HashSet<i64>,
    /// The bot's inbox (`updates`) by status: `done`, `pending`, `failed`, `skipped`.
    pub inbox: HashMap<String, i64>,
}

/// Reads the answered count and every turn's timings.
pub async fn read(database_url: &str) -> anyhow::Result<DbView> {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(database_url).await?;
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM turns WHERE outcome = 'answered'",
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no count"))?;
    let answered: i64 = row.try_get("", "n")?;
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT update_id, chat_id, kind, download_ms, stt_ms, llm_ms, tts_ms, send_ms, total_ms, outcome FROM turns",
        ))
        .await?;
    let mut turns = HashMap::with_capacity(rows.len());
    for r in rows {
        let ms = |col: &str| -> anyhow::Result<Option<u64>> {
            Ok(r.try_get::<Option<i32>>("", col)?.map(|v| v.max(0) as u64))
        };
        let update_id: i64 = r.try_get("", "update_id")?;
        turns.insert(
            update_id,
            TurnTiming {
                chat_id: r.try_get("", "chat_id")?,
                kind: r.try_get("", "kind")?,
                download_ms: ms("download_ms")?,
                stt_ms: ms("stt_ms")?,
                llm_ms: ms("llm_ms")?,
                tts_ms: ms("tts_ms")?,
                send_ms: ms("send_ms")?,
                total_ms: ms("total_ms")?,
                outcome: r.try_get("", "outcome")?,
            },
        );
    }
    let mut learner_messages = HashSet::new();
    let mut honzik_messages = HashSet::new();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT update_id, role FROM messages WHERE update_id IS NOT NULL",
        ))
        .await?;
    for r in rows {
        let update_id: i64 = r.try_get("", "update_id")?;
        match r.try_get::<String>("", "role")?.as_str() {
            "learner" => learner_messages.insert(update_id),
            "honzik" => honzik_messages.insert(update_id),
            _ => false,
        };
    }
    let mut inbox = HashMap::new();
    for r in db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT status, COUNT(*) AS n FROM updates GROUP BY status",
        ))
        .await?
    {
        inbox.insert(r.try_get::<String>("", "status")?, r.try_get::<i64>("", "n")?);
    }
    db.close().await?;
    Ok(DbView { answered, turns, learner_messages, honzik_messages, inbox })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voice() -> TurnTiming {
        TurnTiming {
            chat_id: 1,
            kind: "voice".into(),
            download_ms: Some(3),
            stt_ms: Some(200),
            llm_ms: Some(900),
            tts_ms: Some(300),
            send_ms: Some(12),
            total_ms: Some(1420),
            outcome: "answered".into(),
        }
    }

    #[test]
    fn overhead_is_end_to_end_minus_the_three_upstream_requests() {
        assert_eq!(voice().upstream_ms(), Some(1400));
        assert_eq!(voice().overhead_ms(1450), Some(50));
        assert_eq!(voice().overhead_ms(1390), Some(0), "never negative");
        let text = TurnTiming { kind: "text".into(), stt_ms: None, tts_ms: None, ..voice() };
        assert_eq!(
            text.overhead_ms(1000),
            Some(100),
            "a text turn has no STT; without a voice reply no TTS"
        );
    }

    #[test]
    fn a_turn_that_did_not_answer_has_no_overhead_figure() {
        let notice = TurnTiming {
            outcome: "notice:upstream-busy".into(),
            llm_ms: None,
            tts_ms: None,
            ..voice()
        };
        assert_eq!(notice.overhead_ms(5000), None);
        let odd = TurnTiming { stt_ms: None, ..voice() };
        assert_eq!(
            odd.overhead_ms(5000),
            None,
            "a voice turn answered without an STT time is not guessed at"
        );
    }
}
