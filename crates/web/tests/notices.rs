//! Notice templates through the pages and the API, and reminders in the personal account's
//! inbox, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use abonent_domain::accounts::AccountNumber;
use abonent_domain::tariffs::Period;
use abonent_store::audit::Actor;
use axum::http::{Method, StatusCode};
use common::{apps, enc, hidden, set_cookie};
use serde_json::json;
use sha2::Digest;

#[tokio::test]
async fn templates_are_edited_with_checks_and_reminders_reach_the_inbox() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        // Who may edit: not a cashier.
        let (cashier, _) = app.browser_login("cashier").await;
        let r = app.page(Method::GET, "/notices", &cashier, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}");
        let (sales, _) = app.browser_login("sales").await;
        let page = app.page(Method::GET, "/notices", &sales, None).await;
        assert_eq!(page.status, StatusCode::OK, "{l}: {}", page.body);
        assert!(page.body.contains("Задолженность") && page.body.contains("Передайте показания"));
        let csrf = hidden(&page.body, "_csrf");

        // An unknown placeholder: refused, the typed text kept, the allowed ones named.
        let typed = "Долг {account}: {summa}";
        let r = app
            .page(
                Method::POST,
                "/notices/debt/sms",
                &sales,
                Some(&format!("_csrf={csrf}&body={}", enc(typed))),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(
            r.body.contains("Неизвестные подстановки: {summa}"),
            "{}",
            r.body
        );
        assert!(r.body.contains("Долг {account}: {summa}"), "input kept");
        let good = "Долг по л/с {account}: {amount}. Тел. {hotline}";
        let r = app
            .page(
                Method::POST,
                "/notices/debt/sms",
                &sales,
                Some(&format!("_csrf={csrf}&body={}", enc(good))),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let r = app.page(Method::GET, r.location(), &sales, None).await;
        assert!(r.body.contains("Шаблон сохранён"));
        assert!(
            r.body.contains("Долг по л/с 100000017: 1 234,56 ₽"),
            "the preview: {}",
            r.body
        );
        assert_eq!(s.notice_template("debt", "sms").await.unwrap().body, good);
        let r = app
            .page(Method::POST, "/notices/debt/sms", &sales, Some("body=x"))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "CSRF");

        // The API: the same checks.
        let token = app.token("sales").await;
        let r = app
            .api(
                Method::PUT,
                "/api/v1/notices/templates/debt/email",
                Some(&token),
                Some(json!({"subject": "", "body": "x"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("\"subject\""), "{}", r.body);
        let r = app
            .api(
                Method::PUT,
                "/api/v1/notices/templates/debt/portal",
                Some(&token),
                Some(json!({"subject": "Долг по {account}", "body": "Сумма {amount} до {due_date}."})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{l}: {}", r.body);
        let list = app
            .api(Method::GET, "/api/v1/notices/templates", Some(&token), None)
            .await
            .json();
        assert_eq!(
            list.as_array().unwrap().len(),
            abonent_domain::notices::KINDS.len() * abonent_domain::notices::CHANNELS.len()
        );
        assert_eq!(
            list.as_array().unwrap().len(),
            24,
            "eight kinds by three channels"
        );

        // A client with a personal account gets the debt reminder in the inbox.
        let a = s
            .account_by_number(&AccountNumber::from_serial(4))
            .await
            .unwrap();
        let hash = abonent_domain::password::try_hash("klient-2026-pass").unwrap();
        let confirm = hex::encode(sha2::Sha256::digest(b"tok"));
        s.portal_sign_up(
            a.id,
            &abonent_store::portal::PortalLogin::Email("sidorova@example.org".into()),
            &hash,
            &confirm,
            1_000_000_000,
            &Actor::default(),
        )
        .await
        .unwrap();
        s.portal_confirm(&confirm).await.unwrap().unwrap();
        s.bill(Period::parse("2026-10").unwrap(), 100, None, |_, _| {})
            .await
            .unwrap();
        let f = s
            .queue_reminders("debt", jiff::civil::date(2026, 11, 20))
            .await
            .unwrap();
        assert!(f.portal >= 1, "{l}: {f:?}");
        abonent_jobs::outbox::send_due(s, &Default::default(), &Default::default(), "w")
            .await
            .unwrap();
        let form = app.page(Method::GET, "/my/login", "", None).await;
        let cookie = format!(
            "abonent_portal_form={}",
            set_cookie(&form, "abonent_portal_form")
        );
        let r = app
            .page(
                Method::POST,
                "/my/login",
                &cookie,
                Some(&format!(
                    "_csrf={}&email=sidorova%40example.org&password=klient-2026-pass",
                    hidden(&form.body, "_csrf")
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let me = format!("abonent_portal={}", set_cookie(&r, "abonent_portal"));
        let home = app.page(Method::GET, "/my", &me, None).await;
        assert!(home.body.contains("Уведомления"), "{l}");
        assert!(
            home.body.contains(&format!("Долг по {}", a.number)),
            "{l}: {}",
            home.body
        );
        assert!(home.body.contains("до 15.11.2026"), "{l}");
        app.db.cleanup().await;
    }
}
