//! The register of incidents (CHN-05, §6.4) in the workspace and the API. The one place where
//! its rights are checked and its personal data audited: every view of a card that names a
//! client is written to the audit log, and a refused view too.

pub mod api;
pub mod pages;

use abonent_domain::frontoffice::incidents::{IncidentDraft, IncidentKind};
use abonent_domain::org::{Permission, Role};
use abonent_domain::validation::FieldErrors;
use abonent_store::clients::SearchHit;
use abonent_store::frontoffice::incidents::{IncidentFilter, IncidentRecorded, IncidentView};
use abonent_store::idempotency::IdemKey;
use abonent_store::org::{Centre, Staff};
use abonent_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::CurrentStaff;
use crate::common::clock::company_tz;
use crate::{AppState, WebError};

/// What a staff member may do with incidents.
pub struct Rights;

impl Rights {
    /// Recording an incident: every role but the administrator.
    pub fn record(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::RecordIncidents)
    }
    pub fn may_record(me: &CurrentStaff) -> bool {
        me.can(Permission::RecordIncidents)
    }
    /// The whole register: the supervisors and the general director.
    pub fn may_view_register(me: &CurrentStaff) -> bool {
        me.can(Permission::ViewIncidents)
    }
    pub fn view_register(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ViewIncidents)
    }
}

/// The register's filters as typed (page and API): dates in the company's zone.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct RegisterQuery {
    /// From this day (`YYYY-MM-DD`, inclusive).
    #[serde(default)]
    pub from: String,
    /// To this day (`YYYY-MM-DD`, inclusive).
    #[serde(default)]
    pub to: String,
    /// An incident kind's code.
    #[serde(default)]
    pub kind: String,
    /// A service centre's id.
    #[serde(default)]
    pub centre_id: String,
    /// Only the incidents I recorded or was involved in (`true`); anyone who records may ask.
    #[serde(default)]
    pub mine: Option<bool>,
}

impl RegisterQuery {
    /// The filter, or a message for each filter typed wrong.
    fn filter(&self, tz: &jiff::tz::TimeZone) -> Result<IncidentFilter, FieldErrors> {
        let mut e = FieldErrors::new();
        let mut day = |field: &str, typed: &str, next: bool| -> Option<i64> {
            let typed = typed.trim();
            if typed.is_empty() {
                return None;
            }
            let parsed = typed.parse::<jiff::civil::Date>().ok().and_then(|d| {
                let d = if next { d.tomorrow().ok()? } else { d };
                d.to_zoned(tz.clone()).ok()
            });
            match parsed {
                Some(z) => Some(z.timestamp().as_microsecond()),
                None => {
                    e.add(field, "Дата в виде ГГГГ-ММ-ДД.");
                    None
                }
            }
        };
        let from = day("from", &self.from, false);
        let to = day("to", &self.to, true);
        let kind = match self.kind.trim() {
            "" => None,
            k => match IncidentKind::parse(k) {
                Some(k) => Some(k),
                None => {
                    e.add("kind", "Выберите вид из списка.");
                    None
                }
            },
        };
        let centre_id = match self.centre_id.trim() {
            "" => None,
            c => match c.parse::<i64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    e.add("centre_id", "Выберите центр из списка.");
                    None
                }
            },
        };
        e.into_result(IncidentFilter {
            from,
            to,
            kind,
            centre_id,
            person: None,
            limit: 500,
        })
    }
}

/// The register (ViewIncidents), or with `mine` the incidents of the person asking.
pub async fn list(
    state: &AppState,
    me: &CurrentStaff,
    q: &RegisterQuery,
) -> Result<Vec<IncidentView>, WebError> {
    let mut f = q.filter(company_tz(state))?;
    if q.mine == Some(true) {
        Rights::record(me)?;
        f.person = Some(me.staff.id);
    } else {
        Rights::view_register(me)?;
    }
    Ok(state.store.incidents(&f).await?)
}

/// The incidents the person asking recorded or was involved in, newest first.
pub async fn mine(
    state: &AppState,
    me: &CurrentStaff,
    limit: i64,
) -> Result<Vec<IncidentView>, WebError> {
    Rights::record(me)?;
    Ok(state
        .store
        .incidents(&IncidentFilter {
            person: Some(me.staff.id),
            limit,
            ..Default::default()
        })
        .await?)
}

