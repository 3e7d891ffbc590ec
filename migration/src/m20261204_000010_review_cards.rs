//! Review cards from the learner's own sentences (issue 13, point 7).
//!
//! - `mistakes.sentence` and `mistakes.corrected_sentence`: the sentence of the learner's message
//!   the mistake was made in, as written and as corrected, so a mistake is reviewed as a gap in
//!   the learner's own sentence rather than as a bare fragment. Older rows keep NULL: review
//!   finds their sentence in the learner's stored message instead.
//! - `saved_words.kind` (`word` or `correction`) and `saved_words.mistake_id`: a saved correction
//!   is reviewed as its mistake (a gap in the learner's sentence), never as a word card whose
//!   "translation" is the explanation. Corrections saved before this migration are recognised by
//!   what saving one stored: the correction as the word and its explanation as the translation.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        for column in [Mistakes::Sentence, Mistakes::CorrectedSentence] {
            manager
                .alter_table(
                    Table::alter().table(Mistakes::Table).add_column(text_null(column)).to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(SavedWords::Table)
                    .add_column(text(SavedWords::Kind).default("word"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SavedWords::Table)
                    .add_column(big_integer_null(SavedWords::MistakeId))
                    .to_owned(),
            )
            .await?;
        let matching = "FROM mistakes m WHERE m.user_id = saved_words.user_id \
             AND TRIM(m.corrected) = saved_words.czech AND TRIM(m.explanation) = saved_words.translation";
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE saved_words SET kind = 'correction', mistake_id = (SELECT MAX(m.id) {matching}) \
                 WHERE EXISTS (SELECT 1 {matching})"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [SavedWords::MistakeId, SavedWords::Kind] {
            manager
                .alter_table(Table::alter().table(SavedWords::Table).drop_column(column).to_owned())
                .await?;
        }
        for column in [Mistakes::CorrectedSentence, Mistakes::Sentence] {
            manager
                .alter_table(Table::alter().table(Mistakes::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Mistakes {
    Table,
    Sentence,
    CorrectedSentence,
}

#[derive(DeriveIden, Clone, Copy)]
enum SavedWords {
    Table,
    Kind,
    MistakeId,
}
