//! Meters and readings in the workspace (MTR-01 … MTR-04): staff register meters on an account
//! and enter readings received in person or by phone; the same checks will serve the portal.
//! The one place where their rights are checked; `api.rs` and `pages.rs` are its adapters.

pub mod api;
pub mod pages;

use abonent_domain::metering::{
    check_reading, parse_values, reading_period, MeterDraft, MeterSpec, ReadingCheck,
};
use abonent_domain::money::Wh;
use abonent_domain::org::Permission;
use abonent_domain::validation::FieldErrors;
use abonent_store::accounts::AccountView;
use abonent_store::metering::{HeldReading, MeterView, NewReading, ReadingView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::CurrentStaff;
use crate::common::clock::today_in;
use crate::{AppState, WebError};

/// Readings received up to this day of the month count for the month (MTR-04).
pub const CUTOFF_DAY: i8 = 25;

/// What a staff member may do with meters and readings.
pub struct Rights;

impl Rights {
    /// Meters and readings of an account.
    pub fn view(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ViewClients)
    }
    /// Registering meters, entering and reviewing readings, a meter's state.
    pub fn edit(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::EditClients)
    }
}

/// The meters of an account with their last accepted readings.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn meters(
    state: &AppState,
    me: &CurrentStaff,
    account_id: i64,
) -> Result<Vec<MeterView>, WebError> {
    Rights::view(me)?;
    Ok(state.store.meters_of_account(account_id).await?)
}

/// The readings of a meter, newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn readings(
    state: &AppState,
    me: &CurrentStaff,
    meter_id: i64,
) -> Result<Vec<ReadingView>, WebError> {
    Rights::view(me)?;
    state.store.meter(meter_id).await?;
    Ok(state.store.readings_of_meter(meter_id, 100).await?)
}

/// Readings held for review, oldest first (MTR-03).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn held(state: &AppState, me: &CurrentStaff) -> Result<Vec<HeldReading>, WebError> {
    Rights::edit(me)?;
    Ok(state.store.held_readings(500).await?)
}

/// The account a meter is being registered on.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn meter_account(
    state: &AppState,
    me: &CurrentStaff,
    account_id: i64,
) -> Result<AccountView, WebError> {
    Rights::edit(me)?;
    Ok(state.store.account(account_id).await?)
}

/// A meter with its account and latest readings, for the form that enters a reading.
pub struct MeterSheet {
    pub meter: MeterView,
    pub account: AccountView,
    /// The latest readings, newest first.
    pub history: Vec<ReadingView>,
}

/// A meter with its account and its last `limit` readings.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn meter_sheet(
    state: &AppState,
    me: &CurrentStaff,
    meter_id: i64,
    limit: i64,
) -> Result<MeterSheet, WebError> {
    Rights::edit(me)?;
    let meter = state.store.meter(meter_id).await?;
    let account = state.store.account(meter.account_id).await?;
    let history = state.store.readings_of_meter(meter_id, limit).await?;
    Ok(MeterSheet {
        meter,
        account,
        history,
    })
}

/// Registers a meter on an account.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_meter(
    state: &AppState,
    me: &CurrentStaff,
    account_id: i64,
    d: &MeterDraft,
) -> Result<i64, WebError> {
    Rights::edit(me)?;
    state.store.account(account_id).await?;
    let data = d.validate(today_in(&me.zone))?;
    Ok(state
        .store
        .create_meter(account_id, &data, &me.actor())
        .await?)
}

/// A reading as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ReadingDraft {
    /// Whole kWh per zone, comma-separated in zone order.
    pub values: String,
    /// `in_person`, `phone`, `email` (a client's letter) or `controller` (a controller's round).
    #[serde(default)]
    pub channel: String,
}

/// What became of a reading.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReadingOutcome {
    pub id: i64,
    /// `accepted` or `held` (for review).
    pub status: String,
    /// kWh per zone since the previous reading, as text («150» or «12,5»).
    pub consumption: Vec<String>,
    /// The billing period it counts for.
    pub period: String,
    pub note: String,
}

fn values_of(m: &MeterView) -> Vec<i64> {
    parse_values(m.last_values.as_deref().unwrap_or(&m.initial_values)).unwrap_or_default()
}

/// Checks and stores a reading (MTR-02, MTR-03).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn submit_reading(
    state: &AppState,
    me: &CurrentStaff,
    meter_id: i64,
    d: &ReadingDraft,
) -> Result<ReadingOutcome, WebError> {
    Rights::edit(me)?;
    let channel = match d.channel.trim() {
        "" | "in_person" => "in_person",
        "phone" => "phone",
        "email" => "email",
        "controller" => "controller",
        _ => {
            return Err(FieldErrors::single("channel", "Выберите, как получены показания.").into())
        }
    };
    let m = state.store.meter(meter_id).await?;
    store_reading(state, &m, &d.values, channel, &me.actor(), &me.zone).await
}

