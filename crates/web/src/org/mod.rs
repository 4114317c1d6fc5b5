//! Organisation administration: company contacts, branches, service centres and their hours,
//! staff and roles, the working calendar (ORG-01 … ORG-03, ORG-06). Only an administrator may
//! change them; every change is audited.

pub mod api;
pub mod pages;

use abonent_domain::calendar::{labour_code_year, parse_year_text, CalendarYear, DayKind};
use abonent_domain::clients::valid_email;
use abonent_domain::hours::WeeklyHours;
use abonent_domain::org::{validate_password, BranchDraft, CentreDraft, Permission, StaffDraft};
use abonent_domain::refusal::{OrgRefusal, Refusal};
use abonent_domain::validation::{required_text, FieldErrors};
use abonent_store::org::Company;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::CurrentStaff;
use crate::{AppState, WebError};

fn admin(me: &CurrentStaff) -> Result<(), WebError> {
    me.require(Permission::AdministerOrganisation)
}

async fn audit(
    state: &AppState,
    me: &CurrentStaff,
    action: &str,
    kind: &str,
    id: i64,
) -> Result<(), WebError> {
    state
        .store
        .audit(&me.actor(), action, kind, &id.to_string(), "")
        .await?;
    Ok(())
}

pub async fn save_branch(
    state: &AppState,
    me: &CurrentStaff,
    id: Option<i64>,
    d: &BranchDraft,
) -> Result<i64, WebError> {
    admin(me)?;
    let data = d.validate()?;
    let id = state.store.save_branch(id, &data).await?;
    audit(state, me, "branch.save", "branch", id).await?;
    Ok(id)
}

pub async fn save_centre(
    state: &AppState,
    me: &CurrentStaff,
    id: Option<i64>,
    d: &CentreDraft,
) -> Result<i64, WebError> {
    admin(me)?;
    let data = d.validate()?;
    let id = state
        .store
        .save_centre(id, &data)
        .await
        .map_err(|e| match e {
            abonent_store::StoreError::Refused(Refusal::Org(r @ OrgRefusal::NoSuchBranch)) => {
                WebError::Invalid(FieldErrors::single("branch_id", r.to_string()))
            }
            e => e.into(),
        })?;
    audit(state, me, "centre.save", "centre", id).await?;
    Ok(id)
}

async fn hash_password(password: String) -> Result<String, WebError> {
    crate::common::tokens::hash_password(password).await
}

/// A login conflict is a field error, so the form shows it next to the login.
fn staff_conflict(e: abonent_store::StoreError) -> WebError {
    match e {
        abonent_store::StoreError::Refused(Refusal::Org(r @ OrgRefusal::LoginTaken)) => {
            WebError::Invalid(FieldErrors::single("login", r.to_string()))
        }
        e => e.into(),
    }
}

pub async fn create_staff(
    state: &AppState,
    me: &CurrentStaff,
    d: &StaffDraft,
    password: &str,
) -> Result<i64, WebError> {
    admin(me)?;
    let mut errors = FieldErrors::new();
    let data = match d.validate() {
        Ok(v) => Some(v),
        Err(e) => {
            errors = e;
            None
        }
    };
    validate_password(&mut errors, "password", password);
    let data = errors.into_checked(data, "login")?;
    let hash = hash_password(password.to_owned()).await?;
    let id = state
        .store
        .create_staff(&data, &hash)
        .await
        .map_err(staff_conflict)?;
    audit(state, me, "staff.create", "staff", id).await?;
    Ok(id)
}

pub async fn update_staff(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    d: &StaffDraft,
) -> Result<(), WebError> {
    admin(me)?;
    let data = d.validate()?;
    if id == me.staff.id && (!data.active || data.role != me.role) {
        return Err(FieldErrors::single(
            "role",
            "Нельзя отключить себя или сменить себе роль: попросите другого администратора.",
        )
        .into());
    }
    state
        .store
        .update_staff(id, &data)
        .await
        .map_err(staff_conflict)?;
    audit(state, me, "staff.update", "staff", id).await
}

pub async fn reset_password(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    password: &str,
) -> Result<(), WebError> {
    admin(me)?;
    let mut e = FieldErrors::new();
    validate_password(&mut e, "password", password);
    e.into_result(())?;
    let hash = hash_password(password.to_owned()).await?;
    state.store.set_staff_password(id, &hash).await?;
    audit(state, me, "staff.password_reset", "staff", id).await
}

