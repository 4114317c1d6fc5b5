//! News and mass informing (§10.2, NTF-02) on SQLite and PostgreSQL: staff publish an outage to
//! one district with notification, the clients there (and only there) get it by their channels
//! and in the personal account, everyone reads it on the site; bad input is refused with the
//! input kept; withdrawing takes it off and stops its unsent messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use abonent_store::audit::AuditFilter;
use axum::http::{Method, StatusCode};
use common::{apps, enc, hidden, App};
use serde_json::json;

/// Two open accounts in different settlements.
async fn two_districts(app: &App) -> ((i64, String), (i64, String)) {
    let s = &app.db.store;
    let mut first: Option<(i64, String)> = None;
    for id in 1..=50 {
        let a = s.account(id).await.unwrap();
        match &first {
            None => first = Some((id, a.settlement.clone())),
            Some((_, f)) if *f != a.settlement => {
                return (first.unwrap(), (id, a.settlement));
            }
            _ => {}
        }
    }
    panic!("the demo accounts are all in one settlement");
}

fn news_form(
    csrf: &str,
    kind: &str,
    settlement: &str,
    from: &str,
    until: &str,
    action: &str,
) -> String {
    format!(
        "_csrf={csrf}&kind={kind}&title={}&body={}&branch_id=&settlement={}&outage_from={}&outage_until={}&notify=yes&action={action}",
        enc("Плановое отключение на Лесной"),
        enc("Ремонт **линии 10 кВ**. <script>x</script>"),
        enc(settlement),
        enc(from),
        enc(until),
    )
}

