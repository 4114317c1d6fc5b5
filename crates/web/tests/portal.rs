//! The client's personal account through its pages, on SQLite and PostgreSQL: sign-up with the
//! code from the invoice, confirmation, sign-in, readings, invoices; refusals and throttling.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use abonent_domain::accounts::AccountNumber;
use abonent_domain::metering::MeterDraft;
use abonent_domain::tariffs::Period;
use abonent_store::audit::Actor;
use axum::http::{header, Method, StatusCode};
use common::{apps, enc, hidden, set_cookie, App};

const PASSWORD: &str = "klient-2026-pass";

/// The sign-up form: its cookie and token.
async fn form(app: &App, path: &str) -> (String, String) {
    let r = app.page(Method::GET, path, "", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (
        format!(
            "abonent_portal_form={}",
            set_cookie(&r, "abonent_portal_form")
        ),
        hidden(&r.body, "_csrf"),
    )
}

async fn sign_up(app: &App, account: &str, code: &str, email: &str) -> common::Resp {
    let (cookie, csrf) = form(app, "/my/signup").await;
    let body = format!(
        "_csrf={csrf}&account={account}&code={}&email={}&password={PASSWORD}&password_again={PASSWORD}&consent=yes",
        enc(code),
        enc(email)
    );
    app.page(Method::POST, "/my/signup", &cookie, Some(&body))
        .await
}

async fn sign_in(app: &App, email: &str, password: &str) -> common::Resp {
    let (cookie, csrf) = form(app, "/my/login").await;
    let body = format!(
        "_csrf={csrf}&email={}&password={}",
        enc(email),
        enc(password)
    );
    app.page(Method::POST, "/my/login", &cookie, Some(&body))
        .await
}

async fn meter_of(app: &App, account_id: i64) -> i64 {
    let s = &app.db.store;
    if let Some(m) = s.meters_of_account(account_id).await.unwrap().first() {
        return m.id;
    }
    let data = MeterDraft {
        serial: format!("P{account_id}"),
        zones: "1".into(),
        digits: "6".into(),
        installed_on: "2025-01-01".into(),
        verified_on: "2025-01-01".into(),
        interval_years: "16".into(),
        initial: "1000".into(),
        ..Default::default()
    }
    .validate(jiff::civil::date(2026, 11, 26))
    .unwrap();
    s.create_meter(account_id, &data, &Actor::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_client_signs_up_confirms_signs_in_sends_a_reading_and_gets_the_invoice() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let a1 = s
            .account_by_number(&AccountNumber::from_serial(1))
            .await
            .unwrap();
        let a2 = s
            .account_by_number(&AccountNumber::from_serial(2))
            .await
            .unwrap();
        let code = s.portal_code(&a1.number).await.unwrap();
        assert_eq!(code.len(), 9, "1234-5678");
        s.bill(Period::parse("2026-10").unwrap(), 100, None, |_, _| {})
            .await
            .unwrap();

        // Not signed in: the sign-in form.
        let r = app.page(Method::GET, "/my", "", None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.location().starts_with("/my/login"));

        // The code is printed on the invoice.
        let (staff, _) = app.browser_login("cashier").await;
        let inv = app
            .page(
                Method::GET,
                &format!("/accounts/{}/invoices/2026-10", a1.id),
                &staff,
                None,
            )
            .await;
        assert!(inv.body.contains(&code), "{l}: the code is on the invoice");

        // A wrong code: refused without saying which part was wrong, input kept.
        let r = sign_up(&app, &a1.number, "1111-1111", "ivanova@example.org").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("Номер лицевого счёта или код не подходят"));
        assert!(r.body.contains(&format!("value=\"{}\"", a1.number)));
        assert!(r.body.contains("value=\"ivanova@example.org\""));
        assert!(!r.body.contains(PASSWORD), "passwords are not sent back");
        // Field checks: all reasons at once.
        let (cookie, csrf) = form(&app, "/my/signup").await;
        let r = app
            .page(
                Method::POST,
                "/my/signup",
                &cookie,
                Some(&format!(
                    "_csrf={csrf}&account=12&code=1&email=x&password=short&password_again=other"
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        for text in [
            "f-account-error",
            "f-code-error",
            "f-email-error",
            "f-password-error",
            "f-password_again-error",
            "f-consent-error",
        ] {
            assert!(r.body.contains(text), "{l}: {text}");
        }
        // Without the form's cookie (a forged or expired form): refused.
        let r = app
            .page(
                Method::POST,
                "/my/signup",
                "",
                Some(&format!("_csrf={csrf}&account={}", a1.number)),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // The right code: the account is opened and a confirmation letter queued.
        let r = sign_up(&app, &a1.number, &code, "Ivanova@Example.org").await;
        assert_eq!(r.status, StatusCode::OK, "{l}: {}", r.body);
        assert!(r.body.contains("ivanova@example.org"));
        let (to, body): (String, String) = sqlx::query_as(
            "SELECT recipient, body FROM outbox WHERE kind = 'portal.confirm' ORDER BY id DESC",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        assert_eq!(to, "ivanova@example.org");
        let token = body
            .split("token=")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        // Someone else with the same account (even with the code): refused.
        let r = sign_up(&app, &a1.number, &code, "other@example.org").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("уже открыт личный кабинет"), "{l}");

        // Not confirmed yet: no sign-in.
        let r = sign_in(&app, "ivanova@example.org", PASSWORD).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}: {}", r.body);
        assert!(r.body.contains("подтвердите адрес"));
        let r = app
            .page(Method::GET, "/my/confirm?token=nonsense", "", None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = app
            .page(Method::GET, &format!("/my/confirm?token={token}"), "", None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{l}: {}", r.body);
        assert!(r.body.contains("Адрес подтверждён"));
        // A link works once.
        let r = app
            .page(Method::GET, &format!("/my/confirm?token={token}"), "", None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        let r = sign_in(&app, "ivanova@example.org", "wrong-password-1").await;
        assert_ne!(r.status, StatusCode::SEE_OTHER);
        assert!(
            r.body.contains("Неверный адрес или пароль"),
            "{l}: {}",
            r.body
        );
        assert!(r.body.contains("value=\"ivanova@example.org\""));
        let r = sign_in(&app, "ivanova@example.org", PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        assert_eq!(r.location(), "/my");
        let me = format!("abonent_portal={}", set_cookie(&r, "abonent_portal"));
        // A staff page does not open with a client's session.
        let r = app.page(Method::GET, "/clients", &me, None).await;
        assert_ne!(r.status, StatusCode::OK);

        let home = app.page(Method::GET, "/my", &me, None).await;
        assert_eq!(home.status, StatusCode::OK, "{l}: {}", home.body);
        assert!(home.body.contains(&format!("Лицевой счёт № {}", a1.number)));
        assert!(
            home.body.contains("октябрь 2026"),
            "{l}: the invoice is listed"
        );
        let csrf = hidden(&home.body, "_csrf");

        // A reading: refused with the reason and the input kept, then accepted.
        let meter = meter_of(&app, a1.id).await;
        let home = app.page(Method::GET, "/my", &me, None).await;
        assert!(home.body.contains(&format!("/my/meters/{meter}/readings")));
        let m = s.meter(meter).await.unwrap();
        let r = app
            .page(
                Method::POST,
                &format!("/my/meters/{meter}/readings"),
                &me,
                Some(&format!("_csrf={csrf}&values=abc")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("не показание"));
        assert!(r.body.contains("value=\"abc\""), "input kept");
        let before = s.readings_of_meter(meter, 50).await.unwrap().len();
        let values: Vec<String> = m
            .last_values
            .clone()
            .unwrap_or(m.initial_values.clone())
            .split(',')
            .map(|v| (v.trim().parse::<i64>().unwrap() + 50).to_string())
            .collect();
        let r = app
            .page(
                Method::POST,
                &format!("/my/meters/{meter}/readings"),
                &me,
                Some(&format!("_csrf={csrf}&values={}", enc(&values.join(",")))),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let readings = s.readings_of_meter(meter, 50).await.unwrap();
        assert_eq!(readings.len(), before + 1);
        assert_eq!(
            r.location(),
            format!("/my?meter={meter}&reading={}#meter-{meter}", readings[0].id)
        );
        let shown = app.page(Method::GET, r.location(), &me, None).await;
        assert!(
            shown.body.contains("Показания приняты и учтены за"),
            "{l}: {}",
            shown.body
        );
        let period = Period::parse(&readings[0].period).unwrap().label_ru();
        assert!(shown.body.contains(&format!("за {period}: расход")), "{l}");
        assert!(
            shown.body.contains("alert alert-ok"),
            "{l}: accepted is green"
        );
        // An implausible jump is held for a specialist: said so, not shown as a success.
        let jump: Vec<String> = values
            .iter()
            .map(|v| (v.parse::<i64>().unwrap() + 90_000).to_string())
            .collect();
        let r = app
            .page(
                Method::POST,
                &format!("/my/meters/{meter}/readings"),
                &me,
                Some(&format!("_csrf={csrf}&values={}", enc(&jump.join(",")))),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let shown = app.page(Method::GET, r.location(), &me, None).await;
        assert!(
            shown.body.contains("alert alert-warn"),
            "{l}: {}",
            shown.body
        );
        assert!(shown.body.contains("ещё не учтены"), "{l}");
        assert!(!shown.body.contains("alert alert-ok"), "{l}: not a success");
        // Another meter's reading id names nothing.
        let other_meter = meter_of(&app, a2.id).await;
        let shown = app
            .page(
                Method::GET,
                &format!("/my?meter={other_meter}&reading={}", readings[0].id),
                &me,
                None,
            )
            .await;
        assert!(!shown.body.contains("Показания приняты"), "{l}");
        assert_eq!(readings[0].channel, "portal");
        // Without the session's token: refused, nothing stored.
        let r = app
            .page(
                Method::POST,
                &format!("/my/meters/{meter}/readings"),
                &me,
                Some("_csrf=forged&values=99999"),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // Someone else's meter and invoice: not found, audited, nothing stored.
        let other = meter_of(&app, a2.id).await;
        let others = s.readings_of_meter(other, 50).await.unwrap().len();
        let r = app
            .page(
                Method::POST,
                &format!("/my/meters/{other}/readings"),
                &me,
                Some(&format!("_csrf={csrf}&values=99999")),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{l}");
        let r = app
            .page(
                Method::GET,
                &format!("/my/accounts/{}/invoices/2026-10/pdf", a2.id),
                &me,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let (denied,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = 'portal.denied'")
                .fetch_one(s.pool())
                .await
                .unwrap();
        assert_eq!(denied, 2, "{l}");
        assert_eq!(s.readings_of_meter(other, 50).await.unwrap().len(), others);
        // The own invoice as PDF.
        let r = app
            .page(
                Method::GET,
                &format!("/my/accounts/{}/invoices/2026-10/pdf", a1.id),
                &me,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{l}: {}", r.body);
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
        assert!(r.body.starts_with("%PDF"));
        // The chart of billed months, with its numbers as a table.
        let (inv, lines) = s
            .invoice(a1.id, Period::parse("2026-10").unwrap())
            .await
            .unwrap();
        let wh: i64 = lines
            .iter()
            .filter(|l| l.kind != "penalty")
            .map(|l| l.energy_wh)
            .sum();
        let home = app.page(Method::GET, "/my", &me, None).await;
        assert!(
            home.body
                .contains(&format!("aria-labelledby=\"chart-kwh-{}\"", a1.id)),
            "{l}"
        );
        assert!(home.body.contains("Начислено по месяцам, ₽"), "{l}");
        assert!(
            home.body.contains(&format!(
                "<td>октябрь 2026</td><td>{}</td><td>{}</td>",
                abonent_domain::money::Wh(wh).display_kwh(),
                abonent_domain::money::Kopecks(inv.charged)
            )),
            "{l}: {}",
            home.body
        );

        // Signing out ends the session on the server.
        let r = app
            .page(
                Method::POST,
                "/my/logout",
                &me,
                Some(&format!("_csrf={csrf}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = app.page(Method::GET, "/my", &me, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn guessing_codes_and_passwords_is_throttled() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let a3 = s
            .account_by_number(&AccountNumber::from_serial(3))
            .await
            .unwrap();
        // The test configuration allows 3 failures per account number.
        for _ in 0..3 {
            let r = sign_up(&app, &a3.number, "0000-0000", "g@example.org").await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        }
        let code = s.portal_code(&a3.number).await.unwrap();
        let r = sign_up(&app, &a3.number, &code, "g@example.org").await;
        assert_eq!(
            r.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{l}: even the right code waits"
        );
        assert!(r.body.contains("Слишком много"));
        // Sign-in: the same for an unknown address (no hint whether it exists).
        for _ in 0..3 {
            let r = sign_in(&app, "nobody@example.org", "whatever-123").await;
            assert!(r.body.contains("Неверный адрес или пароль"), "{l}");
        }
        let r = sign_in(&app, "nobody@example.org", "whatever-123").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn a_client_files_an_appeal_in_the_personal_account_and_reads_the_answer() {
    use abonent_domain::appeals::{AnswerChannel, AnswerDraft};
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let a = s
            .account_by_number(&AccountNumber::from_serial(6))
            .await
            .unwrap();
        let other = s
            .account_by_number(&AccountNumber::from_serial(7))
            .await
            .unwrap();
        let hash = abonent_domain::password::try_hash(PASSWORD).unwrap();
        let confirm = common::sha256_hex("tok6");
        s.portal_sign_up(
            a.id,
            &abonent_store::portal::PortalLogin::Email("kuznecova@example.org".into()),
            &hash,
            &confirm,
            1_000_000_000,
            &Actor::default(),
        )
        .await
        .unwrap();
        s.portal_confirm(&confirm).await.unwrap().unwrap();
        let r = sign_in(&app, "kuznecova@example.org", PASSWORD).await;
        let me = format!("abonent_portal={}", set_cookie(&r, "abonent_portal"));
        let page = app.page(Method::GET, "/my/appeals/new", &me, None).await;
        assert_eq!(page.status, StatusCode::OK, "{l}: {}", page.body);
        let csrf = hidden(&page.body, "_csrf");
        let once = hidden(&page.body, "_once");
        let topic = s.appeal_topics().await.unwrap()[0].code.clone();
        // Empty text: refused, the choices kept.
        let r = app
            .page(
                Method::POST,
                "/my/appeals/new",
                &me,
                Some(&format!(
                    "_csrf={csrf}&_once={once}&account={}&kind=complaint&topic={topic}&text=&answer_channel=portal",
                    a.number
                )),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{l}: {}",
            r.body
        );
        // Someone else's account: refused and audited.
        let r = app
            .page(
                Method::POST,
                "/my/appeals/new",
                &me,
                Some(&format!(
                    "_csrf={csrf}&_once=x{once}&account={}&kind=complaint&topic={topic}&text=abc&answer_channel=portal",
                    other.number
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{l}");
        let form = format!(
            "_csrf={csrf}&_once={once}&account={}&kind=complaint&topic={topic}&text={}&answer_channel=portal",
            a.number,
            enc("Прошу сделать перерасчёт за октябрь.")
        );
        let r = app
            .page(Method::POST, "/my/appeals/new", &me, Some(&form))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let again = app
            .page(Method::POST, "/my/appeals/new", &me, Some(&form))
            .await;
        assert_eq!(
            again.location(),
            r.location(),
            "a double submit registers one appeal"
        );
        let list = app.page(Method::GET, r.location(), &me, None).await;
        assert!(list.body.contains("зарегистрировано под номером"), "{l}");
        let appeals = s
            .list_appeals(&abonent_store::appeals::AppealFilter {
                client_id: Some(a.client_id),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(appeals.len(), 1);
        let rec = s.appeal(appeals[0].id).await.unwrap();
        assert_eq!(rec.account_id, Some(a.id));
        assert_eq!(rec.channel.code(), "online_reception");

        // Staff answer it; the client reads the answer in the personal account.
        let tech = s.staff_credentials("tech").await.unwrap().unwrap().0.id;
        let actor = Actor {
            staff_id: Some(tech),
            login: "tech".into(),
            ip: String::new(),
        };
        s.assign_appeal(rec.id, tech, rec.version, &actor)
            .await
            .unwrap();
        let v = s.appeal(rec.id).await.unwrap().version;
        let ans = AnswerDraft {
            substance: "Перерасчёт выполнен, сумма уменьшена.".into(),
            executor_name: "Егорова Мария Ивановна".into(),
            executor_phone: "8 34668 4-12-34".into(),
            signatory_name: "Смирнов П. А.".into(),
            signatory_position: "Руководитель отделения".into(),
            ..Default::default()
        }
        .validate(AnswerChannel::Portal)
        .unwrap();
        s.answer_appeal(rec.id, v, &ans, jiff::Zoned::now().date(), &actor)
            .await
            .unwrap();
        let list = app.page(Method::GET, "/my/appeals", &me, None).await;
        assert!(
            list.body.contains("Перерасчёт выполнен, сумма уменьшена."),
            "{l}: {}",
            list.body
        );
        assert!(list.body.contains("Егорова Мария Ивановна"));
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn a_client_chooses_how_answers_and_notices_reach_them() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let account = 7;
        let client = s.account(account).await.unwrap().client_id;
        let (cookie, csrf) = app.portal_user(account, "settings@example.test").await;
        // No phone and no postal address on record.
        let rec = s.client(client).await.unwrap();
        let data = abonent_domain::clients::ClientDraft {
            surname: rec.surname.clone(),
            first_name: rec.first_name.clone(),
            patronymic: rec.patronymic.clone().unwrap_or_default(),
            preferred_channel: "portal".into(),
            consents: vec!["personal_data".into()],
            ..Default::default()
        }
        .validate()
        .unwrap();
        s.update_client(client, rec.version, &data, &Actor::default())
            .await
            .unwrap();

        let page = app.page(Method::GET, "/my/settings", &cookie, None).await;
        assert_eq!(page.status, StatusCode::OK, "{l}");
        assert!(
            page.body
                .contains("по электронной почте на settings@example.test"),
            "{l}"
        );
        assert!(
            page.body.contains("Вашего телефона нет в наших данных"),
            "{l}"
        );
        let post = |channel: &str, csrf: &str| format!("_csrf={csrf}&channel={channel}");
        // SMS without a phone: refused, nothing changed.
        let r = app
            .page(
                Method::POST,
                "/my/settings",
                &cookie,
                Some(&post("sms", &csrf)),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("Вашего телефона нет в наших данных"), "{l}");
        assert_eq!(
            s.client(client).await.unwrap().preferred_channel.code(),
            "portal"
        );
        // A forged form: refused.
        let r = app
            .page(
                Method::POST,
                "/my/settings",
                &cookie,
                Some(&post("email", "forged")),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}");
        // E-mail: the confirmed address becomes the client's, with the consent to notices.
        let r = app
            .page(
                Method::POST,
                "/my/settings",
                &cookie,
                Some(&post("email", &csrf)),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let c = s.client(client).await.unwrap();
        assert_eq!(c.preferred_channel.code(), "email", "{l}");
        assert_eq!(c.email.as_deref(), Some("settings@example.test"), "{l}");
        assert!(c
            .consents
            .iter()
            .any(|k| k.kind.code() == "email_notices" && k.withdrawn_at.is_none()));
        // Notices now go there too.
        let news = abonent_domain::news::NewsDraft {
            kind: "news".into(),
            title: "Всем".into(),
            body: "Текст".into(),
            notify: true,
            ..Default::default()
        }
        .validate()
        .unwrap();
        let id = s
            .publish_news(&news, "https://portal.example", &Actor::default())
            .await
            .unwrap();
        s.news_fan_out(id).await.unwrap();
        let to_me: Vec<_> = s
            .messages_of_account(account, 10)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.kind == "news")
            .map(|m| (m.channel, m.recipient))
            .collect();
        assert!(
            to_me.contains(&("email".into(), "settings@example.test".into())),
            "{l}: {to_me:?}"
        );
        assert!(to_me.iter().any(|(c, _)| c == "portal"), "{l}");
        // Back to the personal account only: the e-mail consent is withdrawn.
        let r = app
            .page(
                Method::POST,
                "/my/settings",
                &cookie,
                Some(&post("portal", &csrf)),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}");
        let c = s.client(client).await.unwrap();
        assert_eq!(c.preferred_channel.code(), "portal", "{l}");
        assert!(c
            .consents
            .iter()
            .filter(|k| k.kind.code() == "email_notices")
            .all(|k| k.withdrawn_at.is_some()));
        let page = app
            .page(Method::GET, "/my/settings?saved=1", &cookie, None)
            .await;
        assert!(page.body.contains("Сохранено"), "{l}");
        let audit = s
            .audit_entries(&abonent_store::audit::AuditFilter {
                object_kind: Some("client".into()),
                object_id: Some(client.to_string()),
                limit: 20,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "client.channel"
                    && e.actor_login == "client:settings@example.test"),
            "{l}"
        );
    }
}

#[tokio::test]
async fn a_reading_typed_when_the_session_ended_is_kept_through_signing_in() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let account = 12;
        let meter = meter_of(&app, account).await;
        let (cookie, csrf) = app.portal_user(account, "expired@example.test").await;
        let before = s.readings_of_meter(meter, 50).await.unwrap().len();
        // The session is gone (expired or signed out elsewhere).
        let r = app
            .page(
                Method::POST,
                &format!("/my/meters/{meter}/readings"),
                "abonent_portal=gone",
                Some("_csrf=whatever&values=1234"),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{l}");
        assert!(r.body.contains("Вход в личный кабинет"), "{l}");
        assert!(r.body.contains("(1234) сохранены"), "{l}");
        assert_eq!(hidden(&r.body, "keep_values"), "1234", "{l}");
        assert_eq!(hidden(&r.body, "keep_meter"), meter.to_string(), "{l}");
        assert_eq!(s.readings_of_meter(meter, 50).await.unwrap().len(), before);
        let audit = s
            .audit_entries(&abonent_store::audit::AuditFilter {
                object_kind: Some("meter".into()),
                object_id: Some(meter.to_string()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(
            audit.iter().any(|e| e.action == "portal.session_expired"),
            "{l}"
        );
        // Signing in brings the client back to the meter with the reading typed, not sent.
        let form_cookie = format!(
            "abonent_portal_form={}",
            set_cookie(&r, "abonent_portal_form")
        );
        let body = format!(
            "_csrf={}&email={}&password={}&keep_meter={meter}&keep_values=1234",
            hidden(&r.body, "_csrf"),
            enc("expired@example.test"),
            enc(common::PASSWORD)
        );
        let r = app
            .page(Method::POST, "/my/login", &form_cookie, Some(&body))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        assert_eq!(
            r.location(),
            format!("/my?meter={meter}&typed=1234#meter-{meter}")
        );
        let me = format!("abonent_portal={}", set_cookie(&r, "abonent_portal"));
        let home = app.page(Method::GET, r.location(), &me, None).await;
        assert!(home.body.contains("value=\"1234\""), "{l}");
        assert!(
            home.body
                .contains("Сеанс закончился, и показания не были переданы"),
            "{l}"
        );
        assert_eq!(s.readings_of_meter(meter, 50).await.unwrap().len(), before);
        // A stale page with a live session: the reading shown again with the reason, not sent.
        let r = app
            .page(
                Method::POST,
                &format!("/my/meters/{meter}/readings"),
                &cookie,
                Some("_csrf=stale&values=4321"),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}");
        assert!(r.body.contains("value=\"4321\""), "{l}");
        assert!(r.body.contains("Страница устарела"), "{l}");
        assert!(
            r.body.contains(&csrf),
            "{l}: the page carries the live token"
        );
        assert_eq!(s.readings_of_meter(meter, 50).await.unwrap().len(), before);
    }
}

#[tokio::test]
async fn a_forgotten_password_is_replaced_by_a_link_that_works_once() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let (old_session, _) = app.portal_user(15, "forgot@example.test").await;
        let ask = |email: &'static str| {
            let app = &app;
            async move {
                let r = app.page(Method::GET, "/my/reset", "", None).await;
                let cookie = format!(
                    "abonent_portal_form={}",
                    set_cookie(&r, "abonent_portal_form")
                );
                let body = format!("_csrf={}&email={}", hidden(&r.body, "_csrf"), enc(email));
                app.page(Method::POST, "/my/reset", &cookie, Some(&body))
                    .await
            }
        };
        // Known and unknown addresses get the same answer; only the known one gets a letter.
        let r = ask("nobody@example.test").await;
        assert_eq!(r.status, StatusCode::OK, "{l}");
        assert!(r.body.contains("Если личный кабинет с адресом"), "{l}");
        let r = ask("Forgot@Example.test").await;
        assert_eq!(r.status, StatusCode::OK, "{l}");
        let letters: Vec<(String, String)> =
            sqlx::query_as("SELECT recipient, body FROM outbox WHERE kind = 'portal.reset'")
                .fetch_all(s.pool())
                .await
                .unwrap();
        assert_eq!(letters.len(), 1, "{l}");
        assert_eq!(letters[0].0, "forgot@example.test");
        let token = letters[0]
            .1
            .split("token=")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        let r = app
            .page(Method::GET, "/my/reset/new?token=nonsense", "", None)
            .await;
        assert_eq!(r.status, StatusCode::GONE, "{l}");
        let form = app
            .page(
                Method::GET,
                &format!("/my/reset/new?token={token}"),
                "",
                None,
            )
            .await;
        assert_eq!(form.status, StatusCode::OK, "{l}");
        let cookie = format!(
            "abonent_portal_form={}",
            set_cookie(&form, "abonent_portal_form")
        );
        let post = |pw: &str, again: &str| {
            format!(
                "_csrf={}&token={token}&password={}&password_again={}",
                hidden(&form.body, "_csrf"),
                enc(pw),
                enc(again)
            )
        };
        // A weak or mistyped password: refused, the link still works.
        let r = app
            .page(
                Method::POST,
                "/my/reset/new",
                &cookie,
                Some(&post("12345", "12345")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("не короче 10 символов"), "{l}");
        let cookie = format!(
            "abonent_portal_form={}",
            set_cookie(&r, "abonent_portal_form")
        );
        let body = format!(
            "_csrf={}&token={token}&password={}&password_again={}",
            hidden(&r.body, "_csrf"),
            enc("novyi-parol-2026"),
            enc("novyi-parol-2026")
        );
        let r = app
            .page(Method::POST, "/my/reset/new", &cookie, Some(&body))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{l}: {}", r.body);
        assert!(r.body.contains("Пароль изменён"), "{l}");
        // Every old session ended; the new password signs in, the old one does not.
        let r = app.page(Method::GET, "/my", &old_session, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}");
        assert_eq!(
            sign_in(&app, "forgot@example.test", "novyi-parol-2026")
                .await
                .status,
            StatusCode::SEE_OTHER,
            "{l}"
        );
        assert_ne!(
            sign_in(&app, "forgot@example.test", common::PASSWORD)
                .await
                .status,
            StatusCode::SEE_OTHER,
            "{l}"
        );
        // The link worked once.
        let r = app
            .page(Method::POST, "/my/reset/new", &cookie, Some(&body))
            .await;
        assert_eq!(r.status, StatusCode::GONE, "{l}");
        // Asking again and again is throttled.
        let mut last = StatusCode::OK;
        for _ in 0..6 {
            last = ask("forgot@example.test").await.status;
        }
        assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "{l}");
    }
}

#[tokio::test]
async fn an_appeal_typed_when_the_session_ended_is_kept_through_signing_in() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let account = s.account(14).await.unwrap();
        app.portal_user(14, "appeal-expired@example.test").await;
        let text = "Прошу проверить начисление: показания передавал вовремя, а счёт по нормативу.";
        let form = format!(
            "_csrf=old&_once=once-1&account={}&kind=complaint&topic=billing&text={}&answer_channel=portal",
            account.number,
            enc(text)
        );
        let r = app
            .page(
                Method::POST,
                "/my/appeals/new",
                "abonent_portal=gone",
                Some(&form),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{l}");
        assert!(r.body.contains("Текст обращения сохранён"), "{l}");
        assert_eq!(hidden(&r.body, "appeal_kind"), "complaint", "{l}");
        let cookie = format!(
            "abonent_portal_form={}",
            set_cookie(&r, "abonent_portal_form")
        );
        let mut body = format!(
            "_csrf={}&email={}&password={}",
            hidden(&r.body, "_csrf"),
            enc("appeal-expired@example.test"),
            enc(common::PASSWORD)
        );
        for f in [
            "keep_appeal",
            "appeal_account",
            "appeal_kind",
            "appeal_topic",
            "appeal_answer_channel",
        ] {
            body.push_str(&format!("&{f}={}", enc(&hidden(&r.body, f))));
        }
        body.push_str(&format!("&appeal_text={}", enc(text)));
        let r = app
            .page(Method::POST, "/my/login", &cookie, Some(&body))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{l}: {}", r.body);
        assert!(r.body.contains(text), "{l}: the text is back");
        assert!(r.body.contains("обращение не было отправлено"), "{l}");
        let me = format!("abonent_portal={}", set_cookie(&r, "abonent_portal"));
        let appeals = |s: &abonent_store::Store| {
            let s = s.clone();
            let client = account.client_id;
            async move {
                s.list_appeals(&abonent_store::appeals::AppealFilter {
                    view: abonent_store::appeals::View::All,
                    client_id: Some(client),
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap()
                .len()
            }
        };
        assert_eq!(appeals(s).await, 0, "{l}: nothing sent yet");
        // Sent from the page shown after signing in.
        let form = format!(
            "_csrf={}&_once=once-2&account={}&kind=complaint&topic=billing&text={}&answer_channel=portal",
            hidden(&r.body, "_csrf"),
            account.number,
            enc(text)
        );
        let r = app
            .page(Method::POST, "/my/appeals/new", &me, Some(&form))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        assert_eq!(appeals(s).await, 1, "{l}");
    }
}

/// The six-digit code of the newest SMS of `kind` to `phone`, and its channel.
async fn sms_code_sent(app: &App, kind: &str, phone: &str) -> (String, String) {
    let (channel, body): (String, String) = sqlx::query_as(
        "SELECT channel, body FROM outbox WHERE kind = $1 AND recipient = $2 ORDER BY id DESC",
    )
    .bind(kind)
    .bind(phone)
    .fetch_one(app.db.store.pool())
    .await
    .unwrap();
    (channel, body)
}

async fn phone_form_post(app: &App, phone: &str, code: &str, action: &str) -> common::Resp {
    let (cookie, csrf) = form(app, "/my/confirm-phone").await;
    let body = format!(
        "_csrf={csrf}&phone={}&code={}&action={action}",
        enc(phone),
        enc(code)
    );
    app.page(Method::POST, "/my/confirm-phone", &cookie, Some(&body))
        .await
}

#[tokio::test]
async fn a_client_signs_up_with_a_phone_confirmed_by_a_code_sent_by_sms() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let a = s
            .account_by_number(&AccountNumber::from_serial(4))
            .await
            .unwrap();
        let code = s.portal_code(&a.number).await.unwrap();

        // Neither an address nor a mobile number: refused on the field, the input kept.
        let r = sign_up(&app, &a.number, &code, "12345").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("номер мобильного телефона"), "{l}");
        assert!(r.body.contains("value=\"12345\""));

        // A mobile number: the account is opened and a code goes out by SMS.
        let r = sign_up(&app, &a.number, &code, "+7 (912) 555-01-02").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        assert_eq!(r.location(), "/my/confirm-phone?phone=9125550102&sent=1");
        let page = app.page(Method::GET, r.location(), "", None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("СМС с кодом на +7 (912) 555-01-02"),
            "{l}"
        );
        let (channel, body) = sms_code_sent(&app, "portal.confirm_phone", "9125550102").await;
        assert_eq!(channel, "sms", "{l}: through the outbox's SMS channel");
        let sms: String = body.chars().filter(char::is_ascii_digit).take(6).collect();
        assert_eq!(sms.len(), 6, "{l}: {body}");
        // The same number again: taken.
        let other = s
            .account_by_number(&AccountNumber::from_serial(5))
            .await
            .unwrap();
        let other_code = s.portal_code(&other.number).await.unwrap();
        let r = sign_up(&app, &other.number, &other_code, "89125550102").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("Этот номер уже зарегистрирован"), "{l}");

        // Not confirmed: no sign-in, and the message says where the code goes.
        let r = sign_in(&app, "+79125550102", PASSWORD).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}: {}", r.body);
        assert!(r.body.contains("подтвердите телефон"), "{l}");

        // A wrong code: refused, the phone and the code typed kept.
        let wrong = if sms == "000000" { "111111" } else { "000000" };
        let r = phone_form_post(&app, "+7 912 555 01 02", wrong, "confirm").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("Код не подходит"), "{l}");
        assert!(r.body.contains("value=\"+7 (912) 555-01-02\""), "{l}");
        assert!(r.body.contains(&format!("value=\"{wrong}\"")));
        // A new code at once: not yet (one a minute).
        let r = phone_form_post(&app, "+79125550102", "", "resend").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{l}: {}", r.body);
        assert!(r.body.contains("через минуту"));

        // The right code confirms the phone, once.
        let r = phone_form_post(&app, "8 912 555-01-02", &sms, "confirm").await;
        assert_eq!(r.status, StatusCode::OK, "{l}: {}", r.body);
        assert!(r.body.contains("Телефон подтверждён"));
        let r = phone_form_post(&app, "8 912 555-01-02", &sms, "confirm").await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{l}: a code works once"
        );

        // Sign-in with the phone in any usual spelling.
        let r = sign_in(&app, "8 (912) 555 01 02", PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let me = format!("abonent_portal={}", set_cookie(&r, "abonent_portal"));
        let home = app.page(Method::GET, "/my", &me, None).await;
        assert_eq!(home.status, StatusCode::OK, "{l}");
        assert!(
            home.body.contains("+7 (912) 555-01-02"),
            "{l}: who is signed in"
        );
        assert!(home.body.contains(&format!("Лицевой счёт № {}", a.number)));
        // Without an address, answers by e-mail are not offered, and refused when forced.
        let form_page = app.page(Method::GET, "/my/appeals/new", &me, None).await;
        assert_eq!(form_page.status, StatusCode::OK, "{l}");
        assert!(!form_page.body.contains("value=\"email\""), "{l}");
        // A card without a phone: SMS goes to the phone confirmed here, recorded on the card.
        sqlx::query("DELETE FROM client_phones WHERE client_id = $1")
            .bind(a.client_id)
            .execute(s.pool())
            .await
            .unwrap();
        let settings = app.page(Method::GET, "/my/settings", &me, None).await;
        assert!(
            settings.body.contains("адреса электронной почты в нём нет"),
            "{l}"
        );
        assert!(settings.body.contains("СМС на +7 (912) 555-01-02"), "{l}");
        let r = app
            .page(
                Method::POST,
                "/my/settings",
                &me,
                Some(&format!(
                    "_csrf={}&channel=sms",
                    hidden(&settings.body, "_csrf")
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        let card = s.client(a.client_id).await.unwrap();
        assert_eq!(card.preferred_channel.code(), "sms", "{l}");
        assert_eq!(card.phones, vec!["9125550102".to_owned()], "{l}");

        // A forgotten password: the link comes by SMS.
        let (cookie, csrf) = form(&app, "/my/reset").await;
        let r = app
            .page(
                Method::POST,
                "/my/reset",
                &cookie,
                Some(&format!("_csrf={csrf}&email={}", enc("+7 912 555-01-02"))),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{l}: {}", r.body);
        assert!(r.body.contains("Проверьте СМС"), "{l}");
        let (channel, body) = sms_code_sent(&app, "portal.reset", "9125550102").await;
        assert_eq!(channel, "sms");
        assert!(body.contains("/my/reset/new?token="), "{l}: {body}");

        // Guessing codes is throttled like passwords.
        let mut throttled = false;
        for _ in 0..5 {
            let r = phone_form_post(&app, "+79125550102", wrong, "confirm").await;
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                assert!(r.body.contains("Слишком много"));
                throttled = true;
                break;
            }
        }
        assert!(throttled, "{l}");
        let audited: (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('portal.phone_confirmed', 'portal.phone_code_refused', 'portal.phone_code_throttled')",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        assert!(
            audited.0 >= 4,
            "{l}: confirmations and refusals are audited"
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn a_client_adds_another_account_with_the_code_from_its_invoice() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let a7 = s
            .account_by_number(&AccountNumber::from_serial(7))
            .await
            .unwrap();
        let a8 = s
            .account_by_number(&AccountNumber::from_serial(8))
            .await
            .unwrap();
        let a9 = s
            .account_by_number(&AccountNumber::from_serial(9))
            .await
            .unwrap();
        let (me, csrf) = app.portal_user(a7.id, "dva-scheta@example.org").await;
        let (other, _) = app.portal_user(a9.id, "drugoj@example.org").await;
        let link = |account: &str, code: &str| {
            format!("_csrf={csrf}&account={}&code={}", enc(account), enc(code))
        };
        let form = app.page(Method::GET, "/my/accounts/link", &me, None).await;
        assert_eq!(form.status, StatusCode::OK, "{l}");
        // A wrong code: refused, the input kept, audited.
        let r = app
            .page(
                Method::POST,
                "/my/accounts/link",
                &me,
                Some(&link(&a8.number, "1111-1111")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(
            r.body.contains("Номер лицевого счёта или код не подходят"),
            "{l}"
        );
        assert!(r.body.contains(&format!("value=\"{}\"", a8.number)));
        // The right code: both accounts in one personal account.
        let code = s.portal_code(&a8.number).await.unwrap();
        let r = app
            .page(
                Method::POST,
                "/my/accounts/link",
                &me,
                Some(&link(&a8.number, &code)),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        assert_eq!(r.location(), format!("/my#acc-{}", a8.id));
        let home = app.page(Method::GET, "/my", &me, None).await;
        assert!(
            home.body.contains(&format!("Лицевой счёт № {}", a7.number)),
            "{l}"
        );
        assert!(
            home.body.contains(&format!("Лицевой счёт № {}", a8.number)),
            "{l}"
        );
        // Its invoices and meters are now this client's; the other's are not.
        let meter = meter_of(&app, a8.id).await;
        let r = app
            .page(
                Method::POST,
                &format!("/my/meters/{meter}/readings"),
                &me,
                Some(&format!("_csrf={csrf}&values=abc")),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{l}: checked, not refused as foreign"
        );
        // Again: already here. Someone else's personal account: refused.
        let r = app
            .page(
                Method::POST,
                "/my/accounts/link",
                &me,
                Some(&link(&a8.number, &code)),
            )
            .await;
        assert!(r.body.contains("уже в вашем кабинете"), "{l}");
        let code9 = s.portal_code(&a9.number).await.unwrap();
        let r = app
            .page(
                Method::POST,
                "/my/accounts/link",
                &me,
                Some(&link(&a9.number, &code9)),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert!(r.body.contains("уже открыт другой личный кабинет"), "{l}");
        let theirs = app.page(Method::GET, "/my", &other, None).await;
        assert!(!theirs.body.contains(&a8.number), "{l}");
        // Without the form token: refused.
        let r = app
            .page(
                Method::POST,
                "/my/accounts/link",
                &me,
                Some(&format!("account={}&code={code}", a8.number)),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{l}");
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('portal.link', 'portal.link_refused')",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        assert_eq!(n, 2, "{l}");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn a_channel_chosen_when_the_session_ended_is_kept_through_signing_in() {
    for app in apps().await {
        let l = app.label();
        let s = &app.db.store;
        let account = 14;
        let client = s.account(account).await.unwrap().client_id;
        let before = s.client(client).await.unwrap().preferred_channel;
        let _ = app.portal_user(account, "kanal@example.test").await;
        let chosen = if before.code() == "portal" {
            "email"
        } else {
            "portal"
        };
        let r = app
            .page(
                Method::POST,
                "/my/settings",
                "abonent_portal=gone",
                Some(&format!("_csrf=whatever&channel={chosen}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{l}");
        assert!(r.body.contains("выбор способа связи сохранён"), "{l}");
        assert_eq!(hidden(&r.body, "keep_channel"), chosen, "{l}");
        let form_cookie = format!(
            "abonent_portal_form={}",
            set_cookie(&r, "abonent_portal_form")
        );
        let body = format!(
            "_csrf={}&email={}&password={}&keep_channel={chosen}",
            hidden(&r.body, "_csrf"),
            enc("kanal@example.test"),
            enc(common::PASSWORD)
        );
        let r = app
            .page(Method::POST, "/my/login", &form_cookie, Some(&body))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{l}: {}", r.body);
        assert_eq!(r.location(), format!("/my/settings?typed={chosen}"));
        let me = format!("abonent_portal={}", set_cookie(&r, "abonent_portal"));
        let page = app.page(Method::GET, r.location(), &me, None).await;
        assert_eq!(page.status, StatusCode::OK, "{l}");
        assert!(page.body.contains("ещё не сохранён"), "{l}");
        assert!(
            page.body.contains(&format!("value=\"{chosen}\" checked")),
            "{l}: the choice shown again"
        );
        assert_eq!(
            s.client(client).await.unwrap().preferred_channel,
            before,
            "{l}: nothing saved before the client saves"
        );
        app.db.cleanup().await;
    }
}
