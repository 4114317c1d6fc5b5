//! Notice templates API (NTF-03).

use abonent_store::notices::NoticeTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};

use super::TemplateDraft;
use crate::auth::CurrentStaff;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notices/templates", get(list))
        .route("/notices/templates/{kind}/{channel}", put(save))
}

/// The templates of every notice and channel.
#[utoipa::path(get, path = "/api/v1/notices/templates", tag = "notices",
    responses((status = 200, body = [NoticeTemplate])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<Vec<NoticeTemplate>>, ApiError> {
    Ok(Json(super::templates(&state, &me).await?))
}

/// Changes the template of a notice for a channel; placeholders are `{account}`, `{amount}`,
/// `{due_date}`, `{period}`, `{hotline}` as the kind allows.
#[utoipa::path(put, path = "/api/v1/notices/templates/{kind}/{channel}", tag = "notices",
    params(("kind" = String, Path), ("channel" = String, Path)), request_body = TemplateDraft,
    responses((status = 204), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((kind_code, channel)): Path<(String, String)>,
    Json(d): Json<TemplateDraft>,
) -> Result<StatusCode, ApiError> {
    super::save_template(&state, &me, &kind_code, &channel, &d).await?;
    Ok(StatusCode::NO_CONTENT)
}