/// Records an incident; its supervisor and the general director are told in the same
/// transaction. `idem` makes a retry return the first incident.
pub async fn record(
    state: &AppState,
    me: &CurrentStaff,
    d: &IncidentDraft,
    idem: Option<IdemKey>,
) -> Result<IncidentRecorded, WebError> {
    Rights::record(me)?;
    if let Some(k) = &idem {
        if let Some(r) = state.store.idempotent_result::<IncidentRecorded>(k).await? {
            return Ok(IncidentRecorded {
                replayed: true,
                ..r
            });
        }
    }
    let data = d.check(jiff::Timestamp::now(), company_tz(state))?;
    let mut e = FieldErrors::new();
    let staff_id = data.staff_id.unwrap_or(me.staff.id);
    if staff_id != me.staff.id {
        match state.store.staff(staff_id).await {
            Ok(s) if s.active && s.role != Role::Administrator => {}
            Ok(_) | Err(StoreError::NotFound) => {
                e.add("staff_id", "Выберите сотрудника из списка.");
            }
            Err(x) => return Err(x.into()),
        }
    }
    if let Some(c) = data.centre_id {
        match state.store.centre(c).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => e.add("centre_id", "Выберите центр обслуживания."),
            Err(x) => return Err(x.into()),
        }
    }
    if let Some(c) = data.client_id {
        match state.store.client(c).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => e.add("client_id", "Клиент не найден."),
            Err(x) => return Err(x.into()),
        }
    }
    if !e.is_empty() {
        return Err(e.into());
    }
    Ok(state
        .store
        .record_incident(&data, staff_id, idem.as_ref(), &me.actor())
        .await?)
}

/// An incident's card, with the client's name when one is named.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentCard {
    #[serde(flatten)]
    pub incident: IncidentView,
    pub client_name: Option<String>,
}

/// Opens an incident: the register's readers, and the person who recorded it or was involved.
/// A view of a card that names a client is audited; so is a refusal.
pub async fn open(state: &AppState, me: &CurrentStaff, id: i64) -> Result<IncidentCard, WebError> {
    let incident = state.store.incident(id).await.map_err(|e| match e {
        StoreError::NotFound => WebError::NotFound("Инцидент не найден.".into()),
        e => e.into(),
    })?;
    let own = incident.recorded_by == me.staff.id || incident.staff_id == me.staff.id;
    if !own || !Rights::may_record(me) {
        me.require_audited(
            state,
            Permission::ViewIncidents,
            "incident",
            &id.to_string(),
        )
        .await?;
    }
    let client_name = match incident.client_id {
        Some(c) => {
            state
                .store
                .audit(
                    &me.actor(),
                    "incident.view",
                    "incident",
                    &id.to_string(),
                    &format!("клиент {c}"),
                )
                .await?;
            Some(state.store.client(c).await?.full_name)
        }
        None => None,
    };
    Ok(IncidentCard {
        incident,
        client_name,
    })
}

/// What the form offers: the service centres and the staff who may be involved.
pub async fn form_choices(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<(Vec<Centre>, Vec<Staff>), WebError> {
    Rights::record(me)?;
    let staff = state
        .store
        .staff_list()
        .await?
        .into_iter()
        .filter(|s| s.active && s.role != Role::Administrator)
        .collect();
    Ok((state.store.centres().await?, staff))
}

/// The service centres, for the register's filter.
pub async fn centres(state: &AppState, me: &CurrentStaff) -> Result<Vec<Centre>, WebError> {
    Rights::view_register(me)?;
    Ok(state.store.centres().await?)
}

/// Finds the client the incident is about, through the clients' search (audited there).
pub async fn find_client(
    state: &AppState,
    me: &CurrentStaff,
    q: &str,
) -> Result<Vec<SearchHit>, WebError> {
    Rights::record(me)?;
    crate::clients::search(state, me, q).await
}

/// The name of the client chosen on the form (the clients' card rights and audit apply).
pub async fn chosen_client(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
) -> Result<Option<String>, WebError> {
    Rights::record(me)?;
    match crate::clients::open_card(state, me, id).await {
        Ok(c) => Ok(Some(c.client.full_name)),
        Err(WebError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
