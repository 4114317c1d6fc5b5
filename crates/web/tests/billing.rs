//! Billing through the API and the pages, on SQLite and PostgreSQL: tariffs and norms, the
//! cashier with its receipt, registries, invoices, balance, restriction.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use abonent_domain::accounts::AccountNumber;
use abonent_domain::tariffs::Period;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{apps, enc, hidden, App};
use serde_json::json;

async fn account(app: &App, serial: u32) -> abonent_store::accounts::AccountView {
    app.db
        .store
        .account_by_number(&AccountNumber::from_serial(serial))
        .await
        .unwrap()
}

#[tokio::test]
async fn tariffs_norms_and_settings_are_data_with_checks() {
    for app in apps().await {
        let l = app.label();
        let sales = app.token("sales").await;
        let bad = json!({"valid_from": "июль", "category": "urban", "single": "0", "day": "3",
            "night": "x", "peak": "3", "half_peak": "3", "peak_hours": "утром"});
        let r = app
            .api(Method::POST, "/api/v1/tariffs", Some(&sales), Some(bad))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        for f in ["valid_from", "single", "night", "peak_hours"] {
            assert!(
                r.body.contains(&format!("\"field\":\"{f}\"")),
                "{f}: {}",
                r.body
            );
        }
        // The public page is cached; a saved tariff clears it at once.
        let before = app.page(Method::GET, "/tariffs", "", None).await;
        assert!(!before.body.contains("2027-01"));
        let good = json!({"valid_from": "2027-01", "category": "urban", "single": "3,30",
            "day": "3,60", "night": "2,05", "peak": "3,95", "half_peak": "3,30",
            "basis": "Приказ РСТ Югры № 1-нп"});
        let r = app
            .api(Method::POST, "/api/v1/tariffs", Some(&sales), Some(good))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["single"], json!(33_000));
        // The public page shows it without signing in.
        let page = app.page(Method::GET, "/tariffs", "", None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("2027-01") && page.body.contains("3,30"),
            "{l}"
        );
        assert!(page.body.contains("07:00–10:00, 17:00–21:00"));
        let public = app
            .api(Method::GET, "/api/v1/public/tariffs", None, None)
            .await;
        assert!(public.body.contains("Приказ РСТ Югры"));

        // Norms: the whole table or nothing.
        let r = app
            .api(
                Method::PUT,
                "/api/v1/norms/urban",
                Some(&sales),
                Some(json!([{"rooms": 1, "residents": 1, "kwh": "150"}])),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let cells: Vec<_> = (1..=4)
            .flat_map(|r| (1..=5).map(move |p| json!({"rooms": r, "residents": p, "kwh": format!("{}", 200 - r * 10 - p)})))
            .collect();
        let r = app
            .api(
                Method::PUT,
                "/api/v1/norms/urban",
                Some(&sales),
                Some(json!(cells)),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        let norms = app
            .api(Method::GET, "/api/v1/norms", Some(&sales), None)
            .await
            .json();
        assert!(norms
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["category"] == "urban"
                && n["rooms"] == 1
                && n["residents"] == 1
                && n["wh"] == 189_000));

        // Settings: requisites checked as the QR code needs them.
        let mut s = app
            .api(Method::GET, "/api/v1/billing/settings", Some(&sales), None)
            .await
            .json();
        s["bic"] = json!("12");
        let r = app
            .api(
                Method::PUT,
                "/api/v1/billing/settings",
                Some(&sales),
                Some(s.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("\"field\":\"bic\""), "{}", r.body);
        s["bic"] = json!("047102651");
        s["due_day"] = json!(10);
        let r = app
            .api(
                Method::PUT,
                "/api/v1/billing/settings",
                Some(&sales),
                Some(s),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);

        // The page form keeps the input on a refused tariff.
        let (cookie, csrf) = app.browser_login("sales").await;
        let r = app
            .page(
                Method::POST,
                "/billing/tariffs",
                &cookie,
                Some(&format!(
                    "_csrf={csrf}&valid_from=2027-07&category=urban&single=abc&day=1&night=1&peak=1&half_peak=1"
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("value=\"abc\""), "input kept");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn requisites_failing_the_bank_of_russia_checks_are_refused_with_the_input_kept() {
    for app in apps().await {
        let l = app.label();
        let sales = app.token("sales").await;
        let before = app
            .api(Method::GET, "/api/v1/billing/settings", Some(&sales), None)
            .await
            .json();
        // The API: one digit off in each account, a wrong INN check digit, a short KPP.
        let mut s = before.clone();
        s["corresp_acc"] = json!("30101810800000000652");
        s["personal_acc"] = json!("40702810900000000002");
        s["payee_inn"] = json!("8601000001");
        s["payee_kpp"] = json!("86010100");
        let r = app
            .api(
                Method::PUT,
                "/api/v1/billing/settings",
                Some(&sales),
                Some(s),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{l}: {}",
            r.body
        );
        let errors = r.json()["errors"].as_array().unwrap().clone();
        let detail = |f: &str| {
            errors
                .iter()
                .find(|e| e["field"] == f)
                .and_then(|e| e["detail"].as_str())
                .unwrap_or_else(|| panic!("{l}: no error for {f}: {errors:?}"))
                .to_owned()
        };
        assert!(detail("corresp_acc").contains("контрольному ключу"), "{l}");
        assert!(detail("personal_acc").contains("контрольному ключу"), "{l}");
        assert!(detail("payee_inn").contains("контрольная цифра"), "{l}");
        assert!(detail("payee_kpp").contains("9 знаков"), "{l}");
        let after = app
            .api(Method::GET, "/api/v1/billing/settings", Some(&sales), None)
            .await
            .json();
        assert_eq!(after, before, "{l}: nothing stored");

        // The page form: a BIC with other 5th–6th digits (the Bank of Russia's branch) fails
        // the correspondent account's key, not the settlement account's (its last three);
        // the message is beside the field, the input kept.
        let (cookie, csrf) = app.browser_login("sales").await;
        let text = |k: &str| before[k].as_str().unwrap().to_owned();
        let form = format!(
            "_csrf={csrf}&due_day=10&key_rate=16,5&cap=9,5&warning_days=20&payee_name={}&payee_inn={}&payee_kpp={}&personal_acc={}&bank_name={}&bic=047103651&corresp_acc={}",
            enc(&text("payee_name")),
            text("payee_inn"),
            text("payee_kpp"),
            text("personal_acc"),
            enc(&text("bank_name")),
            text("corresp_acc"),
        );
        let r = app
            .page(Method::POST, "/billing/settings", &cookie, Some(&form))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("value=\"047103651\""), "{l}: input kept");
        assert!(
            r.body
                .contains("id=\"f-corresp_acc-error\">Корреспондентский счёт не сходится с БИК"),
            "{l}: {}",
            r.body
        );
        assert!(!r.body.contains("f-personal_acc-error"), "{l}");
        let after = app
            .api(Method::GET, "/api/v1/billing/settings", Some(&sales), None)
            .await
            .json();
        assert_eq!(after, before, "{l}: nothing stored");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn cashier_registry_invoice_and_balance() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let a1 = account(&app, 1).await;
        let a2 = account(&app, 2).await;
        let cashier = app.token("cashier").await;

        // A payment at the cashier, retried with the same Idempotency-Key: taken once.
        let pay = |key: &'static str, amount: &str| {
            Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v1/accounts/{}/payments", a1.id))
                .header(header::AUTHORIZATION, format!("Bearer {cashier}"))
                .header(header::CONTENT_TYPE, "application/json")
                .header("Idempotency-Key", key)
                .body(Body::from(
                    json!({"amount": amount, "paid_on": "2026-10-05"}).to_string(),
                ))
                .unwrap()
        };
        let r = app.send(pay("k1", "500,00")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{l}: {}", r.body);
        let first = r.json()["id"].as_i64().unwrap();
        let r = app.send(pay("k1", "500,00")).await;
        assert_eq!(r.json()["id"].as_i64(), Some(first));
        let r = app.send(pay("k2", "-5")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Bounded: at most 10 000 000 ₽ a payment, a date within three years.
        for (key, body, field) in [
            (
                "k3",
                json!({"amount": "10000000,01", "paid_on": "2026-10-05"}),
                "amount",
            ),
            (
                "k4",
                json!({"amount": "50000000000000000", "paid_on": "2026-10-05"}),
                "amount",
            ),
            (
                "k5",
                json!({"amount": "100", "paid_on": "2020-01-01"}),
                "paid_on",
            ),
        ] {
            let r = app
                .send(
                    Request::builder()
                        .method(Method::POST)
                        .uri(format!("/api/v1/accounts/{}/payments", a1.id))
                        .header(header::AUTHORIZATION, format!("Bearer {cashier}"))
                        .header(header::CONTENT_TYPE, "application/json")
                        .header("Idempotency-Key", key)
                        .body(Body::from(body.to_string()))
                        .unwrap(),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{l}: {}",
                r.body
            );
            assert_eq!(r.json()["errors"][0]["field"], json!(field), "{}", r.body);
        }
        // Not before the account was opened: the opening day is allowed, the day before is not.
        sqlx::query("UPDATE accounts SET opened_on = '2026-10-05' WHERE id = $1")
            .bind(a2.id)
            .execute(s.pool())
            .await
            .unwrap();
        let by_date = |key: &'static str, day: &str| {
            Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v1/accounts/{}/payments", a2.id))
                .header(header::AUTHORIZATION, format!("Bearer {cashier}"))
                .header(header::CONTENT_TYPE, "application/json")
                .header("Idempotency-Key", key)
                .body(Body::from(
                    json!({"amount": "1,00", "paid_on": day}).to_string(),
                ))
                .unwrap()
        };
        let r = app.send(by_date("k6", "2026-10-04")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{l}: {}",
            r.body
        );
        assert!(r.body.contains("раньше открытия"), "{}", r.body);
        let r = app.send(by_date("k7", "2026-10-05")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{l}: {}", r.body);
        let early = s.payments_of_account(a2.id, 10).await.unwrap();
        assert_eq!(early.len(), 1);
        sqlx::query("DELETE FROM payments WHERE id = $1")
            .bind(early[0].id)
            .execute(s.pool())
            .await
            .unwrap();
        let list = app
            .api(
                Method::GET,
                &format!("/api/v1/accounts/{}/payments", a1.id),
                Some(&cashier),
                None,
            )
            .await
            .json();
        assert_eq!(list.as_array().unwrap().len(), 1);

        // A registry through the API: malformed lines named, nothing imported.
        let sales = app.token("sales").await;
        let import = |body: Vec<u8>| {
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/payments/registries?bank=csv&file_name=r.csv")
                .header(header::AUTHORIZATION, format!("Bearer {sales}"))
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .body(Body::from(body))
                .unwrap()
        };
        let bad = format!(
            "дата;счёт;сумма;плательщик\n2026-10-10;{};100;А\n2026-10-32;{};100;Б\n",
            a1.number, a2.number
        );
        let r = app.send(import(bad.into_bytes())).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("строка 3"), "{}", r.body);
        assert_eq!(
            s.payments_of_account(a1.id, 10).await.unwrap().len(),
            1,
            "{l}"
        );
        let good = format!(
            "дата;счёт;сумма;плательщик\n2026-10-10;{};100;А\n2026-10-11;{};250,50;Б\n2026-10-11;123;7;В\n",
            a1.number, a2.number
        );
        let r = app.send(import(good.clone().into_bytes())).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["matched"], json!(2));
        assert_eq!(r.json()["unmatched"], json!(1));
        let r = app.send(import(good.clone().into_bytes())).await;
        assert_eq!(r.json()["already_imported"], json!(true));
        // The same rows with CRLF line ends and a BOM: other bytes, the same payments — held
        // for a person, none credited again.
        let again = format!("\u{feff}{}", good.replace('\n', "\r\n"));
        let r = app.send(import(again.into_bytes())).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            (r.json()["matched"].clone(), r.json()["held"].clone()),
            (json!(0), json!(3)),
            "{l}: {}",
            r.body
        );
        assert_eq!(s.payments_of_account(a2.id, 10).await.unwrap().len(), 1);
        // A 5·10^16 ₽ row is refused with its line; nothing is imported.
        let huge = format!(
            "дата;счёт;сумма;плательщик\n2026-10-12;{};50000000000000000;Г\n",
            a1.number
        );
        let r = app.send(import(huge.into_bytes())).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("строка 2") && r.body.contains("больше допустимой"),
            "{}",
            r.body
        );
        // A cp1251 file given as UTF-8 is refused in Russian.
        let (cp, _, _) = encoding_rs::WINDOWS_1251.encode("дата;счёт;сумма;плательщик\n");
        let r = app.send(import(cp.into_owned())).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("UTF-8"), "{}", r.body);
        let queue = app
            .api(
                Method::GET,
                "/api/v1/payments/unmatched",
                Some(&sales),
                None,
            )
            .await
            .json();
        let uid = queue[0]["id"].as_i64().unwrap();
        let path = format!("/api/v1/payments/unmatched/{uid}/resolve");
        let r = app
            .api(
                Method::POST,
                &path,
                Some(&sales),
                Some(json!({"account_number": "123"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = app
            .api(
                Method::POST,
                &path,
                Some(&sales),
                Some(json!({"account_number": a2.number})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        // The held repeats are left out by a person.
        let queue = app
            .api(
                Method::GET,
                "/api/v1/payments/unmatched",
                Some(&sales),
                None,
            )
            .await
            .json();
        assert_eq!(queue.as_array().unwrap().len(), 3, "{l}: {queue}");
        // The page names why they wait and offers to leave them out.
        let (cookie, _) = app.browser_login("sales").await;
        let page = app
            .page(Method::GET, "/billing/registries", &cookie, None)
            .await;
        assert_eq!(
            page.body.matches("возможный повтор платежа").count(),
            3,
            "{l}"
        );
        assert_eq!(page.body.matches("Не зачислять: повтор").count(), 3, "{l}");
        for h in queue.as_array().unwrap() {
            assert_eq!(h["reason"], json!("duplicate"));
            let r = app
                .api(
                    Method::POST,
                    &format!("/api/v1/payments/unmatched/{}/reject", h["id"]),
                    Some(&sales),
                    Some(json!({"note": "повтор"})),
                )
                .await;
            assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        }
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/payments/unmatched/{}/reject", queue[0]["id"]),
                Some(&sales),
                Some(json!({})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

        // October is billed; the invoice explains each line and carries the payments.
        s.bill(Period::parse("2026-10").unwrap(), 100, None, |_, _| {})
            .await
            .unwrap();
        let inv = app
            .api(
                Method::GET,
                &format!("/api/v1/accounts/{}/invoices/2026-10", a1.id),
                Some(&cashier),
                None,
            )
            .await;
        assert_eq!(inv.status, StatusCode::OK, "{}", inv.body);
        let inv = inv.json();
        assert_eq!(inv["invoice"]["paid"], json!(60_000));
        assert!(inv["lines"][0]["clause"]
            .as_str()
            .unwrap()
            .starts_with("ПП 354"));
        let charged = inv["invoice"]["charged"].as_i64().unwrap();
        let bal = app
            .api(
                Method::GET,
                &format!("/api/v1/accounts/{}/balance?date=2026-11-20", a1.id),
                Some(&cashier),
                None,
            )
            .await
            .json();
        assert_eq!(bal["balance"].as_i64().unwrap(), charged - 60_000);
        assert_eq!(bal["overdue"].as_i64().unwrap(), (charged - 60_000).max(0));

        // Pages: the account's billing, the invoice, its PDF, the cashier's form and receipt.
        let (cookie, _) = app.browser_login("cashier").await;
        let page = app
            .page(
                Method::GET,
                &format!("/accounts/{}/billing", a1.id),
                &cookie,
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("октябрь 2026"), "{l}");
        let csrf = hidden(&page.body, "_csrf");
        let once = hidden(&page.body, "_once");
        let r = app
            .page(
                Method::POST,
                &format!("/accounts/{}/payments", a1.id),
                &cookie,
                Some(&format!(
                    "_csrf={csrf}&_once={once}&amount=12%2C3x&payer={}",
                    enc("Иванов")
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("value=\"12,3x\""), "input kept");
        assert!(r.body.contains("value=\"Иванов\""));
        let form = format!(
            "_csrf={csrf}&_once={once}&amount=321%2C50&payer={}",
            enc("Иванов")
        );
        let r = app
            .page(
                Method::POST,
                &format!("/accounts/{}/payments", a1.id),
                &cookie,
                Some(&form),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let receipt = r.location().to_owned();
        // A double submit of the same form takes nothing twice.
        let again = app
            .page(
                Method::POST,
                &format!("/accounts/{}/payments", a1.id),
                &cookie,
                Some(&form),
            )
            .await;
        assert_eq!(again.location(), receipt);
        let r = app.page(Method::GET, &receipt, &cookie, None).await;
        assert!(r.body.contains("321,50"), "{}", r.body);
        assert!(r.body.contains(">Печать</button>") && r.body.contains("/assets/print.js"));
        assert!(r.body.contains(&a1.number));
        assert_eq!(s.payments_of_account(a1.id, 10).await.unwrap().len(), 3);
        let r = app
            .page(
                Method::GET,
                &format!("/accounts/{}/invoices/2026-10", a1.id),
                &cookie,
                None,
            )
            .await;
        assert!(r.body.contains("ST00012|"), "{}", r.body);
        assert!(
            r.body.contains(">Печать</button>"),
            "the invoice page prints"
        );
        assert!(r.body.contains("PersAcc=") && r.body.contains("ПП 354"));
        // §10.2: an announcement on every invoice of the period, written by the head of sales;
        // a cashier may not write one; too long is refused with the text kept.
        let r = app
            .page(Method::GET, "/billing/announcements", &cookie, None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(
            !r.body.contains("name=\"text\""),
            "a cashier sees, does not edit"
        );
        let csrf = hidden(&r.body, "_csrf");
        let r = app
            .page(
                Method::POST,
                "/billing/announcements",
                &cookie,
                Some(&format!("_csrf={csrf}&period=2026-10&text=x")),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let (sales, sales_csrf) = app.browser_login("sales").await;
        let long = "я".repeat(301);
        let r = app
            .page(
                Method::POST,
                "/billing/announcements",
                &sales,
                Some(&format!(
                    "_csrf={sales_csrf}&period=2026-10&text={}",
                    enc(&long)
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("не длиннее 300 символов") && r.body.contains(&long));
        let text = "С 1 января 2027 г. меняются тарифы: подробности на сайте.";
        let r = app
            .page(
                Method::POST,
                "/billing/announcements",
                &sales,
                Some(&format!(
                    "_csrf={sales_csrf}&period=2026-10&text={}",
                    enc(text)
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = app
            .page(
                Method::GET,
                &format!("/accounts/{}/invoices/2026-10", a1.id),
                &cookie,
                None,
            )
            .await;
        assert!(r.body.contains(text), "printed on the period's invoice");
        let r = app
            .page(
                Method::GET,
                &format!("/accounts/{}/invoices/2026-09", a1.id),
                &cookie,
                None,
            )
            .await;
        assert!(!r.body.contains(text), "not on another period's");
        let r = app
            .page(
                Method::GET,
                &format!("/accounts/{}/invoices/2026-10/pdf", a1.id),
                &cookie,
                None,
            )
            .await;
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
        assert!(r.body.starts_with("%PDF"));
        // A print batch of a settlement.
        let settlement = a1.settlement.clone();
        let r = app
            .page(
                Method::GET,
                &format!(
                    "/billing/print?period=2026-10&settlement={}",
                    enc(&settlement)
                ),
                &cookie,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
        let r = app
            .page(
                Method::GET,
                "/billing/print?period=2026-13&settlement=x",
                &cookie,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn registry_page_upload_and_restriction_steps() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let a = account(&app, 5).await;
        let (cookie, _) = app.browser_login("sales").await;
        let page = app
            .page(Method::GET, "/billing/registries", &cookie, None)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{l}");
        let csrf = hidden(&page.body, "_csrf");
        let upload = |content: &str| {
            let boundary = "XyZb";
            let body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"bank\"\r\n\r\ncsv\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\n\
                 Content-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
            );
            Request::builder()
                .method(Method::POST)
                .uri("/billing/registries")
                .header(header::COOKIE, cookie.clone())
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .unwrap()
        };
        let r = app
            .send(upload(&format!("h\n2026-09-01;{};сто;А\n", a.number)))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("строка 2"), "{}", r.body);
        let r = app
            .send(upload(&format!("h\n2026-09-01;{};100;А\n", a.number)))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("зачислено 1"), "{}", r.body);

        // Four months of norm charges unpaid open a restriction case with a warning.
        sqlx::query("UPDATE accounts SET residents = 1, rooms = 1, meter_installable = FALSE, category = 'urban' WHERE id = $1")
            .bind(a.id)
            .execute(s.pool())
            .await
            .unwrap();
        let mut p = Period::parse("2026-08").unwrap();
        for _ in 0..4 {
            s.bill(p, 100, None, |_, _| {}).await.unwrap();
            p = p.next();
        }
        let cases = s.restriction_cases_of_account(a.id).await.unwrap();
        assert_eq!(cases.len(), 1, "{l}");
        let case = &cases[0];
        let inv = app
            .page(
                Method::GET,
                &format!("/accounts/{}/invoices/{}", a.id, case.period),
                &cookie,
                None,
            )
            .await;
        assert!(
            inv.body.contains("ПРЕДУПРЕЖДЕНИЕ"),
            "the warning is on the invoice"
        );
        let page = app
            .page(
                Method::GET,
                &format!("/billing/restrictions/{}", case.id),
                &cookie,
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = hidden(&page.body, "_csrf");
        // Restriction needs the act's details.
        let r = app
            .page(
                Method::POST,
                &format!("/billing/restrictions/{}", case.id),
                &cookie,
                Some(&format!(
                    "_csrf={csrf}&version={}&step=restricted&note=",
                    case.version
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Closing needs the debt repaid.
        let r = app
            .page(
                Method::POST,
                &format!("/billing/restrictions/{}", case.id),
                &cookie,
                Some(&format!(
                    "_csrf={csrf}&version={}&step=closed&note=",
                    case.version
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains("не погашена"), "{}", r.body);
        // A technician sees the case but cannot act.
        let tech = app.token("tech").await;
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/restrictions/{}/steps", case.id),
                Some(&tech),
                Some(json!({"step": "closed", "version": case.version})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let list = app
            .api(Method::GET, "/api/v1/restrictions", Some(&tech), None)
            .await
            .json();
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == json!(case.id)),
            "every unpaid demo account has one; this one is listed"
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn an_invoice_copy_by_email_is_queued_with_checks() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let a1 = account(&app, 1).await;
        sqlx::query("UPDATE clients SET email = NULL, preferred_channel = 'post' WHERE id = $1")
            .bind(a1.client_id)
            .execute(s.pool())
            .await
            .unwrap();
        s.bill(Period::parse("2026-10").unwrap(), 100, None, |_, _| {})
            .await
            .unwrap();
        let cashier = app.token("cashier").await;
        let url = format!("/api/v1/accounts/{}/invoices/2026-10/email", a1.id);
        // The client has no address and none is given: refused, with the field named.
        let r = app
            .api(Method::POST, &url, Some(&cashier), Some(json!({})))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{l}: {}",
            r.body
        );
        assert!(r.body.contains("\"to\""), "{}", r.body);
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/accounts/{}/invoices/2026-11/email", a1.id),
                Some(&cashier),
                Some(json!({"to": "a@example.org"})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "no invoice for an unbilled period"
        );
        let r = app
            .api(
                Method::POST,
                &url,
                Some(&cashier),
                Some(json!({"to": "buh@example.org"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{l}: {}", r.body);
        assert_eq!(r.json()["status"], json!("queued"));
        assert_eq!(r.json()["attachment"], json!("invoice:2026-10"));
        let list = app
            .api(
                Method::GET,
                &format!("/api/v1/accounts/{}/messages", a1.id),
                Some(&cashier),
                None,
            )
            .await
            .json();
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["recipient"], json!("buh@example.org"));
        // The sender job was queued with the message.
        assert!(!s
            .jobs_of_kind(&abonent_store::jobs::JobKind::OutboxSend, 5)
            .await
            .unwrap()
            .is_empty());

        // The form on the invoice: a wrong address keeps the input; a good one is queued once
        // however often the form is sent.
        let (cookie, _) = app.browser_login("cashier").await;
        let page_url = format!("/accounts/{}/invoices/2026-10", a1.id);
        let page = app.page(Method::GET, &page_url, &cookie, None).await;
        assert!(page.body.contains("Копия счёта по электронной почте"));
        assert!(
            page.body.contains("buh@example.org"),
            "the sent copy is listed"
        );
        let csrf = hidden(&page.body, "_csrf");
        let once = hidden(&page.body, "_once");
        let r = app
            .page(
                Method::POST,
                &format!("{page_url}/email"),
                &cookie,
                Some(&format!("_csrf={csrf}&_once={once}&to=ivanov%40")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("value=\"ivanov@\""), "input kept");
        assert!(r.body.contains("указан неверно"));
        let form = format!("_csrf={csrf}&_once={once}&to=ivanov%40example.org");
        for _ in 0..2 {
            let r = app
                .page(
                    Method::POST,
                    &format!("{page_url}/email"),
                    &cookie,
                    Some(&form),
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            assert!(r.location().ends_with("?queued=1"));
        }
        let page = app
            .page(Method::GET, &format!("{page_url}?queued=1"), &cookie, None)
            .await;
        assert!(page.body.contains("поставлено в очередь"));
        assert_eq!(page.body.matches("ivanov@example.org").count(), 1, "{l}");
        assert_eq!(s.messages_of_account(a1.id, 10).await.unwrap().len(), 2);
        // Without CSRF: refused.
        let r = app
            .page(
                Method::POST,
                &format!("{page_url}/email"),
                &cookie,
                Some("to=x%40example.org"),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        app.db.cleanup().await;
    }
}
