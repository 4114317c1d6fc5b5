//! Home visits (CHN-06) on SQLite and PostgreSQL: a request, its assignment to a staff member of
//! the client's branch, a stale version refused, a move and a cancellation told to the client,
//! the result recorded by the staff member sent, the history, the norm setting, the demo month.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use abonent_domain::frontoffice::home_visits::{
    HomeVisitChannel, HomeVisitEvent, HomeVisitOutcome, HomeVisitRequest, HomeVisitStatus,
    Schedule, VisitResult,
};
use abonent_domain::refusal::{HomeVisitRefusal, Refusal};
use abonent_store::audit::Actor;
use abonent_store::frontoffice::home_visits::HomeVisitFilter;
use abonent_store::{testing, Store, StoreError};
use jiff::civil::{date, time};

async fn staff_id(s: &Store, login: &str) -> i64 {
    s.staff_credentials(login).await.unwrap().unwrap().0.id
}

async fn actor(s: &Store, login: &str) -> Actor {
    Actor {
        staff_id: Some(staff_id(s, login).await),
        login: login.into(),
        ip: String::new(),
    }
}

fn refusal(r: Result<impl std::fmt::Debug, StoreError>) -> HomeVisitRefusal {
    match r {
        Err(StoreError::Refused(Refusal::HomeVisit(h))) => h,
        other => panic!("expected a home visit refusal, got {other:?}"),
    }
}

fn request() -> HomeVisitRequest {
    HomeVisitRequest {
        reason: "Заменить прибор учёта".into(),
        preferred_from: Some(date(2026, 3, 18)),
        preferred_to: Some(date(2026, 3, 25)),
        preferred_time: Some("после 14:00".into()),
        contact_phone: Some("9123456789".into()),
        channel: HomeVisitChannel::Phone,
    }
}

async fn notices(s: &Store) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE kind = 'home_visit'")
        .fetch_one(s.pool())
        .await
        .unwrap();
    n
}

