//! Front-office API (CHN-01): the kiosk and the display (authenticated as enrolled devices by
//! the `X-Abonent-Device` header), the staff's window, the journal, services and devices.
//! Every write takes an `Idempotency-Key`.

use abonent_domain::frontoffice::queue::{CallOutcome, FinishDraft, ServiceDraft, TicketRequest};
use abonent_store::frontoffice::queue::{Board, Device, QueueService, Seat, TakenTicket, Ticket};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::devices::HallDevice;
use super::{Enrolled, Journal, JournalParams};
use crate::auth::CurrentStaff;
use crate::common::error::ErrorBody;
use crate::common::idempotency::{idempotency_key, once};
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/kiosk/{centre}/services", get(kiosk_services))
        .route("/kiosk/{centre}/tickets", post(take_ticket))
        .route("/display/{centre}/board", get(board))
        .route("/queue/window", get(window))
        .route("/queue/seat", put(seat))
        .route("/queue/call-next", post(call_next))
        .route("/queue/tickets/{id}/recall", post(recall))
        .route("/queue/tickets/{id}/no-show", post(no_show))
        .route("/queue/tickets/{id}/return", post(return_ticket))
        .route("/queue/tickets/{id}/transfer", post(transfer))
        .route("/queue/tickets/{id}/finish", post(finish))
        .route("/queue/journal", get(journal))
        .route(
            "/queue/centres/{centre}/services",
            get(services).post(add_service),
        )
        .route("/queue/centres/{centre}/services/{id}", put(update_service))
        .route("/devices", get(devices).post(enrol))
        .route("/devices/{id}", delete(revoke))
}

fn scope(me: &CurrentStaff) -> String {
    format!("queue:{}", me.staff.id)
}

