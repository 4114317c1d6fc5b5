//! Billing runs, payments, registries and restriction on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use abonent_domain::accounts::AccountNumber;
use abonent_domain::metering::MeterDraft;
use abonent_domain::money::{Kopecks, Wh};
use abonent_domain::payments::registry::{
    parse, ParseRules, PaymentLimits, RegistryLayout, RegistryRow,
};
use abonent_domain::tariffs::Period;
use abonent_store::audit::Actor;
use abonent_store::billing::RunOutcome;
use abonent_store::metering::NewReading;
use abonent_store::{testing, Store, StoreError};
use jiff::civil::date;

fn p(s: &str) -> Period {
    Period::parse(s).unwrap()
}

fn rules() -> ParseRules {
    ParseRules {
        limits: PaymentLimits::default(),
        today: date(2026, 12, 1),
    }
}

async fn account_id(s: &Store, serial: u32) -> i64 {
    s.account_by_number(&AccountNumber::from_serial(serial))
        .await
        .unwrap()
        .id
}

async fn meter(s: &Store, account: i64, zones: &str, initial: &str) -> i64 {
    let data = MeterDraft {
        serial: format!("M{account}"),
        zones: zones.into(),
        digits: "6".into(),
        installed_on: "2025-01-01".into(),
        verified_on: "2025-01-01".into(),
        interval_years: "16".into(),
        initial: initial.into(),
        ..Default::default()
    }
    .validate(date(2026, 11, 26))
    .unwrap();
    s.create_meter(account, &data, &Actor::default())
        .await
        .unwrap()
}

async fn reading(
    s: &Store,
    meter: i64,
    last: Option<i64>,
    (kwh, used): (&[i64], &[i64]),
    period: &str,
) -> i64 {
    s.add_reading(
        meter,
        last,
        &NewReading {
            values: kwh.to_vec(),
            consumption: used.iter().map(|k| Wh::from_kwh(*k)).collect(),
            held: false,
            note: String::new(),
            channel: "phone".into(),
            period: period.into(),
        },
        &Actor::default(),
    )
    .await
    .unwrap()
}

