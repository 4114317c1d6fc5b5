//! The framework's own refusals of an API request — a body that is not JSON, a wrong content
//! type, a missing or mistyped field, a bad path or query parameter, a body too large, a method
//! the address does not take — answer with the same JSON error body as every other refusal
//! ([`ErrorBody`]), with a Russian message and, where the framework names it, the field.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::common::error::{ErrorBody, ErrorItem};

/// The longest framework message read back (they are one line).
const MAX_MESSAGE: usize = 16 * 1024;

/// What a person is told for a framework refusal with this status and English text, and the
/// field it names (`missing field `text``, `unknown variant`, `invalid type … at line`).
pub fn explain(status: StatusCode, text: &str) -> ErrorItem {
    let field = text
        .split("field `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .map(str::to_owned);
    let detail = match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "Тело запроса должно быть в формате JSON с заголовком Content-Type: application/json."
                .to_owned()
        }
        StatusCode::PAYLOAD_TOO_LARGE => "Запрос слишком большой.".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "Этот адрес не принимает такой метод запроса.".to_owned(),
        StatusCode::UNPROCESSABLE_ENTITY => match &field {
            Some(f) if text.contains("missing field") => format!("Не хватает поля «{f}»."),
            Some(f) => format!("Поле «{f}» неверного вида ({text})."),
            None => format!("Данные запроса неверного вида ({text})."),
        },
        _ if text.contains("JSON") => format!("Тело запроса — неправильный JSON ({text})."),
        _ => format!("Запрос не разобран ({text})."),
    };
    ErrorItem { field, detail }
}

/// The middleware: an API response of 4xx that is not JSON (the framework's rejection, written
/// as plain text, or an empty 405) becomes the JSON error body; other responses pass as they are.
pub async fn json_rejections(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !api || !status.is_client_error() || is_json {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = to_bytes(body, MAX_MESSAGE)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let mut out = (
        status,
        Json(ErrorBody {
            errors: vec![explain(status, &text)],
        }),
    )
        .into_response();
    // Headers the framework set for the refusal (e.g. `Allow` on a 405) are kept.
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framework_refusals_are_explained_in_russian_with_their_field() {
        let e = explain(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Failed to deserialize the JSON body into the target type: missing field `text` at line 1 column 2",
        );
        assert_eq!(e.field.as_deref(), Some("text"));
        assert_eq!(e.detail, "Не хватает поля «text».");
        let e = explain(
            StatusCode::BAD_REQUEST,
            "Failed to parse the request body as JSON: EOF while parsing",
        );
        assert!(
            e.detail.starts_with("Тело запроса — неправильный JSON"),
            "{}",
            e.detail
        );
        let e = explain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Expected request with `Content-Type: application/json`",
        );
        assert!(e.detail.contains("Content-Type: application/json"));
    }
}
