//! The hall's electronic queue over HTTP (CHN-01), on SQLite and PostgreSQL: enrolled devices
//! only, a double tap gives one ticket, the display sees a call live, the escalation from the
//! technician to the head of sales, the journal with the norms, and the window's pages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{apps, enc, hidden, App, Resp};
use futures::StreamExt;
use serde_json::{json, Value};
use tower::ServiceExt;

/// A request as a device sends it (its token in the device header).
async fn device(
    app: &App,
    method: Method,
    path: &str,
    token: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Resp {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("x-abonent-device", token);
    if let Some(k) = key {
        b = b.header("idempotency-key", k);
    }
    let req = match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    app.send(req).await
}

async fn enrol(app: &App, admin: &str, centre: i64, kind: &str) -> String {
    let r = app
        .api(
            Method::POST,
            "/api/v1/devices",
            Some(admin),
            Some(json!({"centre_id": centre, "kind": kind, "name": format!("Тестовое устройство {kind}")})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.label(), r.body);
    let j = r.json();
    assert!(j["enrol_path"]
        .as_str()
        .unwrap()
        .starts_with("/devices/enrol?token="));
    j["token"].as_str().unwrap().to_owned()
}

fn service_id(services: &Value, letter: &str) -> i64 {
    services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["letter"] == letter)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_visitor_takes_a_ticket_is_called_transferred_and_served() {
    for app in apps().await {
        let centre = app.db.store.centres().await.unwrap()[0].id;
        let admin = app.token("admin").await;
        let kiosk = enrol(&app, &admin, centre, "kiosk").await;
        let display = enrol(&app, &admin, centre, "display").await;
        let kpath = format!("/api/v1/kiosk/{centre}/tickets");

        // Nobody else prints tickets: no token, a wrong one, a display's.
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/kiosk/{centre}/services"),
                None,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", app.label());
        assert!(r.json()["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("не зарегистрировано"));
        let r = device(
            &app,
            Method::GET,
            &format!("/api/v1/kiosk/{centre}/services"),
            "wrong",
            None,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = device(
            &app,
            Method::GET,
            &format!("/api/v1/kiosk/{centre}/services"),
            &display,
            None,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let services = device(
            &app,
            Method::GET,
            &format!("/api/v1/kiosk/{centre}/services"),
            &kiosk,
            None,
            None,
        )
        .await
        .json();
        assert_eq!(services.as_array().unwrap().len(), 5, "{}", app.label());
        let (r_id, n_id) = (service_id(&services, "Р"), service_id(&services, "Н"));

        // A double tap (the same key) gives one ticket; another tap the next number.
        let number = abonent_domain::accounts::AccountNumber::from_serial(1);
        let body = json!({"service_id": r_id, "account": number.as_str()});
        let t1 = device(
            &app,
            Method::POST,
            &kpath,
            &kiosk,
            Some("tap-1"),
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            t1.status,
            StatusCode::CREATED,
            "{}: {}",
            app.label(),
            t1.body
        );
        let t1 = t1.json();
        let again = device(
            &app,
            Method::POST,
            &kpath,
            &kiosk,
            Some("tap-1"),
            Some(body.clone()),
        )
        .await
        .json();
        assert_eq!(t1["ticket"]["id"], again["ticket"]["id"]);
        assert_eq!(t1["ticket"]["label"], "Р-001");
        let t2 = device(
            &app,
            Method::POST,
            &kpath,
            &kiosk,
            Some("tap-2"),
            Some(json!({"service_id": r_id})),
        )
        .await
        .json();
        assert_eq!(t2["ticket"]["label"], "Р-002");
        assert_eq!(t2["ahead"], 1);
        // A wrong account number is named; an unknown service refused.
        let bad = device(
            &app,
            Method::POST,
            &kpath,
            &kiosk,
            None,
            Some(json!({"service_id": r_id, "account": "123"})),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.json()["errors"][0]["field"], "account");
        let bad = device(
            &app,
            Method::POST,
            &kpath,
            &kiosk,
            None,
            Some(json!({"service_id": 999_999})),
        )
        .await;
        assert_eq!(bad.status, StatusCode::CONFLICT, "{}", bad.body);

        // The technician takes window 1 for «Р» and calls.
        let tech = app.token("tech").await;
        let r = app
            .api(
                Method::PUT,
                "/api/v1/queue/seat",
                Some(&tech),
                Some(json!({"centre_id": centre, "window": "1", "services": [r_id]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let called = app
            .api(Method::POST, "/api/v1/queue/call-next", Some(&tech), None)
            .await
            .json();
        assert_eq!(called["ticket"]["label"], "Р-001", "{}", app.label());
        assert_eq!(called["ticket"]["window_label"], "1");
        let id = called["ticket"]["id"].as_i64().unwrap();
        // One visitor at a time.
        let r = app
            .api(Method::POST, "/api/v1/queue/call-next", Some(&tech), None)
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(
            r.json()["errors"][0]["detail"],
            "Сначала завершите приём талона Р-001."
        );
        // The display shows it.
        let board = device(
            &app,
            Method::GET,
            &format!("/api/v1/display/{centre}/board"),
            &display,
            None,
            None,
        )
        .await
        .json();
        assert_eq!(board["called"][0]["label"], "Р-001");
        assert_eq!(board["called"][0]["window_label"], "1");

        // Not satisfied: to the head of sales.
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/queue/tickets/{id}/transfer"),
                Some(&tech),
                Some(json!({"service_id": n_id})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let sales = app.token("sales").await;
        app.api(
            Method::PUT,
            "/api/v1/queue/seat",
            Some(&sales),
            Some(json!({"centre_id": centre, "window": "Кабинет 5", "services": [n_id]})),
        )
        .await;
        let at_sales = app
            .api(Method::POST, "/api/v1/queue/call-next", Some(&sales), None)
            .await
            .json();
        assert_eq!(at_sales["ticket"]["id"], id);
        // A consultation's promised date is at most 15 days ahead.
        let far = app
            .api(
                Method::POST,
                &format!("/api/v1/queue/tickets/{id}/finish"),
                Some(&sales),
                Some(json!({"result": "consultation", "topic": "Перерасчёт за ноябрь", "promised_on": "2099-01-01"})),
            )
            .await;
        assert_eq!(far.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(far.json()["errors"][0]["field"], "promised_on");
        let done = app
            .api(
                Method::POST,
                &format!("/api/v1/queue/tickets/{id}/finish"),
                Some(&sales),
                Some(json!({"result": "resolved", "topic": "Перерасчёт за ноябрь"})),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert_eq!(done.json()["status"], "done");

        // The technician's next: no-show; the journal has both, with the norms per level.
        let next = app
            .api(Method::POST, "/api/v1/queue/call-next", Some(&tech), None)
            .await
            .json();
        let id2 = next["ticket"]["id"].as_i64().unwrap();
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/queue/tickets/{id2}/no-show"),
                Some(&tech),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let empty = app
            .api(Method::POST, "/api/v1/queue/call-next", Some(&tech), None)
            .await
            .json();
        assert!(empty["ticket"].is_null());
        let j = app
            .api(
                Method::GET,
                &format!("/api/v1/queue/journal?centre={centre}"),
                Some(&app.token("director").await),
                None,
            )
            .await;
        assert_eq!(j.status, StatusCode::OK, "{}", j.body);
        let j = j.json();
        let visit = j["visits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["ticket_id"] == id)
            .unwrap();
        assert_eq!(visit["result"], "resolved");
        assert_eq!(visit["status"], "done");
        // The account typed at the kiosk found its client.
        assert!(
            visit["client_id"].as_i64().is_some(),
            "{}: {visit}",
            app.label()
        );
        let levels: Vec<_> = j["norms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["level"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(levels, vec!["head_of_sales", "technician"]);
        // Serving a client is audited.
        let audit = app
            .api(
                Method::GET,
                "/api/v1/audit?object_kind=client",
                Some(&admin),
                None,
            )
            .await;
        assert!(audit.body.contains("queue.visit"), "{}", audit.body);

        // Revoked: the kiosk prints nothing any more.
        let devices = app
            .api(Method::GET, "/api/v1/devices", Some(&admin), None)
            .await
            .json();
        let kid = devices
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["kind"] == "kiosk")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let r = app
            .api(
                Method::DELETE,
                &format!("/api/v1/devices/{kid}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = device(
            &app,
            Method::POST,
            &kpath,
            &kiosk,
            None,
            Some(json!({"service_id": r_id})),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        app.db.cleanup().await;
    }
}

/// The hall display's events: the board at once, then a call made at a window.
#[tokio::test]
async fn the_display_sees_a_call_as_it_happens() {
    for app in apps().await {
        let centre = app.db.store.centres().await.unwrap()[0].id;
        let admin = app.token("admin").await;
        let kiosk = enrol(&app, &admin, centre, "kiosk").await;
        let display = enrol(&app, &admin, centre, "display").await;
        let services = device(
            &app,
            Method::GET,
            &format!("/api/v1/kiosk/{centre}/services"),
            &kiosk,
            None,
            None,
        )
        .await
        .json();
        let p_id = service_id(&services, "П");
        device(
            &app,
            Method::POST,
            &format!("/api/v1/kiosk/{centre}/tickets"),
            &kiosk,
            None,
            Some(json!({"service_id": p_id})),
        )
        .await;

        let req = Request::builder()
            .uri(format!("/display/{centre}/events"))
            .header("x-abonent-device", &display)
            .body(Body::empty())
            .unwrap();
        let res = app.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        let mut stream = res.into_body().into_data_stream();
        let mut text = String::new();
        // The board now: one waiting for «П», nobody called.
        while !text.contains("\"waiting\"") {
            let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(text.starts_with("event: board"), "{text}");
        assert!(!text.contains("П-001"));
        let tech = app.token("tech").await;
        app.api(
            Method::PUT,
            "/api/v1/queue/seat",
            Some(&tech),
            Some(json!({"centre_id": centre, "window": "7", "services": [p_id]})),
        )
        .await;
        app.api(Method::POST, "/api/v1/queue/call-next", Some(&tech), None)
            .await;
        // Within a second, the call is on the display.
        text.clear();
        while !text.contains("П-001") {
            let chunk = tokio::time::timeout(Duration::from_secs(1), stream.next())
                .await
                .expect("the call within a second")
                .unwrap()
                .unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(text.contains("\"window_label\":\"7\""), "{text}");
        // Without an enrolled display: refused.
        let r = app
            .page(Method::GET, &format!("/display/{centre}/events"), "", None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        drop(stream);
        app.db.cleanup().await;
    }
}

/// The pages: the enrolment link keeps the token in a cookie, the kiosk's form gives one ticket
/// for a double tap, and the technician serves at the window page; a consultation opens the
/// appeal form as an information request.
#[tokio::test]
async fn kiosk_and_window_pages() {
    for app in apps().await {
        let centre = app.db.store.centres().await.unwrap()[0].id;
        let admin = app.token("admin").await;
        let kiosk = enrol(&app, &admin, centre, "kiosk").await;
        let r = app
            .page(
                Method::GET,
                &format!("/devices/enrol?token={kiosk}"),
                "",
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), format!("/kiosk/{centre}"));
        let set = r.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
        assert!(
            set.contains("HttpOnly") && set.contains("Max-Age=31536000"),
            "{set}"
        );
        let cookie = format!("abonent_device={kiosk}");
        let bad = app
            .page(Method::GET, "/devices/enrol?token=nope", "", None)
            .await;
        assert_eq!(bad.status, StatusCode::FORBIDDEN);
        assert!(bad.body.contains("недействительна"));

        let page = app
            .page(Method::GET, &format!("/kiosk/{centre}"), &cookie, None)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Электронная очередь"));
        assert!(page.body.contains("Оплата и расчёты"));
        let once = hidden(&page.body, "_once");
        let services = app.db.store.queue_services(centre).await.unwrap();
        let r_id = services.iter().find(|s| s.letter == "Р").unwrap().id;
        let form = format!("_once={once}&service_id={r_id}&account=");
        let a = app
            .page(
                Method::POST,
                &format!("/kiosk/{centre}/tickets"),
                &cookie,
                Some(&form),
            )
            .await;
        let b = app
            .page(
                Method::POST,
                &format!("/kiosk/{centre}/tickets"),
                &cookie,
                Some(&form),
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        assert_eq!(
            a.location(),
            b.location(),
            "{}: a double tap gives one ticket",
            app.label()
        );
        let ticket = app.page(Method::GET, a.location(), &cookie, None).await;
        assert!(ticket.body.contains("Р-001"), "{}", ticket.body);
        assert!(ticket.body.contains("Перед вами: 0"));
        // A wrong account keeps what was typed and names the field.
        let bad = app
            .page(
                Method::POST,
                &format!("/kiosk/{centre}/tickets"),
                &cookie,
                Some(&format!("_once=x2&service_id={r_id}&account=12")),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("value=\"12\""));

        // The technician at the window page.
        let (tc, csrf) = app.browser_login("tech").await;
        let w = app.page(Method::GET, "/queue", &tc, None).await;
        assert_eq!(w.status, StatusCode::OK);
        assert!(w.body.contains("Рабочее место"));
        let r = app
            .page(
                Method::POST,
                "/queue/seat",
                &tc,
                Some(&format!(
                    "_csrf={csrf}&centre_id={centre}&window=3&services={r_id}"
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = app
            .page(
                Method::POST,
                "/queue/call",
                &tc,
                Some(&format!("_csrf={csrf}")),
            )
            .await;
        assert_eq!(r.location(), "/queue?notice=called");
        let w = app
            .page(Method::GET, "/queue?notice=called", &tc, None)
            .await;
        assert!(w.body.contains("Талон Р-001"), "{}", w.body);
        assert!(w.body.contains("data-since"));
        let id = app
            .db
            .store
            .current_ticket(
                app.db
                    .store
                    .staff_credentials("tech")
                    .await
                    .unwrap()
                    .unwrap()
                    .0
                    .id,
            )
            .await
            .unwrap()
            .unwrap()
            .id;
        // No result chosen: the page again, with the message and what was typed.
        let r = app
            .page(
                Method::POST,
                &format!("/queue/tickets/{id}/finish"),
                &tc,
                Some(&format!(
                    "_csrf={csrf}&topic={}&result=",
                    enc("Счёт за декабрь")
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Выберите, чем закончился приём."));
        assert!(r.body.contains("Счёт за декабрь"));
        let today = jiff::Zoned::now()
            .with_time_zone(jiff::tz::TimeZone::get("Asia/Yekaterinburg").unwrap())
            .date();
        let r = app
            .page(
                Method::POST,
                &format!("/queue/tickets/{id}/finish"),
                &tc,
                Some(&format!(
                    "_csrf={csrf}&topic={}&result=consultation&promised_on={today}",
                    enc("Счёт за декабрь")
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(
            r.location()
                .starts_with("/appeals/new?channel=in_person_oral&kind=information_request"),
            "{}",
            r.location()
        );
        let form = app.page(Method::GET, r.location(), &tc, None).await;
        assert!(
            form.body.contains("Счёт за декабрь"),
            "the appeal starts from the visit's topic"
        );
        assert!(
            form.body.contains("value=\"information_request\" selected")
                || form.body.contains("value=\"information_request\" checked"),
            "the kind is chosen"
        );
        // A cross-site form without the CSRF token changes nothing.
        let r = app
            .page(Method::POST, "/queue/call", &tc, Some("_csrf=wrong"))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        app.db.cleanup().await;
    }
}

/// Booking a visit: by staff over the phone (the API) and by the client in the personal
/// account; the last seat of a slot is refused to the second caller; the code checks the
/// visitor in at the kiosk.
#[tokio::test]
async fn a_visit_is_booked_by_phone_and_online_and_checked_in_at_the_kiosk() {
    for app in apps().await {
        let centre = app.db.store.centres().await.unwrap()[0].id;
        let services = app.db.store.queue_services(centre).await.unwrap();
        let p_id = services.iter().find(|s| s.letter == "П").unwrap().id;
        let tech = app.token("tech").await;
        // The first day ahead with free time.
        let mut found = None;
        for d in 1..=14 {
            let day = jiff::Zoned::now()
                .date()
                .checked_add(jiff::Span::new().days(d))
                .unwrap();
            let r = app
                .api(
                    Method::GET,
                    &format!("/api/v1/queue/centres/{centre}/slots?service_id={p_id}&day={day}"),
                    Some(&tech),
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let slots = r.json();
            if let Some(first) = slots.as_array().unwrap().first() {
                found = Some((
                    day,
                    first["start"].as_str().unwrap().to_owned(),
                    slots.as_array().unwrap().len(),
                ));
                break;
            }
        }
        let (day, slot, n) = found.expect("free time within two weeks");
        assert!(n > 4, "{}: a day has many slots", app.label());
        let body = json!({"centre_id": centre, "service_id": p_id, "slot": slot, "name": "Сидорова Анна", "phone": "+7 912 111-22-33"});
        let call = |key: &'static str| {
            let mut b = Request::builder()
                .method(Method::POST)
                .uri("/api/v1/queue/bookings")
                .header(header::AUTHORIZATION, format!("Bearer {tech}"))
                .header(header::CONTENT_TYPE, "application/json");
            if !key.is_empty() {
                b = b.header("idempotency-key", key);
            }
            b.body(Body::from(body.to_string())).unwrap()
        };
        let a = app.send(call("book-1")).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}: {}", app.label(), a.body);
        let again = app.send(call("book-1")).await;
        assert_eq!(
            a.json()["id"],
            again.json()["id"],
            "a retry books nothing twice"
        );
        // The same caller again: one booking a person, centre and day.
        let second = app.send(call("")).await;
        assert_eq!(second.status, StatusCode::CONFLICT);
        assert!(second.json()["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("На этот день в этом центре уже есть запись"));
        // Another caller (the phone typed otherwise) for the same slot: taken.
        let other = app
            .api(
                Method::POST,
                "/api/v1/queue/bookings",
                Some(&tech),
                Some(json!({"centre_id": centre, "service_id": p_id, "slot": slot, "name": "Орлова Инна", "phone": "8 (912) 999-88-77"})),
            )
            .await;
        assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.body);
        assert_eq!(
            other.json()["errors"][0]["detail"],
            "Это время уже занято: выберите другое."
        );
        // The slot is no longer offered; cancelled, it is offered again.
        let left = app
            .api(
                Method::GET,
                &format!("/api/v1/queue/centres/{centre}/slots?service_id={p_id}&day={day}"),
                Some(&tech),
                None,
            )
            .await
            .json();
        assert!(!left
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["start"] == slot.as_str()));
        let id = a.json()["id"].as_i64().unwrap();
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/queue/bookings/{id}/cancel"),
                Some(&tech),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        // A slot in the past or off the grid is refused with the field named.
        let bad = app
            .api(Method::POST, "/api/v1/queue/bookings", Some(&tech), Some(json!({"centre_id": centre, "service_id": p_id, "slot": format!("{day}T03:07"), "name": "Х", "phone": "+7 912 111-22-33"})))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.json()["errors"][0]["field"], "slot");

        // The client in the personal account books the same slot.
        let account = app
            .db
            .store
            .account_by_number(&abonent_domain::accounts::AccountNumber::from_serial(2))
            .await
            .unwrap();
        let (cookie, csrf) = app.portal_user(account.id, "visit@example.org").await;
        let page = app
            .page(
                Method::GET,
                &format!("/my/visits?centre_id={centre}&service_id={p_id}&day={day}"),
                &cookie,
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body.contains(&format!("value=\"{slot}\"")),
            "the slot is offered again"
        );
        let form = format!(
            "_csrf={csrf}&centre_id={centre}&service_id={p_id}&day={day}&slot={}&name={}&email=visit%40example.org",
            enc(&slot),
            enc("Петрова Ольга")
        );
        let r = app
            .page(Method::POST, "/my/visits", &cookie, Some(&form))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let done = app.page(Method::GET, r.location(), &cookie, None).await;
        assert!(done.body.contains("Код для киоска"), "{}", done.body);
        let code = done
            .body
            .split("id=\"booking-code\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned();
        // Someone else's booking cannot be cancelled from another personal account.
        let mine = app
            .db
            .store
            .bookings_of_day(Some(centre), day)
            .await
            .unwrap();
        let b = mine.iter().find(|b| b.code == code).unwrap();
        assert_eq!(b.client_id, Some(account.client_id), "linked to the client");
        let other = app
            .db
            .store
            .account_by_number(&abonent_domain::accounts::AccountNumber::from_serial(3))
            .await
            .unwrap();
        let (oc, ocsrf) = app.portal_user(other.id, "other@example.org").await;
        let r = app
            .page(
                Method::POST,
                &format!("/my/visits/{}/cancel", b.id),
                &oc,
                Some(&format!("_csrf={ocsrf}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // At the kiosk on the day: a booking of today checks in by its code.
        let today = jiff::Zoned::now()
            .with_time_zone(jiff::tz::TimeZone::get("Asia/Yekaterinburg").unwrap())
            .date();
        let mut nb = abonent_store::frontoffice::booking::NewBooking {
            centre_id: centre,
            service_id: p_id,
            day: today,
            slot_start: 1_000_000,
            slot_minutes: 15,
            channel: abonent_domain::frontoffice::booking::BookingChannel::Phone,
            name: "Кузнецов".into(),
            phone: Some("+7 912 000-00-09".into()),
            email: None,
            account: None,
            client_id: None,
            portal_user_id: None,
            random: 7,
        };
        let todays = app
            .db
            .store
            .book_visit(&nb, &abonent_store::audit::Actor::default())
            .await
            .unwrap();
        nb.random = 8;
        let admin = app.token("admin").await;
        let kiosk = enrol(&app, &admin, centre, "kiosk").await;
        let kc = format!("abonent_device={kiosk}");
        let wrong = app
            .page(
                Method::POST,
                &format!("/kiosk/{centre}/check-in"),
                &kc,
                Some("code=999999"),
            )
            .await;
        assert_eq!(wrong.location(), format!("/kiosk/{centre}?code_error=1"));
        let page = app.page(Method::GET, wrong.location(), &kc, None).await;
        assert!(
            page.body.contains("Запись не найдена"),
            "{} {}",
            page.status,
            page.body
        );
        let ok = app
            .page(
                Method::POST,
                &format!("/kiosk/{centre}/check-in"),
                &kc,
                Some(&format!("code={}", todays.code)),
            )
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
        assert!(
            ok.location()
                .starts_with(&format!("/kiosk/{centre}/tickets/")),
            "{}",
            ok.location()
        );
        let t = app.page(Method::GET, ok.location(), &kc, None).await;
        assert!(t.body.contains("П-0"), "{}", t.body);
        assert!(
            t.body.contains("По записи на"),
            "a booked ticket names its time"
        );
        assert_eq!(
            app.db.store.booking(todays.id).await.unwrap().status.code(),
            "checked_in"
        );
        app.db.cleanup().await;
    }
}
