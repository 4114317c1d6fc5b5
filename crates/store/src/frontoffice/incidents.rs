//! The register of incidents (CHN-05, §6.4): recording one tells the staff member's supervisor
//! and every general director in the same transaction (workspace notice and its e-mail copy).

use abonent_domain::appeals::StaffNoticeKind;
use abonent_domain::frontoffice::incidents::{
    incident_recipients, notice_text, IncidentAction, IncidentData, IncidentKind, IncidentPlace,
};
use abonent_domain::org::Role;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use crate::audit::{audit_in, Actor};
use crate::idempotency::IdemKey;
use crate::{is_unique_violation, now_micros, Result, Store, StoreError};

/// An incident as the register and the card show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IncidentView {
    pub id: i64,
    /// When it happened (µs, UTC).
    pub occurred_at: i64,
    #[schema(value_type = String)]
    pub kind: IncidentKind,
    #[schema(value_type = String)]
    pub place: IncidentPlace,
    pub centre_id: Option<i64>,
    pub centre_name: Option<String>,
    /// The client's address, where it happened on the client's premises.
    pub address: String,
    /// The staff member involved.
    pub staff_id: i64,
    pub staff_name: String,
    pub client_id: Option<i64>,
    pub description: String,
    #[schema(value_type = Vec<String>)]
    pub actions: Vec<IncidentAction>,
    pub outcome: String,
    pub recorded_by: i64,
    pub recorded_by_name: String,
    pub recorded_at: i64,
}

/// A stored row before its codes are decoded.
#[derive(FromRow)]
struct Row {
    id: i64,
    occurred_at: i64,
    kind: String,
    place: String,
    centre_id: Option<i64>,
    centre_name: Option<String>,
    address: String,
    staff_id: i64,
    staff_name: String,
    client_id: Option<i64>,
    description: String,
    actions: String,
    outcome: String,
    recorded_by: i64,
    recorded_by_name: String,
    recorded_at: i64,
}

impl TryFrom<Row> for IncidentView {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self> {
        let corrupt = |e: abonent_domain::accounts::UnknownCode| StoreError::Corrupt(e.to_string());
        let actions = r
            .actions
            .split(' ')
            .filter(|a| !a.is_empty())
            .map(|a| IncidentAction::try_from(a.to_owned()).map_err(corrupt))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            id: r.id,
            occurred_at: r.occurred_at,
            kind: IncidentKind::try_from(r.kind).map_err(corrupt)?,
            place: IncidentPlace::try_from(r.place).map_err(corrupt)?,
            centre_id: r.centre_id,
            centre_name: r.centre_name,
            address: r.address,
            staff_id: r.staff_id,
            staff_name: r.staff_name,
            client_id: r.client_id,
            description: r.description,
            actions,
            outcome: r.outcome,
            recorded_by: r.recorded_by,
            recorded_by_name: r.recorded_by_name,
            recorded_at: r.recorded_at,
        })
    }
}

const SELECT: &str = "SELECT i.id, i.occurred_at, i.kind, i.place, i.centre_id,
        c.name AS centre_name, i.address, i.staff_id, s.full_name AS staff_name, i.client_id,
        i.description, i.actions, i.outcome, i.recorded_by, r.full_name AS recorded_by_name,
        i.recorded_at
    FROM incidents i
    JOIN staff s ON s.id = i.staff_id
    JOIN staff r ON r.id = i.recorded_by
    LEFT JOIN service_centres c ON c.id = i.centre_id";

/// Which incidents a list shows; the defaults show all, newest first.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    /// From this moment (µs, inclusive).
    pub from: Option<i64>,
    /// Before this moment (µs, exclusive).
    pub to: Option<i64>,
    pub kind: Option<IncidentKind>,
    pub centre_id: Option<i64>,
    /// Only those this staff member recorded or was involved in.
    pub person: Option<i64>,
    /// At most this many (200 when 0, never more than 1,000).
    pub limit: i64,
}

/// What recording returns, and what a retry with the same key returns again.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentRecorded {
    pub id: i64,
    /// Whether this is the answer to a repeated request (nothing was recorded again).
    #[serde(default)]
    pub replayed: bool,
}

impl Store {
    /// Records an incident with the notices to the supervisor and the general directors and the
    /// audit entry, in one transaction. `staff_id` is the staff member involved. With `idem`, a
    /// repeated request returns the first result and writes nothing (OPS-05).
    #[tracing::instrument(level = "debug", skip_all, fields(staff_id = staff_id))]
    pub async fn record_incident(
        &self,
        d: &IncidentData,
        staff_id: i64,
        idem: Option<&IdemKey>,
        actor: &Actor,
    ) -> Result<IncidentRecorded> {
        if let Some(k) = idem {
            if let Some(r) = self.idempotent_result::<IncidentRecorded>(k).await? {
                return Ok(IncidentRecorded {
                    replayed: true,
                    ..r
                });
            }
        }
        match (
            self.record_incident_tx(d, staff_id, idem, actor).await,
            idem,
        ) {
            // Two requests with the same key raced: the loser returns the winner's result.
            (Err(StoreError::Db(e)), Some(k)) if is_unique_violation(&e) => {
                match self.idempotent_result::<IncidentRecorded>(k).await? {
                    Some(r) => Ok(IncidentRecorded {
                        replayed: true,
                        ..r
                    }),
                    None => Err(StoreError::Db(e)),
                }
            }
            (r, _) => r,
        }
    }

