//! Payments API: the cashier, bank registries and the rows waiting for a person (PAY-01). The
//! operations keep the `billing` tag of the published API.

use abonent_store::payments::{ImportOutcome, PaymentView, UnmatchedView};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::PaymentDraft;
use crate::auth::CurrentStaff;
use crate::common::idempotency::{idempotency_key, once};
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/payments", get(payments).post(pay))
        .route(
            "/payments/registries",
            post(import).layer(DefaultBodyLimit::max(super::MAX_REGISTRY_BYTES)),
        )
        .route("/payments/unmatched", get(unmatched))
        .route("/payments/unmatched/{id}/resolve", post(resolve))
        .route("/payments/unmatched/{id}/reject", post(reject))
}

/// Payments of the account, newest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/payments", tag = "billing",
    params(("id" = i64, Path)), responses((status = 200, body = [PaymentView])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn payments(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Json<Vec<PaymentView>>, ApiError> {
    Ok(Json(super::account_payments(&state, &me, id, 200).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentTaken {
    /// The payment id, printed as the receipt number.
    pub id: i64,
}

/// A payment at the cashier (PAY-01). With `Idempotency-Key`, a retry returns the first payment
/// and takes nothing twice.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/payments", tag = "billing", request_body = PaymentDraft,
    params(("id" = i64, Path)),
    responses((status = 201, body = PaymentTaken), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn pay(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(d): Json<PaymentDraft>,
) -> Result<(StatusCode, Json<PaymentTaken>), ApiError> {
    let key = idempotency_key(&headers, format!("payment:{}", me.staff.id))?;
    let r = once(&state, key, async {
        Ok(PaymentTaken {
            id: super::take_payment(&state, &me, id, &d).await?,
        })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportParams {
    /// The layout code: `sber`, `csv`, or one configured.
    pub bank: String,
    #[serde(default)]
    pub file_name: String,
}

/// Imports a bank payment registry sent as the request body (the file's bytes). Malformed lines
/// are all reported (`field` = `file`, `detail` names the line) and nothing is imported; the same
/// file again returns the first import with `already_imported`.
#[utoipa::path(post, path = "/api/v1/payments/registries", tag = "billing", params(ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = ImportOutcome), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn import(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<ImportParams>,
    body: Bytes,
) -> Result<Json<ImportOutcome>, ApiError> {
    let name = if p.file_name.is_empty() {
        "api"
    } else {
        p.file_name.as_str()
    };
    Ok(Json(
        super::import_registry(&state, &me, &p.bank, name, &body).await?,
    ))
}

/// Registry rows naming no known account, waiting for a person.
#[utoipa::path(get, path = "/api/v1/payments/unmatched", tag = "billing", responses((status = 200, body = [UnmatchedView])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn unmatched(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<Vec<UnmatchedView>>, ApiError> {
    Ok(Json(super::unmatched(&state, &me).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResolveDraft {
    pub account_number: String,
}

/// Credits an unmatched row to the account a person found.
#[utoipa::path(post, path = "/api/v1/payments/unmatched/{id}/resolve", tag = "billing", request_body = ResolveDraft,
    params(("id" = i64, Path)),
    responses((status = 201, body = PaymentTaken), (status = 422, body = crate::common::error::ErrorBody), (status = 409, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn resolve(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Json(d): Json<ResolveDraft>,
) -> Result<(StatusCode, Json<PaymentTaken>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(PaymentTaken {
            id: super::resolve_unmatched(&state, &me, id, &d.account_number).await?,
        }),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RejectDraft {
    /// Why it is not credited (default: a repeat of a credited payment).
    #[serde(default)]
    pub note: String,
}

/// Leaves a held row (a possible repeat) uncredited.
#[utoipa::path(post, path = "/api/v1/payments/unmatched/{id}/reject", tag = "billing", request_body = RejectDraft,
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::common::error::ErrorBody), (status = 409, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reject(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Json(d): Json<RejectDraft>,
) -> Result<StatusCode, ApiError> {
    super::reject_unmatched(&state, &me, id, &d.note).await?;
    Ok(StatusCode::NO_CONTENT)
}
