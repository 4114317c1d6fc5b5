//! Idempotency keys (OPS-05): a retried change answers with its first result.

use abonent_domain::validation::FieldErrors;
use abonent_store::idempotency::IdemKey;
use axum::http::HeaderMap;
use serde::Serialize;

use super::error::WebError;
use crate::AppState;

/// The header through which the body middleware ([`crate::common::body::inspect_body`]) hands
/// the SHA-256 of a request's body to [`idempotency_key`]; a client's own is dropped.
pub const BODY_HASH_HEADER: &str = "x-abonent-body-sha256";

/// The `Idempotency-Key` header (OPS-05), scoped to the caller and bound to the request body:
/// the same key with another body is refused with 422, so one caller's key never returns
/// another request's result.
pub fn idempotency_key(headers: &HeaderMap, scope: String) -> Result<Option<IdemKey>, WebError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let k = v.to_str().unwrap_or("").trim();
    if k.is_empty() || k.len() > 200 {
        return Err(FieldErrors::single(
            "Idempotency-Key",
            "Ключ идемпотентности — от 1 до 200 символов.",
        )
        .into());
    }
    let body = headers
        .get(BODY_HASH_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok(Some(IdemKey::new(scope, k).with_request_hash(body)))
}

/// Runs a change once per `Idempotency-Key` (OPS-05): a retry returns the first result. The key
/// is stored right after the change; the change itself is guarded by the appeal's version, so a
/// retry after a crash between the two changes nothing either (it gets 409).
pub async fn once<T: Serialize + serde::de::DeserializeOwned>(
    state: &AppState,
    key: Option<IdemKey>,
    change: impl std::future::Future<Output = Result<T, WebError>>,
) -> Result<T, WebError> {
    if let Some(k) = &key {
        if let Some(r) = state.store.idempotent_result::<T>(k).await? {
            return Ok(r);
        }
    }
    let r = change.await?;
    if let Some(k) = &key {
        state.store.remember_result(k, &r).await?;
    }
    Ok(r)
}
