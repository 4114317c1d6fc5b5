//! Home visits (CHN-06, §6.1.3): requests with the premises address of their account, the
//! assignment of a day, a time window and a staff member of the client's branch, the result, and
//! the history of every step. Each change is one guarded `UPDATE … WHERE version = $n` with its
//! history line, its audit entry and, for the client, the `home_visit` notice by the client's
//! channels, in one transaction: a page shown before another staff member's change is refused.

use abonent_domain::frontoffice::home_visits::{
    hh_mm, notice_event, HomeVisitChannel, HomeVisitEvent, HomeVisitRequest, HomeVisitStatus,
    Schedule, VisitResult, DEFAULT_SCHEDULE_WORKING_DAYS,
};
use abonent_domain::org::{Permission, Role};
use abonent_domain::refusal::HomeVisitRefusal;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, FromRow};

use crate::audit::{audit_in, Actor};
use crate::{now_micros, refused, Result, Store, StoreError};

/// A home visit as lists, cards and the API show it.
#[derive(Debug, Clone, FromRow, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HomeVisit {
    pub id: i64,
    pub client_id: i64,
    pub client_name: String,
    pub account_id: i64,
    pub account_number: String,
    pub branch_id: i64,
    /// The premises address when the request came.
    pub address: String,
    pub reason: String,
    /// `YYYY-MM-DD`: the days that suit the client.
    pub preferred_from: Option<String>,
    pub preferred_to: Option<String>,
    pub preferred_time: Option<String>,
    /// 10 national digits.
    pub contact_phone: Option<String>,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub channel: HomeVisitChannel,
    /// 1 when the client had a vulnerable category when the request came.
    pub vulnerable: i64,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: HomeVisitStatus,
    /// The local day the request came, `YYYY-MM-DD`.
    pub requested_on: String,
    pub requested_at: i64,
    pub requested_by: Option<i64>,
    /// The visit's day, `YYYY-MM-DD`, and its window, `HH:MM`.
    pub visit_on: Option<String>,
    pub time_from: Option<String>,
    pub time_to: Option<String>,
    pub staff_id: Option<i64>,
    pub staff_name: Option<String>,
    /// `HomeVisitOutcome` code, once the result is recorded.
    pub outcome: Option<String>,
    pub result_note: Option<String>,
    pub completed_at: Option<i64>,
    pub cancel_reason: Option<String>,
    /// Incremented by every change: a change based on an older version is refused.
    pub version: i64,
}

impl HomeVisit {
    /// The request's day.
    pub fn requested_day(&self) -> Option<Date> {
        self.requested_on.parse().ok()
    }

    /// The visit's day, once scheduled.
    pub fn visit_day(&self) -> Option<Date> {
        self.visit_on.as_deref().and_then(|d| d.parse().ok())
    }
}

/// One step of a visit's history.
#[derive(Debug, Clone, FromRow, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HomeVisitStep {
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub event: HomeVisitEvent,
    pub at: i64,
    pub staff_name: Option<String>,
    pub detail: String,
}

/// A staff member who may be sent on a visit.
#[derive(Debug, Clone, FromRow, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Visitor {
    pub id: i64,
    pub full_name: String,
    pub position: String,
}

/// Which visits a list shows.
#[derive(Debug, Clone, Default)]
pub struct HomeVisitFilter {
    pub staff_id: Option<i64>,
    /// The visit's day.
    pub day: Option<Date>,
    pub status: Option<HomeVisitStatus>,
    pub client_id: Option<i64>,
    /// Requested and scheduled only.
    pub open_only: bool,
    pub limit: i64,
}

const COLUMNS: &str = "v.id, v.client_id,
    c.surname || ' ' || c.first_name || COALESCE(' ' || c.patronymic, '') AS client_name,
    v.account_id, a.number AS account_number, v.branch_id, v.address, v.reason, v.preferred_from,
    v.preferred_to, v.preferred_time, v.contact_phone, v.channel, v.vulnerable, v.status,
    v.requested_on, v.requested_at, v.requested_by, v.visit_on, v.time_from, v.time_to,
    v.staff_id, s.full_name AS staff_name, v.outcome, v.result_note, v.completed_at,
    v.cancel_reason, v.version
    FROM home_visits v JOIN clients c ON c.id = v.client_id JOIN accounts a ON a.id = v.account_id
    LEFT JOIN staff s ON s.id = v.staff_id";

