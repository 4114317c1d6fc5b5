//! Billing API: tariffs, norms, settings, invoices, balance, payments, registries, restriction.

use abonent_domain::restriction::DeliveryDraft;
use abonent_domain::tariffs::{Norm, Tariff, TariffDraft};
use abonent_store::billing::{Balance, BillingSettings, InvoiceRow, LineRow, PeriodRow};
use abonent_store::outbox::OutboxView;
use abonent_store::restriction::{RestrictionCase, WarningDelivery};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{InvoiceMailDraft, StepDraft};
use crate::auth::CurrentStaff;
use crate::common::idempotency::{idempotency_key, once};
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tariffs", get(tariffs).post(save_tariff))
        .route("/public/tariffs", get(public_tariffs))
        .route("/norms", get(norms))
        .route("/norms/{category}", put(save_norms))
        .route("/billing/settings", get(settings).put(save_settings))
        .route("/billing/periods", get(periods))
        .route("/accounts/{id}/balance", get(balance))
        .route("/accounts/{id}/invoices", get(invoices))
        .route("/accounts/{id}/invoices/{period}", get(invoice))
        .route("/accounts/{id}/invoices/{period}/email", post(mail_invoice))
        .route("/accounts/{id}/messages", get(messages))
        .route("/restrictions", get(restrictions))
        .route("/restrictions/{id}/steps", post(step))
        .route(
            "/restrictions/{id}/deliveries",
            get(deliveries).post(record_delivery),
        )
}

/// Tariffs by period and category, newest first (BIL-01).
#[utoipa::path(get, path = "/api/v1/tariffs", tag = "billing", responses((status = 200, body = [Tariff])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn tariffs(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<Vec<Tariff>>, ApiError> {
    Ok(Json(super::tariffs(&state, &me).await?))
}

/// The tariffs in force and coming, for the public «Тарифы» page of the portal (no sign-in).
#[utoipa::path(get, path = "/api/v1/public/tariffs", tag = "billing", responses((status = 200, body = [Tariff])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_tariffs(State(state): State<AppState>) -> Result<Json<Vec<Tariff>>, ApiError> {
    Ok(Json(super::public_tariffs(&state).await?))
}

