//! The public face (issue 15) on SQLite and PostgreSQL: the site's address is a public home page
//! for citizens with the entries they come for and the outages in force; every public page has
//! the same navigation and a way home; staff who open it start where their role works; a NUL
//! character in any text is refused with 422 and nothing is stored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{apps, enc, hidden, multipart, set_cookie};
use serde_json::json;

/// Local `YYYY-MM-DDTHH:MM` `days` from now in the company's zone (the default).
fn local(days: i64, hour: i8) -> String {
    let tz = abonent_domain::org::default_time_zone();
    let d = jiff::Timestamp::now().to_zoned(tz).date() + jiff::Span::new().days(days);
    format!("{d}T{hour:02}:00")
}

#[tokio::test]
async fn the_site_address_is_a_public_home_with_the_outages_in_force() {
    for app in apps().await {
        let l = app.label();
        let company = app.db.store.company().await.unwrap().unwrap();
        let r = app.page(Method::GET, "/", "", None).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{l}: not a redirect to the staff sign-in"
        );
        for (text, what) in [
            (company.name.as_str(), "the company"),
            ("href=\"/readings\"", "readings"),
            ("Оплатить / реквизиты", "payment"),
            ("href=\"/my\"", "the personal account"),
            ("href=\"/reception\"", "an appeal online"),
            ("href=\"/reception/status\"", "an appeal's status"),
            ("Вход для сотрудников", "a small link for staff"),
            ("href=\"/login\"", "the staff sign-in"),
        ] {
            assert!(r.body.contains(text), "{l}: the home page names {what}");
        }
        for phone in company.hotline_phones.split(',') {
            assert!(
                r.body
                    .contains(&format!("<strong>{}</strong>", phone.trim())),
                "{l}: the hotline {phone}"
            );
        }
        assert!(
            !r.body.contains("Отключения электроэнергии"),
            "{l}: no outage yet"
        );

        // An outage tomorrow is shown first; one that is over is not; news is listed.
        let token = app.token("sales").await;
        for (title, from, until) in [
            ("Отключение завтра на Лесной", local(1, 9), local(1, 17)),
            ("Отключение, которое прошло", local(-3, 9), local(-3, 17)),
        ] {
            let r = app
                .api(
                    Method::POST,
                    "/api/v1/news",
                    Some(&token),
                    Some(
                        json!({"kind": "outage", "title": title, "body": "Ремонт линии.",
                        "outage_from": from, "outage_until": until}),
                    ),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{l}: {}", r.body);
        }
        let r = app
            .api(
                Method::POST,
                "/api/v1/news",
                Some(&token),
                Some(json!({"kind": "news", "title": "Часы работы в праздники", "body": "Текст"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{l}: {}", r.body);
        let r = app.page(Method::GET, "/", "", None).await;
        let outages = r
            .body
            .split("Отключения электроэнергии")
            .nth(1)
            .expect("an outage section")
            .split("</section>")
            .next()
            .unwrap()
            .to_owned();
        assert!(outages.contains("Отключение завтра на Лесной"), "{l}");
        assert!(!outages.contains("Отключение, которое прошло"), "{l}: over");
        assert!(r.body.contains("Часы работы в праздники"), "{l}: the news");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn every_public_page_has_the_same_navigation_and_a_way_home() {
    for app in apps().await {
        let l = app.label();
        for path in [
            "/",
            "/reception",
            "/reception/status",
            "/tariffs",
            "/readings",
            "/info",
            "/info/news",
            "/info/offices",
            "/info/requisites",
            "/my/login",
            "/my/signup",
            "/login",
        ] {
            let r = app.page(Method::GET, path, "", None).await;
            assert_eq!(r.status, StatusCode::OK, "{l}: {path}");
            for item in [
                "<a href=\"/\">Главная</a>",
                "<a href=\"/readings\">Передать показания</a>",
                "<a href=\"/info/requisites\">Оплата</a>",
                "<a href=\"/my\">Личный кабинет</a>",
                "<a href=\"/reception\">Обращение онлайн</a>",
            ] {
                assert!(r.body.contains(item), "{l}: {path} lacks {item}");
            }
            assert!(
                !r.body.contains("9 цифр"),
                "{l}: {path}: account numbers have 10 digits"
            );
        }
        // The seeded requisites are an example, and the page says so.
        let r = app.page(Method::GET, "/info/requisites", "", None).await;
        assert!(r.body.contains("Это пример реквизитов"), "{l}");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn staff_opening_the_site_start_where_their_role_works() {
    for app in apps().await {
        let l = app.label();
        for (login, start) in [
            ("tech", "/appeals?view=mine"),
            ("sales", "/appeals?view=mine"),
            ("head", "/appeals?view=new"),
            ("cashier", "/clients"),
            ("clerk", "/appeals/new"),
            ("director", "/appeals/stats"),
            ("admin", "/admin"),
        ] {
            let (cookie, _) = app.browser_login(login).await;
            let r = app.page(Method::GET, "/", &cookie, None).await;
            assert_eq!(
                (r.status, r.location()),
                (StatusCode::SEE_OTHER, start),
                "{l}: {login}"
            );
            let r = app.page(Method::GET, start, &cookie, None).await;
            assert_eq!(r.status, StatusCode::OK, "{l}: {login} may open {start}");
        }
        app.db.cleanup().await;
    }
}

async fn appeals_stored(app: &common::App) -> usize {
    app.db
        .store
        .list_appeals(&abonent_store::appeals::AppealFilter {
            view: abonent_store::appeals::View::All,
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_nul_character_in_any_text_is_refused_with_422_and_nothing_is_stored() {
    for app in apps().await {
        let l = app.label();
        let before = appeals_stored(&app).await;

        // The staff sign-in form and the API sign-in.
        let r = app
            .page(
                Method::POST,
                "/login",
                "",
                Some("login=adm%00in&password=x&_csrf=x"),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{l}: {}",
            r.body
        );
        assert!(r.body.contains("недопустимый символ"), "{l}");
        let r = app
            .api(
                Method::POST,
                "/api/v1/session",
                None,
                Some(json!({"login": "adm\u{0}in", "password": "x"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert_eq!(r.json()["errors"][0]["field"], "login", "{l}: {}", r.body);

        // A search (query string) and an appeal through the API.
        let (cookie, _) = app.browser_login("clerk").await;
        let r = app
            .page(
                Method::GET,
                &format!("/clients?q={}", enc("Ив\0")),
                &cookie,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        let token = app.token("clerk").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/appeals",
                Some(&token),
                Some(
                    json!({"channel": "post", "kind": "complaint", "topic": "meter",
                    "text": "Текст\u{0}", "applicant_name": "Иванов Иван",
                    "email": "ivanov@example.org", "answer_channel": "email"}),
                ),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{l}: {}",
            r.body
        );
        assert_eq!(r.json()["errors"][0]["field"], "text", "{l}");

        // The online reception's multipart form.
        let form = app.page(Method::GET, "/reception", "", None).await;
        let jar = format!(
            "abonent_reception_csrf={}",
            set_cookie(&form, "abonent_reception_csrf")
        );
        let csrf = hidden(&form.body, "_csrf");
        let (ct, body) = multipart(
            &[
                ("_csrf", csrf.as_str()),
                ("kind", "complaint"),
                ("topic", "other"),
                ("text", "Свет\0 мигает"),
                ("applicant_name", "Петров Пётр"),
                ("email", "p@example.test"),
                ("answer_channel", "email"),
                ("consent", "yes"),
            ],
            &[],
        );
        let r = app.post_multipart("/reception", &jar, &ct, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{l}: {}",
            r.body
        );
        assert!(r.body.contains("недопустимый символ"), "{l}");

        assert_eq!(appeals_stored(&app).await, before, "{l}: nothing stored");
        app.db.cleanup().await;
    }
}

/// A citizen's appeal through the public API with an `Idempotency-Key`.
async fn public_appeal(app: &common::App, key: &str, body: String) -> common::Resp {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/public/appeals")
        .header("idempotency-key", key)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

#[tokio::test]
async fn an_anonymous_idempotency_key_never_returns_another_callers_appeal() {
    for app in apps().await {
        let l = app.label();
        let first = json!({
            "channel": "post", "kind": "complaint", "topic": "meter",
            "text": "Прошу заменить неисправный счётчик.",
            "applicant_name": "Иванов Иван Иванович",
            "email": "ivanov@example.org", "answer_channel": "email"
        });
        let r = public_appeal(&app, "retry-1", first.to_string()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{l}: {}", r.body);
        let number = r.json()["number"].clone();

        // The same request again, formatted differently (a client retrying): the first answer.
        let again = serde_json::to_string_pretty(&first).unwrap();
        let r = public_appeal(&app, "retry-1", again).await;
        assert_eq!(r.status, StatusCode::OK, "{l}: {}", r.body);
        assert_eq!(r.json()["number"], number, "{l}");

        // Another citizen happens to use the same key: refused, not given the first appeal.
        let other = json!({
            "channel": "post", "kind": "complaint", "topic": "meter",
            "text": "Нет света в подъезде.",
            "applicant_name": "Петрова Анна",
            "email": "petrova@example.org", "answer_channel": "email"
        });
        let before = appeals_stored(&app).await;
        let r = public_appeal(&app, "retry-1", other.to_string()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{l}: {}",
            r.body
        );
        assert_eq!(r.json()["errors"][0]["field"], "Idempotency-Key", "{l}");
        assert!(
            !r.body.contains(number.as_str().unwrap()),
            "{l}: no one else's number"
        );
        assert_eq!(appeals_stored(&app).await, before, "{l}: nothing stored");
        // With a key of its own it is registered.
        let r = public_appeal(&app, "retry-2", other.to_string()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{l}: {}", r.body);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn a_reception_appeal_with_an_account_number_reaches_the_clients_personal_account() {
    for app in apps().await {
        let l = app.label();
        let account = app.db.store.account(3).await.unwrap();
        let (me, _) = app.portal_user(account.id, "owner@example.test").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/public/appeals",
                None,
                Some(json!({
                    "channel": "online_reception", "kind": "complaint", "topic": "meter",
                    "text": "Счётчик на лестничной клетке не светится.",
                    "applicant_name": "Сосед Сергей", "email": "sosed@example.test",
                    "answer_channel": "email", "account_number": account.number.as_str()
                })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{l}: {}", r.body);
        let number = r.json()["number"].as_str().unwrap().to_owned();
        let id = r.json()["id"].as_i64().unwrap();
        let stored = app.db.store.appeal(id).await.unwrap();
        assert_eq!(stored.client_id, Some(account.client_id), "{l}: linked");
        assert_eq!(
            stored.applicant_email.as_deref(),
            Some("sosed@example.test"),
            "{l}: the typed contacts stay"
        );
        let mine = app.page(Method::GET, "/my/appeals", &me, None).await;
        assert_eq!(mine.status, StatusCode::OK, "{l}");
        assert!(
            mine.body.contains(&number),
            "{l}: listed in «Мои обращения»"
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_frameworks_own_refusals_answer_with_the_json_error_body() {
    for app in apps().await {
        let l = app.label();
        let send = |ct: &'static str, body: &'static str, method: Method, path: &'static str| {
            Request::builder()
                .method(method)
                .uri(path)
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap()
        };
        for (req, status, field) in [
            (
                send("application/json", "{", Method::POST, "/api/v1/session"),
                StatusCode::BAD_REQUEST,
                None,
            ),
            (
                send("text/plain", "login=a", Method::POST, "/api/v1/session"),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
            ),
            (
                send(
                    "application/json",
                    r#"{"login":"a"}"#,
                    Method::POST,
                    "/api/v1/session",
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("password"),
            ),
            (
                send("application/json", "{}", Method::PATCH, "/api/v1/session"),
                StatusCode::METHOD_NOT_ALLOWED,
                None,
            ),
        ] {
            let r = app.send(req).await;
            assert_eq!(r.status, status, "{l}: {}", r.body);
            assert_eq!(
                r.headers.get(header::CONTENT_TYPE).unwrap(),
                "application/json",
                "{l}"
            );
            let e = &r.json()["errors"][0];
            assert!(
                e["detail"]
                    .as_str()
                    .unwrap()
                    .chars()
                    .any(|c| ('а'..='я').contains(&c)),
                "{l}: Russian: {e}"
            );
            assert_eq!(e["field"].as_str(), field, "{l}: {e}");
        }
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_reception_names_the_files_to_attach_again_when_the_form_comes_back() {
    for app in apps().await {
        let l = app.label();
        let form = app.page(Method::GET, "/reception", "", None).await;
        let jar = format!(
            "abonent_reception_csrf={}",
            set_cookie(&form, "abonent_reception_csrf")
        );
        let csrf = hidden(&form.body, "_csrf");
        // No consent: the form comes back with the text kept and the file named.
        let (ct, body) = multipart(
            &[
                ("_csrf", csrf.as_str()),
                ("kind", "complaint"),
                ("topic", "meter"),
                ("text", "Счётчик не работает, фото прилагаю."),
                ("applicant_name", "Петров Пётр"),
                ("email", "p@example.test"),
                ("answer_channel", "email"),
            ],
            &[("files", "счётчик.pdf", b"%PDF-1.4 test")],
        );
        let r = app.post_multipart("/reception", &jar, &ct, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{l}: {}",
            r.body
        );
        assert!(
            r.body.contains("Счётчик не работает, фото прилагаю."),
            "{l}: text kept"
        );
        assert!(
            r.body.contains("Прикреплённые файлы не сохранены")
                && r.body.contains("счётчик.pdf")
                && r.body.contains("Прикрепите их снова"),
            "{l}: {}",
            r.body
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_appeal_form_from_a_clients_card_shows_whose_appeal_and_follows_the_context() {
    for app in apps().await {
        let l = app.label();
        let account = app.db.store.account(5).await.unwrap();
        let client = app.db.store.client(account.client_id).await.unwrap();
        let (cookie, _) = app.browser_login("clerk").await;
        let r = app
            .page(
                Method::GET,
                &format!("/appeals/new?client_id={}", client.id),
                &cookie,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{l}");
        assert!(
            r.body
                .contains(&format!("Обращение клиента: {}", client.full_name)),
            "{l}"
        );
        assert!(
            r.body.contains(&account.number.to_string()),
            "{l}: the account"
        );
        assert!(r.body.contains(&account.address()), "{l}: the address");
        let kind = r
            .body
            .split("name=\"kind\"")
            .nth(1)
            .unwrap()
            .split("</select>")
            .next()
            .unwrap();
        assert!(!kind.contains(" selected"), "{l}: no kind preselected");
        let channel = r
            .body
            .split("name=\"channel\"")
            .nth(1)
            .unwrap()
            .split("</select>")
            .next()
            .unwrap();
        assert!(
            channel.contains("value=\"in_person_written\" selected"),
            "{l}"
        );
        // Opened for a phone call: «по телефону».
        let r = app
            .page(Method::GET, "/appeals/new?channel=phone", &cookie, None)
            .await;
        let channel = r
            .body
            .split("name=\"channel\"")
            .nth(1)
            .unwrap()
            .split("</select>")
            .next()
            .unwrap();
        assert!(
            channel.contains("value=\"phone\" selected"),
            "{l}: {channel}"
        );
        assert!(!r.body.contains("Обращение клиента:"), "{l}");
        app.db.cleanup().await;
    }
}

/// The number on a tab of the registry («Новые 3»).
fn tab_count(html: &str, label: &str) -> i64 {
    html.split(&format!("{label} <span class=\"count\">"))
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap_or_else(|| panic!("no counter on «{label}»"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn the_registry_tabs_count_new_mine_due_soon_and_overdue() {
    for app in apps().await {
        let l = app.label();
        let (head, _) = app.browser_login("head").await;
        let r = app.page(Method::GET, "/appeals", &head, None).await;
        assert_eq!(r.status, StatusCode::OK, "{l}");
        let new_before = tab_count(&r.body, "Новые");
        let overdue = tab_count(&r.body, "Просроченные");
        assert!(
            overdue >= 0 && tab_count(&r.body, "Срок истекает") >= 0,
            "{l}"
        );
        let clerk = app.token("clerk").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/appeals",
                Some(&clerk),
                Some(json!({
                    "channel": "post", "kind": "complaint", "topic": "meter",
                    "text": "Прошу заменить счётчик.", "applicant_name": "Иванов Иван",
                    "postal_address": "628462, г. Радужный, 1 мкр., д. 5, кв. 3",
                    "answer_channel": "post"
                })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{l}: {}", r.body);
        let r = app.page(Method::GET, "/appeals", &head, None).await;
        assert_eq!(
            tab_count(&r.body, "Новые"),
            new_before + 1,
            "{l}: one more new"
        );
        assert_eq!(tab_count(&r.body, "Мои"), 0, "{l}: the head executes none");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_personal_accounts_appeal_form_takes_files() {
    for app in apps().await {
        let l = app.label();
        let account = app.db.store.account(7).await.unwrap();
        let (me, _) = app.portal_user(account.id, "files@example.test").await;
        let page = app.page(Method::GET, "/my/appeals/new", &me, None).await;
        assert!(page.body.contains("enctype=\"multipart/form-data\""), "{l}");
        assert!(page.body.contains("name=\"files\""), "{l}");
        let csrf = hidden(&page.body, "_csrf");
        let once = hidden(&page.body, "_once");
        let number = account.number.to_string();
        let (ct, body) = multipart(
            &[
                ("_csrf", csrf.as_str()),
                ("_once", once.as_str()),
                ("account", number.as_str()),
                ("kind", "complaint"),
                ("topic", "meter"),
                (
                    "text",
                    "Счётчик показывает больше, чем я потребляю. Фото прилагаю.",
                ),
                ("answer_channel", "portal"),
            ],
            &[("files", "фото-счётчика.pdf", b"%PDF-1.4 photo")],
        );
        let r = app.post_multipart("/my/appeals/new", &me, &ct, body).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let registered = r.location().split("registered=").nth(1).unwrap().to_owned();
        let a = app.db.store.appeal_by_number(&registered).await.unwrap();
        let files = app.db.store.appeal_attachments(a.id).await.unwrap();
        assert_eq!(files.len(), 1, "{l}");
        assert_eq!(files[0].file_name, "фото-счётчика.pdf", "{l}");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn staff_add_public_pages_of_their_own_and_the_standards_pages_are_published() {
    for app in apps().await {
        let l = app.label();
        let r = app.page(Method::GET, "/info", "", None).await;
        for title in [
            "Кто ведёт приём клиентов и в какие часы",
            "Образцы заявлений",
            "Как обжаловать решение компании",
            "Типовые договоры по категориям клиентов",
        ] {
            assert!(r.body.contains(title), "{l}: «{title}» in the section");
        }
        let (cashier, cashier_csrf) = app.browser_login("cashier").await;
        let r = app
            .page(
                Method::POST,
                "/info/admin",
                &cashier,
                Some(&format!("_csrf={cashier_csrf}&slug=x-page&title=X")),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}");
        let (sales, csrf) = app.browser_login("sales").await;
        let r = app
            .page(
                Method::POST,
                "/info/admin",
                &sales,
                Some(&format!(
                    "_csrf={csrf}&slug={}&title={}",
                    enc("Праздники!"),
                    enc("Часы работы в праздники")
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("Часы работы в праздники"), "{l}: kept");
        let r = app
            .page(
                Method::POST,
                "/info/admin",
                &sales,
                Some(&format!(
                    "_csrf={csrf}&slug=holiday-hours&title={}",
                    enc("Часы работы в праздники")
                )),
            )
            .await;
        assert_eq!(
            (r.status, r.location()),
            (StatusCode::SEE_OTHER, "/info/admin/holiday-hours"),
            "{l}: {}",
            r.body
        );
        let r = app
            .page(Method::GET, "/info/admin/holiday-hours", &sales, None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{l}");
        let r = app
            .page(
                Method::POST,
                "/info/admin/holiday-hours",
                &sales,
                Some(&format!(
                    "_csrf={csrf}&title={}&body={}&action=publish",
                    enc("Часы работы в праздники"),
                    enc("31 декабря центры работают **до 14:00**.")
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let r = app.page(Method::GET, "/info", "", None).await;
        assert!(r.body.contains("/info/page/holiday-hours"), "{l}: listed");
        let r = app
            .page(Method::GET, "/info/page/holiday-hours", "", None)
            .await;
        assert!(
            r.body.contains("<strong>до 14:00</strong>"),
            "{l}: {}",
            r.body
        );
        // The same address again: refused on its field.
        let r = app
            .page(
                Method::POST,
                "/info/admin",
                &sales,
                Some(&format!("_csrf={csrf}&slug=holiday-hours&title=X")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("уже есть"), "{l}");
        app.db.cleanup().await;
    }
}
