//! Sign-in for API clients: a bearer token for the same kind of session as the pages use.

use abonent_store::org::Staff;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{sign_in, ClientIp, CurrentStaff, SignIn};
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/session", post(create_session).delete(delete_session))
        .route("/me", get(me))
        .route("/me/password", post(change_password))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Credentials {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionCreated {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Needed only when the session cookie is used instead of the bearer token.
    pub csrf_token: String,
    pub staff: Staff,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub staff: Staff,
    pub role_label: String,
    pub permissions: Vec<String>,
}

/// Signs in and returns a bearer token.
#[utoipa::path(post, path = "/api/v1/session", tag = "auth", request_body = Credentials,
    responses((status = 201, body = SessionCreated), (status = 401, body = crate::common::error::ErrorBody),
              (status = 429, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_session(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(c): Json<Credentials>,
) -> Result<(StatusCode, Json<SessionCreated>), ApiError> {
    match sign_in(&state, &c.login, &c.password, &ip).await? {
        SignIn::Ok { staff, token, csrf } => Ok((
            StatusCode::CREATED,
            Json(SessionCreated {
                token,
                csrf_token: csrf,
                staff: *staff,
            }),
        )),
        SignIn::Refused(e) => Err(e.into()),
    }
}

/// Ends the current session.
#[utoipa::path(delete, path = "/api/v1/session", tag = "auth", responses((status = 204)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_session(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<StatusCode, ApiError> {
    super::end_session(&state, &me).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is signed in and what they may do.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn me(me: CurrentStaff) -> Json<Me> {
    let permissions = super::permission_names(&me);
    Json(Me {
        role_label: me.role.label_ru().to_owned(),
        staff: me.staff,
        permissions,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Changes one's own password; every session of this staff member ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn change_password(
    State(state): State<AppState>,
    me: CurrentStaff,
    Json(p): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    super::apply_password_change(
        &state,
        &me,
        &p.current_password,
        &p.new_password,
        &p.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
