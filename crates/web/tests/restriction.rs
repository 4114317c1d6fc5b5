//! Recording how restriction warnings reached the clients (PAY-04, ПП 354 п. 119) through the
//! pages and the API, on SQLite and PostgreSQL. Set `ABONENT_SAVE_PAGES=/tmp/dir` to keep the
//! rendered pages for looking at them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use abonent_domain::accounts::AccountNumber;
use abonent_domain::tariffs::Period;
use abonent_store::restriction::RestrictionCase;
use axum::http::{Method, StatusCode};
use common::{apps, enc, hidden, App};
use jiff::civil::Date;
use jiff::ToSpan;
use serde_json::json;

fn today() -> Date {
    jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Asia/Yekaterinburg").unwrap())
        .date()
}

/// Accounts `serials` in `settlement`s of their own, four months of norm charges unpaid
/// ending two months ago: billing opens a case with a warning for each.
async fn debtors(app: &App, accounts: &[(u32, &str)]) -> Vec<RestrictionCase> {
    let s = &app.db.store;
    let mut ids = Vec::new();
    for (serial, settlement) in accounts {
        let a = s
            .account_by_number(&AccountNumber::from_serial(*serial))
            .await
            .unwrap()
            .id;
        sqlx::query("UPDATE accounts SET residents = 1, rooms = 1, meter_installable = FALSE, category = 'urban' WHERE id = $1")
            .bind(a)
            .execute(s.pool())
            .await
            .unwrap();
        sqlx::query(
            "UPDATE premises SET settlement = $2 WHERE id = (SELECT premises_id FROM accounts WHERE id = $1)",
        )
        .bind(a)
        .bind(*settlement)
        .execute(s.pool())
        .await
        .unwrap();
        ids.push(a);
    }
    let mut p = Period::of(today()).prev().prev();
    for _ in 0..3 {
        p = p.prev();
    }
    for _ in 0..4 {
        s.bill(p, 100, None, |_, _| {}).await.unwrap();
        p = p.next();
    }
    let mut out = Vec::new();
    for a in ids {
        let c = s.restriction_cases_of_account(a).await.unwrap();
        assert_eq!(c.len(), 1, "{}: account {a} has a case", app.label());
        out.push(c[0].clone());
    }
    out
}

/// The first day a delivery may be dated: the day the warning was issued.
fn issued(c: &RestrictionCase) -> Date {
    Period::parse(&c.period).unwrap().next().first_day()
}

fn save(name: &str, label: &str, html: &str) {
    if let Ok(dir) = std::env::var("ABONENT_SAVE_PAGES") {
        let _ = std::fs::create_dir_all(&dir);
        std::fs::write(format!("{dir}/{name}-{label}.html"), html).unwrap();
    }
}

