//! Home visits (CHN-06, §6.1.3): requests from the client's card, by phone or from the personal
//! account; the assignment of a day, a time window and a staff member of the client's branch
//! (by those who schedule visits), moves and cancellations with a reason, each told to the
//! client by the `home_visit` notice; the visiting staff member's result; the lists per staff
//! member and day with the overdue marks. The one place where the rights are checked: the
//! adapters (`api`, `pages`, and the personal account's page) ask [`Rights`] and call here.

pub mod api;
pub mod pages;

use abonent_domain::accounts::AccountNumber;
use abonent_domain::calendar::WorkingCalendar;
use abonent_domain::frontoffice::home_visits::{
    check_schedule_days, overdue, CancelDraft, HomeVisitDraft, HomeVisitStatus, Overdue,
    ResultDraft, ScheduleDraft,
};
use abonent_domain::org::Permission;
use abonent_domain::refusal::HomeVisitRefusal;
use abonent_domain::validation::FieldErrors;
use abonent_store::frontoffice::home_visits::{HomeVisit, HomeVisitFilter, HomeVisitStep, Visitor};
use abonent_store::idempotency::IdemKey;
use abonent_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::client::CurrentClient;
use crate::auth::CurrentStaff;
use crate::clients::ClientCard;
use crate::common::clock::{company_tz, today_in};
use crate::common::idempotency::once;
use crate::{AppState, WebError};

/// Who may do what with home visits.
pub struct Rights;

impl Rights {
    /// Record a request (from the card or by phone) and a visit's result: those who serve
    /// visitors.
    pub fn request(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ServeVisitors)
    }

    pub fn may_request(me: &CurrentStaff) -> bool {
        me.can(Permission::ServeVisitors)
    }

    /// See the lists and a visit's card.
    pub fn view(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ViewVisits)
    }

    /// Assign, move and cancel visits; set the scheduling norm.
    pub fn schedule(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ScheduleHomeVisits)
    }

    pub fn may_schedule(me: &CurrentStaff) -> bool {
        me.can(Permission::ScheduleHomeVisits)
    }

    /// Record what a visit came to (the staff member sent on it, or one who schedules).
    pub fn serve(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ServeVisitors)
    }

    pub fn may_serve(me: &CurrentStaff) -> bool {
        me.can(Permission::ServeVisitors)
    }
}

/// Who asks for a visit.
pub enum Requester<'a> {
    /// A staff member, from the client's card or taking a call.
    Staff(&'a CurrentStaff),
    /// The client, in the personal account.
    Client(&'a CurrentClient),
}

/// The idempotency scope of a staff member's requests.
pub fn scope(me: &CurrentStaff) -> String {
    format!("home-visits:{}", me.staff.id)
}

/// The idempotency scope of a personal account's requests.
pub fn portal_scope(me: &CurrentClient) -> String {
    format!("portal-home-visit:{}", me.user.id)
}

fn not_found(e: StoreError) -> WebError {
    match e {
        StoreError::NotFound => WebError::NotFound("Выезд не найден.".into()),
        e => e.into(),
    }
}

/// The account a request names: by its number, of the client; the only account when none is
/// named and the client has one.
async fn account_of(
    state: &AppState,
    client_id: i64,
    number: &str,
) -> Result<abonent_store::accounts::AccountView, WebError> {
    let wrong = || FieldErrors::single("account", "Выберите лицевой счёт клиента.");
    let text: String = number.chars().filter(|c| !c.is_whitespace()).collect();
    if text.is_empty() {
        let mut all = state.store.accounts_of_client(client_id).await?;
        return match all.len() {
            1 => Ok(all.remove(0)),
            _ => Err(wrong().into()),
        };
    }
    let n = AccountNumber::parse(&text).map_err(|m| FieldErrors::single("account", m))?;
    match state.store.account_by_number(&n).await {
        Ok(a) if a.client_id == client_id => Ok(a),
        Ok(_) | Err(StoreError::NotFound) => Err(wrong().into()),
        Err(e) => Err(e.into()),
    }
}

/// Records a request. Staff name the client and the channel (`card`, `phone`); the personal
/// account's client names one of their accounts. `key` (the page's one-time token or the API's
/// `Idempotency-Key`) makes a double submit one request.
pub async fn request(
    state: &AppState,
    who: Requester<'_>,
    d: &HomeVisitDraft,
    key: Option<IdemKey>,
) -> Result<HomeVisit, WebError> {
    let (today, actor, from_portal) = match &who {
        Requester::Staff(me) => {
            Rights::request(me)?;
            (today_in(&me.zone), me.actor(), false)
        }
        Requester::Client(me) => (today_in(company_tz(state)), me.actor(), true),
    };
    let checked = d.check(today, from_portal);
    let (client_id, account) = match &who {
        Requester::Staff(_) => {
            let Some(client_id) = d.client_id else {
                let mut e = checked.err().unwrap_or_default();
                e.add("client_id", "Выберите клиента.");
                return Err(e.into());
            };
            (client_id, account_of(state, client_id, &d.account).await)
        }
        Requester::Client(me) => {
            let first = me.accounts.first().copied().unwrap_or(0);
            let account = match AccountNumber::parse(d.account.trim()) {
                Ok(n) => state.store.account_by_number(&n).await.ok(),
                Err(_) if d.account.trim().is_empty() && me.accounts.len() == 1 => {
                    state.store.account(first).await.ok()
                }
                Err(_) => None,
            };
            let account = match account {
                Some(a) if me.accounts.contains(&a.id) => Ok(a),
                _ => Err(FieldErrors::single("account", "Выберите лицевой счёт из списка.").into()),
            };
            let client = account.as_ref().map_or(0, |a| a.client_id);
            (client, account)
        }
    };
    let (r, account) = match (checked, account) {
        (Ok(r), Ok(a)) => (r, a),
        (Err(mut e), Err(WebError::Invalid(more))) => {
            e.0.extend(more.0);
            return Err(e.into());
        }
        (Err(e), _) => return Err(e.into()),
        (Ok(_), Err(e)) => return Err(e),
    };
    once(state, key, async {
        state
            .store
            .request_home_visit(client_id, account.id, &r, today, &actor)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => {
                    WebError::Invalid(FieldErrors::single("client_id", "Клиент не найден."))
                }
                e => e.into(),
            })
    })
    .await
}

