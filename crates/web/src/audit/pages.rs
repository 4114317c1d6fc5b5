//! Audit log page.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::{AuditLine, AuditParams};
use crate::auth::CurrentStaff;
use crate::common::clock::format_time;
use crate::common::layout::{render, Chrome};
use crate::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(page))
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    chrome: Chrome,
    object_kind: String,
    object_id: String,
    actor_login: String,
    rows: Vec<(String, AuditLine)>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<AuditParams>,
) -> Result<Response, PageError> {
    let (object_kind, object_id, actor_login) = (
        p.object_kind.clone().unwrap_or_default(),
        p.object_id.clone().unwrap_or_default(),
        p.actor_login.clone().unwrap_or_default(),
    );
    let rows = super::lines(&state, &me, p.filter()).await?;
    Ok(render(&AuditPage {
        chrome: Chrome::for_staff("Журнал доступа к персональным данным", &me, "audit"),
        object_kind,
        object_id,
        actor_login,
        rows: rows
            .into_iter()
            .map(|r| (format_time(r.at, &me.zone), r))
            .collect(),
    })?
    .into_response())
}
