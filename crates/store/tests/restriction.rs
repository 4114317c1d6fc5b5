//! Restriction for debt (PAY-04, ПП 354 п. 119): every warning's delivery is recorded, and the
//! restriction waits for the delivery and the warning's term after it. SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use abonent_domain::accounts::AccountNumber;
use abonent_domain::restriction::NewDelivery;
use abonent_domain::tariffs::Period;
use abonent_store::audit::{Actor, AuditFilter};
use abonent_store::restriction::RestrictionCase;
use abonent_store::{testing, Store, StoreError};
use jiff::civil::{date, Date};

/// Accounts 1 and 2 with four months of norm charges unpaid: billing opens a case with a
/// warning for each, in the period 2026-11 (warning issued 01.12.2026, planned pay_by 21.12).
async fn two_debtors(s: &Store) -> (RestrictionCase, RestrictionCase) {
    s.seed_defaults().await.unwrap();
    s.seed_demo_staff("not-a-real-hash").await.unwrap();
    s.demo_accounts(2, |_| {}).await.unwrap();
    let mut cases = Vec::new();
    for serial in [1, 2] {
        let a = s
            .account_by_number(&AccountNumber::from_serial(serial))
            .await
            .unwrap()
            .id;
        sqlx::query(
            "UPDATE accounts SET category = 'urban', residents = 1, rooms = 1, meter_installable = FALSE WHERE id = $1",
        )
        .bind(a)
        .execute(s.pool())
        .await
        .unwrap();
        // Account 1 in Радужный, account 2 in Новоаганск, whatever the demo chose.
        sqlx::query(
            "UPDATE premises SET settlement = $2, street = $3
             WHERE id = (SELECT premises_id FROM accounts WHERE id = $1)",
        )
        .bind(a)
        .bind(if serial == 1 {
            "г. Радужный"
        } else {
            "пгт Новоаганск"
        })
        .bind(if serial == 1 {
            "ул. Ленина"
        } else {
            "ул. Мира"
        })
        .execute(s.pool())
        .await
        .unwrap();
    }
    let mut p = Period::parse("2026-08").unwrap();
    for _ in 0..4 {
        s.bill(p, 10, None, |_, _| {}).await.unwrap();
        p = p.next();
    }
    for serial in [1, 2] {
        let a = s
            .account_by_number(&AccountNumber::from_serial(serial))
            .await
            .unwrap()
            .id;
        let c = s.restriction_cases_of_account(a).await.unwrap();
        assert_eq!(c.len(), 1, "account {serial} has a case");
        assert_eq!(
            (c[0].period.as_str(), c[0].pay_by.as_str()),
            ("2026-11", "2026-12-21")
        );
        cases.push(c[0].clone());
    }
    let second = cases.pop().unwrap();
    (cases.pop().unwrap(), second)
}

async fn staff(s: &Store, login: &str) -> Actor {
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM staff WHERE login = $1")
        .bind(login)
        .fetch_one(s.pool())
        .await
        .unwrap();
    Actor {
        staff_id: Some(id),
        login: login.into(),
        ip: "127.0.0.1".into(),
    }
}

async fn restrict(s: &Store, id: i64, today: Date) -> Result<(), StoreError> {
    let (c, _) = s.restriction_case(id).await.unwrap();
    s.restriction_step(
        id,
        c.version,
        "restricted",
        "акт № 7",
        today,
        &Actor::default(),
    )
    .await
}

