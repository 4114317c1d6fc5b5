//! Meter and reading forms of the workspace, reached from the client's card.

use abonent_domain::metering::{zone_names, MeterDraft};
use abonent_domain::validation::FieldErrors;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::ReadingDraft;
use crate::auth::CurrentStaff;
use crate::common::clock::format_time;
use crate::common::layout::{render, Chrome};
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/accounts/{id}/meters/new",
            get(meter_form).post(meter_create),
        )
        .route(
            "/meters/{id}/readings/new",
            get(reading_form).post(reading_create),
        )
        .route("/meters/{id}/state", axum::routing::post(state_save))
        .route("/readings/review", get(review_page))
        .route("/readings/{id}/review", axum::routing::post(review_save))
}

#[derive(Template)]
#[template(path = "metering/review.html")]
struct ReviewPage {
    chrome: Chrome,
    held: Vec<abonent_store::metering::HeldReading>,
    tz: jiff::tz::TimeZone,
    errors: FieldErrors,
    /// The reading the errors are about.
    error_for: i64,
    done: bool,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn review_view(
    state: &AppState,
    me: &CurrentStaff,
    errors: FieldErrors,
    error_for: i64,
    done: bool,
) -> Result<ReviewPage, WebError> {
    let held = super::held(state, me).await?;
    Ok(ReviewPage {
        chrome: Chrome::for_staff("Показания на проверке", me, "clients"),
        held,
        tz: me.zone.clone(),
        errors,
        error_for,
        done,
    })
}

#[derive(Deserialize, Default)]
pub struct DoneParam {
    #[serde(default)]
    done: Option<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn review_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    axum::extract::Query(p): axum::extract::Query<DoneParam>,
) -> Result<Response, PageError> {
    Ok(
        render(&review_view(&state, &me, FieldErrors::new(), 0, p.done.is_some()).await?)?
            .into_response(),
    )
}

#[derive(Deserialize, Default)]
pub struct ReviewForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn review_save(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<ReviewForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let d = super::ReviewDraft {
        decision: f.decision,
        note: f.note,
    };
    match super::review_reading(&state, &me, id, &d).await {
        Ok(()) => Ok(Redirect::to("/readings/review?done=1").into_response()),
        Err(WebError::Invalid(e)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&review_view(&state, &me, e, id, false).await?)?,
        )
            .into_response()),
        Err(WebError::Conflict(m)) => Ok((
            StatusCode::CONFLICT,
            render(&review_view(&state, &me, FieldErrors::single("note", m), id, false).await?)?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct StateForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    draft: super::MeterStateDraft,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn state_save(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<StateForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match super::set_meter_state(&state, &me, id, &f.draft).await {
        Ok(()) => Ok(Redirect::to(&format!("/meters/{id}/readings/new")).into_response()),
        Err(WebError::Invalid(e)) => {
            let page =
                reading_page(&state, &me, id, String::new(), "in_person".into(), e, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "metering/meter_form.html")]
struct MeterPage {
    chrome: Chrome,
    account_id: i64,
    account_number: String,
    client_id: i64,
    form: MeterDraft,
    errors: FieldErrors,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn meter_page(
    state: &AppState,
    me: &CurrentStaff,
    account_id: i64,
    form: MeterDraft,
    errors: FieldErrors,
) -> Result<MeterPage, WebError> {
    let a = super::meter_account(state, me, account_id).await?;
    Ok(MeterPage {
        chrome: Chrome::for_staff("Новый прибор учёта", me, "clients"),
        account_id,
        account_number: a.number,
        client_id: a.client_id,
        form,
        errors,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn meter_form(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let form = MeterDraft {
        zones: "1".into(),
        digits: "5".into(),
        interval_years: "16".into(),
        ..Default::default()
    };
    Ok(render(&meter_page(&state, &me, id, form, FieldErrors::new()).await?)?.into_response())
}

#[derive(Deserialize, Default)]
pub struct MeterForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    draft: MeterDraft,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn meter_create(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<MeterForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match super::add_meter(&state, &me, id, &f.draft).await {
        Ok(_) => {
            let a = super::meter_account(&state, &me, id).await?;
            Ok(Redirect::to(&format!("/clients/{}?saved=1", a.client_id)).into_response())
        }
        Err(WebError::Invalid(e)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&meter_page(&state, &me, id, f.draft, e).await?)?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "metering/reading_form.html")]
struct ReadingPage {
    chrome: Chrome,
    meter_id: i64,
    client_id: i64,
    serial: String,
    zones: String,
    last: String,
    meter_state: String,
    removed_on: String,
    values: String,
    channel: String,
    errors: FieldErrors,
    outcome: Option<super::ReadingOutcome>,
    history: Vec<(String, String, String, String)>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn reading_page(
    state: &AppState,
    me: &CurrentStaff,
    meter_id: i64,
    values: String,
    channel: String,
    errors: FieldErrors,
    outcome: Option<super::ReadingOutcome>,
) -> Result<ReadingPage, WebError> {
    let super::MeterSheet {
        meter: m,
        account: a,
        history,
    } = super::meter_sheet(state, me, meter_id, 12).await?;
    let tz = me.zone.clone();
    let history = history
        .into_iter()
        .map(|r| {
            (
                format_time(r.received_at, &tz),
                r.reading_values,
                if r.status == "held" {
                    format!("на проверке: {}", r.note)
                } else {
                    "принято".into()
                },
                r.period,
            )
        })
        .collect();
    Ok(ReadingPage {
        chrome: Chrome::for_staff("Показания прибора учёта", me, "clients"),
        meter_id,
        client_id: a.client_id,
        serial: m.serial.clone(),
        zones: zone_names(m.zones as usize).join(", "),
        last: m.last_values.clone().unwrap_or(m.initial_values.clone()),
        meter_state: m.state.clone(),
        removed_on: m.removed_on.clone().unwrap_or_default(),
        values,
        channel,
        errors,
        outcome,
        history,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn reading_form(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let page = reading_page(
        &state,
        &me,
        id,
        String::new(),
        "in_person".into(),
        FieldErrors::new(),
        None,
    )
    .await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize, Default)]
pub struct ReadingForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    values: String,
    #[serde(default)]
    channel: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn reading_create(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<ReadingForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let draft = ReadingDraft {
        values: f.values.clone(),
        channel: f.channel.clone(),
    };
    match super::submit_reading(&state, &me, id, &draft).await {
        Ok(o) => {
            let page = reading_page(
                &state,
                &me,
                id,
                String::new(),
                f.channel,
                FieldErrors::new(),
                Some(o),
            )
            .await?;
            Ok((StatusCode::OK, render(&page)?).into_response())
        }
        Err(WebError::Invalid(e)) => {
            let page = reading_page(&state, &me, id, f.values, f.channel, e, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(WebError::Conflict(m)) => {
            let page = reading_page(
                &state,
                &me,
                id,
                f.values,
                f.channel,
                FieldErrors::single("values", m),
                None,
            )
            .await?;
            Ok((StatusCode::CONFLICT, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
