//! Operations through the real binary: a server or a worker stops at SIGTERM within seconds
//! whatever the backlog, leaving the rest queued (OPS-06); backup while a server runs and
//! restore, which refuses while the database is in use (OPS-04).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use abonent_store::Store;

fn abonent(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_abonent"))
        .args(["--database-url", db])
        .args(args)
        .env_remove("ABONENT_DATABASE_URL")
        .env("ABONENT_LOG", "warn")
        .output()
        .expect("runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A slow SMS gateway on loopback: each message takes `delay`; returns its port and the number
/// of messages it has taken.
fn slow_gateway(delay: Duration) -> (u16, Arc<AtomicUsize>) {
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
                let head = String::from_utf8_lossy(&buf).to_string();
                let Some(end) = head.find("\r\n\r\n") else {
                    continue;
                };
                let len = head[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    seen.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(delay);
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

fn sigterm(child: &Child) {
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

/// Waits for the process to end, at most `limit`; kills it and fails the test otherwise.
fn wait_exit(child: &mut Child, limit: Duration) -> (std::process::ExitStatus, Duration) {
    let started = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return (st, started.elapsed());
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running {limit:?} after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

const BACKLOG: i64 = 3000;

async fn outbox(db: &str) -> (i64, i64, i64, i64, i64) {
    let s = Store::connect(db, 1).await.unwrap();
    let r = sqlx::query_as(
        "SELECT
            (SELECT COUNT(*) FROM outbox WHERE status = 'sent'),
            (SELECT COUNT(*) FROM outbox WHERE status = 'queued'),
            (SELECT COUNT(*) FROM outbox WHERE status = 'queued' AND locked_until IS NOT NULL),
            (SELECT COUNT(*) FROM outbox WHERE status = 'queued' AND attempts > 0),
            (SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND locked_until IS NOT NULL)",
    )
    .fetch_one(s.pool())
    .await
    .unwrap();
    s.close().await;
    r
}

/// A database with a backlog of [`BACKLOG`] SMS messages, queued before the process starts.
async fn database_with_backlog(dir: &std::path::Path) -> String {
    let db = format!("sqlite://{}", dir.join("o.db").display());
    let o = abonent(&db, &["migrate"]);
    assert!(o.status.success(), "{}", text(&o));
    let s = Store::connect(&db, 1).await.unwrap();
    sqlx::query(&format!(
        "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {BACKLOG})
         INSERT INTO outbox (channel, recipient, kind, subject, body, next_attempt_at, created_at)
         SELECT 'sms', '9125550102', 'test', '', 'Сообщение ' || i, 0, 0 FROM n"
    ))
    .execute(s.pool())
    .await
    .unwrap();
    s.close().await;
    assert_eq!(outbox(&db).await, (0, BACKLOG, 0, 0, 0));
    db
}

/// Starts `args` on a database with a backlog and a gateway that takes 20 ms a message (a
/// minute of work), sends SIGTERM once some messages went out, and checks that the process
/// ends within a few seconds with status 0, the messages sent are recorded as sent and the
/// rest are still queued with no lease and no attempt counted.
async fn stops_within_seconds(args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let db = database_with_backlog(dir.path()).await;
    let (port, sent) = slow_gateway(Duration::from_millis(20));
    let mut child = Command::new(env!("CARGO_BIN_EXE_abonent"))
        .args(["--database-url", &db])
        .args(args)
        .env_remove("ABONENT_DATABASE_URL")
        .env("ABONENT_LOG", "warn")
        .env("ABONENT_SMS_URL", format!("http://127.0.0.1:{port}/send"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while sent.load(Ordering::SeqCst) < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the worker started sending"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    sigterm(&child);
    let (status, took) = wait_exit(&mut child, Duration::from_secs(15));
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{status:?}: {err}");
    assert!(took < Duration::from_secs(5), "stopped in {took:?}");
    assert!(err.contains("Останавливаюсь"), "{err}");
    let sent = sent.load(Ordering::SeqCst) as i64;
    assert!(sent < BACKLOG / 2, "the backlog was not drained: {sent}");
    // (sent, queued, queued and leased, queued with an attempt counted, jobs leased)
    assert_eq!(outbox(&db).await, (sent, BACKLOG - sent, 0, 0, 0), "{err}");
}

#[tokio::test]
async fn serve_stops_at_sigterm_whatever_the_backlog() {
    let listen = format!("127.0.0.1:{}", free_port());
    stops_within_seconds(&["serve", "--listen", &listen]).await;
}

#[tokio::test]
async fn worker_stops_at_sigterm_whatever_the_backlog() {
    stops_within_seconds(&["worker"]).await;
}

fn wait_ready(port: u16) {
    for _ in 0..300 {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            s.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the server did not become ready");
}

#[tokio::test]
async fn backup_while_serving_and_restore_once_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("live.db").display());
    let o = abonent(&db, &["demo", "--accounts", "40"]);
    assert!(o.status.success(), "{}", text(&o));
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_abonent"))
        .args(["--database-url", &db, "serve", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .env_remove("ABONENT_DATABASE_URL")
        .env("ABONENT_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(port);

    let copy = dir.path().join("copy.db");
    let copy_arg = copy.to_str().unwrap();
    let o = abonent(&db, &["backup", copy_arg]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Резервная копия"), "{}", text(&o));
    let o = abonent(&db, &["backup", copy_arg]);
    assert!(!o.status.success());
    assert!(text(&o).contains("--force"), "{}", text(&o));
    let o = abonent(&db, &["backup", copy_arg, "--force"]);
    assert!(o.status.success(), "{}", text(&o));

    // The server holds the database: no restore under it.
    let o = abonent(&db, &["restore", copy_arg]);
    assert!(!o.status.success());
    assert!(text(&o).contains("используется"), "{}", text(&o));
    assert!(text(&o).contains("ничего не изменено"), "{}", text(&o));

    sigterm(&server);
    let (status, _) = wait_exit(&mut server, Duration::from_secs(15));
    assert!(status.success());

    // Not a backup at all.
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "заметки").unwrap();
    let o = abonent(&db, &["restore", notes.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).contains("не резервная копия"), "{}", text(&o));

    // Into a fresh place, and over the stopped server's database.
    let fresh = format!("sqlite://{}", dir.path().join("new/abonent.db").display());
    let o = abonent(&fresh, &["restore", copy_arg]);
    assert!(o.status.success(), "{}", text(&o));
    let o = abonent(&db, &["restore", copy_arg]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Прежняя база сохранена"), "{}", text(&o));
    for url in [&fresh, &db] {
        let o = abonent(url, &["migrate"]);
        assert!(o.status.success(), "{}", text(&o));
        let s = Store::connect(url, 1).await.unwrap();
        assert_eq!(s.account_count().await.unwrap(), 40);
        let (ok,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(s.pool())
            .await
            .unwrap();
        assert_eq!(ok, "ok");
        s.close().await;
    }
}

#[test]
fn on_postgres_backup_and_restore_name_the_commands_without_the_password() {
    let url = "postgres://abonent:s3cret@127.0.0.1:1/abonent";
    let o = abonent(url, &["backup", "/backups/a.dump"]);
    assert!(!o.status.success(), "no backup was made");
    assert!(
        text(&o).contains(
            "pg_dump --format=custom --no-owner --file=/backups/a.dump \
             --dbname=postgres://abonent@127.0.0.1:1/abonent"
        ),
        "{}",
        text(&o)
    );
    let o = abonent(url, &["restore", "/backups/a.dump"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("pg_restore --clean"), "{}", text(&o));
    for o in [
        abonent(url, &["backup", "x"]),
        abonent(url, &["restore", "x"]),
    ] {
        assert!(!text(&o).contains("s3cret"), "{}", text(&o));
    }
}
