//! The audit log view (ORG-05): who saw or changed whose data, when and from where.

pub mod api;
pub mod pages;

use abonent_domain::audit;
use abonent_domain::org::Permission;
use abonent_store::audit::{AuditEntry, AuditFilter};

use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::CurrentStaff;
use crate::{AppState, WebError};

/// One line of the log page, in words a person reads: the staff member's name, the action and
/// the object in Russian, a refused right by its name.
pub struct AuditLine {
    pub at: i64,
    /// «Иванова Мария Петровна (ivanova)», the login alone for someone not on the staff list.
    pub who: String,
    pub action: String,
    pub object: String,
    pub ip: String,
    pub details: String,
}

/// Reads the log for the page, in Russian; audited like [`entries`].
#[tracing::instrument(level = "debug", skip_all)]
pub async fn lines(
    state: &AppState,
    me: &CurrentStaff,
    f: AuditFilter,
) -> Result<Vec<AuditLine>, WebError> {
    let rows = entries(state, me, f).await?;
    let names: std::collections::HashMap<i64, String> = state
        .store
        .staff_list()
        .await?
        .into_iter()
        .map(|s| (s.id, s.full_name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let who = match r.actor_id.and_then(|id| names.get(&id)) {
                Some(name) if r.actor_login.is_empty() => name.clone(),
                Some(name) => format!("{name} ({})", r.actor_login),
                None => r.actor_login.clone(),
            };
            let details = match Permission::from_name(&r.details) {
                Some(p) if r.action == "access.denied" => format!("нет права: {}", p.label_ru()),
                _ => r.details,
            };
            AuditLine {
                at: r.at,
                who,
                action: audit::action_label(&r.action).to_owned(),
                object: format!(
                    "{} {}",
                    audit::object_kind_label(&r.object_kind),
                    r.object_id
                )
                .trim()
                .to_owned(),
                ip: r.ip,
                details,
            }
        })
        .collect())
}

/// Reads the log; reading it is itself audited.
#[tracing::instrument(level = "debug", skip_all)]
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
