//! Several replicas on one PostgreSQL database: chat leases keep each chat on one replica at a
//! time, and a replica that stops hands its chats over.

use mluvme::store::{self, inbox, leases};
use teloxide::types::Update;

use crate::common::fresh_postgres_database;

fn update(id: u32, chat: i64) -> Update {
    serde_json::from_str(&format!(
        r#"{{"update_id":{id},"message":{{"message_id":{id},"date":0,"chat":{{"id":{chat},"type":"private","first_name":"A"}},"text":"m{id}"}}}}"#
    ))
    .unwrap()
}

#[tokio::test]
async fn on_postgres_two_replicas_never_hold_one_chat_and_an_expired_lease_moves() {
    let Some(url) = fresh_postgres_database().await else { return };
    let db = store::connect(&url).await.unwrap();
    store::migrate(&db).await.unwrap();
    let now = chrono::Utc::now();
    inbox::record_batch(&db, &[update(1, 10), update(2, 20), update(3, 10)], now).await.unwrap();

    // Both replicas claim at once, many times: each chat ends up with exactly one holder.
    let (a, b) = tokio::join!(
        async {
            let mut v = Vec::new();
            for _ in 0..20 {
                v.extend(leases::chats(&leases::claim(&db, "a", 0, 30_000).await.unwrap()));
            }
            v
        },
        async {
            let mut v = Vec::new();
            for _ in 0..20 {
                v.extend(leases::chats(&leases::claim(&db, "b", 0, 30_000).await.unwrap()));
            }
            v
        },
    );
    for chat in [10, 20] {
        let holders = [a.contains(&chat), b.contains(&chat)];
        assert_eq!(
            holders.iter().filter(|h| **h).count(),
            1,
            "chat {chat} claimed by exactly one replica: {holders:?}"
        );
    }
    let owner_of_10 = leases::holder(&db, 10).await.unwrap().unwrap();
    assert_eq!(
        leases::pending_ids(&db, &owner_of_10)
            .await
            .unwrap()
            .iter()
            .filter(|id| [1, 3].contains(*id))
            .count(),
        2,
        "chat 10's updates go to its holder, in order"
    );

    // Chat 10 done on its holder: released; the other replica can take a new update for it.
    inbox::finish(&db, 1, None, now).await.unwrap();
    inbox::finish(&db, 3, None, now).await.unwrap();
    assert!(leases::release_if_idle(&db, &owner_of_10, 10).await.unwrap());
    let other = if owner_of_10 == "a" { "b" } else { "a" };
    inbox::record_batch(&db, &[update(4, 10)], now).await.unwrap();
    assert!(leases::chats(&leases::claim(&db, other, 1_000, 31_000).await.unwrap()).contains(&10));

    // Chat 20's holder dies: nobody else gets it before its lease expires, then the survivor does.
    let owner_of_20 = leases::holder(&db, 20).await.unwrap().unwrap();
    let survivor = if owner_of_20 == "a" { "b" } else { "a" };
    assert!(
        !leases::chats(&leases::claim(&db, survivor, 29_000, 59_000).await.unwrap()).contains(&20)
    );
    assert!(
        leases::chats(&leases::claim(&db, survivor, 30_001, 60_001).await.unwrap()).contains(&20)
    );
    assert_eq!(leases::holder(&db, 20).await.unwrap().as_deref(), Some(survivor));
    assert_eq!(leases::heartbeat(&db, "a", 10_000, 0).await.unwrap(), 1);
    assert_eq!(leases::heartbeat(&db, "b", 10_000, 0).await.unwrap(), 2);
}
