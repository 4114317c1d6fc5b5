//! Meters and readings through the API and the pages, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use axum::http::{Method, StatusCode};
use common::{apps, hidden};
use serde_json::json;

#[tokio::test]
async fn meters_and_readings_with_their_checks() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let hit = s
            .search_clients(
                &abonent_domain::search::SearchQuery::classify(
                    abonent_domain::accounts::AccountNumber::from_serial(3).as_str(),
                )
                .unwrap(),
                1,
            )
            .await
            .unwrap()
            .remove(0);
        let account = s
            .account_by_number(
                &abonent_domain::accounts::AccountNumber::parse(
                    hit.account_number.as_ref().unwrap(),
                )
                .unwrap(),
            )
            .await
            .unwrap();
        let tech = app.token("tech").await;
        let clerk = app.token("clerk").await;
        let meter = json!({"serial": "0123456", "zones": "1", "digits": "5",
            "installed_on": "2024-01-10", "verified_on": "2023-12-01", "interval_years": "16",
            "initial": "99800"});
        let path = format!("/api/v1/accounts/{}/meters", account.id);
        let r = app
            .api(Method::POST, &path, Some(&clerk), Some(meter.clone()))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}");
        let mut bad = meter.clone();
        bad["zones"] = json!("5");
        let r = app.api(Method::POST, &path, Some(&tech), Some(bad)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = app.api(Method::POST, &path, Some(&tech), Some(meter)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();

        let submit = |values: &str| json!({"values": values, "channel": "phone"});
        let rpath = format!("/api/v1/meters/{id}/readings");
        // Through the top of a 5-digit register: 99 800 → 120 is 320 kWh.
        let r = app
            .api(Method::POST, &rpath, Some(&tech), Some(submit("120")))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["status"], json!("accepted"));
        assert_eq!(r.json()["consumption"], json!(["320"]));
        // Below the previous one: refused, nothing stored.
        let r = app
            .api(Method::POST, &rpath, Some(&tech), Some(submit("100")))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("меньше предыдущего"), "{}", r.body);
        let r = app
            .api(Method::POST, &rpath, Some(&tech), Some(submit("сто")))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // An implausible jump is held for review.
        let r = app
            .api(Method::POST, &rpath, Some(&tech), Some(submit("90000")))
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(r.json()["status"], json!("held"));
        let list = app
            .api(Method::GET, &rpath, Some(&clerk), None)
            .await
            .json();
        assert_eq!(
            list.as_array().unwrap().len(),
            2,
            "{l}: the refused ones are not stored"
        );
        let meters = app.api(Method::GET, &path, Some(&clerk), None).await.json();
        assert_eq!(
            meters[0]["last_values"],
            json!("120"),
            "a held reading is not the last accepted"
        );

        // The same through the pages: the reading is seen on the client's card.
        let (cookie, _) = app.browser_login("tech").await;
        let form = app
            .page(
                Method::GET,
                &format!("/meters/{id}/readings/new"),
                &cookie,
                None,
            )
            .await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = hidden(&form.body, "_csrf");
        let r = app
            .page(
                Method::POST,
                &format!("/meters/{id}/readings/new"),
                &cookie,
                Some(&format!("_csrf={csrf}&values=95&channel=in_person")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("value=\"95\""), "the input is kept");
        let r = app
            .page(
                Method::POST,
                &format!("/meters/{id}/readings/new"),
                &cookie,
                Some(&format!("_csrf={csrf}&values=140&channel=in_person")),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("Показания приняты: расход 20"));
        let card = app
            .page(
                Method::GET,
                &format!("/clients/{}", account.client_id),
                &cookie,
                None,
            )
            .await;
        assert!(card.body.contains(">140<"), "{}", l);

        // The review queue: the held jump cannot be accepted after a later accepted reading;
        // rejecting needs a reason.
        let held = app
            .api(Method::GET, "/api/v1/readings/held", Some(&tech), None)
            .await
            .json();
        assert_eq!(held.as_array().unwrap().len(), 1, "{l}");
        let rid = held[0]["id"].as_i64().unwrap();
        let review = format!("/api/v1/readings/{rid}/review");
        let r = app
            .api(
                Method::POST,
                &review,
                Some(&clerk),
                Some(json!({"decision": "accept"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .api(
                Method::POST,
                &review,
                Some(&tech),
                Some(json!({"decision": "accept"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let r = app
            .api(
                Method::POST,
                &review,
                Some(&tech),
                Some(json!({"decision": "reject"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = app
            .api(
                Method::POST,
                &review,
                Some(&tech),
                Some(json!({"decision": "reject", "note": "ошибка ввода, уточнено по телефону"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        let page = app
            .page(Method::GET, "/readings/review", &cookie, None)
            .await;
        assert!(page.body.contains("Показаний на проверке нет"));

        // A broken meter, then removed: readings are refused for it.
        let spath = format!("/api/v1/meters/{id}/state");
        let r = app
            .api(
                Method::PUT,
                &spath,
                Some(&tech),
                Some(json!({"state": "lost"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = app
            .api(
                Method::PUT,
                &spath,
                Some(&tech),
                Some(json!({"state": "broken", "removed_on": "2026-11-20"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        let r = app
            .api(Method::POST, &rpath, Some(&tech), Some(submit("150")))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("снят"), "{}", r.body);
        let page = app
            .page(
                Method::GET,
                &format!("/meters/{id}/readings/new"),
                &cookie,
                None,
            )
            .await;
        assert!(page.body.contains("неисправен, снят 20.11.2026"), "{l}");
        app.db.cleanup().await;
    }
}
