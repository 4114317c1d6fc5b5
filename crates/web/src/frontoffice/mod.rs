//! Front office (§6 of the standard): the hall's electronic queue (CHN-01) — the kiosk that
//! gives tickets, the hall display, the staff's windows, the journal of visits measured against
//! the norms of reception time, and the hall's enrolled devices. The one place where the
//! capability's rights are checked: its adapters (`api`, `pages`) ask [`Rights`] and call the
//! functions here. The register of incidents (CHN-05) and the directory of competences
//! (CHN-07) are sub-capabilities with their own entries and adapters.

pub mod api;
pub mod boards;
pub mod booking;
pub mod competences;
pub mod devices;
pub mod home_visits;
pub mod incidents;
pub mod pages;

use abonent_domain::frontoffice::queue::{
    kiosk_account, CallOutcome, Finish, FinishDraft, ServiceDraft, ServiceLevel, TicketRequest,
};
use abonent_domain::org::Permission;
use abonent_domain::validation::FieldErrors;
use abonent_store::clients::SearchHit;
use abonent_store::frontoffice::queue::{
    Board, Device, NormRow, QueueService, Seat, TakenTicket, Ticket, Transferred, VisitRow,
};
use abonent_store::idempotency::IdemKey;
use abonent_store::org::Centre;
use abonent_store::StoreError;
use serde::{Deserialize, Serialize};

use crate::auth::CurrentStaff;
use crate::common::clock::{company_tz, today_in};
use crate::common::idempotency::once;
use crate::common::tokens::{random_token, token_hash};
use crate::{AppState, WebError};
use devices::{DeviceKind, HallDevice};

/// Who may do what in the hall.
pub struct Rights;

impl Rights {
    /// Serve visitors at a window.
    pub fn serve(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ServeVisitors)
    }

    pub fn may_serve(me: &CurrentStaff) -> bool {
        me.can(Permission::ServeVisitors)
    }

    /// Read the journal of visits and the norms report.
    pub fn journal(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ViewVisits)
    }

    /// Set services and norms, enrol and revoke devices.
    pub fn configure(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ConfigureFrontOffice)
    }

    pub fn may_configure(me: &CurrentStaff) -> bool {
        me.can(Permission::ConfigureFrontOffice)
    }
}

/// The service centres, for choosing one.
pub async fn centres(state: &AppState) -> Result<Vec<Centre>, WebError> {
    Ok(state.store.centres().await?)
}

/// What a kiosk shows: its centre and the services it gives tickets for.
pub async fn kiosk(
    state: &AppState,
    dev: &HallDevice,
    centre_id: i64,
) -> Result<(Centre, Vec<QueueService>, Board), WebError> {
    dev.check(centre_id, DeviceKind::Kiosk)?;
    let centre = state.store.centre(centre_id).await?;
    let services = state
        .store
        .queue_services(centre_id)
        .await?
        .into_iter()
        .filter(|s| s.active == 1)
        .collect();
    let board = state.store.queue_board(centre_id).await?;
    Ok((centre, services, board))
}

/// Gives a ticket at a kiosk. `once` is the page's one-time token (or the API's
/// `Idempotency-Key`): a double tap gets the first ticket again.
pub async fn take_ticket(
    state: &AppState,
    dev: &HallDevice,
    centre_id: i64,
    req: &TicketRequest,
    key: Option<IdemKey>,
) -> Result<TakenTicket, WebError> {
    let d = dev.check(centre_id, DeviceKind::Kiosk)?.clone();
    let account = kiosk_account(&req.account)?;
    let day = today_in(company_tz(state));
    let taken = once(state, key, async {
        Ok(state
            .store
            .take_ticket(centre_id, req.service_id, account.as_ref(), Some(d.id), day)
            .await?)
    })
    .await?;
    state.boards.poke(centre_id);
    Ok(taken)
}

/// The idempotency scope of a device's requests.
pub fn device_scope(dev: &HallDevice) -> String {
    format!("kiosk:{}", dev.0.id)
}

/// A ticket the kiosk gave, to print (only tickets of the kiosk's centre), with the company's
/// name for its header.
pub async fn kiosk_ticket(
    state: &AppState,
    dev: &HallDevice,
    centre_id: i64,
    id: i64,
) -> Result<(TakenTicket, String), WebError> {
    dev.check(centre_id, DeviceKind::Kiosk)?;
    let t = state.store.queue_ticket(id).await.map_err(|e| match e {
        StoreError::NotFound => WebError::NotFound("Талон не найден.".into()),
        e => e.into(),
    })?;
    if t.ticket.centre_id != centre_id {
        return Err(WebError::NotFound("Талон не найден.".into()));
    }
    let company = state
        .store
        .company()
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    Ok((t, company))
}

