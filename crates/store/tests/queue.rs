//! The hall's electronic queue (CHN-01) on SQLite and PostgreSQL: windows calling at once,
//! tickets numbered per service and day, transfers keeping their place, the norms report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use std::collections::HashSet;

use abonent_domain::frontoffice::queue::{CallOutcome, Finish, ServiceLevel, VisitResult};
use abonent_domain::refusal::{QueueRefusal, Refusal};
use abonent_store::audit::Actor;
use abonent_store::frontoffice::queue::{QueueService, Seat};
use abonent_store::{testing, Store, StoreError};
use jiff::civil::date;

async fn staff_id(s: &Store, login: &str) -> i64 {
    s.staff_credentials(login).await.unwrap().unwrap().0.id
}

fn service<'a>(list: &'a [QueueService], letter: &str) -> &'a QueueService {
    list.iter().find(|s| s.letter == letter).unwrap()
}

fn actor(id: i64) -> Actor {
    Actor {
        staff_id: Some(id),
        login: "t".into(),
        ip: String::new(),
    }
}

async fn setup(s: &Store) -> (i64, Vec<QueueService>) {
    s.seed_defaults().await.unwrap();
    s.seed_demo_staff("not-a-hash").await.unwrap();
    let centre = s.centres().await.unwrap()[0].id;
    let services = s.queue_services(centre).await.unwrap();
    (centre, services)
}

/// Four windows call at once, round after round, until the queue is empty: every ticket is
/// called exactly once and no two windows ever hold the same ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn windows_calling_at_once_never_share_a_ticket() {
    for db in testing::all().await {
        let s = &db.store;
        let (centre, services) = setup(s).await;
        let r = service(&services, "Р").id;
        let day = date(2026, 12, 2);
        let mut taken = Vec::new();
        for _ in 0..24 {
            taken.push(s.take_ticket(centre, r, None, None, day).await.unwrap());
        }
        // Numbers run 1..=24 for the letter and the day.
        assert_eq!(taken[0].ticket.label, "Р-001", "{}", db.label);
        assert_eq!(taken[23].ticket.label, "Р-024");
        assert_eq!(taken[23].ahead, 23);
        let mut seats = Vec::new();
        for (i, login) in ["tech", "cashier", "sales", "head"].iter().enumerate() {
            let id = staff_id(s, login).await;
            let seat = Seat {
                centre_id: centre,
                window_label: format!("{}", i + 1),
                services: vec![r],
            };
            s.set_queue_seat(id, centre, &seat.window_label, &seat.services)
                .await
                .unwrap();
            seats.push((id, seat));
        }
        let mut called = Vec::new();
        loop {
            let mut handles = Vec::new();
            for (id, seat) in &seats {
                let (s, id, seat) = (s.clone(), *id, seat.clone());
                handles.push(tokio::spawn(
                    async move { (id, s.call_next(id, &seat).await) },
                ));
            }
            let mut round = Vec::new();
            for h in handles {
                let (id, r) = h.await.unwrap();
                if let Some(t) = r.unwrap() {
                    assert_eq!(t.staff_id, Some(id));
                    round.push((id, t.id));
                }
            }
            if round.is_empty() {
                break;
            }
            for (id, t) in &round {
                s.release_ticket(*t, *id, CallOutcome::NoShow)
                    .await
                    .unwrap();
            }
            called.extend(round.into_iter().map(|(_, t)| t));
        }
        let unique: HashSet<_> = called.iter().collect();
        assert_eq!(called.len(), 24, "{}: every ticket called", db.label);
        assert_eq!(unique.len(), 24, "{}: no ticket called twice", db.label);
        // Called in the order taken, four at a time.
        let first_four: HashSet<_> = called[..4].iter().collect();
        let expect: HashSet<_> = taken[..4].iter().map(|t| &t.ticket.id).collect();
        assert_eq!(first_four, expect);
    }
}