fn conflict(r: Result<(), StoreError>) -> String {
    match r {
        Err(StoreError::Refused(m)) => m.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn each_way_of_delivery_is_recorded_with_who_entered_it_and_audited() {
    for db in testing::all().await {
        let l = db.label;
        let s = &db.store;
        let (c, _) = two_debtors(s).await;
        let tech = staff(s, "tech").await;
        s.record_delivery(
            c.id,
            &NewDelivery::Signature {
                on: date(2026, 12, 4),
                by: "Егорова М. И.".into(),
            },
            &tech,
        )
        .await
        .unwrap();
        s.record_invoice_deliveries(&[(c.id, date(2026, 12, 3))], "Курьер Сидоров П. П.", &tech)
            .await
            .unwrap();
        s.record_delivery(
            c.id,
            &NewDelivery::Letter {
                rpo: "62801094123456".into(),
                sent_on: date(2026, 12, 2),
                receipt_on: None,
            },
            &tech,
        )
        .await
        .unwrap();
        s.record_delivery(
            c.id,
            &NewDelivery::Call {
                at: date(2026, 12, 5).at(14, 30, 0, 0),
                by: "Павлов Д. О.".into(),
                phone: "9123456789".into(),
                note: "Сообщил о долге; запись № 17".into(),
            },
            &tech,
        )
        .await
        .unwrap();
        // The first delivery counts: 03.12 + 20 days.
        let c1 = s.restriction_case(c.id).await.unwrap().0;
        assert_eq!(c1.delivered_on.as_deref(), Some("2026-12-03"));
        assert_eq!(c1.pay_by, "2026-12-23");
        s.record_warning_delivery(c.id, "sms", "+7 (912) 345-67-89")
            .await
            .unwrap();
        let d = s.warning_deliveries(c.id).await.unwrap();
        let ways: Vec<&str> = d.iter().map(|x| x.way.code()).collect();
        assert_eq!(
            ways,
            ["signature", "invoice", "letter", "call", "sms"],
            "{l}"
        );
        assert_eq!(d[0].delivered_on.as_deref(), Some("2026-12-04"));
        assert_eq!(d[0].delivered_by, "Егорова М. И.");
        assert_eq!(d[1].delivered_by, "Курьер Сидоров П. П.");
        assert_eq!(d[2].rpo.as_deref(), Some("62801094123456"));
        assert_eq!(d[2].sent_on.as_deref(), Some("2026-12-02"));
        assert_eq!(d[2].delivered_on, None, "no receipt yet");
        assert_eq!(d[3].called_at.as_deref(), Some("2026-12-05T14:30"));
        assert_eq!(d[3].phone.as_deref(), Some("9123456789"));
        assert_eq!(d[3].delivered_on.as_deref(), Some("2026-12-05"));
        assert_eq!(d[4].recipient.as_deref(), Some("+7 (912) 345-67-89"));
        assert!(d[4].delivered_on.is_some(), "the outbox dates its delivery");
        assert_eq!(d[4].entered_by_login, None, "the outbox entered it");
        for x in &d[..4] {
            assert_eq!(x.entered_by_login.as_deref(), Some("tech"), "{l}");
            assert!(x.entered_at > 0);
        }
        // The outbox's delivery is still a step of the case.
        let (c2, steps) = s.restriction_case(c.id).await.unwrap();
        assert!(steps.iter().any(|x| x.step == "warning_delivered"));
        // The SMS is dated today by the clock: the earlier of it and 03.12 counts.
        let sms_on = d[4].delivered_on.clone().unwrap();
        let first = sms_on.as_str().min("2026-12-03");
        assert_eq!(c2.delivered_on.as_deref(), Some(first), "{l}");
        let audit = s
            .audit_entries(&AuditFilter {
                object_kind: Some("account".into()),
                object_id: Some(c.account_id.to_string()),
                actor_login: None,
                limit: 100,
            })
            .await
            .unwrap();
        let n = audit
            .iter()
            .filter(|a| a.action == "restriction.delivery")
            .count();
        assert_eq!(n, 5, "{l}: every record audited");
        // A closed case records nothing more.
        sqlx::query("UPDATE restriction_cases SET open = FALSE, status = 'closed' WHERE id = $1")
            .bind(c.id)
            .execute(s.pool())
            .await
            .unwrap();
        let r = s
            .record_delivery(
                c.id,
                &NewDelivery::Signature {
                    on: date(2026, 12, 6),
                    by: "Егорова М. И.".into(),
                },
                &tech,
            )
            .await;
        assert!(matches!(r, Err(StoreError::Refused(_))), "{r:?}");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn restriction_waits_for_a_delivery_and_twenty_days_after_it() {
    for db in testing::all().await {
        let l = db.label;
        let s = &db.store;
        let (c, _) = two_debtors(s).await;
        let tech = staff(s, "tech").await;
        // No delivery: refused even long after the date planned in the invoice.
        let m = conflict(restrict(s, c.id, date(2027, 2, 1)).await);
        assert!(m.contains("не записано"), "{l}: {m}");
        // A registered letter without its return receipt does not start the term.
        s.record_delivery(
            c.id,
            &NewDelivery::Letter {
                rpo: "62801094123456".into(),
                sent_on: date(2026, 12, 2),
                receipt_on: None,
            },
            &tech,
        )
        .await
        .unwrap();
        let m = conflict(restrict(s, c.id, date(2027, 2, 1)).await);
        assert!(m.contains("не записано"), "{l}: {m}");
        assert_eq!(s.restriction_case(c.id).await.unwrap().0.delivered_on, None);
        // The same letter twice without a receipt is refused; with its receipt it completes.
        let again = s
            .record_delivery(
                c.id,
                &NewDelivery::Letter {
                    rpo: "62801094123456".into(),
                    sent_on: date(2026, 12, 2),
                    receipt_on: None,
                },
                &tech,
            )
            .await;
        assert!(matches!(again, Err(StoreError::Refused(_))), "{again:?}");
        let before = s.restriction_case(c.id).await.unwrap().0.version;
        s.record_delivery(
            c.id,
            &NewDelivery::Letter {
                rpo: "62801094123456".into(),
                sent_on: date(2026, 12, 2),
                receipt_on: Some(date(2026, 12, 5)),
            },
            &tech,
        )
        .await
        .unwrap();
        let d = s.warning_deliveries(c.id).await.unwrap();
        assert_eq!(d.len(), 1, "{l}: the receipt completes the letter's record");
        let case = s.restriction_case(c.id).await.unwrap().0;
        assert_eq!(case.delivered_on.as_deref(), Some("2026-12-05"));
        assert_eq!(case.pay_by, "2026-12-25", "{l}: 05.12 + 20 days");
        assert!(case.version > before, "a new term is a change of the case");
        // Day 19 and day 20 after the receipt: refused; day 21: allowed.
        for day in [24, 25] {
            let m = conflict(restrict(s, c.id, date(2026, 12, day)).await);
            assert!(m.contains("до 25.12.2026 включительно"), "{l}: {m}");
            assert!(m.contains("с 26.12.2026"), "{l}: {m}");
        }
        restrict(s, c.id, date(2026, 12, 26)).await.unwrap();
        let (case, _) = s.restriction_case(c.id).await.unwrap();
        assert_eq!(case.status.code(), "restricted", "{l}");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_first_delivery_counts_even_when_entered_later() {
    for db in testing::all().await {
        let s = &db.store;
        let (c, _) = two_debtors(s).await;
        let tech = staff(s, "cashier").await;
        s.record_delivery(
            c.id,
            &NewDelivery::Signature {
                on: date(2026, 12, 10),
                by: "Григорьева А. Ю.".into(),
            },
            &tech,
        )
        .await
        .unwrap();
        assert_eq!(
            s.restriction_case(c.id).await.unwrap().0.pay_by,
            "2026-12-30"
        );
        // A call made earlier, entered afterwards: the term runs from the call.
        s.record_delivery(
            c.id,
            &NewDelivery::Call {
                at: date(2026, 12, 3).at(9, 15, 0, 0),
                by: "Григорьева А. Ю.".into(),
                phone: "9123456789".into(),
                note: "Запись разговора № 3".into(),
            },
            &tech,
        )
        .await
        .unwrap();
        assert_eq!(
            s.restriction_case(c.id).await.unwrap().0.pay_by,
            "2026-12-23"
        );
        assert!(restrict(s, c.id, date(2026, 12, 23)).await.is_err());
        restrict(s, c.id, date(2026, 12, 24)).await.unwrap();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_delivery_list_holds_a_districts_warnings_awaiting_delivery() {
    for db in testing::all().await {
        let l = db.label;
        let s = &db.store;
        let (c1, c2) = two_debtors(s).await;
        let tech = staff(s, "tech").await;
        let list = s.delivery_list("г. Радужный").await.unwrap();
        assert_eq!(
            list.iter().map(|r| r.case_id).collect::<Vec<_>>(),
            [c1.id],
            "{l}"
        );
        assert_eq!(list[0].account_number, c1.account_number);
        assert!(
            list[0].address().starts_with("ул. Ленина, д. "),
            "{}",
            list[0].address()
        );
        assert!(!list[0].client_name().is_empty());
        assert_eq!(list[0].debt, c1.debt);
        let towns = s.delivery_settlements().await.unwrap();
        assert_eq!(
            towns,
            [
                ("г. Радужный".to_owned(), 1),
                ("пгт Новоаганск".to_owned(), 1)
            ]
        );
        // A letter on its way keeps the warning on the list; a delivered invoice removes it.
        s.record_delivery(
            c1.id,
            &NewDelivery::Letter {
                rpo: "62801094123456".into(),
                sent_on: date(2026, 12, 2),
                receipt_on: None,
            },
            &tech,
        )
        .await
        .unwrap();
        assert_eq!(s.delivery_list("г. Радужный").await.unwrap().len(), 1);
        s.record_invoice_deliveries(
            &[(c1.id, date(2026, 12, 4)), (c2.id, date(2026, 12, 5))],
            "Курьер Сидоров П. П.",
            &tech,
        )
        .await
        .unwrap();
        assert!(s.delivery_list("г. Радужный").await.unwrap().is_empty());
        assert!(s.delivery_settlements().await.unwrap().is_empty());
        assert_eq!(
            s.restriction_case(c2.id).await.unwrap().0.pay_by,
            "2026-12-25"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_demo_records_every_way_of_delivery_once() {
    for db in testing::all().await {
        let l = db.label;
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.seed_demo_staff("not-a-real-hash").await.unwrap();
        s.demo_accounts(8, |_| {}).await.unwrap();
        sqlx::query(
            "UPDATE accounts SET category = 'urban', residents = 1, rooms = 1, meter_installable = FALSE",
        )
        .execute(s.pool())
        .await
        .unwrap();
        let mut p = Period::parse("2026-05").unwrap();
        for _ in 0..4 {
            s.bill(p, 10, None, |_, _| {}).await.unwrap();
            p = p.next();
        }
        let cases = s.restriction_cases(true, 100).await.unwrap();
        assert_eq!(cases.len(), 8, "{l}");
        let n = s.demo_warning_deliveries(date(2026, 12, 1)).await.unwrap();
        assert_eq!(n, 5, "{l}");
        let mut ways = Vec::new();
        for c in &cases {
            for d in s.warning_deliveries(c.id).await.unwrap() {
                ways.push((d.way.code().to_owned(), d.delivered_on.is_some()));
            }
        }
        ways.sort();
        let want: Vec<(String, bool)> = [
            ("call", true),
            ("invoice", true),
            ("letter", false),
            ("letter", true),
            ("signature", true),
        ]
        .iter()
        .map(|(w, d)| ((*w).to_owned(), *d))
        .collect();
        assert_eq!(ways, want, "{l}");
        assert_eq!(
            s.delivery_settlements()
                .await
                .unwrap()
                .iter()
                .map(|x| x.1)
                .sum::<i64>(),
            4,
            "{l}: three await delivery, one letter its receipt"
        );
        // Again: nothing more.
        assert_eq!(
            s.demo_warning_deliveries(date(2026, 12, 1)).await.unwrap(),
            0
        );
        db.cleanup().await;
    }
}
