//! Meters and readings API.

use abonent_domain::metering::MeterDraft;
use abonent_domain::org::Permission;
use abonent_store::metering::{MeterView, ReadingView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ReadingDraft, ReadingOutcome};
use crate::auth::CurrentStaff;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/meters", get(meters).post(add_meter))
        .route("/meters/{id}/readings", get(readings))
        .route("/meters/{id}/readings", post(submit))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeterCreated {
    pub id: i64,
}

/// Registers a meter on an account (MTR-01).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/meters", tag = "metering", request_body = MeterDraft,
    params(("id" = i64, Path, description = "account id")),
    responses((status = 201, body = MeterCreated), (status = 422, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
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
pub async fn meters(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Json<Vec<MeterView>>, ApiError> {
    me.require(Permission::ViewClients)?;
    Ok(Json(state.store.meters_of_account(id).await?))
}

/// Enters a reading received in person or by phone (MTR-02, MTR-03): refused below the previous
/// one (unless the register rolled over), held for review when implausible.
#[utoipa::path(post, path = "/api/v1/meters/{id}/readings", tag = "metering", request_body = ReadingDraft,
    params(("id" = i64, Path, description = "meter id")),
    responses((status = 201, body = ReadingOutcome), (status = 422, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody)))]
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
pub async fn readings(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Json<Vec<ReadingView>>, ApiError> {
    me.require(Permission::ViewClients)?;
    state.store.meter(id).await?;
    Ok(Json(state.store.readings_of_meter(id, 100).await?))
}
