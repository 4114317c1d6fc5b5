//! Booking pages: the staff's day of bookings with the form for a call, the client's «Запись на
//! приём» in the personal account, and the kiosk's check-in with the code.

use abonent_domain::frontoffice::booking::BookingDraft;
use abonent_domain::validation::FieldErrors;
use abonent_store::frontoffice::booking::Booking;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::{Booker, Slot};
use crate::auth::client::CurrentClient;
use crate::auth::CurrentStaff;
use crate::common::forms::CsrfForm;
use crate::common::layout::{render, Chrome};
use crate::common::portal_chrome::PortalChrome;
use crate::frontoffice::devices::HallDevice;
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/queue/bookings", get(staff_page).post(staff_book))
        .route("/queue/bookings/{id}/cancel", post(staff_cancel))
        .route("/my/visits", get(portal_page).post(portal_book))
        .route("/my/visits/{id}/cancel", post(portal_cancel))
        .route("/kiosk/{centre}/check-in", post(kiosk_check_in))
}

/// The booking form's state (a GET chooses the centre, service and day; a POST books).
#[derive(Deserialize, Default, Clone)]
struct FormState {
    /// Ids as typed: an empty choice («— выберите —») is no choice, not a malformed request.
    #[serde(default)]
    centre_id: String,
    #[serde(default)]
    service_id: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    slot: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    booked: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

impl FormState {
    fn centre(&self) -> Option<i64> {
        self.centre_id.trim().parse().ok()
    }
    fn service(&self) -> Option<i64> {
        self.service_id.trim().parse().ok()
    }
}

struct Choice {
    id: i64,
    name: String,
}

struct Line {
    id: i64,
    time: String,
    centre: String,
    service: String,
    name: String,
    phone: String,
    code: String,
    status: &'static str,
    open: bool,
}

/// What both booking pages show: the form and the list.
struct BookingView {
    centres: Vec<Choice>,
    services: Vec<Choice>,
    days: Vec<(String, String)>,
    slots: Vec<Slot>,
    form: FormState,
    errors: FieldErrors,
    lines: Vec<Line>,
    done: Option<Line>,
    action: &'static str,
    base: &'static str,
    /// Staff booking for a caller (the confirmation speaks of the client, not «вы»).
    for_staff: bool,
    /// The day shown in the staff's list, as people read it.
    day_label: String,
}

fn line(state: &AppState, b: &Booking) -> Line {
    Line {
        id: b.id,
        time: super::booking_time(state, b),
        centre: b.centre_name.clone(),
        service: b.service_name.clone(),
        name: b.name.clone(),
        phone: b.phone.clone().unwrap_or_default(),
        code: b.code.clone(),
        status: b.status.label_ru(),
        open: b.status == abonent_domain::frontoffice::booking::BookingStatus::Booked,
    }
}

async fn view(
    state: &AppState,
    mut form: FormState,
    errors: FieldErrors,
    bookings: &[Booking],
    (action, base): (&'static str, &'static str),
) -> Result<BookingView, WebError> {
    let choices = super::choices(state).await?;
    let centre = form
        .centre()
        .or_else(|| choices.first().map(|c| c.0.id))
        .unwrap_or(0);
    form.centre_id = centre.to_string();
    let services: Vec<Choice> = choices
        .iter()
        .find(|c| c.0.id == centre)
        .map(|c| {
            c.1.iter()
                .map(|s| Choice {
                    id: s.id,
                    name: format!("{} — {}", s.letter, s.name),
                })
                .collect()
        })
        .unwrap_or_default();
    let days = super::booking_days(state);
    let day = form
        .day
        .parse::<jiff::civil::Date>()
        .ok()
        .filter(|d| days.contains(d));
    let slots = match (form.service(), day) {
        (Some(s), Some(d)) if services.iter().any(|x| x.id == s) => {
            super::free_slots(state, centre, s, d).await?
        }
        _ => Vec::new(),
    };
    Ok(BookingView {
        centres: choices
            .iter()
            .map(|c| Choice {
                id: c.0.id,
                name: c.0.name.clone(),
            })
            .collect(),
        services,
        days: days
            .iter()
            .map(|d| {
                (
                    d.to_string(),
                    format!(
                        "{} ({})",
                        abonent_domain::calendar::ru_date(&d.to_string()),
                        weekday(*d)
                    ),
                )
            })
            .collect(),
        slots,
        done: form
            .booked
            .parse::<i64>()
            .ok()
            .and_then(|id| bookings.iter().find(|b| b.id == id))
            .map(|b| line(state, b)),
        lines: bookings.iter().map(|b| line(state, b)).collect(),
        form,
        errors,
        action,
        base,
        for_staff: action == "/queue/bookings",
        day_label: String::new(),
    })
}

fn weekday(d: jiff::civil::Date) -> &'static str {
    use jiff::civil::Weekday::*;
    match d.weekday() {
        Monday => "пн",
        Tuesday => "вт",
        Wednesday => "ср",
        Thursday => "чт",
        Friday => "пт",
        Saturday => "сб",
        Sunday => "вс",
    }
}

