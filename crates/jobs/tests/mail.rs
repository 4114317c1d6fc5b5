//! Mailbox intake against a real IMAP server (Dovecot) and answer delivery against a real SMTP
//! server (aiosmtpd), both started on loopback by the test, on SQLite and PostgreSQL.
//! `scripts/test.sh` installs them (Debian packages dovecot-imapd and python3-aiosmtpd).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use abonent_domain::appeals::{AnswerChannel, AnswerDraft};
use abonent_domain::org::{Role, StaffData};
use abonent_jobs::{JobsConfig, MailConfig};
use abonent_store::appeals::AppealFilter;
use abonent_store::audit::Actor;
use abonent_store::jobs::JobKind;
use abonent_store::testing;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(port: u16, what: &str) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not start on port {port}");
}

/// Dovecot serving IMAP from a temporary folder; any user, password `secret`.
struct Dovecot {
    _dir: tempfile::TempDir,
    conf: PathBuf,
    port: u16,
}

impl Dovecot {
    fn start() -> Self {
        assert!(
            Path::new("/usr/sbin/dovecot").exists(),
            "Dovecot is needed for the mailbox tests: scripts/test.sh installs it (apt-get install dovecot-imapd)"
        );
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::os::unix::fs::chown(&home, Some(65534), Some(65534)).unwrap();
        let port = free_port();
        let d = dir.path().display();
        let conf = dir.path().join("dovecot.conf");
        std::fs::write(
            &conf,
            format!(
                "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
                 listen = 127.0.0.1\nprotocols = imap\nssl = no\ndisable_plaintext_auth = no\n\
                 auth_mechanisms = plain login\nfirst_valid_uid = 1\n\
                 passdb {{\n  driver = static\n  args = password=secret\n}}\n\
                 userdb {{\n  driver = static\n  args = uid=65534 gid=65534 home={d}/home/%u\n}}\n\
                 mail_location = maildir:~/Maildir\n\
                 service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
                 service anvil {{\n  chroot =\n}}\n"
            ),
        )
        .unwrap();
        let st = Command::new("/usr/sbin/dovecot")
            .arg("-c")
            .arg(&conf)
            .status()
            .unwrap();
        assert!(st.success(), "dovecot failed to start");
        wait_for(port, "Dovecot");
        Self {
            _dir: dir,
            conf,
            port,
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new("/usr/sbin/dovecot")
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .status();
    }
}

/// aiosmtpd writing every received letter into a Maildir.
struct Smtp {
    child: Child,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
    port: u16,
}

impl Smtp {
    fn start() -> Self {
        let ok = Command::new("/usr/bin/python3")
            .args(["-c", "import aiosmtpd"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "aiosmtpd is needed for the delivery tests: scripts/test.sh installs it (apt-get install python3-aiosmtpd)"
        );
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        let port = free_port();
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for(port, "aiosmtpd");
        Self {
            child,
            maildir,
            _dir: dir,
            port,
        }
    }

    fn letters(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(rd) = std::fs::read_dir(self.maildir.join(sub)) {
                for e in rd.flatten() {
                    out.push(std::fs::read_to_string(e.path()).unwrap());
                }
            }
        }
        out
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Puts a letter into the mailbox the way an MTA would deliver it (IMAP APPEND).
async fn deliver_to_mailbox(port: u16, user: &str, raw: &str) {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap().unwrap();
    let mut s = client.login(user, "secret").await.map_err(|e| e.0).unwrap();
    s.append("INBOX", None, None, raw.replace('\n', "\r\n"))
        .await
        .unwrap();
    s.logout().await.unwrap();
}

const LETTER_WITH_SCAN: &str = "From: =?UTF-8?B?0JjQstCw0L3QvtCyINCY0LLQsNC9?= <ivanov@example.org>
To: inbox@utek.test
Subject: =?UTF-8?B?0J/QtdGA0LXRgNCw0YHRh9GR0YI=?=
Message-ID: <first-letter@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=\"b1\"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Прошу сделать перерасчёт за октябрь: счётчик заменили 3 октября.
--b1
Content-Type: application/pdf; name=\"akt.pdf\"
Content-Disposition: attachment; filename=\"akt.pdf\"
Content-Transfer-Encoding: base64

JVBERi0xLjQgYWt0
--b1--
";

#[tokio::test]
async fn mailbox_intake_and_answer_delivery() {
    let dovecot = Dovecot::start();
    let smtp = Smtp::start();
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        let branch = s.branches().await.unwrap()[0].id;
        let tech = s
            .create_staff(
                &StaffData {
                    login: "tech".into(),
                    full_name: "Егорова Мария Ивановна".into(),
                    position: "Техник".into(),
                    role: Role::Technician,
                    branch_id: Some(branch),
                    centre_id: None,
                    phone: "3466841234".into(),
                    email: "tech@utek.test".into(),
                    badge: String::new(),
                    active: true,
                },
                "x",
            )
            .await
            .unwrap();
        let user = format!("inbox-{}", db.label.to_lowercase());
        let cfg = JobsConfig {
            mail: MailConfig {
                smtp_url: format!("smtp://127.0.0.1:{}", smtp.port),
                from: "АО «ЮТЭК» <info@utek.test>".into(),
                imap_url: format!("imap://{user}:secret@127.0.0.1:{}/INBOX", dovecot.port),
                imap_poll_seconds: 60,
            },
            ..Default::default()
        };
        deliver_to_mailbox(dovecot.port, &user, LETTER_WITH_SCAN).await;
        deliver_to_mailbox(dovecot.port, &user, "this line is not a letter at all\n").await;

        // The scheduled poll registers the letter and keeps the unreadable one for a clerk.
        abonent_jobs::schedule(s, &cfg).await.unwrap();
        abonent_jobs::drain(s, &cfg, "w").await.unwrap();
        let appeals = s.list_appeals(&AppealFilter::default()).await.unwrap();
        assert_eq!(appeals.len(), 1, "{}", db.label);
        let a = s.appeal(appeals[0].id).await.unwrap();
        assert_eq!(a.channel.code(), "email");
        assert_eq!(a.applicant_email.as_deref(), Some("ivanov@example.org"));
        assert_eq!(a.applicant_name, "Иванов Иван");
        assert!(a.original_text.contains("Тема: Перерасчёт"));
        assert!(a.original_text.contains("счётчик заменили"));
        let files: Vec<String> = s
            .appeal_attachments(a.id)
            .await
            .unwrap()
            .into_iter()
            .map(|f| f.file_name)
            .collect();
        assert_eq!(files, ["письмо.eml", "akt.pdf"]);
        let failed = s.inbox_entries("failed", 10).await.unwrap();
        assert_eq!(failed.len(), 1);
        let why = failed[0].error.clone().unwrap();
        assert!(
            why.contains("адреса отправителя") || why.contains("не удалось разобрать"),
            "{why}"
        );
        assert!(
            !s.inbox_raw(failed[0].id).await.unwrap().is_empty(),
            "kept, never lost"
        );

        // A second poll finds nothing new; a crash after registering but before marking the
        // letter registers nothing twice.
        assert_eq!(
            abonent_jobs::mail::fetch_mailbox(s, &cfg.mail)
                .await
                .unwrap(),
            0
        );
        sqlx::query(
            "UPDATE mail_inbox SET status = 'new', appeal_id = NULL WHERE status = 'registered'",
        )
        .execute(s.pool())
        .await
        .unwrap();
        let r = abonent_jobs::mail::process_inbox(s).await.unwrap();
        assert_eq!(r.registered, 1);
        assert_eq!(
            s.list_appeals(&AppealFilter::default())
                .await
                .unwrap()
                .len(),
            1
        );

        // The answer goes out by e-mail through the SMTP server.
        let actor = Actor {
            staff_id: Some(tech),
            login: "tech".into(),
            ip: String::new(),
        };
        s.assign_appeal(a.id, tech, a.version, &actor)
            .await
            .unwrap();
        let v = s.appeal(a.id).await.unwrap().version;
        let ans = AnswerDraft {
            substance: "Перерасчёт выполнен.".into(),
            executor_name: "Егорова Мария Ивановна".into(),
            executor_phone: "8 34668 4-12-34".into(),
            signatory_name: "Смирнов П. А.".into(),
            signatory_position: "Руководитель отделения".into(),
            ..Default::default()
        }
        .validate(AnswerChannel::Email)
        .unwrap();
        let today = jiff::Zoned::now().date();
        let rid = s.answer_appeal(a.id, v, &ans, today, &actor).await.unwrap();
        // With the SMTP server unreachable the answer waits in the queue, nothing is lost…
        let down = JobsConfig {
            mail: MailConfig {
                smtp_url: format!("smtp://127.0.0.1:{}", free_port()),
                ..cfg.mail.clone()
            },
            ..Default::default()
        };
        abonent_jobs::drain(s, &down, "w").await.unwrap();
        let jobs = s
            .jobs_of_kind(&JobKind::AppealDeliverAnswer, 5)
            .await
            .unwrap();
        assert!(
            jobs[0].done_at.is_none() && jobs[0].last_error.is_some(),
            "{}",
            db.label
        );
        assert_eq!(
            s.appeal_replies(a.id)
                .await
                .unwrap()
                .pop()
                .unwrap()
                .delivery,
            "queued"
        );
        // … and goes out when the server is back (the retry pause is skipped here).
        sqlx::query("UPDATE jobs SET run_at = 0 WHERE kind = 'appeal.deliver_answer'")
            .execute(s.pool())
            .await
            .unwrap();
        let before = smtp.letters().len();
        abonent_jobs::drain(s, &cfg, "w").await.unwrap();
        let letters = smtp.letters();
        assert_eq!(letters.len(), before + 1, "{}: one letter sent", db.label);
        let sent = letters
            .iter()
            .find(|l| l.contains(&format!("answer-{rid}@")))
            .expect("the answer letter");
        assert!(sent.contains("ivanov@example.org"));
        let reply = s.appeal_replies(a.id).await.unwrap().pop().unwrap();
        assert_eq!(reply.delivery, "sent");
        // The executor was told of the assignment by e-mail too (it waited while SMTP was down).
        sqlx::query("UPDATE jobs SET run_at = 0 WHERE kind = 'staff.mail' AND done_at IS NULL")
            .execute(s.pool())
            .await
            .unwrap();
        abonent_jobs::drain(s, &cfg, "w").await.unwrap();
        assert!(
            smtp.letters()
                .iter()
                .any(|l| l.contains("tech@utek.test") && l.contains("<notice-")),
            "{}: the assignment notice by e-mail",
            db.label
        );

        // The citizen answers that letter: attached to the appeal, not registered again.
        deliver_to_mailbox(
            dovecot.port,
            &user,
            &format!(
                "From: ivanov@example.org\nTo: inbox@utek.test\nSubject: Re: answer\n\
                 In-Reply-To: <answer-{rid}@abonent.invalid>\nMessage-ID: <reply@example.org>\n\
                 Content-Type: text/plain; charset=utf-8\n\nСпасибо, всё верно.\n"
            ),
        )
        .await;
        abonent_jobs::mail::fetch_mailbox(s, &cfg.mail)
            .await
            .unwrap();
        let r = abonent_jobs::mail::process_inbox(s).await.unwrap();
        assert_eq!((r.registered, r.attached), (0, 1), "{}", db.label);
        assert_eq!(
            s.list_appeals(&AppealFilter::default())
                .await
                .unwrap()
                .len(),
            1
        );
        let events = s.appeal_events(a.id).await.unwrap();
        assert!(events
            .iter()
            .any(|e| e.action == "letter_received" && e.details.contains("Спасибо")));
        db.cleanup().await;
    }
}

/// Sets who gets the invoice of an account by e-mail.
async fn email_of_account(s: &abonent_store::Store, serial: u32, email: Option<&str>) -> i64 {
    let a = s
        .account_by_number(&abonent_domain::accounts::AccountNumber::from_serial(
            serial,
        ))
        .await
        .unwrap();
    sqlx::query("UPDATE clients SET email = $1, preferred_channel = $2 WHERE id = $3")
        .bind(email)
        .bind(if email.is_some() { "email" } else { "post" })
        .bind(a.client_id)
        .execute(s.pool())
        .await
        .unwrap();
    a.id
}

#[tokio::test]
async fn invoices_by_email_wait_while_smtp_is_down_and_go_out_once_with_the_pdf() {
    use abonent_store::outbox::NewMessage;
    use mail_parser::MimeHeaders;
    let smtp = Smtp::start();
    for db in testing::all().await {
        let l = db.label;
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(3, |_| {}).await.unwrap();
        let a1 = email_of_account(s, 1, Some("ivanov@example.org")).await;
        let a2 = email_of_account(s, 2, None).await;
        email_of_account(s, 3, None).await;
        let period = abonent_domain::tariffs::Period::parse("2026-09").unwrap();
        s.bill(period, 10, None, |_, _| {}).await.unwrap();

        // After the run: only the client who chose e-mail, once however often it is asked.
        assert_eq!(s.queue_invoice_mails("2026-09").await.unwrap(), 1, "{l}");
        assert_eq!(s.queue_invoice_mails("2026-09").await.unwrap(), 0, "{l}");
        // A copy a person asked for, to an address the client gave at the counter.
        let copy = s
            .queue_message(
                &NewMessage {
                    channel: "email".into(),
                    recipient: "buh@example.org".into(),
                    account_id: Some(a2),
                    kind: "invoice".into(),
                    attachment: "invoice:2026-09".into(),
                    ..Default::default()
                },
                &Actor::default(),
            )
            .await
            .unwrap()
            .unwrap();
        // An address that can never work is marked failed at once, not retried.
        let bad = s
            .queue_message(
                &NewMessage {
                    channel: "email".into(),
                    recipient: "not an address".into(),
                    account_id: Some(a2),
                    kind: "invoice".into(),
                    attachment: "invoice:2026-09".into(),
                    ..Default::default()
                },
                &Actor::default(),
            )
            .await
            .unwrap()
            .unwrap();

        // The mail server is down: everything waits, nothing is lost.
        let down = MailConfig {
            smtp_url: format!("smtp://127.0.0.1:{}", free_port()),
            from: "АО «ЮТЭК» <info@utek.test>".into(),
            ..Default::default()
        };
        let r = abonent_jobs::outbox::send_due(s, &down, &Default::default(), "w1")
            .await
            .unwrap();
        assert!(r.contains("sent 0"), "{l}: {r}");
        let m = s.message(copy).await.unwrap();
        assert_eq!((m.status.as_str(), m.attempts), ("queued", 1), "{l}");
        assert!(!m.last_error.is_empty());
        assert_eq!(s.message(bad).await.unwrap().status, "failed", "{l}");
        // Not due again before its pause.
        let r = abonent_jobs::outbox::send_due(s, &down, &Default::default(), "w1")
            .await
            .unwrap();
        assert_eq!(r, "sent 0, not sent 0", "{l}");
        let before: std::collections::HashSet<String> = smtp.letters().into_iter().collect();

        // The server is back (the retry pause is skipped here): the retry job sends both.
        sqlx::query("UPDATE outbox SET next_attempt_at = 0 WHERE status = 'queued'")
            .execute(s.pool())
            .await
            .unwrap();
        let up = JobsConfig {
            mail: MailConfig {
                smtp_url: format!("smtp://127.0.0.1:{}", smtp.port),
                ..down.clone()
            },
            ..Default::default()
        };
        // The job the scheduler queues every minute while messages wait (queued directly: the
        // scheduler would also queue the day's reminders after 10:00, other letters).
        let minute = abonent_store::now_micros() / 60_000_000;
        s.enqueue(
            &JobKind::OutboxSend,
            "",
            Some(&format!("outbox.send@{minute}")),
            abonent_store::now_micros(),
        )
        .await
        .unwrap();
        abonent_jobs::drain(s, &up, "w2").await.unwrap();
        abonent_jobs::drain(s, &up, "w2").await.unwrap();
        let mine: Vec<String> = smtp
            .letters()
            .into_iter()
            .filter(|x| !before.contains(x))
            .collect();
        assert_eq!(mine.len(), 2, "{l}: each sent once");
        let mut to_ivanov = 0;
        for raw in &mine {
            let msg = mail_parser::MessageParser::default()
                .parse(raw.as_bytes())
                .unwrap();
            let text = msg.body_text(0).unwrap().to_string();
            assert!(text.contains("Итого к оплате"), "{l}: {text}");
            assert!(text.contains("сентябрь 2026"), "{l}: {text}");
            let pdf = msg.attachment(0).expect("the invoice is attached");
            assert!(pdf.contents().starts_with(b"%PDF"), "{l}");
            assert!(pdf.attachment_name().unwrap().starts_with("schet_"), "{l}");
            if raw.contains("ivanov@example.org") {
                to_ivanov += 1;
            }
        }
        assert_eq!(to_ivanov, 1, "{l}");
        let sent = s.messages_of_account(a1, 10).await.unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].status, "sent", "{l}");
        assert!(sent[0].sent_at.is_some());
        assert_eq!(s.message(copy).await.unwrap().status, "sent");
        db.cleanup().await;
    }
}
