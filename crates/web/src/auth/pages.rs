//! Sign-in, sign-out and password change pages.

use abonent_domain::validation::FieldErrors;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use axum_extra::extract::Form;
use serde::Deserialize;

use super::{
    apply_password_change, session_cookie, sign_in, ClientIp, CurrentStaff, SignIn,
    LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::common::forms::CsrfForm;
use crate::common::layout::{render, Chrome};
use crate::common::tokens::{random_token, same_secret};
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", axum::routing::post(logout))
        .route(
            "/account/password",
            get(password_form).post(password_change),
        )
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    chrome: Chrome,
    login: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Only local paths are followed after sign-in (no open redirect).
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

fn login_csrf_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((LOGIN_CSRF_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/login")
        .build()
}

#[tracing::instrument(level = "debug", skip_all)]
async fn login_form(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    let token = random_token();
    let mut chrome = Chrome::anonymous("Вход для сотрудников");
    chrome.csrf = token.clone();
    let page = LoginPage {
        chrome,
        login: String::new(),
        next: safe_next(&q.next),
        error: None,
    };
    let jar = jar.add(login_csrf_cookie(token, state.config.secure_cookies));
    Ok((jar, render(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let expected = jar
        .get(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let refuse =
        |jar: CookieJar, status: StatusCode, message: String| -> Result<Response, PageError> {
            let token = random_token();
            let mut chrome = Chrome::anonymous("Вход для сотрудников");
            chrome.csrf = token.clone();
            let page = LoginPage {
                chrome,
                login: f.login.clone(),
                next: safe_next(&f.next),
                error: Some(message),
            };
            let jar = jar.add(login_csrf_cookie(token, state.config.secure_cookies));
            Ok((status, jar, render(&page)?).into_response())
        };
    if expected.is_empty() || !same_secret(&expected, &f.csrf) {
        return refuse(
            jar,
            StatusCode::FORBIDDEN,
            "Форма входа устарела. Введите логин и пароль ещё раз.".into(),
        );
    }
    if f.login.trim().is_empty() || f.password.is_empty() {
        return refuse(
            jar,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Введите логин и пароль.".into(),
        );
    }
    match sign_in(&state, &f.login, &f.password, &ip).await? {
        SignIn::Ok { token, .. } => {
            let jar = jar
                .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/login"))
                .add(session_cookie(token, state.config.secure_cookies));
            Ok((jar, Redirect::to(&safe_next(&f.next))).into_response())
        }
        SignIn::Refused(e) => refuse(jar, e.status(), e.public_message()),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn logout(
    State(state): State<AppState>,
    me: CurrentStaff,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    super::sign_out(&state, &me).await?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    chrome: Chrome,
    errors: FieldErrors,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn password_form(me: CurrentStaff) -> Result<Response, PageError> {
    Ok(render(&PasswordPage {
        chrome: Chrome::for_staff("Смена пароля", &me, ""),
        errors: FieldErrors::new(),
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn password_change(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match apply_password_change(
        &state,
        &me,
        &f.current_password,
        &f.new_password,
        &f.new_password_again,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/login").into_response()),
        Err(WebError::Invalid(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&PasswordPage {
                chrome: Chrome::for_staff("Смена пароля", &me, ""),
                errors,
            })?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}
