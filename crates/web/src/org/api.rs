//! Organisation API. Reading is open to every signed-in staff member (the staff directory,
//! offices, hours, the calendar); changing is for administrators.

use abonent_domain::calendar::Basis;
use abonent_domain::org::{BranchDraft, CentreDraft, StaffDraft};
use abonent_domain::validation::FieldErrors;
use abonent_store::org::{Branch, Centre, Company, Staff};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{CalendarYearDraft, CalendarYearView, CompanyDraft};
use crate::auth::CurrentStaff;
use crate::common::json::Created;
use crate::{ApiError, AppState, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/company", get(company).put(put_company))
        .route("/branches", get(branches).post(create_branch))
        .route("/branches/{id}", put(update_branch))
        .route("/centres", get(centres).post(create_centre))
        .route("/centres/{id}", put(update_centre))
        .route("/staff", get(staff).post(create_staff))
        .route("/staff/{id}", put(update_staff))
        .route("/staff/{id}/password", post(reset_password))
        .route("/calendar/deadline", get(deadline))
        .route(
            "/calendar/{year}",
            get(calendar_year).put(put_calendar_year),
        )
}

/// Company contacts and hotline hours.
#[utoipa::path(get, path = "/api/v1/company", tag = "org", responses((status = 200, body = Company)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn company(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<Company>, ApiError> {
    super::company(&state, &me)
        .await?
        .map(Json)
        .ok_or_else(|| WebError::NotFound("Данные компании не заполнены.".into()).into())
}

#[utoipa::path(put, path = "/api/v1/company", tag = "org", request_body = CompanyDraft,
    responses((status = 204), (status = 422, body = crate::common::error::ErrorBody), (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put_company(
    State(state): State<AppState>,
    me: CurrentStaff,
    Json(d): Json<CompanyDraft>,
) -> Result<StatusCode, ApiError> {
    super::save_company(&state, &me, &d).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/branches", tag = "org", responses((status = 200, body = [Branch])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn branches(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<Vec<Branch>>, ApiError> {
    Ok(Json(super::branches(&state, &me).await?))
}

#[utoipa::path(post, path = "/api/v1/branches", tag = "org", request_body = BranchDraft,
    responses((status = 201, body = Created), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_branch(
    State(state): State<AppState>,
    me: CurrentStaff,
    Json(d): Json<BranchDraft>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = super::save_branch(&state, &me, None, &d).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(put, path = "/api/v1/branches/{id}", tag = "org", request_body = BranchDraft,
    params(("id" = i64, Path, description = "branch id")),
    responses((status = 204), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_branch(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Json(d): Json<BranchDraft>,
) -> Result<StatusCode, ApiError> {
    super::save_branch(&state, &me, Some(id), &d).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/centres", tag = "org", responses((status = 200, body = [Centre])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn centres(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<Vec<Centre>>, ApiError> {
    Ok(Json(super::centres(&state, &me).await?))
}

#[utoipa::path(post, path = "/api/v1/centres", tag = "org", request_body = CentreDraft,
    responses((status = 201, body = Created), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_centre(
    State(state): State<AppState>,
    me: CurrentStaff,
    Json(d): Json<CentreDraft>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = super::save_centre(&state, &me, None, &d).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(put, path = "/api/v1/centres/{id}", tag = "org", request_body = CentreDraft,
    params(("id" = i64, Path, description = "centre id")),
    responses((status = 204), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_centre(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Json(d): Json<CentreDraft>,
) -> Result<StatusCode, ApiError> {
    super::save_centre(&state, &me, Some(id), &d).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The staff directory (ORG-02).
#[utoipa::path(get, path = "/api/v1/staff", tag = "org", responses((status = 200, body = [Staff])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn staff(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<Vec<Staff>>, ApiError> {
    Ok(Json(super::staff_list(&state, &me).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewStaff {
    #[serde(flatten)]
    pub staff: StaffDraft,
    pub password: String,
}

#[utoipa::path(post, path = "/api/v1/staff", tag = "org", request_body = NewStaff,
    responses((status = 201, body = Created), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_staff(
    State(state): State<AppState>,
    me: CurrentStaff,
    Json(d): Json<NewStaff>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = super::create_staff(&state, &me, &d.staff, &d.password).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(put, path = "/api/v1/staff/{id}", tag = "org", request_body = StaffDraft,
    params(("id" = i64, Path, description = "staff id")),
    responses((status = 204), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_staff(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Json(d): Json<StaffDraft>,
) -> Result<StatusCode, ApiError> {
    super::update_staff(&state, &me, id, &d).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewPassword {
    pub password: String,
}

/// Sets a staff member's password (their sessions end).
#[utoipa::path(post, path = "/api/v1/staff/{id}/password", tag = "org", request_body = NewPassword,
    params(("id" = i64, Path, description = "staff id")),
    responses((status = 204), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reset_password(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Json(p): Json<NewPassword>,
) -> Result<StatusCode, ApiError> {
    super::reset_password(&state, &me, id, &p.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A year of the working calendar (ORG-06).
#[utoipa::path(get, path = "/api/v1/calendar/{year}", tag = "org",
    params(("year" = i16, Path, description = "calendar year")),
    responses((status = 200, body = CalendarYearView)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn calendar_year(
    State(state): State<AppState>,
    _me: CurrentStaff,
    Path(year): Path<i16>,
) -> Result<Json<CalendarYearView>, ApiError> {
    Ok(Json(super::year_view(&state, year).await?))
}

#[utoipa::path(put, path = "/api/v1/calendar/{year}", tag = "org", request_body = CalendarYearDraft,
    params(("year" = i16, Path, description = "calendar year")),
    responses((status = 204), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put_calendar_year(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(year): Path<i16>,
    Json(d): Json<CalendarYearDraft>,
) -> Result<StatusCode, ApiError> {
    super::save_calendar_year(&state, &me, year, &d).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DeadlineParams {
    /// The start date, `YYYY-MM-DD` (e.g. the registration date of an appeal).
    pub from: String,
    /// Calendar days; 15 is the standard's norm for appeals.
    pub days: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineView {
    pub deadline: String,
    /// The non-working date the count reached, if the deadline moved.
    pub moved_from: Option<String>,
    pub official_calendar: bool,
}

/// "N calendar days from a date, moved to the next working day" (ГК РФ ст. 191, 193).
#[utoipa::path(get, path = "/api/v1/calendar/deadline", tag = "org", params(DeadlineParams),
    responses((status = 200, body = DeadlineView), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn deadline(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<DeadlineParams>,
) -> Result<Json<DeadlineView>, ApiError> {
    let mut e = FieldErrors::new();
    let from: Option<jiff::civil::Date> = p.from.parse().ok();
    if from.is_none() {
        e.add("from", "Дата пишется как ГГГГ-ММ-ДД.");
    }
    if !(0..=366).contains(&p.days) {
        e.add("days", "Число дней — от 0 до 366.");
    }
    let from = e.into_checked(from, "from")?;
    let d = super::deadline(&state, &me, from, p.days).await?;
    Ok(Json(DeadlineView {
        deadline: d.date.to_string(),
        moved_from: d.moved_from.map(|m| m.to_string()),
        official_calendar: d.basis == Basis::Official,
    }))
}