/// The hall display's centre and its board now.
pub async fn display(
    state: &AppState,
    dev: &HallDevice,
    centre_id: i64,
) -> Result<(Centre, Board), WebError> {
    dev.check(centre_id, DeviceKind::Display)?;
    Ok((
        state.store.centre(centre_id).await?,
        state.store.queue_board(centre_id).await?,
    ))
}

/// The live board of a display.
pub fn display_events(
    state: &AppState,
    dev: &HallDevice,
    centre_id: i64,
) -> Result<tokio::sync::watch::Receiver<Option<std::sync::Arc<Board>>>, WebError> {
    dev.check(centre_id, DeviceKind::Display)?;
    Ok(state.boards.subscribe(&state.store, centre_id))
}

/// What a staff member's window page shows.
pub struct Window {
    pub seat: Option<Seat>,
    pub current: Option<Ticket>,
    /// The services of the seat's centre (all, for transfers).
    pub services: Vec<QueueService>,
    pub board: Option<Board>,
    pub centres: Vec<Centre>,
    /// The centre whose services are offered.
    pub centre: Option<i64>,
    /// The staff member's level of reception (technician, head of sales, branch head).
    pub level: Option<ServiceLevel>,
    /// Who passed the current ticket on, if it was transferred.
    pub transferred_from: Option<Transferred>,
}

/// The staff member's window: seat, the ticket at it, the queue of the centre. `centre` is the
/// centre chosen in the seat form (its services are offered); otherwise the seat's, the staff
/// member's, or the first centre.
pub async fn window(
    state: &AppState,
    me: &CurrentStaff,
    centre: Option<i64>,
) -> Result<Window, WebError> {
    Rights::serve(me)?;
    let seat = state.store.queue_seat(me.staff.id).await?;
    let current = state.store.current_ticket(me.staff.id).await?;
    let centres = state.store.centres().await?;
    let centre = centre
        .filter(|c| centres.iter().any(|x| x.id == *c))
        .or(seat.as_ref().map(|s| s.centre_id))
        .or(me.staff.centre_id)
        .or_else(|| centres.first().map(|c| c.id));
    let (services, board) = match centre {
        Some(c) => (
            state.store.queue_services(c).await?,
            Some(state.store.queue_board(c).await?),
        ),
        None => (Vec::new(), None),
    };
    let transferred_from = match &current {
        Some(t) => state.store.transferred_from(t.id).await?,
        None => None,
    };
    Ok(Window {
        seat,
        current,
        services,
        board,
        centre,
        centres,
        level: ServiceLevel::of_role(me.role),
        transferred_from,
    })
}

/// The services a staff member of this level calls by default.
pub fn default_seat_services(services: &[QueueService], level: Option<ServiceLevel>) -> Vec<i64> {
    services
        .iter()
        .filter(|s| s.active == 1 && Some(s.level) == level)
        .map(|s| s.id)
        .collect()
}

/// Sits the staff member at a window of a centre.
pub async fn take_seat(
    state: &AppState,
    me: &CurrentStaff,
    centre_id: i64,
    window_label: &str,
    services: &[i64],
) -> Result<(), WebError> {
    Rights::serve(me)?;
    let w = window_label.trim();
    if w.is_empty() || w.chars().count() > 20 {
        return Err(
            FieldErrors::single("window", "Укажите окно: например, «3» или «Окно 3».").into(),
        );
    }
    if services.is_empty() {
        return Err(FieldErrors::single("services", "Отметьте хотя бы одну услугу.").into());
    }
    state
        .store
        .set_queue_seat(me.staff.id, centre_id, w, services)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => WebError::NotFound("Центр обслуживания не найден.".into()),
            e => e.into(),
        })?;
    state.boards.poke(centre_id);
    Ok(())
}

async fn seat_of(state: &AppState, me: &CurrentStaff) -> Result<Seat, WebError> {
    state
        .store
        .queue_seat(me.staff.id)
        .await?
        .ok_or_else(|| FieldErrors::single("window", "Сначала выберите окно и услуги.").into())
}