/// Company contacts as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CompanyDraft {
    pub name: String,
    pub short_name: String,
    #[serde(default)]
    pub inn: String,
    #[serde(default)]
    pub website: String,
    pub hotline_phones: String,
    /// Like `пн-пт 08:30-12:30, 14:00-17:00` (§7.1.7).
    pub hotline_hours: String,
}

impl CompanyDraft {
    pub fn validate(&self) -> Result<Company, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = required_text(&mut e, "name", &self.name, 300);
        let short_name = required_text(&mut e, "short_name", &self.short_name, 100);
        let inn = self.inn.trim().to_owned();
        if !inn.is_empty() && (inn.len() != 10 || !inn.chars().all(|c| c.is_ascii_digit())) {
            e.add("inn", "ИНН организации состоит из 10 цифр.");
        }
        let website = self.website.trim().to_owned();
        if website.contains('@') && valid_email(&website) {
            e.add("website", "Укажите адрес сайта, а не электронной почты.");
        }
        let hotline_phones = required_text(&mut e, "hotline_phones", &self.hotline_phones, 200);
        let hotline_hours = match WeeklyHours::parse(&self.hotline_hours) {
            Ok(h) if !h.is_empty() => h.to_string(),
            Ok(_) => {
                e.add("hotline_hours", "Укажите часы работы горячей линии.");
                String::new()
            }
            Err(m) => {
                e.add("hotline_hours", m);
                String::new()
            }
        };
        e.into_result(Company {
            name,
            short_name,
            inn,
            website,
            hotline_phones,
            hotline_hours,
        })
    }
}

pub async fn save_company(
    state: &AppState,
    me: &CurrentStaff,
    d: &CompanyDraft,
) -> Result<(), WebError> {
    admin(me)?;
    let c = d.validate()?;
    state.store.save_company(&c).await?;
    audit(state, me, "company.save", "company", 1).await
}

/// A calendar year as edited: the decree and one `ГГГГ-ММ-ДД вид` per line.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CalendarYearDraft {
    pub source: String,
    pub days: String,
}

pub async fn save_calendar_year(
    state: &AppState,
    me: &CurrentStaff,
    year: i16,
    d: &CalendarYearDraft,
) -> Result<(), WebError> {
    admin(me)?;
    let mut e = FieldErrors::new();
    if !(2000..=2100).contains(&year) {
        e.add("year", "Год должен быть между 2000 и 2100.");
    }
    let source = required_text(&mut e, "source", &d.source, 500);
    let days = parse_year_text(year, &d.days).unwrap_or_else(|m| {
        e.add("days", m);
        Vec::new()
    });
    e.into_result(())?;
    state
        .store
        .save_calendar_year(&CalendarYear { year, source, days }, Some(me.staff.id))
        .await?;
    state.rules.invalidate().await;
    audit(state, me, "calendar.save", "calendar_year", i64::from(year)).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `holiday`, `day_off`, `working_weekend` or `short`.
    pub kind: String,
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarYearView {
    pub year: i16,
    /// False when no calendar is loaded for the year and the Labour Code fallback applies.
    pub official: bool,
    pub source: String,
    pub working_days: usize,
    pub days: Vec<CalendarDay>,
}

impl CalendarDay {
    pub fn new(date: jiff::civil::Date, kind: DayKind) -> Self {
        Self {
            date: date.to_string(),
            kind: kind.code().to_owned(),
            label: kind.label_ru().to_owned(),
        }
    }
}

/// A year as shown: loaded data, or the Labour Code fallback, with the working-day count.
pub async fn year_view(state: &AppState, year: i16) -> Result<CalendarYearView, WebError> {
    if !(1990..=2100).contains(&year) {
        return Err(WebError::NotFound(
            "Календарь доступен для 1990–2100 годов.".into(),
        ));
    }
    let years = state.store.calendar_years().await?;
    let cal = abonent_domain::calendar::WorkingCalendar::new(&years);
    let y = years
        .into_iter()
        .find(|y| y.year == year)
        .unwrap_or_else(|| labour_code_year(year));
    Ok(CalendarYearView {
        year,
        official: cal.is_official(year),
        source: y.source.clone(),
        working_days: cal.working_days_in_year(year),
        days: y
            .days
            .iter()
            .map(|d| CalendarDay::new(d.date, d.kind))
            .collect(),
    })
}
