//! Incident pages (CHN-05): the register with its filters, the form (with the recorder's own
//! incidents beside it) and the card.

use abonent_domain::frontoffice::incidents::{
    IncidentAction, IncidentDraft, IncidentKind, IncidentPlace,
};
use abonent_domain::validation::FieldErrors;
use abonent_store::clients::SearchHit;
use abonent_store::frontoffice::incidents::IncidentView;
use abonent_store::idempotency::IdemKey;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::{RegisterQuery, Rights};
use crate::auth::CurrentStaff;
use crate::common::clock::{company_tz, format_time};
use crate::common::forms::{opts, Opt};
use crate::common::layout::{render, Chrome};
use crate::common::tokens::random_token;
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/incidents", get(register))
        .route("/incidents/new", get(new_form).post(create))
        .route("/incidents/{id}", get(card))
}

/// One incident in a list.
struct Line {
    id: i64,
    when: String,
    kind: &'static str,
    place: String,
    staff: String,
    client: bool,
}

fn line(i: &IncidentView, tz: &jiff::tz::TimeZone) -> Line {
    Line {
        id: i.id,
        when: format_time(i.occurred_at, tz),
        kind: i.kind.label_ru(),
        place: place_text(i),
        staff: i.staff_name.clone(),
        client: i.client_id.is_some(),
    }
}

fn place_text(i: &IncidentView) -> String {
    match (i.place, &i.centre_name) {
        (IncidentPlace::Centre, Some(c)) => c.clone(),
        (IncidentPlace::Premises, _) => format!("{}: {}", i.place.label_ru(), i.address),
        _ => i.place.label_ru().to_owned(),
    }
}

fn centre_opts(centres: &[abonent_store::org::Centre]) -> Vec<Opt> {
    centres
        .iter()
        .map(|c| Opt {
            code: c.id.to_string(),
            label: c.name.clone(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "frontoffice/incidents.html")]
struct RegisterPage {
    chrome: Chrome,
    q: RegisterQuery,
    kinds: Vec<Opt>,
    centres: Vec<Opt>,
    lines: Vec<Line>,
    errors: FieldErrors,
    can_record: bool,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn register(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(mut q): Query<RegisterQuery>,
) -> Result<Response, PageError> {
    Rights::view_register(&me)?;
    q.mine = None;
    let centres = super::centres(&state, &me).await?;
    let tz = company_tz(&state).clone();
    let (lines, errors, status) = match super::list(&state, &me, &q).await {
        Ok(v) => (
            v.iter().map(|i| line(i, &tz)).collect(),
            FieldErrors::new(),
            StatusCode::OK,
        ),
        Err(WebError::Invalid(e)) => (Vec::new(), e, StatusCode::UNPROCESSABLE_ENTITY),
        Err(e) => return Err(e.into()),
    };
    let page = RegisterPage {
        chrome: Chrome::for_staff("Журнал инцидентов", &me, "incidents"),
        q,
        kinds: opts(
            IncidentKind::ALL,
            IncidentKind::code,
            IncidentKind::label_ru,
        ),
        centres: centre_opts(&centres),
        lines,
        errors,
        can_record: Rights::may_record(&me),
    };
    Ok((status, render(&page)?).into_response())
}

/// The form as typed (kept when it is refused).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct IncidentForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, rename = "_once")]
    once: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    centre_id: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    staff_id: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default)]
    outcome: String,
}

/// An id typed into a form: empty is none, anything else not a number is `0` (refused).
fn typed_id(s: &str) -> Option<i64> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.parse().unwrap_or(0))
}

impl IncidentForm {
    fn draft(&self) -> IncidentDraft {
        IncidentDraft {
            occurred_at: self.occurred_at.clone(),
            kind: self.kind.clone(),
            place: self.place.clone(),
            centre_id: self.centre_id.trim().parse().ok(),
            address: self.address.clone(),
            staff_id: typed_id(&self.staff_id),
            client_id: typed_id(&self.client_id),
            description: self.description.clone(),
            actions: self.actions.clone(),
            outcome: self.outcome.clone(),
        }
    }
}

struct Check {
    code: &'static str,
    label: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "frontoffice/incident_new.html")]