/// Calls the next visitor to the staff member's window; `None` when nobody waits.
pub async fn call_next(state: &AppState, me: &CurrentStaff) -> Result<Option<Ticket>, WebError> {
    Rights::serve(me)?;
    let seat = seat_of(state, me).await?;
    let t = state.store.call_next(me.staff.id, &seat).await?;
    state.boards.poke(seat.centre_id);
    Ok(t)
}

/// Calls the staff member's ticket again.
pub async fn recall(state: &AppState, me: &CurrentStaff, id: i64) -> Result<Ticket, WebError> {
    Rights::serve(me)?;
    let t = state.store.recall_ticket(id, me.staff.id).await?;
    state.boards.poke(t.centre_id);
    Ok(t)
}

/// The visitor did not come (`NoShow`), or the ticket goes back to its place (`Returned`).
pub async fn release(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    outcome: CallOutcome,
) -> Result<(), WebError> {
    Rights::serve(me)?;
    let t = state.store.queue_ticket(id).await?;
    state.store.release_ticket(id, me.staff.id, outcome).await?;
    state.boards.poke(t.ticket.centre_id);
    Ok(())
}

/// Transfers the staff member's ticket to another service of the centre.
pub async fn transfer(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    to_service: i64,
) -> Result<(), WebError> {
    Rights::serve(me)?;
    let t = state.store.queue_ticket(id).await?;
    state
        .store
        .transfer_ticket(id, me.staff.id, to_service)
        .await?;
    state.boards.poke(t.ticket.centre_id);
    Ok(())
}

/// Finishes the visit with its record. The client is the one chosen, or the owner of the
/// account number given (at the kiosk or here).
pub async fn finish(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    d: &FinishDraft,
) -> Result<(Ticket, Finish), WebError> {
    Rights::serve(me)?;
    let mut f = d.check(today_in(&me.zone))?;
    let t = state.store.queue_ticket(id).await?;
    if f.client_id.is_none() {
        let number = match &f.account {
            Some(a) => Some(a.clone()),
            None => t
                .ticket
                .account_number
                .as_deref()
                .and_then(|n| kiosk_account(n).ok().flatten()),
        };
        if let Some(n) = number {
            match state.store.account_by_number(&n).await {
                Ok(a) => f.client_id = Some(a.client_id),
                Err(StoreError::NotFound) if f.account.is_some() => {
                    return Err(FieldErrors::single(
                        "account",
                        "Лицевой счёт с таким номером не найден.",
                    )
                    .into())
                }
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    let done = state
        .store
        .finish_ticket(id, &f, &me.actor())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                WebError::Invalid(FieldErrors::single("client_id", "Клиент не найден."))
            }
            e => e.into(),
        })?;
    state.boards.poke(done.centre_id);
    Ok((done, f))
}

/// Clients for the finish form (by account, name, address or phone); audited as a search.
pub async fn find_clients(
    state: &AppState,
    me: &CurrentStaff,
    q: &str,
) -> Result<Vec<SearchHit>, WebError> {
    Rights::serve(me)?;
    crate::clients::search(state, me, q).await
}

/// The journal's period and centre.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct JournalParams {
    /// `YYYY-MM-DD`, the first day; a week ago when empty.
    #[serde(default)]
    pub from: String,
    /// `YYYY-MM-DD`, the last day; today when empty.
    #[serde(default)]
    pub to: String,
    /// A service centre's id; all centres when empty.
    #[serde(default)]
    pub centre: Option<i64>,
}

/// The journal: visits and how the norms of reception were kept.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Journal {
    pub from: String,
    pub to: String,
    pub centre: Option<i64>,
    pub visits: Vec<VisitRow>,
    pub norms: Vec<NormRow>,
}

