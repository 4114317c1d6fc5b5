//! HTTP tests through the real router: sign-in, rights of every role on every protected route,
//! validation, CSRF, auditing, the OpenAPI snapshot. Each runs on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use abonent_store::audit::AuditFilter;
use axum::http::{Method, StatusCode};
use common::{apps, enc, hidden, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn api_sign_in_me_and_sign_out() {
    for app in apps().await {
        let bad = app
            .api(
                Method::POST,
                "/api/v1/session",
                None,
                Some(json!({"login": "tech", "password": "nope"})),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED, "{}", app.label());
        assert_eq!(
            bad.json()["errors"][0]["detail"],
            "Неверный логин или пароль."
        );
        let unknown = app
            .api(
                Method::POST,
                "/api/v1/session",
                None,
                Some(json!({"login": "ghost", "password": "nope"})),
            )
            .await;
        assert_eq!(unknown.json(), bad.json(), "unknown login says the same");

        let token = app.token("tech").await;
        let me = app.api(Method::GET, "/api/v1/me", Some(&token), None).await;
        assert_eq!(me.status, StatusCode::OK);
        let me = me.json();
        assert_eq!(me["staff"]["login"], "tech");
        assert_eq!(me["role_label"], "техник");
        assert!(me["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("EditClients")));
        assert!(me.to_string().find("password").is_none(), "no hash leaks");

        let out = app
            .api(Method::DELETE, "/api/v1/session", Some(&token), None)
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        let after = app.api(Method::GET, "/api/v1/me", Some(&token), None).await;
        assert_eq!(after.status, StatusCode::UNAUTHORIZED);
        assert_eq!(after.json()["errors"][0]["detail"], "Войдите в систему.");

        let log = app
            .db
            .store
            .audit_entries(&AuditFilter::default())
            .await
            .unwrap();
        assert!(log
            .iter()
            .any(|e| e.action == "login.failure" && e.actor_login == "ghost"));
        assert!(log
            .iter()
            .any(|e| e.action == "login.success" && e.actor_login == "tech"));
        assert!(
            log.iter().all(|e| !e.details.contains("nope")),
            "passwords never logged"
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn sign_in_is_throttled_after_repeated_failures() {
    for app in apps().await {
        for _ in 0..3 {
            let r = app
                .api(
                    Method::POST,
                    "/api/v1/session",
                    None,
                    Some(json!({"login": "clerk", "password": "wrong"})),
                )
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
        let r = app
            .api(
                Method::POST,
                "/api/v1/session",
                None,
                Some(json!({"login": "clerk", "password": PASSWORD})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}: even the right password waits",
            app.label()
        );
        assert!(r.json()["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("Слишком много"));
        // Another login is not affected.
        app.token("tech").await;
        app.db.cleanup().await;
    }
}

/// Every protected route, with the status each role gets.
#[tokio::test]
async fn every_protected_route_checks_the_role() {
    for app in apps().await {
        let client_id = app
            .db
            .store
            .search_clients(
                &abonent_domain::search::SearchQuery::classify(
                    abonent_domain::accounts::AccountNumber::from_serial(1).as_str(),
                )
                .unwrap(),
                1,
            )
            .await
            .unwrap()[0]
            .client_id;
        let client_body = json!({"surname": "Тестов", "first_name": "Тест", "phones": "+7 912 000 00 00",
            "preferred_channel": "phone", "consents": ["personal_data"]});
        let branch = app.db.store.branches().await.unwrap()[0].id;
        let cal = app
            .api(
                Method::GET,
                "/api/v1/calendar/2026",
                Some(&app.token("admin").await),
                None,
            )
            .await;
        assert_eq!(cal.status, StatusCode::OK);
        let days_2026 = abonent_domain::calendar::format_year_text(
            &abonent_domain::calendar::shipped_years()
                .into_iter()
                .find(|y| y.year == 2026)
                .unwrap()
                .days,
        );
        let staff_no = std::sync::atomic::AtomicUsize::new(0);

        // (method, path, body, roles allowed)
        type Case = (
            Method,
            String,
            Option<serde_json::Value>,
            &'static [&'static str],
        );
        let all_staff: &[&str] = &[
            "admin", "director", "head", "sales", "clerk", "tech", "cashier",
        ];
        let viewers: &[&str] = &["director", "head", "sales", "clerk", "tech", "cashier"];
        let editors: &[&str] = &["head", "sales", "tech", "cashier"];
        let admins: &[&str] = &["admin"];
        let auditors: &[&str] = &["admin", "director", "head"];
        let registrars: &[&str] = &["head", "sales", "clerk", "tech", "cashier"];
        let configurers: &[&str] = &["admin", "director"];
        let cashiers: &[&str] = &["head", "sales", "cashier"];
        let importers: &[&str] = &["head", "sales"];
        let economists: &[&str] = &["director", "sales"];
        let recorders: &[&str] = &["director", "head", "sales", "clerk", "tech", "cashier"];
        let incident_readers: &[&str] = &["director", "head", "sales"];
        let competence_editors: &[&str] = &["admin", "director", "head", "sales"];
        let centre_id = app.db.store.centres().await.unwrap()[0].id;
        let an_hour_ago = jiff::Timestamp::now()
            .checked_sub(jiff::SignedDuration::from_hours(1))
            .unwrap()
            .to_zoned(abonent_domain::org::default_time_zone())
            .strftime("%Y-%m-%dT%H:%M")
            .to_string();
        let incident_body = json!({"occurred_at": an_hour_ago, "kind": "threats", "place": "centre",
            "centre_id": centre_id, "description": "Проверка прав"});
        let incident_id = app
            .api(
                Method::POST,
                "/api/v1/incidents",
                Some(&app.token("director").await),
                Some(incident_body.clone()),
            )
            .await
            .json()["id"]
            .as_i64()
            .unwrap();
        let competence_body = json!({"topic": "Проверка прав", "position": "техник"});
        let account_id = app
            .db
            .store
            .account_by_number(&abonent_domain::accounts::AccountNumber::from_serial(1))
            .await
            .unwrap()
            .id;
        let appeal_id = app
            .api(
                Method::POST,
                "/api/v1/appeals",
                Some(&app.token("clerk").await),
                Some(
                    json!({"channel": "post", "kind": "claim", "topic": "billing",
                    "text": "Обращение для проверки прав", "applicant_name": "Тестов Тест"}),
                ),
            )
            .await
            .json()["id"]
            .as_i64()
            .unwrap();
        let centre = app.db.store.centres().await.unwrap()[0].id;
        let servers: &[&str] = &["head", "sales", "tech", "cashier"];
        let first_service = app.db.store.queue_services(centre).await.unwrap()[0].id;
        let hall_admins: &[&str] = &["admin", "director", "head"];
        let home_visit = app
            .db
            .store
            .request_home_visit(
                client_id,
                account_id,
                &abonent_domain::frontoffice::home_visits::HomeVisitRequest {
                    reason: "Выезд для проверки прав".into(),
                    preferred_from: None,
                    preferred_to: None,
                    preferred_time: None,
                    contact_phone: None,
                    channel: abonent_domain::frontoffice::home_visits::HomeVisitChannel::Phone,
                },
                jiff::civil::date(2026, 3, 17),
                &abonent_store::audit::Actor::default(),
            )
            .await
            .unwrap()
            .id;
        let cases: Vec<Case> = vec![
            (Method::GET, "/api/v1/me".into(), None, all_staff),
            (Method::GET, "/api/v1/home-visits".into(), None, viewers),
            (
                Method::GET,
                format!("/api/v1/home-visits/{home_visit}"),
                None,
                viewers,
            ),
            (Method::GET, "/api/v1/queue/window".into(), None, servers),
            (
                Method::GET,
                format!("/api/v1/queue/centres/{centre}/slots?service_id={first_service}&day=2026-12-03"),
                None,
                servers,
            ),
            (Method::GET, "/api/v1/queue/journal".into(), None, viewers),
            (
                Method::GET,
                format!("/api/v1/queue/centres/{centre}/services"),
                None,
                hall_admins,
            ),
            (Method::GET, "/api/v1/devices".into(), None, hall_admins),
            (
                Method::GET,
                "/api/v1/clients?q=%D0%B8%D0%B2".into(),
                None,
                viewers,
            ),
            (
                Method::GET,
                format!("/api/v1/clients/{client_id}"),
                None,
                viewers,
            ),
            (
                Method::POST,
                "/api/v1/clients".into(),
                Some(client_body.clone()),
                editors,
            ),
            (Method::GET, "/api/v1/company".into(), None, all_staff),
            (
                Method::PUT,
                "/api/v1/company".into(),
                Some(json!({"name": "АО «ЮТЭК»", "short_name": "ЮТЭК",
                "hotline_phones": "8-800-350-20-88", "hotline_hours": "пн-пт 08:30-12:30, 14:00-17:00"})),
                admins,
            ),
            (Method::GET, "/api/v1/branches".into(), None, all_staff),
            (
                Method::PUT,
                format!("/api/v1/branches/{branch}"),
                Some(json!({"name": "Радужнинское межрайонное отделение",
                "time_zone": "Asia/Yekaterinburg"})),
                admins,
            ),
            (Method::GET, "/api/v1/centres".into(), None, all_staff),
            (Method::GET, "/api/v1/staff".into(), None, all_staff),
            (Method::POST, "/api/v1/staff".into(), None, admins),
            (Method::GET, "/api/v1/calendar/2026".into(), None, all_staff),
            (
                Method::PUT,
                "/api/v1/calendar/2026".into(),
                Some(json!({"source": "Постановление", "days": days_2026})),
                admins,
            ),
            (
                Method::GET,
                "/api/v1/calendar/deadline?from=2026-11-06&days=15".into(),
                None,
                all_staff,
            ),
            (Method::GET, "/api/v1/audit".into(), None, auditors),
            // Appeals (APL-01 … APL-10).
            (Method::GET, "/api/v1/appeals".into(), None, viewers),
            (
                Method::POST,
                "/api/v1/appeals".into(),
                Some(
                    json!({"channel": "phone", "kind": "complaint", "topic": "other",
                    "text": "Проверка прав", "applicant_name": "Тестов Тест"}),
                ),
                registrars,
            ),
            (
                Method::GET,
                format!("/api/v1/appeals/{appeal_id}"),
                None,
                viewers,
            ),
            (
                Method::GET,
                "/api/v1/appeals/stats?from=2026-01-01&to=2026-12-31".into(),
                None,
                viewers,
            ),
            (Method::GET, "/api/v1/appeals/norms".into(), None, viewers),
            (
                Method::PUT,
                "/api/v1/appeals/norms/review".into(),
                Some(
                    json!({"answer_days": 15, "max_extension_days": 15, "remind_days": 3,
                    "repeat_window_days": 30}),
                ),
                configurers,
            ),
            (Method::GET, "/api/v1/appeals/topics".into(), None, viewers),
            (
                Method::PUT,
                "/api/v1/appeals/topics/other".into(),
                Some(json!({"name": "Другое"})),
                configurers,
            ),
            (Method::GET, "/api/v1/tariffs".into(), None, viewers),
            (
                Method::POST,
                "/api/v1/tariffs".into(),
                Some(
                    json!({"valid_from": "2031-01", "category": "rural", "single": "2,5",
                    "day": "2,8", "night": "1,5", "peak": "3", "half_peak": "2,5"}),
                ),
                economists,
            ),
            (Method::GET, "/api/v1/norms".into(), None, viewers),
            (
                Method::GET,
                "/api/v1/billing/settings".into(),
                None,
                viewers,
            ),
            (Method::GET, "/api/v1/billing/periods".into(), None, viewers),
            (
                Method::GET,
                format!("/api/v1/accounts/{account_id}/balance"),
                None,
                viewers,
            ),
            (
                Method::GET,
                format!("/api/v1/accounts/{account_id}/payments"),
                None,
                viewers,
            ),
            (
                Method::POST,
                format!("/api/v1/accounts/{account_id}/payments"),
                Some(json!({"amount": "10"})),
                cashiers,
            ),
            (
                Method::GET,
                "/api/v1/payments/unmatched".into(),
                None,
                importers,
            ),
            (Method::GET, "/api/v1/restrictions".into(), None, viewers),
            (Method::GET, "/api/v1/readings/held".into(), None, editors),
            (
                Method::GET,
                "/api/v1/incidents".into(),
                None,
                incident_readers,
            ),
            (
                Method::GET,
                "/api/v1/incidents?mine=true".into(),
                None,
                recorders,
            ),
            (
                Method::POST,
                "/api/v1/incidents".into(),
                Some(incident_body.clone()),
                recorders,
            ),
            (
                Method::GET,
                format!("/api/v1/incidents/{incident_id}"),
                None,
                incident_readers,
            ),
            (Method::GET, "/api/v1/competences".into(), None, all_staff),
            (
                Method::POST,
                "/api/v1/competences".into(),
                Some(competence_body.clone()),
                competence_editors,
            ),
            (
                Method::PUT,
                "/api/v1/competences/1".into(),
                Some(competence_body.clone()),
                competence_editors,
            ),
        ];
        for (method, path, body, allowed) in &cases {
            for role in all_staff {
                let token = app.token(role).await;
                let body = if path == "/api/v1/staff" && *method == Method::POST {
                    let n = staff_no.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Some(
                        json!({"login": format!("new{n}"), "full_name": "Новый Сотрудник", "role": "technician",
                        "password": "long-enough-1"}),
                    )
                } else {
                    body.clone()
                };
                let r = app.api(method.clone(), path, Some(&token), body).await;
                if allowed.contains(role) {
                    assert!(
                        r.status.is_success(),
                        "{}: {role} {method} {path}: {} {}",
                        app.label(),
                        r.status,
                        r.body
                    );
                } else {
                    assert_eq!(
                        r.status,
                        StatusCode::FORBIDDEN,
                        "{}: {role} {method} {path}: {}",
                        app.label(),
                        r.body
                    );
                    assert_eq!(
                        r.json()["errors"][0]["detail"],
                        "Недостаточно прав для этого действия."
                    );
                }
            }
            // Nobody signed in: 401.
            let r = app.api(method.clone(), path, None, body.clone()).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        }
        // PUT /clients/{id} needs the current version.
        for role in all_staff {
            let token = app.token(role).await;
            let version = app.db.store.client(client_id).await.unwrap().version;
            let mut body = client_body.clone();
            body["version"] = json!(version);
            let r = app
                .api(
                    Method::PUT,
                    &format!("/api/v1/clients/{client_id}"),
                    Some(&token),
                    Some(body),
                )
                .await;
            let expected = if editors.contains(role) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(r.status, expected, "{role}: {}", r.body);
        }
        // DELETE /competences/{id}: an entry of its own for each role.
        for role in all_staff {
            let id = app
                .api(
                    Method::POST,
                    "/api/v1/competences",
                    Some(&app.token("sales").await),
                    Some(competence_body.clone()),
                )
                .await
                .json()["id"]
                .as_i64()
                .unwrap();
            let path = format!("/api/v1/competences/{id}");
            let r = app
                .api(Method::DELETE, &path, Some(&app.token(role).await), None)
                .await;
            let expected = if competence_editors.contains(role) {
                StatusCode::NO_CONTENT
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(r.status, expected, "{role} DELETE {path}: {}", r.body);
            let r = app.api(Method::DELETE, &path, None, None).await;
            assert!(
                r.status == StatusCode::UNAUTHORIZED,
                "DELETE {path} without a session"
            );
        }
        // Refused attempts on personal data are audited.
        let denied = app
            .db
            .store
            .audit_entries(&AuditFilter {
                actor_login: Some("admin".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(denied.iter().any(|e| e.action == "access.denied"
            && e.object_kind == "client"
            && e.object_id == client_id.to_string()));

        // Pages: administration refuses a technician, client pages refuse the administrator.
        for (login, path, expected) in [
            ("tech", "/admin", StatusCode::FORBIDDEN),
            ("tech", "/admin/staff/new", StatusCode::FORBIDDEN),
            ("tech", "/admin/calendar/2026", StatusCode::FORBIDDEN),
            ("tech", "/audit", StatusCode::FORBIDDEN),
            ("admin", "/admin", StatusCode::OK),
            ("admin", "/clients", StatusCode::FORBIDDEN),
            (
                "admin",
                &format!("/clients/{client_id}"),
                StatusCode::FORBIDDEN,
            ),
            ("clerk", &format!("/clients/{client_id}"), StatusCode::OK),
            (
                "clerk",
                &format!("/clients/{client_id}/edit"),
                StatusCode::FORBIDDEN,
            ),
            ("director", "/audit", StatusCode::OK),
            ("admin", "/appeals", StatusCode::FORBIDDEN),
            ("clerk", "/appeals/new", StatusCode::OK),
            ("director", "/appeals/new", StatusCode::FORBIDDEN),
            ("tech", "/appeals/settings", StatusCode::FORBIDDEN),
            ("tech", "/appeals/mail", StatusCode::OK),
            ("director", "/appeals/mail", StatusCode::FORBIDDEN),
            ("tech", "/billing", StatusCode::OK),
            ("admin", "/billing", StatusCode::FORBIDDEN),
            ("tech", "/billing/registries", StatusCode::FORBIDDEN),
            ("sales", "/billing/registries", StatusCode::OK),
            ("tech", "/billing/tariffs", StatusCode::OK),
            (
                "tech",
                &format!("/accounts/{account_id}/billing"),
                StatusCode::OK,
            ),
            (
                "admin",
                &format!("/accounts/{account_id}/billing"),
                StatusCode::FORBIDDEN,
            ),
            ("tech", "/incidents", StatusCode::FORBIDDEN),
            ("head", "/incidents", StatusCode::OK),
            ("tech", "/incidents/new", StatusCode::OK),
            ("admin", "/incidents/new", StatusCode::FORBIDDEN),
            (
                "tech",
                &format!("/incidents/{incident_id}"),
                StatusCode::FORBIDDEN,
            ),
            (
                "sales",
                &format!("/incidents/{incident_id}"),
                StatusCode::OK,
            ),
            ("admin", "/competences", StatusCode::OK),
            ("cashier", "/competences", StatusCode::OK),
        ] {
            let (cookie, _) = app.browser_login(login).await;
            let r = app.page(Method::GET, path, &cookie, None).await;
            assert_eq!(r.status, expected, "{}: {login} {path}", app.label());
            if expected == StatusCode::FORBIDDEN {
                assert!(
                    r.body.contains("Недостаточно прав"),
                    "a clear refusal in Russian"
                );
            }
        }
        let r = app.page(Method::GET, "/clients", "", None).await;
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/login"));
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn invalid_client_is_refused_with_field_messages_and_nothing_stored() {
    for app in apps().await {
        let token = app.token("tech").await;
        let before = app.db.store.client_count().await.unwrap();
        let r = app
            .api(Method::POST, "/api/v1/clients", Some(&token), Some(json!({
                "surname": "", "first_name": "Ivan9", "phones": "12", "email": "x@", "preferred_channel": "email"})))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.label()
        );
        let errors = r.json()["errors"].as_array().unwrap().clone();
        let fields: Vec<&str> = errors
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        for f in ["surname", "first_name", "phones", "email"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        assert!(errors
            .iter()
            .all(|e| !e["detail"].as_str().unwrap().is_empty()));
        assert_eq!(app.db.store.client_count().await.unwrap(), before);

        // Malformed JSON is a 4xx, not a 500.
        let r = app
            .api(
                Method::POST,
                "/api/v1/clients",
                Some(&token),
                Some(json!([1, 2])),
            )
            .await;
        assert!(r.status.is_client_error());
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn csrf_is_required_for_cookie_sessions() {
    for app in apps().await {
        let (cookie, csrf) = app.browser_login("tech").await;
        let body = json!({"surname": "Без", "first_name": "Токена", "phones": "+79120000000", "preferred_channel": "phone"});
        let req = |with: Option<&str>| {
            let mut b = axum::http::Request::builder()
                .method(Method::POST)
                .uri("/api/v1/clients")
                .header("cookie", &cookie)
                .header("content-type", "application/json");
            if let Some(t) = with {
                b = b.header("x-csrf-token", t);
            }
            b.body(axum::body::Body::from(body.to_string())).unwrap()
        };
        let before = app.db.store.client_count().await.unwrap();
        assert_eq!(
            app.send(req(None)).await.status,
            StatusCode::FORBIDDEN,
            "{}",
            app.label()
        );
        assert_eq!(
            app.send(req(Some("forged"))).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(app.db.store.client_count().await.unwrap(), before);
        assert_eq!(app.send(req(Some(&csrf))).await.status, StatusCode::CREATED);

        // A page form without the token changes nothing.
        let r = app
            .page(
                Method::POST,
                "/clients/new",
                &cookie,
                Some("surname=A&first_name=B&preferred_channel=portal"),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Форма устарела"));
        // The login form refuses a post without its cookie.
        let r = app
            .page(
                Method::POST,
                "/login",
                "",
                Some(&format!("login=tech&password={PASSWORD}&_csrf=x")),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn staff_search_open_card_and_edit_through_pages() {
    for app in apps().await {
        let (cookie, csrf) = app.browser_login("tech").await;
        let demo = abonent_store::demo::demo_client(7);
        for q in [
            demo.number.to_string(),
            demo.surname.clone(),
            format!("{} {}", demo.premises.street, demo.premises.house),
            format!("+7{}", &demo.phones[0][..6]),
        ] {
            let r = app
                .page(
                    Method::GET,
                    &format!("/clients?q={}", enc(&q)),
                    &cookie,
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}: {q}", app.label());
            assert!(
                r.body.contains(&demo.surname),
                "{}: searching {q} finds the client",
                app.label()
            );
        }
        let r = app
            .page(Method::GET, "/clients?q=%D0%B0", &cookie, None)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("не меньше двух символов"));

        let hit = app
            .db
            .store
            .search_clients(
                &abonent_domain::search::SearchQuery::AccountNumber(demo.number.to_string()),
                1,
            )
            .await
            .unwrap();
        let id = hit[0].client_id;
        let card = app
            .page(Method::GET, &format!("/clients/{id}"), &cookie, None)
            .await;
        assert_eq!(card.status, StatusCode::OK);
        assert!(card.body.contains(demo.number.as_str()));
        assert!(card.body.contains("Типовой договор"));
        let views = app
            .db
            .store
            .audit_entries(&AuditFilter {
                object_kind: Some("client".into()),
                object_id: Some(id.to_string()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(
            views
                .iter()
                .any(|e| e.action == "client.view" && e.actor_login == "tech"),
            "card views are audited"
        );

        let edit = app
            .page(Method::GET, &format!("/clients/{id}/edit"), &cookie, None)
            .await;
        assert_eq!(edit.status, StatusCode::OK);
        let version = hidden(&edit.body, "version");
        // Bad e-mail: 422, the typed values stay in the form, nothing changes.
        let bad = format!("_csrf={csrf}&version={version}&surname={}&first_name=%D0%98%D0%B2%D0%B0%D0%BD&phones=%2B79121112233&email=broken%40&preferred_channel=email&consents=personal_data", enc("Новофамильный"));
        let r = app
            .page(
                Method::POST,
                &format!("/clients/{id}/edit"),
                &cookie,
                Some(&bad),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.label()
        );
        assert!(r.body.contains("Новофамильный"), "input kept");
        assert!(r.body.contains("Адрес электронной почты указан неверно"));
        assert!(r.body.contains("aria-invalid=\"true\""));
        assert_eq!(app.db.store.client(id).await.unwrap().surname, demo.surname);

        let good = bad.replace("broken%40", "ivan%40example.org").replace(
            "consents=personal_data",
            "consents=personal_data&vulnerable=veteran",
        );
        let r = app
            .page(
                Method::POST,
                &format!("/clients/{id}/edit"),
                &cookie,
                Some(&good),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let c = app.db.store.client(id).await.unwrap();
        assert_eq!(c.surname, "Новофамильный");
        assert_eq!(
            c.vulnerable,
            vec![abonent_domain::clients::VulnerableCategory::Veteran]
        );
        let card = app.page(Method::GET, r.location(), &cookie, None).await;
        assert!(card.body.contains("Изменения сохранены"));
        assert!(card.body.contains("ветеран"));

        // The same form again, based on the old version: refused, input kept.
        let r = app
            .page(
                Method::POST,
                &format!("/clients/{id}/edit"),
                &cookie,
                Some(&good.replace("Новофамильный", "Третья")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains("уже изменил другой сотрудник"));
        assert_eq!(
            app.db.store.client(id).await.unwrap().surname,
            "Новофамильный"
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn administrator_manages_organisation_and_calendar() {
    for app in apps().await {
        let token = app.token("admin").await;
        // A centre with bad hours: field message, nothing stored.
        let branch = app.db.store.branches().await.unwrap()[0].id;
        let r = app.api(Method::POST, "/api/v1/centres", Some(&token), Some(json!({
            "branch_id": branch.to_string(), "name": "Пункт Варьёган", "address": "пгт Варьёган", "opening_hours": "пн-пт 9-18"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "opening_hours");
        assert_eq!(app.db.store.centres().await.unwrap().len(), 2);
        let r = app
            .api(
                Method::POST,
                "/api/v1/centres",
                Some(&token),
                Some(json!({
            "branch_id": branch.to_string(), "name": "Пункт Варьёган", "address": "пгт Варьёган",
            "opening_hours": "пн-пт 09:00-18:00", "reception_hours": "вт,чт 10:00-16:00"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let centres = app.db.store.centres().await.unwrap();
        let c = centres.iter().find(|c| c.name == "Пункт Варьёган").unwrap();
        assert_eq!(c.reception_hours.as_deref(), Some("вт,чт 10:00-16:00"));

        // Staff: a duplicate login is a field error; a new technician can sign in.
        let r = app.api(Method::POST, "/api/v1/staff", Some(&token), Some(json!({
            "login": "tech", "full_name": "Дубль", "role": "technician", "password": "long-enough-1"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "login");
        let r = app.api(Method::POST, "/api/v1/staff", Some(&token), Some(json!({
            "login": "petrova", "full_name": "Петрова Анна", "role": "cashier_technician", "password": "short"}))).await;
        assert_eq!(r.json()["errors"][0]["field"], "password");

        // Calendar: declare 5 Nov 2026 a day off; the deadline follows.
        let before = app
            .api(
                Method::GET,
                "/api/v1/calendar/deadline?from=2026-10-21&days=15",
                Some(&token),
                None,
            )
            .await
            .json();
        assert_eq!(before["deadline"], "2026-11-05");
        let mut days = abonent_domain::calendar::format_year_text(
            &abonent_domain::calendar::shipped_years()
                .into_iter()
                .find(|y| y.year == 2026)
                .unwrap()
                .days,
        );
        days.push_str("\n2026-11-05 выходной");
        let r = app
            .api(
                Method::PUT,
                "/api/v1/calendar/2026",
                Some(&token),
                Some(json!({"source": "Изменено", "days": days})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        let after = app
            .api(
                Method::GET,
                "/api/v1/calendar/deadline?from=2026-10-21&days=15",
                Some(&token),
                None,
            )
            .await
            .json();
        assert_eq!(after["deadline"], "2026-11-06");
        assert_eq!(after["moved_from"], "2026-11-05");
        let y = app
            .api(Method::GET, "/api/v1/calendar/2026", Some(&token), None)
            .await
            .json();
        assert_eq!(y["working_days"], 246);
        let bad = app
            .api(
                Method::PUT,
                "/api/v1/calendar/2026",
                Some(&token),
                Some(json!({"source": "x", "days": "2026-02-30 праздник"})),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.json()["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("Строка 1"));
        let y = app
            .api(Method::GET, "/api/v1/calendar/2030", Some(&token), None)
            .await
            .json();
        assert_eq!(y["official"], false, "a year without data says so");

        // The administrator cannot lock themselves out.
        let me = app
            .api(Method::GET, "/api/v1/me", Some(&token), None)
            .await
            .json();
        let id = me["staff"]["id"].as_i64().unwrap();
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/staff/{id}"),
                Some(&token),
                Some(json!({
            "login": "admin", "full_name": "Сидоров Алексей Викторович", "role": "technician"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

        // The calendar page shows the deadline calculator.
        let (cookie, _) = app.browser_login("admin").await;
        let p = app
            .page(
                Method::GET,
                "/admin/calendar/2026?from=2026-11-06&days=15",
                &cookie,
                None,
            )
            .await;
        assert!(p.body.contains("Срок: 23.11.2026"), "{}", app.label());
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn password_change_ends_sessions() {
    for app in apps().await {
        let (cookie, csrf) = app.browser_login("sales").await;
        let r = app
            .page(
                Method::POST,
                "/account/password",
                &cookie,
                Some(&format!(
                    "_csrf={csrf}&current_password=wrong&new_password=abc&new_password_again=abd"
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Текущий пароль введён неверно"));
        assert!(r.body.contains("Пароли не совпадают"));
        let r = app.page(Method::POST, "/account/password", &cookie,
            Some(&format!("_csrf={csrf}&current_password={PASSWORD}&new_password=brand-new-77&new_password_again=brand-new-77"))).await;
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/login"));
        let r = app.page(Method::GET, "/clients", &cookie, None).await;
        assert_eq!(r.location(), "/login", "old session ended");
        let ok = app
            .api(
                Method::POST,
                "/api/v1/session",
                None,
                Some(json!({"login": "sales", "password": "brand-new-77"})),
            )
            .await;
        assert_eq!(ok.status, StatusCode::CREATED);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn health_readiness_metrics_and_security_headers() {
    for app in apps().await {
        let r = app.api(Method::GET, "/healthz", None, None).await;
        assert_eq!(r.status, StatusCode::OK);
        let r = app.api(Method::GET, "/readyz", None, None).await;
        assert_eq!(r.json()["status"], "ready");
        assert!(r
            .headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("default-src 'self'"));
        let r = app.api(Method::GET, "/metrics", None, None).await;
        assert!(r.body.contains("abonent_http_requests_total"), "{}", r.body);
        assert!(r.body.contains("route=\"/readyz\""));
        let r = app.api(Method::GET, "/assets/app.css", None, None).await;
        assert!(r.body.contains("--color-primary"));
        let r = app.api(Method::GET, "/api/v1/nothing", None, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.json()["errors"][0]["detail"].is_string());
        app.db.cleanup().await;
    }
}

/// The API description is generated from the code; a change must be reviewed as a snapshot
/// change. `UPDATE_SNAPSHOTS=1 cargo test -p abonent-web --test http openapi` rewrites it.
#[tokio::test]
async fn openapi_snapshot() {
    let app = apps().await.into_iter().next().unwrap();
    let r = app.api(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let pretty = serde_json::to_string_pretty(&r.json()).unwrap() + "\n";
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(&path, &pretty).unwrap();
    }
    let stored =
        std::fs::read_to_string(&path).expect("snapshot exists: run with UPDATE_SNAPSHOTS=1 once");
    assert!(
        stored == pretty,
        "OpenAPI changed: review and run with UPDATE_SNAPSHOTS=1"
    );
    assert!(pretty.contains("/api/v1/clients/{id}"));
    app.db.cleanup().await;
}

#[tokio::test]
async fn staff_open_an_account_with_the_next_number() {
    for app in apps().await {
        let token = app.token("cashier").await;
        let branch = app.db.store.branches().await.unwrap()[0].id;
        let created = app
            .api(
                Method::POST,
                "/api/v1/clients",
                Some(&token),
                Some(json!({
                "surname": "Орлова", "first_name": "Вера", "phones": "+7 912 555 44 33",
                "preferred_channel": "sms", "consents": ["personal_data", "sms_notices"]})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let id = created.json()["id"].as_i64().unwrap();

        let bad = app
            .api(
                Method::POST,
                &format!("/api/v1/clients/{id}/accounts"),
                Some(&token),
                Some(json!({
                "branch_id": "999999", "settlement": "", "street": "ул. Лесная", "house": "5",
                "category": "urban", "residents": "100", "rooms": "1", "opened_on": "2099-01-01"})),
            )
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.label()
        );
        let fields: Vec<String> = bad.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        for f in ["settlement", "residents", "opened_on"] {
            assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
        }
        let bad_branch = app
            .api(Method::POST, &format!("/api/v1/clients/{id}/accounts"), Some(&token), Some(json!({
                "branch_id": "999999", "settlement": "пгт Новоаганск", "street": "ул. Лесная", "house": "5",
                "category": "rural", "residents": "3", "rooms": "2"})))
            .await;
        assert_eq!(bad_branch.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad_branch.json()["errors"][0]["field"], "branch_id");
        assert!(
            app.db
                .store
                .accounts_of_client(id)
                .await
                .unwrap()
                .is_empty(),
            "nothing half-written"
        );

        let max = app.db.store.max_account_serial().await.unwrap();
        let ok = app
            .api(Method::POST, &format!("/api/v1/clients/{id}/accounts"), Some(&token), Some(json!({
                "branch_id": branch.to_string(), "postcode": "628647", "settlement": "пгт Новоаганск",
                "street": "ул. Лесная", "house": "5", "apartment": "", "category": "rural",
                "residents": "3", "rooms": "2"})))
            .await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
        let number = ok.json()["number"].as_str().unwrap().to_owned();
        assert_eq!(
            number,
            abonent_domain::accounts::AccountNumber::from_serial(max + 1).to_string()
        );
        let accounts = app.db.store.accounts_of_client(id).await.unwrap();
        assert_eq!(accounts.len(), 1);
        assert_eq!(
            accounts[0].address(),
            "628647, пгт Новоаганск, ул. Лесная, д. 5"
        );
        assert_eq!(accounts[0].contracts[0].status.code(), "concluded");
        // Found by the new number and by the address.
        let hits = app
            .api(
                Method::GET,
                &format!("/api/v1/clients?q={number}"),
                Some(&token),
                None,
            )
            .await
            .json();
        assert_eq!(hits[0]["client_id"], id);
        let hits = app
            .api(
                Method::GET,
                &format!("/api/v1/clients?q={}", enc("Лесная 5")),
                Some(&token),
                None,
            )
            .await
            .json();
        assert!(hits
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["client_id"] == id));

        // Through the page: the form keeps input on error and opens the account on success.
        let (cookie, csrf) = app.browser_login("cashier").await;
        let form = app
            .page(
                Method::GET,
                &format!("/clients/{id}/accounts/new"),
                &cookie,
                None,
            )
            .await;
        assert_eq!(form.status, StatusCode::OK);
        let body = format!("_csrf={csrf}&branch_id={branch}&settlement={}&street={}&house=&category=urban&residents=1&rooms=1",
            enc("г. Радужный"), enc("3 мкр."));
        let r = app
            .page(
                Method::POST,
                &format!("/clients/{id}/accounts/new"),
                &cookie,
                Some(&body),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("3 мкр."), "input kept");
        let r = app
            .page(
                Method::POST,
                &format!("/clients/{id}/accounts/new"),
                &cookie,
                Some(&body.replace("house=&", "house=12&")),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(app.db.store.accounts_of_client(id).await.unwrap().len(), 2);
        app.db.cleanup().await;
    }
}
