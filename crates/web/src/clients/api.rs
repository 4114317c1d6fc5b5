//! Clients API: search, card, create, update.

use abonent_domain::clients::ClientDraft;
use abonent_store::clients::SearchHit;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ClientCard, ClientExport};
use crate::auth::CurrentStaff;
use crate::common::json::Created;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/clients", get(search).post(create))
        .route("/clients/{id}", get(card).put(update))
        .route("/clients/{id}/export", get(export))
        .route("/clients/{id}/accounts", axum::routing::post(open_account))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// Account number, surname (and name) prefix, address or phone.
    pub q: String,
}

/// Finds clients by account number, name, address or phone (ACC-04).
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", params(SearchParams),
    responses((status = 200, body = [SearchHit]), (status = 422, body = crate::common::error::ErrorBody),
              (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn search(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<SearchParams>,
) -> Result<Json<Vec<SearchHit>>, ApiError> {
    Ok(Json(super::search(&state, &me, &p.q).await?))
}

/// A client's card; the view is written to the audit log.
#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients",
    params(("id" = i64, Path, description = "client id")),
    responses((status = 200, body = ClientCard), (status = 404, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn card(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Json<ClientCard>, ApiError> {
    Ok(Json(super::open_card(&state, &me, id).await?))
}

/// Registers a client.
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = ClientDraft,
    responses((status = 201, body = Created), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    State(state): State<AppState>,
    me: CurrentStaff,
    Json(d): Json<ClientDraft>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = super::create(&state, &me, &d).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ClientUpdate {
    /// The `version` the change is based on; a newer stored version refuses the change (409).
    pub version: i64,
    #[serde(flatten)]
    pub client: ClientDraft,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Updated {
    pub version: i64,
}

/// Changes a client's data.
#[utoipa::path(put, path = "/api/v1/clients/{id}", tag = "clients", request_body = ClientUpdate,
    params(("id" = i64, Path, description = "client id")),
    responses((status = 200, body = Updated), (status = 409, body = crate::common::error::ErrorBody),
              (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Json(u): Json<ClientUpdate>,
) -> Result<Json<Updated>, ApiError> {
    let version = super::update(&state, &me, id, u.version, &u.client).await?;
    Ok(Json(Updated { version }))
}

/// Everything stored about a client, with the log of who accessed it (152-ФЗ ст. 14).
#[utoipa::path(get, path = "/api/v1/clients/{id}/export", tag = "clients",
    params(("id" = i64, Path, description = "client id")),
    responses((status = 200, body = ClientExport), (status = 404, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn export(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Json<ClientExport>, ApiError> {
    Ok(Json(super::export(&state, &me, id).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountOpened {
    pub id: i64,
    /// The new account number (10 digits with a check digit).
    pub number: String,
}

/// Opens an account (лицевой счёт) for the client, with its premises and a typical contract.
#[utoipa::path(post, path = "/api/v1/clients/{id}/accounts", tag = "clients",
    request_body = abonent_domain::accounts::AccountDraft,
    params(("id" = i64, Path, description = "client id")),
    responses((status = 201, body = AccountOpened), (status = 422, body = crate::common::error::ErrorBody),
              (status = 404, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn open_account(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Json(d): Json<abonent_domain::accounts::AccountDraft>,
) -> Result<(StatusCode, Json<AccountOpened>), ApiError> {
    let (account_id, number) = super::open_account(&state, &me, id, &d).await?;
    Ok((
        StatusCode::CREATED,
        Json(AccountOpened {
            id: account_id,
            number,
        }),
    ))
}