/// The escalation technician → head of sales: a transfer keeps the ticket's place (it goes
/// before tickets taken later), the calls record wait and service times against the norm of
/// each level, and a window holds one visitor at a time.
#[tokio::test]
async fn a_transfer_keeps_its_place_and_the_norms_are_measured_per_level() {
    for db in testing::all().await {
        let s = &db.store;
        let (centre, services) = setup(s).await;
        let (r, n) = (service(&services, "Р").id, service(&services, "Н").id);
        assert_eq!(service(&services, "Н").level, ServiceLevel::HeadOfSales);
        let day = date(2026, 12, 2);
        let first = s
            .take_ticket(centre, r, None, None, day)
            .await
            .unwrap()
            .ticket;
        let tech = staff_id(s, "tech").await;
        let sales = staff_id(s, "sales").await;
        let tech_seat = Seat {
            centre_id: centre,
            window_label: "1".into(),
            services: vec![r],
        };
        let sales_seat = Seat {
            centre_id: centre,
            window_label: "5".into(),
            services: vec![n],
        };
        let t = s.call_next(tech, &tech_seat).await.unwrap().unwrap();
        assert_eq!(t.id, first.id);
        // One visitor at a time.
        match s.call_next(tech, &tech_seat).await {
            Err(StoreError::Refused(Refusal::Queue(QueueRefusal::AlreadyServing(l)))) => {
                assert_eq!(l, "Р-001");
            }
            other => panic!("{}: {other:?}", db.label),
        }
        // Someone else cannot act on it.
        assert!(matches!(
            s.recall_ticket(t.id, sales).await,
            Err(StoreError::Refused(Refusal::Queue(
                QueueRefusal::TicketChanged
            )))
        ));
        // A visitor for the head of sales directly, taken after the first.
        let later = s
            .take_ticket(centre, n, None, None, day)
            .await
            .unwrap()
            .ticket;
        assert_eq!(later.label, "Н-001");
        s.transfer_ticket(t.id, tech, n).await.unwrap();
        // The transferred ticket is called first: its place is the time it was first taken.
        let at_sales = s.call_next(sales, &sales_seat).await.unwrap().unwrap();
        assert_eq!(at_sales.id, first.id, "{}", db.label);
        assert_eq!(at_sales.label, "Р-001");
        let done = s
            .finish_ticket(
                at_sales.id,
                &Finish {
                    result: VisitResult::Resolved,
                    topic: "Перерасчёт".into(),
                    client_id: None,
                    account: None,
                    promised_on: None,
                    redirected_to: None,
                    note: None,
                },
                &actor(sales),
            )
            .await
            .unwrap();
        assert_eq!(done.status.code(), "done");
        // Finishing twice is refused.
        assert!(s
            .release_ticket(at_sales.id, sales, CallOutcome::Returned)
            .await
            .is_err());
        let norms = s.queue_norms(Some(centre), 0, i64::MAX).await.unwrap();
        let levels: Vec<_> = norms
            .iter()
            .map(|n| (n.level, n.receptions, n.within))
            .collect();
        assert_eq!(
            levels,
            vec![
                (ServiceLevel::HeadOfSales, 1, 1),
                (ServiceLevel::Technician, 1, 1)
            ],
            "{}",
            db.label
        );
        let visits = s.queue_visits(Some(centre), 0, i64::MAX, 10).await.unwrap();
        let v = visits.iter().find(|v| v.ticket_id == first.id).unwrap();
        assert_eq!(v.result.as_deref(), Some("resolved"));
        assert!(v.wait.is_some() && v.service.is_some());
        // The other centre's journal is empty; the later ticket still waits.
        assert_eq!(
            s.queue_board(centre)
                .await
                .unwrap()
                .waiting
                .iter()
                .map(|w| w.waiting)
                .sum::<i64>(),
            1
        );
    }
}