/// Makes an account's facts known: residents, rooms, category and whether a meter can be
/// installed.
async fn facts(s: &Store, id: i64, category: &str, residents: i64, rooms: i64, installable: bool) {
    sqlx::query(
        "UPDATE accounts SET category = $2, residents = $3, rooms = $4, meter_installable = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(category)
    .bind(residents)
    .bind(rooms)
    .bind(installable)
    .execute(s.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn billing_rules_order_and_closed_periods() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(4, |_| {}).await.unwrap();
        let (a1, a2, a3) = (
            account_id(s, 1).await,
            account_id(s, 2).await,
            account_id(s, 3).await,
        );
        for a in [a1, a2, a3] {
            facts(s, a, "urban", 2, 1, a != a3).await;
        }
        let m1 = meter(s, a1, "2", "100,50").await;
        reading(s, m1, None, (&[120, 60], &[20, 10]), "2026-09").await;

        let out = s.bill(p("2026-09"), 2, None, |_, _| {}).await.unwrap();
        assert!(
            matches!(
                out,
                RunOutcome::Closed {
                    accounts: 4,
                    resumed: false,
                    ..
                }
            ),
            "{}: {out:?}",
            db.label
        );
        // Readings by zone: 20 kWh day at 3,44 + 10 kWh night at 1,93.
        let (inv, lines) = s.invoice(a1, p("2026-09")).await.unwrap();
        assert_eq!(inv.charged, 20 * 344 + 10 * 193);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].zone, "день");
        assert!(lines[0].clause.contains("формула 1"));
        assert_eq!(inv.due_on, "2026-10-15");
        // No meter where one can be installed: norm 143 kWh × 2 × 1,5 … the 1-room norm for two
        // residents is 89 kWh: 89 × 2 × 1,5 = 267 kWh at 3,12.
        let (inv2, lines2) = s.invoice(a2, p("2026-09")).await.unwrap();
        assert_eq!(lines2[0].rule, "increased_norm");
        assert_eq!(inv2.charged, 267 * 312);
        let (inv3, lines3) = s.invoice(a3, p("2026-09")).await.unwrap();
        assert_eq!(lines3[0].rule, "norm");
        assert_eq!(inv3.charged, 178 * 312);

        // Twice: nothing changes.
        let again = s.bill(p("2026-09"), 2, None, |_, _| {}).await.unwrap();
        assert!(
            matches!(again, RunOutcome::AlreadyClosed { accounts: 4, .. }),
            "{again:?}"
        );
        // Out of order: refused with the reason.
        match s.bill(p("2026-11"), 2, None, |_, _| {}).await {
            Err(StoreError::Refused(m)) => assert!(m.to_string().contains("2026-10"), "{m}"),
            other => panic!("{other:?}"),
        }
        match s.bill(p("2026-08"), 2, None, |_, _| {}).await {
            Err(StoreError::Refused(m)) => assert!(m.to_string().contains("закрыт"), "{m}"),
            other => panic!("{other:?}"),
        }
        // A tariff for a billed period is refused.
        let mut t = s.tariffs().await.unwrap()[0].clone();
        t.valid_from = "2026-09".into();
        assert!(matches!(
            s.save_tariff(&t, &Actor::default()).await,
            Err(StoreError::Refused(_))
        ));

        // A late September reading and a payment dated September count in October.
        let last = s.meter(m1).await.unwrap().last_reading_id;
        reading(s, m1, last, (&[150, 70], &[30, 10]), "2026-09").await;
        let rs = s.readings_of_meter(m1, 1).await.unwrap();
        assert_eq!(rs[0].period, "2026-10");
        let pay = s
            .take_payment(
                a1,
                Kopecks(10_000),
                date(2026, 9, 30),
                "",
                &Actor::default(),
            )
            .await
            .unwrap();
        assert_eq!(s.payment(pay).await.unwrap().period, "2026-10");
        // Closed September is untouched.
        let (inv_again, _) = s.invoice(a1, p("2026-09")).await.unwrap();
        assert_eq!(inv_again.charged, inv.charged);

        // Meter without readings in October: the average needs three months → the norm (п. 60)
        // would apply, but the late reading is there: 30 + 10 kWh.
        s.bill(p("2026-10"), 3, None, |_, _| {}).await.unwrap();
        let (oct, _) = s.invoice(a1, p("2026-10")).await.unwrap();
        assert_eq!(oct.opening, inv.closing);
        assert_eq!(oct.paid, 10_000);
        assert_eq!(oct.charged, 30 * 344 + 10 * 193);
        assert_eq!(oct.closing, inv.closing + oct.charged - 10_000);

        // Balance and debt at dates (PAY-02).
        let b = s.balance_at(a1, date(2026, 10, 20)).await.unwrap();
        assert_eq!(b.last_period.as_deref(), Some("2026-09"));
        assert_eq!(b.balance, inv.closing - 10_000);
        assert_eq!(b.overdue, 0, "September's 49,90 ₽ minus 100 ₽ paid");
        let b = s.balance_at(a3, date(2026, 10, 20)).await.unwrap();
        assert_eq!(b.overdue, inv3.charged, "due 15.10, unpaid");
        let b = s.balance_at(a3, date(2026, 10, 15)).await.unwrap();
        assert_eq!(b.overdue, 0, "the due day itself is not late");
        assert_eq!(s.invoices_of_account(a3).await.unwrap().len(), 2);
        db.cleanup().await;
    }
}

