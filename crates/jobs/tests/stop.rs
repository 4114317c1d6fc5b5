//! A worker asked to stop (OPS-06) finishes the message in hand, gives back the rest of what it
//! claimed and returns, whatever the backlog; on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use abonent_jobs::outbox::{send_due_until, SmsConfig};
use abonent_jobs::{JobsConfig, Stop};
use abonent_store::audit::Actor;
use abonent_store::outbox::NewMessage;
use abonent_store::{testing, Store};

/// An SMS gateway on loopback that accepts every message and calls `on_request` with the
/// number of requests so far, before it answers.
fn gateway(on_request: impl Fn(usize) + Send + 'static) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { break };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = sock.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                let Some(end) = text.find("\r\n\r\n") else {
                    continue;
                };
                let len = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    let n = seen.fetch_add(1, Ordering::SeqCst) + 1;
                    on_request(n);
                    let _ = sock.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
                    );
                    break;
                }
            }
        }
    });
    (port, count)
}

async fn queue_sms(s: &Store, n: usize) {
    for i in 0..n {
        s.queue_message(
            &NewMessage {
                channel: "sms".into(),
                recipient: format!("91255{i:05}"),
                kind: "test".into(),
                body: format!("Сообщение {i}"),
                ..Default::default()
            },
            &Actor::default(),
        )
        .await
        .unwrap();
    }
}

/// (queued and free, queued and leased, sent, queued with attempts counted)
async fn outbox_state(s: &Store) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT
            (SELECT COUNT(*) FROM outbox WHERE status = 'queued' AND locked_until IS NULL),
            (SELECT COUNT(*) FROM outbox WHERE status = 'queued' AND locked_until IS NOT NULL),
            (SELECT COUNT(*) FROM outbox WHERE status = 'sent'),
            (SELECT COUNT(*) FROM outbox WHERE status = 'queued' AND attempts > 0)",
    )
    .fetch_one(s.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn the_sender_stops_after_the_message_in_hand_and_gives_back_the_rest() {
    for db in testing::all().await {
        let s = &db.store;
        let l = db.label;
        s.seed_defaults().await.unwrap();
        queue_sms(s, 30).await;
        let (handle, stop) = Stop::pair();
        // The stop is asked while the gateway takes the third message.
        let (port, count) = gateway(move |n| {
            if n == 3 {
                handle.stop();
            }
        });
        let sms = SmsConfig {
            url: format!("http://127.0.0.1:{port}/send"),
            ..Default::default()
        };
        let r = send_due_until(s, &Default::default(), &sms, "w1", &stop)
            .await
            .unwrap();
        assert!(r.stopped, "{l}: {r:?}");
        assert_eq!(
            r.sent, 3,
            "{l}: the message in hand is finished and recorded"
        );
        assert_eq!(count.load(Ordering::SeqCst), 3, "{l}");
        // 3 sent; the other 27 queued, none leased, none with an attempt counted.
        assert_eq!(outbox_state(s).await, (27, 0, 3, 0), "{l}");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_stopped_worker_gives_back_its_job_and_returns() {
    for db in testing::all().await {
        let s = &db.store;
        let l = db.label;
        s.seed_defaults().await.unwrap();
        queue_sms(s, 120).await;
        let (handle, stop) = Stop::pair();
        let (port, count) = gateway(move |n| {
            if n == 5 {
                handle.stop();
            }
        });
        let cfg = JobsConfig {
            sms: SmsConfig {
                url: format!("http://127.0.0.1:{port}/send"),
                ..Default::default()
            },
            ..Default::default()
        };
        // The whole run (scheduler and worker) returns once the stop is asked, long before
        // the backlog is sent.
        tokio::time::timeout(
            std::time::Duration::from_secs(20),
            abonent_jobs::run(s.clone(), cfg, "w".into(), stop),
        )
        .await
        .expect("the worker returns when asked to stop");
        let sent = count.load(Ordering::SeqCst) as i64;
        assert_eq!(sent, 5, "{l}");
        assert_eq!(outbox_state(s).await, (120 - sent, 0, sent, 0), "{l}");
        // The job in hand is given back: nothing of the queue is leased, and the next worker
        // finds the outbox job due at once.
        let (leased,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND locked_until IS NOT NULL",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        assert_eq!(leased, 0, "{l}");
        let next = loop {
            let j = s.claim_job("next", 60_000_000).await.unwrap().expect("due");
            if j.kind == abonent_store::jobs::JobKind::OutboxSend {
                break j;
            }
        };
        assert_eq!(next.kind, abonent_store::jobs::JobKind::OutboxSend);
        // A stop asked before anything runs: nothing is claimed.
        let (handle, stop) = Stop::pair();
        handle.stop();
        assert_eq!(
            abonent_jobs::drain_until(s, &JobsConfig::default(), "w2", &stop)
                .await
                .unwrap(),
            0
        );
        db.cleanup().await;
    }
}
