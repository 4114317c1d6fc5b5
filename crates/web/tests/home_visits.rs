//! Home visits over HTTP (CHN-06), on SQLite and PostgreSQL: a request from the client's card
//! (page), by phone (API, idempotent) and from the personal account; the assignment and a move
//! by the branch head, a stale page refused; the result by the staff member sent; the overdue
//! marks; who may not; Russian messages with the input kept.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use abonent_domain::accounts::AccountNumber;
use abonent_domain::frontoffice::home_visits::{HomeVisitChannel, HomeVisitRequest, Schedule};
use abonent_store::audit::Actor;
use axum::http::{Method, StatusCode};
use common::{apps, enc, hidden, App};
use jiff::civil::{date, time};
use serde_json::json;

/// The client and account of demo account serial `n`.
async fn client_of(app: &App, n: u32) -> (i64, i64, String) {
    let a = app
        .db
        .store
        .account_by_number(&AccountNumber::from_serial(n))
        .await
        .unwrap();
    (a.client_id, a.id, a.number)
}

fn in_days(days: i64) -> String {
    let today = jiff::Zoned::now()
        .with_time_zone(abonent_domain::org::default_time_zone())
        .date();
    today
        .checked_add(jiff::Span::new().days(days))
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_request_by_phone_is_scheduled_moved_and_done_over_the_api() {
    for app in apps().await {
        let (client, _, number) = client_of(&app, 1).await;
        let tech = app.token("tech").await;
        let head = app.token("head").await;
        let body = json!({"client_id": client, "account": number, "channel": "phone",
            "reason": "Снять показания: клиент не ходит", "contact_phone": "+7 912 345-67-89",
            "preferred_from": in_days(1), "preferred_to": in_days(7)});

        // Who may not: the records clerk records no request, the administrator sees none.
        let clerk = app.token("clerk").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/home-visits",
                Some(&clerk),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", app.label());
        let admin = app.token("admin").await;
        let r = app
            .api(Method::GET, "/api/v1/home-visits", Some(&admin), None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Russian messages, each at its field.
        let r = app
            .api(
                Method::POST,
                "/api/v1/home-visits",
                Some(&tech),
                Some(
                    json!({"client_id": client, "account": number, "channel": "portal",
                    "reason": " ", "contact_phone": "123", "preferred_from": "2020-01-01"}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let errors = r.json()["errors"].as_array().unwrap().clone();
        let at = |f: &str| {
            errors
                .iter()
                .find(|e| e["field"] == f)
                .map(|e| e["detail"].as_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("no {f} in {errors:?}"))
        };
        assert!(at("reason").starts_with("Укажите, зачем нужен выезд"));
        assert!(at("channel").contains("по телефону"));
        assert!(at("contact_phone").contains("10 цифр"));
        assert_eq!(at("preferred_from"), "Дата не может быть в прошлом.");

        // One request for a retried key.
        let post = |key: &'static str| {
            let b = body.clone();
            let tech = tech.clone();
            let app = &app;
            async move {
                let req = axum::http::Request::builder()
                    .method(Method::POST)
                    .uri("/api/v1/home-visits")
                    .header("authorization", format!("Bearer {tech}"))
                    .header("idempotency-key", key)
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(b.to_string()))
                    .unwrap();
                app.send(req).await
            }
        };
        let first = post("hv-1").await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        let again = post("hv-1").await;
        assert_eq!(first.json()["id"], again.json()["id"]);
        let v = first.json();
        let id = v["id"].as_i64().unwrap();
        assert_eq!(v["status"], "requested");
        assert_eq!(v["channel"], "phone");
        assert_eq!(v["contact_phone"], "9123456789");
        let n: usize = app
            .api(Method::GET, "/api/v1/home-visits", Some(&tech), None)
            .await
            .json()
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["visit"]["client_id"] == client)
            .count();
        assert_eq!(n, 1, "{}: the retry made no second request", app.label());

        // The technician does not schedule; the branch head does, to a technician of the branch.
        let tech_id = app
            .db
            .store
            .staff_credentials("tech")
            .await
            .unwrap()
            .unwrap()
            .0
            .id;
        let plan = json!({"visit_on": in_days(2), "time_from": "10:00", "time_to": "12:00",
            "staff_id": tech_id, "version": 1});
        let path = format!("/api/v1/home-visits/{id}/schedule");
        let r = app
            .api(Method::POST, &path, Some(&tech), Some(plan.clone()))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .api(Method::POST, &path, Some(&head), Some(plan.clone()))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", app.label(), r.body);
        assert_eq!(r.json()["status"], "scheduled");
        assert_eq!(r.json()["version"], 2);
        // The same page again (version 1): refused, in Russian.
        let r = app
            .api(Method::POST, &path, Some(&head), Some(plan.clone()))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.json()["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("обновите страницу"));
        // A move needs a reason.
        let r = app
            .api(
                Method::POST,
                &path,
                Some(&head),
                Some(
                    json!({"visit_on": in_days(3), "time_from": "14:00", "time_to": "15:30",
                    "staff_id": tech_id, "version": 2}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "reason");
        let r = app
            .api(
                Method::POST,
                &path,
                Some(&head),
                Some(
                    json!({"visit_on": in_days(3), "time_from": "14:00", "time_to": "15:30",
                    "staff_id": tech_id, "version": 2, "reason": "клиент попросил"}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        // Another technician is not the one sent; the one sent records the result.
        let result = format!("/api/v1/home-visits/{id}/result");
        let tech2 = app.token("tech2").await;
        let done = json!({"outcome": "done", "note": "Показания сняты", "version": 3});
        let r = app
            .api(Method::POST, &result, Some(&tech2), Some(done.clone()))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let r = app
            .api(
                Method::POST,
                &result,
                Some(&tech),
                Some(json!({"outcome": "done", "version": 3})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            r.json()["errors"][0]["detail"],
            "Опишите, что сделано на выезде."
        );
        let r = app
            .api(Method::POST, &result, Some(&tech), Some(done.clone()))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["status"], "completed");

        let card = app
            .api(
                Method::GET,
                &format!("/api/v1/home-visits/{id}"),
                Some(&tech),
                None,
            )
            .await
            .json();
        assert_eq!(card["history"].as_array().unwrap().len(), 4);
        assert_eq!(card["overdue"], serde_json::Value::Null);
        // Cancelling a completed visit is refused.
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/home-visits/{id}/cancel"),
                Some(&head),
                Some(json!({"reason": "поздно", "version": 4})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn overdue_requests_and_visits_are_marked() {
    for app in apps().await {
        let s = &app.db.store;
        let (client, account, _) = client_of(&app, 2).await;
        let head = s.staff_credentials("head").await.unwrap().unwrap().0;
        let who = Actor {
            staff_id: Some(head.id),
            login: "head".into(),
            ip: String::new(),
        };
        let r = HomeVisitRequest {
            reason: "Давняя заявка".into(),
            preferred_from: None,
            preferred_to: None,
            preferred_time: None,
            contact_phone: None,
            channel: HomeVisitChannel::Phone,
        };
        // A request of 2020 never scheduled; another scheduled for a day long gone.
        let never = s
            .request_home_visit(client, account, &r, date(2020, 1, 13), &who)
            .await
            .unwrap();
        let gone = s
            .request_home_visit(client, account, &r, date(2020, 1, 13), &who)
            .await
            .unwrap();
        let tech = s.staff_credentials("tech").await.unwrap().unwrap().0;
        s.schedule_home_visit(
            gone.id,
            1,
            &Schedule {
                visit_on: date(2020, 1, 15),
                time_from: time(10, 0, 0, 0),
                time_to: time(11, 0, 0, 0),
                staff_id: tech.id,
                reason: None,
            },
            &who,
        )
        .await
        .unwrap();
        // And one of today: not overdue.
        let today = jiff::Zoned::now()
            .with_time_zone(abonent_domain::org::default_time_zone())
            .date();
        let fresh = s
            .request_home_visit(client, account, &r, today, &who)
            .await
            .unwrap();

        let token = app.token("sales").await;
        let lines = app
            .api(
                Method::GET,
                "/api/v1/home-visits?status=overdue",
                Some(&token),
                None,
            )
            .await
            .json();
        let mark = |id: i64| {
            lines
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["visit"]["id"] == id)
                .map(|l| l["overdue"].as_str().unwrap().to_owned())
        };
        // Requested on Monday 13 January 2020: 3 working days → Thursday 16.
        assert_eq!(
            mark(never.id).as_deref(),
            Some("просрочено: не назначен до 16.01.2020"),
            "{}",
            app.label()
        );
        assert_eq!(
            mark(gone.id).as_deref(),
            Some("просрочено: выезд 15.01.2020 без результата")
        );
        assert_eq!(mark(fresh.id), None);

        // The page marks them too, for the visiting staff member among «Мои выезды».
        let (cookie, _) = app.browser_login("tech").await;
        let page = app
            .page(Method::GET, "/home-visits?mine=1", &cookie, None)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Мои выезды"));
        assert!(page
            .body
            .contains("просрочено: выезд 15.01.2020 без результата"));
        assert!(page
            .body
            .contains("class=\"table-wrap\" tabindex=\"0\" role=\"region\""));
        let page = app.page(Method::GET, "/home-visits", &cookie, None).await;
        assert!(page.body.contains("просрочено: не назначен до 16.01.2020"));
        // A bad date filter is named, in Russian.
        let page = app
            .page(Method::GET, "/home-visits?date=завтра", &cookie, None)
            .await;
        assert!(page.body.contains("Дата в виде ГГГГ-ММ-ДД."));
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn a_request_from_the_card_page_and_from_the_personal_account() {
    for app in apps().await {
        let (client, account, number) = client_of(&app, 3).await;
        let (cookie, csrf) = app.browser_login("tech").await;
        let card = app
            .page(Method::GET, &format!("/clients/{client}"), &cookie, None)
            .await;
        assert!(
            card.body.contains("Заявка на выезд на дом"),
            "{}",
            app.label()
        );
        let form = app
            .page(
                Method::GET,
                &format!("/home-visits/new?client_id={client}&channel=card"),
                &cookie,
                None,
            )
            .await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let once = hidden(&form.body, "_once");

        // No reason: the form again with the message, the input kept.
        let bad = format!(
            "_csrf={csrf}&_once={once}&client_id={client}&channel=card&account={number}&reason=&preferred_time={}",
            enc("после 15:00")
        );
        let r = app
            .page(Method::POST, "/home-visits/new", &cookie, Some(&bad))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Укажите, зачем нужен выезд"));
        assert!(r.body.contains("после 15:00"));

        let good = format!(
            "_csrf={csrf}&_once={once}&client_id={client}&channel=card&account={number}&reason={}",
            enc("Заключить договор на дому")
        );
        let r = app
            .page(Method::POST, "/home-visits/new", &cookie, Some(&good))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let at = r.location().to_owned();
        // A double submit (the same one-time token) is the same request.
        let r2 = app
            .page(Method::POST, "/home-visits/new", &cookie, Some(&good))
            .await;
        assert_eq!(r2.location(), at);
        let page = app.page(Method::GET, &at, &cookie, None).await;
        assert!(page.body.contains("Заключить договор на дому"));
        assert!(page.body.contains("из карточки клиента"));
        assert!(page
            .body
            .contains("/appeals/new?channel=in_person_oral&amp;client_id="));

        // The branch head assigns it on the page; a wrong window is named.
        let (hcookie, hcsrf) = app.browser_login("head").await;
        let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
        let tech_id = app
            .db
            .store
            .staff_credentials("tech")
            .await
            .unwrap()
            .unwrap()
            .0
            .id;
        let r = app
            .page(
                Method::POST,
                &format!("/home-visits/{id}/schedule"),
                &hcookie,
                Some(&format!(
                    "_csrf={hcsrf}&version=1&visit_on={}&time_from=12:00&time_to=11:00&staff_id={tech_id}",
                    in_days(1)
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Конец интервала должен быть позже начала."));
        let r = app
            .page(
                Method::POST,
                &format!("/home-visits/{id}/schedule"),
                &hcookie,
                Some(&format!(
                    "_csrf={hcsrf}&version=1&visit_on={}&time_from=10:00&time_to=11:00&staff_id={tech_id}",
                    in_days(1)
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = app.page(Method::GET, &at, &cookie, None).await;
        assert!(
            page.body.contains("Результат выезда"),
            "the one sent records it"
        );

        // The personal account: the form, a request, the list.
        let (pcookie, pcsrf) = app.portal_user(account, "home@example.org").await;
        let p = app
            .page(Method::GET, "/my/home-visits", &pcookie, None)
            .await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("Вызвать специалиста на дом"));
        let r = app
            .page(
                Method::POST,
                "/my/home-visits",
                &pcookie,
                Some(&format!(
                    "_csrf={pcsrf}&_once=p1&account={number}&reason=&preferred_time={}",
                    enc("утром")
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Укажите, зачем нужен выезд"));
        assert!(r.body.contains("утром"));
        let other = AccountNumber::from_serial(4);
        let r = app
            .page(
                Method::POST,
                "/my/home-visits",
                &pcookie,
                Some(&format!(
                    "_csrf={pcsrf}&_once=p2&account={}&reason={}",
                    other.as_str(),
                    enc("Проверить счётчик")
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Выберите лицевой счёт из списка."));
        let r = app
            .page(
                Method::POST,
                "/my/home-visits",
                &pcookie,
                Some(&format!(
                    "_csrf={pcsrf}&_once=p3&account={number}&reason={}&preferred_from={}",
                    enc("Проверить счётчик"),
                    in_days(2)
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/my/home-visits?sent=1");
        let p = app
            .page(Method::GET, "/my/home-visits?sent=1", &pcookie, None)
            .await;
        assert!(p.body.contains("Заявка принята"));
        assert!(p.body.contains("Проверить счётчик"));
        assert!(p.body.contains("Выезд: "), "the card's request, scheduled");
        let from_portal = app
            .db
            .store
            .home_visits(&abonent_store::frontoffice::home_visits::HomeVisitFilter {
                client_id: Some(client),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_iter()
            .filter(|v| v.channel == HomeVisitChannel::Portal)
            .count();
        assert_eq!(from_portal, 1);
        app.db.cleanup().await;
    }
}