async fn summary(s: &Store, period: &str) -> Vec<(i64, i64, i64, String)> {
    sqlx::query_as(
        "SELECT account_id, charged, closing, lines FROM invoices WHERE period = $1 ORDER BY account_id",
    )
    .bind(period)
    .fetch_all(s.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn an_interrupted_run_finishes_without_duplicates_or_gaps() {
    // The reference: one uninterrupted run.
    let reference = testing::sqlite().await;
    reference.store.seed_defaults().await.unwrap();
    reference.store.demo_accounts(23, |_| {}).await.unwrap();
    reference
        .store
        .bill(p("2026-10"), 100, None, |_, _| {})
        .await
        .unwrap();
    let want = summary(&reference.store, "2026-10").await;
    assert_eq!(want.len(), 23);
    reference.cleanup().await;

    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(23, |_| {}).await.unwrap();
        let out = s.bill(p("2026-10"), 5, Some(2), |_, _| {}).await.unwrap();
        assert_eq!(out, RunOutcome::Stopped { billed: 10 });
        // Payments and readings arriving meanwhile wait for the next period.
        assert_eq!(
            s.open_period(p("2026-10")).await.unwrap(),
            p("2026-11"),
            "{}",
            db.label
        );
        let mut seen = Vec::new();
        let out = s
            .bill(p("2026-10"), 5, None, |done, total| {
                seen.push((done, total))
            })
            .await
            .unwrap();
        assert!(
            matches!(
                out,
                RunOutcome::Closed {
                    accounts: 23,
                    resumed: true,
                    ..
                }
            ),
            "{out:?}"
        );
        assert_eq!(
            seen.first(),
            Some(&(10, 23)),
            "resumes after the committed chunks"
        );
        assert_eq!(seen.last(), Some(&(23, 23)));
        assert_eq!(summary(s, "2026-10").await, want, "{}", db.label);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn registry_import_is_idempotent_and_queues_unknown_accounts() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(3, |_| {}).await.unwrap();
        let a1 = account_id(s, 1).await;
        let n1 = AccountNumber::from_serial(1).to_string();
        let n2 = AccountNumber::from_serial(2).to_string();
        let text = format!(
            "25-11-2026;10:15:00;8002;1;{n1};Иванов И. И.;Радужный;112026;1234.56;0;7001\r\n\
             26-11-2026;11:00:00;8002;1;{n2};Петрова А. А.;Радужный;112026;100,00;0;7002\r\n\
             26-11-2026;11:05:00;8002;1;999999999;Неизвестный;Радужный;112026;50.00;0;7003\r\n\
             =3;1384.56;0;1384.56\r\n"
        );
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&text);
        let layout = RegistryLayout::defaults().remove(0);
        let rows = parse(&bytes, &layout, &rules()).unwrap();
        let first = s
            .import_registry("sber", "reestr.txt", &bytes, &rows, &Actor::default())
            .await
            .unwrap();
        assert_eq!(
            (
                first.already_imported,
                first.rows,
                first.matched,
                first.unmatched,
                first.total
            ),
            (false, 3, 2, 1, 138_456),
            "{}",
            db.label
        );
        let again = s
            .import_registry("sber", "копия.txt", &bytes, &rows, &Actor::default())
            .await
            .unwrap();
        assert!(again.already_imported);
        assert_eq!(again.registry_id, first.registry_id);
        let paid = s.payments_of_account(a1, 10).await.unwrap();
        assert_eq!(paid.len(), 1);
        assert_eq!(
            (
                paid[0].amount,
                paid[0].period.as_str(),
                paid[0].paid_on.as_str(),
                paid[0].payer.as_str()
            ),
            (123_456, "2026-11", "2026-11-25", "Иванов И. И.")
        );
        let queue = s.unmatched_payments(10).await.unwrap();
        assert_eq!(queue.len(), 1);
        assert_eq!(queue[0].account_text, "999999999");
        assert_eq!(queue[0].line_no, 3);
        let payment = s
            .resolve_unmatched(queue[0].id, a1, &Actor::default())
            .await
            .unwrap();
        assert_eq!(s.payment(payment).await.unwrap().amount, 5000);
        assert!(s.unmatched_payments(10).await.unwrap().is_empty());
        assert!(matches!(
            s.resolve_unmatched(queue[0].id, a1, &Actor::default())
                .await,
            Err(StoreError::Refused(_))
        ));
        assert_eq!(s.payments_of_account(a1, 10).await.unwrap().len(), 2);
        assert_eq!(s.registries(10).await.unwrap().len(), 1);
        db.cleanup().await;
    }
}

