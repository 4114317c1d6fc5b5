//! Pre-booked visits (CHN-01): bookings of a slot, each on a seat of the slot; the partial unique
//! index on the seat gives the last seat to exactly one of two clients booking at once. A booked
//! visitor checks in at the kiosk with the code and gets a ticket whose place is the slot's
//! start; reminders go out the day before by the contact the booking gave.

use abonent_domain::accounts::AccountNumber;
use abonent_domain::frontoffice::booking::{booking_code, BookingChannel, BookingStatus};
use abonent_domain::refusal::QueueRefusal;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use super::queue::{
    ahead_and_windows, bump_board, insert_ticket_in, ticket_in, NewTicket, TakenTicket,
};
use crate::audit::{audit_in, Actor};
use crate::{is_unique_violation, now_micros, refused, Result, Store, StoreError};

/// A booking as its owner, the staff and the kiosk see it.
#[derive(Debug, Clone, FromRow, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Booking {
    pub id: i64,
    pub centre_id: i64,
    pub centre_name: String,
    pub service_id: i64,
    pub service_name: String,
    pub day: String,
    /// The slot's start, µs since the epoch.
    pub slot_start: i64,
    pub slot_minutes: i64,
    /// What the visitor types at the kiosk.
    pub code: String,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: BookingStatus,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub channel: BookingChannel,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub account_number: Option<String>,
    pub client_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub version: i64,
}

/// A booking to make.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub centre_id: i64,
    pub service_id: i64,
    pub day: Date,
    pub slot_start: i64,
    pub slot_minutes: i64,
    pub channel: BookingChannel,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub account: Option<AccountNumber>,
    pub client_id: Option<i64>,
    pub portal_user_id: Option<i64>,
    /// Three random digits of the code.
    pub random: u32,
}

const BOOKING_SELECT: &str = "SELECT b.id, b.centre_id, c.name AS centre_name, b.service_id,
        s.name AS service_name, b.day, b.slot_start, b.slot_minutes, b.code, b.status, b.channel,
        b.name, b.phone, b.email, b.account_number, b.client_id, b.ticket_id, b.version
    FROM queue_bookings b JOIN queue_services s ON s.id = b.service_id
    JOIN service_centres c ON c.id = b.centre_id";