async fn visit_in(conn: &mut AnyConnection, id: i64) -> Result<HomeVisit> {
    sqlx::query_as(&format!("SELECT {COLUMNS} WHERE v.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

async fn history_in(
    conn: &mut AnyConnection,
    id: i64,
    event: HomeVisitEvent,
    actor: &Actor,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO home_visit_history (visit_id, event, at, staff_id, detail)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(event.code())
    .bind(now_micros())
    .bind(actor.staff_id)
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The visit, if it is still open at the version the page showed.
async fn open_at(conn: &mut AnyConnection, id: i64, version: i64) -> Result<HomeVisit> {
    let v = visit_in(conn, id).await?;
    if !v.status.is_open() {
        return Err(refused(HomeVisitRefusal::Closed));
    }
    if v.version != version {
        return Err(refused(HomeVisitRefusal::Changed));
    }
    Ok(v)
}

/// Queues the client's `home_visit` notice about the visit's new version.
async fn notify_in(conn: &mut AnyConnection, v: &HomeVisit, event: &str) -> Result<()> {
    crate::notices::queue_notice_in(
        conn,
        "home_visit",
        v.account_id,
        &serde_json::json!({
            "account": v.account_number,
            "address": v.address,
            "event": event,
            "home_visit": v.id,
        }),
        &format!("home_visit:{}:{}", v.id, v.version),
    )
    .await?;
    Ok(())
}

impl Store {
    /// The scheduling norm in working days: the stored setting, or the domain's default.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn home_visit_schedule_days(&self) -> Result<u32> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT schedule_days FROM home_visit_settings WHERE id = 1")
                .fetch_optional(self.pool())
                .await?;
        Ok(row
            .and_then(|(d,)| u32::try_from(d).ok())
            .unwrap_or(DEFAULT_SCHEDULE_WORKING_DAYS))
    }

    /// Sets the scheduling norm.
    #[tracing::instrument(level = "debug", skip_all, fields(days = days))]
    pub async fn save_home_visit_schedule_days(&self, days: u32, actor: &Actor) -> Result<()> {
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO home_visit_settings (id, schedule_days, updated_at, updated_by)
             VALUES (1, $1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET schedule_days = $1, updated_at = $2, updated_by = $3",
        )
        .bind(i64::from(days))
        .bind(now)
        .bind(actor.staff_id)
        .execute(&mut *tx)
        .await?;
        audit_in(
            &mut tx,
            actor,
            "home_visit.settings",
            "home_visit",
            "settings",
            &format!("schedule within {days} working days"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a request for a visit to the premises of one of the client's accounts; marks
    /// whether the client has a vulnerable category now.
    #[tracing::instrument(level = "debug", skip_all, fields(client_id = client_id, account_id = account_id))]
    pub async fn request_home_visit(
        &self,
        client_id: i64,
        account_id: i64,
        r: &HomeVisitRequest,
        requested_on: Date,
        actor: &Actor,
    ) -> Result<HomeVisit> {
        let account = match self.account(account_id).await {
            Ok(a) if a.client_id == client_id => a,
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(refused(HomeVisitRefusal::NotClientsAccount))
            }
            Err(e) => return Err(e),
        };
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let (vulnerable,): (String,) =
            sqlx::query_as("SELECT vulnerable FROM clients WHERE id = $1")
                .bind(client_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO home_visits (client_id, account_id, branch_id, address, reason,
                 preferred_from, preferred_to, preferred_time, contact_phone, channel, vulnerable,
                 status, requested_on, requested_at, requested_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'requested', $12, $13, $14, $13)
             RETURNING id",
        )
        .bind(client_id)
        .bind(account_id)
        .bind(account.branch_id)
        .bind(account.address())
        .bind(&r.reason)
        .bind(r.preferred_from.map(|d| d.to_string()))
        .bind(r.preferred_to.map(|d| d.to_string()))
        .bind(r.preferred_time.as_deref())
        .bind(r.contact_phone.as_deref())
        .bind(r.channel.code())
        .bind(i64::from(!vulnerable.trim().is_empty()))
        .bind(requested_on.to_string())
        .bind(now)
        .bind(actor.staff_id)
        .fetch_one(&mut *tx)
        .await?;
        history_in(
            &mut tx,
            id,
            HomeVisitEvent::Requested,
            actor,
            r.channel.label_ru(),
        )
        .await?;
        audit_in(
            &mut tx,
            actor,
            "home_visit.request",
            "client",
            &client_id.to_string(),
            &format!("home visit {id}, {}", r.channel.code()),
        )
        .await?;
        let v = visit_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Assigns a day, a time window and a staff member of the client's branch who serves
    /// visitors, or moves the visit (with a reason); the client is told.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn schedule_home_visit(
        &self,
        id: i64,
        version: i64,
        s: &Schedule,
        actor: &Actor,
    ) -> Result<HomeVisit> {
        let mut tx = self.begin_write().await?;
        let v = open_at(&mut tx, id, version).await?;
        let staff: Option<(String, Option<i64>, i64, String)> =
            sqlx::query_as("SELECT role, branch_id, active, full_name FROM staff WHERE id = $1")
                .bind(s.staff_id)
                .fetch_optional(&mut *tx)
                .await?;
        let name = match staff {
            Some((role, branch, 1, name))
                if branch == Some(v.branch_id)
                    && Role::parse(&role).is_some_and(|r| r.can(Permission::ServeVisitors)) =>
            {
                name
            }
            _ => return Err(refused(HomeVisitRefusal::NotAVisitor)),
        };
        let event = match v.status {
            HomeVisitStatus::Scheduled => HomeVisitEvent::Rescheduled,
            _ => HomeVisitEvent::Scheduled,
        };
        let r = sqlx::query(
            "UPDATE home_visits SET status = 'scheduled', visit_on = $1, time_from = $2,
                 time_to = $3, staff_id = $4, version = version + 1, updated_at = $5
             WHERE id = $6 AND version = $7",
        )
        .bind(s.visit_on.to_string())
        .bind(hh_mm(s.time_from))
        .bind(hh_mm(s.time_to))
        .bind(s.staff_id)
        .bind(now_micros())
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(refused(HomeVisitRefusal::Changed));
        }
        let window = format!(
            "{} {}–{}, {name}",
            s.visit_on,
            hh_mm(s.time_from),
            hh_mm(s.time_to)
        );
        let detail = match &s.reason {
            Some(r) => format!("{window}; причина: {r}"),
            None => window,
        };
        history_in(&mut tx, id, event, actor, &detail).await?;
        let v = visit_in(&mut tx, id).await?;
        let text = notice_event(
            event,
            Some((s.visit_on, s.time_from, s.time_to)),
            s.reason.as_deref(),
        );
        notify_in(&mut tx, &v, &text).await?;
        audit_in(
            &mut tx,
            actor,
            "home_visit.schedule",
            "client",
            &v.client_id.to_string(),
            &format!("home visit {id} {}: {}", event.code(), s.visit_on),
        )
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Cancels a visit that is not done yet, with the reason; the client is told.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn cancel_home_visit(
        &self,
        id: i64,
        version: i64,
        reason: &str,
        actor: &Actor,
    ) -> Result<HomeVisit> {
        let mut tx = self.begin_write().await?;
        open_at(&mut tx, id, version).await?;
        let r = sqlx::query(
            "UPDATE home_visits SET status = 'cancelled', cancel_reason = $1,
                 version = version + 1, updated_at = $2
             WHERE id = $3 AND version = $4",
        )
        .bind(reason)
        .bind(now_micros())
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(refused(HomeVisitRefusal::Changed));
        }
        history_in(&mut tx, id, HomeVisitEvent::Cancelled, actor, reason).await?;
        let v = visit_in(&mut tx, id).await?;
        let text = notice_event(HomeVisitEvent::Cancelled, None, Some(reason));
        notify_in(&mut tx, &v, &text).await?;
        audit_in(
            &mut tx,
            actor,
            "home_visit.cancel",
            "client",
            &v.client_id.to_string(),
            &format!("home visit {id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Records what a scheduled visit came to. Unless `any_staff` (one who schedules visits),
    /// only the staff member sent on it records the result.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn record_home_visit_result(
        &self,
        id: i64,
        version: i64,
        r: &VisitResult,
        any_staff: bool,
        actor: &Actor,
    ) -> Result<HomeVisit> {
        let mut tx = self.begin_write().await?;
        let v = open_at(&mut tx, id, version).await?;
        if v.status != HomeVisitStatus::Scheduled {
            return Err(refused(HomeVisitRefusal::NotScheduled));
        }
        if !any_staff && (actor.staff_id.is_none() || v.staff_id != actor.staff_id) {
            return Err(refused(HomeVisitRefusal::NotYourVisit));
        }
        let now = now_micros();
        let done = sqlx::query(
            "UPDATE home_visits SET status = 'completed', outcome = $1, result_note = $2,
                 completed_at = $3, version = version + 1, updated_at = $3
             WHERE id = $4 AND version = $5",
        )
        .bind(r.outcome.code())
        .bind(r.note.as_deref())
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(refused(HomeVisitRefusal::Changed));
        }
        let detail = match &r.note {
            Some(n) => format!("{}: {n}", r.outcome.label_ru()),
            None => r.outcome.label_ru().to_owned(),
        };
        history_in(&mut tx, id, HomeVisitEvent::Completed, actor, &detail).await?;
        audit_in(
            &mut tx,
            actor,
            "home_visit.result",
            "client",
            &v.client_id.to_string(),
            &format!("home visit {id} {}", r.outcome.code()),
        )
        .await?;
        let v = visit_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// One visit.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn home_visit(&self, id: i64) -> Result<HomeVisit> {
        let mut conn = self.pool().acquire().await?;
        visit_in(&mut conn, id).await
    }

    /// A visit's history, oldest first.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn home_visit_history(&self, id: i64) -> Result<Vec<HomeVisitStep>> {
        Ok(sqlx::query_as(
            "SELECT h.event, h.at, s.full_name AS staff_name, h.detail
             FROM home_visit_history h LEFT JOIN staff s ON s.id = h.staff_id
             WHERE h.visit_id = $1 ORDER BY h.at, h.id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Visits by staff member, day, status and client: the coming ones first (by day and
    /// window; requests by the day they came), the closed ones after.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn home_visits(&self, f: &HomeVisitFilter) -> Result<Vec<HomeVisit>> {
        let limit = if f.limit <= 0 { 500 } else { f.limit.min(2000) };
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS}
             WHERE ($1 = 0 OR v.staff_id = $1) AND ($2 = '' OR v.visit_on = $2)
               AND ($3 = '' OR v.status = $3) AND ($4 = 0 OR v.client_id = $4)
               AND ($5 = 0 OR v.status IN ('requested', 'scheduled'))
             ORDER BY CASE WHEN v.status IN ('requested', 'scheduled') THEN 0 ELSE 1 END,
                 COALESCE(v.visit_on, v.requested_on), v.time_from, v.id
             LIMIT $6"
        ))
        .bind(f.staff_id.unwrap_or(0))
        .bind(f.day.map(|d| d.to_string()).unwrap_or_default())
        .bind(f.status.map(|s| s.code()).unwrap_or_default())
        .bind(f.client_id.unwrap_or(0))
        .bind(i64::from(f.open_only))
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// The active staff of a branch who serve visitors: whom a visit may be assigned to.
    #[tracing::instrument(level = "debug", skip_all, fields(branch_id = branch_id))]
    pub async fn home_visitors(&self, branch_id: i64) -> Result<Vec<Visitor>> {
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT id, full_name, position, role FROM staff
             WHERE branch_id = $1 AND active = 1 ORDER BY full_name, id",
        )
        .bind(branch_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .filter(|(_, _, _, role)| {
                Role::parse(role).is_some_and(|r| r.can(Permission::ServeVisitors))
            })
            .map(|(id, full_name, position, _)| Visitor {
                id,
                full_name,
                position,
            })
            .collect())
    }
}
