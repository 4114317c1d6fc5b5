//! Meters and readings (MTR-01 … MTR-04): the domain checks a reading against the last accepted
//! one; this module stores it with a guard that nobody accepted another reading in between.

use abonent_domain::billing::open_period;
use abonent_domain::metering::{MeterData, ZoneValues};
use abonent_domain::money::Wh;
use serde::Serialize;
use sqlx::FromRow;

use abonent_domain::refusal::MeteringRefusal;
use abonent_domain::tariffs::Period;

use crate::audit::{audit_in, Actor};
use crate::group::Failed;
use crate::periods::{open_period_in, period_guard};
use crate::{now_micros, refused, Backend, Result, Store, StoreError};

/// A meter with its last accepted reading.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct MeterView {
    pub id: i64,
    pub account_id: i64,
    pub serial: String,
    pub model: String,
    pub zones: i64,
    pub digits: i64,
    pub installed_on: String,
    pub verified_on: String,
    pub interval_years: i64,
    pub state: String,
    pub removed_on: Option<String>,
    pub initial_values: String,
    /// Per zone, comma-separated; the initial values when no reading was accepted yet.
    pub last_values: Option<String>,
    pub last_received_at: Option<i64>,
    pub last_reading_id: Option<i64>,
}

/// A stored reading.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct ReadingView {
    pub id: i64,
    pub reading_values: String,
    /// Wh per zone, comma-separated.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub consumption_wh: ZoneValues,
    pub received_at: i64,
    pub period: String,
    pub channel: String,
    pub status: String,
    pub note: String,
}

/// A checked reading to store.
#[derive(Debug, Clone)]
pub struct NewReading {
    pub values: Vec<i64>,
    pub consumption: Vec<Wh>,
    pub held: bool,
    pub note: String,
    pub channel: String,
    pub period: String,
}

const METER_SELECT: &str = "SELECT m.id, m.account_id, m.serial, m.model, m.zones, m.digits,
        m.installed_on, m.verified_on, m.interval_years, m.state, m.removed_on, m.initial_values,
        r.reading_values AS last_values, r.received_at AS last_received_at, r.id AS last_reading_id
    FROM meters m
    LEFT JOIN readings r ON r.id = (SELECT MAX(x.id) FROM readings x
                                     WHERE x.meter_id = m.id AND x.status = 'accepted')";