#[tokio::test]
async fn an_outage_reaches_its_district_only_and_can_be_withdrawn() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let ((a, town_a), (b, _)) = two_districts(&app).await;
        let (cookie_a, _) = app.portal_user(a, "a@example.test").await;
        let (cookie_b, _) = app.portal_user(b, "b@example.test").await;

        // Who may publish.
        let (cashier, _) = app.browser_login("cashier").await;
        let r = app.page(Method::GET, "/news/admin", &cashier, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}");
        let token = app.token("cashier").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/news",
                Some(&token),
                Some(json!({
                    "kind": "news", "title": "x", "body": "y"
                })),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}");

        let (sales, _) = app.browser_login("sales").await;
        let form = app.page(Method::GET, "/news/admin/new", &sales, None).await;
        assert_eq!(form.status, StatusCode::OK, "{l}");
        assert!(form.body.contains(&town_a), "{l}: settlements offered");
        let csrf = hidden(&form.body, "_csrf");

        // The end before the start: refused, nothing stored, the input kept.
        let r = app
            .page(
                Method::POST,
                "/news/admin/new",
                &sales,
                Some(&news_form(
                    &csrf,
                    "outage",
                    &town_a,
                    "2026-12-01T09:00",
                    "2026-12-01T08:00",
                    "publish",
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(
            r.body.contains("Окончание отключения должно быть позже"),
            "{l}"
        );
        assert!(
            r.body.contains("Плановое отключение на Лесной"),
            "{l}: title kept"
        );
        assert!(r.body.contains("2026-12-01T08:00"), "{l}: time kept");
        // A settlement with no account: refused on its field.
        let r = app
            .page(
                Method::POST,
                "/news/admin/new",
                &sales,
                Some(&news_form(
                    &csrf,
                    "outage",
                    "пгт Нигдеево",
                    "2026-12-01T09:00",
                    "2026-12-01T17:00",
                    "publish",
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(
            r.body.contains("нет ни одного действующего лицевого счёта"),
            "{l}"
        );
        assert!(r.body.contains("пгт Нигдеево"), "{l}");
        // Preview: rendered, raw HTML shown as text, nothing stored.
        let r = app
            .page(
                Method::POST,
                "/news/admin/new",
                &sales,
                Some(&news_form(
                    &csrf,
                    "outage",
                    &town_a,
                    "2026-12-01T09:00",
                    "2026-12-01T17:00",
                    "preview",
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{l}");
        assert!(r.body.contains("<strong>линии 10 кВ</strong>"), "{l}");
        assert!(!r.body.contains("<script>x</script>"), "{l}");
        assert!(s.news_list(true, 10, 0).await.unwrap().is_empty(), "{l}");

        // Published with notification to the settlement of account A.
        let r = app
            .page(
                Method::POST,
                "/news/admin/new",
                &sales,
                Some(&news_form(
                    &csrf,
                    "outage",
                    &town_a,
                    "2026-12-01T09:00",
                    "2026-12-01T17:00",
                    "publish",
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let outage = s.news_list(true, 10, 0).await.unwrap()[0].clone();
        assert_eq!(outage.settlement.as_deref(), Some(town_a.as_str()));
        assert!(
            outage.link.ends_with(&format!("/info/news/{}", outage.id)),
            "{l}"
        );
        let cfg = abonent_jobs::JobsConfig::default();
        abonent_jobs::drain(s, &cfg, "w").await.unwrap();
        let queued = s
            .news_item(outage.id)
            .await
            .unwrap()
            .unwrap()
            .queued
            .unwrap();
        assert!(queued >= 1, "{l}");
        // Run again: nobody is told twice.
        let again = s.news_fan_out(outage.id).await.unwrap();
        assert_eq!(again.total(), 0, "{l}");
        let of = |id: i64| async move {
            s.messages_of_account(id, 100)
                .await
                .unwrap()
                .into_iter()
                .filter(|m| m.kind == "outage")
                .collect::<Vec<_>>()
        };
        let to_a = of(a).await;
        let portal: Vec<_> = to_a.iter().filter(|m| m.channel == "portal").collect();
        assert_eq!(portal.len(), 1, "{l}");
        assert_eq!(portal[0].status, "sent", "{l}");
        assert_eq!(
            portal[0].subject, "Отключение электроэнергии 01.12.2026 09:00 — 17:00",
            "{l}"
        );
        assert!(of(b).await.is_empty(), "{l}: another district is not told");
        // Every open account of the settlement got one portal message at most and every message
        // went to an account there.
        let total: i64 = queued;
        assert_eq!(total as usize, {
            let mut n = 0;
            for id in 1..=50 {
                let acc = s.account(id).await.unwrap();
                let m = of(id).await.len();
                if acc.settlement != town_a {
                    assert_eq!(m, 0, "{l}: account {id}");
                }
                n += m;
            }
            n
        });

        // The site, and the personal accounts of the district and of another.
        let list = app.page(Method::GET, "/info/news", "", None).await;
        assert!(list.body.contains("Плановое отключение на Лесной"), "{l}");
        assert!(list.body.contains("01.12.2026 09:00 — 17:00"), "{l}");
        let page = app
            .page(Method::GET, &format!("/info/news/{}", outage.id), "", None)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{l}");
        let my_a = app.page(Method::GET, "/my", &cookie_a, None).await;
        assert_eq!(my_a.status, StatusCode::OK, "{l}");
        assert!(my_a.body.contains("Объявления для вашего адреса"), "{l}");
        assert!(my_a.body.contains("Плановое отключение на Лесной"), "{l}");
        let my_b = app.page(Method::GET, "/my", &cookie_b, None).await;
        assert!(!my_b.body.contains("Плановое отключение на Лесной"), "{l}");

        // News to everyone by API, without messages: every personal account shows it.
        let token = app.token("sales").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/news",
                Some(&token),
                Some(json!({
                    "kind": "rules", "title": "Новые тарифы с 1 января", "body": "Тарифы меняются."
                })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{l}: {}", r.body);
        let rules = r.json()["id"].as_i64().unwrap();
        abonent_jobs::drain(s, &cfg, "w").await.unwrap();
        assert_eq!(
            s.news_item(rules).await.unwrap().unwrap().queued,
            None,
            "{l}"
        );
        let my_b = app.page(Method::GET, "/my", &cookie_b, None).await;
        assert!(my_b.body.contains("Новые тарифы с 1 января"), "{l}");
        let api = app
            .api(Method::GET, "/api/v1/public/news", None, None)
            .await;
        assert_eq!(api.json().as_array().unwrap().len(), 2, "{l}");
        let r = app
            .api(
                Method::POST,
                "/api/v1/news",
                Some(&token),
                Some(json!({
                    "kind": "outage", "title": "Без времени", "body": "…"
                })),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("outage_from"), "{l}: {}", r.body);

        // Withdrawn before its messages went out: they are not sent.
        let r = app
            .api(
                Method::POST,
                "/api/v1/news",
                Some(&token),
                Some(json!({
                    "kind": "news", "title": "Ошибочная новость", "body": "…",
                    "settlement": town_a, "notify": true
                })),
            )
            .await;
        let wrong = r.json()["id"].as_i64().unwrap();
        s.news_fan_out(wrong).await.unwrap();
        let admin = app.page(Method::GET, "/news/admin", &sales, None).await;
        let csrf = hidden(&admin.body, "_csrf");
        let r = app
            .page(
                Method::POST,
                &format!("/news/admin/{wrong}/withdraw"),
                &sales,
                Some(&format!("_csrf={csrf}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}");
        abonent_jobs::drain(s, &cfg, "w").await.unwrap();
        let msgs: Vec<_> = s
            .messages_of_account(a, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.kind == "news" && m.channel == "portal")
            .collect();
        assert_eq!(msgs.len(), 1, "{l}");
        assert_eq!(msgs[0].status, "failed", "{l}");
        assert!(msgs[0].last_error.contains("withdrawn"), "{l}");
        let r = app
            .page(Method::GET, &format!("/info/news/{wrong}"), "", None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{l}");
        let my_a = app.page(Method::GET, "/my", &cookie_a, None).await;
        assert!(!my_a.body.contains("Ошибочная новость"), "{l}");
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/news/{wrong}/withdraw"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{l}: withdrawn once");

        let audit = s
            .audit_entries(&AuditFilter {
                object_kind: Some("news".into()),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions.iter().filter(|a| **a == "news.publish").count(),
            3,
            "{l}"
        );
        assert!(actions.contains(&"news.withdraw"), "{l}");
    }
}

/// The public site shows times in the company's configured time zone (`[company] time_zone`,
/// `WebConfig::time_zone`), the same item an hour-exact two hours apart for Moscow and
/// Yekaterinburg.
#[tokio::test]
async fn public_times_are_in_the_configured_company_zone() {
    use tower::ServiceExt;
    for app in apps().await {
        let l = app.label();
        let token = app.token("sales").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/news",
                Some(&token),
                Some(
                    json!({ "kind": "news", "title": "Часы работы в праздники", "body": "Текст" }),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{l}: {}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let at = app
            .db
            .store
            .news_item(id)
            .await
            .unwrap()
            .unwrap()
            .published_at;
        let shown = |zone: &str| {
            abonent_store::from_micros(at)
                .to_zoned(jiff::tz::TimeZone::get(zone).unwrap())
                .strftime("%d.%m.%Y %H:%M")
                .to_string()
        };
        for zone in ["Europe/Moscow", "Asia/Yekaterinburg"] {
            let cfg = abonent_web::WebConfig {
                time_zone: jiff::tz::TimeZone::get(zone).unwrap(),
                ..abonent_web::WebConfig::default()
            };
            let router = abonent_web::router(abonent_web::AppState::new(app.db.store.clone(), cfg));
            let res = router
                .oneshot(
                    axum::http::Request::get(format!("/info/news/{id}"))
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{l} {zone}");
            let body = axum::body::to_bytes(res.into_body(), 1 << 20)
                .await
                .unwrap();
            let body = String::from_utf8(body.to_vec()).unwrap();
            assert!(body.contains(&shown(zone)), "{l} {zone}: {}", shown(zone));
        }
        assert_ne!(shown("Europe/Moscow"), shown("Asia/Yekaterinburg"));
    }
}
