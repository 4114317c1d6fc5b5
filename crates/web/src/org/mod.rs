//! Organisation administration: company contacts, branches, service centres and their hours,
//! staff and roles, the working calendar (ORG-01 … ORG-03, ORG-06). Only an administrator may
//! change them; every change is audited.

pub mod api;
pub mod pages;

use abonent_domain::calendar::{
    labour_code_year, month_weeks, parse_year_text, with_day_marked, CalendarYear, DayKind,
    DayMark, Deadline, WorkingCalendar, MONTHS_RU,
};
use abonent_domain::clients::valid_email;
use abonent_domain::hours::WeeklyHours;
use abonent_domain::org::{validate_password, BranchDraft, CentreDraft, Permission, StaffDraft};
use abonent_domain::refusal::{OrgRefusal, Refusal};
use abonent_domain::validation::{required_text, FieldErrors};
use abonent_store::org::{Branch, Centre, Company, Staff};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::CurrentStaff;
use crate::{AppState, WebError};

/// The rights of organisation administration: reading the directory is open to every signed-in
/// staff member, changing it is for administrators.
pub struct Rights;

impl Rights {
    /// Company, offices, staff and the calendar: changing them and their admin pages.
    pub fn administer(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::AdministerOrganisation)
    }
    pub fn may_administer(me: &CurrentStaff) -> bool {
        me.can(Permission::AdministerOrganisation)
    }
    /// The link to the norms and topics of appeals on the administration page.
    pub fn may_configure_appeals(me: &CurrentStaff) -> bool {
        crate::appeals::Rights::may_configure(me)
    }
}

fn admin(me: &CurrentStaff) -> Result<(), WebError> {
    Rights::administer(me)
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

/// Company contacts, if filled in; any signed-in staff member may read them.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn company(state: &AppState, _me: &CurrentStaff) -> Result<Option<Company>, WebError> {
    Ok(state.store.company().await?)
}

/// Branches; any signed-in staff member may read them.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn branches(state: &AppState, _me: &CurrentStaff) -> Result<Vec<Branch>, WebError> {
    Ok(state.store.branches().await?)
}

/// Service centres; any signed-in staff member may read them.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn centres(state: &AppState, _me: &CurrentStaff) -> Result<Vec<Centre>, WebError> {
    Ok(state.store.centres().await?)
}

/// The staff directory (ORG-02); any signed-in staff member may read it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn staff_list(state: &AppState, _me: &CurrentStaff) -> Result<Vec<Staff>, WebError> {
    Ok(state.store.staff_list().await?)
}

/// N calendar days from a date, moved to the next working day, by the calendar in force.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn deadline(
    state: &AppState,
    _me: &CurrentStaff,
    from: jiff::civil::Date,
    days: i32,
) -> Result<Deadline, WebError> {
    Ok(state.store.working_calendar().await?.deadline(from, days))
}

/// Everything the administration index shows.
pub struct Overview {
    pub company: Option<Company>,
    pub branches: Vec<Branch>,
    pub centres: Vec<Centre>,
    pub staff: Vec<Staff>,
    /// The years with a loaded calendar.
    pub years: Vec<i16>,
}

/// The administration index: company, offices, staff and loaded calendar years.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn overview(state: &AppState, me: &CurrentStaff) -> Result<Overview, WebError> {
    admin(me)?;
    let years = state
        .store
        .calendar_years()
        .await?
        .iter()
        .map(|y| y.year)
        .collect();
    Ok(Overview {
        company: state.store.company().await?,
        branches: state.store.branches().await?,
        centres: state.store.centres().await?,
        staff: state.store.staff_list().await?,
        years,
    })
}

/// The company form as stored (empty when not filled in yet).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn company_draft(state: &AppState, me: &CurrentStaff) -> Result<CompanyDraft, WebError> {
    admin(me)?;
    Ok(state
        .store
        .company()
        .await?
        .map(|c| CompanyDraft {
            name: c.name,
            short_name: c.short_name,
            inn: c.inn,
            website: c.website,
            hotline_phones: c.hotline_phones,
            hotline_hours: c.hotline_hours,
        })
        .unwrap_or_default())
}

/// A branch as its form shows it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn branch_draft(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
) -> Result<BranchDraft, WebError> {
    admin(me)?;
    let b = state.store.branch(id).await?;
    Ok(BranchDraft {
        name: b.name,
        address: b.address,
        phones: b.phones,
        time_zone: b.time_zone,
    })
}

