//! Pre-booked visits (CHN-01): free slots of a centre's service, booking by the client in the
//! personal account or by staff taking a call, cancellation, and the check-in at the kiosk with
//! the booking's code. The sub-capability's one entry: its adapters call these functions.

pub mod api;
pub mod pages;

use abonent_domain::frontoffice::booking::{
    check_slot, day_slots, BookingChannel, BookingDraft, BOOKING_DAYS_AHEAD,
};
use abonent_domain::hours::WeeklyHours;
use abonent_domain::validation::FieldErrors;
use abonent_store::frontoffice::booking::{Booking, NewBooking};
use abonent_store::frontoffice::queue::{QueueService, TakenTicket};
use abonent_store::org::Centre;
use abonent_store::StoreError;
use jiff::civil::{Date, DateTime};
use rand::Rng;
use serde::Serialize;

use super::devices::{DeviceKind, HallDevice};
use super::Rights;
use crate::auth::client::CurrentClient;
use crate::auth::CurrentStaff;
use crate::common::clock::{company_tz, today_in};
use crate::{AppState, WebError};

/// A slot of a day and how many seats are still free.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Slot {
    /// `YYYY-MM-DDTHH:MM`.
    pub start: String,
    /// `HH:MM`.
    pub time: String,
    pub free: i64,
}

/// Who books: a staff member taking a call, or the client in the personal account.
pub enum Booker<'a> {
    Staff(&'a CurrentStaff),
    Client(&'a CurrentClient),
}

/// The hours a centre books by: its reception hours, or its opening hours.
fn centre_hours(c: &Centre) -> WeeklyHours {
    let text = c
        .reception_hours
        .as_deref()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or(&c.opening_hours);
    WeeklyHours::parse(text).unwrap_or(WeeklyHours { rules: Vec::new() })
}

fn now_local(state: &AppState) -> DateTime {
    jiff::Zoned::now()
        .with_time_zone(company_tz(state).clone())
        .datetime()
}

fn micros(state: &AppState, at: DateTime) -> Result<i64, WebError> {
    Ok(at
        .to_zoned(company_tz(state).clone())
        .map_err(|e| WebError::Internal(e.into()))?
        .timestamp()
        .as_microsecond())
}

async fn service_of(
    state: &AppState,
    centre_id: i64,
    service_id: i64,
) -> Result<(Centre, QueueService), WebError> {
    let centre = state.store.centre(centre_id).await.map_err(|e| match e {
        StoreError::NotFound => WebError::Invalid(FieldErrors::single(
            "centre_id",
            "Выберите центр обслуживания.",
        )),
        e => e.into(),
    })?;
    let service = state
        .store
        .queue_services(centre_id)
        .await?
        .into_iter()
        .find(|s| s.id == service_id && s.active == 1)
        .ok_or_else(|| WebError::Invalid(FieldErrors::single("service_id", "Выберите услугу.")))?;
    Ok((centre, service))
}

/// The centres and their active services, for the booking form.
pub async fn choices(state: &AppState) -> Result<Vec<(Centre, Vec<QueueService>)>, WebError> {
    let mut out = Vec::new();
    for c in state.store.centres().await? {
        let services = state
            .store
            .queue_services(c.id)
            .await?
            .into_iter()
            .filter(|s| s.active == 1)
            .collect();
        out.push((c, services));
    }
    Ok(out)
}

/// The days a visit can be booked on, from today.
pub fn booking_days(state: &AppState) -> Vec<Date> {
    let today = today_in(company_tz(state));
    (0..=BOOKING_DAYS_AHEAD)
        .filter_map(|d| today.checked_add(jiff::Span::new().days(d)).ok())
        .collect()
}

/// The free slots of a service on a day (none past, none on a day off).
pub async fn free_slots(
    state: &AppState,
    centre_id: i64,
    service_id: i64,
    day: Date,
) -> Result<Vec<Slot>, WebError> {
    let (centre, service) = service_of(state, centre_id, service_id).await?;
    let calendar = crate::appeals::rules(state).await?.calendar.clone();
    let minutes = u32::try_from(service.norm_minutes).unwrap_or(15);
    let booked = state.store.booked_slots(centre_id, service_id, day).await?;
    let now = now_local(state);
    let mut out = Vec::new();
    for t in day_slots(&centre_hours(&centre), &calendar, day, minutes) {
        let start = day.to_datetime(t);
        if start <= now {
            continue;
        }
        let at = micros(state, start)?;
        let taken = booked.iter().find(|b| b.0 == at).map_or(0, |b| b.1);
        let free = service.booking_seats.max(1) - taken;
        if free > 0 {
            out.push(Slot {
                start: start.strftime("%Y-%m-%dT%H:%M").to_string(),
                time: start.strftime("%H:%M").to_string(),
                free,
            });
        }
    }
    Ok(out)
}

/// Books a visit: by staff taking a call (the right to serve visitors) or by the client (the
/// account named must be one of theirs, if any).
pub async fn book(
    state: &AppState,
    who: Booker<'_>,
    d: &BookingDraft,
) -> Result<Booking, WebError> {
    let (channel, actor, user, linked) = match who {
        Booker::Staff(me) => {
            Rights::serve(me)?;
            (BookingChannel::Phone, me.actor(), None, None)
        }
        Booker::Client(me) => (
            BookingChannel::Portal,
            me.actor(),
            Some(me.user.id),
            Some(&me.accounts),
        ),
    };
    let r = d.check()?;
    let (centre, service) = service_of(state, r.centre_id, r.service_id).await?;
    let calendar = crate::appeals::rules(state).await?.calendar.clone();
    let minutes = u32::try_from(service.norm_minutes).unwrap_or(15);
    check_slot(
        r.slot,
        now_local(state),
        &centre_hours(&centre),
        &calendar,
        minutes,
    )?;
    let client_id = match &r.account {
        Some(n) => match state.store.account_by_number(n).await {
            Ok(a) if linked.is_none_or(|l| l.contains(&a.id)) => Some(a.client_id),
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(
                    FieldErrors::single("account", "Лицевой счёт не найден среди ваших.").into(),
                )
            }
            Err(e) => return Err(e.into()),
        },
        None => match linked.and_then(|l| l.first()) {
            Some(a) => Some(state.store.account(*a).await?.client_id),
            None => None,
        },
    };
    let b = NewBooking {
        centre_id: r.centre_id,
        service_id: r.service_id,
        day: r.slot.date(),
        slot_start: micros(state, r.slot)?,
        slot_minutes: service.norm_minutes,
        channel,
        name: r.name,
        phone: r.phone,
        email: r.email,
        account: r.account,
        client_id,
        portal_user_id: user,
        random: rand::thread_rng().gen_range(0..1000),
    };
    Ok(state.store.book_visit(&b, &actor).await?)
}