/// The same rows in another form (LF instead of CRLF, a trailing newline, a row repeated
/// inside the file) credit nothing twice: a payment is known by the bank's operation number.
#[tokio::test]
async fn registry_rows_are_known_by_operation_number_in_any_form() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(3, |_| {}).await.unwrap();
        let a1 = account_id(s, 1).await;
        let a2 = account_id(s, 2).await;
        let n1 = AccountNumber::from_serial(1).to_string();
        let n2 = AccountNumber::from_serial(2).to_string();
        let layout = RegistryLayout::defaults().remove(0);
        let first = format!(
            "25-11-2026;10:15:00;8002;1;{n1};Иванов И. И.;Радужный;112026;1234.56;0;7001\r\n\
             26-11-2026;11:05:00;8002;1;999999999;Неизвестный;Радужный;112026;50.00;0;7003\r\n"
        );
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&first);
        let rows = parse(&bytes, &layout, &rules()).unwrap();
        let o1 = s
            .import_registry("sber", "r1.txt", &bytes, &rows, &Actor::default())
            .await
            .unwrap();
        assert_eq!((o1.matched, o1.unmatched, o1.repeated), (1, 1, 0));
        // Re-exported: LF line ends, the first row twice, a new row, a trailing blank line.
        let second = format!(
            "25-11-2026;10:15:00;8002;1;{n1};Иванов И. И.;Радужный;112026;1234.56;0;7001\n\
             26-11-2026;11:05:00;8002;1;999999999;Неизвестный;Радужный;112026;50.00;0;7003\n\
             25-11-2026;10:15:00;8002;1;{n1};Иванов И. И.;Радужный;112026;1234.56;0;7001\n\
             27-11-2026;09:00:00;8002;1;{n2};Петрова А. А.;Радужный;112026;300,00;0;7004\n\n"
        );
        let (bytes2, _, _) = encoding_rs::WINDOWS_1251.encode(&second);
        let rows2 = parse(&bytes2, &layout, &rules()).unwrap();
        let o2 = s
            .import_registry("sber", "r2.txt", &bytes2, &rows2, &Actor::default())
            .await
            .unwrap();
        assert!(!o2.already_imported, "{}", db.label);
        assert_eq!(
            (o2.rows, o2.matched, o2.unmatched, o2.repeated, o2.held),
            (4, 1, 0, 3, 0),
            "{}",
            db.label
        );
        let lines: Vec<i64> = o2.repeated_lines.iter().map(|r| r.line_no).collect();
        assert_eq!(lines, vec![1, 2, 3]);
        assert!(
            o2.repeated_lines[0].note.contains("7001"),
            "{:?}",
            o2.repeated_lines
        );
        assert!(o2.repeated_lines[1].note.contains("неразобранных"));
        assert!(o2.repeated_lines[2].note.contains("строки 1"));
        assert_eq!(s.payments_of_account(a1, 10).await.unwrap().len(), 1);
        assert_eq!(s.payments_of_account(a2, 10).await.unwrap().len(), 1);
        assert_eq!(s.unmatched_payments(10).await.unwrap().len(), 1);
        // The queued row, credited by a person, is then a repeat too.
        let queued = s.unmatched_payments(10).await.unwrap();
        s.resolve_unmatched(queued[0].id, a2, &Actor::default())
            .await
            .unwrap();
        let third = second.replace("\n", "\r\n") + "\r\n";
        let (bytes3, _, _) = encoding_rs::WINDOWS_1251.encode(&third);
        let rows3 = parse(&bytes3, &layout, &rules()).unwrap();
        let o3 = s
            .import_registry("sber", "r3.txt", &bytes3, &rows3, &Actor::default())
            .await
            .unwrap();
        assert_eq!(
            (o3.matched, o3.unmatched, o3.repeated),
            (0, 0, 4),
            "{}",
            db.label
        );
        assert_eq!(s.payments_of_account(a2, 10).await.unwrap().len(), 2);
        let balance = s.balance_at(a1, date(2026, 11, 30)).await.unwrap();
        assert_eq!(balance.balance, -123_456, "{}", db.label);
        assert_eq!(s.registries(10).await.unwrap()[0].repeated, 4);
        db.cleanup().await;
    }
}