struct NewPage {
    chrome: Chrome,
    once: String,
    form: IncidentForm,
    kinds: Vec<Opt>,
    places: Vec<Opt>,
    centres: Vec<Opt>,
    staff: Vec<Opt>,
    actions: Vec<Check>,
    errors: FieldErrors,
    client_name: Option<String>,
    q: String,
    hits: Vec<SearchHit>,
    mine: Vec<Line>,
    can_register: bool,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn new_page(
    state: &AppState,
    me: &CurrentStaff,
    form: IncidentForm,
    errors: FieldErrors,
    q: String,
) -> Result<NewPage, WebError> {
    let (centres, staff) = super::form_choices(state, me).await?;
    let mut errors = errors;
    let hits = if q.trim().is_empty() {
        Vec::new()
    } else {
        match super::find_client(state, me, &q).await {
            Ok(h) => h,
            Err(WebError::Invalid(e)) => {
                errors.0.extend(e.0);
                Vec::new()
            }
            Err(e) => return Err(e),
        }
    };
    let client_name = match typed_id(&form.client_id) {
        Some(id) if id > 0 => super::chosen_client(state, me, id).await?,
        _ => None,
    };
    let tz = company_tz(state).clone();
    let mine = super::mine(state, me, 20).await?;
    Ok(NewPage {
        chrome: Chrome::for_staff("Запись инцидента", me, "incidents"),
        once: random_token(),
        kinds: opts(
            IncidentKind::ALL,
            IncidentKind::code,
            IncidentKind::label_ru,
        ),
        places: opts(
            IncidentPlace::ALL,
            IncidentPlace::code,
            IncidentPlace::label_ru,
        ),
        centres: centre_opts(&centres),
        staff: staff
            .iter()
            .map(|s| Opt {
                code: s.id.to_string(),
                label: if s.position.is_empty() {
                    s.full_name.clone()
                } else {
                    format!("{} ({})", s.full_name, s.position)
                },
            })
            .collect(),
        actions: IncidentAction::ALL
            .iter()
            .map(|a| Check {
                code: a.code(),
                label: a.label_ru(),
                checked: form.actions.iter().any(|x| x == a.code()),
            })
            .collect(),
        form,
        errors,
        client_name,
        q,
        hits,
        mine: mine.iter().map(|i| line(i, &tz)).collect(),
        can_register: Rights::may_view_register(me),
    })
}

#[derive(Deserialize, Default)]
pub struct NewParams {
    /// A client search typed on the form.
    #[serde(default)]
    q: String,
    /// The client chosen from the search.
    #[serde(default)]
    client_id: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn new_form(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<NewParams>,
) -> Result<Response, PageError> {
    Rights::record(&me)?;
    let tz = company_tz(&state);
    let form = IncidentForm {
        occurred_at: jiff::Timestamp::now()
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%dT%H:%M")
            .to_string(),
        place: if me.staff.centre_id.is_some() {
            IncidentPlace::Centre.code().into()
        } else {
            String::new()
        },
        centre_id: me
            .staff
            .centre_id
            .map(|c| c.to_string())
            .unwrap_or_default(),
        staff_id: me.staff.id.to_string(),
        client_id: p.client_id,
        ..Default::default()
    };
    let page = new_page(&state, &me, form, FieldErrors::new(), p.q).await?;
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)?).into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn create(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<IncidentForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let idem = (!f.once.is_empty()).then(|| IdemKey::new(format!("form:{}", me.staff.id), &f.once));
    match super::record(&state, &me, &f.draft(), idem).await {
        Ok(r) => Ok(Redirect::to(&format!("/incidents/{}?recorded=1", r.id)).into_response()),
        Err(WebError::Invalid(e)) => {
            let page = new_page(&state, &me, f, e, String::new()).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "frontoffice/incident_card.html")]
struct CardPage {
    chrome: Chrome,
    i: IncidentView,
    when: String,
    recorded_at: String,
    kind: &'static str,
    place: String,
    actions: Vec<&'static str>,
    client_name: Option<String>,
    recorded: bool,
    can_register: bool,
}

#[derive(Deserialize, Default)]
pub struct CardParams {
    #[serde(default)]
    recorded: Option<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn card(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(p): Query<CardParams>,
) -> Result<Response, PageError> {
    let c = super::open(&state, &me, id).await?;
    let tz = company_tz(&state);
    let i = c.incident;
    let page = CardPage {
        chrome: Chrome::for_staff(&format!("Инцидент № {id}"), &me, "incidents"),
        when: format_time(i.occurred_at, tz),
        recorded_at: format_time(i.recorded_at, tz),
        kind: i.kind.label_ru(),
        place: place_text(&i),
        actions: i.actions.iter().map(|a| a.label_ru()).collect(),
        client_name: c.client_name,
        recorded: p.recorded.is_some(),
        can_register: Rights::may_view_register(&me),
        i,
    };
    Ok(render(&page)?.into_response())
}