/// A window that crashed mid-call finds its ticket again after a restart (a new store on the
/// same database) and can return it to its place; the next day numbers start again.
#[tokio::test]
async fn a_called_ticket_survives_a_restart_and_returns_to_its_place() {
    for db in testing::all().await {
        let s = &db.store;
        let (centre, services) = setup(s).await;
        let r = service(&services, "Р").id;
        let a = s
            .take_ticket(centre, r, None, None, date(2026, 12, 2))
            .await
            .unwrap()
            .ticket;
        let b = s
            .take_ticket(centre, r, None, None, date(2026, 12, 2))
            .await
            .unwrap()
            .ticket;
        let tech = staff_id(s, "tech").await;
        s.set_queue_seat(tech, centre, "2", &[r]).await.unwrap();
        let seat = s.queue_seat(tech).await.unwrap().unwrap();
        assert_eq!(seat.services, vec![r]);
        s.call_next(tech, &seat).await.unwrap().unwrap();
        let again = Store::connect(&db.url, 2).await.unwrap();
        let cur = again.current_ticket(tech).await.unwrap().unwrap();
        assert_eq!(cur.id, a.id);
        again
            .release_ticket(a.id, tech, CallOutcome::Returned)
            .await
            .unwrap();
        // Back at its place: called before the later ticket.
        let next = again.call_next(tech, &seat).await.unwrap().unwrap();
        assert_eq!(next.id, a.id, "{}", db.label);
        assert_ne!(next.id, b.id);
        // A new day starts the numbers again.
        let c = s
            .take_ticket(centre, r, None, None, date(2026, 12, 3))
            .await
            .unwrap()
            .ticket;
        assert_eq!(c.label, "Р-001");
        // A seat needs a known service and a window.
        assert!(s.set_queue_seat(tech, centre, "2", &[]).await.is_err());
        assert!(s.set_queue_seat(tech, centre, " ", &[r]).await.is_err());
        assert!(s
            .set_queue_seat(tech, centre, "2", &[999_999])
            .await
            .is_err());
        again.close().await;
    }
}

fn new_booking(
    centre: i64,
    service: i64,
    slot_start: i64,
    name: &str,
) -> abonent_store::frontoffice::booking::NewBooking {
    abonent_store::frontoffice::booking::NewBooking {
        centre_id: centre,
        service_id: service,
        day: date(2026, 12, 3),
        slot_start,
        slot_minutes: 15,
        channel: abonent_domain::frontoffice::booking::BookingChannel::Phone,
        name: name.into(),
        phone: Some("+7 912 000-00-01".into()),
        email: None,
        account: None,
        client_id: None,
        portal_user_id: None,
        random: 42,
    }
}