impl Store {
    /// Bookings per slot start of a service on a day (cancelled ones free their seat).
    #[tracing::instrument(level = "debug", skip_all, fields(centre_id = centre_id, service_id = service_id))]
    pub async fn booked_slots(
        &self,
        centre_id: i64,
        service_id: i64,
        day: Date,
    ) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT slot_start, COUNT(*) FROM queue_bookings
             WHERE centre_id = $1 AND service_id = $2 AND day = $3 AND status <> 'cancelled'
             GROUP BY slot_start",
        )
        .bind(centre_id)
        .bind(service_id)
        .bind(day.to_string())
        .fetch_all(self.pool())
        .await?)
    }

    /// Books a slot on its first free seat; refused when every seat is taken. The code is the
    /// day's booking number and three random digits.
    #[tracing::instrument(level = "debug", skip_all, fields(centre_id = b.centre_id, service_id = b.service_id))]
    pub async fn book_visit(&self, b: &NewBooking, actor: &Actor) -> Result<Booking> {
        let seats: Option<(i64,)> = sqlx::query_as(
            "SELECT booking_seats FROM queue_services WHERE id = $1 AND centre_id = $2 AND active = 1",
        )
        .bind(b.service_id)
        .bind(b.centre_id)
        .fetch_optional(self.pool())
        .await?;
        let Some((seats,)) = seats else {
            return Err(refused(QueueRefusal::UnknownService));
        };
        let (same,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM queue_bookings
             WHERE centre_id = $1 AND day = $2 AND status = 'booked'
               AND (client_id = $3 OR phone = $4 OR email = $5)",
        )
        .bind(b.centre_id)
        .bind(b.day.to_string())
        .bind(b.client_id)
        .bind(b.phone.as_deref())
        .bind(b.email.as_deref())
        .fetch_one(self.pool())
        .await?;
        if same > 0 {
            return Err(refused(QueueRefusal::AlreadyBooked));
        }
        for seat in 1..=seats.max(1) {
            match self.book_seat(b, seat, actor).await {
                Ok(id) => return self.booking(id).await,
                Err(StoreError::Db(e)) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(refused(QueueRefusal::SlotTaken))
    }

    /// One attempt on one seat, in its own transaction (a uniqueness violation ends a
    /// PostgreSQL transaction).
    async fn book_seat(&self, b: &NewBooking, seat: i64, actor: &Actor) -> Result<i64> {
        let now = now_micros();
        let _turn = self.hall_turn().await;
        let mut tx = self.begin_write().await?;
        let (number,): (i64,) = sqlx::query_as(
            "INSERT INTO queue_counters (centre_id, day, letter, last) VALUES ($1, $2, '#', 1)
             ON CONFLICT (centre_id, day, letter) DO UPDATE SET last = queue_counters.last + 1
             RETURNING last",
        )
        .bind(b.centre_id)
        .bind(b.day.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO queue_bookings (centre_id, service_id, day, slot_start, slot_minutes, seat,
                 code, status, channel, name, phone, email, account_number, client_id,
                 portal_user_id, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'booked', $8, $9, $10, $11, $12, $13, $14, $15, $16)
             RETURNING id",
        )
        .bind(b.centre_id)
        .bind(b.service_id)
        .bind(b.day.to_string())
        .bind(b.slot_start)
        .bind(b.slot_minutes)
        .bind(seat)
        .bind(booking_code(number, b.random))
        .bind(b.channel.code())
        .bind(&b.name)
        .bind(b.phone.as_deref())
        .bind(b.email.as_deref())
        .bind(b.account.as_ref().map(|a| a.as_str().to_owned()))
        .bind(b.client_id)
        .bind(b.portal_user_id)
        .bind(actor.staff_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        audit_in(
            &mut tx,
            actor,
            "queue.booking",
            "booking",
            &id.to_string(),
            &format!("centre {} service {} {}", b.centre_id, b.service_id, b.day),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn booking(&self, id: i64) -> Result<Booking> {
        sqlx::query_as(&format!("{BOOKING_SELECT} WHERE b.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// A personal-account user's bookings from `day` on, soonest first.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id))]
    pub async fn bookings_of_user(&self, user_id: i64, day: Date) -> Result<Vec<Booking>> {
        Ok(sqlx::query_as(&format!(
            "{BOOKING_SELECT} WHERE b.portal_user_id = $1 AND b.day >= $2 ORDER BY b.slot_start"
        ))
        .bind(user_id)
        .bind(day.to_string())
        .fetch_all(self.pool())
        .await?)
    }

    /// The bookings of a centre's day (all centres when `centre_id` is `None`), by time.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn bookings_of_day(&self, centre_id: Option<i64>, day: Date) -> Result<Vec<Booking>> {
        Ok(sqlx::query_as(&format!(
            "{BOOKING_SELECT} WHERE b.day = $1 AND ($2 = 0 OR b.centre_id = $2)
             ORDER BY b.slot_start, b.id"
        ))
        .bind(day.to_string())
        .bind(centre_id.unwrap_or(0))
        .fetch_all(self.pool())
        .await?)
    }

    /// Cancels a booking that still waits for its visitor; its seat is free again.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn cancel_booking(&self, id: i64, actor: &Actor) -> Result<()> {
        let _turn = self.hall_turn().await;
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE queue_bookings SET status = 'cancelled', cancelled_at = $1, version = version + 1
             WHERE id = $2 AND status = 'booked'",
        )
        .bind(now_micros())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(refused(QueueRefusal::BookingClosed));
        }
        audit_in(
            &mut tx,
            actor,
            "queue.booking_cancel",
            "booking",
            &id.to_string(),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A booked visitor checks in at the kiosk of the centre with the code of today's booking:
    /// a ticket whose place is the slot's start (called first once the time has come).
    #[tracing::instrument(level = "debug", skip_all, fields(centre_id = centre_id))]
    pub async fn check_in(
        &self,
        centre_id: i64,
        code: &str,
        day: Date,
        device_id: Option<i64>,
    ) -> Result<TakenTicket> {
        let now = now_micros();
        let _turn = self.hall_turn().await;
        let mut tx = self.begin_write().await?;
        let found: Option<(i64, i64, i64, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT b.id, b.service_id, b.slot_start, s.letter, s.norm_minutes, b.account_number
             FROM queue_bookings b JOIN queue_services s ON s.id = b.service_id
             WHERE b.centre_id = $1 AND b.day = $2 AND b.code = $3 AND b.status = 'booked'",
        )
        .bind(centre_id)
        .bind(day.to_string())
        .bind(code)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((booking, service_id, slot_start, letter, norm_minutes, account)) = found else {
            return Err(refused(QueueRefusal::BookingNotFound));
        };
        let account = account.and_then(|a| AccountNumber::parse(&a).ok());
        let id = insert_ticket_in(
            &mut tx,
            &NewTicket {
                centre_id,
                service_id,
                letter: &letter,
                day,
                account: account.as_ref(),
                device_id,
                booking: Some((booking, slot_start)),
            },
            now,
        )
        .await?;
        sqlx::query(
            "UPDATE queue_bookings SET status = 'checked_in', ticket_id = $1, version = version + 1
             WHERE id = $2",
        )
        .bind(id)
        .bind(booking)
        .execute(&mut *tx)
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

    /// Queues the reminders of the bookings of `day` (sent the day before): by e-mail when the
    /// booking gave an address, by SMS otherwise; once per booking however often it runs.
    /// Returns how many were queued now.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn queue_booking_reminders(&self, day: Date, tz: &jiff::tz::TimeZone) -> Result<u64> {
        let due = self.bookings_of_day(None, day).await?;
        let mut queued = 0;
        for b in due.iter().filter(|b| b.status == BookingStatus::Booked) {
            let (channel, recipient) = match (&b.email, &b.phone) {
                (Some(m), _) => ("email", m.clone()),
                (None, Some(p)) => ("sms", p.clone()),
                (None, None) => continue,
            };
            let at = jiff::Timestamp::from_microsecond(b.slot_start)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?
                .to_zoned(tz.clone());
            let body = format!(
                "Напоминаем: вы записаны на приём {} в {} — {}, «{}». Код для киоска в зале: {}. \
                 Если планы изменились, отмените запись в личном кабинете или по телефону.",
                abonent_domain::calendar::ru_date(&b.day),
                at.strftime("%H:%M"),
                b.centre_name,
                b.service_name,
                b.code
            );
            let _turn = self.hall_turn().await;
            let mut tx = self.begin_write().await?;
            let r = sqlx::query(
                "INSERT INTO outbox (channel, recipient, client_id, kind, subject, body, attachment,
                     dedupe_key, next_attempt_at, created_at)
                 VALUES ($1, $2, $3, 'booking_reminder', $4, $5, '', $6, $7, $7)
                 ON CONFLICT (dedupe_key) DO NOTHING",
            )
            .bind(channel)
            .bind(&recipient)
            .bind(b.client_id)
            .bind("Напоминание о записи на приём")
            .bind(&body)
            .bind(format!("booking:{}", b.id))
            .bind(now_micros())
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() > 0 {
                sqlx::query("UPDATE queue_bookings SET reminded_at = $1 WHERE id = $2")
                    .bind(now_micros())
                    .bind(b.id)
                    .execute(&mut *tx)
                    .await?;
                crate::jobs::enqueue_in(
                    &mut tx,
                    &crate::jobs::JobKind::OutboxSend,
                    "",
                    None,
                    now_micros(),
                )
                .await?;
                queued += 1;
            }
            tx.commit().await?;
        }
        Ok(queued)
    }
}