/// Without operation numbers a row repeating a credited payment (or an earlier row of the same
/// file) waits for a person, who credits it or leaves it out; nothing is credited twice silently.
#[tokio::test]
async fn registry_rows_without_numbers_that_repeat_are_held() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(2, |_| {}).await.unwrap();
        let a1 = account_id(s, 1).await;
        let n1 = AccountNumber::from_serial(1).to_string();
        let n2 = AccountNumber::from_serial(2).to_string();
        let layout = RegistryLayout::defaults().remove(1);
        let body = format!(
            "дата;счёт;сумма;плательщик\n\
             2026-11-25;{n1};500,00;Иванов Иван\n\
             2026-11-25;{n1};500,00;ИВАНОВ  ИВАН\n\
             2026-11-26;{n2};100,00;Петрова\n"
        );
        let bom = format!("\u{feff}{body}");
        let rows = parse(bom.as_bytes(), &layout, &rules()).unwrap();
        let o1 = s
            .import_registry("csv", "a.csv", bom.as_bytes(), &rows, &Actor::default())
            .await
            .unwrap();
        assert_eq!((o1.matched, o1.held), (2, 1), "{}", db.label);
        assert_eq!(o1.held_lines[0].line_no, 3);
        // The same file without the BOM and with CRLF: all held, none credited.
        let crlf = body.replace('\n', "\r\n");
        let rows = parse(crlf.as_bytes(), &layout, &rules()).unwrap();
        let o2 = s
            .import_registry("csv", "b.csv", crlf.as_bytes(), &rows, &Actor::default())
            .await
            .unwrap();
        assert_eq!(
            (o2.matched, o2.held, o2.unmatched),
            (0, 3, 0),
            "{}",
            db.label
        );
        assert_eq!(s.payments_of_account(a1, 10).await.unwrap().len(), 1);
        let held = s.unmatched_payments(10).await.unwrap();
        assert_eq!(held.len(), 4);
        assert!(held.iter().all(|h| h.reason.code() == "duplicate"));
        assert_eq!(held[0].account_number.as_deref(), Some(n1.as_str()));
        assert!(held[1].duplicate_of.is_some(), "{:?}", held[1]);
        // A person confirms one as a real second payment and leaves the others out.
        s.resolve_unmatched(held[0].id, a1, &Actor::default())
            .await
            .unwrap();
        for h in &held[1..] {
            s.reject_unmatched(h.id, "повтор", &Actor::default())
                .await
                .unwrap();
        }
        assert!(matches!(
            s.resolve_unmatched(held[1].id, a1, &Actor::default()).await,
            Err(StoreError::Refused(m)) if m.to_string().contains("отклонена")
        ));
        assert!(s.unmatched_payments(10).await.unwrap().is_empty());
        let paid: i64 = s
            .payments_of_account(a1, 10)
            .await
            .unwrap()
            .iter()
            .map(|p| p.amount)
            .sum();
        assert_eq!(paid, 100_000, "{}", db.label);
        db.cleanup().await;
    }
}

