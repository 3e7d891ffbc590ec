//! Telegram's limits enforced (the emulator answers 429 above 30 sends a second for the bot, or a
//! burst of 3 then 1 a second for a chat): a crowd talking at once is answered in full, in order,
//! and Telegram never has to say "too many requests". Assertions are on delivery and on the 429
//! count, never on timing.

use std::time::Duration;

use emulators::telegram::{BotMessageKind, TelegramConfig};

use crate::common::*;

#[tokio::test]
async fn forty_learners_at_once_are_answered_in_order_without_a_single_429() {
    let tg = TelegramConfig { flood_limits: true, ..Default::default() };
    let app =
        TestApp::builder().telegram(tg).spawn().await.expect("the suite's database is available");
    let learners: Vec<_> = (0..40).map(|i| app.learner(9100 + i, "en")).collect();
    futures::future::join_all(learners.iter().map(|l| app.onboard(l, "en", "intermediate"))).await;

    // Every learner sends three turns at once: ~240 sends queued for ~30 a second.
    let sent: Vec<Vec<i64>> = learners
        .iter()
        .map(|l| (0..3).map(|k| l.send_text(&learner_turn(k)).message_id).collect())
        .collect();
    let voices = |l: &emulators::telegram::Learner, id: i64| {
        l.messages()
            .iter()
            .filter(|m| m.reply_to == Some(id) && m.kind == BotMessageKind::Voice)
            .count()
    };
    let answered = app
        .tg
        .wait_until(Duration::from_secs(60), |_| {
            learners.iter().zip(&sent).all(|(l, ids)| ids.iter().all(|id| voices(l, *id) > 0))
        })
        .await;
    assert!(answered, "not every turn was answered; Telegram refused: {:#?}", app.tg.rejected());
    app.settle().await;

    for (l, ids) in learners.iter().zip(&sent) {
        for id in ids {
            assert_eq!(voices(l, *id), 1, "turn {id} of {} answered exactly once", l.user_id());
        }
        // The bot's messages, in the order Telegram took them, reply to the turns in order.
        let mut messages = l.messages();
        messages.sort_by_key(|m| m.message_id);
        let turn_of =
            |m: &emulators::telegram::BotMessage| ids.iter().position(|id| m.reply_to == Some(*id));
        let order: Vec<usize> = messages.iter().filter_map(turn_of).collect();
        assert!(order.is_sorted(), "learner {} answered out of order: {order:?}", l.user_id());
    }
    let too_many = app.tg.rejected().into_iter().filter(|r| r.error_code == 429).count();
    assert_eq!(too_many, 0, "Telegram had to answer 429: {:#?}", app.tg.rejected());
    app.assert_no_rejections();
}
