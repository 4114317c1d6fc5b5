//! The audit log view (ORG-05): who saw or changed whose data, when and from where.

pub mod api;
pub mod pages;

use abonent_domain::org::Permission;
use abonent_store::audit::{AuditEntry, AuditFilter};

use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::CurrentStaff;
use crate::{AppState, WebError};

/// Reads the log; reading it is itself audited.
pub async fn entries(
    state: &AppState,
    me: &CurrentStaff,
    f: AuditFilter,
) -> Result<Vec<AuditEntry>, WebError> {
    me.require_audited(state, Permission::ViewAudit, "audit_log", "")
        .await?;
    let rows = state.store.audit_entries(&f).await?;
    state
        .store
        .audit(&me.actor(), "audit.view", "audit_log", "", "")
        .await?;
    Ok(rows)
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