#[tokio::test]
async fn the_case_page_records_each_way_and_keeps_the_input_on_error() {
    for app in apps().await {
        let l = app.label();
        let c = debtors(&app, &[(3, "с. Лесное")]).await.remove(0);
        let (cookie, _) = app.browser_login("tech").await;
        let url = format!("/billing/restrictions/{}", c.id);
        let page = app.page(Method::GET, &url, &cookie, None).await;
        assert_eq!(page.status, StatusCode::OK, "{l}");
        assert!(page.body.contains("вручение не записано"), "{l}");
        for way in ["invoice", "signature", "letter", "call"] {
            assert!(
                page.body.contains(&format!("name=\"way\" value=\"{way}\"")),
                "{l}: a form for {way}"
            );
        }
        save("case-empty", l, &page.body);
        let csrf = hidden(&page.body, "_csrf");
        let post = |form: String| {
            let (url, cookie) = (format!("{url}/deliveries"), cookie.clone());
            let app = &app;
            async move { app.page(Method::POST, &url, &cookie, Some(&form)).await }
        };
        // A wrong postal number and no date: refused in Russian, the input kept.
        let r = post(format!(
            "_csrf={csrf}&way=letter&letter_rpo=12345&letter_sent_on=&letter_receipt_on="
        ))
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("14 цифр"), "{l}: {}", r.body);
        assert!(r.body.contains("Укажите дату."), "{l}");
        assert!(
            r.body
                .contains("id=\"f-letter_rpo\" name=\"letter_rpo\" type=\"text\" value=\"12345\""),
            "{l}: the input is kept"
        );
        save("case-error", l, &r.body);
        // A call with a short number: the note typed stays.
        let r = post(format!(
            "_csrf={csrf}&way=call&call_called_at={}T10%3A15&call_delivered_by={}&call_phone=12-34&call_note={}",
            issued(&c),
            enc("Павлов Д. О."),
            enc("Сообщил о долге, запись № 4")
        ))
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("10 цифр"), "{l}");
        assert!(
            r.body.contains("Сообщил о долге, запись № 4</textarea>"),
            "{l}"
        );
        // The letter posted, no receipt yet: recorded, the term not started.
        let sent = issued(&c).checked_add(1.day()).unwrap();
        let r = post(format!(
            "_csrf={csrf}&way=letter&letter_rpo=62801094123456&letter_sent_on={sent}&letter_receipt_on="
        ))
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let page = app.page(Method::GET, &url, &cookie, None).await;
        assert!(
            page.body.contains("уведомление о вручении не вернулось"),
            "{l}"
        );
        assert!(page.body.contains("вручение не записано"), "{l}");
        // Handed over against a signature five days ago: the term runs from it.
        let on = today().checked_sub(5.days()).unwrap().max(issued(&c));
        let r = post(format!(
            "_csrf={csrf}&way=signature&signature_delivered_on={on}&signature_delivered_by={}",
            enc("Егорова М. И.")
        ))
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let page = app.page(Method::GET, &url, &cookie, None).await;
        assert!(page.body.contains("вручено под подпись"), "{l}");
        assert!(page.body.contains("Егорова М. И."), "{l}");
        let ru = |d: Date| d.strftime("%d.%m.%Y").to_string();
        let possible = on.checked_add(21.days()).unwrap();
        assert!(
            page.body
                .contains(&format!("<dd id=\"case-possible\">{}</dd>", ru(possible))),
            "{l}: the restriction is possible from day 21"
        );
        save("case-delivered", l, &page.body);
        // The head of sales may not restrict yet: the term after the delivery runs.
        let sales = app.token("sales").await;
        let c2 = app.db.store.restriction_case(c.id).await.unwrap().0;
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/restrictions/{}/steps", c.id),
                Some(&sales),
                Some(json!({"step": "restricted", "version": c2.version, "note": "акт № 1"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{l}: {}", r.body);
        assert!(r.body.contains("включительно"), "{l}: {}", r.body);
        // The list shows the delivery and the date.
        let list = app
            .page(Method::GET, "/billing/restrictions", &cookie, None)
            .await;
        assert!(list.body.contains(&ru(on)), "{l}");
        assert!(list.body.contains(&ru(possible)), "{l}");
        save("restrictions", l, &list.body);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn only_roles_with_the_right_record_deliveries_through_the_api() {
    for app in apps().await {
        let l = app.label();
        let c = debtors(&app, &[(4, "с. Лесное")]).await.remove(0);
        let path = format!("/api/v1/restrictions/{}/deliveries", c.id);
        let body = json!({"way": "invoice", "delivered_on": issued(&c).to_string(),
            "delivered_by": "Курьер Сидоров П. П."});
        for login in ["clerk", "director"] {
            let t = app.token(login).await;
            let r = app
                .api(Method::POST, &path, Some(&t), Some(body.clone()))
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}: {login}");
        }
        // The page hides the forms from them as well.
        let (cookie, _) = app.browser_login("clerk").await;
        let page = app
            .page(
                Method::GET,
                &format!("/billing/restrictions/{}", c.id),
                &cookie,
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{l}");
        assert!(!page.body.contains("name=\"way\""), "{l}");
        let cashier = app.token("cashier").await;
        let r = app
            .api(
                Method::POST,
                &path,
                Some(&cashier),
                Some(json!({"way": "letter", "rpo": "1", "sent_on": "вчера"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let fields: Vec<String> = r.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fields, ["rpo", "sent_on"], "{l}");
        let r = app
            .api(Method::POST, &path, Some(&cashier), Some(body.clone()))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{l}: {}", r.body);
        let list = app
            .api(Method::GET, &path, Some(&cashier), None)
            .await
            .json();
        assert_eq!(list[0]["way"], "invoice", "{l}");
        assert_eq!(list[0]["entered_by_login"], "cashier", "{l}");
        let cases = app
            .api(Method::GET, "/api/v1/restrictions", Some(&cashier), None)
            .await
            .json();
        let mine = cases
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == json!(c.id))
            .unwrap();
        assert_eq!(mine["delivered_on"], json!(issued(&c).to_string()), "{l}");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_printable_delivery_list_shows_a_districts_cases_and_records_them_in_one_go() {
    for app in apps().await {
        let l = app.label();
        let cases = debtors(
            &app,
            &[(6, "д. Ягодная"), (7, "д. Ягодная"), (8, "с. Лесное")],
        )
        .await;
        let (cookie, _) = app.browser_login("tech").await;
        let url = format!(
            "/billing/restrictions/delivery-list?settlement={}",
            enc("д. Ягодная")
        );
        let page = app.page(Method::GET, &url, &cookie, None).await;
        assert_eq!(page.status, StatusCode::OK, "{l}");
        for c in &cases[..2] {
            assert!(
                page.body.contains(&c.account_number),
                "{l}: {}",
                c.account_number
            );
        }
        assert!(
            !page.body.contains(&cases[2].account_number),
            "{l}: another district"
        );
        assert!(
            page.body.contains("Дата вручения") && page.body.contains("Подпись"),
            "{l}"
        );
        assert!(
            page.body.contains("class=\"blank\""),
            "{l}: blank columns to fill in"
        );
        save("delivery-list", l, &page.body);
        let csrf = hidden(&page.body, "_csrf");
        let on = issued(&cases[0]).checked_add(2.days()).unwrap();
        let (d0, d1) = (format!("d_{}", cases[0].id), format!("d_{}", cases[1].id));
        // Nobody named: refused, the dates typed kept.
        let form = format!(
            "_csrf={csrf}&settlement={}&delivered_by=&{d0}={on}&{d1}=31.02.2026",
            enc("д. Ягодная")
        );
        let r = app
            .page(
                Method::POST,
                "/billing/restrictions/delivery-list",
                &cookie,
                Some(&form),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("кто вручил"), "{l}: {}", r.body);
        assert!(
            r.body
                .contains(&format!("name=\"{d0}\" type=\"date\" value=\"{on}\"")),
            "{l}"
        );
        assert!(
            r.body
                .contains(&format!("Счёт {}", cases[1].account_number)),
            "{l}"
        );
        save("delivery-list-error", l, &r.body);
        let form = format!(
            "_csrf={csrf}&settlement={}&delivered_by={}&{d0}={on}&{d1}=",
            enc("д. Ягодная"),
            enc("Курьер Сидоров П. П.")
        );
        let r = app
            .page(
                Method::POST,
                "/billing/restrictions/delivery-list",
                &cookie,
                Some(&form),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let page = app.page(Method::GET, r.location(), &cookie, None).await;
        assert!(page.body.contains("Записано вручений: 1"), "{l}");
        assert!(
            !page.body.contains(&cases[0].account_number),
            "{l}: delivered, off the list"
        );
        assert!(
            page.body.contains(&cases[1].account_number),
            "{l}: still to deliver"
        );
        let d = app.db.store.warning_deliveries(cases[0].id).await.unwrap();
        assert_eq!(
            (
                d[0].way.code(),
                d[0].delivered_by.as_str(),
                d[0].delivered_on.clone()
            ),
            ("invoice", "Курьер Сидоров П. П.", Some(on.to_string())),
            "{l}"
        );
        app.db.cleanup().await;
    }
}