/// Amounts that would overflow a total are refused before anything is written.
#[tokio::test]
async fn registry_total_cannot_overflow() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(1, |_| {}).await.unwrap();
        let n1 = AccountNumber::from_serial(1).to_string();
        let row = |line_no, op: &str| RegistryRow {
            line_no,
            paid_on: date(2026, 11, 25),
            account: n1.clone(),
            amount: Kopecks(i64::MAX / 2 + 1),
            payer: String::new(),
            operation: Some(op.into()),
        };
        let rows = [row(1, "1"), row(2, "2")];
        let e = s
            .import_registry("sber", "x.txt", b"x", &rows, &Actor::default())
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Refused(_)), "{e:?}");
        assert!(s.registries(10).await.unwrap().is_empty());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn penalties_accrue_and_a_debtor_goes_through_restriction() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(1, |_| {}).await.unwrap();
        let a = account_id(s, 1).await;
        facts(s, a, "urban", 1, 1, false).await;
        let norm = 143 * 312; // 143 kWh at 3,12 ₽
        let mut period = p("2026-08");
        for _ in 0..5 {
            s.bill(period, 10, None, |_, _| {}).await.unwrap();
            period = period.next();
        }
        let inv = |per: &'static str| async move { s.invoice(a, p(per)).await.unwrap() };
        assert_eq!(inv("2026-08").await.0.penalty, 0);
        assert_eq!(inv("2026-09").await.0.penalty, 0, "days 1–15 after 15.09");
        // August's debt (due 15.09) reaches day 31 on 16.10: 16 days at 1/300 of 9,5 %.
        let (oct, lines) = inv("2026-10").await;
        let want =
            (i128::from(norm) * 950 * 16 * 130 + 10_000 * 300 * 130 / 2) / (10_000 * 300 * 130);
        assert_eq!(oct.penalty, want as i64, "{}", db.label);
        assert!(lines.iter().any(|l| l.clause == "ЖК РФ ст. 155 ч. 14"));
        // By the end of November three months are past due (> 2 × norm): warned in November.
        let cases = s.restriction_cases_of_account(a).await.unwrap();
        assert_eq!(cases.len(), 1, "one open case, not one per period");
        let c = &cases[0];
        assert_eq!((c.period.as_str(), c.status.code()), ("2026-11", "warning"));
        assert_eq!(c.pay_by, "2026-12-21");
        let actor = Actor::default();
        // The warning's term runs from its delivery (ПП 354 п. 119): handed over on 01.12.
        s.record_delivery(
            c.id,
            &abonent_domain::restriction::NewDelivery::Signature {
                on: date(2026, 12, 1),
                by: "Егорова М. И.".into(),
            },
            &actor,
        )
        .await
        .unwrap();
        let c = &s.restriction_case(c.id).await.unwrap().0;
        assert_eq!(c.pay_by, "2026-12-21");
        match s
            .restriction_step(
                c.id,
                c.version,
                "restricted",
                "",
                date(2026, 12, 21),
                &actor,
            )
            .await
        {
            Err(StoreError::Refused(m)) => assert!(m.to_string().contains("21.12.2026"), "{m}"),
            other => panic!("{other:?}"),
        }
        match s
            .restriction_step(
                c.id,
                c.version,
                "reconnected",
                "",
                date(2026, 12, 22),
                &actor,
            )
            .await
        {
            Err(StoreError::Refused(m)) => assert!(m.to_string().contains("нельзя"), "{m}"),
            other => panic!("{other:?}"),
        }
        s.restriction_step(
            c.id,
            c.version,
            "restricted",
            "акт № 5",
            date(2026, 12, 22),
            &actor,
        )
        .await
        .unwrap();
        let (c, steps) = s.restriction_case(c.id).await.unwrap();
        assert_eq!(steps.len(), 2);
        match s
            .restriction_step(
                c.id,
                c.version,
                "reconnected",
                "",
                date(2026, 12, 23),
                &actor,
            )
            .await
        {
            Err(StoreError::Refused(m)) => assert!(m.to_string().contains("не погашена"), "{m}"),
            other => panic!("{other:?}"),
        }
        let debt = s.balance_at(a, date(2026, 12, 23)).await.unwrap().balance;
        s.take_payment(a, Kopecks(debt), date(2026, 12, 23), "", &actor)
            .await
            .unwrap();
        s.restriction_step(
            c.id,
            c.version,
            "reconnected",
            "",
            date(2026, 12, 24),
            &actor,
        )
        .await
        .unwrap();
        let (c, steps) = s.restriction_case(c.id).await.unwrap();
        assert_eq!(
            (c.status.code(), c.open, steps.len()),
            ("reconnected", 0, 3)
        );
        assert!(s.restriction_cases(true, 10).await.unwrap().is_empty());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn demo_history_is_complete_and_generated_once() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(40, |_| {}).await.unwrap();
        s.demo_billing(4, p("2026-10"), false, |_, _, _| {})
            .await
            .unwrap();
        let count = |sql: &'static str| async move {
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(s.pool()).await.unwrap();
            n
        };
        assert_eq!(
            count("SELECT COUNT(*) FROM billing_periods WHERE status = 'closed'").await,
            4,
            "{}",
            db.label
        );
        assert_eq!(count("SELECT COUNT(*) FROM invoices").await, 160);
        let readings = count("SELECT COUNT(*) FROM readings").await;
        let payments = count("SELECT COUNT(*) FROM payments").await;
        assert!(readings > 80 && payments > 60, "{readings} {payments}");
        assert!(
            count("SELECT COUNT(*) FROM invoices WHERE lines LIKE '%[\"readings\"%'").await > 0
        );
        assert!(count("SELECT COUNT(*) FROM invoices WHERE lines LIKE '%[\"p61\"%'").await > 0);
        assert!(count("SELECT COUNT(*) FROM invoices WHERE paid > 0").await > 0);
        // Again: nothing more.
        s.demo_billing(4, p("2026-10"), false, |_, _, _| {})
            .await
            .unwrap();
        assert_eq!(count("SELECT COUNT(*) FROM readings").await, readings);
        assert_eq!(count("SELECT COUNT(*) FROM payments").await, payments);
        assert_eq!(count("SELECT COUNT(*) FROM invoices").await, 160);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn requisites_that_fail_the_control_key_are_not_saved_and_stop_a_billing_run() {
    for db in testing::all().await {
        let l = db.label;
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(2, |_| {}).await.unwrap();
        let good = s.billing_settings().await.unwrap();
        good.check_requisites()
            .unwrap_or_else(|e| panic!("{l}: the seeded requisites pass: {e}"));

        // Saving: one digit off in the correspondent account is refused and nothing is stored.
        let mut bad = good.clone();
        bad.corresp_acc = "30101810800000000652".into();
        bad.due_day = 10;
        match s.save_billing_settings(&bad, &Actor::default()).await {
            Err(StoreError::Refused(m)) => {
                assert!(m.to_string().contains("корреспондентский счёт"), "{l}: {m}")
            }
            other => panic!("{l}: {other:?}"),
        }
        assert_eq!(
            s.billing_settings().await.unwrap(),
            good,
            "{l}: nothing stored"
        );

        // Requisites broken in the database (an older installation): the run refuses to bill.
        sqlx::query("UPDATE billing_settings SET bic = '047102652', payee_kpp = '' WHERE id = 1")
            .execute(s.pool())
            .await
            .unwrap();
        match s.bill(p("2026-09"), 10, None, |_, _| {}).await {
            Err(StoreError::Refused(m)) => {
                assert!(m.to_string().contains("расчётный счёт"), "{l}: {m}");
                assert!(m.to_string().contains("КПП"), "{l}: {m}");
                assert!(m.to_string().contains("Настройки"), "{l}: {m}");
            }
            other => panic!("{l}: {other:?}"),
        }
        let (periods, invoices): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM billing_periods), (SELECT COUNT(*) FROM invoices)",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        assert_eq!((periods, invoices), (0, 0), "{l}: nothing billed");

        // Corrected, the same run bills.
        s.save_billing_settings(&good, &Actor::default())
            .await
            .unwrap();
        s.bill(p("2026-09"), 10, None, |_, _| {}).await.unwrap();
        assert!(
            s.invoice(account_id(s, 1).await, p("2026-09"))
                .await
                .is_ok(),
            "{l}"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn penalties_run_to_each_payments_day_and_a_late_reading_covers_every_period() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(2, |_| {}).await.unwrap();
        let (a, b) = (account_id(s, 1).await, account_id(s, 2).await);
        facts(s, a, "urban", 1, 1, false).await;
        facts(s, b, "urban", 1, 1, false).await;
        let norm = 143 * 312; // 143 kWh at 3,12 ₽ a month
        let m = meter(s, b, "1", "100").await;
        let actor = Actor::default();
        s.bill(p("2026-08"), 10, None, |_, _| {}).await.unwrap();
        s.bill(p("2026-09"), 10, None, |_, _| {}).await.unwrap();
        // August's charge (due 15.09) is paid on 20.10, its 35th day: 16.10 … 20.10 bear
        // penalties (the day of payment too), nothing after.
        s.take_payment(a, Kopecks(norm), date(2026, 10, 20), "", &actor)
            .await
            .unwrap();
        s.bill(p("2026-10"), 10, None, |_, _| {}).await.unwrap();
        let (oct, lines) = s.invoice(a, p("2026-10")).await.unwrap();
        let units = |base: i64, days: i64| {
            let n = i128::from(base) * 950 * i128::from(days) * 130;
            ((n + 10_000 * 300 * 130 / 2) / (10_000 * 300 * 130)) as i64
        };
        assert_eq!(oct.penalty, units(norm, 5), "{}", db.label);
        let pen: Vec<_> = lines.iter().filter(|l| l.kind == "penalty").collect();
        assert_eq!(pen.len(), 1);
        assert!(
            pen[0].explanation.contains("по счёту за август 2026")
                && pen[0]
                    .explanation
                    .contains("× 5 дн. (16.10–20.10) × 1/300 × 9,5"),
            "{}",
            pen[0].explanation
        );
        assert_eq!(oct.penalty_debt, oct.penalty);
        assert_eq!(oct.debts, format!("2026-10-15:{norm},2026-11-15:{norm}"));

        // November bears 15.11 … 30.11 on September's charge; a payment of 20.11 that reaches
        // the company after November is closed counts in December, and the penalty November
        // charged for 21.11 … 30.11 on what it paid is taken back there.
        s.bill(p("2026-11"), 10, None, |_, _| {}).await.unwrap();
        let (nov, _) = s.invoice(a, p("2026-11")).await.unwrap();
        assert_eq!(nov.penalty, units(norm, 16));
        let pay = s
            .take_payment(a, Kopecks(norm), date(2026, 11, 20), "", &actor)
            .await
            .unwrap();
        assert_eq!(s.payment(pay).await.unwrap().period, "2026-12");
        // The meter of account 2 had no readings August … November (billed by the norm): the
        // December reading, 500 kWh, covers all five months.
        assert_eq!(
            s.invoice(b, p("2026-11")).await.unwrap().0.periods_pending,
            4,
            "{}",
            db.label
        );
        reading(s, m, None, (&[600], &[500]), "2026-12").await;
        s.bill(p("2026-12"), 10, None, |_, _| {}).await.unwrap();
        let (dec, lines) = s.invoice(a, p("2026-12")).await.unwrap();
        let pen: Vec<_> = lines.iter().filter(|l| l.kind == "penalty").collect();
        assert_eq!(pen.len(), 2, "{pen:?}");
        assert_eq!(
            pen[0].amount,
            units(norm, 16),
            "October's charge, 16.12 … 31.12"
        );
        assert_eq!(pen[1].amount, -units(norm, 10));
        assert!(
            pen[1].explanation.contains("платёж от 20.11.2026")
                && pen[1].explanation.contains("× 10 дн. (21.11–30.11)"),
            "{}",
            pen[1].explanation
        );
        assert_eq!(dec.penalty, units(norm, 16) - units(norm, 10));
        // Penalties owed apart from the charges, and none accrued on them.
        assert_eq!(
            dec.penalty_debt,
            units(norm, 5) + units(norm, 16) + units(norm, 16) - units(norm, 10)
        );
        assert_eq!(
            dec.debts,
            format!("2026-11-15:{norm},2026-12-15:{norm},2027-01-15:{norm}")
        );
        assert_eq!(dec.closing, 3 * norm + dec.penalty_debt);
        let bal = s.balance_at(a, date(2026, 12, 31)).await.unwrap();
        assert_eq!(bal.balance, dec.closing);
        assert_eq!(
            bal.overdue,
            2 * norm,
            "penalties are owed, not overdue charges"
        );

        let (dec_b, lines_b) = s.invoice(b, p("2026-12")).await.unwrap();
        assert_eq!(dec_b.periods_pending, 0);
        assert_eq!(dec_b.pending, 0);
        let p61 = lines_b
            .iter()
            .find(|l| l.rule == "p61")
            .expect("a p61 line");
        assert_eq!(p61.amount, -4 * norm);
        assert!(
            p61.explanation.contains("за 4 пред. периода")
                && p61.explanation.contains("на 5 периодов"),
            "{}",
            p61.explanation
        );
        assert_eq!(dec_b.history, ["100000"; 5].join(","), "the spread months");
        db.cleanup().await;
    }
}
