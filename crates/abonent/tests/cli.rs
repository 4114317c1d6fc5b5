//! The command line, run as a process: migrate, user add, demo, help, and a real server on a
//! free port answering health checks and a sign-in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use std::process::{Command, Output};

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

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["demo", "--help"],
        vec!["user", "add", "--help"],
        vec!["worker", "--help"],
        vec!["backup", "--help"],
        vec!["restore", "--help"],
        vec!["bill", "--help"],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_abonent"))
            .args(&args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}");
        assert!(text(&o).contains("Usage"), "{args:?}");
    }
}

#[test]
fn migrate_user_add_and_demo() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("a.db").display());
    let o = abonent(&db, &["migrate"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("База данных готова"));

    let o = abonent(
        &db,
        &[
            "user",
            "add",
            "--login",
            "boss",
            "--password",
            "long-enough-1",
            "--role",
            "king",
            "--name",
            "Иванов Иван",
        ],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("неизвестная роль"), "{}", text(&o));
    let o = abonent(
        &db,
        &[
            "user",
            "add",
            "--login",
            "boss",
            "--password",
            "short",
            "--role",
            "administrator",
            "--name",
            "Иванов Иван",
        ],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("не короче 10 символов"), "{}", text(&o));
    let o = abonent(
        &db,
        &[
            "user",
            "add",
            "--login",
            "boss",
            "--password",
            "long-enough-1",
            "--role",
            "administrator",
            "--name",
            "Иванов Иван",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("добавлен"));
    assert!(
        !text(&o).contains("long-enough-1"),
        "the password is never printed"
    );
    let o = abonent(
        &db,
        &[
            "user",
            "add",
            "--login",
            "boss",
            "--password",
            "long-enough-1",
            "--role",
            "administrator",
            "--name",
            "Иванов Иван",
        ],
    );
    assert!(!o.status.success(), "duplicate login refused");
    assert!(text(&o).contains("уже есть"), "{}", text(&o));

    let o = abonent(&db, &["demo", "--accounts", "120"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Добавлено 120"), "{}", text(&o));
    let o = abonent(&db, &["demo", "--accounts", "120"]);
    assert!(
        text(&o).contains("уже есть: 120"),
        "running again adds nothing: {}",
        text(&o)
    );
}

#[test]
fn server_starts_answers_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("s.db").display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_abonent"))
        .args([
            "--database-url",
            &db,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("ABONENT_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = false;
    for _ in 0..300 {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            s.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.1 200") {
                ready = true;
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(ready, "server became ready");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Сотрудников ещё нет"),
        "a fresh database says how to add an administrator"
    );
}

#[test]
fn worker_once_runs_the_due_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("w.db").display());
    let o = abonent(&db, &["demo", "--accounts", "20", "--appeals", "300"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Добавлено 300 обращений"), "{}", text(&o));
    let o = abonent(&db, &["worker", "--once"]);
    assert!(o.status.success(), "{}", text(&o));
    // The appeals sweep and the daily housekeeping of this slot, and from 10:00 in the
    // company's zone the day's reminders to clients.
    let local_hour = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Yekaterinburg").unwrap())
        .hour();
    let expected = if local_hour >= abonent_jobs::REMINDERS_HOUR {
        3
    } else {
        2
    };
    // The demo's incidents and home visits queued their notices (staff e-mails, the outbox),
    // which this run sends too.
    let done: usize = text(&o)
        .split("Выполнено заданий: ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", text(&o)));
    assert!(done >= expected, "{}", text(&o));
    assert!(
        !text(&o).contains("ошибк") && !text(&o).contains("failed"),
        "{}",
        text(&o)
    );
    let o = abonent(&db, &["worker", "--once"]);
    assert!(
        text(&o).contains("Выполнено заданий: 0"),
        "once per slot: {}",
        text(&o)
    );
}

#[test]
fn remind_queues_the_days_reminders_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("r.db").display());
    let o = abonent(
        &db,
        &[
            "demo",
            "--accounts",
            "30",
            "--billing-months",
            "2",
            "--billing-until",
            "2026-10",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = abonent(&db, &["remind", "--date", "2026-11-20"]);
    assert!(o.status.success(), "{}", text(&o));
    let first = text(&o);
    assert!(first.contains("debt: "), "{first}");
    let queued: u64 = first
        .split("debt: ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        queued > 0,
        "demo clients who chose e-mail or SMS owe: {first}"
    );
    let o = abonent(&db, &["remind", "--date", "2026-11-21"]);
    assert!(
        text(&o).contains("debt: 0"),
        "once per period: {}",
        text(&o)
    );
    let o = abonent(&db, &["remind", "--date", "2026-11-32"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("ГГГГ-ММ-ДД"), "{}", text(&o));
}

#[test]
fn bill_refuses_a_period_that_has_not_ended() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("b.db").display());
    // The current month in the company's zone (the default branch's) has not ended.
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Yekaterinburg").unwrap())
        .date();
    let current = abonent_domain::tariffs::Period::of(today);
    let period = current.to_string();
    let o = abonent(&db, &["bill", &period]);
    assert!(!o.status.success(), "{}", text(&o));
    let last_day = current.last_day().strftime("%d.%m.%Y").to_string();
    assert!(
        text(&o).contains("ещё не закончился")
            && text(&o).contains(&last_day)
            && text(&o).contains("--before-end"),
        "{}",
        text(&o)
    );
    // Nothing was started.
    let o = abonent(&db, &["bill", &current.prev().to_string()]);
    assert!(
        o.status.success(),
        "an ended period is billed: {}",
        text(&o)
    );
    assert!(text(&o).contains("рассчитан и закрыт"), "{}", text(&o));
    // On purpose, before the end.
    let o = abonent(&db, &["bill", &period, "--before-end"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("рассчитан и закрыт"), "{}", text(&o));
}
