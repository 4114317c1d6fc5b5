//! Payment pages of the workspace: bank registries and the rows waiting for a person, and the
//! cashier's receipt. (The cashier's form is on the account's billing page.)

use abonent_domain::validation::FieldErrors;
use abonent_store::payments::{ImportOutcome, RegistryView, UnmatchedView};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use crate::auth::CurrentStaff;
use crate::common::clock::format_time;
use crate::common::forms::Opt;
use crate::common::layout::{money, render, ru_date, Chrome};
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/billing/registries",
            get(registries_page)
                .post(registry_upload)
                .layer(DefaultBodyLimit::max(super::MAX_REGISTRY_BYTES)),
        )
        .route("/billing/unmatched/{id}", post(unmatched_resolve))
        .route("/billing/unmatched/{id}/reject", post(unmatched_reject))
        .route("/payments/{id}/receipt", get(receipt))
}

#[derive(Template)]
#[template(path = "payments/receipt.html")]
struct ReceiptPage {
    chrome: Chrome,
    id: i64,
    company: String,
    inn: String,
    account: String,
    client_name: String,
    address: String,
    amount: String,
    paid_on: String,
    taken_at: String,
    payer: String,
    cashier: String,
    account_id: i64,
}

/// The cashier's receipt (PAY-01), to print.
#[tracing::instrument(level = "debug", skip_all)]
async fn receipt(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let r = super::receipt(&state, &me, id).await?;
    let page = ReceiptPage {
        chrome: Chrome::for_staff(&format!("Квитанция № {id}"), &me, "clients"),
        id,
        company: r.company,
        inn: r.payee_inn,
        account: r.account.number.clone(),
        client_name: r.client_name,
        address: r.account.address(),
        amount: money(r.payment.amount),
        paid_on: ru_date(&r.payment.paid_on),
        taken_at: format_time(r.payment.created_at, &me.zone),
        payer: r.payment.payer,
        cashier: me.staff.full_name.clone(),
        account_id: r.account.id,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "payments/registries.html")]
struct RegistriesPage {
    chrome: Chrome,
    banks: Vec<Opt>,
    bank: String,
    registries: Vec<RegistryView>,
    unmatched: Vec<UnmatchedView>,
    errors: FieldErrors,
    outcome: Option<ImportOutcome>,
    resolved: bool,
    tz: jiff::tz::TimeZone,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn registries_view(
    state: &AppState,
    me: &CurrentStaff,
    bank: String,
    errors: FieldErrors,
    outcome: Option<ImportOutcome>,
    resolved: bool,
) -> Result<RegistriesPage, WebError> {
    let (registries, unmatched) = super::registries(state, me).await?;
    Ok(RegistriesPage {
        chrome: Chrome::for_staff("Платёжные реестры", me, "billing"),
        banks: state
            .config
            .registry_layouts
            .iter()
            .map(|l| Opt {
                code: l.code.clone(),
                label: l.name.clone(),
            })
            .collect(),
        bank,
        registries,
        unmatched,
        errors,
        outcome,
        resolved,
        tz: me.zone.clone(),
    })
}

#[derive(Deserialize, Default)]
pub struct ResolvedParam {
    #[serde(default)]
    resolved: Option<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn registries_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<ResolvedParam>,
) -> Result<Response, PageError> {
    let page = registries_view(
        &state,
        &me,
        String::new(),
        FieldErrors::new(),
        None,
        p.resolved.is_some(),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn registry_upload(
    State(state): State<AppState>,
    me: CurrentStaff,
    mp: Multipart,
) -> Result<Response, PageError> {
    // Refused before the file is read.
    super::may_import(&me)?;
    let (csrf, bank, file_name, bytes) = match read_upload(mp).await {
        Ok(v) => v,
        Err(WebError::Invalid(e)) => {
            let page = registries_view(&state, &me, String::new(), e, None, false).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    me.check_csrf(&csrf)?;
    match super::import_registry(&state, &me, &bank, &file_name, &bytes).await {
        Ok(o) => {
            let page =
                registries_view(&state, &me, bank, FieldErrors::new(), Some(o), false).await?;
            Ok(render(&page)?.into_response())
        }
        Err(WebError::Invalid(e)) => {
            let page = registries_view(&state, &me, bank, e, None, false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The registry form's fields: CSRF token, layout, file name and bytes.
#[tracing::instrument(level = "debug", skip_all)]
async fn read_upload(mut mp: Multipart) -> Result<(String, String, String, Vec<u8>), WebError> {
    let too_big = |_| {
        WebError::from(FieldErrors::single(
            "file",
            format!(
                "Файл больше {} МБ.",
                super::MAX_REGISTRY_BYTES / 1024 / 1024
            ),
        ))
    };
    let (mut csrf, mut bank, mut file_name, mut bytes) =
        (String::new(), String::new(), String::new(), Vec::new());
    while let Some(field) = mp.next_field().await.map_err(too_big)? {
        match field.name().unwrap_or("") {
            "_csrf" => csrf = field.text().await.map_err(too_big)?,
            "bank" => bank = field.text().await.map_err(too_big)?,
            "file" => {
                file_name = field.file_name().unwrap_or("реестр").to_owned();
                bytes = field.bytes().await.map_err(too_big)?.to_vec();
            }
            _ => {}
        }
    }
    if bank.contains('\0') {
        return Err(crate::common::body::refusal("bank"));
    }
    if file_name.contains('\0') {
        return Err(crate::common::body::refusal("file"));
    }
    Ok((csrf, bank, file_name, bytes))
}

#[derive(Deserialize, Default)]
pub struct ResolveForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    account_number: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn unmatched_resolve(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match super::resolve_unmatched(&state, &me, id, &f.account_number).await {
        Ok(_) => Ok(Redirect::to("/billing/registries?resolved=1").into_response()),
        Err(WebError::Invalid(e)) => {
            let mut errors = FieldErrors::new();
            for x in e.0 {
                errors.add(&format!("u{id}"), x.detail);
            }
            let page = registries_view(&state, &me, String::new(), errors, None, false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct RejectForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    note: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn unmatched_reject(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<RejectForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    super::reject_unmatched(&state, &me, id, &f.note).await?;
    Ok(Redirect::to("/billing/registries?resolved=1").into_response())
}
