//! Appeals registry, idempotency keys and the job queue, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use abonent_domain::appeals::{
    search_terms, AnswerChannel, AnswerDraft, AppealDraft, AppealStatus, Ground,
};
use abonent_domain::clients::ClientDraft;
use abonent_domain::org::{Role, StaffData};
use abonent_store::appeals::{AppealFilter, NewAppeal, NewAttachment, View};
use abonent_store::audit::Actor;
use abonent_store::idempotency::IdemKey;
use abonent_store::jobs::JobKind;
use abonent_store::{testing, Store, StoreError};
use jiff::civil::{date, Date};

fn actor(id: i64) -> Actor {
    Actor {
        staff_id: Some(id),
        login: format!("staff{id}"),
        ip: "127.0.0.1".into(),
    }
}

async fn staff(s: &Store, login: &str, role: Role, branch: i64) -> i64 {
    s.create_staff(
        &StaffData {
            login: login.into(),
            full_name: format!("Сотрудник {login}"),
            position: String::new(),
            role,
            branch_id: Some(branch),
            centre_id: None,
            phone: "3467388888".into(),
            email: String::new(),
            badge: String::new(),
            active: true,
        },
        "x",
    )
    .await
    .unwrap()
}

fn new_appeal(branch: i64, client: Option<i64>, topic: &str, text: &str, on: Date) -> NewAppeal {
    let data = AppealDraft {
        channel: "post".into(),
        kind: "complaint".into(),
        topic: topic.into(),
        text: text.into(),
        applicant_name: "Иванов Иван Иванович".into(),
        postal_address: "г. Радужный, 1 мкр., д. 5".into(),
        client_id: client.map(|c| c.to_string()).unwrap_or_default(),
        ..Default::default()
    }
    .validate(false)
    .unwrap();
    NewAppeal {
        data,
        branch_id: branch,
        account_id: None,
        registered_on: on,
        deadline: on.checked_add(jiff::Span::new().days(15)).unwrap(),
        repeat_window_days: 30,
        tracking_hash: None,
        tracking_code: None,
        attachments: vec![],
    }
}

