//! The online reception (Интернет-приемная, APL-01): anyone files an appeal without an account,
//! gets its number and a tracking code, and later reads its status and the answer.

use abonent_domain::appeals::{AppealDraft, AppealKind};
use abonent_domain::validation::FieldErrors;
use abonent_store::idempotency::IdemKey;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use axum_extra::extract::Form;
use serde::Deserialize;

use super::{draft_from, track, Registrar, TrackedAppeal};
use crate::auth::ClientIp;
use crate::common::forms::{opts, Opt};
use crate::common::layout::{render, ru_date, Chrome};
use crate::common::tokens::{random_token, same_secret};
use crate::common::uploads::{files_to_attach_again, read_multipart, MAX_TOTAL_BYTES};
use crate::{AppState, PageError, WebError};

const PUBLIC_CSRF_COOKIE: &str = "abonent_reception_csrf";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reception", get(form).post(submit))
        .route("/reception/status", get(status_form).post(status))
        .layer(DefaultBodyLimit::max(MAX_TOTAL_BYTES + 1024 * 1024))
}

fn csrf_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((PUBLIC_CSRF_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/reception")
        .build()
}

#[derive(Template)]
#[template(path = "appeals/reception.html")]
struct ReceptionPage {
    chrome: Chrome,
    form: AppealDraft,
    once: String,
    kinds: Vec<Opt>,
    topics: Vec<Opt>,
    errors: FieldErrors,
    consent: bool,
}

#[derive(Template)]
#[template(path = "appeals/reception_done.html")]
struct DonePage {
    chrome: Chrome,
    number: String,
    code: Option<String>,
    deadline: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn reception_page(
    state: &AppState,
    token: &str,
    form: AppealDraft,
    errors: FieldErrors,
    consent: bool,
) -> Result<ReceptionPage, WebError> {
    let rules = super::rules(state).await?;
    let mut chrome = Chrome::anonymous("Интернет-приемная");
    chrome.csrf = token.to_owned();
    Ok(ReceptionPage {
        chrome,
        form,
        once: random_token(),
        kinds: opts(AppealKind::ALL, AppealKind::code, AppealKind::label_ru),
        topics: rules.topic_options(),
        errors,
        consent,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn form(State(state): State<AppState>, jar: CookieJar) -> Result<Response, PageError> {
    let token = random_token();
    let page = reception_page(
        &state,
        &token,
        AppealDraft {
            kind: "complaint".into(),
            ..Default::default()
        },
        FieldErrors::new(),
        false,
    )
    .await?;
    let jar = jar.add(csrf_cookie(token, state.config.secure_cookies));
    Ok((jar, render(&page)?).into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    mp: Multipart,
) -> Result<Response, PageError> {
    let expected = jar
        .get(PUBLIC_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let (fields, files) = match read_multipart(mp).await {
        Ok(v) => v,
        Err(WebError::Invalid(e)) => {
            let token = random_token();
            let page = reception_page(&state, &token, AppealDraft::default(), e, false).await?;
            let jar = jar.add(csrf_cookie(token, state.config.secure_cookies));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, jar, render(&page)?).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let draft = draft_from(&fields);
    let consent = fields.get("consent").is_some_and(|v| v == "yes");
    let token = random_token();
    let attached: Vec<String> = files
        .iter()
        .filter(|f| !f.content.is_empty())
        .map(|f| f.file_name.clone())
        .collect();
    let again = |errors: FieldErrors, status: StatusCode| {
        let state = state.clone();
        let draft = draft.clone();
        let token = token.clone();
        let errors = files_to_attach_again(errors, &attached);
        async move {
            let page = reception_page(&state, &token, draft, errors, consent).await?;
            Ok::<_, PageError>((status, render(&page)?))
        }
    };
    let csrf = fields.get("_csrf").cloned().unwrap_or_default();
    if expected.is_empty() || !same_secret(&expected, &csrf) {
        let (s, body) = again(
            FieldErrors::single(
                "text",
                "Форма устарела (страница была открыта слишком давно). Текст сохранён — отправьте ещё раз.",
            ),
            StatusCode::FORBIDDEN,
        )
        .await?;
        let jar = jar.add(csrf_cookie(token, state.config.secure_cookies));
        return Ok((s, jar, body).into_response());
    }
    if !consent {
        let (s, body) = again(
            FieldErrors::single(
                "consent",
                "Без согласия на обработку персональных данных обращение не может быть рассмотрено (152-ФЗ).",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await?;
        let jar = jar.add(csrf_cookie(token, state.config.secure_cookies));
        return Ok((s, jar, body).into_response());
    }
    let once = fields.get("_once").cloned().unwrap_or_default();
    let idem = (!once.is_empty()).then(|| IdemKey::new("form:reception", once));
    match super::register(&state, Registrar::Public { ip }, draft.clone(), files, idem).await {
        Ok(r) => {
            let page = DonePage {
                chrome: Chrome::anonymous("Обращение зарегистрировано"),
                number: r.registered.number.clone(),
                code: r.tracking_code.clone(),
                deadline: ru_date(&r.registered.deadline),
            };
            Ok(([(header::CACHE_CONTROL, "no-store")], render(&page)?).into_response())
        }
        Err(WebError::Invalid(e)) => {
            let (s, body) = again(e, StatusCode::UNPROCESSABLE_ENTITY).await?;
            let jar = jar.add(csrf_cookie(token, state.config.secure_cookies));
            Ok((s, jar, body).into_response())
        }
        Err(WebError::TooManyRequests(m)) => {
            let (s, body) = again(
                FieldErrors::single("text", m),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await?;
            let jar = jar.add(csrf_cookie(token, state.config.secure_cookies));
            Ok((s, jar, body).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "appeals/status.html")]
struct StatusPage {
    chrome: Chrome,
    number: String,
    errors: FieldErrors,
    found: Option<TrackedAppeal>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn status_form(State(state): State<AppState>, jar: CookieJar) -> Result<Response, PageError> {
    let token = random_token();
    let mut chrome = Chrome::anonymous("Статус обращения");
    chrome.csrf = token.clone();
    let page = StatusPage {
        chrome,
        number: String::new(),
        errors: FieldErrors::new(),
        found: None,
    };
    let jar = jar.add(csrf_cookie(token, state.config.secure_cookies));
    Ok((jar, render(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    code: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn status(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<StatusForm>,
) -> Result<Response, PageError> {
    let expected = jar
        .get(PUBLIC_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let token = random_token();
    let mut chrome = Chrome::anonymous("Статус обращения");
    chrome.csrf = token.clone();
    let mut page = StatusPage {
        chrome,
        number: f.number.clone(),
        errors: FieldErrors::new(),
        found: None,
    };
    let code = if expected.is_empty() || !same_secret(&expected, &f.csrf) {
        page.errors = FieldErrors::single("code", "Форма устарела. Введите код ещё раз.");
        StatusCode::FORBIDDEN
    } else {
        match track(&state, &ip, &f.number, &f.code).await {
            Ok(t) => {
                page.found = Some(t);
                StatusCode::OK
            }
            Err(WebError::Invalid(e)) => {
                page.errors = e;
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Err(WebError::TooManyRequests(m)) => {
                page.errors = FieldErrors::single("code", m);
                StatusCode::TOO_MANY_REQUESTS
            }
            Err(e) => return Err(e.into()),
        }
    };
    let jar = jar.add(csrf_cookie(token, state.config.secure_cookies));
    Ok((
        code,
        [(header::CACHE_CONTROL, "no-store")],
        jar,
        render(&page)?,
    )
        .into_response())
}
