//! The register of incidents (CHN-05, §6.4) on SQLite and PostgreSQL: recording tells the staff
//! member's supervisor and the general director; who may record and who may read; every view
//! of a card naming a client is audited; bad input is refused in Russian with the input kept;
//! a retried request records one incident.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use abonent_domain::appeals::StaffNoticeKind;
use abonent_store::audit::AuditFilter;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{apps, enc, hidden, App};
use jiff::ToSpan;
use serde_json::{json, Value};

/// A local time an hour ago in the company's zone, as the form types it.
fn an_hour_ago() -> String {
    jiff::Timestamp::now()
        .checked_sub(1.hours())
        .unwrap()
        .to_zoned(abonent_domain::org::default_time_zone())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

async fn staff_id(app: &App, login: &str) -> i64 {
    app.db
        .store
        .staff_credentials(login)
        .await
        .unwrap()
        .unwrap()
        .0
        .id
}

async fn centre(app: &App) -> i64 {
    app.db.store.centres().await.unwrap()[0].id
}

async fn a_client(app: &App) -> i64 {
    let (id,): (i64,) = sqlx::query_as("SELECT MIN(id) FROM clients")
        .fetch_one(app.db.store.pool())
        .await
        .unwrap();
    id
}

async fn incident_body(app: &App, client: Option<i64>) -> Value {
    json!({
        "occurred_at": an_hour_ago(),
        "kind": "threats",
        "place": "centre",
        "centre_id": centre(app).await,
        "client_id": client,
        "description": "Клиент угрожал технику расправой из-за долга.",
        "actions": ["asked_to_leave", "supervisor_informed"],
        "outcome": "Клиент ушёл."
    })
}

/// Incident notices of a staff member: (incident id, text).
async fn incident_notices(app: &App, staff: i64) -> Vec<(i64, String)> {
    app.db
        .store
        .staff_notices(staff, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.kind == StaffNoticeKind::Incident)
        .map(|n| (n.incident_id.unwrap(), n.text))
        .collect()
}

async fn post_with_key(app: &App, token: &str, key: &str, body: &Value) -> common::Resp {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/incidents")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", key)
        .body(Body::from(body.to_string()))
        .unwrap();
    app.send(req).await
}