/// Adds or replaces the tariff of a category from a period; periods already billed are refused.
#[utoipa::path(post, path = "/api/v1/tariffs", tag = "billing", request_body = TariffDraft,
    responses((status = 201, body = Tariff), (status = 422, body = crate::common::error::ErrorBody), (status = 409, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save_tariff(
    State(state): State<AppState>,
    me: CurrentStaff,
    Json(d): Json<TariffDraft>,
) -> Result<(StatusCode, Json<Tariff>), ApiError> {
    let t = super::save_tariff(&state, &me, &d).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Consumption norms per category, rooms and residents (BIL-02), Wh per resident and month.
#[utoipa::path(get, path = "/api/v1/norms", tag = "billing", responses((status = 200, body = [Norm])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn norms(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<Vec<Norm>>, ApiError> {
    Ok(Json(super::norms(&state, &me).await?))
}

/// One cell of the norm table as typed.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NormCell {
    pub rooms: i64,
    pub residents: i64,
    /// kWh per resident and month: «143» or «142,5».
    pub kwh: String,
}

/// Replaces the norms of a category: every rooms (1…4) × residents (1…5) cell.
#[utoipa::path(put, path = "/api/v1/norms/{category}", tag = "billing", request_body = Vec<NormCell>,
    params(("category" = String, Path)),
    responses((status = 204), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save_norms(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(category): Path<String>,
    Json(cells): Json<Vec<NormCell>>,
) -> Result<StatusCode, ApiError> {
    super::save_norms(
        &state,
        &me,
        &category,
        cells.iter().map(|c| (c.rooms, c.residents, c.kwh.as_str())),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/billing/settings", tag = "billing", responses((status = 200, body = BillingSettings)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn settings(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<BillingSettings>, ApiError> {
    Ok(Json(super::settings(&state, &me).await?))
}

/// Due day, key rate and its cap, warning term, payee requisites (checked as the QR needs them).
#[utoipa::path(put, path = "/api/v1/billing/settings", tag = "billing", request_body = BillingSettings,
    responses((status = 204), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save_settings(
    State(state): State<AppState>,
    me: CurrentStaff,
    Json(s): Json<BillingSettings>,
) -> Result<StatusCode, ApiError> {
    super::save_settings(&state, &me, &s).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Billing periods: running or closed, with totals.
#[utoipa::path(get, path = "/api/v1/billing/periods", tag = "billing", responses((status = 200, body = [PeriodRow])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn periods(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<Vec<PeriodRow>>, ApiError> {
    Ok(Json(super::periods(&state, &me).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DateParam {
    /// `YYYY-MM-DD`; today when absent.
    #[serde(default)]
    pub date: String,
}

/// Balance and debt past due of an account at the end of a date (PAY-02).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/balance", tag = "billing",
    params(("id" = i64, Path), DateParam), responses((status = 200, body = Balance)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn balance(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(p): Query<DateParam>,
) -> Result<Json<Balance>, ApiError> {
    Ok(Json(super::balance(&state, &me, id, &p.date).await?))
}

/// The account's invoices, newest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/invoices", tag = "billing",
    params(("id" = i64, Path)), responses((status = 200, body = [InvoiceRow])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn invoices(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Json<Vec<InvoiceRow>>, ApiError> {
    Ok(Json(super::invoices(&state, &me, id).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceBody {
    pub invoice: InvoiceRow,
    pub lines: Vec<LineRow>,
}

/// One invoice with its lines (each with the rule and clause that produced it).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/invoices/{period}", tag = "billing",
    params(("id" = i64, Path), ("period" = String, Path)), responses((status = 200, body = InvoiceBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn invoice(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((id, period)): Path<(i64, String)>,
) -> Result<Json<InvoiceBody>, ApiError> {
    let (invoice, lines) = super::invoice(&state, &me, id, &period).await?;
    Ok(Json(InvoiceBody { invoice, lines }))
}

/// Sends a copy of the invoice by e-mail (to the client's address when `to` is empty): the letter
/// is queued in the outbox with the PDF to be attached and sent by the worker; its status is in
/// `GET /api/v1/accounts/{id}/messages`. `Idempotency-Key` makes a retry queue nothing twice.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/invoices/{period}/email", tag = "billing",
    params(("id" = i64, Path), ("period" = String, Path)), request_body = InvoiceMailDraft,
    responses((status = 202, body = OutboxView), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mail_invoice(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path((id, period)): Path<(i64, String)>,
    Json(d): Json<InvoiceMailDraft>,
) -> Result<(StatusCode, Json<OutboxView>), ApiError> {
    let key = idempotency_key(&headers, format!("invoice-mail:{}", me.staff.id))?;
    let r = once(&state, key, async {
        super::queue_invoice_mail(&state, &me, id, &period, &d).await
    })
    .await?;
    Ok((StatusCode::ACCEPTED, Json(r)))
}

/// Messages to the account's client (invoices by e-mail, …) with their delivery status, newest
/// first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/messages", tag = "billing",
    params(("id" = i64, Path)), responses((status = 200, body = [OutboxView])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn messages(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Json<Vec<OutboxView>>, ApiError> {
    Ok(Json(super::messages(&state, &me, id).await?))
}

/// Open restriction cases (PAY-04), newest first.
#[utoipa::path(get, path = "/api/v1/restrictions", tag = "billing", responses((status = 200, body = [RestrictionCase])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn restrictions(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<Vec<RestrictionCase>>, ApiError> {
    Ok(Json(super::restrictions(&state, &me).await?))
}

/// Records the next step of a case: restriction after the warning's term with the debt unpaid,
/// suspension, reconnection or closing once repaid.
#[utoipa::path(post, path = "/api/v1/restrictions/{id}/steps", tag = "billing", request_body = StepDraft,
    params(("id" = i64, Path)),
    responses((status = 204), (status = 409, body = crate::common::error::ErrorBody), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn step(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Json(d): Json<StepDraft>,
) -> Result<StatusCode, ApiError> {
    super::restriction_step(&state, &me, id, &d).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The records of how a case's warning reached the client (ПП 354 п. 119), in the order entered.
#[utoipa::path(get, path = "/api/v1/restrictions/{id}/deliveries", tag = "billing",
    params(("id" = i64, Path)),
    responses((status = 200, body = [WarningDelivery]), (status = 404, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn deliveries(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Json<Vec<WarningDelivery>>, ApiError> {
    Ok(Json(super::deliveries(&state, &me, id).await?))
}

/// The id of a record of delivery.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryRecorded {
    pub id: i64,
}

/// Records how a case's warning reached the client: `invoice` or `signature` (the day and who
/// handed it over), `letter` (РПО, the day posted, the receipt's day once it is back — the same
/// РПО again adds the receipt), `call` (when, who, the number, a note). The warning's term runs
/// from the first delivery; the restriction is possible after it.
#[utoipa::path(post, path = "/api/v1/restrictions/{id}/deliveries", tag = "billing", request_body = DeliveryDraft,
    params(("id" = i64, Path)),
    responses((status = 201, body = DeliveryRecorded), (status = 403, body = crate::common::error::ErrorBody),
        (status = 409, body = crate::common::error::ErrorBody), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_delivery(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Json(d): Json<DeliveryDraft>,
) -> Result<(StatusCode, Json<DeliveryRecorded>), ApiError> {
    let id = super::restriction::record_delivery(&state, &me, id, &d).await?;
    Ok((StatusCode::CREATED, Json(DeliveryRecorded { id })))
}
