//! The electronic queue (CHN-01): tickets taken at a kiosk, called to windows, transferred,
//! finished with the visit's record. Every change is one transaction that also bumps the
//! centre's board version, so the hall displays of every instance see it. Calling the next
//! ticket is one guarded `UPDATE … WHERE status = 'waiting'` (with `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, under SQLite's write lock otherwise): two windows never get the same ticket.

use abonent_domain::accounts::AccountNumber;
use abonent_domain::frontoffice::queue::{
    default_services, ticket_label, CallOutcome, Finish, ServiceLevel, ServiceSpec, TicketStatus,
    VisitResult,
};
use abonent_domain::refusal::QueueRefusal;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, FromRow};

use crate::audit::{audit_in, Actor};
use crate::{is_unique_violation, now_micros, refused, Backend, Result, Store, StoreError};

/// A service of a centre's queue.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct QueueService {
    pub id: i64,
    pub centre_id: i64,
    pub letter: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub level: ServiceLevel,
    pub priority: i64,
    pub norm_minutes: i64,
    pub active: i64,
    /// Bookings a slot of this service takes (pre-booked visits).
    pub booking_seats: i64,
}

/// A ticket as windows, kiosks and the journal see it.
#[derive(Debug, Clone, FromRow, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ticket {
    pub id: i64,
    pub centre_id: i64,
    pub service_id: i64,
    pub service_name: String,
    pub label: String,
    pub account_number: Option<String>,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: TicketStatus,
    pub taken_at: i64,
    pub queued_at: i64,
    /// Its place in the queue: when it was first taken, or a booked visitor's slot.
    pub rank_at: i64,
    pub booking_id: Option<i64>,
    pub called_at: Option<i64>,
    pub staff_id: Option<i64>,
    pub window_label: Option<String>,
    pub calls: i64,
    pub version: i64,
}

/// What a kiosk prints.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TakenTicket {
    pub ticket: Ticket,
    /// Tickets of the same service waiting before it.
    pub ahead: i64,
    /// Windows serving the service now.
    pub windows: i64,
    pub norm_minutes: i64,
}

/// A called ticket on the hall display.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Called {
    pub ticket_id: i64,
    pub label: String,
    pub window_label: String,
    pub called_at: i64,
    /// Rises with every repeated call, so a display can sound again.
    pub calls: i64,
}

/// Waiting tickets of a service.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Waiting {
    pub service_id: i64,
    pub letter: String,
    pub name: String,
    pub waiting: i64,
    /// Since when the first of them waits (µs), if any.
    pub oldest: Option<i64>,
}

/// What a hall display shows, with the version it was read at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Board {
    pub version: i64,
    pub called: Vec<Called>,
    pub waiting: Vec<Waiting>,
}

/// A staff member's window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Seat {
    pub centre_id: i64,
    pub window_label: String,
    pub services: Vec<i64>,
}

/// One visit in the journal: the ticket, its calls summed, and what it came to.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct VisitRow {
    pub ticket_id: i64,
    pub centre_id: i64,
    pub label: String,
    pub service_name: String,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: TicketStatus,
    pub taken_at: i64,
    /// Microseconds from taking the ticket to the first call.
    pub wait: Option<i64>,
    /// Microseconds at windows, all calls together.
    pub service: Option<i64>,
    pub staff_name: Option<String>,
    pub client_id: Option<i64>,
    pub topic: Option<String>,
    pub result: Option<String>,
    pub promised_on: Option<String>,
    pub redirected_to: Option<String>,
}

/// How one level of reception kept its norm over a period (§6.3.4).
#[derive(Debug, Clone, PartialEq, FromRow, Serialize, utoipa::ToSchema)]
pub struct NormRow {
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub level: ServiceLevel,
    /// Receptions finished or transferred.
    pub receptions: i64,
    /// Within the norm in force at the time.
    pub within: i64,
    /// Average reception, seconds.
    pub avg_service_secs: i64,
    /// Average wait before the call, seconds.
    pub avg_wait_secs: i64,
    /// The norm, minutes (the largest in force in the period).
    pub norm_minutes: i64,
}