/// Cancels a booking: the client their own, staff any; returns the booking as it was.
pub async fn cancel(state: &AppState, who: Booker<'_>, id: i64) -> Result<Booking, WebError> {
    let b = state.store.booking(id).await.map_err(|e| match e {
        StoreError::NotFound => WebError::NotFound("Запись не найдена.".into()),
        e => e.into(),
    })?;
    let actor = match who {
        Booker::Staff(me) => {
            Rights::serve(me)?;
            me.actor()
        }
        Booker::Client(me) => {
            let mine = state
                .store
                .bookings_of_user(me.user.id, Date::MIN)
                .await?
                .iter()
                .any(|x| x.id == b.id);
            if !mine {
                return Err(WebError::NotFound("Запись не найдена.".into()));
            }
            me.actor()
        }
    };
    state.store.cancel_booking(id, &actor).await?;
    Ok(b)
}

/// The client's bookings from today on.
pub async fn my_bookings(state: &AppState, me: &CurrentClient) -> Result<Vec<Booking>, WebError> {
    Ok(state
        .store
        .bookings_of_user(me.user.id, today_in(company_tz(state)))
        .await?)
}

/// A centre's bookings of a day, for staff.
pub async fn day_bookings(
    state: &AppState,
    me: &CurrentStaff,
    centre_id: Option<i64>,
    day: Date,
) -> Result<Vec<Booking>, WebError> {
    Rights::serve(me)?;
    let list = state.store.bookings_of_day(centre_id, day).await?;
    // Names and phones of the people booked: a view of personal data.
    state
        .store
        .audit(
            &me.actor(),
            "queue.bookings_view",
            "booking",
            &day.to_string(),
            &format!("centre {}: {} bookings", centre_id.unwrap_or(0), list.len()),
        )
        .await?;
    Ok(list)
}

/// A booked visitor checks in at the kiosk with the code: a ticket placed at the slot's time.
pub async fn check_in(
    state: &AppState,
    dev: &HallDevice,
    centre_id: i64,
    code: &str,
) -> Result<TakenTicket, WebError> {
    let d = dev.check(centre_id, DeviceKind::Kiosk)?.clone();
    let code: String = code.chars().filter(char::is_ascii_digit).collect();
    if code.is_empty() {
        return Err(FieldErrors::single("code", "Введите код из подтверждения записи.").into());
    }
    let day = today_in(company_tz(state));
    let t = state
        .store
        .check_in(centre_id, &code, day, Some(d.id))
        .await
        .map_err(|e| match e {
            StoreError::Refused(r) => WebError::Invalid(FieldErrors::single("code", r.to_string())),
            e => e.into(),
        })?;
    state.boards.poke(centre_id);
    Ok(t)
}

/// The time of a booking for people, in the company's zone.
pub fn booking_time(state: &AppState, b: &Booking) -> String {
    crate::common::clock::format_time(b.slot_start, company_tz(state))
}