/// The journal of visits of a period (CHN-01): each visit's wait and reception times, and per
/// level of reception the share kept within the norm (§6.3.4).
pub async fn journal(
    state: &AppState,
    me: &CurrentStaff,
    p: &JournalParams,
) -> Result<Journal, WebError> {
    Rights::journal(me)?;
    let today = today_in(&me.zone);
    let parse = |field: &str, v: &str, default: jiff::civil::Date| -> Result<_, WebError> {
        if v.trim().is_empty() {
            return Ok(default);
        }
        v.trim()
            .parse::<jiff::civil::Date>()
            .map_err(|_| FieldErrors::single(field, "Дата в виде ГГГГ-ММ-ДД.").into())
    };
    let week_ago = today
        .checked_sub(jiff::Span::new().days(6))
        .unwrap_or(today);
    let from = parse("from", &p.from, week_ago)?;
    let to = parse("to", &p.to, today)?;
    if to < from {
        return Err(FieldErrors::single("to", "Конец периода раньше начала.").into());
    }
    let micros = |d: jiff::civil::Date| -> Result<i64, WebError> {
        Ok(d.to_zoned(me.zone.clone())
            .map_err(|e| WebError::Internal(e.into()))?
            .timestamp()
            .as_microsecond())
    };
    let next = to.tomorrow().map_err(|e| WebError::Internal(e.into()))?;
    let (a, b) = (micros(from)?, micros(next)?);
    Ok(Journal {
        from: from.to_string(),
        to: to.to_string(),
        centre: p.centre,
        visits: state.store.queue_visits(p.centre, a, b, 500).await?,
        norms: state.store.queue_norms(p.centre, a, b).await?,
    })
}

/// The services of a centre, to configure.
pub async fn services(
    state: &AppState,
    me: &CurrentStaff,
    centre_id: i64,
) -> Result<Vec<QueueService>, WebError> {
    Rights::configure(me)?;
    Ok(state.store.queue_services(centre_id).await?)
}

/// Adds a service to a centre or changes one (its norm, priority, letter).
pub async fn save_service(
    state: &AppState,
    me: &CurrentStaff,
    centre_id: i64,
    id: Option<i64>,
    d: &ServiceDraft,
) -> Result<i64, WebError> {
    Rights::configure(me)?;
    let spec = d.check()?;
    state.store.queue_services(centre_id).await?;
    let id = state
        .store
        .save_queue_service(centre_id, id, &spec, &me.actor())
        .await?;
    state.boards.poke(centre_id);
    Ok(id)
}

/// The hall's devices.
pub async fn devices(state: &AppState, me: &CurrentStaff) -> Result<Vec<Device>, WebError> {
    Rights::configure(me)?;
    Ok(state.store.devices().await?)
}

/// A device just enrolled: its token is shown once.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Enrolled {
    pub id: i64,
    pub centre_id: i64,
    /// `kiosk` or `display`.
    pub kind: String,
    /// The device's secret: shown once, stored only as its SHA-256.
    pub token: String,
    /// Open this address once on the device; it keeps the token in a cookie.
    pub enrol_path: String,
}

/// Enrols a kiosk or a display for a centre.
pub async fn enrol(
    state: &AppState,
    me: &CurrentStaff,
    centre_id: i64,
    kind: &str,
    name: &str,
) -> Result<Enrolled, WebError> {
    Rights::configure(me)?;
    let Some(k) = DeviceKind::parse(kind.trim()) else {
        return Err(FieldErrors::single("kind", "Выберите: киоск или табло.").into());
    };
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(FieldErrors::single(
            "device_name",
            "Назовите устройство (до 100 символов): например, «Киоск у входа».",
        )
        .into());
    }
    let token = random_token();
    let id = state
        .store
        .enrol_device(centre_id, k.code(), name, &token_hash(&token), &me.actor())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => WebError::NotFound("Центр обслуживания не найден.".into()),
            e => e.into(),
        })?;
    Ok(Enrolled {
        id,
        centre_id,
        kind: k.code().into(),
        enrol_path: format!("/devices/enrol?token={token}"),
        token,
    })
}

/// Revokes a device.
pub async fn revoke(state: &AppState, me: &CurrentStaff, id: i64) -> Result<(), WebError> {
    Rights::configure(me)?;
    state
        .store
        .revoke_device(id, &me.actor())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                WebError::NotFound("Устройство не найдено или уже отозвано.".into())
            }
            e => e.into(),
        })
}

/// Where an enrolled device's token leads: its kiosk or display page; `None` for an unknown
/// or revoked token.
pub async fn device_home(state: &AppState, token: &str) -> Result<Option<String>, WebError> {
    if token.is_empty() || token.len() > 200 {
        return Ok(None);
    }
    Ok(state
        .store
        .device_by_token(&token_hash(token))
        .await?
        .and_then(|d| {
            DeviceKind::parse(&d.kind).map(|k| match k {
                DeviceKind::Kiosk => format!("/kiosk/{}", d.centre_id),
                DeviceKind::Display => format!("/display/{}", d.centre_id),
            })
        }))
}