/// The call that passed a ticket on to its current service.
#[derive(Debug, Clone, FromRow, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Transferred {
    pub service_name: String,
    pub staff_name: String,
    pub window_label: String,
    pub ended_at: i64,
}

/// An enrolled kiosk or display.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct Device {
    pub id: i64,
    pub centre_id: i64,
    /// `kiosk` or `display`.
    pub kind: String,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_seen_at: Option<i64>,
}

const TICKET_COLUMNS: &str = "t.id, t.centre_id, t.service_id, s.name AS service_name, t.label,
    t.account_number, t.status, t.taken_at, t.queued_at, t.rank_at, t.booking_id, t.called_at, t.staff_id, t.window_label,
    t.calls, t.version";

pub(crate) async fn bump_board(conn: &mut AnyConnection, centre_id: i64, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO queue_boards (centre_id, version, changed_at) VALUES ($1, 1, $2)
         ON CONFLICT (centre_id) DO UPDATE SET version = queue_boards.version + 1, changed_at = $2",
    )
    .bind(centre_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn ticket_in(conn: &mut AnyConnection, id: i64) -> Result<Ticket> {
    sqlx::query_as(&format!(
        "SELECT {TICKET_COLUMNS} FROM queue_tickets t JOIN queue_services s ON s.id = t.service_id
         WHERE t.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)
}

/// The staff member's called ticket, if any.
async fn current_in(conn: &mut AnyConnection, staff_id: i64) -> Result<Option<Ticket>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TICKET_COLUMNS} FROM queue_tickets t JOIN queue_services s ON s.id = t.service_id
         WHERE t.staff_id = $1 AND t.status = 'called' ORDER BY t.called_at DESC LIMIT 1"
    ))
    .bind(staff_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Ends the open call of a ticket with `outcome`.
async fn end_call(
    conn: &mut AnyConnection,
    ticket_id: i64,
    outcome: CallOutcome,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE queue_calls SET ended_at = $1, outcome = $2
         WHERE ticket_id = $3 AND ended_at IS NULL",
    )
    .bind(now)
    .bind(outcome.code())
    .bind(ticket_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// The services of a centre's queue; a centre without any gets the standard's defaults.
    #[tracing::instrument(level = "debug", skip_all, fields(centre_id = centre_id))]
    pub async fn queue_services(&self, centre_id: i64) -> Result<Vec<QueueService>> {
        let list = self.queue_services_of(centre_id).await?;
        if !list.is_empty() {
            return Ok(list);
        }
        self.centre(centre_id).await?;
        let now = now_micros();
        let _turn = self.hall_turn().await;
        let mut tx = self.begin_write().await?;
        for s in default_services() {
            sqlx::query(
                "INSERT INTO queue_services
                     (centre_id, letter, name, level, priority, norm_minutes, active, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)
                 ON CONFLICT (centre_id, letter) DO NOTHING",
            )
            .bind(centre_id)
            .bind(s.letter)
            .bind(s.name)
            .bind(s.level.code())
            .bind(s.priority)
            .bind(i64::from(s.level.default_norm_minutes()))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.queue_services_of(centre_id).await
    }

    async fn queue_services_of(&self, centre_id: i64) -> Result<Vec<QueueService>> {
        Ok(sqlx::query_as(
            "SELECT id, centre_id, letter, name, level, priority, norm_minutes, active, booking_seats
             FROM queue_services WHERE centre_id = $1 ORDER BY id",
        )
        .bind(centre_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Adds a service to a centre, or changes one (`id`).
    #[tracing::instrument(level = "debug", skip_all, fields(centre_id = centre_id))]
    pub async fn save_queue_service(
        &self,
        centre_id: i64,
        id: Option<i64>,
        s: &ServiceSpec,
        actor: &Actor,
    ) -> Result<i64> {
        let now = now_micros();
        let _turn = self.hall_turn().await;
        let mut tx = self.begin_write().await?;
        let r: std::result::Result<Option<(i64,)>, sqlx::Error> = match id {
            Some(id) => {
                sqlx::query_as(
                    "UPDATE queue_services SET letter = $1, name = $2, level = $3, priority = $4,
                         norm_minutes = $5, active = $6, updated_at = $7
                     WHERE id = $8 AND centre_id = $9 RETURNING id",
                )
                .bind(&s.letter)
                .bind(&s.name)
                .bind(s.level.code())
                .bind(s.priority)
                .bind(i64::from(s.norm_minutes))
                .bind(i64::from(s.active))
                .bind(now)
                .bind(id)
                .bind(centre_id)
                .fetch_optional(&mut *tx)
                .await
            }
            None => {
                sqlx::query_as(
                    "INSERT INTO queue_services
                         (centre_id, letter, name, level, priority, norm_minutes, active, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
                )
                .bind(centre_id)
                .bind(&s.letter)
                .bind(&s.name)
                .bind(s.level.code())
                .bind(s.priority)
                .bind(i64::from(s.norm_minutes))
                .bind(i64::from(s.active))
                .bind(now)
                .fetch_optional(&mut *tx)
                .await
            }
        };
        let id = match r {
            Ok(Some((id,))) => id,
            Ok(None) => return Err(StoreError::NotFound),
            Err(e) if is_unique_violation(&e) => {
                return Err(refused(QueueRefusal::LetterTaken(s.letter.clone())))
            }
            Err(e) => return Err(e.into()),
        };
        audit_in(
            &mut tx,
            actor,
            "queue.service",
            "service_centre",
            &centre_id.to_string(),
            &format!("service {id} {}: norm {} min", s.letter, s.norm_minutes),
        )
        .await?;
        bump_board(&mut tx, centre_id, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Takes a ticket: the day's next number of the service's letter (the counter's upsert is
    /// the first statement, so SQLite takes the write lock at once).
    #[tracing::instrument(level = "debug", skip_all, fields(centre_id = centre_id, service_id = service_id))]
    pub async fn take_ticket(
        &self,
        centre_id: i64,
        service_id: i64,
        account: Option<&AccountNumber>,
        device_id: Option<i64>,
        day: Date,
    ) -> Result<TakenTicket> {
        let now = now_micros();
        let _turn = self.hall_turn().await;
        let mut tx = self.begin_write().await?;
        let service: Option<(String, i64)> = sqlx::query_as(
            "SELECT letter, norm_minutes FROM queue_services
             WHERE id = $1 AND centre_id = $2 AND active = 1",
        )
        .bind(service_id)
        .bind(centre_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((letter, norm_minutes)) = service else {
            return Err(refused(QueueRefusal::UnknownService));
        };
        let id = insert_ticket_in(
            &mut tx,
            &NewTicket {
                centre_id,
                service_id,
                letter: &letter,
                day,
                account,
                device_id,
                booking: None,
            },
            now,
        )
        .await?;
        bump_board(&mut tx, centre_id, now).await?;
        let ticket = ticket_in(&mut tx, id).await?;
        let (ahead, windows) = ahead_and_windows(&mut tx, &ticket).await?;
        tx.commit().await?;
        Ok(TakenTicket {
            ticket,
            ahead,
            windows,
            norm_minutes,
        })
    }

    /// A ticket with the tickets ahead of it and the windows serving its service.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn queue_ticket(&self, id: i64) -> Result<TakenTicket> {
        let mut conn = self.pool().acquire().await?;
        let ticket = ticket_in(&mut conn, id).await?;
        let (norm_minutes,): (i64,) =
            sqlx::query_as("SELECT norm_minutes FROM queue_services WHERE id = $1")
                .bind(ticket.service_id)
                .fetch_one(&mut *conn)
                .await?;
        let (ahead, windows) = ahead_and_windows(&mut conn, &ticket).await?;
        Ok(TakenTicket {
            ticket,
            ahead,
            windows,
            norm_minutes,
        })
    }

    /// Sits a staff member at a window of a centre, calling the given services.
    #[tracing::instrument(level = "debug", skip_all, fields(staff_id = staff_id, centre_id = centre_id))]
    pub async fn set_queue_seat(
        &self,
        staff_id: i64,
        centre_id: i64,
        window_label: &str,
        services: &[i64],
    ) -> Result<()> {
        let known = self.queue_services(centre_id).await?;
        if services.is_empty()
            || window_label.trim().is_empty()
            || services.iter().any(|s| !known.iter().any(|k| k.id == *s))
        {
            return Err(refused(QueueRefusal::NoSeat));
        }
        let list = services
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        sqlx::query(
            "INSERT INTO queue_seats (staff_id, centre_id, window_label, services, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (staff_id) DO UPDATE SET centre_id = $2, window_label = $3, services = $4,
                 updated_at = $5",
        )
        .bind(staff_id)
        .bind(centre_id)
        .bind(window_label.trim())
        .bind(list)
        .bind(now_micros())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The staff member's window, if they took one.
    #[tracing::instrument(level = "debug", skip_all, fields(staff_id = staff_id))]
    pub async fn queue_seat(&self, staff_id: i64) -> Result<Option<Seat>> {
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT centre_id, window_label, services FROM queue_seats WHERE staff_id = $1",
        )
        .bind(staff_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|(centre_id, window_label, services)| {
            let services = services
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<i64>()
                        .map_err(|_| StoreError::Corrupt(format!("queue seat services {s:?}")))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Seat {
                centre_id,
                window_label,
                services,
            })
        })
        .transpose()
    }

    /// The ticket a staff member has called and not yet finished.
    #[tracing::instrument(level = "debug", skip_all, fields(staff_id = staff_id))]
    pub async fn current_ticket(&self, staff_id: i64) -> Result<Option<Ticket>> {
        let mut conn = self.pool().acquire().await?;
        current_in(&mut conn, staff_id).await
    }

    /// Calls the next waiting ticket of the seat's services to its window: the most urgent
    /// service first (lowest priority number), then the earliest place. `None` when nobody
    /// waits. Refused while the staff member still has a called ticket.
    #[tracing::instrument(level = "debug", skip_all, fields(staff_id = staff_id))]
    pub async fn call_next(&self, staff_id: i64, seat: &Seat) -> Result<Option<Ticket>> {
        if seat.services.is_empty() {
            return Err(refused(QueueRefusal::NoSeat));
        }
        // Nobody waiting: answered by a read, without taking SQLite's write lock (windows ask
        // often; the write is for when there is someone to call).
        let probe = format!(
            "SELECT id FROM queue_tickets WHERE centre_id = $1 AND status = 'waiting'
               AND service_id IN ({}) LIMIT 1",
            placeholders(2, seat.services.len())
        );
        let mut q = sqlx::query_as::<_, (i64,)>(&probe).bind(seat.centre_id);
        for s in &seat.services {
            q = q.bind(*s);
        }
        if q.fetch_optional(self.pool()).await?.is_none() {
            if let Some(t) = self.current_ticket(staff_id).await? {
                return Err(refused(QueueRefusal::AlreadyServing(t.label)));
            }
            return Ok(None);
        }
        let now = now_micros();
        let _turn = self.hall_turn().await;
        let mut tx = self.begin_write().await?;
        if let Some(t) = current_in(&mut tx, staff_id).await? {
            return Err(refused(QueueRefusal::AlreadyServing(t.label)));
        }
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE OF t SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE queue_tickets SET status = 'called', staff_id = $1, window_label = $2,
                 called_at = $3, calls = calls + 1, version = version + 1
             WHERE status = 'waiting' AND id = (
                 SELECT t.id FROM queue_tickets t JOIN queue_services s ON s.id = t.service_id
                 WHERE t.centre_id = $4 AND t.status = 'waiting' AND t.service_id IN ({})
                 ORDER BY CASE WHEN t.booking_id IS NOT NULL AND t.rank_at <= $3 THEN 0 ELSE 1 END,
                          s.priority, t.rank_at, t.id LIMIT 1{lock})
             RETURNING id",
            placeholders(5, seat.services.len())
        );
        let mut q = sqlx::query_as::<_, (i64,)>(&sql)
            .bind(staff_id)
            .bind(&seat.window_label)
            .bind(now)
            .bind(seat.centre_id);
        for s in &seat.services {
            q = q.bind(*s);
        }
        let Some((id,)) = q.fetch_optional(&mut *tx).await? else {
            return Ok(None);
        };
        sqlx::query(
            "INSERT INTO queue_calls (ticket_id, service_id, level, norm_minutes, staff_id,
                 window_label, queued_at, called_at)
             SELECT t.id, t.service_id, s.level, s.norm_minutes, $1, $2, t.queued_at, $3
             FROM queue_tickets t JOIN queue_services s ON s.id = t.service_id WHERE t.id = $4",
        )
        .bind(staff_id)
        .bind(&seat.window_label)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        bump_board(&mut tx, seat.centre_id, now).await?;
        let t = ticket_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Some(t))
    }

    /// Calls the staff member's ticket again (the display shows it anew).
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn recall_ticket(&self, id: i64, staff_id: i64) -> Result<Ticket> {
        let now = now_micros();
        let _turn = self.hall_turn().await;
        let mut tx = self.begin_write().await?;
        let t = own_called(&mut tx, id, staff_id).await?;
        sqlx::query(
            "UPDATE queue_tickets SET calls = calls + 1, version = version + 1 WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE queue_calls SET recalls = recalls + 1 WHERE ticket_id = $1 AND ended_at IS NULL",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        bump_board(&mut tx, t.centre_id, now).await?;
        let t = ticket_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Ends the staff member's call of a ticket without a visit: the visitor did not come
    /// (`NoShow`) or the ticket goes back to its place in the queue (`Returned`, after a
    /// window's crash or a call by mistake).
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn release_ticket(&self, id: i64, staff_id: i64, outcome: CallOutcome) -> Result<()> {
        let now = now_micros();
        let _turn = self.hall_turn().await;
        let mut tx = self.begin_write().await?;
        let t = own_called(&mut tx, id, staff_id).await?;
        let (status, finished) = match outcome {
            CallOutcome::NoShow => (TicketStatus::NoShow, Some(now)),
            _ => (TicketStatus::Waiting, None),
        };
        sqlx::query(
            "UPDATE queue_tickets SET status = $1, finished_at = $2, staff_id = NULL,
                 window_label = NULL, version = version + 1
             WHERE id = $3",
        )
        .bind(status.code())
        .bind(finished)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        end_call(&mut tx, id, outcome, now).await?;
        bump_board(&mut tx, t.centre_id, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Transfers the staff member's ticket to another service of the centre (the escalation to
    /// the head of sales or the branch head): it waits there keeping its place by the time it
    /// was first taken.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id, to = to_service))]
    pub async fn transfer_ticket(&self, id: i64, staff_id: i64, to_service: i64) -> Result<()> {
        let now = now_micros();
        let _turn = self.hall_turn().await;
        let mut tx = self.begin_write().await?;
        let t = own_called(&mut tx, id, staff_id).await?;
        if t.service_id == to_service {
            return Err(refused(QueueRefusal::SameService));
        }
        let known: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM queue_services WHERE id = $1 AND centre_id = $2 AND active = 1",
        )
        .bind(to_service)
        .bind(t.centre_id)
        .fetch_optional(&mut *tx)
        .await?;
        if known.is_none() {
            return Err(refused(QueueRefusal::UnknownService));
        }
        sqlx::query(
            "UPDATE queue_tickets SET status = 'waiting', service_id = $1, queued_at = $2,
                 staff_id = NULL, window_label = NULL, version = version + 1
             WHERE id = $3",
        )
        .bind(to_service)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        end_call(&mut tx, id, CallOutcome::Transferred, now).await?;
        bump_board(&mut tx, t.centre_id, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Finishes the staff member's ticket with the visit's record.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn finish_ticket(&self, id: i64, f: &Finish, actor: &Actor) -> Result<Ticket> {
        let staff_id = actor.staff_id.ok_or(StoreError::NotFound)?;
        let now = now_micros();
        let _turn = self.hall_turn().await;
        let mut tx = self.begin_write().await?;
        let t = own_called(&mut tx, id, staff_id).await?;
        sqlx::query(
            "UPDATE queue_tickets SET status = 'done', finished_at = $1, version = version + 1
             WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        end_call(&mut tx, id, CallOutcome::Finished, now).await?;
        let account = f
            .account
            .as_ref()
            .map(|a| a.as_str().to_owned())
            .or_else(|| t.account_number.clone());
        let r = sqlx::query(
            "INSERT INTO queue_visits (ticket_id, staff_id, client_id, account_number, topic, result,
                 promised_on, redirected_to, note, finished_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(staff_id)
        .bind(f.client_id)
        .bind(account)
        .bind(&f.topic)
        .bind(f.result.code())
        .bind(f.promised_on.map(|d| d.to_string()))
        .bind(f.redirected_to.as_deref())
        .bind(f.note.as_deref())
        .bind(now)
        .execute(&mut *tx)
        .await;
        match r {
            Ok(_) => {}
            Err(sqlx::Error::Database(db))
                if db.message().contains("FOREIGN KEY")
                    || db.code().as_deref() == Some("23503") =>
            {
                return Err(StoreError::NotFound)
            }
            Err(e) => return Err(e.into()),
        }
        if let Some(c) = f.client_id {
            audit_in(
                &mut tx,
                actor,
                "queue.visit",
                "client",
                &c.to_string(),
                &format!("ticket {} {}", t.label, f.result.code()),
            )
            .await?;
        }
        bump_board(&mut tx, t.centre_id, now).await?;
        let t = ticket_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Who transferred the ticket to its current service (the last transfer), if anyone.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn transferred_from(&self, id: i64) -> Result<Option<Transferred>> {
        Ok(sqlx::query_as(
            "SELECT s.name AS service_name, st.full_name AS staff_name, c.window_label, c.ended_at
             FROM queue_calls c JOIN queue_services s ON s.id = c.service_id
             JOIN staff st ON st.id = c.staff_id
             WHERE c.ticket_id = $1 AND c.outcome = 'transferred'
             ORDER BY c.ended_at DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The board's version: displays reload the board when it moves.
    #[tracing::instrument(level = "debug", skip_all, fields(centre_id = centre_id))]
    pub async fn queue_board_version(&self, centre_id: i64) -> Result<i64> {
        let v: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM queue_boards WHERE centre_id = $1")
                .bind(centre_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(v.map_or(0, |(v,)| v))
    }

    /// What the hall display shows: tickets at windows now, and who waits per service.
    #[tracing::instrument(level = "debug", skip_all, fields(centre_id = centre_id))]
    pub async fn queue_board(&self, centre_id: i64) -> Result<Board> {
        let mut conn = self.pool().acquire().await?;
        let version = {
            let v: Option<(i64,)> =
                sqlx::query_as("SELECT version FROM queue_boards WHERE centre_id = $1")
                    .bind(centre_id)
                    .fetch_optional(&mut *conn)
                    .await?;
            v.map_or(0, |(v,)| v)
        };
        let called = sqlx::query_as(
            "SELECT id AS ticket_id, label, window_label, called_at, calls FROM queue_tickets
             WHERE centre_id = $1 AND status = 'called' AND window_label IS NOT NULL
             ORDER BY called_at DESC LIMIT 12",
        )
        .bind(centre_id)
        .fetch_all(&mut *conn)
        .await?;
        let waiting = sqlx::query_as(
            "SELECT s.id AS service_id, s.letter, s.name, COUNT(t.id) AS waiting,
                    MIN(t.queued_at) AS oldest
             FROM queue_services s
             LEFT JOIN queue_tickets t ON t.service_id = s.id AND t.status = 'waiting'
             WHERE s.centre_id = $1 AND s.active = 1
             GROUP BY s.id, s.letter, s.name ORDER BY s.id",
        )
        .bind(centre_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(Board {
            version,
            called,
            waiting,
        })
    }

    /// The journal of visits of a centre (or all) taken in `[from, to)`, newest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn queue_visits(
        &self,
        centre_id: Option<i64>,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<VisitRow>> {
        Ok(sqlx::query_as(
            "SELECT t.id AS ticket_id, t.centre_id, t.label, s.name AS service_name, t.status, t.taken_at,
                    (SELECT MIN(c.called_at) FROM queue_calls c WHERE c.ticket_id = t.id) - t.taken_at AS wait,
                    (SELECT CAST(SUM(c.ended_at - c.called_at) AS BIGINT) FROM queue_calls c
                      WHERE c.ticket_id = t.id AND c.outcome IN ('finished', 'transferred')) AS service,
                    st.full_name AS staff_name, v.client_id, v.topic, v.result, v.promised_on,
                    v.redirected_to
             FROM queue_tickets t
             JOIN queue_services s ON s.id = t.service_id
             LEFT JOIN queue_visits v ON v.ticket_id = t.id
             LEFT JOIN staff st ON st.id = v.staff_id
             WHERE t.taken_at >= $1 AND t.taken_at < $2 AND ($3 = 0 OR t.centre_id = $3)
             ORDER BY t.taken_at DESC, t.id DESC LIMIT $4",
        )
        .bind(from)
        .bind(to)
        .bind(centre_id.unwrap_or(0))
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// How each level of reception kept its norm in `[from, to)` (§6.3.4): receptions that
    /// ended with a finished visit or a transfer, each against the norm in force when called.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn queue_norms(
        &self,
        centre_id: Option<i64>,
        from: i64,
        to: i64,
    ) -> Result<Vec<NormRow>> {
        Ok(sqlx::query_as(
            "SELECT c.level, COUNT(*) AS receptions,
                    SUM(CASE WHEN c.ended_at - c.called_at <= c.norm_minutes * 60000000 THEN 1 ELSE 0 END) AS within,
                    CAST(AVG(c.ended_at - c.called_at) / 1000000 AS BIGINT) AS avg_service_secs,
                    CAST(AVG(c.called_at - c.queued_at) / 1000000 AS BIGINT) AS avg_wait_secs,
                    MAX(c.norm_minutes) AS norm_minutes
             FROM queue_calls c JOIN queue_tickets t ON t.id = c.ticket_id
             WHERE c.called_at >= $1 AND c.called_at < $2 AND ($3 = 0 OR t.centre_id = $3)
               AND c.outcome IN ('finished', 'transferred')
             GROUP BY c.level ORDER BY c.level",
        )
        .bind(from)
        .bind(to)
        .bind(centre_id.unwrap_or(0))
        .fetch_all(self.pool())
        .await?)
    }

    /// Enrols a kiosk or a display for a centre; the caller keeps the token, the store its hash.
    #[tracing::instrument(level = "debug", skip_all, fields(centre_id = centre_id))]
    pub async fn enrol_device(
        &self,
        centre_id: i64,
        kind: &str,
        name: &str,
        token_hash: &str,
        actor: &Actor,
    ) -> Result<i64> {
        self.centre(centre_id).await?;
        let _turn = self.hall_turn().await;
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO queue_devices (centre_id, kind, name, token_hash, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(centre_id)
        .bind(kind)
        .bind(name)
        .bind(token_hash)
        .bind(now_micros())
        .bind(actor.staff_id)
        .fetch_one(&mut *tx)
        .await?;
        audit_in(
            &mut tx,
            actor,
            "queue.device_enrol",
            "service_centre",
            &centre_id.to_string(),
            &format!("device {id} ({kind})"),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Revokes a device: its token opens nothing from now on.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn revoke_device(&self, id: i64, actor: &Actor) -> Result<()> {
        let _turn = self.hall_turn().await;
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE queue_devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now_micros())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        audit_in(
            &mut tx,
            actor,
            "queue.device_revoke",
            "device",
            &id.to_string(),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every enrolled device, newest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn devices(&self) -> Result<Vec<Device>> {
        Ok(sqlx::query_as(
            "SELECT id, centre_id, kind, name, created_at, revoked_at, last_seen_at
             FROM queue_devices ORDER BY id DESC",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// The live device of a token's hash; marks it seen (at most once a minute).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>> {
        let d: Option<Device> = sqlx::query_as(
            "SELECT id, centre_id, kind, name, created_at, revoked_at, last_seen_at
             FROM queue_devices WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        let now = now_micros();
        if let Some(d) = &d {
            if d.last_seen_at.is_none_or(|t| now - t > 60_000_000) {
                sqlx::query("UPDATE queue_devices SET last_seen_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(d.id)
                    .execute(self.pool())
                    .await?;
            }
        }
        Ok(d)
    }
}

/// A ticket to insert: walk-in, or a booked visitor checking in (its place is the slot's start).
pub(crate) struct NewTicket<'a> {
    pub centre_id: i64,
    pub service_id: i64,
    pub letter: &'a str,
    pub day: Date,
    pub account: Option<&'a AccountNumber>,
    pub device_id: Option<i64>,
    /// The booking and its slot's start.
    pub booking: Option<(i64, i64)>,
}

/// Inserts a ticket with the day's next number of its letter (the counter's upsert comes first,
/// so SQLite takes the write lock at once).
pub(crate) async fn insert_ticket_in(
    conn: &mut AnyConnection,
    t: &NewTicket<'_>,
    now: i64,
) -> Result<i64> {
    let (number,): (i64,) = sqlx::query_as(
        "INSERT INTO queue_counters (centre_id, day, letter, last) VALUES ($1, $2, $3, 1)
         ON CONFLICT (centre_id, day, letter) DO UPDATE SET last = queue_counters.last + 1
         RETURNING last",
    )
    .bind(t.centre_id)
    .bind(t.day.to_string())
    .bind(t.letter)
    .fetch_one(&mut *conn)
    .await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO queue_tickets (centre_id, service_id, day, number, label, account_number,
             status, taken_at, queued_at, rank_at, device_id, booking_id)
         VALUES ($1, $2, $3, $4, $5, $6, 'waiting', $7, $7, $8, $9, $10) RETURNING id",
    )
    .bind(t.centre_id)
    .bind(t.service_id)
    .bind(t.day.to_string())
    .bind(number)
    .bind(ticket_label(t.letter, number))
    .bind(t.account.map(|a| a.as_str().to_owned()))
    .bind(now)
    .bind(t.booking.map_or(now, |b| b.1))
    .bind(t.device_id)
    .bind(t.booking.map(|b| b.0))
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// The ticket, if the staff member has it called; otherwise the ticket changed under them.
async fn own_called(conn: &mut AnyConnection, id: i64, staff_id: i64) -> Result<Ticket> {
    let t = ticket_in(conn, id).await?;
    if t.status != TicketStatus::Called || t.staff_id != Some(staff_id) {
        return Err(refused(QueueRefusal::TicketChanged));
    }
    Ok(t)
}

/// A window taken longer ago than this (a working day) no longer counts as serving.
const SEAT_HOURS: i64 = 12;

/// Tickets of the same service waiting before `t`, and the windows whose seat calls it.
pub(crate) async fn ahead_and_windows(conn: &mut AnyConnection, t: &Ticket) -> Result<(i64, i64)> {
    let (ahead,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM queue_tickets
         WHERE service_id = $1 AND status = 'waiting'
           AND (rank_at < $2 OR (rank_at = $2 AND id < $3))",
    )
    .bind(t.service_id)
    .bind(t.rank_at)
    .bind(t.id)
    .fetch_one(&mut *conn)
    .await?;
    let pattern = format!("%,{},%", t.service_id);
    let (windows,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM queue_seats
         WHERE centre_id = $1 AND (',' || services || ',') LIKE $2 AND updated_at >= $3",
    )
    .bind(t.centre_id)
    .bind(pattern)
    .bind(now_micros() - SEAT_HOURS * 3_600_000_000)
    .fetch_one(&mut *conn)
    .await?;
    Ok((ahead, windows))
}

/// What a visit's result code means, for the journal.
pub fn result_label(code: &str) -> &'static str {
    VisitResult::parse(code).map_or("", VisitResult::label_ru)
}