/// The client and their accounts, for the request form opened from the card (audited as a
/// view of the card).
pub async fn request_form(
    state: &AppState,
    me: &CurrentStaff,
    client_id: i64,
) -> Result<ClientCard, WebError> {
    Rights::request(me)?;
    crate::clients::open_card(state, me, client_id).await
}

/// Clients for the request form taken by phone (audited as a search).
pub async fn find_clients(
    state: &AppState,
    me: &CurrentStaff,
    q: &str,
) -> Result<Vec<abonent_store::clients::SearchHit>, WebError> {
    Rights::request(me)?;
    crate::clients::search(state, me, q).await
}

/// A list's filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// A staff member's id: their visits.
    #[serde(default)]
    pub staff: Option<i64>,
    /// `YYYY-MM-DD`: the visits of the day.
    #[serde(default)]
    pub date: String,
    /// `requested`, `scheduled`, `completed`, `cancelled`, or `overdue`; the open ones when empty.
    #[serde(default)]
    pub status: String,
    /// A client's visits.
    #[serde(default)]
    pub client: Option<i64>,
    /// `1`: the signed-in staff member's visits («Мои выезды»).
    #[serde(default)]
    pub mine: Option<String>,
}

/// A visit with its overdue mark.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitLine {
    pub visit: HomeVisit,
    /// «просрочено: …» when overdue, else null.
    pub overdue: Option<String>,
}

/// The rules an overdue mark needs.
pub struct Norms {
    pub calendar: WorkingCalendar,
    pub schedule_days: u32,
}

impl Norms {
    pub async fn load(state: &AppState) -> Result<Self, WebError> {
        Ok(Norms {
            calendar: state.store.working_calendar().await?,
            schedule_days: state.store.home_visit_schedule_days().await?,
        })
    }

    /// Whether `v` is overdue on `today`.
    pub fn overdue(&self, v: &HomeVisit, today: jiff::civil::Date) -> Option<Overdue> {
        overdue(
            &self.calendar,
            v.status,
            v.requested_day()?,
            v.visit_day(),
            self.schedule_days,
            today,
        )
    }
}

/// The visits a list shows, each with its overdue mark. The open ones when no status is asked;
/// `overdue` keeps the open ones that are overdue.
pub async fn list(
    state: &AppState,
    me: &CurrentStaff,
    p: &ListParams,
) -> Result<Vec<VisitLine>, WebError> {
    Rights::view(me)?;
    let day = match p.date.trim() {
        "" => None,
        d => Some(
            d.parse::<jiff::civil::Date>()
                .map_err(|_| FieldErrors::single("date", "Дата в виде ГГГГ-ММ-ДД."))?,
        ),
    };
    let status_text = p.status.trim();
    let only_overdue = status_text == "overdue";
    let status = match status_text {
        "" | "overdue" | "open" => None,
        s => Some(
            HomeVisitStatus::parse(s)
                .ok_or_else(|| FieldErrors::single("status", "Выберите состояние из списка."))?,
        ),
    };
    let mine = p.mine.as_deref().is_some_and(|m| !m.is_empty() && m != "0");
    let f = HomeVisitFilter {
        staff_id: if mine { Some(me.staff.id) } else { p.staff },
        day,
        status,
        client_id: p.client,
        // A client's visits are all shown; other lists show the open ones unless asked.
        open_only: status.is_none()
            && (only_overdue
                || (p.client.is_none() && (status_text.is_empty() || status_text == "open"))),
        limit: 500,
    };
    let norms = Norms::load(state).await?;
    let today = today_in(&me.zone);
    Ok(state
        .store
        .home_visits(&f)
        .await?
        .into_iter()
        .map(|visit| VisitLine {
            overdue: norms.overdue(&visit, today).map(Overdue::label_ru),
            visit,
        })
        .filter(|l| !only_overdue || l.overdue.is_some())
        .collect())
}

