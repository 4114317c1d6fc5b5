//! Form helpers shared by the pages: choices of a select, the answer to a posted form, and the
//! one-time anti-forgery token of forms shown before there is a session.

use abonent_domain::validation::FieldErrors;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

use super::error::{PageError, WebError};
use super::tokens::{random_token, same_secret};
use crate::AppState;

/// The anti-forgery token of the sign-up and sign-in forms (before there is a session).
pub const FORM_COOKIE: &str = "abonent_portal_form";

/// A choice in a select.
pub struct Opt {
    pub code: String,
    pub label: String,
}

/// The choices of a coded enumeration (`ALL`, `code`, `label_ru`).
pub fn opts<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Opt> {
    all.iter()
        .map(|k| Opt {
            code: code(*k).into(),
            label: label(*k).into(),
        })
        .collect()
}

/// The answer to a posted form: a redirect on success; the form again with field messages
/// (422), or with a conflict message on `conflict_field` (409); other errors as an error page.
pub fn form_outcome<T>(
    conflict_field: &str,
    result: Result<T, WebError>,
    on_ok: impl FnOnce(T) -> String,
    on_invalid: impl FnOnce(FieldErrors) -> Result<Html<String>, PageError>,
) -> Result<Response, PageError> {
    match result {
        Ok(v) => Ok(Redirect::to(&on_ok(v)).into_response()),
        Err(WebError::Invalid(e)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, on_invalid(e)?).into_response())
        }
        Err(WebError::Conflict(m)) => Ok((
            StatusCode::CONFLICT,
            on_invalid(FieldErrors::single(conflict_field, m))?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// The refusal of a form whose token no longer matches (the session or the form expired).
pub fn form_expired() -> WebError {
    WebError::Forbidden(
        "Форма устарела: возможно, закончился сеанс. Обновите страницу и повторите — введённое сохранено не будет, если страница перезагрузится."
            .into(),
    )
}

pub fn form_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((FORM_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        .build()
}

/// A fresh one-time form token, set as a cookie and returned for the form's hidden field.
pub fn with_form_token(jar: CookieJar, state: &AppState) -> (CookieJar, String) {
    let token = random_token();
    (
        jar.add(form_cookie(token.clone(), state.config.secure_cookies)),
        token,
    )
}

/// Checks the anonymous form's token against its cookie.
pub fn check_form_token(jar: &CookieJar, sent: &str) -> Result<(), WebError> {
    let expected = jar
        .get(FORM_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if expected.is_empty() || !same_secret(&expected, sent) {
        return Err(form_expired());
    }
    Ok(())
}

/// A form that carries nothing but its token (sign-out, withdraw, and the like).
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
}