/// The services a kiosk gives tickets for (an enrolled kiosk of the centre).
#[utoipa::path(get, path = "/api/v1/kiosk/{centre}/services", tag = "frontoffice",
    params(("centre" = i64, Path), ("X-Abonent-Device" = String, Header, description = "The kiosk's token")),
    responses((status = 200, body = [QueueService]), (status = 403, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn kiosk_services(
    State(state): State<AppState>,
    dev: HallDevice,
    Path(centre): Path<i64>,
) -> Result<Json<Vec<QueueService>>, ApiError> {
    Ok(Json(super::kiosk(&state, &dev, centre).await?.1))
}

/// Takes a ticket at a kiosk. With `Idempotency-Key`, a double tap returns the first ticket.
#[utoipa::path(post, path = "/api/v1/kiosk/{centre}/tickets", tag = "frontoffice",
    request_body = TicketRequest,
    params(("centre" = i64, Path), ("X-Abonent-Device" = String, Header, description = "The kiosk's token")),
    responses((status = 201, body = TakenTicket), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn take_ticket(
    State(state): State<AppState>,
    dev: HallDevice,
    headers: HeaderMap,
    Path(centre): Path<i64>,
    Json(req): Json<TicketRequest>,
) -> Result<(StatusCode, Json<TakenTicket>), ApiError> {
    let key = idempotency_key(&headers, super::device_scope(&dev))?;
    let t = super::take_ticket(&state, &dev, centre, &req, key).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// What the hall display shows now (an enrolled display of the centre).
#[utoipa::path(get, path = "/api/v1/display/{centre}/board", tag = "frontoffice",
    params(("centre" = i64, Path), ("X-Abonent-Device" = String, Header, description = "The display's token")),
    responses((status = 200, body = Board), (status = 403, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn board(
    State(state): State<AppState>,
    dev: HallDevice,
    Path(centre): Path<i64>,
) -> Result<Json<Board>, ApiError> {
    Ok(Json(super::display(&state, &dev, centre).await?.1))
}

/// The staff member's window and the ticket at it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WindowState {
    pub seat: Option<Seat>,
    pub current: Option<Ticket>,
}

/// The staff member's window: seat and the ticket called to it (after a crash, the ticket is
/// still there: call it again, return it to the queue or mark a no-show).
#[utoipa::path(get, path = "/api/v1/queue/window", tag = "frontoffice",
    responses((status = 200, body = WindowState), (status = 403, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn window(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<WindowState>, ApiError> {
    let w = super::window(&state, &me, None).await?;
    Ok(Json(WindowState {
        seat: w.seat,
        current: w.current,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SeatRequest {
    pub centre_id: i64,
    /// «3», «Окно 3».
    pub window: String,
    /// The services this window calls.
    pub services: Vec<i64>,
}

/// Done; nothing to return.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Done {
    pub ok: bool,
}

/// Sits the staff member at a window of a centre, calling the given services.
#[utoipa::path(put, path = "/api/v1/queue/seat", tag = "frontoffice", request_body = SeatRequest,
    responses((status = 200, body = Done), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn seat(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Json(r): Json<SeatRequest>,
) -> Result<Json<Done>, ApiError> {
    let key = idempotency_key(&headers, scope(&me))?;
    Ok(Json(
        once(&state, key, async {
            super::take_seat(&state, &me, r.centre_id, &r.window, &r.services).await?;
            Ok(Done { ok: true })
        })
        .await?,
    ))
}

/// The ticket called, or nobody waiting.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CallResult {
    pub ticket: Option<Ticket>,
}

/// Calls the next visitor of the window's services (the most urgent service first, then the
/// earliest ticket). Two windows never get the same ticket.
#[utoipa::path(post, path = "/api/v1/queue/call-next", tag = "frontoffice",
    responses((status = 200, body = CallResult), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn call_next(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
) -> Result<Json<CallResult>, ApiError> {
    let key = idempotency_key(&headers, scope(&me))?;
    Ok(Json(
        once(&state, key, async {
            Ok(CallResult {
                ticket: super::call_next(&state, &me).await?,
            })
        })
        .await?,
    ))
}

/// Calls the staff member's ticket again.
#[utoipa::path(post, path = "/api/v1/queue/tickets/{id}/recall", tag = "frontoffice", params(("id" = i64, Path)),
    responses((status = 200, body = Ticket), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn recall(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<Ticket>, ApiError> {
    let key = idempotency_key(&headers, scope(&me))?;
    Ok(Json(
        once(&state, key, super::recall(&state, &me, id)).await?,
    ))
}

async fn release(
    state: AppState,
    me: CurrentStaff,
    headers: HeaderMap,
    id: i64,
    outcome: CallOutcome,
) -> Result<Json<Done>, ApiError> {
    let key = idempotency_key(&headers, scope(&me))?;
    Ok(Json(
        once(&state, key, async {
            super::release(&state, &me, id, outcome).await?;
            Ok(Done { ok: true })
        })
        .await?,
    ))
}

/// The visitor did not come to the window.
#[utoipa::path(post, path = "/api/v1/queue/tickets/{id}/no-show", tag = "frontoffice", params(("id" = i64, Path)),
    responses((status = 200, body = Done), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn no_show(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<Done>, ApiError> {
    release(state, me, headers, id, CallOutcome::NoShow).await
}

/// Returns the called ticket to its place in the queue (a call by mistake, a window's crash).
#[utoipa::path(post, path = "/api/v1/queue/tickets/{id}/return", tag = "frontoffice", params(("id" = i64, Path)),
    responses((status = 200, body = Done), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn return_ticket(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<Done>, ApiError> {
    release(state, me, headers, id, CallOutcome::Returned).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferRequest {
    pub service_id: i64,
}

/// Transfers the ticket to another service (to the head of sales or the branch head).
#[utoipa::path(post, path = "/api/v1/queue/tickets/{id}/transfer", tag = "frontoffice", params(("id" = i64, Path)),
    request_body = TransferRequest,
    responses((status = 200, body = Done), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn transfer(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(r): Json<TransferRequest>,
) -> Result<Json<Done>, ApiError> {
    let key = idempotency_key(&headers, scope(&me))?;
    Ok(Json(
        once(&state, key, async {
            super::transfer(&state, &me, id, r.service_id).await?;
            Ok(Done { ok: true })
        })
        .await?,
    ))
}

/// Finishes the visit with its client, topic and result.
#[utoipa::path(post, path = "/api/v1/queue/tickets/{id}/finish", tag = "frontoffice", params(("id" = i64, Path)),
    request_body = FinishDraft,
    responses((status = 200, body = Ticket), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn finish(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(d): Json<FinishDraft>,
) -> Result<Json<Ticket>, ApiError> {
    let key = idempotency_key(&headers, scope(&me))?;
    Ok(Json(
        once(&state, key, async {
            Ok(super::finish(&state, &me, id, &d).await?.0)
        })
        .await?,
    ))
}

/// The journal of visits and how the norms of reception were kept (§6.3.4).
#[utoipa::path(get, path = "/api/v1/queue/journal", tag = "frontoffice", params(JournalParams),
    responses((status = 200, body = Journal), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn journal(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<JournalParams>,
) -> Result<Json<Journal>, ApiError> {
    Ok(Json(super::journal(&state, &me, &p).await?))
}

/// The services of a centre's queue with their norms.
#[utoipa::path(get, path = "/api/v1/queue/centres/{centre}/services", tag = "frontoffice", params(("centre" = i64, Path)),
    responses((status = 200, body = [QueueService]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn services(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(centre): Path<i64>,
) -> Result<Json<Vec<QueueService>>, ApiError> {
    Ok(Json(super::services(&state, &me, centre).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Saved {
    pub id: i64,
}

/// Adds a service to a centre's queue.
#[utoipa::path(post, path = "/api/v1/queue/centres/{centre}/services", tag = "frontoffice", params(("centre" = i64, Path)),
    request_body = ServiceDraft,
    responses((status = 201, body = Saved), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_service(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(centre): Path<i64>,
    Json(d): Json<ServiceDraft>,
) -> Result<(StatusCode, Json<Saved>), ApiError> {
    let key = idempotency_key(&headers, scope(&me))?;
    let r = once(&state, key, async {
        Ok(Saved {
            id: super::save_service(&state, &me, centre, None, &d).await?,
        })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Changes a service of a centre (its name, priority, norm of reception time).
#[utoipa::path(put, path = "/api/v1/queue/centres/{centre}/services/{id}", tag = "frontoffice",
    params(("centre" = i64, Path), ("id" = i64, Path)), request_body = ServiceDraft,
    responses((status = 200, body = Saved), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_service(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path((centre, id)): Path<(i64, i64)>,
    Json(d): Json<ServiceDraft>,
) -> Result<Json<Saved>, ApiError> {
    let key = idempotency_key(&headers, scope(&me))?;
    Ok(Json(
        once(&state, key, async {
            Ok(Saved {
                id: super::save_service(&state, &me, centre, Some(id), &d).await?,
            })
        })
        .await?,
    ))
}

/// The hall's enrolled devices.
#[utoipa::path(get, path = "/api/v1/devices", tag = "frontoffice",
    responses((status = 200, body = [Device]), (status = 403, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn devices(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<Vec<Device>>, ApiError> {
    Ok(Json(super::devices(&state, &me).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EnrolRequest {
    pub centre_id: i64,
    /// `kiosk` or `display`.
    pub kind: String,
    pub name: String,
}

/// Enrols a kiosk or a display: the token is in the answer once and never again.
#[utoipa::path(post, path = "/api/v1/devices", tag = "frontoffice", request_body = EnrolRequest,
    responses((status = 201, body = Enrolled), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn enrol(
    State(state): State<AppState>,
    me: CurrentStaff,
    Json(r): Json<EnrolRequest>,
) -> Result<Response, ApiError> {
    // Not replayed by an idempotency key: the token is shown once only.
    let e = super::enrol(&state, &me, r.centre_id, &r.kind, &r.name).await?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

/// Revokes a device: its token opens nothing any more.
#[utoipa::path(delete, path = "/api/v1/devices/{id}", tag = "frontoffice", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    super::revoke(&state, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
