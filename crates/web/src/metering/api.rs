//! Meters and readings API.

use abonent_domain::metering::MeterDraft;
use abonent_store::metering::{HeldReading, MeterView, ReadingView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::{MeterStateDraft, ReadingDraft, ReadingOutcome, ReviewDraft};
use crate::auth::CurrentStaff;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/meters", get(meters).post(add_meter))
        .route("/meters/{id}/readings", get(readings))
        .route("/meters/{id}/readings", post(submit))
        .route("/meters/{id}/state", put(set_state))
        .route("/readings/held", get(held))
        .route("/readings/{id}/review", post(review))
}

/// Readings held for review, oldest first (MTR-03).
#[utoipa::path(get, path = "/api/v1/readings/held", tag = "metering",
    responses((status = 200, body = [HeldReading])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn held(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<Vec<HeldReading>>, ApiError> {
    Ok(Json(super::held(&state, &me).await?))
}

/// Accepts or rejects a held reading (a rejection needs a reason).
#[utoipa::path(post, path = "/api/v1/readings/{id}/review", tag = "metering", request_body = ReviewDraft,
    params(("id" = i64, Path, description = "reading id")),
    responses((status = 204), (status = 409, body = crate::common::error::ErrorBody), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn review(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Json(d): Json<ReviewDraft>,
) -> Result<StatusCode, ApiError> {
    super::review_reading(&state, &me, id, &d).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks a meter working or broken, or removed from a date (MTR-01).
#[utoipa::path(put, path = "/api/v1/meters/{id}/state", tag = "metering", request_body = MeterStateDraft,
    params(("id" = i64, Path, description = "meter id")),
    responses((status = 204), (status = 404, body = crate::common::error::ErrorBody), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_state(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Json(d): Json<MeterStateDraft>,
) -> Result<StatusCode, ApiError> {
    super::set_meter_state(&state, &me, id, &d).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeterCreated {
    pub id: i64,
}

/// Registers a meter on an account (MTR-01).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/meters", tag = "metering", request_body = MeterDraft,
    params(("id" = i64, Path, description = "account id")),
    responses((status = 201, body = MeterCreated), (status = 422, body = crate::common::error::ErrorBody),
              (status = 404, body = crate::common::error::ErrorBody), (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_meter(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Json(d): Json<MeterDraft>,
) -> Result<(StatusCode, Json<MeterCreated>), ApiError> {
    let id = super::add_meter(&state, &me, id, &d).await?;
    Ok((StatusCode::CREATED, Json(MeterCreated { id })))
}

/// The meters of an account with their last accepted readings.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/meters", tag = "metering",
    params(("id" = i64, Path, description = "account id")),
    responses((status = 200, body = [MeterView])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn meters(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Json<Vec<MeterView>>, ApiError> {
    Ok(Json(super::meters(&state, &me, id).await?))
}

/// Enters a reading received in person or by phone (MTR-02, MTR-03): refused below the previous
/// one (unless the register rolled over), held for review when implausible.
#[utoipa::path(post, path = "/api/v1/meters/{id}/readings", tag = "metering", request_body = ReadingDraft,
    params(("id" = i64, Path, description = "meter id")),
    responses((status = 201, body = ReadingOutcome), (status = 422, body = crate::common::error::ErrorBody),
              (status = 409, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Json(d): Json<ReadingDraft>,
) -> Result<(StatusCode, Json<ReadingOutcome>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(super::submit_reading(&state, &me, id, &d).await?),
    ))
}

/// The readings of a meter, newest first.
#[utoipa::path(get, path = "/api/v1/meters/{id}/readings", tag = "metering",
    params(("id" = i64, Path, description = "meter id")),
    responses((status = 200, body = [ReadingView])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn readings(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Json<Vec<ReadingView>>, ApiError> {
    Ok(Json(super::readings(&state, &me, id).await?))
}
