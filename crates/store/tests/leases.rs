//! A stopping worker gives back what it claimed (OPS-06), on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use abonent_store::audit::Actor;
use abonent_store::jobs::JobKind;
use abonent_store::outbox::NewMessage;
use abonent_store::testing;

#[tokio::test]
async fn released_messages_and_jobs_are_claimable_again_at_once() {
    for db in testing::all().await {
        let s = &db.store;
        let l = db.label;
        s.seed_defaults().await.unwrap();
        for i in 0..5 {
            s.queue_message(
                &NewMessage {
                    channel: "sms".into(),
                    recipient: format!("912555010{i}"),
                    kind: "test".into(),
                    body: format!("Сообщение {i}"),
                    ..Default::default()
                },
                &Actor::default(),
            )
            .await
            .unwrap();
        }
        let claimed = s.claim_messages("w1", 3, 300_000_000).await.unwrap();
        assert_eq!(claimed.len(), 3, "{l}");
        // One is sent, one failed (retried later), one still in hand when the worker stops.
        assert!(s
            .message_sent(claimed[0].id, "w1", "", "Сообщение 0")
            .await
            .unwrap());
        s.message_failed(claimed[1].id, "w1", claimed[1].attempts, "down", false)
            .await
            .unwrap();
        assert_eq!(s.release_messages("w1").await.unwrap(), 1, "{l}");
        assert_eq!(s.release_messages("w1").await.unwrap(), 0, "{l}");
        // Another worker claims the released one and the two never claimed, at once and as
        // a first attempt; the sent one and the one waiting for its retry stay put.
        let again = s.claim_messages("w2", 10, 300_000_000).await.unwrap();
        let ids: Vec<i64> = again.iter().map(|m| m.id).collect();
        assert_eq!(ids.len(), 3, "{l}: {ids:?}");
        assert!(ids.contains(&claimed[2].id), "{l}");
        assert!(again.iter().all(|m| m.attempts == 1), "{l}: {again:?}");
        assert_eq!(s.message(claimed[0].id).await.unwrap().status, "sent");
        assert_eq!(s.message(claimed[1].id).await.unwrap().attempts, 1);

        // A job interrupted by the stop: claimable again at once, the attempt not counted;
        // another worker's release does not touch it.
        while let Some(j) = s.claim_job("w0", 300_000_000).await.unwrap() {
            s.complete_job(j.id, "w0").await.unwrap();
        }
        s.enqueue(&JobKind::OutboxSend, "", None, 0).await.unwrap();
        let job = s.claim_job("w1", 300_000_000).await.unwrap().unwrap();
        s.release_job(job.id, "someone-else").await.unwrap();
        assert!(
            s.claim_job("w3", 300_000_000).await.unwrap().is_none(),
            "{l}"
        );
        s.release_job(job.id, "w1").await.unwrap();
        let j = s.claim_job("w3", 300_000_000).await.unwrap().unwrap();
        assert_eq!((j.id, j.attempts), (job.id, job.attempts), "{l}");
        db.cleanup().await;
    }
}
