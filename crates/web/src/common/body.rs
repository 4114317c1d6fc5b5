//! What is checked of a request before a handler sees it.
//!
//! A NUL character (code 0) is never text a person typed: PostgreSQL cannot store it in a text
//! column and SQLite would store it silently, so every text that arrives — the query string, a
//! form, a JSON body, a multipart form's text fields — is refused with 422, the same on both
//! engines. And a request with an `Idempotency-Key` gets its body's SHA-256, which binds the key
//! to the body ([`crate::common::idempotency`]).

use abonent_domain::validation::FieldErrors;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::common::error::{ApiError, PageError, WebError};
use crate::common::idempotency::BODY_HASH_HEADER;

/// The message on the field that carried a NUL.
pub const NUL_MESSAGE: &str =
    "Текст содержит недопустимый символ (NUL, код 0). Уберите его и отправьте снова.";

/// Bodies larger than this are not read here: the handlers' own limits refuse them.
const MAX_CHECKED_BODY: usize = 32 * 1024 * 1024;

/// The refusal of a NUL in `field`.
pub fn refusal(field: &str) -> WebError {
    WebError::Invalid(FieldErrors::single(field, NUL_MESSAGE))
}

/// The name of the first pair of an `application/x-www-form-urlencoded` text whose name or value
/// holds a NUL (`%00` or a raw zero byte).
pub fn nul_in_urlencoded(text: &[u8]) -> Option<String> {
    text.split(|b| *b == b'&').find_map(|pair| {
        let has_nul = pair.contains(&0) || pair.windows(3).any(|w| w == b"%00");
        has_nul.then(|| {
            let name = pair.split(|b| *b == b'=').next().unwrap_or_default();
            String::from_utf8_lossy(name)
                .replace("%00", "")
                .replace('\0', "")
        })
    })
}

/// The path (`a.b.0`) of the first string or key of a JSON document holding a NUL; `None` also
/// for text that is not JSON (the handler refuses it with its own message).
pub fn nul_in_json(body: &[u8]) -> Option<String> {
    fn walk(v: &serde_json::Value, path: &str) -> Option<String> {
        match v {
            serde_json::Value::String(s) if s.contains('\0') => Some(path.to_owned()),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| walk(v, &join(path, &i.to_string()))),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
                if k.contains('\0') {
                    Some(join(path, &k.replace('\0', "")))
                } else {
                    walk(v, &join(path, k))
                }
            }),
            _ => None,
        }
    }
    fn join(path: &str, k: &str) -> String {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    }
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    walk(&v, "")
}

/// What a body's hash is taken of: a JSON document re-serialised (keys sorted, no spaces), so
/// that a retry formatted differently is still the same request; other bodies as they are.
fn canonical(bytes: &[u8], json: bool) -> Vec<u8> {
    /// Objects rebuilt with their keys in order, whichever map serde_json was built with.
    fn sorted(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => {
                let mut pairs: Vec<_> = map.into_iter().collect();
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(pairs.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sorted).collect())
            }
            other => other,
        }
    }
    json.then(|| serde_json::from_slice::<serde_json::Value>(bytes).ok())
        .flatten()
        .and_then(|v| serde_json::to_vec(&sorted(v)).ok())
        .unwrap_or_else(|| bytes.to_vec())
}

/// The middleware: the query string and form or JSON bodies are checked for NUL (multipart text
/// fields where they are read, `uploads::read_multipart`), and a body sent with an
/// `Idempotency-Key` is hashed for the key.
pub async fn inspect_body(mut req: Request, next: Next) -> Response {
    req.headers_mut().remove(BODY_HASH_HEADER);
    let api = req.uri().path().starts_with("/api/");
    let refuse = |field: String| -> Response {
        let e = refusal(if field.is_empty() { "body" } else { &field });
        if api {
            ApiError(e).into_response()
        } else {
            PageError(e).into_response()
        }
    };
    if let Some(field) = req
        .uri()
        .query()
        .and_then(|q| nul_in_urlencoded(q.as_bytes()))
    {
        return refuse(field);
    }
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.to_ascii_lowercase())
        .unwrap_or_default();
    let form = kind.starts_with("application/x-www-form-urlencoded");
    let json = kind.starts_with("application/json") || kind.contains("+json");
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if !(form || json) || declared.is_some_and(|n| n > MAX_CHECKED_BODY) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_CHECKED_BODY).await else {
        let e = WebError::BadRequest("Слишком большой запрос.".into());
        return if api {
            ApiError(e).into_response()
        } else {
            PageError(e).into_response()
        };
    };
    let found = if form {
        nul_in_urlencoded(&bytes)
    } else if bytes.contains(&0) {
        Some(String::new())
    } else {
        nul_in_json(&bytes)
    };
    if let Some(field) = found {
        return refuse(field);
    }
    let mut parts = parts;
    if parts.headers.contains_key("idempotency-key") {
        let hash = hex::encode(Sha256::digest(canonical(&bytes, json)));
        if let Ok(v) = HeaderValue::from_str(&hash) {
            parts.headers.insert(BODY_HASH_HEADER, v);
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_body_is_hashed_as_its_content_not_its_formatting() {
        assert_eq!(
            canonical(br#"{ "b": 1, "a": "x" }"#, true),
            canonical(br#"{"a":"x","b":1}"#, true)
        );
        assert_ne!(
            canonical(br#"{"a":"x"}"#, true),
            canonical(br#"{"a":"y"}"#, true)
        );
        assert_eq!(canonical(b"a=1", false), b"a=1".to_vec());
    }

    #[test]
    fn a_nul_is_found_in_forms_and_json_with_its_field() {
        assert_eq!(nul_in_urlencoded(b"a=1&name=x%00y"), Some("name".into()));
        assert_eq!(nul_in_urlencoded(b"a=1&name=x\0y"), Some("name".into()));
        assert_eq!(nul_in_urlencoded(b"a=1&b=%0A%01"), None);
        assert_eq!(
            nul_in_json(br#"{"appeal":{"text":"a\u0000b"}}"#),
            Some("appeal.text".into())
        );
        assert_eq!(nul_in_json(br#"{"l":["ok","\u0000"]}"#), Some("l.1".into()));
        assert_eq!(nul_in_json(br#"{"text":"\\u0000 is fine"}"#), None);
        assert_eq!(nul_in_json(b"not json"), None);
    }
}
