//! Directory of competences pages (CHN-07): the staff's list with its search and, for those with
//! the right, the form; the public page «Кто решает какие вопросы».

use abonent_domain::frontoffice::competences::CompetenceDraft;
use abonent_domain::validation::FieldErrors;
use abonent_store::frontoffice::competences::Competence;
use abonent_store::idempotency::IdemKey;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::Rights;
use crate::auth::CurrentStaff;
use crate::common::forms::{CsrfForm, Opt};
use crate::common::idempotency::once;
use crate::common::layout::{render, Chrome};
use crate::common::portal_chrome::PortalChrome;
use crate::common::tokens::random_token;
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/competences", get(staff_page).post(save))
        .route("/competences/{id}/delete", post(delete))
        .route("/competences/{id}/move", post(move_entry))
        .route("/info/competences", get(public_page))
}

/// The form as typed (kept when it is refused).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CompetenceForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, rename = "_once")]
    once: String,
    /// Empty for a new entry.
    #[serde(default)]
    id: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    questions: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    staff_id: String,
    #[serde(default)]
    centre_id: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    published: Option<String>,
}

/// An id chosen in a select: empty is none, anything else not a number is `0` (refused).
fn typed_id(s: &str) -> Option<i64> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.parse().unwrap_or(0))
}

impl CompetenceForm {
    fn draft(&self) -> CompetenceDraft {
        CompetenceDraft {
            topic: self.topic.clone(),
            questions: self.questions.clone(),
            position: self.position.clone(),
            staff_id: typed_id(&self.staff_id),
            centre_id: typed_id(&self.centre_id),
            phone: self.phone.clone(),
            hours: self.hours.clone(),
            sort_order: None,
            published: self.published.is_some(),
        }
    }

    fn of(c: &Competence) -> Self {
        Self {
            id: c.id.to_string(),
            topic: c.topic.clone(),
            questions: c.questions.clone(),
            position: c.position.clone(),
            staff_id: c.staff_id.map(|v| v.to_string()).unwrap_or_default(),
            centre_id: c.centre_id.map(|v| v.to_string()).unwrap_or_default(),
            phone: c.phone.clone(),
            hours: c.hours.clone(),
            published: c.published.then(|| "yes".into()),
            ..Default::default()
        }
    }
}

#[derive(Template)]
#[template(path = "frontoffice/competences.html")]
struct StaffPage {
    chrome: Chrome,
    q: String,
    entries: Vec<Competence>,
    can_edit: bool,
    /// The form, for those who may edit.
    form: Option<CompetenceForm>,
    once: String,
    centres: Vec<Opt>,
    staff: Vec<Opt>,
    errors: FieldErrors,
    saved: bool,
}

#[derive(Deserialize, Default)]
pub struct StaffQuery {
    #[serde(default)]
    q: String,
    /// The entry to change in the form.
    #[serde(default)]
    edit: Option<i64>,
    #[serde(default)]
    saved: Option<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn staff_view(
    state: &AppState,
    me: &CurrentStaff,
    q: String,
    form: Option<CompetenceForm>,
    errors: FieldErrors,
    saved: bool,
) -> Result<StaffPage, WebError> {
    let entries = super::list(state, me, &q).await?;
    let can_edit = Rights::may_edit(me);
    let (centres, staff) = if can_edit {
        super::choices(state, me).await?
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(StaffPage {
        chrome: Chrome::for_staff("Кто решает какие вопросы", me, "competences"),
        q,
        entries,
        can_edit,
        form: if can_edit {
            Some(form.unwrap_or_else(|| CompetenceForm {
                published: Some("yes".into()),
                ..Default::default()
            }))
        } else {
            None
        },
        once: random_token(),
        centres: centres
            .iter()
            .map(|c| Opt {
                code: c.id.to_string(),
                label: c.name.clone(),
            })
            .collect(),
        staff: staff
            .iter()
            .map(|s| Opt {
                code: s.id.to_string(),
                label: format!("{} ({})", s.full_name, s.position),
            })
            .collect(),
        errors,
        saved,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn staff_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<StaffQuery>,
) -> Result<Response, PageError> {
    let form = match p.edit {
        Some(id) => Some(CompetenceForm::of(&super::entry(&state, &me, id).await?)),
        None => None,
    };
    let page = staff_view(
        &state,
        &me,
        p.q,
        form,
        FieldErrors::new(),
        p.saved.is_some(),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn save(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<CompetenceForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    Rights::edit(&me)?;
    let id = f.id.trim().parse::<i64>().ok();
    let key = (!f.once.is_empty()).then(|| IdemKey::new(format!("form:{}", me.staff.id), &f.once));
    let draft = f.draft();
    let r = once(&state, key, async {
        super::save(&state, &me, id, &draft).await
    })
    .await;
    match r {
        Ok(_) => Ok(Redirect::to("/competences?saved=1").into_response()),
        Err(WebError::Invalid(e)) => {
            let page = staff_view(&state, &me, String::new(), Some(f), e, false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn delete(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    super::delete(&state, &me, id).await?;
    Ok(Redirect::to("/competences?saved=1").into_response())
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// `up` or `down`.
    #[serde(default)]
    dir: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn move_entry(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<MoveForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    super::move_entry(&state, &me, id, f.dir == "up").await?;
    Ok(Redirect::to("/competences").into_response())
}

#[derive(Template)]
#[template(path = "frontoffice/competences_public.html")]
struct PublicPage {
    chrome: PortalChrome,
    q: String,
    entries: Vec<Competence>,
}

#[derive(Deserialize, Default)]
pub struct PublicQuery {
    #[serde(default)]
    q: String,
}

/// «Кто решает какие вопросы» on the public site: published entries only.
#[tracing::instrument(level = "debug", skip_all)]
async fn public_page(
    State(state): State<AppState>,
    Query(p): Query<PublicQuery>,
) -> Result<Response, PageError> {
    let entries = super::published(&state, &p.q).await?;
    Ok(render(&PublicPage {
        chrome: PortalChrome::public("Кто решает какие вопросы"),
        q: p.q,
        entries,
    })?
    .into_response())
}
