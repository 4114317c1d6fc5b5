//! Everyday ergonomics for staff: the client search by a printed address, Russian labels, the
//! links and grids of administration, printing; on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use axum::http::{Method, StatusCode};
use common::{apps, enc};

/// A demo client in Радужный living in a flat, and that account's printed address.
async fn flat_in_raduzhny(app: &common::App) -> (abonent_store::demo::DemoClient, String) {
    for serial in 1..=50 {
        let demo = abonent_store::demo::demo_client(serial);
        if demo.premises.settlement == "г. Радужный" && demo.premises.apartment.is_some() {
            let account = app.db.store.account_by_number(&demo.number).await.unwrap();
            return (demo, account.address());
        }
    }
    panic!("no demo client in a flat in Радужный");
}

#[tokio::test]
async fn the_search_finds_an_address_as_printed_and_in_parts() {
    for app in apps().await {
        let l = app.label();
        let (cookie, _) = app.browser_login("tech").await;
        let (demo, printed) = flat_in_raduzhny(&app).await;
        let p = &demo.premises;
        let flat = p.apartment.clone().unwrap();
        let street = p.street.trim_end_matches('.');
        assert!(
            printed.contains("г. Радужный") && printed.contains(", кв. "),
            "{printed}"
        );
        for q in [
            printed.clone(),
            format!("{}, {}, д. {}, кв. {flat}", p.settlement, p.street, p.house),
            format!("Радужный {street}"),
            format!("кв. {flat}"),
            format!("{street} д. {} кв. {flat}", p.house),
        ] {
            let r = app
                .page(
                    Method::GET,
                    &format!("/clients?q={}", enc(&q)),
                    &cookie,
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{l}: {q}: {}", r.body);
            assert!(
                r.body.contains(demo.number.as_str()),
                "{l}: searching «{q}» finds account {}",
                demo.number
            );
        }
        // The API answers the same query with the same shape.
        let token = app.token("tech").await;
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/clients?q={}", enc(&printed)),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{l}: {}", r.body);
        assert!(r
            .json()
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["account_number"] == demo.number.as_str()));
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn a_two_character_query_is_searched() {
    for app in apps().await {
        let l = app.label();
        let (cookie, _) = app.browser_login("tech").await;
        let demo = abonent_store::demo::demo_client(3);
        let two = &demo.phones[0][..2];
        let r = app
            .page(Method::GET, &format!("/clients?q={two}"), &cookie, None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{l}: {two}: {}", r.body);
        assert!(!r.body.contains("не меньше двух символов"), "{l}");
        assert!(r.body.contains("Найдено:"), "{l}");
        let r = app
            .page(Method::GET, "/clients?q=%D0%B0", &cookie, None)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{l}: one letter"
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_audit_log_speaks_russian() {
    for app in apps().await {
        let l = app.label();
        let (tech, _) = app.browser_login("tech").await;
        let r = app.page(Method::GET, "/clients?q=Ив", &tech, None).await;
        assert_eq!(r.status, StatusCode::OK, "{l}");
        // An administrator has no right to clients: the refusal is audited.
        let (admin, _) = app.browser_login("admin").await;
        let r = app.page(Method::GET, "/clients?q=Ив", &admin, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}");
        let r = app.page(Method::GET, "/audit", &admin, None).await;
        assert_eq!(r.status, StatusCode::OK, "{l}");
        for words in [
            "<td>Поиск клиентов</td>",
            "<td>Вход в систему</td>",
            "<td>Отказ в доступе</td>",
            "нет права: просмотр клиентов",
            "Егорова Мария Ивановна (tech)",
            "<td>поиск клиентов</td>",
        ] {
            assert!(r.body.contains(words), "{l}: the log shows {words}");
        }
        for raw in [
            ">client.search<",
            ">login.success<",
            ">access.denied<",
            ">ViewClients<",
        ] {
            assert!(!r.body.contains(raw), "{l}: no raw code {raw}");
        }
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn an_appeals_history_names_people_not_logins() {
    for app in apps().await {
        let l = app.label();
        let (cookie, csrf) = app.browser_login("clerk").await;
        let form = app.page(Method::GET, "/appeals/new", &cookie, None).await;
        let once = common::hidden(&form.body, "_once");
        let fields = [
            ("_csrf", csrf.as_str()),
            ("_once", once.as_str()),
            ("channel", "in_person_written"),
            ("kind", "claim"),
            ("topic", "billing"),
            ("text", "Прошу вернуть переплату."),
            ("applicant_name", "Сергеев Олег"),
            ("postal_address", "г. Радужный, 2 мкр., д. 1"),
        ];
        let (ct, body) = common::multipart(&fields, &[]);
        let r = app.post_multipart("/appeals/new", &cookie, &ct, body).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let id = r.location().split('/').nth(2).unwrap().to_owned();
        let card = app
            .page(Method::GET, &format!("/appeals/{id}"), &cookie, None)
            .await;
        assert_eq!(card.status, StatusCode::OK, "{l}");
        let history = &card.body[card.body.find("id=\"hist-h\"").unwrap()..];
        assert!(
            history.contains("<td>Белова Наталья Сергеевна</td>"),
            "{l}: {history}"
        );
        assert!(!history.contains("<td>clerk</td>"), "{l}");
        // The confirmation has a print button served by an external script.
        let conf = app
            .page(
                Method::GET,
                &format!("/appeals/{id}/confirmation"),
                &cookie,
                None,
            )
            .await;
        assert_eq!(conf.status, StatusCode::OK, "{l}");
        assert!(conf.body.contains("data-print") && conf.body.contains(">Печать</button>"));
        assert!(conf
            .body
            .contains("<script src=\"/assets/print.js\" defer></script>"));
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_print_script_is_served_from_the_server() {
    for app in apps().await {
        let r = app.page(Method::GET, "/assets/print.js", "", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", app.label());
        assert_eq!(
            r.headers["content-type"].to_str().unwrap(),
            "text/javascript; charset=utf-8"
        );
        assert!(r.body.contains("window.print()"));
        let css = app.page(Method::GET, "/assets/app.css", "", None).await;
        assert!(css.body.contains("@media print"));
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_norms_page_is_linked_from_administration_and_leads_back() {
    for app in apps().await {
        let l = app.label();
        let (admin, _) = app.browser_login("admin").await;
        let r = app.page(Method::GET, "/admin", &admin, None).await;
        assert!(r.body.contains("href=\"/appeals/settings\""), "{l}");
        // Everyone who may open the norms page gets a back link they may open too.
        for login in ["admin", "director"] {
            let (cookie, _) = app.browser_login(login).await;
            let r = app
                .page(Method::GET, "/appeals/settings", &cookie, None)
                .await;
            assert_eq!(r.status, StatusCode::OK, "{l}: {login}");
            let back = r.body.split("<p><a href=\"").nth(1).unwrap();
            let back = &back[..back.find('"').unwrap()];
            let r = app.page(Method::GET, back, &cookie, None).await;
            assert_eq!(r.status, StatusCode::OK, "{l}: {login} follows {back}");
        }
        let (director, _) = app.browser_login("director").await;
        let r = app.page(Method::GET, "/admin", &director, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_calendar_grid_changes_a_day_with_a_click() {
    for app in apps().await {
        let l = app.label();
        let (admin, csrf) = app.browser_login("admin").await;
        let r = app
            .page(Method::GET, "/admin/calendar/2031", &admin, None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{l}");
        assert_eq!(
            r.body.matches("<table class=\"cal-month\"").count(),
            12,
            "{l}"
        );
        assert!(r
            .body
            .contains("<th scope=\"col\" abbr=\"понедельник\">Пн</th>"));
        assert!(
            r.body.contains("<caption>Январь</caption>")
                && r.body.contains("<caption>Декабрь</caption>")
        );
        // 1 January is a holiday by the Labour Code; 13 January 2031 is an ordinary Monday.
        assert!(r
            .body
            .contains("value=\"2031-01-01:short\" class=\"cal-day cal-holiday\""));
        assert!(r
            .body
            .contains("value=\"2031-01-13:weekend\" class=\"cal-day cal-working\""));
        let post = |day: &str| format!("_csrf={csrf}&day={}", enc(day));
        let r = app
            .page(
                Method::POST,
                "/admin/calendar/2031/day",
                &admin,
                Some(&post("2031-01-13:weekend")),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        assert_eq!(r.location(), "/admin/calendar/2031#month-01");
        let r = app
            .page(Method::GET, "/admin/calendar/2031", &admin, None)
            .await;
        assert!(
            r.body
                .contains("value=\"2031-01-13:holiday\" class=\"cal-day cal-weekend\""),
            "{l}"
        );
        assert!(
            r.body.contains("2031-01-13 выходной"),
            "{l}: the text editor shows the day"
        );
        // The deadline counting follows at once.
        let r = app
            .page(
                Method::GET,
                "/admin/calendar/2031?from=2031-01-12&days=1",
                &admin,
                None,
            )
            .await;
        assert!(r.body.contains("Срок: 14.01.2031"), "{l}: {}", r.body);
        // A day of another year or a made-up mark is refused; without the token nothing changes.
        let r = app
            .page(
                Method::POST,
                "/admin/calendar/2031/day",
                &admin,
                Some(&post("2030-01-13:weekend")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let r = app
            .page(
                Method::POST,
                "/admin/calendar/2031/day",
                &admin,
                Some(&post("2031-01-14:sunny")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let r = app
            .page(
                Method::POST,
                "/admin/calendar/2031/day",
                &admin,
                Some("day=2031-01-14%3Aweekend"),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}");
        let (director, dcsrf) = app.browser_login("director").await;
        let r = app
            .page(
                Method::POST,
                "/admin/calendar/2031/day",
                &director,
                Some(&format!("_csrf={dcsrf}&day=2031-01-14%3Aweekend")),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn notice_templates_are_grouped_by_kind_and_collapsible() {
    for app in apps().await {
        let l = app.label();
        let (sales, _) = app.browser_login("sales").await;
        let r = app.page(Method::GET, "/notices", &sales, None).await;
        assert_eq!(r.status, StatusCode::OK, "{l}");
        let groups = r.body.matches("<details id=\"group-").count();
        assert_eq!(groups, abonent_domain::notices::KINDS.len(), "{l}");
        assert!(r.body.contains("<summary><h2 id=\"k-debt\">"), "{l}");
        // Nothing saved: every group is closed.
        assert!(!r.body.contains("<details id=\"group-debt\" open>"), "{l}");
        let r = app
            .page(Method::GET, "/notices?saved=debt-sms", &sales, None)
            .await;
        assert!(
            r.body.contains("<details id=\"group-debt\" open>"),
            "{l}: the saved group is open"
        );
        app.db.cleanup().await;
    }
}
