//! Saved words: one row per word and learner (unique on the normalized form), listed newest
//! first.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{messages, mistakes, saved_words};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TryInsertResult,
};

use super::StoreError;
use crate::tutor::HonzikReply;
use crate::words::Candidate;

/// Saves a word; `false` when the learner had saved it (in any spelling) before. A correction is
/// saved with the mistake it corrects (the learner's newest one with that wording), which is what
/// review asks for it.
pub async fn save(
    db: &impl ConnectionTrait,
    user_id: i64,
    c: &Candidate,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mistake_id = match &c.original {
        Some(original) => {
            mistakes::Entity::find()
                .select_only()
                .column(mistakes::Column::Id)
                .filter(mistakes::Column::UserId.eq(user_id))
                .filter(mistakes::Column::Original.eq(original.as_str()))
                .filter(mistakes::Column::Corrected.eq(c.czech.as_str()))
                .order_by_desc(mistakes::Column::Id)
                .into_tuple::<i64>()
                .one(db)
                .await?
        }
        None => None,
    };
    let kind = if c.original.is_some() { super::cards::CORRECTION } else { super::cards::WORD };
    let row = saved_words::ActiveModel {
        kind: Set(kind.into()),
        mistake_id: Set(mistake_id),
        user_id: Set(user_id),
        czech: Set(c.czech.clone()),
        translation: Set(c.translation.clone()),
        normalized: Set(c.key.clone()),
        source_sentence: Set(c.source.clone()),
        created_at: Set(now),
        ..Default::default()
    };
    let unique = [saved_words::Column::UserId, saved_words::Column::Normalized];
    let res = saved_words::Entity::insert(row)
        .on_conflict_do_nothing_on(unique)
        .exec_without_returning(db)
        .await?;
    Ok(matches!(res, TryInsertResult::Inserted(n) if n > 0))
}

/// Which of `keys` (normalized words) the learner has saved.
pub async fn saved_among(
    db: &impl ConnectionTrait,
    user_id: i64,
    keys: &[String],
) -> Result<HashSet<String>, StoreError> {
    let mut saved = HashSet::new();
    // As many keys as a reply has words: in chunks (`store::sql::IN_CHUNK`).
    for chunk in keys.chunks(super::sql::IN_CHUNK) {
        let rows: Vec<String> = saved_words::Entity::find()
            .select_only()
            .column(saved_words::Column::Normalized)
            .filter(saved_words::Column::UserId.eq(user_id))
            .filter(saved_words::Column::Normalized.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        saved.extend(rows);
    }
    Ok(saved)
}

/// One page of the learner's words, newest first, and how many they have in all.
pub async fn page(
    db: &impl ConnectionTrait,
    user_id: i64,
    page: u64,
    per_page: u64,
) -> Result<(Vec<saved_words::Model>, u64), StoreError> {
    let query = saved_words::Entity::find().filter(saved_words::Column::UserId.eq(user_id));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(saved_words::Column::Id)
        .offset(page * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Removes one of the learner's words; `false` when it was not there (already removed, or not theirs).
pub async fn remove(
    db: &impl ConnectionTrait,
    user_id: i64,
    word_id: i64,
) -> Result<bool, StoreError> {
    let res = saved_words::Entity::delete_many()
        .filter(saved_words::Column::Id.eq(word_id))
        .filter(saved_words::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// Honzík's stored answer `message_id`, if it belongs to `user_id` — the source of a turn's save
/// buttons.
pub async fn answer_of(
    db: &impl ConnectionTrait,
    user_id: i64,
    message_id: i64,
) -> Result<Option<HonzikReply>, StoreError> {
    let row = messages::Entity::find_by_id(message_id).one(db).await?;
    let Some(json) =
        row.filter(|m| m.user_id == user_id && m.role == "honzik").and_then(|m| m.reply_json)
    else {
        return Ok(None);
    };
    serde_json::from_str(&json)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(format!("reply of message {message_id}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::learners::{self, TelegramUser};

    async fn db_with_learner(id: i64) -> (tempfile::TempDir, sea_orm::DatabaseConnection) {
        let (dir, db) = crate::store::test_db().await;
        let tg =
            TelegramUser { id, chat_id: id, first_name: "A", username: None, language_code: None };
        learners::find_or_create(&db, &tg, Utc::now()).await.unwrap();
        (dir, db)
    }

    fn word(czech: &str) -> Candidate {
        Candidate {
            czech: czech.into(),
            translation: "t".into(),
            original: None,
            source: None,
            key: crate::words::normalize(czech),
        }
    }

    #[tokio::test]
    async fn a_word_is_saved_once_in_any_spelling_and_listed_newest_first() {
        let (_dir, db) = db_with_learner(1).await;
        let now = Utc::now();
        assert!(save(&db, 1, &word("pivo"), now).await.unwrap());
        assert!(!save(&db, 1, &word("Pivo"), now).await.unwrap(), "same word, other case");
        assert!(save(&db, 1, &word("knedlík"), now).await.unwrap());
        let (rows, total) = page(&db, 1, 0, 10).await.unwrap();
        assert_eq!(total, 2);
        assert_eq!(rows.iter().map(|r| r.czech.as_str()).collect::<Vec<_>>(), ["knedlík", "pivo"]);
        let saved = saved_among(&db, 1, &["pivo".into(), "most".into()]).await.unwrap();
        assert_eq!(saved, HashSet::from(["pivo".to_owned()]));
        assert!(remove(&db, 1, rows[0].id).await.unwrap());
        assert!(!remove(&db, 1, rows[0].id).await.unwrap(), "removing twice changes nothing");
        assert!(
            !remove(&db, 2, rows[1].id).await.unwrap(),
            "nobody removes another learner's word"
        );
    }
}
