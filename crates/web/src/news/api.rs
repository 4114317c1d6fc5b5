//! News API (§10.2, NTF-02): the public list, publishing and withdrawing.

use abonent_domain::news::NewsDraft;
use abonent_store::news::News;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::PageQuery;
use crate::auth::CurrentStaff;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/public/news", get(api_public))
        .route("/news", post(api_publish))
        .route("/news/{id}/withdraw", post(api_withdraw))
}

/// Published announcements, newest first (20 per page).
#[utoipa::path(get, path = "/api/v1/public/news", tag = "news",
    params(("page" = Option<i64>, Query)), responses((status = 200, body = [News])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn api_public(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Vec<News>>, ApiError> {
    Ok(Json(super::public_news(&state, q.number()).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Published {
    pub id: i64,
}

/// Publishes an announcement to everyone or to a district (`branch_id`, `settlement`); with
/// `notify`, every client concerned gets it by their channel (job `news.notify`).
#[utoipa::path(post, path = "/api/v1/news", tag = "news", request_body = NewsDraft,
    responses((status = 201, body = Published), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn api_publish(
    State(state): State<AppState>,
    me: CurrentStaff,
    Json(d): Json<NewsDraft>,
) -> Result<(StatusCode, Json<Published>), ApiError> {
    let id = super::publish(&state, &me, &d).await?;
    Ok((StatusCode::CREATED, Json(Published { id })))
}

/// Takes an announcement off the site and the personal accounts; its messages not yet sent are
/// not sent.
#[utoipa::path(post, path = "/api/v1/news/{id}/withdraw", tag = "news",
    params(("id" = i64, Path)), responses((status = 204), (status = 404, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn api_withdraw(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    super::withdraw(&state, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
