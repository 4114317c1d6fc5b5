//! The append-only audit log (ORG-05, 152-ФЗ): every view and change of a client's personal data,
//! sign-ins, refusals. The tables refuse UPDATE and DELETE by trigger on both engines.

use serde::Serialize;
use sqlx::FromRow;

use crate::{cut, now_micros, Result, Store, MAX_LOGIN_CHARS};

/// Who did it, from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub staff_id: Option<i64>,
    pub login: String,
    pub ip: String,
}

#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_login: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    pub ip: String,
    pub details: String,
}

/// Filters for the audit log view.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    pub actor_login: Option<String>,
    pub limit: i64,
}

impl Store {
    /// Appends one entry. Callers that change data write the entry in the same transaction via
    /// [`audit_in`](crate::audit::audit_in).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn audit(
        &self,
        actor: &Actor,
        action: &str,
        object_kind: &str,
        object_id: &str,
        details: &str,
    ) -> Result<()> {
        let mut conn = self.pool().acquire().await?;
        audit_in(&mut conn, actor, action, object_kind, object_id, details).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn audit_entries(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let limit = if f.limit <= 0 { 200 } else { f.limit.min(1000) };
        Ok(sqlx::query_as(
            "SELECT id, at, actor_id, actor_login, action, object_kind, object_id, ip, details
             FROM audit_log
             WHERE ($1 = '' OR object_kind = $1) AND ($2 = '' OR object_id = $2) AND ($3 = '' OR actor_login = $3)
             ORDER BY at DESC, id DESC LIMIT $4",
        )
        .bind(f.object_kind.clone().unwrap_or_default())
        .bind(f.object_id.clone().unwrap_or_default())
        .bind(f.actor_login.clone().unwrap_or_default())
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}

/// Appends an audit entry on the given connection or transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn audit_in(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    action: &str,
    object_kind: &str,
    object_id: &str,
    details: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor_login, action, object_kind, object_id, ip, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(now_micros())
    .bind(actor.staff_id)
    .bind(cut(&actor.login, MAX_LOGIN_CHARS))
    .bind(action)
    .bind(object_kind)
    .bind(cut(object_id, MAX_LOGIN_CHARS))
    .bind(cut(&actor.ip, MAX_LOGIN_CHARS))
    .bind(details)
    .execute(conn)
    .await?;
    Ok(())
}