#[tokio::test]
async fn recording_tells_the_supervisor_and_every_general_director() {
    for app in apps().await {
        let (tech, head, director, sales) = (
            staff_id(&app, "tech").await,
            staff_id(&app, "head").await,
            staff_id(&app, "director").await,
            staff_id(&app, "sales").await,
        );
        let token = app.token("tech").await;
        let body = incident_body(&app, Some(a_client(&app).await)).await;
        let r = app
            .api(Method::POST, "/api/v1/incidents", Some(&token), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.label(), r.body);
        let id = r.json()["id"].as_i64().unwrap();
        // The branch head (the technician's supervisor) and the general director, once each.
        let to_head = incident_notices(&app, head).await;
        assert_eq!(to_head.len(), 1, "{}", app.label());
        assert_eq!(to_head[0].0, id);
        assert!(to_head[0].1.contains("угрозы"), "{}", to_head[0].1);
        assert!(to_head[0].1.contains("Егорова Мария Ивановна"));
        assert_eq!(incident_notices(&app, director).await.len(), 1);
        assert!(incident_notices(&app, tech).await.is_empty());
        assert!(incident_notices(&app, sales).await.is_empty());
        // Their e-mail copies are queued with the notices.
        let (mails,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM jobs WHERE kind = 'staff.mail' AND dedupe_key IN
                 (SELECT 'notice:' || id FROM staff_notices WHERE incident_id = $1)",
        )
        .bind(id)
        .fetch_one(app.db.store.pool())
        .await
        .unwrap();
        assert_eq!(mails, 2, "{}", app.label());

        // The branch head's own incident, recorded by someone else: the director only.
        let mut own = incident_body(&app, None).await;
        own["staff_id"] = json!(head);
        own["kind"] = json!("assault");
        let r = app
            .api(
                Method::POST,
                "/api/v1/incidents",
                Some(&app.token("sales").await),
                Some(own),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let second = r.json()["id"].as_i64().unwrap();
        assert_eq!(incident_notices(&app, head).await.len(), 1, "not the head");
        let to_director = incident_notices(&app, director).await;
        assert_eq!(to_director.len(), 2);
        assert!(to_director.iter().any(|(i, _)| *i == second));
        let card = app
            .api(
                Method::GET,
                &format!("/api/v1/incidents/{second}"),
                Some(&app.token("director").await),
                None,
            )
            .await;
        assert_eq!(card.status, StatusCode::OK);
        assert_eq!(card.json()["staff_id"], head);
        assert_eq!(card.json()["recorded_by"], sales);

        // The supervisor sees the notice on the appeals page, linked to the incident.
        let (cookie, _) = app.browser_login("head").await;
        let page = app.page(Method::GET, "/appeals", &cookie, None).await;
        assert!(
            page.body.contains(&format!("href=\"/incidents/{id}\"")),
            "{}",
            app.label()
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn who_may_record_and_who_may_read() {
    for app in apps().await {
        let tech_token = app.token("tech").await;
        let body = incident_body(&app, None).await;
        // The administrator records nothing.
        let r = app
            .api(
                Method::POST,
                "/api/v1/incidents",
                Some(&app.token("admin").await),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", app.label());
        let r = app
            .api(
                Method::POST,
                "/api/v1/incidents",
                Some(&tech_token),
                Some(body),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        // A technician reads their own incidents, not the register nor a colleague's card.
        let r = app
            .api(Method::GET, "/api/v1/incidents", Some(&tech_token), None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(
            r.json()["errors"][0]["detail"],
            "Недостаточно прав для этого действия."
        );
        let r = app
            .api(
                Method::GET,
                "/api/v1/incidents?mine=true",
                Some(&tech_token),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json().as_array().unwrap().len(), 1);
        let path = format!("/api/v1/incidents/{id}");
        assert_eq!(
            app.api(Method::GET, &path, Some(&tech_token), None)
                .await
                .status,
            StatusCode::OK
        );
        let r = app
            .api(Method::GET, &path, Some(&app.token("tech2").await), None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let denied = app
            .db
            .store
            .audit_entries(&AuditFilter {
                actor_login: Some("tech2".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(denied.iter().any(|e| e.action == "access.denied"
            && e.object_kind == "incident"
            && e.object_id == id.to_string()));
        // The supervisors and the director read the register.
        for login in ["head", "sales", "director"] {
            let r = app
                .api(
                    Method::GET,
                    "/api/v1/incidents?kind=threats",
                    Some(&app.token(login).await),
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{login}");
            assert_eq!(r.json()[0]["id"], id, "{login}");
        }
        // Filters: another kind, a period before it, a bad date.
        let head = app.token("head").await;
        let r = app
            .api(
                Method::GET,
                "/api/v1/incidents?kind=assault",
                Some(&head),
                None,
            )
            .await;
        assert_eq!(r.json().as_array().unwrap().len(), 0);
        let r = app
            .api(
                Method::GET,
                "/api/v1/incidents?from=2020-01-01&to=2020-12-31",
                Some(&head),
                None,
            )
            .await;
        assert_eq!(r.json().as_array().unwrap().len(), 0);
        let r = app
            .api(
                Method::GET,
                "/api/v1/incidents?from=01.01.2020",
                Some(&head),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["detail"], "Дата в виде ГГГГ-ММ-ДД.");

        // Pages.
        for (login, path, expected) in [
            ("tech", "/incidents", StatusCode::FORBIDDEN),
            ("tech", "/incidents/new", StatusCode::OK),
            ("admin", "/incidents/new", StatusCode::FORBIDDEN),
            ("head", "/incidents", StatusCode::OK),
            ("clerk", "/incidents/new", StatusCode::OK),
            ("tech2", &format!("/incidents/{id}"), StatusCode::FORBIDDEN),
            ("director", &format!("/incidents/{id}"), StatusCode::OK),
        ] {
            let (cookie, _) = app.browser_login(login).await;
            let r = app.page(Method::GET, path, &cookie, None).await;
            assert_eq!(r.status, expected, "{}: {login} {path}", app.label());
        }
        // The menu leads each to what they may open.
        let (cookie, _) = app.browser_login("tech").await;
        let page = app.page(Method::GET, "/incidents/new", &cookie, None).await;
        assert!(page
            .body
            .contains("<a href=\"/incidents/new\" aria-current=\"page\">Инциденты</a>"));
        assert!(
            page.body.contains(&format!("href=\"/incidents/{id}\"")),
            "own list"
        );
        let (cookie, _) = app.browser_login("head").await;
        let page = app.page(Method::GET, "/incidents", &cookie, None).await;
        assert!(page
            .body
            .contains("<a href=\"/incidents\" aria-current=\"page\">Инциденты</a>"));
        assert!(page.body.contains("table-wrap"));
        let (cookie, _) = app.browser_login("admin").await;
        let page = app.page(Method::GET, "/admin", &cookie, None).await;
        assert!(!page.body.contains(">Инциденты<"));
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn every_view_of_a_card_naming_a_client_is_audited() {
    for app in apps().await {
        let client = a_client(&app).await;
        let tech = app.token("tech").await;
        let with = app
            .api(
                Method::POST,
                "/api/v1/incidents",
                Some(&tech),
                Some(incident_body(&app, Some(client)).await),
            )
            .await
            .json()["id"]
            .as_i64()
            .unwrap();
        let without = app
            .api(
                Method::POST,
                "/api/v1/incidents",
                Some(&tech),
                Some(incident_body(&app, None).await),
            )
            .await
            .json()["id"]
            .as_i64()
            .unwrap();
        let views = |login: &'static str| {
            let store = app.db.store.clone();
            async move {
                store
                    .audit_entries(&AuditFilter {
                        actor_login: Some(login.into()),
                        object_kind: Some("incident".into()),
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|e| e.action == "incident.view")
                    .map(|e| (e.object_id, e.details))
                    .collect::<Vec<_>>()
            }
        };
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/incidents/{with}"),
                Some(&app.token("director").await),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.json()["client_name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()));
        assert_eq!(
            views("director").await,
            vec![(with.to_string(), format!("клиент {client}"))],
            "{}",
            app.label()
        );
        // The page view is audited too; a card naming nobody is not.
        let (cookie, _) = app.browser_login("director").await;
        let page = app
            .page(Method::GET, &format!("/incidents/{with}"), &cookie, None)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&format!("href=\"/clients/{client}\"")));
        let page = app
            .page(Method::GET, &format!("/incidents/{without}"), &cookie, None)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(views("director").await.len(), 2, "{}", app.label());
        // Recording is audited as well.
        let recorded = app
            .db
            .store
            .audit_entries(&AuditFilter {
                actor_login: Some("tech".into()),
                object_kind: Some("incident".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            recorded
                .iter()
                .filter(|e| e.action == "incident.record")
                .count(),
            2
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn bad_input_is_refused_in_russian_and_the_form_keeps_it() {
    for app in apps().await {
        let token = app.token("tech").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/incidents",
                Some(&token),
                Some(json!({})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let errors = r.json()["errors"].clone();
        let detail = |field: &str| {
            errors
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["field"] == field)
                .map(|e| e["detail"].as_str().unwrap().to_owned())
        };
        assert_eq!(
            detail("occurred_at").as_deref(),
            Some("Укажите дату и время.")
        );
        assert_eq!(detail("kind").as_deref(), Some("Выберите, что произошло."));
        assert_eq!(
            detail("place").as_deref(),
            Some("Укажите, где это произошло.")
        );
        assert_eq!(
            detail("description").as_deref(),
            Some("Опишите, что произошло.")
        );
        // A centre, a colleague or a client that does not exist.
        let mut body = incident_body(&app, Some(999_999)).await;
        body["centre_id"] = json!(999_999);
        body["staff_id"] = json!(staff_id(&app, "admin").await);
        let r = app
            .api(Method::POST, "/api/v1/incidents", Some(&token), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let text = r.body.clone();
        assert!(text.contains("Выберите центр обслуживания."), "{text}");
        assert!(text.contains("Выберите сотрудника из списка."), "{text}");
        assert!(text.contains("Клиент не найден."), "{text}");
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM incidents")
            .fetch_one(app.db.store.pool())
            .await
            .unwrap();
        assert_eq!(n, 0);

        // The form: the premises without an address, a time in the future; what was typed stays.
        let (cookie, csrf) = app.browser_login("tech").await;
        let form = app.page(Method::GET, "/incidents/new", &cookie, None).await;
        assert_eq!(form.status, StatusCode::OK);
        let once = hidden(&form.body, "_once");
        let future = jiff::Timestamp::now()
            .checked_add(3.hours())
            .unwrap()
            .to_zoned(abonent_domain::org::default_time_zone())
            .strftime("%Y-%m-%dT%H:%M")
            .to_string();
        let body = format!(
            "_csrf={csrf}&_once={once}&occurred_at={}&kind=detention&place=premises&address=&description={}&actions=police_called&actions=supply_restored",
            enc(&future),
            enc("Не выпускали со двора")
        );
        let r = app
            .page(Method::POST, "/incidents/new", &cookie, Some(&body))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.label()
        );
        assert!(r.body.contains("Укажите адрес клиента, где это произошло."));
        assert!(r.body.contains("Время не может быть позже текущего."));
        assert!(r.body.contains("Не выпускали со двора"), "input kept");
        assert!(r.body.contains("value=\"detention\" selected"));
        assert!(r.body.contains("value=\"police_called\" checked"));
        assert!(r.body.contains("value=\"supply_restored\" checked"));
        assert!(!r.body.contains("value=\"call_ended\" checked"));
        // Without the session's token the form is refused.
        let r = app
            .page(
                Method::POST,
                "/incidents/new",
                &cookie,
                Some("_csrf=wrong&kind=other"),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn a_retried_request_records_one_incident() {
    for app in apps().await {
        let token = app.token("cashier").await;
        let body = incident_body(&app, None).await;
        let first = post_with_key(&app, &token, "incident-1", &body).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        let again = post_with_key(&app, &token, "incident-1", &body).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        assert_eq!(again.json()["id"], first.json()["id"]);
        assert_eq!(again.json()["replayed"], true);
        // The same key with another body is refused.
        let mut other = body.clone();
        other["kind"] = json!("other");
        let r = post_with_key(&app, &token, "incident-1", &other).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM incidents")
            .fetch_one(app.db.store.pool())
            .await
            .unwrap();
        assert_eq!(n, 1, "{}", app.label());
        let head = staff_id(&app, "head").await;
        assert_eq!(incident_notices(&app, head).await.len(), 1, "told once");

        // A form sent twice (a double click) records once and shows the same card.
        let (cookie, csrf) = app.browser_login("cashier").await;
        let form = app.page(Method::GET, "/incidents/new", &cookie, None).await;
        let once = hidden(&form.body, "_once");
        let body = format!(
            "_csrf={csrf}&_once={once}&occurred_at={}&kind=phone_abuse&place=phone&description={}&actions=call_ended&outcome={}",
            enc(&an_hour_ago()),
            enc("Оскорблял по телефону"),
            enc("Разговор прекращён")
        );
        let a = app
            .page(Method::POST, "/incidents/new", &cookie, Some(&body))
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let b = app
            .page(Method::POST, "/incidents/new", &cookie, Some(&body))
            .await;
        assert_eq!(b.status, StatusCode::SEE_OTHER);
        assert_eq!(a.location(), b.location());
        let card = app.page(Method::GET, a.location(), &cookie, None).await;
        assert_eq!(card.status, StatusCode::OK);
        assert!(card.body.contains("Оскорблял по телефону"));
        assert!(card.body.contains("оскорбления по телефону"));
        assert!(card.body.contains("разговор прекращён"));
        assert!(card.body.contains("Инцидент записан"));
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM incidents")
            .fetch_one(app.db.store.pool())
            .await
            .unwrap();
        assert_eq!(n, 2, "{}", app.label());
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_client_is_found_through_the_client_search() {
    for app in apps().await {
        let client = app.db.store.client(a_client(&app).await).await.unwrap();
        let (cookie, _) = app.browser_login("tech").await;
        let r = app
            .page(
                Method::GET,
                &format!("/incidents/new?q={}", enc(&client.surname)),
                &cookie,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", app.label());
        assert!(r
            .body
            .contains(&format!("href=\"/incidents/new?client_id={}\"", client.id)));
        let r = app
            .page(
                Method::GET,
                &format!("/incidents/new?client_id={}", client.id),
                &cookie,
                None,
            )
            .await;
        assert!(r.body.contains(&client.full_name));
        assert_eq!(hidden(&r.body, "client_id"), client.id.to_string());
        // The search is audited as every client search is.
        let searches = app
            .db
            .store
            .audit_entries(&AuditFilter {
                actor_login: Some("tech".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(searches.iter().any(|e| e.action == "client.search"));
        app.db.cleanup().await;
    }
}