#[tokio::test]
async fn registration_numbers_idempotency_repeats_and_search() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        let branch = s.branches().await.unwrap()[0].id;
        let head = staff(s, "head", Role::BranchHead, branch).await;
        let clerk = staff(s, "clerk", Role::RecordsClerk, branch).await;
        let client = s
            .create_client(
                &ClientDraft {
                    surname: "Петров".into(),
                    first_name: "Пётр".into(),
                    preferred_channel: "post".into(),
                    postal_address: "г. Радужный, 1 мкр., д. 5".into(),
                    consents: vec!["personal_data".into()],
                    ..Default::default()
                }
                .validate()
                .unwrap(),
                &actor(clerk),
            )
            .await
            .unwrap();
        let today = date(2026, 3, 2);
        let mut a = new_appeal(
            branch,
            Some(client),
            "meter",
            "Замена счётчика в квартире",
            today,
        );
        a.attachments.push(NewAttachment {
            file_name: "скан.pdf".into(),
            content_type: "application/pdf".into(),
            content: b"%PDF-1.4 test".to_vec(),
        });
        let key = IdemKey::new("staff:1", "k-1");
        let r1 = s
            .register_appeal(&a, Some(&key), &actor(clerk))
            .await
            .unwrap();
        assert_eq!(r1.number, "2026-000001", "{}", db.label);
        assert!(!r1.replayed);
        let again = s
            .register_appeal(&a, Some(&key), &actor(clerk))
            .await
            .unwrap();
        assert!(again.replayed, "the same key returns the first result");
        assert_eq!(again.id, r1.id);
        let all = s.list_appeals(&AppealFilter::default()).await.unwrap();
        assert_eq!(all.len(), 1, "nothing registered twice");

        // The same client on the same topic: a repeat of the first (§2.3); another topic is not.
        let r2 = s
            .register_appeal(
                &new_appeal(
                    branch,
                    Some(client),
                    "meter",
                    "Опять не заменили счетчик",
                    today,
                ),
                None,
                &actor(clerk),
            )
            .await
            .unwrap();
        assert_eq!(r2.number, "2026-000002");
        assert_eq!(r2.repeat_of, Some(r1.id));
        let r3 = s
            .register_appeal(
                &new_appeal(branch, Some(client), "payment", "Платёж не зачислен", today),
                None,
                &actor(clerk),
            )
            .await
            .unwrap();
        assert_eq!(r3.repeat_of, None);

        // Registered at the same moment (one group commit on SQLite), repeats still find
        // their first.
        let mut set = tokio::task::JoinSet::new();
        for i in 0..5 {
            let s = s.clone();
            let a = new_appeal(
                branch,
                Some(client),
                "contract",
                &format!("Договор {i}"),
                today,
            );
            set.spawn(async move {
                s.register_appeal(&a, None, &Actor::default())
                    .await
                    .unwrap()
            });
        }
        let mut regs = Vec::new();
        while let Some(r) = set.join_next().await {
            regs.push(r.unwrap());
        }
        let firsts: Vec<_> = regs.iter().filter(|r| r.repeat_of.is_none()).collect();
        assert_eq!(firsts.len(), 1, "{}: {regs:?}", db.label);
        assert!(regs
            .iter()
            .all(|r| r.repeat_of.is_none_or(|f| f == firsts[0].id)));

        // Full-text search on word forms.
        let hits = s
            .list_appeals(&AppealFilter {
                terms: Some(search_terms("счётчик")),
                ..Default::default()
            })
            .await
            .unwrap();
        let mut ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
        ids.sort();
        assert_eq!(ids, vec![r1.id, r2.id], "{}", db.label);
        let hits = s
            .list_appeals(&AppealFilter {
                terms: Some(search_terms("платежа")),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(hits.len(), 1);

        // Kept unchanged with its attachment and history; the head was told.
        let rec = s.appeal(r1.id).await.unwrap();
        assert_eq!(rec.original_text, "Замена счётчика в квартире");
        assert_eq!(rec.status, AppealStatus::Registered);
        let att = s.appeal_attachments(r1.id).await.unwrap();
        assert_eq!(att.len(), 1);
        let (_, content) = s.appeal_attachment(att[0].id).await.unwrap();
        assert_eq!(content, b"%PDF-1.4 test");
        let events = s.appeal_events(r1.id).await.unwrap();
        assert_eq!(events[0].action, "registered");
        let notices = s.staff_notices(head, 20).await.unwrap();
        assert_eq!(notices.len(), 8);
        // History is append-only.
        assert!(sqlx::query("DELETE FROM appeal_events")
            .execute(s.pool())
            .await
            .is_err());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn lifecycle_views_extension_answer_and_sweep() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        let branch = s.branches().await.unwrap()[0].id;
        let head = staff(s, "head", Role::BranchHead, branch).await;
        let tech = staff(s, "tech", Role::Technician, branch).await;
        let clerk = staff(s, "clerk", Role::RecordsClerk, branch).await;
        let on = date(2026, 3, 2);
        let r = s
            .register_appeal(
                &new_appeal(branch, None, "billing", "Неверное начисление", on),
                None,
                &actor(clerk),
            )
            .await
            .unwrap();
        let other = s
            .register_appeal(
                &new_appeal(branch, None, "other", "Спасибо", on),
                None,
                &actor(clerk),
            )
            .await
            .unwrap();

        let new = s
            .list_appeals(&AppealFilter {
                view: View::New,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(new.len(), 2);
        // A records clerk cannot be an executor.
        assert!(matches!(
            s.assign_appeal(r.id, clerk, 1, &actor(head)).await,
            Err(StoreError::Refused(_))
        ));
        s.assign_appeal(r.id, tech, 1, &actor(head)).await.unwrap();
        // A stale version is refused.
        assert!(s.assign_appeal(r.id, head, 1, &actor(head)).await.is_err());
        s.assign_appeal(r.id, head, 2, &actor(head)).await.unwrap();
        s.assign_appeal(r.id, tech, 3, &actor(head)).await.unwrap();
        let ev: Vec<String> = s
            .appeal_events(r.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(ev, ["registered", "assigned", "reassigned", "reassigned"]);
        let mine = s
            .list_appeals(&AppealFilter {
                view: View::Mine,
                executor_id: Some(tech),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(s.staff_notices(tech, 10).await.unwrap().len(), 2);

        // Deadline 2026-03-17: due soon from the 14th, overdue from the 18th.
        let due = |today: Date| AppealFilter {
            view: View::DueSoon,
            today: Some(today),
            due_soon_until: Some(today.checked_add(jiff::Span::new().days(3)).unwrap()),
            ..Default::default()
        };
        assert_eq!(
            s.list_appeals(&due(date(2026, 3, 13))).await.unwrap().len(),
            0
        );
        assert_eq!(
            s.list_appeals(&due(date(2026, 3, 14))).await.unwrap().len(),
            2
        );
        let overdue = AppealFilter {
            view: View::Overdue,
            today: Some(date(2026, 3, 18)),
            ..Default::default()
        };
        assert_eq!(s.list_appeals(&overdue).await.unwrap().len(), 2);

        // Reminders once per deadline; escalation once when overdue.
        let rep = s
            .appeal_sweep(date(2026, 3, 14), date(2026, 3, 17), 100)
            .await
            .unwrap();
        assert_eq!((rep.reminded, rep.escalated), (2, 0), "{}", db.label);
        let rep = s
            .appeal_sweep(date(2026, 3, 14), date(2026, 3, 17), 100)
            .await
            .unwrap();
        assert_eq!(
            (rep.reminded, rep.escalated),
            (0, 0),
            "a second run sends nothing"
        );
        let rep = s
            .appeal_sweep(date(2026, 3, 18), date(2026, 3, 21), 100)
            .await
            .unwrap();
        assert_eq!((rep.reminded, rep.escalated), (0, 2));
        assert!(s
            .staff_notices(head, 20)
            .await
            .unwrap()
            .iter()
            .any(|n| n.kind.code() == "escalation"));

        // Extension only after an interim reply (the store guards it too).
        let v = s.appeal(r.id).await.unwrap().version;
        assert!(s
            .extend_appeal(r.id, v, date(2026, 4, 1), 15, &actor(tech))
            .await
            .is_err());
        s.interim_reply(
            r.id,
            v,
            "Проводится проверка.",
            AnswerChannel::Post,
            &actor(tech),
        )
        .await
        .unwrap();
        let v = s.appeal(r.id).await.unwrap().version;
        s.extend_appeal(r.id, v, date(2026, 4, 1), 15, &actor(tech))
            .await
            .unwrap();
        let rec = s.appeal(r.id).await.unwrap();
        assert_eq!(rec.deadline, "2026-04-01");
        assert_eq!(rec.original_deadline, "2026-03-17");
        assert!(
            s.extend_appeal(r.id, rec.version, date(2026, 4, 10), 9, &actor(tech))
                .await
                .is_err(),
            "one extension only"
        );
        // The extension re-arms the reminder.
        let rep = s
            .appeal_sweep(date(2026, 3, 30), date(2026, 4, 2), 100)
            .await
            .unwrap();
        assert_eq!(rep.reminded, 1);

        let ans = AnswerDraft {
            substance: "Начисление исправлено.".into(),
            executor_name: "Сотрудник tech Техникович".into(),
            executor_phone: "83467388888".into(),
            signatory_name: "Сидоров П. П.".into(),
            signatory_position: "Руководитель отделения".into(),
            channel: "email".into(),
            call_note: String::new(),
        }
        .validate(AnswerChannel::Post)
        .unwrap();
        let v = s.appeal(r.id).await.unwrap().version;
        let rid = s
            .answer_appeal(r.id, v, &ans, date(2026, 3, 31), &actor(tech))
            .await
            .unwrap();
        assert!(
            s.answer_appeal(r.id, v, &ans, date(2026, 3, 31), &actor(tech))
                .await
                .is_err(),
            "a second answer is refused"
        );
        let rec = s.appeal(r.id).await.unwrap();
        assert_eq!((rec.status, rec.on_time), (AppealStatus::Answered, Some(1)));
        let replies = s.appeal_replies(r.id).await.unwrap();
        assert_eq!(replies.len(), 2);
        assert_eq!(replies[1].delivery, "queued");
        let jobs = s
            .jobs_of_kind(&JobKind::AppealDeliverAnswer, 10)
            .await
            .unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].payload, rid.to_string());

        let v = s.appeal(other.id).await.unwrap().version;
        s.leave_without_action(
            other.id,
            v,
            Ground::NoContacts,
            "",
            date(2026, 3, 20),
            &actor(head),
        )
        .await
        .unwrap();
        let rec = s.appeal(other.id).await.unwrap();
        assert_eq!(rec.status, AppealStatus::LeftWithoutAction);
        assert_eq!(rec.on_time, Some(0));

        let stats = s
            .appeal_stats(0, i64::MAX, None, date(2026, 3, 20))
            .await
            .unwrap();
        assert_eq!(stats.total, 2);
        assert_eq!(stats.closed, 2);
        assert_eq!(stats.closed_on_time, 1);
        assert_eq!(stats.overdue_now, 0);
        assert!(stats.by_topic.contains(&("billing".into(), 1)));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn jobs_are_claimed_once_and_retried() {
    for db in testing::all().await {
        let s = &db.store;
        s.enqueue(&JobKind::from("test.job"), "1", Some("slot-1"), 0)
            .await
            .unwrap();
        s.enqueue(&JobKind::from("test.job"), "1", Some("slot-1"), 0)
            .await
            .unwrap();
        s.enqueue(&JobKind::from("test.job"), "2", None, 0)
            .await
            .unwrap();
        let a = s.claim_job("w1", 60_000_000).await.unwrap().unwrap();
        let b = s.claim_job("w2", 60_000_000).await.unwrap().unwrap();
        assert_ne!(a.id, b.id, "{}", db.label);
        assert!(
            s.claim_job("w3", 60_000_000).await.unwrap().is_none(),
            "deduplicated"
        );
        s.complete_job(a.id, "w1").await.unwrap();
        s.fail_job(b.id, "w2", b.attempts, "SMTP down")
            .await
            .unwrap();
        // The retry waits for its pause.
        assert!(s.claim_job("w3", 60_000_000).await.unwrap().is_none());
        let st = s
            .jobs_of_kind(&JobKind::from("test.job"), 10)
            .await
            .unwrap();
        assert_eq!(st.len(), 2);
        assert!(st
            .iter()
            .any(|j| j.last_error.as_deref() == Some("SMTP down")));
        // An expired lease is claimed again by another worker.
        s.enqueue(&JobKind::from("test.job"), "3", None, 0)
            .await
            .unwrap();
        let c = s.claim_job("w4", -1).await.unwrap().unwrap();
        let again = s.claim_job("w5", 60_000_000).await.unwrap().unwrap();
        assert_eq!(c.id, again.id);
        assert_eq!(again.attempts, 2);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn demo_appeals_are_resumable_and_searchable() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        assert_eq!(
            s.demo_appeals(1500, |_| {}).await.unwrap(),
            1500,
            "{}",
            db.label
        );
        assert_eq!(s.demo_appeals(1500, |_| {}).await.unwrap(), 0, "idempotent");
        assert_eq!(s.demo_appeals(2000, |_| {}).await.unwrap(), 500, "resumes");
        let all = s
            .list_appeals(&AppealFilter {
                limit: 500,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(all.len(), 500);
        let hits = s
            .list_appeals(&AppealFilter {
                terms: Some(search_terms("счётчика")),
                limit: 500,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(!hits.is_empty() && hits.len() < 500);
        let today = jiff::Zoned::now().date();
        let overdue = s
            .list_appeals(&AppealFilter {
                view: View::Overdue,
                today: Some(today),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(
            !overdue.is_empty(),
            "a working registry has some overdue appeals"
        );
        // A new registration continues after the generated numbers.
        let r = s
            .register_appeal(
                &new_appeal(
                    s.branches().await.unwrap()[0].id,
                    None,
                    "other",
                    "Вопрос",
                    today,
                ),
                None,
                &Actor::default(),
            )
            .await;
        let r = r.unwrap();
        assert!(r.id > 2000);
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_commit_together_and_fail_alone() {
    for db in testing::all().await {
        let s = db.store.clone();
        s.seed_defaults().await.unwrap();
        let branch = s.branches().await.unwrap()[0].id;
        let today = date(2026, 3, 2);
        let mut set = tokio::task::JoinSet::new();
        for i in 0..60 {
            let s = s.clone();
            let mut a = new_appeal(branch, None, "billing", &format!("Обращение {i}"), today);
            if i % 10 == 3 {
                a.data.topic = "no_such_topic".into();
            }
            // Pairs of requests share a key, as a client retrying at once would.
            let key = (i % 10 == 7).then(|| IdemKey::new("bench", format!("k{}", i / 20)));
            set.spawn(async move {
                (
                    i,
                    s.register_appeal(&a, key.as_ref(), &Actor::default()).await,
                )
            });
        }
        let mut ok = Vec::new();
        while let Some(r) = set.join_next().await {
            let (i, r) = r.unwrap();
            match r {
                Ok(reg) => ok.push((i, reg)),
                Err(e) => assert_eq!(i % 10, 3, "{}: only the bad topic fails: {e}", db.label),
            }
        }
        assert_eq!(ok.len(), 54, "{}", db.label);
        let mut numbers: Vec<&str> = ok
            .iter()
            .filter(|(_, r)| !r.replayed)
            .map(|(_, r)| r.number.as_str())
            .collect();
        numbers.sort();
        numbers.dedup();
        let stored = s
            .list_appeals(&AppealFilter {
                limit: 500,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            stored.len(),
            numbers.len(),
            "every acknowledged registration is stored once"
        );
        assert_eq!(stored.len(), 51, "{}: three pairs shared a key", db.label);
        assert_eq!(ok.iter().filter(|(_, r)| r.replayed).count(), 3);
        db.cleanup().await;
    }
}
