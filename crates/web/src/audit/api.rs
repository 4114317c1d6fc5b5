//! Audit log API.

use abonent_store::audit::{AuditEntry, AuditFilter};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::CurrentStaff;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(list))
}

#[derive(Debug, Deserialize, IntoParams, Default)]
pub struct AuditParams {
    /// `client`, `staff`, `client_search`, …
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    pub actor_login: Option<String>,
    /// At most 1000; 200 by default.
    pub limit: Option<i64>,
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
    responses((status = 200, body = [AuditEntry]), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<AuditParams>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    Ok(Json(super::entries(&state, &me, p.filter()).await?))
}
