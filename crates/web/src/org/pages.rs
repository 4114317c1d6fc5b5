//! Administration pages: company, branches, centres, staff, working calendar.

use abonent_domain::calendar::{format_year_text, Basis};
use abonent_domain::org::{BranchDraft, CentreDraft, Role, StaffDraft};
use abonent_domain::validation::FieldErrors;
use abonent_store::org::{Branch, Centre, Staff};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::{year_view, CalendarYearView, Rights};
use super::{CalendarYearDraft, CompanyDraft};
use crate::auth::CurrentStaff;
use crate::common::forms::form_outcome;
use crate::common::layout::{render, Chrome};
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/company", get(company_form).post(company_save))
        .route("/admin/branches/new", get(branch_new).post(branch_create))
        .route("/admin/branches/{id}", get(branch_edit).post(branch_update))
        .route("/admin/centres/new", get(centre_new).post(centre_create))
        .route("/admin/centres/{id}", get(centre_edit).post(centre_update))
        .route("/admin/staff/new", get(staff_new).post(staff_create))
        .route("/admin/staff/{id}", get(staff_edit).post(staff_update))
        .route("/admin/staff/{id}/password", post(staff_password))
        .route("/admin/calendar", get(calendar_current))
        .route(
            "/admin/calendar/{year}",
            get(calendar_page).post(calendar_save),
        )
        .route("/admin/calendar/{year}/day", post(calendar_day))
}

fn admin(me: &CurrentStaff) -> Result<(), PageError> {
    Rights::administer(me)?;
    Ok(())
}

// ---- index ----

