//! The usage ledger: every upstream request with its tokens, seconds, characters and cost, and
//! the learner's daily sums (what quotas and admin reports read).

use chrono::{DateTime, NaiveDate, Utc};
use entity::{daily_stats, usage};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, InsertStatement, OnConflict, Query};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, Insert, InsertMany};

use super::StoreError;
use super::batch::Batch;
pub use crate::ai::meter::Usage;

/// What a turn adds to the learner's day besides its requests' consumption.
#[derive(Clone, Copy, Debug, Default)]
pub struct TurnTotals {
    pub turns: i32,
    pub words: i32,
    pub score_sum: i64,
    pub scored_turns: i32,
    /// The turn completed the day's challenge: the day's row says so from then on.
    pub challenge_done: bool,
}

/// Records a request and adds it to the learner's day (`day` in their timezone), atomically.
pub async fn record(
    db: &DatabaseConnection,
    user_id: i64,
    message_id: Option<i64>,
    u: &Usage,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    let mut batch = Batch::new();
    batch.push(backend, ledger(user_id, message_id, std::slice::from_ref(u), day, now));
    batch.push(backend, add_to_day(user_id, day, std::slice::from_ref(u), TurnTotals::default()));
    batch.run_independent(db).await
}

/// The ledger rows of several requests (one statement).
pub fn ledger(
    user_id: i64,
    message_id: Option<i64>,
    usages: &[Usage],
    day: NaiveDate,
    now: DateTime<Utc>,
) -> InsertMany<usage::ActiveModel> {
    usage::Entity::insert_many(usages.iter().map(|u| usage::ActiveModel {
        user_id: Set(user_id),
        message_id: Set(message_id),
        kind: Set(u.kind.as_str().to_owned()),
        model: Set(u.model.clone()),
        prompt_tokens: Set(u.prompt_tokens as i32),
        completion_tokens: Set(u.completion_tokens as i32),
        audio_seconds: Set(u.audio_seconds),
        characters: Set(u.characters as i32),
        cost_micros: Set(u.cost_micros),
        estimated: Set(u.estimated),
        day: Set(day),
        created_at: Set(now),
        ..Default::default()
    }))
}

/// [`ledger`] for requests whose message is found by `message`, a sub-select: written in the same
/// round trip as the message itself, before its id is known.
pub fn ledger_of(
    user_id: i64,
    message: Expr,
    usages: &[Usage],
    day: NaiveDate,
    now: DateTime<Utc>,
) -> InsertStatement {
    use usage::Column as C;
    let mut insert = Query::insert();
    insert.into_table(usage::Entity).columns([
        C::UserId,
        C::MessageId,
        C::Kind,
        C::Model,
        C::PromptTokens,
        C::CompletionTokens,
        C::AudioSeconds,
        C::Characters,
        C::CostMicros,
        C::Estimated,
        C::Day,
        C::CreatedAt,
    ]);
    for u in usages {
        insert.values_panic([
            user_id.into(),
            message.clone(),
            u.kind.as_str().into(),
            u.model.clone().into(),
            (u.prompt_tokens as i32).into(),
            (u.completion_tokens as i32).into(),
            u.audio_seconds.into(),
            (u.characters as i32).into(),
            u.cost_micros.into(),
            u.estimated.into(),
            day.into(),
            now.into(),
        ]);
    }
    insert
}

/// One statement that adds requests (and a turn's totals) to the learner's day, creating the
/// day's row if needed. `challenge_done` only ever goes from false to true.
pub fn add_to_day(
    user_id: i64,
    day: NaiveDate,
    usages: &[Usage],
    turn: TurnTotals,
) -> Insert<daily_stats::ActiveModel> {
    let sum_i64 = |f: fn(&Usage) -> i64| usages.iter().map(f).sum::<i64>();
    let row = daily_stats::ActiveModel {
        user_id: Set(user_id),
        day: Set(day),
        turns: Set(turn.turns),
        words: Set(turn.words),
        score_sum: Set(turn.score_sum),
        scored_turns: Set(turn.scored_turns),
        challenge_done: Set(turn.challenge_done),
        prompt_tokens: Set(sum_i64(|u| u.prompt_tokens as i64)),
        completion_tokens: Set(sum_i64(|u| u.completion_tokens as i64)),
        stt_seconds: Set(usages.iter().map(|u| u.audio_seconds).sum()),
        tts_chars: Set(sum_i64(|u| u.characters as i64)),
        cost_micros: Set(sum_i64(|u| u.cost_micros.unwrap_or(0))),
        unpriced_requests: Set(usages.iter().filter(|u| u.cost_micros.is_none()).count() as i32),
    };
    let add = |c: daily_stats::Column| {
        (c, Expr::col((daily_stats::Entity, c)).add(Expr::col((Alias::new("excluded"), c))))
    };
    use daily_stats::Column as C;
    let on_conflict = OnConflict::columns([C::UserId, C::Day])
        .values(
            [
                C::Turns,
                C::Words,
                C::ScoreSum,
                C::ScoredTurns,
                C::PromptTokens,
                C::CompletionTokens,
                C::SttSeconds,
                C::TtsChars,
                C::CostMicros,
                C::UnpricedRequests,
            ]
            .map(add)
            .into_iter()
            .chain([(
                C::ChallengeDone,
                Expr::col((daily_stats::Entity, C::ChallengeDone))
                    .or(Expr::col((Alias::new("excluded"), C::ChallengeDone))),
            )]),
        )
        .to_owned();
    daily_stats::Entity::insert(row).on_conflict(on_conflict)
}