    async fn record_incident_tx(
        &self,
        d: &IncidentData,
        staff_id: i64,
        idem: Option<&IdemKey>,
        actor: &Actor,
    ) -> Result<IncidentRecorded> {
        let mut tx = self.begin_write().await?;
        let now = now_micros();
        let actions: Vec<&str> = d.actions.iter().map(|a| a.code()).collect();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO incidents (occurred_at, kind, place, centre_id, address, staff_id,
                 client_id, description, actions, outcome, recorded_by, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(d.occurred_at.as_microsecond())
        .bind(d.kind.code())
        .bind(d.place.code())
        .bind(d.centre_id)
        .bind(&d.address)
        .bind(staff_id)
        .bind(d.client_id)
        .bind(&d.description)
        .bind(actions.join(" "))
        .bind(&d.outcome)
        .bind(actor.staff_id.ok_or(StoreError::NotFound)?)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        notify(&mut tx, id, d, staff_id, now).await?;
        audit_in(
            &mut tx,
            actor,
            "incident.record",
            "incident",
            &id.to_string(),
            d.kind.code(),
        )
        .await?;
        let r = IncidentRecorded {
            id,
            replayed: false,
        };
        if let Some(k) = idem {
            crate::idempotency::remember(&mut tx, k, &r).await?;
        }
        tx.commit().await?;
        Ok(r)
    }

    /// One incident.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn incident(&self, id: i64) -> Result<IncidentView> {
        let row: Row = sqlx::query_as(&format!("{SELECT} WHERE i.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        row.try_into()
    }

    /// The register, newest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn incidents(&self, f: &IncidentFilter) -> Result<Vec<IncidentView>> {
        let limit = if f.limit <= 0 { 200 } else { f.limit.min(1000) };
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "{SELECT}
             WHERE i.occurred_at >= $1 AND i.occurred_at < $2 AND ($3 = '' OR i.kind = $3)
               AND ($4 = 0 OR i.centre_id = $4)
               AND ($5 = 0 OR i.recorded_by = $5 OR i.staff_id = $5)
             ORDER BY i.occurred_at DESC, i.id DESC LIMIT $6"
        ))
        .bind(f.from.unwrap_or(i64::MIN))
        .bind(f.to.unwrap_or(i64::MAX))
        .bind(f.kind.map_or("", |k| k.code()))
        .bind(f.centre_id.unwrap_or(0))
        .bind(f.person.unwrap_or(0))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(IncidentView::try_from).collect()
    }
}

/// The notices of a new incident (§6.4.4–6): the heads of the involved staff member's branch and
/// every general director, each with the e-mail copy queued.
async fn notify(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    d: &IncidentData,
    staff_id: i64,
    now: i64,
) -> Result<()> {
    let (role, branch_id, name): (String, Option<i64>, String) =
        sqlx::query_as("SELECT role, branch_id, full_name FROM staff WHERE id = $1")
            .bind(staff_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
    let role = Role::try_from(role).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let heads = match branch_id {
        Some(b) => crate::appeals::branch_heads_in(&mut *tx, b).await?,
        None => Vec::new(),
    };
    let directors: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM staff WHERE role = 'general_director' AND active = 1 ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await?;
    let directors: Vec<i64> = directors.into_iter().map(|r| r.0).collect();
    let place = match d.centre_id {
        Some(c) => {
            let (centre,): (String,) =
                sqlx::query_as("SELECT name FROM service_centres WHERE id = $1")
                    .bind(c)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
            centre
        }
        None => d.place.label_ru().to_owned(),
    };
    let text = notice_text(id, d.kind, &name, &place);
    for to in incident_recipients(staff_id, role, &heads, &directors) {
        let (notice,): (i64,) = sqlx::query_as(
            "INSERT INTO staff_notices (staff_id, at, kind, incident_id, text)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(to)
        .bind(now)
        .bind(StaffNoticeKind::Incident.code())
        .bind(id)
        .bind(&text)
        .fetch_one(&mut *tx)
        .await?;
        crate::jobs::enqueue_payload_in(
            &mut *tx,
            &crate::jobs::StaffMail { notice_id: notice },
            Some(&format!("notice:{notice}")),
            now,
        )
        .await?;
    }
    Ok(())
}
