//! The directory of competences (CHN-07, §6.2.3.3, §6.3.3) on SQLite and PostgreSQL: every staff
//! member reads it and searches it by words; those with the right add, change, reorder and
//! delete entries; the public page shows the published entries only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use abonent_store::audit::AuditFilter;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{apps, enc, hidden, App};
use serde_json::{json, Value};

async fn topics(app: &App, token: &str, q: &str) -> Vec<String> {
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/competences?q={}", enc(q)),
            Some(token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["topic"].as_str().unwrap().to_owned())
        .collect()
}

async fn send_with_key(
    app: &App,
    method: Method,
    path: &str,
    token: &str,
    key: &str,
    body: Option<&Value>,
) -> common::Resp {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("idempotency-key", key);
    let body = match body {
        Some(v) => {
            b = b.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    app.send(b.body(body).unwrap()).await
}

#[tokio::test]
async fn every_staff_member_reads_and_searches_the_directory() {
    for app in apps().await {
        for login in [
            "admin", "director", "head", "sales", "clerk", "tech", "cashier",
        ] {
            let all = topics(&app, &app.token(login).await, "").await;
            assert!(all.len() >= 7, "{login}: {all:?}");
            assert_eq!(all[0], "Оплата и задолженность", "in the directory's order");
        }
        let token = app.token("tech").await;
        // Any form of the words: «счётчики» finds «счётчик», «перерасчёта» finds «перерасчёт».
        assert_eq!(
            topics(&app, &token, "замена счётчики").await,
            vec!["Показания и приборы учёта"]
        );
        assert_eq!(
            topics(&app, &token, "перерасчёта").await,
            vec!["Начисления и перерасчёт"]
        );
        assert!(topics(&app, &token, "космос").await.is_empty());
        // The page: the search box, the entries, no form for who may not edit.
        let (cookie, _) = app.browser_login("tech").await;
        let page = app
            .page(
                Method::GET,
                &format!("/competences?q={}", enc("жалобы")),
                &cookie,
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", app.label());
        assert!(page.body.contains("Жалобы на работу сотрудников"));
        assert!(page.body.contains("руководитель отделения"));
        assert!(!page.body.contains("Оплата и задолженность"));
        assert!(page.body.contains("role=\"region\""));
        assert!(
            !page.body.contains("name=\"topic\""),
            "no form for a technician"
        );
        assert!(page
            .body
            .contains("<a href=\"/competences\" aria-current=\"page\">"));
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn only_those_with_the_right_change_the_directory() {
    for app in apps().await {
        let body =
            json!({"topic": "Выезд на дом", "position": "техник", "hours": "пн-пт 09:00-12:00"});
        for login in ["tech", "cashier", "clerk"] {
            let token = app.token(login).await;
            let r = app
                .api(
                    Method::POST,
                    "/api/v1/competences",
                    Some(&token),
                    Some(body.clone()),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{login}");
            let r = app
                .api(Method::DELETE, "/api/v1/competences/1", Some(&token), None)
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{login}");
            let r = app
                .api(
                    Method::PUT,
                    "/api/v1/competences/1",
                    Some(&token),
                    Some(body.clone()),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{login}");
        }
        let (cookie, csrf) = app.browser_login("tech").await;
        let r = app
            .page(
                Method::POST,
                "/competences",
                &cookie,
                Some(&format!("_csrf={csrf}&topic=x&position=y")),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let before = topics(&app, &app.token("tech").await, "").await.len();

        // The head of retail sales adds an entry with a named staff member and a centre.
        let sales = app.token("sales").await;
        let head_id = app
            .db
            .store
            .staff_credentials("head")
            .await
            .unwrap()
            .unwrap()
            .0
            .id;
        let centre = app.db.store.centres().await.unwrap()[0].id;
        let mut full = body.clone();
        full["staff_id"] = json!(head_id);
        full["centre_id"] = json!(centre);
        full["phone"] = json!("8 (34668) 4-11-22");
        let r = app
            .api(
                Method::POST,
                "/api/v1/competences",
                Some(&sales),
                Some(full.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.label(), r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let all = app
            .api(Method::GET, "/api/v1/competences", Some(&sales), None)
            .await
            .json();
        let last = all.as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["id"], id, "a new entry goes to the end");
        assert_eq!(last["staff_name"], "Морозова Елена Петровна");
        assert_eq!(last["hours"], "пн-пт 09:00-12:00");
        assert_eq!(last["published"], true);
        // Changed, moved up, deleted.
        full["topic"] = json!("Выезд к маломобильным клиентам");
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/competences/{id}"),
                Some(&sales),
                Some(full),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let (cookie, csrf) = app.browser_login("sales").await;
        let r = app
            .page(
                Method::POST,
                &format!("/competences/{id}/move"),
                &cookie,
                Some(&format!("_csrf={csrf}&dir=up")),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let order = topics(&app, &sales, "").await;
        assert_eq!(order[order.len() - 2], "Выезд к маломобильным клиентам");
        let r = app
            .page(
                Method::POST,
                &format!("/competences/{id}/move"),
                &cookie,
                Some(&format!("_csrf={csrf}&dir=down")),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(
            topics(&app, &sales, "").await.last().unwrap(),
            "Выезд к маломобильным клиентам"
        );
        let r = app
            .api(
                Method::DELETE,
                &format!("/api/v1/competences/{id}"),
                Some(&sales),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        assert_eq!(topics(&app, &sales, "").await.len(), before);
        let r = app
            .api(
                Method::DELETE,
                &format!("/api/v1/competences/{id}"),
                Some(&sales),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let audit = app
            .db
            .store
            .audit_entries(&AuditFilter {
                object_kind: Some("competence".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        for action in ["competence.save", "competence.move", "competence.delete"] {
            assert!(
                audit
                    .iter()
                    .any(|e| e.action == action && e.actor_login == "sales"),
                "{action}"
            );
        }
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn bad_input_is_refused_in_russian_and_the_form_keeps_it() {
    for app in apps().await {
        let sales = app.token("sales").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/competences",
                Some(&sales),
                Some(json!({"hours": "когда придётся", "centre_id": 999999})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("Укажите, какие это вопросы."));
        assert!(r
            .body
            .contains("Укажите должность, которая решает эти вопросы."));
        assert!(r.body.contains("дни недели пишутся как пн"), "{}", r.body);
        let r = app
            .api(
                Method::POST,
                "/api/v1/competences",
                Some(&sales),
                Some(json!({"topic": "Т", "position": "П", "centre_id": 999999})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Выберите центр обслуживания из списка."));
        // The page keeps what was typed.
        let (cookie, csrf) = app.browser_login("sales").await;
        let page = app.page(Method::GET, "/competences", &cookie, None).await;
        let once = hidden(&page.body, "_once");
        let r = app
            .page(
                Method::POST,
                "/competences",
                &cookie,
                Some(&format!(
                    "_csrf={csrf}&_once={once}&topic={}&position=&hours={}",
                    enc("Справки о расчётах"),
                    enc("пн 18:00-09:00")
                )),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.label()
        );
        assert!(r.body.contains("value=\"Справки о расчётах\""));
        assert!(r
            .body
            .contains("Укажите должность, которая решает эти вопросы."));
        assert!(r.body.contains("начало интервала должно быть раньше конца"));
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn a_retried_write_changes_the_directory_once() {
    for app in apps().await {
        let sales = app.token("sales").await;
        let before = topics(&app, &sales, "").await.len();
        let body = json!({"topic": "Справки", "position": "техник"});
        let a = send_with_key(
            &app,
            Method::POST,
            "/api/v1/competences",
            &sales,
            "k-1",
            Some(&body),
        )
        .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        let b = send_with_key(
            &app,
            Method::POST,
            "/api/v1/competences",
            &sales,
            "k-1",
            Some(&body),
        )
        .await;
        assert_eq!(b.json()["id"], a.json()["id"]);
        assert_eq!(
            topics(&app, &sales, "").await.len(),
            before + 1,
            "{}",
            app.label()
        );
        // The form's one-time token: a double click adds one entry.
        let (cookie, csrf) = app.browser_login("sales").await;
        let page = app.page(Method::GET, "/competences", &cookie, None).await;
        let once = hidden(&page.body, "_once");
        let form = format!(
            "_csrf={csrf}&_once={once}&topic={}&position={}&published=yes",
            enc("Льготы"),
            enc("начальник отдела")
        );
        for _ in 0..2 {
            let r = app
                .page(Method::POST, "/competences", &cookie, Some(&form))
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        assert_eq!(
            topics(&app, &sales, "").await.len(),
            before + 2,
            "{}",
            app.label()
        );
        // A delete retried with its key answers as the first time.
        let id = a.json()["id"].as_i64().unwrap();
        let path = format!("/api/v1/competences/{id}");
        let d1 = send_with_key(&app, Method::DELETE, &path, &sales, "d-1", None).await;
        let d2 = send_with_key(&app, Method::DELETE, &path, &sales, "d-1", None).await;
        assert_eq!(
            (d1.status, d2.status),
            (StatusCode::NO_CONTENT, StatusCode::NO_CONTENT)
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_public_page_shows_only_published_entries() {
    for app in apps().await {
        let sales = app.token("sales").await;
        let tech_id = app
            .db
            .store
            .staff_credentials("tech")
            .await
            .unwrap()
            .unwrap()
            .0
            .id;
        for (topic, published) in [("Опубликованная тема", true), ("Черновая тема", false)]
        {
            let r = app
                .api(
                    Method::POST,
                    "/api/v1/competences",
                    Some(&sales),
                    Some(
                        json!({"topic": topic, "position": "техник", "staff_id": tech_id,
                        "phone": "8 (34668) 4-00-00", "published": published}),
                    ),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        let r = app.page(Method::GET, "/info/competences", "", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", app.label());
        assert!(r.body.contains("<h1>Кто решает какие вопросы</h1>"));
        assert!(r.body.contains("Опубликованная тема"));
        assert!(r.body.contains("Оплата и задолженность"));
        assert!(
            !r.body.contains("Черновая тема"),
            "a draft is not published"
        );
        // The published name, position and phone; nothing else about the person.
        assert!(r.body.contains("Егорова Мария Ивановна"));
        assert!(r.body.contains("8 (34668) 4-00-00"));
        assert!(!r.body.contains("@abonent.example.org"));
        let r = app
            .page(
                Method::GET,
                &format!("/info/competences?q={}", enc("черновая")),
                "",
                None,
            )
            .await;
        assert!(!r.body.contains("Черновая тема"));
        // Staff see the draft, marked.
        let (cookie, _) = app.browser_login("tech").await;
        let page = app.page(Method::GET, "/competences", &cookie, None).await;
        assert!(page.body.contains("Черновая тема"));
        assert!(page.body.contains("не опубликовано"));
        // Listed in the section «Клиентам».
        let index = app.page(Method::GET, "/info", "", None).await;
        assert!(index
            .body
            .contains("<a href=\"/info/competences\">Кто решает какие вопросы</a>"));
        app.db.cleanup().await;
    }
}