#[derive(Template)]
#[template(path = "org/index.html")]
struct IndexPage {
    chrome: Chrome,
    company: Option<abonent_store::org::Company>,
    branches: Vec<Branch>,
    centres: Vec<Centre>,
    staff: Vec<Staff>,
    years: Vec<i16>,
    may_configure_appeals: bool,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn index(State(state): State<AppState>, me: CurrentStaff) -> Result<Response, PageError> {
    admin(&me)?;
    let o = super::overview(&state, &me).await?;
    Ok(render(&IndexPage {
        chrome: Chrome::for_staff("Администрирование", &me, "admin"),
        company: o.company,
        branches: o.branches,
        centres: o.centres,
        staff: o.staff,
        years: o.years,
        may_configure_appeals: Rights::may_configure_appeals(&me),
    })?
    .into_response())
}

// ---- company ----

#[derive(Template)]
#[template(path = "org/company.html")]
struct CompanyPage {
    chrome: Chrome,
    form: CompanyDraft,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct CompanyForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    company: CompanyDraft,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn company_form(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Response, PageError> {
    admin(&me)?;
    let form = super::company_draft(&state, &me).await?;
    Ok(render(&CompanyPage {
        chrome: Chrome::for_staff("Компания", &me, "admin"),
        form,
        errors: FieldErrors::new(),
    })?
    .into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn company_save(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<CompanyForm>,
) -> Result<Response, PageError> {
    admin(&me)?;
    me.check_csrf(&f.csrf)?;
    let r = super::save_company(&state, &me, &f.company).await;
    form_outcome(
        "name",
        r,
        |_| "/admin".into(),
        |errors| {
            render(&CompanyPage {
                chrome: Chrome::for_staff("Компания", &me, "admin"),
                form: f.company.clone(),
                errors,
            })
        },
    )
}

// ---- branches ----

#[derive(Template)]
#[template(path = "org/branch.html")]
struct BranchPage {
    chrome: Chrome,
    action: String,
    form: BranchDraft,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct BranchForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    branch: BranchDraft,
}

fn branch_page(
    me: &CurrentStaff,
    id: Option<i64>,
    form: BranchDraft,
    errors: FieldErrors,
) -> BranchPage {
    BranchPage {
        chrome: Chrome::for_staff(
            if id.is_some() {
                "Отделение"
            } else {
                "Новое отделение"
            },
            me,
            "admin",
        ),
        action: id.map_or("/admin/branches/new".into(), |i| {
            format!("/admin/branches/{i}")
        }),
        form,
        errors,
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn branch_new(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Response, PageError> {
    admin(&me)?;
    let form = BranchDraft {
        time_zone: state
            .config
            .time_zone
            .iana_name()
            .unwrap_or_default()
            .to_owned(),
        ..Default::default()
    };
    Ok(render(&branch_page(&me, None, form, FieldErrors::new()))?.into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn branch_edit(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    admin(&me)?;
    let form = super::branch_draft(&state, &me, id).await?;
    Ok(render(&branch_page(&me, Some(id), form, FieldErrors::new()))?.into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn branch_create(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<BranchForm>,
) -> Result<Response, PageError> {
    admin(&me)?;
    me.check_csrf(&f.csrf)?;
    let r = super::save_branch(&state, &me, None, &f.branch).await;
    form_outcome(
        "name",
        r,
        |_| "/admin".into(),
        |e| render(&branch_page(&me, None, f.branch.clone(), e)),
    )
}

#[tracing::instrument(level = "debug", skip_all)]
async fn branch_update(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<BranchForm>,
) -> Result<Response, PageError> {
    admin(&me)?;
    me.check_csrf(&f.csrf)?;
    let r = super::save_branch(&state, &me, Some(id), &f.branch).await;
    form_outcome(
        "name",
        r,
        |_| "/admin".into(),
        |e| render(&branch_page(&me, Some(id), f.branch.clone(), e)),
    )
}

// ---- centres ----

#[derive(Template)]
#[template(path = "org/centre.html")]
struct CentrePage {
    chrome: Chrome,
    action: String,
    form: CentreDraft,
    branches: Vec<Branch>,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct CentreForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    centre: CentreDraft,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn centre_page(
    state: &AppState,
    me: &CurrentStaff,
    id: Option<i64>,
    form: CentreDraft,
    errors: FieldErrors,
) -> Result<axum::response::Html<String>, PageError> {
    render(&CentrePage {
        chrome: Chrome::for_staff(
            if id.is_some() {
                "Центр обслуживания"
            } else {
                "Новый центр обслуживания"
            },
            me,
            "admin",
        ),
        action: id.map_or("/admin/centres/new".into(), |i| {
            format!("/admin/centres/{i}")
        }),
        form,
        branches: super::branches(state, me).await?,
        errors,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn centre_new(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Response, PageError> {
    admin(&me)?;
    let form = CentreDraft {
        opening_hours: abonent_store::seed::STANDARD_HOURS.into(),
        ..Default::default()
    };
    Ok(centre_page(&state, &me, None, form, FieldErrors::new())
        .await?
        .into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn centre_edit(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    admin(&me)?;
    let form = super::centre_draft(&state, &me, id).await?;
    Ok(centre_page(&state, &me, Some(id), form, FieldErrors::new())
        .await?
        .into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn centre_save(
    state: AppState,
    me: CurrentStaff,
    id: Option<i64>,
    f: CentreForm,
) -> Result<Response, PageError> {
    admin(&me)?;
    me.check_csrf(&f.csrf)?;
    match super::save_centre(&state, &me, id, &f.centre).await {
        Ok(_) => Ok(Redirect::to("/admin").into_response()),
        Err(WebError::Invalid(e)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            centre_page(&state, &me, id, f.centre, e).await?,
        )
            .into_response()),
        Err(WebError::Conflict(m)) => Ok((
            StatusCode::CONFLICT,
            centre_page(&state, &me, id, f.centre, FieldErrors::single("name", m)).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn centre_create(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<CentreForm>,
) -> Result<Response, PageError> {
    centre_save(state, me, None, f).await
}

#[tracing::instrument(level = "debug", skip_all)]
async fn centre_update(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<CentreForm>,
) -> Result<Response, PageError> {
    centre_save(state, me, Some(id), f).await
}

// ---- staff ----

pub struct RoleChoice {
    pub code: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "org/staff.html")]
struct StaffPage {
    chrome: Chrome,
    id: Option<i64>,
    action: String,
    form: StaffDraft,
    roles: Vec<RoleChoice>,
    branches: Vec<Branch>,
    centres: Vec<Centre>,
    errors: FieldErrors,
    password_errors: FieldErrors,
    password_saved: bool,
}

#[derive(Deserialize)]
pub struct StaffForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    branch_id: String,
    #[serde(default)]
    centre_id: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    badge: String,
    /// A checkbox: present when checked.
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    password: String,
}

impl StaffForm {
    fn draft(&self) -> StaffDraft {
        StaffDraft {
            login: self.login.clone(),
            full_name: self.full_name.clone(),
            position: self.position.clone(),
            role: self.role.clone(),
            branch_id: self.branch_id.clone(),
            centre_id: self.centre_id.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            badge: self.badge.clone(),
            active: self.active.is_some(),
        }
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn staff_page(
    state: &AppState,
    me: &CurrentStaff,
    id: Option<i64>,
    form: StaffDraft,
    errors: FieldErrors,
    password_errors: FieldErrors,
    password_saved: bool,
) -> Result<axum::response::Html<String>, PageError> {
    render(&StaffPage {
        chrome: Chrome::for_staff(
            if id.is_some() {
                "Сотрудник"
            } else {
                "Новый сотрудник"
            },
            me,
            "admin",
        ),
        id,
        action: id.map_or("/admin/staff/new".into(), |i| format!("/admin/staff/{i}")),
        form,
        roles: Role::ALL
            .iter()
            .map(|r| RoleChoice {
                code: r.code(),
                label: r.label_ru(),
            })
            .collect(),
        branches: super::branches(state, me).await?,
        centres: super::centres(state, me).await?,
        errors,
        password_errors,
        password_saved,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn staff_new(State(state): State<AppState>, me: CurrentStaff) -> Result<Response, PageError> {
    admin(&me)?;
    let form = StaffDraft {
        role: Role::Technician.code().into(),
        active: true,
        ..Default::default()
    };
    Ok(staff_page(
        &state,
        &me,
        None,
        form,
        FieldErrors::new(),
        FieldErrors::new(),
        false,
    )
    .await?
    .into_response())
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    password: Option<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn staff_edit(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    admin(&me)?;
    let form = super::staff_draft(&state, &me, id).await?;
    Ok(staff_page(
        &state,
        &me,
        Some(id),
        form,
        FieldErrors::new(),
        FieldErrors::new(),
        q.password.is_some(),
    )
    .await?
    .into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn staff_create(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<StaffForm>,
) -> Result<Response, PageError> {
    admin(&me)?;
    me.check_csrf(&f.csrf)?;
    let draft = f.draft();
    match super::create_staff(&state, &me, &draft, &f.password).await {
        Ok(_) => Ok(Redirect::to("/admin").into_response()),
        Err(WebError::Invalid(e)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            staff_page(&state, &me, None, draft, e, FieldErrors::new(), false).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn staff_update(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<StaffForm>,
) -> Result<Response, PageError> {
    admin(&me)?;
    me.check_csrf(&f.csrf)?;
    let draft = f.draft();
    match super::update_staff(&state, &me, id, &draft).await {
        Ok(()) => Ok(Redirect::to("/admin").into_response()),
        Err(WebError::Invalid(e)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            staff_page(&state, &me, Some(id), draft, e, FieldErrors::new(), false).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    password: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn staff_password(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    admin(&me)?;
    me.check_csrf(&f.csrf)?;
    match super::reset_password(&state, &me, id, &f.password).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/staff/{id}?password=1")).into_response()),
        Err(WebError::Invalid(e)) => {
            let form = super::staff_draft(&state, &me, id).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                staff_page(&state, &me, Some(id), form, FieldErrors::new(), e, false).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---- calendar ----

#[derive(Template)]
#[template(path = "org/calendar.html")]
struct CalendarPage {
    chrome: Chrome,
    view: CalendarYearView,
    source: String,
    days_text: String,
    errors: FieldErrors,
    deadline_from: String,
    deadline_days: String,
    deadline: Option<String>,
    deadline_error: Option<String>,
    grid: Vec<super::GridMonth>,
}

#[derive(Deserialize, Default)]
pub struct DeadlineQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    days: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn calendar_current(me: CurrentStaff) -> Result<Response, PageError> {
    admin(&me)?;
    let year = jiff::Zoned::now().year();
    Ok(Redirect::to(&format!("/admin/calendar/{year}")).into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn calendar_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(year): Path<i16>,
    Query(q): Query<DeadlineQuery>,
) -> Result<Response, PageError> {
    admin(&me)?;
    let edit = super::calendar_edit(&state, &me, year).await?;
    let y = &edit.year;
    let (mut deadline, mut deadline_error) = (None, None);
    if !q.from.is_empty() || !q.days.is_empty() {
        match (
            q.from.parse::<jiff::civil::Date>(),
            q.days.trim().parse::<i32>(),
        ) {
            (Ok(from), Ok(days)) if (0..=366).contains(&days) => {
                let d = edit.calendar.deadline(from, days);
                let date = crate::common::layout::ru_date(&d.date.to_string());
                let mut text = match d.moved_from {
                    Some(m) => format!(
                        "{date} (выпадало на нерабочий день {}, перенесено на следующий рабочий день)",
                        crate::common::layout::ru_date(&m.to_string())
                    ),
                    None => date,
                };
                if d.basis == Basis::LabourCodeFallback {
                    text.push_str("; календарь на этот год не загружен — по ТК РФ ст. 112");
                }
                deadline = Some(text);
            }
            _ => {
                deadline_error = Some("Укажите дату (ГГГГ-ММ-ДД) и число дней от 0 до 366.".into())
            }
        }
    }
    Ok(render(&CalendarPage {
        chrome: Chrome::for_staff(&format!("Производственный календарь {year}"), &me, "admin"),
        grid: super::year_grid(y),
        source: y.source.clone(),
        days_text: format_year_text(&y.days),
        view: edit.view,
        errors: FieldErrors::new(),
        deadline_from: q.from,
        deadline_days: if q.days.is_empty() {
            "15".into()
        } else {
            q.days
        },
        deadline,
        deadline_error,
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct CalendarForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    year: CalendarYearDraft,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn calendar_save(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(year): Path<i16>,
    Form(f): Form<CalendarForm>,
) -> Result<Response, PageError> {
    admin(&me)?;
    me.check_csrf(&f.csrf)?;
    match super::save_calendar_year(&state, &me, year, &f.year).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/calendar/{year}")).into_response()),
        Err(WebError::Invalid(errors)) => {
            let view = year_view(&state, year).await?;
            let grid = super::year_grid(&super::calendar_edit(&state, &me, year).await?.year);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&CalendarPage {
                    chrome: Chrome::for_staff(
                        &format!("Производственный календарь {year}"),
                        &me,
                        "admin",
                    ),
                    view,
                    source: f.year.source.clone(),
                    days_text: f.year.days.clone(),
                    errors,
                    deadline_from: String::new(),
                    deadline_days: "15".into(),
                    deadline: None,
                    deadline_error: None,
                    grid,
                })?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CalendarDayForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// `2026-01-09:weekend`: the day and the mark the click sets.
    #[serde(default)]
    day: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn calendar_day(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(year): Path<i16>,
    Form(f): Form<CalendarDayForm>,
) -> Result<Response, PageError> {
    admin(&me)?;
    me.check_csrf(&f.csrf)?;
    super::set_calendar_day(&state, &me, year, &f.day).await?;
    let month = f.day.get(5..7).unwrap_or("01");
    Ok(Redirect::to(&format!("/admin/calendar/{year}#month-{month}")).into_response())
}
