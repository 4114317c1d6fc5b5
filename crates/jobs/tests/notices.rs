//! Reminders to clients (NTF-02) through the outbox by e-mail, SMS and the personal account's
//! inbox, rendered from editable templates (NTF-03), with an SMS gateway that is down and then
//! back (a real HTTP server on loopback started by the test), on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use std::sync::{Arc, Mutex};

use abonent_domain::accounts::AccountNumber;
use abonent_domain::metering::MeterDraft;
use abonent_domain::tariffs::Period;
use abonent_jobs::outbox::{send_due, SmsConfig};
use abonent_jobs::MailConfig;
use abonent_store::audit::Actor;
use abonent_store::{testing, Store};
use jiff::civil::date;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A minimal SMS gateway: answers every POST with `status` and keeps the bodies.
struct Gateway {
    port: u16,
    bodies: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Gateway {
    async fn start(status: u16) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let kept = bodies.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    break;
                };
                let kept = kept.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        let n = sock.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buf).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let len = text[..end]
                                .lines()
                                .find_map(|l| {
                                    l.to_ascii_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                                })
                                .unwrap_or(0);
                            if buf.len() >= end + 4 + len {
                                let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len])
                                    .to_string();
                                kept.lock().unwrap().push(body);
                                let reply = format!(
                                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
                                );
                                let _ = sock.write_all(reply.as_bytes()).await;
                                return;
                            }
                        }
                    }
                });
            }
        });
        Self { port, bodies, task }
    }

    fn bodies(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn account(s: &Store, serial: u32) -> abonent_store::accounts::AccountView {
    s.account_by_number(&AccountNumber::from_serial(serial))
        .await
        .unwrap()
}

async fn reach(s: &Store, client_id: i64, channel: &str, email: Option<&str>) {
    sqlx::query("UPDATE clients SET preferred_channel = $1, email = $2 WHERE id = $3")
        .bind(channel)
        .bind(email)
        .bind(client_id)
        .execute(s.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn reminders_go_out_by_every_channel_and_wait_while_the_sms_gateway_is_down() {
    for db in testing::all().await {
        let l = db.label;
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(6, |_| {}).await.unwrap();
        sqlx::query("UPDATE clients SET preferred_channel = 'post'")
            .execute(s.pool())
            .await
            .unwrap();
        let (a1, a2, a3) = (
            account(s, 1).await,
            account(s, 2).await,
            account(s, 3).await,
        );
        reach(s, a1.client_id, "email", Some("ivanov@example.org")).await;
        reach(s, a2.client_id, "sms", None).await;
        sqlx::query("DELETE FROM client_phones WHERE client_id = $1")
            .bind(a2.client_id)
            .execute(s.pool())
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO client_phones (client_id, position, phone) VALUES ($1, 0, '9221234567')",
        )
        .bind(a2.client_id)
        .execute(s.pool())
        .await
        .unwrap();
        let hash = abonent_domain::password::try_hash("klient-2026-pass").unwrap();
        s.portal_sign_up(
            a3.id,
            &abonent_store::portal::PortalLogin::Email("petrova@example.org".into()),
            &hash,
            "h",
            1_000_000,
            &Actor::default(),
        )
        .await
        .unwrap();
        s.bill(Period::parse("2026-09").unwrap(), 10, None, |_, _| {})
            .await
            .unwrap();

        // Nothing before the due date (15.10); three days before it: «due soon».
        let none = s.queue_reminders("debt", date(2026, 10, 10)).await.unwrap();
        assert_eq!(none.total(), 0, "{l}");
        let soon = s
            .queue_reminders("due_soon", date(2026, 10, 13))
            .await
            .unwrap();
        assert_eq!((soon.email, soon.sms, soon.portal), (1, 1, 1), "{l}");
        // After it: debt; once per period however often the day's job runs.
        let debt = s.queue_reminders("debt", date(2026, 10, 20)).await.unwrap();
        assert_eq!((debt.email, debt.sms, debt.portal), (1, 1, 1), "{l}");
        assert_eq!(
            s.queue_reminders("debt", date(2026, 10, 21))
                .await
                .unwrap()
                .total(),
            0
        );
        // The debt is real: the account owes on that day.
        let owed = s
            .balance_at(a1.id, date(2026, 10, 20))
            .await
            .unwrap()
            .overdue;
        assert!(owed > 0, "{l}");

        // Staff edit the template of the inbox's debt notice; the next notices use it.
        s.save_notice_template(
            "debt",
            "portal",
            "Долг по {account}",
            "По счёту {account} долг {amount} с {due_date}. Звоните {hotline}.",
            &Actor::default(),
        )
        .await
        .unwrap();

        let dir = tempfile::tempdir().unwrap();
        let mail = MailConfig {
            smtp_url: format!("folder:{}", dir.path().display()),
            ..Default::default()
        };
        let down = SmsConfig {
            url: format!("http://127.0.0.1:{}/send", free_port()),
            token: "secret-token".into(),
            ..Default::default()
        };
        let r = send_due(s, &mail, &down, "w1").await.unwrap();
        assert!(r.starts_with("sent 4"), "{l}: {r}");
        let msgs =
            |account_id: i64| async move { s.messages_of_account(account_id, 10).await.unwrap() };
        for m in msgs(a2.id).await {
            assert_eq!(
                (m.channel.as_str(), m.status.as_str()),
                ("sms", "queued"),
                "{l}"
            );
            assert!(m.last_error.contains("SMS gateway"), "{}", m.last_error);
        }
        for m in msgs(a1.id).await {
            assert_eq!(m.status, "sent", "{l}");
        }
        // The inbox shows the notices as the templates made them.
        let (uid,): (i64,) = sqlx::query_as("SELECT id FROM portal_users")
            .fetch_one(s.pool())
            .await
            .unwrap();
        let inbox = s.portal_inbox(uid, 10).await.unwrap();
        assert_eq!(inbox.len(), 2, "{l}");
        let debt_note = inbox.iter().find(|m| m.kind == "debt").unwrap();
        assert_eq!(debt_note.subject, format!("Долг по {}", a3.number));
        let text = s.message_body(debt_note.id).await.unwrap();
        assert!(text.contains("с 15.10.2026"), "{l}: {text}");
        assert!(text.contains("₽"), "{text}");
        assert!(!text.contains('{'), "every value filled: {text}");

        // The gateway is back: each SMS goes out once, to the number in E.164 with the text.
        let gw = Gateway::start(200).await;
        let up = SmsConfig {
            url: format!("http://127.0.0.1:{}/send", gw.port),
            ..down.clone()
        };
        sqlx::query("UPDATE outbox SET next_attempt_at = 0 WHERE status = 'queued'")
            .execute(s.pool())
            .await
            .unwrap();
        let r = send_due(s, &mail, &up, "w2").await.unwrap();
        assert_eq!(r, "sent 2, not sent 0", "{l}");
        assert_eq!(
            send_due(s, &mail, &up, "w2").await.unwrap(),
            "sent 0, not sent 0"
        );
        let sent = gw.bodies();
        assert_eq!(sent.len(), 2, "{l}");
        for b in &sent {
            let v: serde_json::Value = serde_json::from_str(b).unwrap();
            assert_eq!(v["to"], "+79221234567");
            assert!(v["text"].as_str().unwrap().contains(&a2.number), "{b}");
        }
        assert!(msgs(a2.id).await.iter().all(|m| m.status == "sent"));

        // A gateway that refuses the number: final, not retried.
        let refuse = Gateway::start(422).await;
        let bad = SmsConfig {
            url: format!("http://127.0.0.1:{}/send", refuse.port),
            ..down.clone()
        };
        let mut m = abonent_store::outbox::NewMessage {
            channel: "sms".into(),
            recipient: "12".into(),
            account_id: Some(a2.id),
            kind: "note".into(),
            body: "Тест".into(),
            ..Default::default()
        };
        m.dedupe_key = Some(format!("t-{l}"));
        let id = s
            .queue_message(&m, &Actor::default())
            .await
            .unwrap()
            .unwrap();
        send_due(s, &mail, &bad, "w3").await.unwrap();
        assert_eq!(s.message(id).await.unwrap().status, "failed", "{l}");

        // Readings: from the 20th to the 25th, for a meter without a reading this month.
        let meter = MeterDraft {
            serial: "N-1".into(),
            zones: "1".into(),
            digits: "6".into(),
            installed_on: "2025-01-01".into(),
            verified_on: "2025-01-01".into(),
            interval_years: "16".into(),
            initial: "100".into(),
            ..Default::default()
        }
        .validate(date(2026, 11, 26))
        .unwrap();
        s.create_meter(a3.id, &meter, &Actor::default())
            .await
            .unwrap();
        assert_eq!(
            s.queue_reminders("readings", date(2026, 11, 19))
                .await
                .unwrap()
                .total(),
            0
        );
        let r = s
            .queue_reminders("readings", date(2026, 11, 22))
            .await
            .unwrap();
        assert_eq!(r.portal, 1, "{l}: {r:?}");
        db.cleanup().await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn a_restriction_warning_goes_to_the_client_and_its_delivery_is_recorded_in_the_case() {
    for db in testing::all().await {
        let l = db.label;
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(2, |_| {}).await.unwrap();
        sqlx::query("UPDATE clients SET preferred_channel = 'post'")
            .execute(s.pool())
            .await
            .unwrap();
        let a = account(s, 1).await;
        reach(s, a.client_id, "email", Some("dolg@example.org")).await;
        sqlx::query(
            "UPDATE accounts SET category = 'urban', residents = 1, rooms = 1, meter_installable = FALSE WHERE id = $1",
        )
        .bind(a.id)
        .execute(s.pool())
        .await
        .unwrap();
        let mut period = Period::parse("2026-08").unwrap();
        for _ in 0..4 {
            s.bill(period, 10, None, |_, _| {}).await.unwrap();
            period = period.next();
        }
        let cases = s.restriction_cases_of_account(a.id).await.unwrap();
        assert_eq!(cases.len(), 1, "{l}");
        let dir = tempfile::tempdir().unwrap();
        let mail = MailConfig {
            smtp_url: format!("folder:{}", dir.path().display()),
            ..Default::default()
        };
        let r = send_due(s, &mail, &SmsConfig::default(), "w")
            .await
            .unwrap();
        assert!(r.starts_with("sent 1"), "{l}: {r}");
        let (_, steps) = s.restriction_case(cases[0].id).await.unwrap();
        let delivered: Vec<_> = steps
            .iter()
            .filter(|x| x.step == "warning_delivered")
            .collect();
        assert_eq!(delivered.len(), 1, "{l}");
        assert!(delivered[0].note.contains("dolg@example.org"));
        let letter = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .find(|t| t.contains("dolg@example.org"))
            .expect("the letter was written");
        assert!(letter.contains("Subject:"), "{letter}");
        // A rerun of a billed period queues nothing twice.
        s.bill(Period::parse("2026-11").unwrap(), 10, None, |_, _| {})
            .await
            .unwrap();
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE kind = 'restriction_warning'")
                .fetch_one(s.pool())
                .await
                .unwrap();
        assert_eq!(n, 1, "{l}");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_new_tariff_is_announced_to_its_category_ten_days_ahead_once() {
    for db in testing::all().await {
        let l = db.label;
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(12, |_| {}).await.unwrap();
        // Everyone reachable in the personal account's inbox is enough to count.
        sqlx::query("UPDATE clients SET preferred_channel = 'post'")
            .execute(s.pool())
            .await
            .unwrap();
        let a = account(s, 1).await;
        let hash = abonent_domain::password::try_hash("klient-2026-pass").unwrap();
        s.portal_sign_up(
            a.id,
            &abonent_store::portal::PortalLogin::Email("tariff@example.org".into()),
            &hash,
            "t",
            1_000_000,
            &Actor::default(),
        )
        .await
        .unwrap();
        let mut t = s
            .tariffs()
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.category == a.category.code())
            .unwrap();
        t.valid_from = "2027-01".into();
        t.single += 5_000;
        s.save_tariff(&t, &Actor::default()).await.unwrap();
        // Too early, then from ten days before January.
        let early = s
            .queue_reminders("tariff_change", date(2026, 12, 21))
            .await
            .unwrap();
        assert_eq!(early.total(), 0, "{l}");
        let f = s
            .queue_reminders("tariff_change", date(2026, 12, 22))
            .await
            .unwrap();
        assert_eq!(f.portal, 1, "{l}: the one account with a personal account");
        let again = s
            .queue_reminders("tariff_change", date(2026, 12, 23))
            .await
            .unwrap();
        assert_eq!(again.total(), 0, "{l}: once per tariff");
        // Rendered from its template when sent, with the period in words.
        send_due(s, &MailConfig::default(), &SmsConfig::default(), "w")
            .await
            .unwrap();
        let (subject, body): (String, String) = sqlx::query_as(
            "SELECT subject, body FROM outbox WHERE kind = 'tariff_change' AND channel = 'portal'",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        assert_eq!(
            subject, "Новый тариф на электроэнергию с периода «январь 2027»",
            "{l}"
        );
        assert!(body.contains(&a.number), "{l}");
        // Another category's accounts are not told: only account 1's category has the tariff.
        let others: (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM outbox o JOIN accounts x ON x.id = o.account_id
             WHERE o.kind = 'tariff_change' AND x.category <> $1",
        )
        .bind(a.category.code())
        .fetch_one(s.pool())
        .await
        .unwrap();
        assert_eq!(others.0, 0, "{l}");
    }
}
