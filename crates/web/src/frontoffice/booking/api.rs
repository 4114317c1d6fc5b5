//! Booking API: free slots, a booking taken by staff over the phone, cancellation, and the
//! kiosk's check-in with the code (an enrolled kiosk). Writes take an `Idempotency-Key`.

use abonent_domain::frontoffice::booking::BookingDraft;
use abonent_store::frontoffice::booking::Booking;
use abonent_store::frontoffice::queue::TakenTicket;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Booker, Slot};
use crate::auth::CurrentStaff;
use crate::common::error::ErrorBody;
use crate::common::idempotency::{idempotency_key, once};
use crate::frontoffice::devices::HallDevice;
use crate::{ApiError, AppState, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/queue/centres/{centre}/slots", get(slots))
        .route("/queue/bookings", post(book))
        .route("/queue/bookings/{id}/cancel", post(cancel))
        .route("/kiosk/{centre}/check-in", post(check_in))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SlotParams {
    pub service_id: i64,
    /// `YYYY-MM-DD`.
    pub day: String,
}

/// The free slots of a centre's service on a day.
#[utoipa::path(get, path = "/api/v1/queue/centres/{centre}/slots", tag = "frontoffice",
    params(("centre" = i64, Path), SlotParams),
    responses((status = 200, body = [Slot]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn slots(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(centre): Path<i64>,
    Query(p): Query<SlotParams>,
) -> Result<Json<Vec<Slot>>, ApiError> {
    crate::frontoffice::Rights::serve(&me)?;
    let day = p.day.trim().parse::<jiff::civil::Date>().map_err(|_| {
        WebError::Invalid(abonent_domain::validation::FieldErrors::single(
            "day",
            "Дата в виде ГГГГ-ММ-ДД.",
        ))
    })?;
    Ok(Json(
        super::free_slots(&state, centre, p.service_id, day).await?,
    ))
}

/// Books a visit for a caller (by phone). The slot's last seat goes to exactly one booking.
#[utoipa::path(post, path = "/api/v1/queue/bookings", tag = "frontoffice", request_body = BookingDraft,
    responses((status = 201, body = Booking), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn book(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Json(d): Json<BookingDraft>,
) -> Result<(StatusCode, Json<Booking>), ApiError> {
    let key = idempotency_key(&headers, format!("booking:{}", me.staff.id))?;
    let b = once(&state, key, super::book(&state, Booker::Staff(&me), &d)).await?;
    Ok((StatusCode::CREATED, Json(b)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Cancelled {
    pub id: i64,
}

/// Cancels a booking; its seat is free again.
#[utoipa::path(post, path = "/api/v1/queue/bookings/{id}/cancel", tag = "frontoffice", params(("id" = i64, Path)),
    responses((status = 200, body = Cancelled), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn cancel(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<Cancelled>, ApiError> {
    let key = idempotency_key(&headers, format!("booking:{}", me.staff.id))?;
    Ok(Json(
        once(&state, key, async {
            super::cancel(&state, Booker::Staff(&me), id).await?;
            Ok(Cancelled { id })
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckIn {
    /// The code of the booking's confirmation.
    pub code: String,
}

/// A booked visitor checks in at the kiosk: a ticket placed at the slot's time.
#[utoipa::path(post, path = "/api/v1/kiosk/{centre}/check-in", tag = "frontoffice", request_body = CheckIn,
    params(("centre" = i64, Path), ("X-Abonent-Device" = String, Header, description = "The kiosk's token")),
    responses((status = 201, body = TakenTicket), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_in(
    State(state): State<AppState>,
    dev: HallDevice,
    headers: HeaderMap,
    Path(centre): Path<i64>,
    Json(c): Json<CheckIn>,
) -> Result<(StatusCode, Json<TakenTicket>), ApiError> {
    let key = idempotency_key(&headers, crate::frontoffice::device_scope(&dev))?;
    let t = once(&state, key, super::check_in(&state, &dev, centre, &c.code)).await?;
    Ok((StatusCode::CREATED, Json(t)))
}
