//! Incidents API (CHN-05): the register, recording with `Idempotency-Key`, the card.

use abonent_domain::frontoffice::incidents::IncidentDraft;
use abonent_store::frontoffice::incidents::{IncidentRecorded, IncidentView};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};

use super::{IncidentCard, RegisterQuery};
use crate::auth::CurrentStaff;
use crate::common::idempotency::idempotency_key;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/incidents", get(list).post(record))
        .route("/incidents/{id}", get(card))
}

/// The register of incidents, newest first (the supervisors and the general director); with
/// `mine=true`, the incidents the caller recorded or was involved in (anyone who records).
#[utoipa::path(get, path = "/api/v1/incidents", tag = "frontoffice", params(RegisterQuery),
    responses((status = 200, body = [IncidentView]), (status = 422, body = crate::common::error::ErrorBody),
              (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(q): Query<RegisterQuery>,
) -> Result<Json<Vec<IncidentView>>, ApiError> {
    Ok(Json(super::list(&state, &me, &q).await?))
}

/// Records an incident (§6.4); the staff member's supervisor and every general director get a
/// notice. With `Idempotency-Key`, a retry returns the first incident and records nothing.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "frontoffice", request_body = IncidentDraft,
    params(("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key (OPS-05)")),
    responses((status = 201, body = IncidentRecorded), (status = 200, body = IncidentRecorded, description = "a retry: the first result"),
              (status = 422, body = crate::common::error::ErrorBody), (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Json(d): Json<IncidentDraft>,
) -> Result<(StatusCode, Json<IncidentRecorded>), ApiError> {
    let idem = idempotency_key(&headers, format!("staff:{}:incident", me.staff.id))?;
    let r = super::record(&state, &me, &d, idem).await?;
    let status = if r.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(r)))
}

/// An incident; a view of one that names a client is audited.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "frontoffice",
    params(("id" = i64, Path, description = "incident id")),
    responses((status = 200, body = IncidentCard), (status = 404, body = crate::common::error::ErrorBody),
              (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn card(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Json<IncidentCard>, ApiError> {
    Ok(Json(super::open(&state, &me, id).await?))
}
