//! The invoice as a document, on SQLite and PostgreSQL: it shows only what is current (a
//! restriction warning while its case is open and the debt unpaid), read back from the PDF with
//! poppler's `pdftotext` (scripts/test.sh installs it); and it is refused with requisites that
//! fail the Bank of Russia's checks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use std::process::Command;

use abonent_domain::accounts::AccountNumber;
use abonent_domain::money::Kopecks;
use abonent_domain::payment_qr::parse_payload;
use abonent_domain::tariffs::Period;
use abonent_jobs::invoices::{invoice_doc, invoice_doc_on};
use abonent_store::audit::Actor;
use abonent_store::{testing, Store, StoreError};
use jiff::civil::date;

fn p(s: &str) -> Period {
    Period::parse(s).unwrap()
}

async fn debtor(s: &Store, serial: u32) -> i64 {
    let id = s
        .account_by_number(&AccountNumber::from_serial(serial))
        .await
        .unwrap()
        .id;
    // Billed by the norm with nothing paid: a debt over two months of norm-based charges.
    sqlx::query(
        "UPDATE accounts SET category = 'urban', residents = 1, rooms = 1, meter_installable = FALSE WHERE id = $1",
    )
    .bind(id)
    .execute(s.pool())
    .await
    .unwrap();
    id
}

/// The invoice's PDF as text (no-break spaces as spaces).
fn pdf_text(doc: &abonent_render::InvoiceDoc) -> String {
    let pdf = abonent_render::invoice(doc).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invoice.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext (poppler-utils) is needed: {e}"));
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .replace('\u{a0}', " ")
}

#[tokio::test]
async fn a_restriction_warning_prints_only_while_its_case_is_open_and_the_debt_unpaid() {
    for db in testing::all().await {
        let l = db.label;
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(2, |_| {}).await.unwrap();
        let (a, b) = (debtor(s, 1).await, debtor(s, 2).await);
        let mut period = p("2026-08");
        for _ in 0..4 {
            s.bill(period, 10, None, |_, _| {}).await.unwrap();
            period = period.next();
        }
        let case = s.restriction_cases_of_account(a).await.unwrap();
        assert_eq!((case.len(), case[0].period.as_str()), (1, "2026-11"), "{l}");
        let today = date(2026, 12, 2);

        // Warned in November, unpaid: November's invoice carries the warning.
        let doc = invoice_doc_on(s, a, p("2026-11"), today).await.unwrap();
        assert_eq!(doc.notices.len(), 1, "{l}");
        let text = pdf_text(&doc);
        assert!(text.contains("ПРЕДУПРЕЖДЕНИЕ"), "{l}: {text}");
        assert!(
            text.contains("21.12.2026") || text.contains("21 декабря 2026"),
            "{l}: {text}"
        );
        // October's invoice came before the warning.
        let doc = invoice_doc_on(s, a, p("2026-10"), today).await.unwrap();
        assert!(doc.notices.is_empty(), "{l}: {:?}", doc.notices);

        // Paid off: the same invoice no longer warns, though the case is still open.
        let owed = s.balance_at(a, today).await.unwrap().balance;
        assert!(owed > 0, "{l}");
        s.take_payment(
            a,
            Kopecks(owed),
            date(2026, 12, 1),
            "Иванов",
            &Actor::default(),
        )
        .await
        .unwrap();
        assert_eq!(
            s.restriction_cases_of_account(a).await.unwrap()[0].open,
            1,
            "{l}"
        );
        let doc = invoice_doc_on(s, a, p("2026-11"), today).await.unwrap();
        assert!(doc.notices.is_empty(), "{l}: {:?}", doc.notices);
        assert!(!pdf_text(&doc).contains("ПРЕДУПРЕЖДЕНИЕ"), "{l}");

        // A closed case: no warning, though the debt is still unpaid.
        let other = s.restriction_cases_of_account(b).await.unwrap();
        assert_eq!(other.len(), 1, "{l}");
        let doc = invoice_doc_on(s, b, p("2026-11"), today).await.unwrap();
        assert_eq!(doc.notices.len(), 1, "{l}: unpaid and open");
        sqlx::query("UPDATE restriction_cases SET open = FALSE, status = 'closed' WHERE id = $1")
            .bind(other[0].id)
            .execute(s.pool())
            .await
            .unwrap();
        assert!(s.balance_at(b, today).await.unwrap().overdue > 0, "{l}");
        let doc = invoice_doc_on(s, b, p("2026-11"), today).await.unwrap();
        assert!(doc.notices.is_empty(), "{l}: {:?}", doc.notices);
        assert!(!pdf_text(&doc).contains("ПРЕДУПРЕЖДЕНИЕ"), "{l}");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_qr_code_carries_the_printed_purpose_and_the_payer_and_bad_requisites_refuse_the_invoice(
) {
    for db in testing::all().await {
        let l = db.label;
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(1, |_| {}).await.unwrap();
        let a = debtor(s, 1).await;
        s.bill(p("2026-09"), 10, None, |_, _| {}).await.unwrap();
        let doc = invoice_doc(s, a, p("2026-09")).await.unwrap();
        let fields = parse_payload(&doc.qr_payload).unwrap_or_else(|| panic!("{l}: a QR code"));
        let get = |k: &str| {
            fields
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("{l}: no {k} in {}", doc.qr_payload))
        };
        let purpose = get("Purpose");
        assert!(
            doc.requisites.contains(&format!("Назначение: {purpose}")),
            "{l}: the purpose as printed: {:?}",
            doc.requisites
        );
        let settings = s.billing_settings().await.unwrap();
        assert_eq!(get("KPP"), settings.payee_kpp, "{l}");
        assert!(doc.requisites[0].contains(&settings.payee_kpp), "{l}");
        let account = s.account(a).await.unwrap();
        let client = s.client(account.client_id).await.unwrap();
        assert_eq!(get("LastName"), client.surname, "{l}");
        assert_eq!(get("FirstName"), client.first_name, "{l}");
        assert_eq!(get("PayerAddress"), account.address(), "{l}");
        assert_eq!(doc.address, account.address(), "{l}");

        // Requisites broken in the database: the invoice is refused, not printed without a code.
        sqlx::query(
            "UPDATE billing_settings SET personal_acc = '40702810900000000002' WHERE id = 1",
        )
        .execute(s.pool())
        .await
        .unwrap();
        match invoice_doc(s, a, p("2026-09")).await {
            Err(StoreError::Refused(m)) => {
                let m = m.to_string();
                assert!(m.contains("расчётный счёт"), "{l}: {m}");
                assert!(m.contains("контрольному ключу"), "{l}: {m}");
            }
            other => panic!("{l}: {:?}", other.map(|d| d.qr_payload)),
        }
        db.cleanup().await;
    }
}
