//! Audit log API.

use abonent_store::audit::{AuditEntry, AuditFilter};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};

use super::AuditParams;
use crate::auth::CurrentStaff;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(list))
}

impl AuditParams {
    pub fn filter(self) -> AuditFilter {
        let some = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        AuditFilter {
            object_kind: some(self.object_kind),
            object_id: some(self.object_id),
            actor_login: some(self.actor_login),
            limit: self.limit.unwrap_or(200),
        }
    }
}

/// The newest audit entries matching the filter.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = [AuditEntry]), (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<AuditParams>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    Ok(Json(super::entries(&state, &me, p.filter()).await?))
}
