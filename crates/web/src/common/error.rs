//! The web layer's one error type and its two renderings: structured JSON for the API
//! (`{"errors":[{"field":…,"detail":…}]}`) and a Russian page for people. 500s are logged with
//! the cause chain and never show internals.

use abonent_domain::validation::FieldErrors;
use abonent_store::StoreError;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    BadRequest(String),
    /// Not signed in (pages redirect to the sign-in form).
    #[error("Войдите в систему.")]
    Unauthorized,
    /// A refused sign-in: the same words for a wrong login and a wrong password.
    #[error("Неверный логин или пароль.")]
    BadCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Проверьте введённые данные.")]
    Invalid(FieldErrors),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("internal: {0:#}")]
    Internal(anyhow::Error),
}

impl WebError {
    /// A refusal shown on a form: the field messages of bad input, or the message on `field`.
    pub fn on_form(self, field: &str) -> (StatusCode, FieldErrors) {
        match self {
            WebError::Invalid(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
            other => (
                other.status(),
                FieldErrors::single(field, other.public_message()),
            ),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Unauthorized | WebError::BadCredentials => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message for people; internals are never shown.
    pub fn public_message(&self) -> String {
        match self {
            WebError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                "Внутренняя ошибка сервера. Попробуйте ещё раз; если ошибка повторится, сообщите администратору.".into()
            }
            other => other.to_string(),
        }
    }

    pub fn forbidden() -> Self {
        WebError::Forbidden("Недостаточно прав для этого действия.".into())
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => WebError::NotFound("Запись не найдена.".into()),
            StoreError::Refused(r) => WebError::Conflict(r.to_string()),
            StoreError::KeyReused => WebError::Invalid(FieldErrors::single(
                "Idempotency-Key",
                "Этот ключ идемпотентности уже использован с другим запросом. Для нового запроса возьмите новый ключ.",
            )),
            other => WebError::Internal(other.into()),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(e.into())
    }
}

impl From<FieldErrors> for WebError {
    fn from(e: FieldErrors) -> Self {
        WebError::Invalid(e)
    }
}

/// One entry of an API error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorItem {
    /// The input field, or null for the request as a whole.
    pub field: Option<String>,
    pub detail: String,
}

/// The body of every API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub errors: Vec<ErrorItem>,
}

/// A [`WebError`] rendered as JSON.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let errors = match &self.0 {
            WebError::Invalid(fe) => {
                fe.0.iter()
                    .map(|e| ErrorItem {
                        field: Some(e.field.clone()),
                        detail: e.detail.clone(),
                    })
                    .collect()
            }
            other => vec![ErrorItem {
                field: None,
                detail: other.public_message(),
            }],
        };
        (status, Json(ErrorBody { errors })).into_response()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: crate::common::layout::Chrome,
    status: u16,
    message: String,
}

/// A [`WebError`] rendered as a page.
#[derive(Debug)]
pub struct PageError(pub WebError);

impl<E: Into<WebError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if matches!(self.0, WebError::Unauthorized) {
            return Redirect::to("/login").into_response();
        }
        let status = self.0.status();
        // Bad input that reaches an error page (no form to show it on) says what was wrong.
        let message = match &self.0 {
            WebError::Invalid(fe) if !fe.0.is_empty() => {
                fe.0.iter()
                    .map(|e| e.detail.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            other => other.public_message(),
        };
        let page = ErrorPage {
            chrome: crate::common::layout::Chrome::anonymous("Ошибка"),
            status: status.as_u16(),
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, self.0.public_message()).into_response(),
        }
    }
}