/// A visit's card: the visit, its history, its overdue mark, and whom it may be assigned to
/// (for those who schedule).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitCard {
    pub visit: HomeVisit,
    pub history: Vec<HomeVisitStep>,
    pub overdue: Option<String>,
    /// Staff of the client's branch who serve visitors (empty for those who do not schedule).
    pub visitors: Vec<Visitor>,
}

/// Opens a visit (audited: it shows the client's name, address and phone).
pub async fn card(state: &AppState, me: &CurrentStaff, id: i64) -> Result<VisitCard, WebError> {
    Rights::view(me)?;
    let visit = state.store.home_visit(id).await.map_err(not_found)?;
    state
        .store
        .audit(
            &me.actor(),
            "home_visit.view",
            "home_visit",
            &id.to_string(),
            "",
        )
        .await?;
    let norms = Norms::load(state).await?;
    let visitors = if Rights::may_schedule(me) {
        state.store.home_visitors(visit.branch_id).await?
    } else {
        Vec::new()
    };
    Ok(VisitCard {
        overdue: norms
            .overdue(&visit, today_in(&me.zone))
            .map(Overdue::label_ru),
        history: state.store.home_visit_history(id).await?,
        visit,
        visitors,
    })
}

/// Assigns a day, a window and a staff member, or moves the visit (a reason is then required).
pub async fn schedule(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    d: &ScheduleDraft,
) -> Result<HomeVisit, WebError> {
    Rights::schedule(me)?;
    let current = state.store.home_visit(id).await.map_err(not_found)?;
    // A page shown before another change is told so before its fields are checked.
    if !current.status.is_open() {
        return Err(WebError::Conflict(HomeVisitRefusal::Closed.to_string()));
    }
    if current.version != d.version {
        return Err(WebError::Conflict(HomeVisitRefusal::Changed.to_string()));
    }
    let s = d.check(
        today_in(&me.zone),
        current.status == HomeVisitStatus::Scheduled,
    )?;
    state
        .store
        .schedule_home_visit(id, d.version, &s, &me.actor())
        .await
        .map_err(not_found)
}

/// Cancels a visit with the reason.
pub async fn cancel(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    d: &CancelDraft,
) -> Result<HomeVisit, WebError> {
    Rights::schedule(me)?;
    let reason = d.check()?;
    state
        .store
        .cancel_home_visit(id, d.version, &reason, &me.actor())
        .await
        .map_err(not_found)
}

/// Records the result of a visit: the staff member sent on it, or one who schedules visits.
pub async fn record_result(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    d: &ResultDraft,
) -> Result<HomeVisit, WebError> {
    Rights::serve(me)?;
    let r = d.check()?;
    state
        .store
        .record_home_visit_result(id, d.version, &r, Rights::may_schedule(me), &me.actor())
        .await
        .map_err(not_found)
}

/// The scheduling norm in working days.
pub async fn schedule_days(state: &AppState, me: &CurrentStaff) -> Result<u32, WebError> {
    Rights::view(me)?;
    Ok(state.store.home_visit_schedule_days().await?)
}

/// Sets the scheduling norm.
pub async fn save_schedule_days(
    state: &AppState,
    me: &CurrentStaff,
    text: &str,
) -> Result<u32, WebError> {
    Rights::schedule(me)?;
    let days = check_schedule_days(text)?;
    state
        .store
        .save_home_visit_schedule_days(days, &me.actor())
        .await?;
    Ok(days)
}

/// Who may be chosen in a list's staff filter: the staff member's branch's visitors.
pub async fn staff_filter(state: &AppState, me: &CurrentStaff) -> Result<Vec<Visitor>, WebError> {
    Rights::view(me)?;
    match me.staff.branch_id {
        Some(b) => Ok(state.store.home_visitors(b).await?),
        None => {
            let mut all = Vec::new();
            for b in state.store.branches().await? {
                all.extend(state.store.home_visitors(b.id).await?);
            }
            Ok(all)
        }
    }
}

/// The visits of the personal account's clients, newest first.
pub async fn my_visits(state: &AppState, me: &CurrentClient) -> Result<Vec<HomeVisit>, WebError> {
    let mut clients = Vec::new();
    for &a in &me.accounts {
        let c = state.store.account(a).await?.client_id;
        if !clients.contains(&c) {
            clients.push(c);
        }
    }
    let mut out = Vec::new();
    for c in clients {
        out.extend(
            state
                .store
                .home_visits(&HomeVisitFilter {
                    client_id: Some(c),
                    limit: 50,
                    ..Default::default()
                })
                .await?
                .into_iter()
                .filter(|v| me.accounts.contains(&v.account_id)),
        );
    }
    out.sort_by_key(|v| std::cmp::Reverse(v.requested_at));
    Ok(out)
}
