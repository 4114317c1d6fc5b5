//! Payment points pages: the public page generated from the centres' cash desks and the points,
//! and the staff's list with the form that adds, changes and withdraws a point.

use abonent_domain::info::{payment_point_kind_label, PaymentPointDraft, PAYMENT_POINT_KINDS};
use abonent_domain::validation::FieldErrors;
use abonent_store::info::PaymentPoint;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use crate::auth::CurrentStaff;
use crate::common::forms::Opt;
use crate::common::layout::{render, Chrome};
use crate::common::portal_chrome::PortalChrome;
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/info/payment-points", get(public))
        .route("/info/payment-points/admin", get(admin).post(save))
        .route("/info/payment-points/admin/{id}/withdraw", post(withdraw))
}

/// The points of one kind, for the public page.
struct Group {
    label: &'static str,
    points: Vec<PaymentPoint>,
}

#[derive(Template)]
#[template(path = "info/payment_points.html")]
struct PublicPage {
    chrome: PortalChrome,
    centres: Vec<abonent_store::org::Centre>,
    groups: Vec<Group>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn public(State(state): State<AppState>) -> Result<Response, PageError> {
    let (mut points, centres) = super::public_points(&state).await?;
    let groups = PAYMENT_POINT_KINDS
        .iter()
        .map(|(code, label)| Group {
            label,
            points: points
                .extract_if(.., |p| p.kind == *code)
                .collect::<Vec<_>>(),
        })
        .filter(|g| !g.points.is_empty())
        .collect();
    Ok(render(&PublicPage {
        chrome: PortalChrome {
            title: "Пункты приёма платежей".into(),
            email: None,
            csrf: String::new(),
        },
        centres,
        groups,
    })?
    .into_response())
}

struct Row {
    p: PaymentPoint,
    kind: &'static str,
}

#[derive(Template)]
#[template(path = "info/payment_points_admin.html")]
struct AdminPage {
    chrome: Chrome,
    rows: Vec<Row>,
    kinds: Vec<Opt>,
    /// The point being changed; none for a new one.
    editing: Option<i64>,
    form: PaymentPointDraft,
    errors: FieldErrors,
    saved: bool,
}

#[derive(Deserialize, Default)]
pub struct AdminQuery {
    #[serde(default)]
    edit: Option<i64>,
    #[serde(default)]
    saved: Option<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn admin_view(
    state: &AppState,
    me: &CurrentStaff,
    editing: Option<i64>,
    form: Option<PaymentPointDraft>,
    errors: FieldErrors,
    saved: bool,
) -> Result<AdminPage, WebError> {
    let all = super::all_points(state, me).await?;
    let form = match (form, editing) {
        (Some(f), _) => f,
        (None, Some(id)) => {
            let p = all
                .iter()
                .find(|p| p.id == id)
                .ok_or_else(|| WebError::NotFound("Такого пункта нет.".into()))?;
            PaymentPointDraft {
                kind: p.kind.clone(),
                name: p.name.clone(),
                address: p.address.clone(),
                hours: p.hours.clone(),
                fee: p.fee.clone(),
            }
        }
        (None, None) => PaymentPointDraft::default(),
    };
    Ok(AdminPage {
        chrome: Chrome::for_staff("Пункты приёма платежей", me, "info"),
        rows: all
            .into_iter()
            .map(|p| Row {
                kind: payment_point_kind_label(&p.kind).unwrap_or("—"),
                p,
            })
            .collect(),
        kinds: PAYMENT_POINT_KINDS
            .iter()
            .map(|(c, l)| Opt {
                code: (*c).into(),
                label: (*l).into(),
            })
            .collect(),
        editing,
        form,
        errors,
        saved,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn admin(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(q): Query<AdminQuery>,
) -> Result<Response, PageError> {
    let page = admin_view(
        &state,
        &me,
        q.edit,
        None,
        FieldErrors::new(),
        q.saved.is_some(),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct PointForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// Empty for a new point.
    #[serde(default)]
    id: String,
    #[serde(flatten)]
    draft: PaymentPointDraft,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn save(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<PointForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    super::Rights::edit(&me)?;
    let id = f.id.trim().parse::<i64>().ok();
    match f.draft.validate() {
        Ok(data) => {
            super::save_point(&state, &me, id, &data).await?;
            Ok(Redirect::to("/info/payment-points/admin?saved=1").into_response())
        }
        Err(errors) => {
            let page = admin_view(&state, &me, id, Some(f.draft), errors, false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn withdraw(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<crate::common::forms::CsrfForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    super::withdraw_point(&state, &me, id).await?;
    Ok(Redirect::to("/info/payment-points/admin?saved=1").into_response())
}