#[tokio::test]
async fn a_visit_is_requested_scheduled_moved_and_done_with_a_stale_page_refused() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.seed_demo_staff("not-a-hash").await.unwrap();
        s.demo_accounts(30, |_| {}).await.unwrap();
        // A client reached by e-mail, so notices are queued.
        let (account, client): (i64, i64) = sqlx::query_as(
            "SELECT a.id, a.client_id FROM accounts a JOIN clients c ON c.id = a.client_id
             WHERE c.preferred_channel = 'email' AND c.email IS NOT NULL ORDER BY a.id LIMIT 1",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        let (other,): (i64,) =
            sqlx::query_as("SELECT id FROM accounts WHERE client_id <> $1 ORDER BY id LIMIT 1")
                .bind(client)
                .fetch_one(s.pool())
                .await
                .unwrap();
        let tech = actor(s, "tech").await;
        let head = actor(s, "head").await;
        let today = date(2026, 3, 17);

        // Another client's account is refused.
        assert_eq!(
            refusal(
                s.request_home_visit(client, other, &request(), today, &tech)
                    .await
            ),
            HomeVisitRefusal::NotClientsAccount,
            "{}",
            db.label
        );
        let v = s
            .request_home_visit(client, account, &request(), today, &tech)
            .await
            .unwrap();
        assert_eq!(v.status, HomeVisitStatus::Requested);
        assert_eq!(v.version, 1);
        assert_eq!(v.requested_on, "2026-03-17");
        assert!(!v.address.is_empty());
        assert_eq!(v.contact_phone.as_deref(), Some("9123456789"));
        assert_eq!(notices(s).await, 0);

        // A records clerk does not serve visitors: not sent on a visit.
        let plan = Schedule {
            visit_on: date(2026, 3, 19),
            time_from: time(10, 0, 0, 0),
            time_to: time(12, 0, 0, 0),
            staff_id: staff_id(s, "clerk").await,
            reason: None,
        };
        assert_eq!(
            refusal(s.schedule_home_visit(v.id, 1, &plan, &head).await),
            HomeVisitRefusal::NotAVisitor
        );
        let plan = Schedule {
            staff_id: tech.staff_id.unwrap(),
            ..plan
        };
        let v = s.schedule_home_visit(v.id, 1, &plan, &head).await.unwrap();
        assert_eq!(v.status, HomeVisitStatus::Scheduled);
        assert_eq!(v.version, 2);
        assert_eq!(v.visit_on.as_deref(), Some("2026-03-19"));
        assert_eq!(v.time_from.as_deref(), Some("10:00"));
        assert_eq!(v.staff_name.as_deref(), Some("Егорова Мария Ивановна"));
        assert!(notices(s).await >= 1, "{}: the client is told", db.label);

        // A page shown before that change (version 1) is refused; nothing changes.
        let moved = Schedule {
            visit_on: date(2026, 3, 20),
            reason: Some("болезнь сотрудника".into()),
            ..plan.clone()
        };
        assert_eq!(
            refusal(s.schedule_home_visit(v.id, 1, &moved, &head).await),
            HomeVisitRefusal::Changed
        );
        assert_eq!(
            refusal(
                s.cancel_home_visit(v.id, 1, "клиент передумал", &head)
                    .await
            ),
            HomeVisitRefusal::Changed
        );
        let v = s.schedule_home_visit(v.id, 2, &moved, &head).await.unwrap();
        assert_eq!(v.visit_on.as_deref(), Some("2026-03-20"));
        assert_eq!(v.version, 3);

        // Only the staff member sent records the result (unless allowed to any).
        let done = VisitResult {
            outcome: HomeVisitOutcome::Done,
            note: Some("Прибор учёта заменён".into()),
        };
        let tech2 = actor(s, "tech2").await;
        assert_eq!(
            refusal(
                s.record_home_visit_result(v.id, 3, &done, false, &tech2)
                    .await
            ),
            HomeVisitRefusal::NotYourVisit
        );
        let v = s
            .record_home_visit_result(v.id, 3, &done, false, &tech)
            .await
            .unwrap();
        assert_eq!(v.status, HomeVisitStatus::Completed);
        assert_eq!(v.outcome.as_deref(), Some("done"));
        // A completed visit changes no more.
        assert_eq!(
            refusal(s.cancel_home_visit(v.id, 4, "поздно", &head).await),
            HomeVisitRefusal::Closed
        );

        let h = s.home_visit_history(v.id).await.unwrap();
        let events: Vec<HomeVisitEvent> = h.iter().map(|x| x.event).collect();
        assert_eq!(
            events,
            [
                HomeVisitEvent::Requested,
                HomeVisitEvent::Scheduled,
                HomeVisitEvent::Rescheduled,
                HomeVisitEvent::Completed
            ]
        );
        assert!(h[2].detail.contains("болезнь сотрудника"));

        // A request for a result before a day is assigned, and a cancellation told.
        let w = s
            .request_home_visit(client, account, &request(), today, &tech)
            .await
            .unwrap();
        assert_eq!(
            refusal(
                s.record_home_visit_result(w.id, 1, &done, true, &head)
                    .await
            ),
            HomeVisitRefusal::NotScheduled
        );
        let before = notices(s).await;
        let w = s
            .cancel_home_visit(w.id, 1, "Клиент пришёл в центр сам", &head)
            .await
            .unwrap();
        assert_eq!(w.status, HomeVisitStatus::Cancelled);
        assert!(notices(s).await > before);

        // Lists: per staff member and day, per client, open only.
        let mine = s
            .home_visits(&HomeVisitFilter {
                staff_id: tech.staff_id,
                day: Some(date(2026, 3, 20)),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
        let all = s
            .home_visits(&HomeVisitFilter {
                client_id: Some(client),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(all.len(), 2);
        let open = s
            .home_visits(&HomeVisitFilter {
                open_only: true,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(open.is_empty());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_norm_is_a_setting_and_the_demo_month_is_written_once() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.seed_demo_staff("not-a-hash").await.unwrap();
        s.demo_accounts(400, |_| {}).await.unwrap();
        assert_eq!(s.home_visit_schedule_days().await.unwrap(), 3);
        let head = actor(s, "head").await;
        s.save_home_visit_schedule_days(5, &head).await.unwrap();
        assert_eq!(s.home_visit_schedule_days().await.unwrap(), 5);

        let today = date(2026, 3, 17);
        let n = s.demo_home_visits(today).await.unwrap();
        assert!(n >= 10, "{}: {n} demo visits", db.label);
        assert_eq!(s.demo_home_visits(today).await.unwrap(), 0);
        let all = s.home_visits(&HomeVisitFilter::default()).await.unwrap();
        assert_eq!(all.len(), n);
        assert!(all.iter().all(|v| v.vulnerable == 1));
        for st in HomeVisitStatus::ALL {
            assert!(
                all.iter().any(|v| v.status == *st),
                "{}: no {st:?}",
                db.label
            );
        }
        db.cleanup().await;
    }
}