impl Store {
    /// Registers a meter on an account; audited.
    #[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id))]
    pub async fn create_meter(&self, account_id: i64, m: &MeterData, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO meters (account_id, serial, model, zones, digits, installed_on, verified_on,
                 interval_years, initial_values, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(account_id)
        .bind(&m.serial)
        .bind(&m.model)
        .bind(m.spec.zones as i64)
        .bind(i64::from(m.spec.digits))
        .bind(m.installed_on.to_string())
        .bind(m.verified_on.to_string())
        .bind(i64::from(m.interval_years))
        .bind(ZoneValues(m.initial.clone()).to_db())
        .bind(now_micros())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db)
                if db.message().contains("FOREIGN KEY") || db.code().as_deref() == Some("23503") =>
            {
                StoreError::NotFound
            }
            _ => StoreError::Db(e),
        })?;
        audit_in(
            &mut tx,
            actor,
            "meter.create",
            "account",
            &account_id.to_string(),
            &format!("meter {id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id))]
    pub async fn meters_of_account(&self, account_id: i64) -> Result<Vec<MeterView>> {
        Ok(sqlx::query_as(&format!(
            "{METER_SELECT} WHERE m.account_id = $1 ORDER BY m.id"
        ))
        .bind(account_id)
        .fetch_all(self.pool())
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn meter(&self, id: i64) -> Result<MeterView> {
        sqlx::query_as(&format!("{METER_SELECT} WHERE m.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// A meter of an account linked to the personal-account user `user_id`; `None` when there
    /// is no such meter or it is someone else's.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id, user_id = user_id))]
    pub async fn meter_of_portal_user(&self, id: i64, user_id: i64) -> Result<Option<MeterView>> {
        Ok(sqlx::query_as(&format!(
            "{METER_SELECT} JOIN portal_links l ON l.account_id = m.account_id AND l.user_id = $2
             WHERE m.id = $1"
        ))
        .bind(id)
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Stores a checked reading if the last accepted reading is still `expected_last` (on SQLite
    /// through the group commit: durable when this returns).
    #[tracing::instrument(level = "debug", skip_all, fields(meter_id = meter_id))]
    pub async fn add_reading(
        &self,
        meter_id: i64,
        expected_last: Option<i64>,
        r: &NewReading,
        actor: &Actor,
    ) -> Result<i64> {
        Ok(self
            .add_reading_in_period(meter_id, expected_last, r, actor)
            .await?
            .0)
    }

    /// As [`add_reading`](Self::add_reading), returning the reading's id and the period it was
    /// counted in (a period already billed moves it to the open one, BIL-04).
    #[tracing::instrument(level = "debug", skip_all, fields(meter_id = meter_id))]
    pub async fn add_reading_in_period(
        &self,
        meter_id: i64,
        expected_last: Option<i64>,
        r: &NewReading,
        actor: &Actor,
    ) -> Result<(i64, String)> {
        if self.backend() == Backend::Sqlite {
            // Many clients at once (the 25th of the month): one commit for all waiting readings.
            let w = self
                .readings_group
                .get_or_init(|| crate::group::GroupCommit::start(self.pool().clone()));
            let (r, actor) = (r.clone(), actor.clone());
            let work: crate::group::Work<(i64, String)> = Box::new(move |conn| {
                let (r, actor) = (r.clone(), actor.clone());
                Box::pin(async move {
                    add_reading_in(conn, Backend::Sqlite, meter_id, expected_last, &r, &actor).await
                })
            });
            if let Some(res) = w.run(work).await {
                return res;
            }
        }
        let mut tx = self.begin_write().await?;
        match add_reading_in(&mut tx, self.backend(), meter_id, expected_last, r, actor).await {
            Ok(id) => {
                tx.commit().await?;
                Ok(id)
            }
            Err(e) => {
                tx.rollback().await?;
                Err(e.into())
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn reading(&self, id: i64) -> Result<ReadingView> {
        sqlx::query_as(
            "SELECT id, reading_values, consumption_wh, received_at, period, channel, status, note
             FROM readings WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// A reading, when it is of this meter.
    #[tracing::instrument(level = "debug", skip_all, fields(meter_id = meter_id, id = id))]
    pub async fn reading_of_meter(&self, meter_id: i64, id: i64) -> Result<Option<ReadingView>> {
        Ok(sqlx::query_as(
            "SELECT id, reading_values, consumption_wh, received_at, period, channel, status, note
             FROM readings WHERE id = $1 AND meter_id = $2",
        )
        .bind(id)
        .bind(meter_id)
        .fetch_optional(self.pool())
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(meter_id = meter_id))]
    pub async fn readings_of_meter(&self, meter_id: i64, limit: i64) -> Result<Vec<ReadingView>> {
        Ok(sqlx::query_as(
            "SELECT id, reading_values, consumption_wh, received_at, period, channel, status, note
             FROM readings WHERE meter_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(meter_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}

/// A reading held for review, with what a reviewer needs to decide.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct HeldReading {
    pub id: i64,
    pub meter_id: i64,
    pub account_id: i64,
    pub account_number: String,
    pub serial: String,
    pub reading_values: String,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub consumption_wh: ZoneValues,
    pub received_at: i64,
    pub period: String,
    pub channel: String,
    pub note: String,
}

impl Store {
    /// Readings held for review (MTR-03), oldest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn held_readings(&self, limit: i64) -> Result<Vec<HeldReading>> {
        Ok(sqlx::query_as(
            "SELECT r.id, r.meter_id, m.account_id, a.number AS account_number, m.serial,
                 r.reading_values, r.consumption_wh, r.received_at, r.period, r.channel, r.note
             FROM readings r JOIN meters m ON m.id = r.meter_id JOIN accounts a ON a.id = m.account_id
             WHERE r.status = 'held' ORDER BY r.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Accepts or rejects a held reading. Accepting is refused when another reading of the meter
    /// was accepted after it (its consumption no longer follows); a reading whose period has been
    /// billed meanwhile counts in the open period.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn review_reading(
        &self,
        id: i64,
        accept: bool,
        note: &str,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let row: Option<(i64, String, String)> =
            sqlx::query_as("SELECT meter_id, status, period FROM readings WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((meter_id, status, period)) = row else {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        };
        if status != "held" {
            tx.rollback().await?;
            return Err(refused(MeteringRefusal::AlreadyReviewed));
        }
        let period = match Period::parse(&period) {
            Some(natural) => open_period_in(&mut tx, self.backend(), natural)
                .await?
                .to_string(),
            None => period,
        };
        if accept {
            let (later,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM readings WHERE meter_id = $1 AND status = 'accepted' AND id > $2",
            )
            .bind(meter_id)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if later > 0 {
                tx.rollback().await?;
                return Err(refused(MeteringRefusal::LaterAccepted));
            }
        }
        let decision = if accept {
            "принято"
        } else {
            "отклонено"
        };
        sqlx::query(
            "UPDATE readings SET status = $2, period = $3,
                 note = CASE WHEN note = '' THEN $4 ELSE note || '; ' || $4 END
             WHERE id = $1 AND status = 'held'",
        )
        .bind(id)
        .bind(if accept { "accepted" } else { "rejected" })
        .bind(&period)
        .bind(if note.trim().is_empty() {
            format!("{decision} при проверке")
        } else {
            format!("{decision} при проверке: {}", note.trim())
        })
        .execute(&mut *tx)
        .await?;
        audit_in(
            &mut tx,
            actor,
            if accept {
                "reading.accept"
            } else {
                "reading.reject"
            },
            "meter",
            &meter_id.to_string(),
            &format!("reading {id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks a meter working or broken (MTR-01), or removed from a date: billing then charges
    /// by the average and the norm (ПП 354 п. 59 «а»). An expired verification interval is
    /// seen by billing from the verification date itself.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn set_meter_state(
        &self,
        id: i64,
        state: &str,
        removed_on: Option<jiff::civil::Date>,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE meters SET state = $2, removed_on = $3 WHERE id = $1")
            .bind(id)
            .bind(state)
            .bind(removed_on.map(|d| d.to_string()))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        }
        audit_in(
            &mut tx,
            actor,
            "meter.state",
            "meter",
            &id.to_string(),
            &format!(
                "{state}{}",
                removed_on
                    .map(|d| format!(", removed {d}"))
                    .unwrap_or_default()
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Stores a checked reading on the caller's transaction; refused (the caller rolls back) when
/// another reading of the meter was accepted since `expected_last` was read.
async fn add_reading_in(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    meter_id: i64,
    expected_last: Option<i64>,
    r: &NewReading,
    actor: &Actor,
) -> std::result::Result<(i64, String), Failed> {
    if backend == Backend::Postgres {
        // Readings of one meter one at a time: the check below then sees the other's commit
        // (SQLite's write transactions are one at a time already), and no period is closed
        // meanwhile.
        sqlx::query("SELECT id FROM meters WHERE id = $1 FOR UPDATE")
            .bind(meter_id)
            .execute(&mut *conn)
            .await?;
        period_guard(conn, backend, false).await?;
    }
    // Checks first, in one statement, before anything is written (the group commit then needs
    // no savepoint): the last period billed or closed, and the meter's last accepted reading.
    let (last_period, last): (Option<String>, Option<i64>) = sqlx::query_as(
        "SELECT (SELECT MAX(period) FROM billing_periods),
                (SELECT MAX(id) FROM readings WHERE meter_id = $1 AND status = 'accepted')",
    )
    .bind(meter_id)
    .fetch_one(&mut *conn)
    .await?;
    if last != expected_last {
        return Err(Failed::Refused(refused(MeteringRefusal::ChangedMeanwhile)));
    }
    // A reading for a period already billed counts in the next open one (BIL-04).
    let period = match Period::parse(&r.period) {
        Some(natural) => {
            open_period(natural, last_period.as_deref().and_then(Period::parse)).to_string()
        }
        None => r.period.clone(),
    };
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO readings (meter_id, reading_values, consumption_wh, received_at, period,
             channel, status, note, entered_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(meter_id)
    .bind(ZoneValues(r.values.clone()).to_db())
    .bind(ZoneValues(r.consumption.iter().map(|w| w.0).collect()).to_db())
    .bind(now_micros())
    .bind(&period)
    .bind(&r.channel)
    .bind(if r.held { "held" } else { "accepted" })
    .bind(&r.note)
    .bind(actor.staff_id)
    .fetch_one(&mut *conn)
    .await?;
    audit_in(
        conn,
        actor,
        "reading.add",
        "meter",
        &meter_id.to_string(),
        &format!("reading {id}"),
    )
    .await?;
    Ok((id, period))
}