/// A service centre as its form shows it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn centre_draft(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
) -> Result<CentreDraft, WebError> {
    admin(me)?;
    let c = state.store.centre(id).await?;
    Ok(CentreDraft {
        branch_id: c.branch_id.to_string(),
        name: c.name,
        postcode: c.postcode,
        address: c.address,
        phones: c.phones,
        opening_hours: c.opening_hours,
        reception_hours: c.reception_hours.unwrap_or_default(),
    })
}

/// A staff member as the form shows them.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn staff_draft(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
) -> Result<StaffDraft, WebError> {
    admin(me)?;
    let s = state.store.staff(id).await?;
    Ok(StaffDraft {
        login: s.login,
        full_name: s.full_name,
        position: s.position,
        role: s.role.code().to_owned(),
        branch_id: s.branch_id.map(|v| v.to_string()).unwrap_or_default(),
        centre_id: s.centre_id.map(|v| v.to_string()).unwrap_or_default(),
        phone: s.phone,
        email: s.email,
        badge: s.badge,
        active: s.active,
    })
}

/// A calendar year as the administrator edits it.
pub struct CalendarEdit {
    pub view: CalendarYearView,
    /// The year as loaded, or the Labour Code fallback.
    pub year: CalendarYear,
    /// The calendar in force, for counting deadlines on the page.
    pub calendar: WorkingCalendar,
}

/// A year of the calendar with its text for editing and the calendar to count deadlines by.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn calendar_edit(
    state: &AppState,
    me: &CurrentStaff,
    year: i16,
) -> Result<CalendarEdit, WebError> {
    admin(me)?;
    let view = year_view(state, year).await?;
    let years = state.store.calendar_years().await?;
    let y = years
        .iter()
        .find(|y| y.year == year)
        .cloned()
        .unwrap_or_else(|| labour_code_year(year));
    Ok(CalendarEdit {
        view,
        year: y,
        calendar: WorkingCalendar::new(&years),
    })
}

/// One day of the month grid: its mark and what a click makes it.
pub struct GridDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub day: i8,
    /// `working`, `weekend`, `holiday` or `short`: the cell's style.
    pub mark: &'static str,
    pub label: &'static str,
    /// The mark a click sets, and its words.
    pub next: &'static str,
    pub next_label: &'static str,
}

/// A month of the grid: weeks Monday to Sunday, empty cells outside the month.
pub struct GridMonth {
    pub name: &'static str,
    pub weeks: Vec<Vec<Option<GridDay>>>,
}

/// The twelve months of a calendar year with each day's mark.
pub fn year_grid(y: &CalendarYear) -> Vec<GridMonth> {
    (1..=12i8)
        .map(|m| GridMonth {
            name: MONTHS_RU[usize::try_from(m - 1).unwrap_or(0)],
            weeks: month_weeks(y.year, m)
                .into_iter()
                .map(|w| {
                    w.into_iter()
                        .map(|d| {
                            d.map(|date| {
                                let mark = DayMark::of(&y.days, date);
                                GridDay {
                                    date: date.to_string(),
                                    day: date.day(),
                                    mark: mark.code(),
                                    label: mark.label_ru(),
                                    next: mark.next().code(),
                                    next_label: mark.next().label_ru(),
                                }
                            })
                        })
                        .collect()
                })
                .collect(),
        })
        .collect()
}

/// Sets one day of a year from the month grid (`2026-01-09:weekend`): the rest of the year
/// and its decree stay as they are. Audited like saving the year.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_calendar_day(
    state: &AppState,
    me: &CurrentStaff,
    year: i16,
    day: &str,
) -> Result<(), WebError> {
    admin(me)?;
    let parsed = day.split_once(':').and_then(|(d, m)| {
        let date = d.parse::<jiff::civil::Date>().ok()?;
        Some((date, DayMark::parse(m)?))
    });
    let Some((date, mark)) = parsed.filter(|(d, _)| d.year() == year) else {
        return Err(FieldErrors::single("day", "Выберите день этого года в календаре.").into());
    };
    let edit = calendar_edit(state, me, year).await?;
    let mut y = edit.year;
    y.days = with_day_marked(&y.days, date, mark);
    state
        .store
        .save_calendar_year(&y, Some(me.staff.id))
        .await?;
    state.rules.invalidate().await;
    audit(state, me, "calendar.save", "calendar_year", i64::from(year)).await
}
