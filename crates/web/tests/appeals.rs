//! Appeals through the API and the pages, for each role, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use base64::Engine;
use common::{apps, hidden, set_cookie, App};
use serde_json::json;

fn complaint() -> serde_json::Value {
    json!({
        "channel": "post", "kind": "complaint", "topic": "meter",
        "text": "Прошу заменить неисправный счётчик в квартире.",
        "applicant_name": "Иванов Иван Иванович",
        "postal_address": "628462, г. Радужный, 1 мкр., д. 5, кв. 3",
        "email": "ivanov@example.org", "answer_channel": "email"
    })
}

async fn api_with_key(
    app: &App,
    path: &str,
    token: &str,
    key: &str,
    body: serde_json::Value,
) -> common::Resp {
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("idempotency-key", key)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    app.send(req).await
}

fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let files: Vec<(&str, &str, &[u8])> = files.iter().map(|(n, c)| ("files", *n, *c)).collect();
    common::multipart(fields, &files)
}

async fn post_multipart(
    app: &App,
    path: &str,
    cookie: &str,
    ct: &str,
    body: Vec<u8>,
) -> common::Resp {
    app.post_multipart(path, cookie, ct, body).await
}

async fn version(app: &App, id: i64, token: &str) -> i64 {
    app.api(
        Method::GET,
        &format!("/api/v1/appeals/{id}"),
        Some(token),
        None,
    )
    .await
    .json()["appeal"]["version"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn appeal_lifecycle_and_rights_over_the_api() {
    for app in apps().await {
        let l = app.label();
        let clerk = app.token("clerk").await;
        let head = app.token("head").await;
        let tech = app.token("tech").await;
        let admin = app.token("admin").await;
        let director = app.token("director").await;

        // Registration: clerk yes, administrator no; a retry with the same key registers nothing.
        let r = api_with_key(&app, "/api/v1/appeals", &clerk, "key-1", complaint()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{l}: {}", r.body);
        let reg = r.json();
        let id = reg["id"].as_i64().unwrap();
        assert!(reg["number"].as_str().unwrap().ends_with("-000001"));
        assert!(reg["tracking_code"].as_str().unwrap().len() == 10);
        let again = api_with_key(&app, "/api/v1/appeals", &clerk, "key-1", complaint()).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(again.json()["id"].as_i64(), Some(id));
        assert_eq!(again.json()["replayed"], json!(true));
        let all = app
            .api(Method::GET, "/api/v1/appeals?view=all", Some(&clerk), None)
            .await;
        assert_eq!(
            all.json().as_array().unwrap().len(),
            1,
            "{l}: nothing registered twice"
        );
        let r = app
            .api(
                Method::POST,
                "/api/v1/appeals",
                Some(&admin),
                Some(complaint()),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .api(Method::GET, "/api/v1/appeals", Some(&admin), None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Bad input: empty text, unknown topic, a wrong account number, a file of a wrong type.
        let mut bad = complaint();
        bad["text"] = json!("  ");
        bad["topic"] = json!("");
        bad["account_number"] = json!("1234567890");
        bad["attachments"] = json!([{"file_name": "virus.exe", "content_base64": "TVo="}]);
        let r = app
            .api(Method::POST, "/api/v1/appeals", Some(&clerk), Some(bad))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let fields: Vec<String> = r.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        for f in ["text", "topic", "account_number", "files"] {
            assert!(fields.contains(&f.to_owned()), "{l}: {f} in {fields:?}");
        }
        // With a scan attached.
        let mut with_file = complaint();
        with_file["topic"] = json!("billing");
        with_file["attachments"] = json!([{"file_name": "скан.pdf",
            "content_base64": base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4 scan")}]);
        let r = app
            .api(
                Method::POST,
                "/api/v1/appeals",
                Some(&clerk),
                Some(with_file),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let second = r.json()["id"].as_i64().unwrap();
        let card = app
            .api(
                Method::GET,
                &format!("/api/v1/appeals/{second}"),
                Some(&tech),
                None,
            )
            .await;
        let att = card.json()["attachments"][0]["id"].as_i64().unwrap();
        let file = app
            .api(
                Method::GET,
                &format!("/api/v1/appeals/attachments/{att}"),
                Some(&tech),
                None,
            )
            .await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.body, "%PDF-1.4 scan");

        // The head assigns; a technician may not.
        let tech_id = app
            .api(Method::GET, "/api/v1/me", Some(&tech), None)
            .await
            .json()["staff"]["id"]
            .as_i64()
            .unwrap();
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/appeals/{id}/assign"),
                Some(&tech),
                Some(json!({"version": 1, "executor_id": tech_id})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/appeals/{id}/assign"),
                Some(&head),
                Some(json!({"version": 1, "executor_id": tech_id})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{l}: {}", r.body);
        let mine = app
            .api(Method::GET, "/api/v1/appeals?view=mine", Some(&tech), None)
            .await;
        assert_eq!(mine.json().as_array().unwrap().len(), 1);
        // The clerk cannot answer.
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/appeals/{id}/interim-reply"),
                Some(&clerk),
                Some(json!({"version": 2, "body": "x"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Extension: refused before an interim reply and beyond the norm.
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/appeals/{id}/extend"),
                Some(&tech),
                Some(json!({"version": version(&app, id, &tech).await, "days": 10})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("промежуточного ответа"), "{}", r.body);
        // Sent twice with the same Idempotency-Key (a client retrying): recorded once.
        let interim = json!({"version": version(&app, id, &tech).await, "body": "Назначена проверка прибора учёта."});
        let path = format!("/api/v1/appeals/{id}/interim-reply");
        let r = api_with_key(&app, &path, &tech, "interim-1", interim.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = api_with_key(&app, &path, &tech, "interim-1", interim.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "the first result again: {}",
            r.body
        );
        let r = app
            .api(Method::POST, &path, Some(&tech), Some(interim))
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "without the key the stale version is refused"
        );
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/appeals/{id}/extend"),
                Some(&tech),
                Some(json!({"version": version(&app, id, &tech).await, "days": 16})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/appeals/{id}/extend"),
                Some(&tech),
                Some(json!({"version": version(&app, id, &tech).await, "days": 15})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        // An answer without a signature is refused; a complete one is sent once.
        let mut answer = json!({"version": version(&app, id, &tech).await,
            "substance": "Счётчик заменён 20.11.2026, начисления пересчитаны.",
            "executor_name": "Егорова Мария Ивановна", "executor_phone": "8 (34668) 4-12-34",
            "signatory_name": "", "signatory_position": ""});
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/appeals/{id}/answer"),
                Some(&tech),
                Some(answer.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("signatory_name") && r.body.contains("signatory_position"));
        answer["signatory_name"] = json!("Смирнов П. А.");
        answer["signatory_position"] = json!("Руководитель Радужнинского отделения");
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/appeals/{id}/answer"),
                Some(&tech),
                Some(answer.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/appeals/{id}/answer"),
                Some(&tech),
                Some(answer),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "answered once");

        // The citizen reads the answer with the number and the code; a wrong code is refused.
        let track = |code: String| json!({"number": reg["number"], "code": code});
        let r = app
            .api(
                Method::POST,
                "/api/v1/public/appeals/track",
                None,
                Some(track("WRONGCODE1".into())),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = app
            .api(
                Method::POST,
                "/api/v1/public/appeals/track",
                None,
                Some(track(reg["tracking_code"].as_str().unwrap().to_lowercase())),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let t = r.json();
        assert_eq!(t["status"], json!("дан ответ"));
        assert_eq!(t["replies"].as_array().unwrap().len(), 2);
        assert!(t["replies"][1]["body"]
            .as_str()
            .unwrap()
            .contains("Счётчик заменён"));

        // Full-text search on word forms; counts for the period.
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/appeals?q={}", common::enc("счётчика")),
                Some(&head),
                None,
            )
            .await;
        assert_eq!(r.json().as_array().unwrap().len(), 2, "{l}: {}", r.body);
        let r = app
            .api(
                Method::GET,
                "/api/v1/appeals/stats?from=2000-01-01&to=2100-01-01",
                Some(&head),
                None,
            )
            .await;
        assert_eq!(r.json()["total"], json!(2));
        assert_eq!(r.json()["closed"], json!(1));
        assert_eq!(r.json()["closed_on_time"], json!(1));
        let r = app
            .api(
                Method::GET,
                "/api/v1/appeals/stats?from=2026-02-01&to=2026-01-01",
                Some(&head),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Norms: the director may change them, the head may not; nonsense is refused.
        let norms = json!({"answer_days": 10, "max_extension_days": 10, "remind_days": 2, "repeat_window_days": 30});
        let r = app
            .api(
                Method::PUT,
                "/api/v1/appeals/norms/claim",
                Some(&head),
                Some(norms.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .api(
                Method::PUT,
                "/api/v1/appeals/norms/claim",
                Some(&director),
                Some(norms),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = app.api(Method::PUT, "/api/v1/appeals/norms/claim", Some(&director),
            Some(json!({"answer_days": 0, "max_extension_days": 10, "remind_days": 2, "repeat_window_days": 30}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = app
            .api(Method::GET, "/api/v1/appeals/norms", Some(&clerk), None)
            .await;
        assert!(r
            .json()
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "claim" && n["answer_days"] == 10));

        // The topic catalogue is data: the director adds one, the head may not, codes are checked.
        let t = json!({"name": "Технологическое присоединение"});
        let r = app
            .api(
                Method::PUT,
                "/api/v1/appeals/topics/connection",
                Some(&head),
                Some(t.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .api(
                Method::PUT,
                "/api/v1/appeals/topics/Bad-Code",
                Some(&director),
                Some(t.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = app
            .api(
                Method::PUT,
                "/api/v1/appeals/topics/connection",
                Some(&director),
                Some(t),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = app
            .api(Method::GET, "/api/v1/appeals/topics", Some(&clerk), None)
            .await;
        assert!(r.body.contains("Технологическое присоединение"));

        // The online reception: no account needed; a name is.
        let mut public = complaint();
        public["applicant_name"] = json!("");
        let r = app
            .api(
                Method::POST,
                "/api/v1/public/appeals",
                None,
                Some(public.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        public["applicant_name"] = json!("Петрова Анна");
        let r = app
            .api(Method::POST, "/api/v1/public/appeals", None, Some(public))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let pid = r.json()["id"].as_i64().unwrap();
        let card = app
            .api(
                Method::GET,
                &format!("/api/v1/appeals/{pid}"),
                Some(&head),
                None,
            )
            .await;
        assert_eq!(card.json()["appeal"]["channel"], json!("online_reception"));
        // A clerk corrects kind and topic; the claim's 10-day norm (set above) gives a new
        // deadline; the administrator may not.
        let before = card.json()["appeal"]["deadline"]
            .as_str()
            .unwrap()
            .to_owned();
        let v = version(&app, pid, &clerk).await;
        let body = json!({"version": v, "kind": "claim", "topic": "billing"});
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/appeals/{pid}/classify"),
                Some(&admin),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/appeals/{pid}/classify"),
                Some(&clerk),
                Some(body),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let c = app
            .api(
                Method::GET,
                &format!("/api/v1/appeals/{pid}"),
                Some(&clerk),
                None,
            )
            .await
            .json();
        assert_eq!(
            (c["appeal"]["kind"].as_str(), c["appeal"]["topic"].as_str()),
            (Some("claim"), Some("billing"))
        );
        assert!(
            c["appeal"]["deadline"].as_str().unwrap() < before.as_str(),
            "10 days instead of 15"
        );
        assert!(c["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "reclassified"));
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/appeals/{pid}/classify"),
                Some(&clerk),
                Some(json!({"version": v + 1, "kind": "claim", "topic": "nonsense"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Viewing an appeal is in the audit log.
        let audit = app
            .api(
                Method::GET,
                "/api/v1/audit?object_kind=appeal",
                Some(&admin),
                None,
            )
            .await;
        assert!(audit.body.contains("appeal.view"), "{}", audit.body);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn forms_register_once_and_keep_input() {
    for app in apps().await {
        let l = app.label();
        let (cookie, csrf) = app.browser_login("clerk").await;
        let form = app.page(Method::GET, "/appeals/new", &cookie, None).await;
        assert_eq!(form.status, StatusCode::OK, "{l}");
        let once = hidden(&form.body, "_once");
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
        let (ct, body) = multipart(&fields, &[("скан.png", b"\x89PNG...")]);
        let r1 = post_multipart(&app, "/appeals/new", &cookie, &ct, body.clone()).await;
        assert_eq!(r1.status, StatusCode::SEE_OTHER, "{l}: {}", r1.body);
        assert!(r1.location().contains("/confirmation?code="));
        // The same form sent twice (a double click): the same appeal, nothing registered twice.
        let r2 = post_multipart(&app, "/appeals/new", &cookie, &ct, body).await;
        assert_eq!(r2.status, StatusCode::SEE_OTHER);
        let id1 = r1.location().split('/').nth(2).unwrap().to_owned();
        assert_eq!(r2.location(), format!("/appeals/{id1}/confirmation"));
        assert_eq!(
            app.db
                .store
                .list_appeals(&Default::default())
                .await
                .unwrap()
                .len(),
            1
        );
        let conf = app.page(Method::GET, r1.location(), &cookie, None).await;
        assert!(
            conf.body.contains("Подтверждение регистрации"),
            "{}",
            conf.body
        );

        // Refused input is kept.
        let once = hidden(
            &app.page(Method::GET, "/appeals/new", &cookie, None)
                .await
                .body,
            "_once",
        );
        let (ct, body) = multipart(
            &[
                ("_csrf", &csrf),
                ("_once", &once),
                ("channel", "phone"),
                ("kind", "complaint"),
                ("topic", ""),
                ("text", "Текст, который нельзя терять"),
                ("email", "не-почта"),
            ],
            &[],
        );
        let r = post_multipart(&app, "/appeals/new", &cookie, &ct, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Текст, который нельзя терять"));
        assert!(r.body.contains("Выберите тематику"));

        // Without the CSRF token nothing is registered.
        let (ct, body) = multipart(
            &[
                ("channel", "phone"),
                ("kind", "complaint"),
                ("topic", "other"),
                ("text", "x"),
            ],
            &[],
        );
        let r = post_multipart(&app, "/appeals/new", &cookie, &ct, body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // The head assigns through the card; a refused answer keeps the typed text.
        let (hcookie, hcsrf) = app.browser_login("head").await;
        let card = app
            .page(Method::GET, &format!("/appeals/{id1}"), &hcookie, None)
            .await;
        assert_eq!(card.status, StatusCode::OK);
        let version = hidden(&card.body, "version");
        let tech = app
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
                &format!("/appeals/{id1}/assign"),
                &hcookie,
                Some(&format!(
                    "_csrf={hcsrf}&version={version}&executor_id={tech}"
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let card = app
            .page(Method::GET, &format!("/appeals/{id1}"), &hcookie, None)
            .await;
        let version = hidden(&card.body, "version");
        let r = app.page(Method::POST, &format!("/appeals/{id1}/answer"), &hcookie,
            Some(&format!("_csrf={hcsrf}&version={version}&substance={}&executor_name=&executor_phone=&signatory_name=&signatory_position=&channel=post",
                common::enc("Переплата будет возвращена")))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Переплата будет возвращена"));
        assert!(r.body.contains("уполномоченное лицо") || r.body.contains("Уполномоченное лицо"));
        let list = app
            .page(Method::GET, "/appeals?view=all", &hcookie, None)
            .await;
        assert!(list.body.contains("Сергеев Олег"));

        // A complete answer by post: the letter is a PDF; the clerk records it as posted, once.
        let r = app.page(Method::POST, &format!("/appeals/{id1}/answer"), &hcookie,
            Some(&format!("_csrf={hcsrf}&version={version}&substance={}&executor_name={}&executor_phone=83466841234&signatory_name={}&signatory_position={}&channel=post",
                common::enc("Переплата будет возвращена"), common::enc("Егорова Мария Ивановна"),
                common::enc("Смирнов П. А."), common::enc("Руководитель отделения")))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let reply = app
            .db
            .store
            .appeal_replies(id1.parse().unwrap())
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(reply.delivery, "to_print");
        let pdf = app
            .page(
                Method::GET,
                &format!("/appeals/{id1}/replies/{}/letter.pdf", reply.id),
                &cookie,
                None,
            )
            .await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert_eq!(
            pdf.headers.get(header::CONTENT_TYPE).unwrap(),
            "application/pdf"
        );
        assert!(pdf.body.starts_with("%PDF"));
        let posted = format!("/appeals/{id1}/replies/{}/posted", reply.id);
        let r = app
            .page(
                Method::POST,
                &posted,
                &cookie,
                Some(&format!("_csrf={csrf}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = app
            .page(
                Method::POST,
                &posted,
                &cookie,
                Some(&format!("_csrf={csrf}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn online_reception_form_and_status_page() {
    for app in apps().await {
        let form = app.page(Method::GET, "/reception", "", None).await;
        assert_eq!(form.status, StatusCode::OK);
        let cookie = format!(
            "abonent_reception_csrf={}",
            set_cookie(&form, "abonent_reception_csrf")
        );
        let csrf = hidden(&form.body, "_csrf");
        let once = hidden(&form.body, "_once");
        let base = [
            ("_csrf", csrf.as_str()),
            ("_once", once.as_str()),
            ("kind", "complaint"),
            ("topic", "outage"),
            ("text", "Третий день нет света на ул. Лесной."),
            ("applicant_name", "Лебедева Ольга"),
            ("email", "olga@example.org"),
        ];
        let (ct, body) = multipart(&base, &[]);
        let r = post_multipart(&app, "/reception", &cookie, &ct, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "no consent");
        assert!(r.body.contains("Третий день нет света"));
        let mut with_consent = base.to_vec();
        with_consent.push(("consent", "yes"));
        let (ct, body) = multipart(&with_consent, &[]);
        let r = post_multipart(&app, "/reception", &cookie, &ct, body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let grab = |html: &str, id: &str| {
            let m = format!("id=\"{id}\">");
            let s = html.find(&m).unwrap() + m.len();
            html[s..s + html[s..].find('<').unwrap()].to_owned()
        };
        let number = grab(&r.body, "reg-number");
        let code = grab(&r.body, "tracking-code");
        let status = app.page(Method::GET, "/reception/status", "", None).await;
        let scookie = format!(
            "abonent_reception_csrf={}",
            set_cookie(&status, "abonent_reception_csrf")
        );
        let scsrf = hidden(&status.body, "_csrf");
        let r = app
            .page(
                Method::POST,
                "/reception/status",
                &scookie,
                Some(&format!("_csrf={scsrf}&number={number}&code={code}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("зарегистрировано, ждёт исполнителя"));
        let r = app
            .page(
                Method::POST,
                "/reception/status",
                &scookie,
                Some(&format!("_csrf={scsrf}&number={number}&code=AAAAAAAAAA")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn unreadable_letters_wait_for_a_clerk() {
    for app in apps().await {
        let s = &app.db.store;
        assert!(s.inbox_store("box", 1, 7, None, b"garbage").await.unwrap());
        let id = s.inbox_pending(10).await.unwrap()[0].id;
        s.inbox_mark(id, "failed", None, Some("письмо не удалось разобрать"))
            .await
            .unwrap();
        let (cookie, csrf) = app.browser_login("clerk").await;
        let list = app
            .page(Method::GET, "/appeals?view=all", &cookie, None)
            .await;
        assert!(
            list.body.contains("Нераспознанные письма: 1"),
            "{}",
            app.label()
        );
        let page = app.page(Method::GET, "/appeals/mail", &cookie, None).await;
        assert!(page.body.contains("письмо не удалось разобрать"));
        let raw = app
            .page(Method::GET, &format!("/appeals/mail/{id}"), &cookie, None)
            .await;
        assert_eq!(raw.body, "garbage");
        let (tcookie, _) = app.browser_login("director").await;
        let r = app.page(Method::GET, "/appeals/mail", &tcookie, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .page(
                Method::POST,
                &format!("/appeals/mail/{id}/handled"),
                &cookie,
                Some(&format!("_csrf={csrf}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(s.inbox_entries("failed", 10).await.unwrap().is_empty());
        assert_eq!(s.inbox_entries("handled", 10).await.unwrap().len(), 1);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_client_card_lists_appeals_and_starts_a_registration() {
    for app in apps().await {
        let s = &app.db.store;
        let hit = s
            .search_clients(
                &abonent_domain::search::SearchQuery::classify(
                    abonent_domain::accounts::AccountNumber::from_serial(2).as_str(),
                )
                .unwrap(),
                1,
            )
            .await
            .unwrap()
            .remove(0);
        let clerk = app.token("clerk").await;
        let mut body = complaint();
        body["account_number"] = json!(hit.account_number.clone().unwrap());
        let r = app
            .api(Method::POST, "/api/v1/appeals", Some(&clerk), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let number = r.json()["number"].as_str().unwrap().to_owned();
        let id = r.json()["id"].as_i64().unwrap();
        let card = app
            .api(
                Method::GET,
                &format!("/api/v1/appeals/{id}"),
                Some(&clerk),
                None,
            )
            .await;
        assert_eq!(
            card.json()["appeal"]["client_id"].as_i64(),
            Some(hit.client_id),
            "the account names the client"
        );
        let (cookie, _) = app.browser_login("clerk").await;
        let page = app
            .page(
                Method::GET,
                &format!("/clients/{}", hit.client_id),
                &cookie,
                None,
            )
            .await;
        assert!(page.body.contains(&number), "{}", app.label());
        assert!(page
            .body
            .contains(&format!("/appeals/new?client_id={}", hit.client_id)));
        // Once the deadline has passed, the card says so (APL-09).
        sqlx::query("UPDATE appeals SET deadline = '2020-01-10' WHERE id = $1")
            .bind(id)
            .execute(s.pool())
            .await
            .unwrap();
        let card = app
            .page(Method::GET, &format!("/appeals/{id}"), &cookie, None)
            .await;
        assert!(
            card.body.contains("Срок ответа истёк 10.01.2020"),
            "{}",
            app.label()
        );
        let list = app
            .page(Method::GET, "/appeals?view=overdue", &cookie, None)
            .await;
        assert!(list.body.contains("просрочено"));
        let form = app
            .page(
                Method::GET,
                &format!("/appeals/new?client_id={}", hit.client_id),
                &cookie,
                None,
            )
            .await;
        assert!(form.body.contains(&format!("value=\"{}\"", hit.client_id)));
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn norms_and_topics_are_edited_on_a_page() {
    for app in apps().await {
        let (cookie, csrf) = app.browser_login("director").await;
        let page = app
            .page(Method::GET, "/appeals/settings", &cookie, None)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", app.label());
        assert!(page.body.contains("претензия"));
        let r = app
            .page(Method::POST, "/appeals/settings/norms/claim", &cookie,
                Some(&format!("_csrf={csrf}&answer_days=45&max_extension_days=10&remind_days=2&repeat_window_days=30")))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("value=\"45\""), "the typed value is kept");
        let r = app
            .page(Method::POST, "/appeals/settings/norms/claim", &cookie,
                Some(&format!("_csrf={csrf}&answer_days=10&max_extension_days=10&remind_days=2&repeat_window_days=30")))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let n = app.db.store.appeal_norms().await.unwrap();
        assert_eq!(
            n[&abonent_domain::appeals::AppealKind::Claim].answer_days,
            10
        );
        let r = app
            .page(
                Method::POST,
                "/appeals/settings/topics",
                &cookie,
                Some(&format!(
                    "_csrf={csrf}&code=connection&name={}&active=yes",
                    common::enc("Технологическое присоединение")
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(app
            .db
            .store
            .appeal_topics()
            .await
            .unwrap()
            .iter()
            .any(|t| t.code == "connection"));
        let (hcookie, _) = app.browser_login("head").await;
        let r = app
            .page(Method::GET, "/appeals/settings", &hcookie, None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_online_reception_limits_appeals_per_address() {
    for app in apps().await {
        let mut body = complaint();
        body["applicant_name"] = json!("Спамов Спам");
        for i in 0..10 {
            let r = app
                .api(
                    Method::POST,
                    "/api/v1/public/appeals",
                    None,
                    Some(body.clone()),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::CREATED,
                "{}: #{i}: {}",
                app.label(),
                r.body
            );
        }
        let r = app
            .api(
                Method::POST,
                "/api/v1/public/appeals",
                None,
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.body.contains("много обращений"));
        let n = app
            .db
            .store
            .list_appeals(&abonent_store::appeals::AppealFilter::default())
            .await
            .unwrap()
            .len();
        assert_eq!(n, 10);
        app.db.cleanup().await;
    }
}