/// Two clients booking the last seat of a slot at once: exactly one gets it; a cancellation
/// frees it; the booked visitor checks in with the code and, once the time has come, is
/// called before walk-ins who came earlier; the reminder is queued once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_last_slot_goes_to_exactly_one_client_and_a_booked_visitor_is_called_at_the_time() {
    for db in testing::all().await {
        let s = &db.store;
        let (centre, services) = setup(s).await;
        let r = service(&services, "Р").id;
        let slot = 1_000_000_000_000; // long past: the booked ticket's time has come
        let actor = Actor::default();
        let mut handles = Vec::new();
        for i in 0..6 {
            let mut b = new_booking(centre, r, slot, &format!("Клиент {i}"));
            b.phone = Some(format!("+7 (912) 000-10-{i:02}"));
            let (s, a) = (s.clone(), actor.clone());
            handles.push(tokio::spawn(async move { s.book_visit(&b, &a).await }));
        }
        let mut won = Vec::new();
        for h in handles {
            match h.await.unwrap() {
                Ok(b) => won.push(b),
                Err(StoreError::Refused(Refusal::Queue(QueueRefusal::SlotTaken))) => {}
                Err(e) => panic!("{}: {e:?}", db.label),
            }
        }
        assert_eq!(won.len(), 1, "{}: one booking of the one seat", db.label);
        let first = won.remove(0);
        // Cancelled: the seat is free again, and a cancelled booking cannot be cancelled twice.
        s.cancel_booking(first.id, &actor).await.unwrap();
        assert!(s.cancel_booking(first.id, &actor).await.is_err());
        let b = s
            .book_visit(&new_booking(centre, r, slot, "Иванова"), &actor)
            .await
            .unwrap();
        assert_ne!(b.code, first.code, "codes differ within a day");
        // One booking a person, centre and day: the same phone is the same person.
        let again = new_booking(centre, r, slot + 900_000_000, "Иванова М.");
        assert!(
            matches!(
                s.book_visit(&again, &actor).await,
                Err(StoreError::Refused(Refusal::Queue(
                    QueueRefusal::AlreadyBooked
                )))
            ),
            "{}",
            db.label
        );
        // A walk-in took a ticket before the booked visitor checks in.
        let day = date(2026, 12, 3);
        let walk_in = s
            .take_ticket(centre, r, None, None, day)
            .await
            .unwrap()
            .ticket;
        assert!(matches!(
            s.check_in(centre, "000", day, None).await,
            Err(StoreError::Refused(Refusal::Queue(
                QueueRefusal::BookingNotFound
            )))
        ));
        let booked = s.check_in(centre, &b.code, day, None).await.unwrap().ticket;
        assert_eq!(booked.booking_id, Some(b.id));
        // The code works once.
        assert!(s.check_in(centre, &b.code, day, None).await.is_err());
        let tech = staff_id(s, "tech").await;
        let seat = Seat {
            centre_id: centre,
            window_label: "1".into(),
            services: vec![r],
        };
        let called = s.call_next(tech, &seat).await.unwrap().unwrap();
        assert_eq!(
            called.id, booked.id,
            "{}: the booked visitor first",
            db.label
        );
        s.release_ticket(called.id, tech, CallOutcome::NoShow)
            .await
            .unwrap();
        assert_eq!(
            s.call_next(tech, &seat).await.unwrap().unwrap().id,
            walk_in.id
        );
        // Reminders: a booking of the day with a phone gets one SMS, however often it runs.
        let later = s
            .book_visit(
                &new_booking(centre, r, slot + 900_000_000, "Петров"),
                &actor,
            )
            .await
            .unwrap();
        let tz = jiff::tz::TimeZone::UTC;
        assert_eq!(
            s.queue_booking_reminders(day, &tz).await.unwrap(),
            1,
            "{}",
            db.label
        );
        assert_eq!(s.queue_booking_reminders(day, &tz).await.unwrap(), 0);
        assert_eq!(s.booking(later.id).await.unwrap().status.code(), "booked");
    }
}

/// The demo's hall: a month of visits with norms to measure, visitors waiting today and
/// bookings ahead; written once.
#[tokio::test]
async fn the_demo_hall_has_a_month_to_show_and_is_written_once() {
    for db in testing::all().await {
        let s = &db.store;
        let (centre, _) = setup(s).await;
        s.demo_accounts(20, |_| {}).await.unwrap();
        let tz = jiff::tz::TimeZone::get("Asia/Yekaterinburg").unwrap();
        let today = date(2026, 12, 2);
        let n = s.demo_queue(today, &tz).await.unwrap();
        assert!(n > 300, "{}: {n}", db.label);
        assert_eq!(s.demo_queue(today, &tz).await.unwrap(), 0, "written once");
        let norms = s.queue_norms(Some(centre), 0, i64::MAX).await.unwrap();
        let levels: HashSet<_> = norms.iter().map(|n| n.level).collect();
        assert!(
            levels.contains(&ServiceLevel::Technician)
                && levels.contains(&ServiceLevel::HeadOfSales)
        );
        let tech = norms
            .iter()
            .find(|n| n.level == ServiceLevel::Technician)
            .unwrap();
        assert!(
            tech.within < tech.receptions,
            "some receptions over the norm"
        );
        assert!(tech.within * 2 > tech.receptions, "most within it");
        let board = s.queue_board(centre).await.unwrap();
        assert_eq!(
            board.waiting.iter().map(|w| w.waiting).sum::<i64>(),
            6,
            "{}",
            db.label
        );
        let ahead = s
            .bookings_of_day(Some(centre), date(2026, 12, 3))
            .await
            .unwrap();
        assert_eq!(ahead.len(), 3);
        // Today's numbers continue after the demo's.
        let r = s
            .queue_services(centre)
            .await
            .unwrap()
            .into_iter()
            .find(|x| x.letter == "Р")
            .unwrap();
        let t = s
            .take_ticket(centre, r.id, None, None, today)
            .await
            .unwrap();
        assert_eq!(t.ticket.label, "Р-004");
    }
}
