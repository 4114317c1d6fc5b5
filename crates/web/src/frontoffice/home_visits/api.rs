//! Home visits API (CHN-06): the lists with overdue marks, a visit's card, requests from the
//! card or by phone, the assignment, cancellation and result. Every write takes an
//! `Idempotency-Key`; a change based on an older `version` of the visit is refused with 409.

use abonent_domain::frontoffice::home_visits::{
    CancelDraft, HomeVisitDraft, ResultDraft, ScheduleDraft,
};
use abonent_store::frontoffice::home_visits::HomeVisit;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::{ListParams, Requester, VisitCard, VisitLine};
use crate::auth::CurrentStaff;
use crate::common::error::ErrorBody;
use crate::common::idempotency::{idempotency_key, once};
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/home-visits", get(list).post(create))
        .route("/home-visits/{id}", get(card))
        .route("/home-visits/{id}/schedule", post(schedule))
        .route("/home-visits/{id}/cancel", post(cancel))
        .route("/home-visits/{id}/result", post(result))
}

/// Home visits by staff member, day and status, each with its overdue mark; the open ones
/// (requested and scheduled) when no status is given.
#[utoipa::path(get, path = "/api/v1/home-visits", tag = "frontoffice", params(ListParams),
    responses((status = 200, body = [VisitLine]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<VisitLine>>, ApiError> {
    Ok(Json(super::list(&state, &me, &p).await?))
}

/// Records a request for a home visit: the client, one of their accounts (its premises are
/// visited), the reason, the days and times that suit, a contact phone, and the channel
/// (`card` or `phone`).
#[utoipa::path(post, path = "/api/v1/home-visits", tag = "frontoffice", request_body = HomeVisitDraft,
    responses((status = 201, body = HomeVisit), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Json(d): Json<HomeVisitDraft>,
) -> Result<(StatusCode, Json<HomeVisit>), ApiError> {
    let key = idempotency_key(&headers, super::scope(&me))?;
    let v = super::request(&state, Requester::Staff(&me), &d, key).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// A visit with its history and overdue mark (the opening is audited).
#[utoipa::path(get, path = "/api/v1/home-visits/{id}", tag = "frontoffice", params(("id" = i64, Path)),
    responses((status = 200, body = VisitCard), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn card(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Json<VisitCard>, ApiError> {
    Ok(Json(super::card(&state, &me, id).await?))
}

/// Assigns the day, the time window and the staff member (of the client's branch, serving
/// visitors), or moves a scheduled visit (`reason` required). The client is notified.
#[utoipa::path(post, path = "/api/v1/home-visits/{id}/schedule", tag = "frontoffice", params(("id" = i64, Path)),
    request_body = ScheduleDraft,
    responses((status = 200, body = HomeVisit), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn schedule(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(d): Json<ScheduleDraft>,
) -> Result<Json<HomeVisit>, ApiError> {
    let key = idempotency_key(&headers, super::scope(&me))?;
    Ok(Json(
        once(&state, key, super::schedule(&state, &me, id, &d)).await?,
    ))
}

/// Cancels a visit not done yet, with the reason. The client is notified.
#[utoipa::path(post, path = "/api/v1/home-visits/{id}/cancel", tag = "frontoffice", params(("id" = i64, Path)),
    request_body = CancelDraft,
    responses((status = 200, body = HomeVisit), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn cancel(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(d): Json<CancelDraft>,
) -> Result<Json<HomeVisit>, ApiError> {
    let key = idempotency_key(&headers, super::scope(&me))?;
    Ok(Json(
        once(&state, key, super::cancel(&state, &me, id, &d)).await?,
    ))
}

/// Records what the visit came to: done (what was done), client absent, refused.
#[utoipa::path(post, path = "/api/v1/home-visits/{id}/result", tag = "frontoffice", params(("id" = i64, Path)),
    request_body = ResultDraft,
    responses((status = 200, body = HomeVisit), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn result(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(d): Json<ResultDraft>,
) -> Result<Json<HomeVisit>, ApiError> {
    let key = idempotency_key(&headers, super::scope(&me))?;
    Ok(Json(
        once(&state, key, super::record_result(&state, &me, id, &d)).await?,
    ))
}
