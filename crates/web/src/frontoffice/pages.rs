//! Front-office pages: the kiosk and the hall display (enrolled devices), the staff member's
//! window, the journal of visits, and the administration of services and devices.

use std::convert::Infallible;

use abonent_domain::frontoffice::queue::{
    expected_wait_minutes, CallOutcome, FinishDraft, ServiceDraft, ServiceLevel, TicketRequest,
    VisitResult,
};
use abonent_domain::validation::FieldErrors;
use abonent_store::clients::SearchHit;
use abonent_store::frontoffice::queue::{
    Board, Device, NormRow, QueueService, TakenTicket, Ticket,
};
use abonent_store::idempotency::IdemKey;
use abonent_store::org::Centre;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::devices::{device_cookie, DeviceKind, HallDevice};
use super::{Enrolled, JournalParams, Rights};
use crate::auth::CurrentStaff;
use crate::common::clock::format_time;
use crate::common::forms::CsrfForm;
use crate::common::layout::{render, Chrome};
use crate::common::tokens::random_token;
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/kiosk/{centre}", get(kiosk_page))
        .route("/kiosk/{centre}/tickets", post(kiosk_take))
        .route("/kiosk/{centre}/tickets/{id}", get(kiosk_ticket))
        .route("/display/{centre}", get(display_page))
        .route("/display/{centre}/events", get(display_events))
        .route("/devices/enrol", get(enrol_device))
        .route("/queue", get(window_page))
        .route("/queue/seat", post(seat))
        .route("/queue/call", post(call))
        .route("/queue/tickets/{id}/recall", post(recall))
        .route("/queue/tickets/{id}/no-show", post(no_show))
        .route("/queue/tickets/{id}/return", post(return_ticket))
        .route("/queue/tickets/{id}/transfer", post(transfer))
        .route("/queue/tickets/{id}/finish", post(finish))
        .route("/queue/journal", get(journal_page))
        .route("/admin/frontoffice", get(admin_page))
        .route("/admin/frontoffice/services", post(save_service))
        .route("/admin/frontoffice/devices", post(enrol))
        .route("/admin/frontoffice/devices/{id}/revoke", post(revoke))
}

// ---------------------------------------------------------------- kiosk

#[derive(Template)]
#[template(path = "frontoffice/kiosk.html")]
struct KioskPage {
    centre: Centre,
    services: Vec<KioskService>,
    once: String,
    errors: FieldErrors,
    account: String,
    /// A check-in code named no booking of today.
    code_error: bool,
}

struct KioskService {
    id: i64,
    letter: String,
    name: String,
    waiting: i64,
}

fn kiosk_view(
    centre: Centre,
    services: Vec<QueueService>,
    board: &Board,
    errors: FieldErrors,
    account: String,
) -> KioskPage {
    let services = services
        .into_iter()
        .map(|s| KioskService {
            waiting: board
                .waiting
                .iter()
                .find(|w| w.service_id == s.id)
                .map_or(0, |w| w.waiting),
            id: s.id,
            letter: s.letter,
            name: s.name,
        })
        .collect();
    KioskPage {
        centre,
        services,
        once: random_token(),
        errors,
        account,
        code_error: false,
    }
}

/// The kiosk's start screen: the services as big buttons and an optional account number.
#[tracing::instrument(level = "debug", skip_all)]
async fn kiosk_page(
    State(state): State<AppState>,
    dev: HallDevice,
    Path(centre): Path<i64>,
    Query(p): Query<KioskParams>,
) -> Result<Response, PageError> {
    let (c, services, board) = super::kiosk(&state, &dev, centre).await?;
    let mut page = kiosk_view(c, services, &board, FieldErrors::new(), String::new());
    page.code_error = p.code_error.is_some();
    Ok(render(&page)?.into_response())
}

/// The kiosk's start: `code_error` after a check-in code that named no booking.
#[derive(Deserialize, Default)]
struct KioskParams {
    #[serde(default)]
    code_error: Option<String>,
}

