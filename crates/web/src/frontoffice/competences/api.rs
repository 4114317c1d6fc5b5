//! Directory of competences API (CHN-07): read by every staff member, kept by those with the
//! right; every write takes an `Idempotency-Key`.

use abonent_domain::frontoffice::competences::CompetenceDraft;
use abonent_store::frontoffice::competences::Competence;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::CurrentStaff;
use crate::common::idempotency::{idempotency_key, once};
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/competences", get(list).post(create))
        .route("/competences/{id}", put(update).delete(remove))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ListParams {
    /// Words to look for, in any form: «счётчики» finds «замена счётчика».
    #[serde(default)]
    pub q: String,
}

/// The directory in its order, unpublished entries too; `q` filters by words.
#[utoipa::path(get, path = "/api/v1/competences", tag = "frontoffice", params(ListParams),
    responses((status = 200, body = [Competence])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<Competence>>, ApiError> {
    Ok(Json(super::list(&state, &me, &p.q).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CompetenceSaved {
    pub id: i64,
}

/// Adds an entry (at the end of the list unless `sort_order` is given).
#[utoipa::path(post, path = "/api/v1/competences", tag = "frontoffice", request_body = CompetenceDraft,
    params(("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key (OPS-05)")),
    responses((status = 201, body = CompetenceSaved), (status = 422, body = crate::common::error::ErrorBody),
              (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Json(d): Json<CompetenceDraft>,
) -> Result<(StatusCode, Json<CompetenceSaved>), ApiError> {
    let key = idempotency_key(&headers, format!("competence:{}", me.staff.id))?;
    let r = once(&state, key, async {
        Ok(CompetenceSaved {
            id: super::save(&state, &me, None, &d).await?,
        })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Changes an entry; `sort_order` absent keeps its place.
#[utoipa::path(put, path = "/api/v1/competences/{id}", tag = "frontoffice", request_body = CompetenceDraft,
    params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key (OPS-05)")),
    responses((status = 200, body = CompetenceSaved), (status = 404, body = crate::common::error::ErrorBody),
              (status = 422, body = crate::common::error::ErrorBody), (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(d): Json<CompetenceDraft>,
) -> Result<Json<CompetenceSaved>, ApiError> {
    let key = idempotency_key(&headers, format!("competence:{}:{id}", me.staff.id))?;
    let r = once(&state, key, async {
        Ok(CompetenceSaved {
            id: super::save(&state, &me, Some(id), &d).await?,
        })
    })
    .await?;
    Ok(Json(r))
}

/// Deletes an entry.
#[utoipa::path(delete, path = "/api/v1/competences/{id}", tag = "frontoffice",
    params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key (OPS-05)")),
    responses((status = 204), (status = 404, body = crate::common::error::ErrorBody),
              (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn remove(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let key = idempotency_key(&headers, format!("competence:{}:{id}:delete", me.staff.id))?;
    once(&state, key, async {
        super::delete(&state, &me, id).await?;
        Ok(CompetenceSaved { id })
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
