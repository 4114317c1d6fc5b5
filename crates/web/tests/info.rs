//! The public section «Клиентам» and its editor, and readings without signing in, on SQLite and
//! PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use abonent_domain::accounts::AccountNumber;
use abonent_domain::info::SUBSECTIONS;
use abonent_domain::metering::MeterDraft;
use abonent_store::audit::Actor;
use axum::http::{Method, StatusCode};
use common::{apps, enc, hidden, set_cookie, App};

#[tokio::test]
async fn the_public_section_has_every_subsection_and_staff_edit_it_with_history() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let index = app.page(Method::GET, "/info", "", None).await;
        assert_eq!(index.status, StatusCode::OK, "{l}");
        for sub in SUBSECTIONS {
            assert!(index.body.contains(sub.title), "{l}: {}", sub.title);
        }
        let offices = app.page(Method::GET, "/info/offices", "", None).await;
        for c in s.centres().await.unwrap() {
            assert!(
                offices.body.contains(&c.address),
                "{l}: generated from the centres"
            );
        }
        let req = app.page(Method::GET, "/info/requisites", "", None).await;
        let settings = s.billing_settings().await.unwrap();
        assert!(req.body.contains(&settings.bic), "{l}");
        let page = app.page(Method::GET, "/info/page/readings", "", None).await;
        assert!(
            page.body.contains("<strong>с 20-го по 25-е число</strong>"),
            "{}",
            page.body
        );
        // The page of the standards carries the norms in force, from the data.
        let std_page = app
            .page(Method::GET, "/info/page/standards", "", None)
            .await;
        assert!(
            std_page.body.contains("не позднее 15 календарных дней"),
            "{l}: {}",
            std_page.body
        );
        assert!(std_page.body.contains("до 25-го числа месяца"), "{l}");
        let mut n =
            s.appeal_norms().await.unwrap()[&abonent_domain::appeals::AppealKind::Complaint];
        n.answer_days = 10;
        s.set_appeal_norms(
            abonent_domain::appeals::AppealKind::Complaint,
            &n,
            &Actor::default(),
        )
        .await
        .unwrap();
        let std_page = app
            .page(Method::GET, "/info/page/standards", "", None)
            .await;
        assert!(
            std_page
                .body
                .contains("Ответ: жалоба</dt><dd>не позднее 10 календарных дней"),
            "{l}"
        );
        let r = app.page(Method::GET, "/info/page/nonsense", "", None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // Who may edit.
        let (cashier, _) = app.browser_login("cashier").await;
        let r = app.page(Method::GET, "/info/admin", &cashier, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let (sales, _) = app.browser_login("sales").await;
        let list = app.page(Method::GET, "/info/admin", &sales, None).await;
        assert_eq!(list.status, StatusCode::OK);
        let ed = app.page(Method::GET, "/info/admin/faq", &sales, None).await;
        assert_eq!(ed.status, StatusCode::OK, "{l}");
        let csrf = hidden(&ed.body, "_csrf");
        let text = "Ответ <script>alert(1)</script> и **Новый** ответ";
        let post = |action: &str, body: &str| {
            format!(
                "_csrf={csrf}&title={}&body={}&action={action}",
                enc("Вопросы и ответы"),
                enc(body)
            )
        };
        // Preview: rendered, raw HTML shown as text, nothing saved, the input kept.
        let r = app
            .page(
                Method::POST,
                "/info/admin/faq",
                &sales,
                Some(&post("preview", text)),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{l}");
        assert!(r.body.contains("<strong>Новый</strong>"));
        assert!(!r.body.contains("<script>alert(1)</script>"), "no raw HTML");
        assert!(r.body.contains("&lt;script&gt;"));
        assert_eq!(s.info_versions("faq").await.unwrap().len(), 1);
        // Empty text: refused.
        let r = app
            .page(
                Method::POST,
                "/info/admin/faq",
                &sales,
                Some(&post("publish", " ")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // A draft does not change the site; publishing does; every save is kept.
        let r = app
            .page(
                Method::POST,
                "/info/admin/faq",
                &sales,
                Some(&post("draft", text)),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let site = app.page(Method::GET, "/info/page/faq", "", None).await;
        assert!(
            !site.body.contains("Новый"),
            "{l}: a draft is not published"
        );
        let r = app
            .page(
                Method::POST,
                "/info/admin/faq",
                &sales,
                Some(&post("publish", "**Новый** ответ")),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let site = app.page(Method::GET, "/info/page/faq", "", None).await;
        assert!(site.body.contains("<strong>Новый</strong> ответ"), "{l}");
        let history = s.info_versions("faq").await.unwrap();
        assert_eq!(history.len(), 3);
        assert!(history[0].author.is_some() && history[0].published_at.is_some());
        assert!(history[1].published_at.is_none(), "the draft");
        let ed = app.page(Method::GET, "/info/admin/faq", &sales, None).await;
        assert!(ed.body.contains("на сайте") && ed.body.contains("черновик"));
        // The public sees the page's editions; an earlier one stays readable, a draft never.
        assert!(site.body.contains("Редакции"), "{l}");
        let first = history[2].id;
        assert!(
            site.body
                .contains(&format!("/info/page/faq/editions/{first}")),
            "{l}"
        );
        let old = app
            .page(
                Method::GET,
                &format!("/info/page/faq/editions/{first}"),
                "",
                None,
            )
            .await;
        assert_eq!(old.status, StatusCode::OK, "{l}");
        assert!(old.body.contains("Это прежняя редакция"), "{l}");
        assert!(!old.body.contains("<strong>Новый</strong> ответ"));
        let draft = app
            .page(
                Method::GET,
                &format!("/info/page/faq/editions/{}", history[1].id),
                "",
                None,
            )
            .await;
        assert_eq!(
            draft.status,
            StatusCode::NOT_FOUND,
            "{l}: a draft is not public"
        );

        // The standard itself, in full, with its editions (§5.2.2).
        let standard = app.page(Method::GET, "/info/page/standard", "", None).await;
        assert_eq!(standard.status, StatusCode::OK, "{l}");
        for text in [
            "ПРЕДИСЛОВИЕ",
            "5.2.2. Обеспечение качества клиентского обслуживания.",
            "Действующий Стандарт качества обслуживания Клиентов и изменения к нему",
        ] {
            assert!(standard.body.contains(text), "{l}: {text}");
        }
        assert!(std_page.body.contains("/info/page/standard"), "{l}: linked");
        let r = app
            .page(
                Method::POST,
                "/info/admin/faq",
                &sales,
                Some("title=x&body=y&action=publish"),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "CSRF");
        app.db.cleanup().await;
    }
}

async fn quick(app: &App, account: &str, serial: &str, values: &str) -> common::Resp {
    let form = app.page(Method::GET, "/readings", "", None).await;
    let cookie = format!(
        "abonent_portal_form={}",
        set_cookie(&form, "abonent_portal_form")
    );
    let body = format!(
        "_csrf={}&account={account}&serial={}&values={}",
        hidden(&form.body, "_csrf"),
        enc(serial),
        enc(values)
    );
    app.page(Method::POST, "/readings", &cookie, Some(&body))
        .await
}

#[tokio::test]
async fn a_reading_without_signing_in_needs_the_meter_digits_and_is_throttled() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let a = s
            .account_by_number(&AccountNumber::from_serial(5))
            .await
            .unwrap();
        let data = MeterDraft {
            serial: "SN-00417731".into(),
            zones: "1".into(),
            digits: "6".into(),
            installed_on: "2025-01-01".into(),
            verified_on: "2025-01-01".into(),
            interval_years: "16".into(),
            initial: "2000".into(),
            ..Default::default()
        }
        .validate(jiff::civil::date(2026, 11, 26))
        .unwrap();
        let meter = s
            .create_meter(a.id, &data, &Actor::default())
            .await
            .unwrap();
        let r = quick(&app, &a.number, "12", "2010").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("не меньше 4"));
        let r = quick(&app, &a.number, "9999", "2010").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("не подходят"), "{}", r.body);
        assert!(r.body.contains("value=\"2010\""), "input kept");
        let r = quick(&app, &a.number, "7731", "1990").await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "below the previous: the same checks"
        );
        let r = quick(&app, &a.number, "7731", "2010").await;
        assert_eq!(r.status, StatusCode::OK, "{l}: {}", r.body);
        assert!(r.body.contains("Показания приняты"), "{}", r.body);
        let readings = s.readings_of_meter(meter, 10).await.unwrap();
        assert_eq!(readings.len(), 1);
        assert_eq!(readings[0].channel, "portal");
        // Guessing the digits is throttled (3 failures per account number here).
        for _ in 0..2 {
            quick(&app, &a.number, "0000", "2020").await;
        }
        let r = quick(&app, &a.number, "7731", "2020").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{l}");
        // Without the form's cookie: refused.
        let r = app
            .page(
                Method::POST,
                "/readings",
                "",
                Some(&format!(
                    "_csrf=x&account={}&serial=7731&values=2030",
                    a.number
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn payment_points_are_kept_by_staff_and_shown_with_the_centres_cash_desks() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        // Who may keep them.
        let (cashier, _) = app.browser_login("cashier").await;
        let r = app
            .page(Method::GET, "/info/payment-points/admin", &cashier, None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}");
        let (sales, _) = app.browser_login("sales").await;
        let page = app
            .page(Method::GET, "/info/payment-points/admin", &sales, None)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{l}");
        let csrf = hidden(&page.body, "_csrf");
        let form = |id: &str, kind: &str, name: &str, hours: &str| {
            format!(
                "_csrf={csrf}&id={id}&kind={kind}&name={}&address={}&hours={}&fee={}",
                enc(name),
                enc("г. Радужный, 2 мкр., д. 21"),
                enc(hours),
                enc("без комиссии")
            )
        };
        // Bad input: every reason, the input kept, nothing stored.
        let r = app
            .page(
                Method::POST,
                "/info/payment-points/admin",
                &sales,
                Some(&form("", "nonsense", "Почта России", "")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("Выберите вид пункта"), "{l}");
        assert!(r.body.contains("Укажите часы работы"), "{l}");
        assert!(r.body.contains("value=\"Почта России\""), "{l}: kept");
        assert!(s.payment_points(true).await.unwrap().is_empty());
        // Stored, shown on the site with the centres' cash desks.
        let r = app
            .page(
                Method::POST,
                "/info/payment-points/admin",
                &sales,
                Some(&form(
                    "",
                    "post",
                    "Почта России, отделение 628462",
                    "пн–пт 8:00–20:00",
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let site = app
            .page(Method::GET, "/info/payment-points", "", None)
            .await;
        assert_eq!(site.status, StatusCode::OK);
        assert!(site.body.contains("Отделения почтовой связи"), "{l}");
        assert!(site.body.contains("Почта России, отделение 628462"), "{l}");
        assert!(site.body.contains("пн–пт 8:00–20:00"), "{l}");
        for c in s.centres().await.unwrap() {
            assert!(
                site.body.contains(&c.opening_hours),
                "{l}: the cash desks' hours"
            );
        }
        // Changed, then taken off the site (kept for the record); every step audited.
        let id = s.payment_points(false).await.unwrap()[0].id;
        let r = app
            .page(
                Method::POST,
                "/info/payment-points/admin",
                &sales,
                Some(&form(
                    &id.to_string(),
                    "post",
                    "Почта России, отделение 628462",
                    "пн–сб 8:00–20:00",
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}");
        let site = app
            .page(Method::GET, "/info/payment-points", "", None)
            .await;
        assert!(site.body.contains("пн–сб 8:00–20:00"), "{l}");
        let r = app
            .page(
                Method::POST,
                &format!("/info/payment-points/admin/{id}/withdraw"),
                &sales,
                Some(&format!("_csrf={csrf}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}");
        let site = app
            .page(Method::GET, "/info/payment-points", "", None)
            .await;
        assert!(!site.body.contains("Почта России"), "{l}: withdrawn");
        assert_eq!(s.payment_points(true).await.unwrap().len(), 1, "kept");
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('payment_point.save', 'payment_point.withdraw')",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        assert_eq!(n, 3, "{l}");
        // Without the form token: refused.
        let r = app
            .page(
                Method::POST,
                "/info/payment-points/admin",
                &sales,
                Some("kind=post&name=x&address=y&hours=z&fee=w"),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}");
        app.db.cleanup().await;
    }
}