#[derive(Deserialize)]
struct KioskForm {
    service_id: i64,
    #[serde(default)]
    account: String,
    #[serde(default, rename = "_once")]
    once: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn kiosk_take(
    State(state): State<AppState>,
    dev: HallDevice,
    Path(centre): Path<i64>,
    Form(f): Form<KioskForm>,
) -> Result<Response, PageError> {
    let key = (!f.once.is_empty()).then(|| IdemKey::new(super::device_scope(&dev), f.once.clone()));
    let req = TicketRequest {
        service_id: f.service_id,
        account: f.account.clone(),
    };
    match super::take_ticket(&state, &dev, centre, &req, key).await {
        Ok(t) => {
            Ok(Redirect::to(&format!("/kiosk/{centre}/tickets/{}", t.ticket.id)).into_response())
        }
        Err(WebError::Invalid(errors)) => {
            let (c, services, board) = super::kiosk(&state, &dev, centre).await?;
            let page = kiosk_view(c, services, &board, errors, f.account);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "frontoffice/ticket.html")]
struct TicketPage {
    centre_id: i64,
    label: String,
    service: String,
    ahead: i64,
    wait_minutes: u32,
    taken_at: String,
    company: String,
    /// A booked visitor's time (they are called then), or empty.
    booked_at: String,
}

/// The ticket to print on the kiosk's 80 mm receipt printer; back to the start after a while.
#[tracing::instrument(level = "debug", skip_all)]
async fn kiosk_ticket(
    State(state): State<AppState>,
    dev: HallDevice,
    Path((centre, id)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let (t, company): (TakenTicket, String) = super::kiosk_ticket(&state, &dev, centre, id).await?;
    let page = TicketPage {
        centre_id: centre,
        wait_minutes: expected_wait_minutes(
            u32::try_from(t.ahead).unwrap_or(u32::MAX),
            u32::try_from(t.norm_minutes).unwrap_or(15),
            u32::try_from(t.windows).unwrap_or(1),
        ),
        label: t.ticket.label,
        service: t.ticket.service_name,
        ahead: t.ahead,
        taken_at: format_time(t.ticket.taken_at, &state.config.time_zone),
        company,
        booked_at: if t.ticket.booking_id.is_some() {
            jiff::Timestamp::from_microsecond(t.ticket.rank_at)
                .map(|ts| {
                    ts.to_zoned(state.config.time_zone.clone())
                        .strftime("%H:%M")
                        .to_string()
                })
                .unwrap_or_default()
        } else {
            String::new()
        },
    };
    Ok(render(&page)?.into_response())
}

// ---------------------------------------------------------------- display

#[derive(Template)]
#[template(path = "frontoffice/display.html")]
struct DisplayPage {
    centre: Centre,
    board: Board,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn display_page(
    State(state): State<AppState>,
    dev: HallDevice,
    Path(centre): Path<i64>,
) -> Result<Response, PageError> {
    let (centre, board) = super::display(&state, &dev, centre).await?;
    Ok(render(&DisplayPage { centre, board })?.into_response())
}

/// The board as server-sent events: the board now, then every change.
#[tracing::instrument(level = "debug", skip_all)]
async fn display_events(
    State(state): State<AppState>,
    dev: HallDevice,
    Path(centre): Path<i64>,
) -> Result<Response, PageError> {
    let rx = super::display_events(&state, &dev, centre)?;
    let stream = futures::stream::unfold((rx, true), |(mut rx, first)| async move {
        if !first && rx.changed().await.is_err() {
            return None;
        }
        let board = loop {
            let b = rx.borrow_and_update().clone();
            match b {
                Some(b) => break b,
                None => rx.changed().await.ok()?,
            }
        };
        let event = Event::default()
            .event("board")
            .json_data(&*board)
            .unwrap_or_else(|_| Event::default().comment("board not encoded"));
        Some((Ok::<_, Infallible>(event), (rx, false)))
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

#[derive(Deserialize)]
struct EnrolParams {
    #[serde(default)]
    token: String,
}

/// Opened once on a kiosk or a display with the link an administrator got: keeps the token in
/// the device's cookie and opens its page.
#[tracing::instrument(level = "debug", skip_all)]
async fn enrol_device(
    State(state): State<AppState>,
    Query(p): Query<EnrolParams>,
) -> Result<Response, PageError> {
    let Some(home) = super::device_home(&state, p.token.trim()).await? else {
        return Err(WebError::Forbidden(
            "Ссылка подключения недействительна или устройство отозвано. Попросите администратора выдать новую."
                .into(),
        )
        .into());
    };
    Ok((
        [
            (
                header::SET_COOKIE,
                device_cookie(p.token.trim(), state.config.secure_cookies),
            ),
            (header::LOCATION, home),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        StatusCode::SEE_OTHER,
    )
        .into_response())
}

// ---------------------------------------------------------------- window

#[derive(Template)]
#[template(path = "frontoffice/window.html")]
struct WindowPage {
    chrome: Chrome,
    centres: Vec<Centre>,
    seat_centre: i64,
    seat_window: String,
    services: Vec<ServiceRow>,
    has_seat: bool,
    /// The services the seat calls, as people read them.
    seat_services: Vec<String>,
    current: Option<CurrentRow>,
    waiting: Vec<(String, String, i64)>,
    results: Vec<(String, String)>,
    finish: FinishDraft,
    errors: FieldErrors,
    q: String,
    hits: Vec<SearchHit>,
    notice: String,
    level: String,
}

struct ServiceRow {
    id: i64,
    letter: String,
    name: String,
    level: String,
    norm_minutes: i64,
    on_seat: bool,
    escalation: bool,
}

struct CurrentRow {
    id: i64,
    label: String,
    service: String,
    service_id: i64,
    account: String,
    called_at_ms: i64,
    called_at: String,
    norm_minutes: i64,
    calls: i64,
    /// Who passed it on (a transfer), or empty.
    transferred: String,
}

#[derive(Deserialize, Default)]
struct WindowParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    client: Option<i64>,
    #[serde(default)]
    notice: String,
    #[serde(default)]
    centre: Option<i64>,
}

/// What the window page was asked for beside the staff member's state.
#[derive(Default)]
struct WindowAsk {
    q: String,
    notice: String,
    /// The centre chosen in the seat form, and the window typed there.
    centre: Option<i64>,
    window: Option<String>,
    /// The services ticked in the seat form that came back.
    services: Option<Vec<i64>>,
}

async fn window_view(
    state: &AppState,
    me: &CurrentStaff,
    finish: FinishDraft,
    errors: FieldErrors,
    ask: WindowAsk,
) -> Result<WindowPage, WebError> {
    let WindowAsk {
        q,
        notice,
        centre,
        window,
        services: ticked,
    } = ask;
    let w = super::window(state, me, centre).await?;
    let transferred = transferred_text(&w, &me.zone);
    let seat_services = seat_service_names(&w);
    let on_seat = ticked.unwrap_or_else(|| {
        w.seat.as_ref().map_or_else(
            || super::default_seat_services(&w.services, w.level),
            |s| s.services.clone(),
        )
    });
    let next_level = w.level.and_then(ServiceLevel::escalation);
    let current = w.current.as_ref().map(|t: &Ticket| CurrentRow {
        id: t.id,
        label: t.label.clone(),
        service: t.service_name.clone(),
        service_id: t.service_id,
        account: t.account_number.clone().unwrap_or_default(),
        called_at_ms: t.called_at.unwrap_or(t.taken_at) / 1000,
        called_at: format_time(t.called_at.unwrap_or(t.taken_at), &me.zone),
        norm_minutes: w
            .services
            .iter()
            .find(|s| s.id == t.service_id)
            .map_or(15, |s| s.norm_minutes),
        calls: t.calls,
        transferred: transferred.clone(),
    });
    let hits = if q.trim().chars().count() >= 2 {
        super::find_clients(state, me, &q).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(WindowPage {
        chrome: Chrome::for_staff("Приём посетителей", me, "queue"),
        seat_centre: w.centre.unwrap_or(0),
        seat_window: window
            .or_else(|| w.seat.as_ref().map(|s| s.window_label.clone()))
            .unwrap_or_default(),
        seat_services,
        has_seat: w.seat.is_some(),
        services: w
            .services
            .iter()
            .filter(|s| s.active == 1)
            .map(|s| ServiceRow {
                id: s.id,
                letter: s.letter.clone(),
                name: s.name.clone(),
                level: s.level.label_ru().into(),
                norm_minutes: s.norm_minutes,
                on_seat: on_seat.contains(&s.id),
                escalation: Some(s.level) == next_level,
            })
            .collect(),
        waiting: w
            .board
            .map(|b| {
                b.waiting
                    .into_iter()
                    .map(|x| (x.letter, x.name, x.waiting))
                    .collect()
            })
            .unwrap_or_default(),
        centres: w.centres,
        current,
        results: VisitResult::ALL
            .iter()
            .map(|r| (r.code().to_owned(), r.label_ru().to_owned()))
            .collect(),
        finish,
        errors,
        q,
        hits,
        notice,
        level: w.level.map(|l| l.label_ru().to_owned()).unwrap_or_default(),
    })
}

/// Who passed the current ticket on, as the window shows it.
fn transferred_text(w: &super::Window, zone: &jiff::tz::TimeZone) -> String {
    w.transferred_from
        .as_ref()
        .map(|t| {
            format!(
                "{}, окно {} ({}), в {}",
                t.staff_name,
                t.window_label,
                t.service_name,
                format_time(t.ended_at, zone)
            )
        })
        .unwrap_or_default()
}

/// The services the seat calls, as people read them.
fn seat_service_names(w: &super::Window) -> Vec<String> {
    w.seat
        .as_ref()
        .map(|seat| {
            w.services
                .iter()
                .filter(|s| seat.services.contains(&s.id))
                .map(|s| format!("{} — {}", s.letter, s.name))
                .collect()
        })
        .unwrap_or_default()
}

/// The staff member's window: take a seat, call the next visitor, serve, transfer, finish.
#[tracing::instrument(level = "debug", skip_all)]
async fn window_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<WindowParams>,
) -> Result<Response, PageError> {
    if !Rights::may_serve(&me) {
        // Those who read the journal but do not serve at a window go to the journal.
        Rights::journal(&me)?;
        return Ok(Redirect::to("/queue/journal").into_response());
    }
    let finish = FinishDraft {
        client_id: p.client,
        ..Default::default()
    };
    let ask = WindowAsk {
        q: p.q,
        notice: p.notice,
        centre: p.centre,
        window: None,
        services: None,
    };
    let page = window_view(&state, &me, finish, FieldErrors::new(), ask).await?;
    Ok(render(&page)?.into_response())
}

fn back(notice: &str) -> Response {
    Redirect::to(&format!("/queue?notice={notice}")).into_response()
}

/// A refusal on the window page: the page again with the message.
async fn window_error(
    state: &AppState,
    me: &CurrentStaff,
    e: WebError,
    field: &str,
    finish: FinishDraft,
) -> Result<Response, PageError> {
    window_error_at(state, me, e, field, finish, WindowAsk::default()).await
}

async fn window_error_at(
    state: &AppState,
    me: &CurrentStaff,
    e: WebError,
    field: &str,
    finish: FinishDraft,
    ask: WindowAsk,
) -> Result<Response, PageError> {
    if matches!(
        e,
        WebError::Forbidden(_) | WebError::Unauthorized | WebError::Internal(_)
    ) {
        return Err(e.into());
    }
    let (status, errors) = e.on_form(field);
    let page = window_view(state, me, finish, errors, ask).await?;
    Ok((status, render(&page)?).into_response())
}

#[derive(Deserialize)]
struct SeatForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    centre_id: i64,
    #[serde(default)]
    window: String,
    #[serde(default)]
    services: Vec<i64>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn seat(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<SeatForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match super::take_seat(&state, &me, f.centre_id, &f.window, &f.services).await {
        Ok(()) => Ok(back("seat")),
        Err(e) => {
            let ask = WindowAsk {
                centre: Some(f.centre_id),
                window: Some(f.window),
                services: Some(f.services),
                ..WindowAsk::default()
            };
            window_error_at(&state, &me, e, "window", FinishDraft::default(), ask).await
        }
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn call(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match super::call_next(&state, &me).await {
        Ok(Some(_)) => Ok(back("called")),
        Ok(None) => Ok(back("empty")),
        Err(e) => window_error(&state, &me, e, "call", FinishDraft::default()).await,
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn recall(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match super::recall(&state, &me, id).await {
        Ok(_) => Ok(back("recalled")),
        Err(e) => window_error(&state, &me, e, "call", FinishDraft::default()).await,
    }
}

async fn release(
    state: AppState,
    me: CurrentStaff,
    id: i64,
    csrf: &str,
    outcome: CallOutcome,
) -> Result<Response, PageError> {
    me.check_csrf(csrf)?;
    match super::release(&state, &me, id, outcome).await {
        Ok(()) => Ok(back(outcome.code())),
        Err(e) => window_error(&state, &me, e, "call", FinishDraft::default()).await,
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn no_show(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    release(state, me, id, &f.csrf, CallOutcome::NoShow).await
}

#[tracing::instrument(level = "debug", skip_all)]
async fn return_ticket(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    release(state, me, id, &f.csrf, CallOutcome::Returned).await
}

#[derive(Deserialize)]
struct TransferForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    service_id: i64,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn transfer(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<TransferForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match super::transfer(&state, &me, id, f.service_id).await {
        Ok(()) => Ok(back("transferred")),
        Err(e) => window_error(&state, &me, e, "service_id", FinishDraft::default()).await,
    }
}

#[derive(Deserialize)]
struct FinishForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    promised_on: String,
    #[serde(default)]
    redirected_to: String,
    #[serde(default)]
    note: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn finish(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<FinishForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let d = FinishDraft {
        result: f.result,
        topic: f.topic,
        client_id: f.client_id.trim().parse().ok(),
        account: f.account,
        promised_on: f.promised_on,
        redirected_to: f.redirected_to,
        note: f.note,
    };
    match super::finish(&state, &me, id, &d).await {
        Ok((_, done)) => {
            let client = done
                .client_id
                .map(|c| format!("&client_id={c}"))
                .unwrap_or_default();
            // The appeal starts from what the visitor came with.
            let client = format!(
                "{client}&text={}",
                crate::common::download::enc(&done.topic)
            );
            Ok(match done.result {
                // The appeal form, prefilled: in person, orally; a consultation whose answer
                // needs time is an information request with the appeals' deadline (§6.3.3).
                VisitResult::AppealRegistered => {
                    Redirect::to(&format!("/appeals/new?channel=in_person_oral{client}"))
                        .into_response()
                }
                VisitResult::Consultation => Redirect::to(&format!(
                    "/appeals/new?channel=in_person_oral&kind=information_request{client}"
                ))
                .into_response(),
                _ => back("finished"),
            })
        }
        Err(e) => window_error(&state, &me, e, "result", d).await,
    }
}

// ---------------------------------------------------------------- journal

#[derive(Template)]
#[template(path = "frontoffice/journal.html")]
struct JournalPage {
    chrome: Chrome,
    centres: Vec<Centre>,
    from: String,
    to: String,
    centre: i64,
    norms: Vec<NormLine>,
    visits: Vec<VisitLine>,
    errors: FieldErrors,
}

struct NormLine {
    level: String,
    receptions: i64,
    within: i64,
    share: String,
    avg_service: String,
    avg_wait: String,
    norm: i64,
    kept: bool,
}

struct VisitLine {
    label: String,
    service: String,
    taken_at: String,
    status: String,
    wait: String,
    service_time: String,
    staff: String,
    topic: String,
    result: String,
    over: bool,
}

fn minutes(us: Option<i64>) -> String {
    us.map_or_else(String::new, |u| {
        let s = u / 1_000_000;
        format!("{}:{:02}", s / 60, s % 60)
    })
}

fn norm_line(n: NormRow) -> NormLine {
    let share = if n.receptions > 0 {
        format!("{} %", n.within * 100 / n.receptions)
    } else {
        "—".into()
    };
    NormLine {
        level: n.level.label_ru().into(),
        receptions: n.receptions,
        within: n.within,
        share,
        avg_service: minutes(Some(n.avg_service_secs * 1_000_000)),
        avg_wait: minutes(Some(n.avg_wait_secs * 1_000_000)),
        norm: n.norm_minutes,
        kept: n.avg_service_secs <= n.norm_minutes * 60,
    }
}

/// The journal of visits and how the norms of reception were kept (§6.3.4).
#[tracing::instrument(level = "debug", skip_all)]
async fn journal_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<JournalParams>,
) -> Result<Response, PageError> {
    Rights::journal(&me)?;
    let centres = super::centres(&state).await?;
    let (j, errors) = match super::journal(&state, &me, &p).await {
        Ok(j) => (j, FieldErrors::new()),
        Err(WebError::Invalid(e)) => (
            super::journal(
                &state,
                &me,
                &JournalParams {
                    centre: p.centre,
                    ..Default::default()
                },
            )
            .await?,
            e,
        ),
        Err(e) => return Err(e.into()),
    };
    let visits = j
        .visits
        .into_iter()
        .map(|v| {
            let norm_us = 15 * 60 * 1_000_000;
            VisitLine {
                over: v.service.is_some_and(|s| s > norm_us),
                label: v.label,
                service: v.service_name,
                taken_at: format_time(v.taken_at, &me.zone),
                status: v.status.label_ru().into(),
                wait: minutes(v.wait),
                service_time: minutes(v.service),
                staff: v.staff_name.unwrap_or_default(),
                topic: v.topic.unwrap_or_default(),
                result: v
                    .result
                    .as_deref()
                    .map(abonent_store::frontoffice::queue::result_label)
                    .unwrap_or_default()
                    .into(),
            }
        })
        .collect();
    let page = JournalPage {
        chrome: Chrome::for_staff("Журнал визитов", &me, "queue"),
        centres,
        from: j.from,
        to: j.to,
        centre: j.centre.unwrap_or(0),
        norms: j.norms.into_iter().map(norm_line).collect(),
        visits,
        errors,
    };
    Ok(render(&page)?.into_response())
}

// ---------------------------------------------------------------- administration

#[derive(Template)]
#[template(path = "frontoffice/admin.html")]
struct AdminPage {
    chrome: Chrome,
    centres: Vec<Centre>,
    centre: i64,
    services: Vec<QueueService>,
    levels: Vec<(String, String)>,
    devices: Vec<DeviceLine>,
    enrolled: Option<Enrolled>,
    errors: FieldErrors,
    draft: ServiceDraft,
}

struct DeviceLine {
    id: i64,
    centre: String,
    kind: String,
    name: String,
    created_at: String,
    last_seen: String,
    revoked: bool,
}

#[derive(Deserialize, Default)]
struct AdminParams {
    #[serde(default)]
    centre: Option<i64>,
}

async fn admin_view(
    state: &AppState,
    me: &CurrentStaff,
    centre: Option<i64>,
    enrolled: Option<Enrolled>,
    errors: FieldErrors,
    draft: ServiceDraft,
) -> Result<AdminPage, WebError> {
    Rights::configure(me)?;
    let centres = super::centres(state).await?;
    let centre = centre
        .or(me.staff.centre_id)
        .or_else(|| centres.first().map(|c| c.id))
        .unwrap_or(0);
    let services = if centre > 0 {
        super::services(state, me, centre).await?
    } else {
        Vec::new()
    };
    let devices: Vec<Device> = super::devices(state, me).await?;
    let name_of = |id: i64| {
        centres
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    Ok(AdminPage {
        chrome: Chrome::for_staff("Очередь, киоски и табло", me, "admin"),
        devices: devices
            .into_iter()
            .map(|d| DeviceLine {
                id: d.id,
                centre: name_of(d.centre_id),
                kind: DeviceKind::parse(&d.kind)
                    .map_or(d.kind.clone(), |k| k.label_ru().to_owned()),
                name: d.name,
                created_at: format_time(d.created_at, &me.zone),
                last_seen: d
                    .last_seen_at
                    .map(|t| format_time(t, &me.zone))
                    .unwrap_or_else(|| "ещё не подключалось".into()),
                revoked: d.revoked_at.is_some(),
            })
            .collect(),
        centres,
        centre,
        services,
        levels: ServiceLevel::ALL
            .iter()
            .map(|l| (l.code().to_owned(), l.label_ru().to_owned()))
            .collect(),
        enrolled,
        errors,
        draft,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn admin_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<AdminParams>,
) -> Result<Response, PageError> {
    let page = admin_view(
        &state,
        &me,
        p.centre,
        None,
        FieldErrors::new(),
        ServiceDraft::default(),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
struct ServiceForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    centre_id: i64,
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    letter: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    norm_minutes: String,
    #[serde(default)]
    active: Option<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn save_service(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<ServiceForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let d = ServiceDraft {
        letter: f.letter,
        name: f.name,
        level: f.level,
        priority: f.priority,
        norm_minutes: f.norm_minutes,
        active: f.active.is_some(),
    };
    match super::save_service(&state, &me, f.centre_id, f.id, &d).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/admin/frontoffice?centre={}", f.centre_id)).into_response())
        }
        Err(e @ (WebError::Invalid(_) | WebError::Conflict(_))) => {
            let (status, errors) = e.on_form("letter");
            let page = admin_view(&state, &me, Some(f.centre_id), None, errors, d).await?;
            Ok((status, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct EnrolForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    centre_id: i64,
    #[serde(default)]
    kind: String,
    #[serde(default, alias = "name")]
    device_name: String,
}

/// Enrols a device and shows its link once.
#[tracing::instrument(level = "debug", skip_all)]
async fn enrol(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<EnrolForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match super::enrol(&state, &me, f.centre_id, &f.kind, &f.device_name).await {
        Ok(e) => {
            let page = admin_view(
                &state,
                &me,
                Some(f.centre_id),
                Some(e),
                FieldErrors::new(),
                ServiceDraft::default(),
            )
            .await?;
            Ok(([(header::CACHE_CONTROL, "no-store")], render(&page)?).into_response())
        }
        Err(WebError::Invalid(errors)) => {
            let page = admin_view(
                &state,
                &me,
                Some(f.centre_id),
                None,
                errors,
                ServiceDraft::default(),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn revoke(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    super::revoke(&state, &me, id).await?;
    Ok(Redirect::to("/admin/frontoffice").into_response())
}
