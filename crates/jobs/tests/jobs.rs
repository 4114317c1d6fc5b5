//! The scheduler and workers against a real database (SQLite and PostgreSQL).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use abonent_domain::appeals::AppealDraft;
use abonent_domain::org::{Role, StaffData};
use abonent_store::appeals::NewAppeal;
use abonent_store::audit::Actor;
use abonent_store::jobs::JobKind;
use abonent_store::testing;

#[tokio::test]
async fn the_sweep_runs_as_a_job_once_per_slot() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        let branch = s.branches().await.unwrap()[0].id;
        let head = s
            .create_staff(
                &StaffData {
                    login: "head".into(),
                    full_name: "Руководитель Отделения".into(),
                    position: String::new(),
                    role: Role::BranchHead,
                    branch_id: Some(branch),
                    centre_id: None,
                    phone: String::new(),
                    email: String::new(),
                    badge: String::new(),
                    active: true,
                },
                "x",
            )
            .await
            .unwrap();
        // An appeal whose deadline passed yesterday.
        let today = jiff::Zoned::now().date();
        let data = AppealDraft {
            channel: "phone".into(),
            kind: "complaint".into(),
            topic: "outage".into(),
            text: "Нет света".into(),
            ..Default::default()
        }
        .validate(false)
        .unwrap();
        s.register_appeal(
            &NewAppeal {
                data,
                branch_id: branch,
                account_id: None,
                registered_on: today.saturating_sub(jiff::Span::new().days(20)),
                deadline: today.saturating_sub(jiff::Span::new().days(2)),
                repeat_window_days: 30,
                tracking_hash: None,
                tracking_code: None,
                attachments: vec![],
            },
            None,
            &Actor::default(),
        )
        .await
        .unwrap();
        abonent_jobs::schedule(s, &Default::default())
            .await
            .unwrap();
        abonent_jobs::schedule(s, &Default::default())
            .await
            .unwrap();
        let ran = abonent_jobs::drain(s, &Default::default(), "test-worker")
            .await
            .unwrap();
        // From 10:00 in the company's zone the day's reminders are scheduled too.
        let local = jiff::Timestamp::now().to_zoned(abonent_jobs::JobsConfig::default().time_zone);
        let reminders = usize::from(local.hour() >= abonent_jobs::REMINDERS_HOUR);
        assert_eq!(
            ran,
            3 + reminders,
            "{}: one sweep and one purge per slot, the e-mail copy of the escalation \
             and, from 10:00, the day's reminders",
            db.label
        );
        let sweeps = s.jobs_of_kind(&JobKind::AppealsSweep, 10).await.unwrap();
        assert_eq!(sweeps.len(), 1);
        assert!(sweeps[0].done_at.is_some());
        let notices = s.staff_notices(head, 10).await.unwrap();
        assert!(
            notices.iter().any(|n| n.kind.code() == "escalation"),
            "{notices:?}"
        );
        // Nothing more is due until the next slot.
        assert_eq!(
            abonent_jobs::drain(s, &Default::default(), "test-worker")
                .await
                .unwrap(),
            0
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_confirmation_letter_carries_the_tracking_code_and_the_status_page() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        let branch = s.branches().await.unwrap()[0].id;
        let today = jiff::Zoned::now().date();
        let data = AppealDraft {
            channel: "online_reception".into(),
            kind: "complaint".into(),
            topic: "outage".into(),
            text: "Нет света".into(),
            applicant_name: "Лебедева Ольга".into(),
            email: "olga@example.test".into(),
            answer_channel: "email".into(),
            ..Default::default()
        }
        .validate(true)
        .unwrap();
        let r = s
            .register_appeal(
                &NewAppeal {
                    data,
                    branch_id: branch,
                    account_id: None,
                    registered_on: today,
                    deadline: today.saturating_add(jiff::Span::new().days(21)),
                    repeat_window_days: 30,
                    tracking_hash: Some("hash".into()),
                    tracking_code: Some("K7M2-Q9XD".into()),
                    attachments: vec![],
                },
                None,
                &Actor::default(),
            )
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cfg = abonent_jobs::JobsConfig {
            mail: abonent_jobs::mail::MailConfig {
                smtp_url: format!("folder:{}", dir.path().display()),
                ..Default::default()
            },
            public_url: "https://lk.example.ru".into(),
            ..Default::default()
        };
        abonent_jobs::drain(s, &cfg, "test-worker").await.unwrap();
        let letters: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .map(|raw| String::from_utf8_lossy(&raw).into_owned())
            .filter(|raw| raw.contains("olga@example.test"))
            .collect();
        assert_eq!(letters.len(), 1, "{}: {letters:?}", db.label);
        let text = decoded(&letters[0]);
        for part in [
            r.number.as_str(),
            "Код для проверки статуса: K7M2-Q9XD",
            "https://lk.example.ru/reception/status",
        ] {
            assert!(text.contains(part), "{}: {part}: {text}", db.label);
        }
        db.cleanup().await;
    }
}

/// The text of a letter written by the folder transport, as a mail reader shows it.
fn decoded(raw: &str) -> String {
    let m = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    m.body_text(0).unwrap().into_owned()
}
