//! A supply contract applied for in the personal account and decided by staff (ACC-03), on SQLite
//! and PostgreSQL: the documents checklist, files kept and audited, one application at a time,
//! conclusion and refusal with the status history.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use abonent_store::audit::AuditFilter;
use axum::http::{Method, StatusCode};
use common::{apps, hidden, multipart};

#[tokio::test]
async fn a_client_applies_for_a_contract_with_documents_and_staff_conclude_it() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let account = 9;
        let number = s.account(account).await.unwrap().number;
        let (cookie, csrf) = app.portal_user(account, "contract@example.test").await;
        let page = app.page(Method::GET, "/my/contract", &cookie, None).await;
        assert_eq!(page.status, StatusCode::OK, "{l}");
        assert!(
            page.body.contains("документ, удостоверяющий личность"),
            "{l}"
        );
        let before = s.contracts_of_account(account).await.unwrap().len();

        // Nothing attached and nothing ticked: each document named, the comment and ticks kept.
        let fields = [
            ("_csrf", csrf.as_str()),
            ("account", number.as_str()),
            ("bring_meter", "yes"),
            ("comment", "Прошу заключить договор письменно"),
        ];
        let (ct, body) = multipart(&fields, &[]);
        let r = app.post_multipart("/my/contract", &cookie, &ct, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(
            r.body
                .contains("«Документ, удостоверяющий личность»: приложите файл"),
            "{l}"
        );
        assert!(r.body.contains("«Документ о праве собственности"), "{l}");
        assert!(
            !r.body.contains("«Документ о допуске прибора учёта"),
            "{l}: ticked"
        );
        assert!(r.body.contains("Прошу заключить договор письменно"), "{l}");
        assert!(
            r.body.contains(r#"name="bring_meter" value="yes" checked"#),
            "{l}"
        );
        assert_eq!(s.contracts_of_account(account).await.unwrap().len(), before);
        // A file of a type not accepted.
        let (ct, body) = multipart(
            &fields,
            &[
                ("doc_identity", "паспорт.exe", b"MZ"),
                ("doc_ownership", "выписка.pdf", b"%PDF-1.4 ..."),
            ],
        );
        let r = app.post_multipart("/my/contract", &cookie, &ct, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("паспорт.exe"), "{l}");
        // Someone else's account: not found, audited.
        let other = s.account(10).await.unwrap().number;
        let (ct, body) = multipart(
            &[("_csrf", csrf.as_str()), ("account", other.as_str())],
            &[],
        );
        let r = app.post_multipart("/my/contract", &cookie, &ct, body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{l}");

        // Applied: two files and one document in person.
        let (ct, body) = multipart(
            &fields,
            &[
                ("doc_identity", "паспорт.jpg", b"\xFF\xD8\xFF passport"),
                ("doc_ownership", "выписка.pdf", b"%PDF-1.4 egrn"),
            ],
        );
        let r = app
            .post_multipart("/my/contract", &cookie, &ct, body.clone())
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let list = s.contracts_of_account(account).await.unwrap();
        assert_eq!(list.len(), before + 1, "{l}");
        let c = &list[0];
        assert_eq!(c.status.code(), "applied", "{l}");
        assert!(c.typical_form.starts_with("Типовой договор"), "{l}");
        assert!(
            c.documents
                .contains("документ о допуске прибора учёта в эксплуатацию — принесёт"),
            "{l}"
        );
        assert_eq!(s.contract_files(c.id).await.unwrap().len(), 2, "{l}");
        // Again while it is considered: refused.
        let r = app.post_multipart("/my/contract", &cookie, &ct, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("уже подано и рассматривается"), "{l}");
        assert_eq!(
            s.contracts_of_account(account).await.unwrap().len(),
            before + 1
        );
        let mine = app
            .page(Method::GET, "/my/contract?applied=1", &cookie, None)
            .await;
        assert!(mine.body.contains("Заявление подано."), "{l}");
        assert!(mine.body.contains("заявление подано"), "{l}");

        // Staff: the list, the application, a file (audited), the decision.
        let (clerk, _) = app.browser_login("clerk").await;
        let apps_page = app.page(Method::GET, "/contracts", &clerk, None).await;
        assert_eq!(apps_page.status, StatusCode::OK, "{l}");
        assert!(apps_page.body.contains(&c.number), "{l}");
        let view = app
            .page(Method::GET, &format!("/contracts/{}", c.id), &clerk, None)
            .await;
        assert_eq!(view.status, StatusCode::OK, "{l}");
        assert!(
            !view.body.contains("Заключить договор"),
            "{l}: a clerk does not decide"
        );
        let csrf_clerk = hidden(&view.body, "_csrf");
        let r = app
            .page(
                Method::POST,
                &format!("/contracts/{}/decision", c.id),
                &clerk,
                Some(&format!(
                    "_csrf={csrf_clerk}&action=conclude&date=2026-11-30&note="
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}");
        let (front, _) = app.browser_login("tech").await;
        let view = app
            .page(Method::GET, &format!("/contracts/{}", c.id), &front, None)
            .await;
        assert_eq!(view.status, StatusCode::OK, "{l}");
        let files = s.contract_files(c.id).await.unwrap();
        let f = app
            .page(
                Method::GET,
                &format!("/contracts/{}/files/{}", c.id, files[0].id),
                &front,
                None,
            )
            .await;
        assert_eq!(f.status, StatusCode::OK, "{l}");
        assert!(f.body.ends_with("passport"), "{l}");
        let csrf = hidden(&view.body, "_csrf");
        let path = format!("/contracts/{}/decision", c.id);
        // A refusal needs its reason.
        let r = app
            .page(
                Method::POST,
                &path,
                &front,
                Some(&format!("_csrf={csrf}&action=refuse&date=&note=")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("Укажите причину отказа"), "{l}");
        let r = app
            .page(
                Method::POST,
                &path,
                &front,
                Some(&format!(
                    "_csrf={csrf}&action=conclude&date=2026-11-30&note="
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let done = s.contract(c.id).await.unwrap();
        assert_eq!(done.status.code(), "concluded", "{l}");
        assert_eq!(done.concluded_on.as_deref(), Some("2026-11-30"), "{l}");
        let history = s.contract_history(c.id).await.unwrap();
        let statuses: Vec<&str> = history.iter().map(|h| h.status.code()).collect();
        assert_eq!(statuses, ["applied", "concluded"], "{l}");
        // Decided once.
        let r = app
            .page(
                Method::POST,
                &path,
                &front,
                Some(&format!("_csrf={csrf}&action=refuse&date=&note=поздно")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("уже рассмотрено"), "{l}");
        let mine = app.page(Method::GET, "/my/contract", &cookie, None).await;
        assert!(mine.body.contains("заключён 30.11.2026"), "{l}");

        // A new application after the decision is accepted, and can be refused with a reason.
        let (ct, body) = multipart(
            &[
                ("_csrf", csrf_of(&app, &cookie).await.as_str()),
                ("account", number.as_str()),
                ("bring_identity", "yes"),
                ("bring_ownership", "yes"),
                ("bring_meter", "yes"),
            ],
            &[],
        );
        let r = app.post_multipart("/my/contract", &cookie, &ct, body).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let second = s.contracts_of_account(account).await.unwrap()[0].id;
        let r = app
            .page(
                Method::POST,
                &format!("/contracts/{second}/decision"),
                &front,
                Some(&format!(
                    "_csrf={csrf}&action=refuse&date=&note=Договор уже заключён"
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}");
        let mine = app.page(Method::GET, "/my/contract", &cookie, None).await;
        assert!(
            mine.body
                .contains("в заключении отказано: Договор уже заключён"),
            "{l}"
        );

        let audit = s
            .audit_entries(&AuditFilter {
                object_kind: Some("contract".into()),
                object_id: Some(c.id.to_string()),
                limit: 50,
                ..Default::default()
            })
            .await
            .unwrap();
        let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
        for a in ["contract.view", "contract.file", "contract.conclude"] {
            assert!(actions.contains(&a), "{l}: {a} in {actions:?}");
        }
    }
}

/// The personal account's form token (the same for the session).
async fn csrf_of(app: &common::App, cookie: &str) -> String {
    let page = app.page(Method::GET, "/my/contract", cookie, None).await;
    hidden(&page.body, "_csrf")
}