/// Checks and stores a reading received by `channel` — the one path for staff and the
/// client's personal account (MTR-02, MTR-03). The caller has checked who may submit it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn store_reading(
    state: &AppState,
    m: &MeterView,
    values: &str,
    channel: &str,
    actor: &abonent_store::audit::Actor,
    time_zone: &jiff::tz::TimeZone,
) -> Result<ReadingOutcome, WebError> {
    let meter_id = m.id;
    if let Some(removed) = &m.removed_on {
        return Err(FieldErrors::single(
            "values",
            format!(
                "Прибор учёта снят {}: показания по нему не принимаются.",
                crate::common::layout::ru_date(removed)
            ),
        )
        .into());
    }
    let values = parse_values(values).map_err(|e| FieldErrors::single("values", e))?;
    let spec = MeterSpec {
        zones: m.zones as usize,
        digits: m.digits as u32,
    };
    let today = today_in(time_zone);
    let since = m
        .last_received_at
        .map(|us| {
            abonent_store::from_micros(us)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date()
        })
        .or_else(|| m.installed_on.parse().ok())
        .unwrap_or(today);
    let days = i64::from((today - since).get_days()).max(1);
    let usual = usual_daily(state, meter_id).await?;
    let check = check_reading(spec, &values_of(m), &values, usual, days).map_err(|e| {
        // The field names of the check are per zone; the form has one input.
        let mut f = FieldErrors::new();
        for x in e.0 {
            f.add("values", x.detail);
        }
        WebError::Invalid(f)
    })?;
    let (consumption, held, note) = match check {
        ReadingCheck::Accepted {
            consumption,
            rolled_over,
        } => (
            consumption,
            false,
            if rolled_over {
                "переход шкалы через ноль".to_owned()
            } else {
                String::new()
            },
        ),
        ReadingCheck::HeldForReview {
            consumption,
            reason,
        } => (consumption, true, reason),
    };
    let period = reading_period(today, CUTOFF_DAY);
    let (id, period) = state
        .store
        .add_reading_in_period(
            meter_id,
            m.last_reading_id,
            &NewReading {
                values,
                consumption: consumption.clone(),
                held,
                note: note.clone(),
                channel: channel.into(),
                period: period.clone(),
            },
            actor,
        )
        .await?;
    Ok(ReadingOutcome {
        id,
        status: if held { "held" } else { "accepted" }.into(),
        consumption: consumption
            .iter()
            .map(|w| w.display_kwh().trim_end_matches(" кВт·ч").to_owned())
            .collect(),
        period,
        note,
    })
}

/// A decision on a held reading.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ReviewDraft {
    /// `accept` or `reject`.
    pub decision: String,
    #[serde(default)]
    pub note: String,
}

/// Accepts or rejects a reading held for review (MTR-03).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn review_reading(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    d: &ReviewDraft,
) -> Result<(), WebError> {
    Rights::edit(me)?;
    let accept = match d.decision.as_str() {
        "accept" => true,
        "reject" => false,
        _ => {
            return Err(FieldErrors::single("decision", "Примите или отклоните показания.").into())
        }
    };
    if !accept && d.note.trim().is_empty() {
        return Err(FieldErrors::single("note", "Укажите, почему показания отклонены.").into());
    }
    Ok(state
        .store
        .review_reading(id, accept, &d.note, &me.actor())
        .await?)
}

/// A meter's state as submitted.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct MeterStateDraft {
    /// `working` or `broken`.
    pub state: String,
    /// `YYYY-MM-DD` when the meter was removed; empty when installed.
    #[serde(default)]
    pub removed_on: String,
}

/// Marks a meter working, broken or removed (MTR-01).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_meter_state(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    d: &MeterStateDraft,
) -> Result<(), WebError> {
    Rights::edit(me)?;
    let mut e = FieldErrors::new();
    if !matches!(d.state.as_str(), "working" | "broken") {
        e.add("state", "Выберите: исправен или неисправен.");
    }
    let today = today_in(&me.zone);
    let removed = match d.removed_on.trim() {
        "" => None,
        v => match v.parse::<jiff::civil::Date>() {
            Ok(x) if x <= today => Some(x),
            Ok(_) => {
                e.add("removed_on", "Дата снятия не может быть позже сегодняшней.");
                None
            }
            Err(_) => {
                e.add("removed_on", "Дата в виде ГГГГ-ММ-ДД.");
                None
            }
        },
    };
    if !e.is_empty() {
        return Err(e.into());
    }
    Ok(state
        .store
        .set_meter_state(id, &d.state, removed, &me.actor())
        .await?)
}

/// Usual consumption per day from the accepted readings of the last months, when there are two.
async fn usual_daily(state: &AppState, meter_id: i64) -> Result<Option<Wh>, WebError> {
    let r: Vec<_> = state
        .store
        .readings_of_meter(meter_id, 7)
        .await?
        .into_iter()
        .filter(|r| r.status == "accepted")
        .collect();
    let (Some(newest), Some(oldest), true) = (r.first(), r.last(), r.len() >= 2) else {
        return Ok(None);
    };
    let (newest, oldest) = (newest.received_at, oldest.received_at);
    let days = (newest - oldest) / 86_400_000_000;
    if days < 1 {
        return Ok(None);
    }
    let total: i64 = r[..r.len() - 1]
        .iter()
        .map(|x| x.consumption_wh.total())
        .sum();
    Ok(Some(Wh(total / days)))
}