fn draft(f: &FormState) -> BookingDraft {
    BookingDraft {
        centre_id: f.centre().unwrap_or(0),
        service_id: f.service().unwrap_or(0),
        slot: f.slot.clone(),
        name: f.name.clone(),
        phone: f.phone.clone(),
        email: f.email.clone(),
        account: f.account.clone(),
    }
}

// ---------------------------------------------------------------- staff

#[derive(Template)]
#[template(path = "frontoffice/bookings.html")]
struct StaffPage {
    chrome: Chrome,
    v: BookingView,
}

async fn staff_view(
    state: &AppState,
    me: &CurrentStaff,
    form: FormState,
    errors: FieldErrors,
) -> Result<StaffPage, WebError> {
    let day = form
        .day
        .parse::<jiff::civil::Date>()
        .unwrap_or_else(|_| crate::common::clock::today_in(&me.zone));
    let mut form = form;
    if form.centre().is_none() {
        if let Some(c) = me.staff.centre_id {
            form.centre_id = c.to_string();
        }
    }
    let bookings = super::day_bookings(state, me, form.centre(), day).await?;
    Ok(StaffPage {
        chrome: Chrome::for_staff("Запись на приём", me, "queue"),
        v: view(
            state,
            form,
            errors,
            &bookings,
            ("/queue/bookings", "/queue/bookings"),
        )
        .await?,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn staff_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(f): Query<FormState>,
) -> Result<Response, PageError> {
    Ok(render(&staff_view(&state, &me, f, FieldErrors::new()).await?)?.into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn staff_book(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<FormState>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match super::book(&state, Booker::Staff(&me), &draft(&f)).await {
        Ok(b) => Ok(Redirect::to(&format!(
            "/queue/bookings?centre_id={}&day={}&booked={}",
            b.centre_id, b.day, b.id
        ))
        .into_response()),
        Err(e @ (WebError::Invalid(_) | WebError::Conflict(_))) => {
            let (status, errors) = e.on_form("slot");
            Ok((status, render(&staff_view(&state, &me, f, errors).await?)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn staff_cancel(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let b = super::cancel(&state, Booker::Staff(&me), id).await?;
    Ok(Redirect::to(&format!(
        "/queue/bookings?centre_id={}&day={}",
        b.centre_id, b.day
    ))
    .into_response())
}

// ---------------------------------------------------------------- personal account

#[derive(Template)]
#[template(path = "frontoffice/my_visits.html")]
struct PortalPage {
    chrome: PortalChrome,
    v: BookingView,
}

async fn portal_view(
    state: &AppState,
    me: &CurrentClient,
    form: FormState,
    errors: FieldErrors,
) -> Result<PortalPage, WebError> {
    let bookings = super::my_bookings(state, me).await?;
    Ok(PortalPage {
        chrome: PortalChrome {
            title: "Запись на приём".into(),
            email: Some(me.user.login()),
            csrf: me.csrf_token.clone(),
        },
        v: view(state, form, errors, &bookings, ("/my/visits", "/my/visits")).await?,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn portal_page(
    State(state): State<AppState>,
    me: CurrentClient,
    Query(f): Query<FormState>,
) -> Result<Response, PageError> {
    Ok(render(&portal_view(&state, &me, f, FieldErrors::new()).await?)?.into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn portal_book(
    State(state): State<AppState>,
    me: CurrentClient,
    Form(f): Form<FormState>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match super::book(&state, Booker::Client(&me), &draft(&f)).await {
        Ok(b) => Ok(Redirect::to(&format!("/my/visits?booked={}", b.id)).into_response()),
        Err(e @ (WebError::Invalid(_) | WebError::Conflict(_))) => {
            let (status, errors) = e.on_form("slot");
            Ok((status, render(&portal_view(&state, &me, f, errors).await?)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn portal_cancel(
    State(state): State<AppState>,
    me: CurrentClient,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    super::cancel(&state, Booker::Client(&me), id).await?;
    Ok(Redirect::to("/my/visits").into_response())
}

// ---------------------------------------------------------------- kiosk

#[derive(Deserialize)]
struct CheckInForm {
    #[serde(default)]
    code: String,
}

/// The kiosk's check-in: the ticket page, or the kiosk again with the message.
#[tracing::instrument(level = "debug", skip_all)]
async fn kiosk_check_in(
    State(state): State<AppState>,
    dev: HallDevice,
    Path(centre): Path<i64>,
    Form(f): Form<CheckInForm>,
) -> Result<Response, PageError> {
    match super::check_in(&state, &dev, centre, &f.code).await {
        Ok(t) => {
            Ok(Redirect::to(&format!("/kiosk/{centre}/tickets/{}", t.ticket.id)).into_response())
        }
        // The kiosk page says what to do (its adapter renders it): a code that names no
        // booking of today in this centre.
        Err(WebError::Invalid(_)) => {
            Ok(Redirect::to(&format!("/kiosk/{centre}?code_error=1")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
