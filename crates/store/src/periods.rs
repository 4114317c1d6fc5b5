//! The billing periods as other capabilities see them: the lock that orders storing a payment
//! or reading against the start of a billing run, and the open period a new one belongs to.

use abonent_domain::billing::open_period;
use abonent_domain::tariffs::Period;

use crate::{Backend, Result};

/// The advisory lock that orders a billing run's start against payments and readings being
/// stored (PostgreSQL; SQLite's single writer orders them already).
const PERIOD_LOCK: i64 = 0x4249_4c4c; // "BILL"

/// Takes the lock that orders storing a payment or reading against the start of a billing run.
pub(crate) async fn period_guard(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    exclusive: bool,
) -> Result<()> {
    if backend == Backend::Postgres {
        let f = if exclusive {
            "pg_advisory_xact_lock"
        } else {
            "pg_advisory_xact_lock_shared"
        };
        sqlx::query(&format!("SELECT {f}($1)::text"))
            .bind(PERIOD_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// The open period for something that naturally belongs to `natural`: that period, or the
/// first one after the last period being billed or closed.
pub(crate) async fn open_period_in(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    natural: Period,
) -> Result<Period> {
    period_guard(tx, backend, false).await?;
    let (last,): (Option<String>,) = sqlx::query_as("SELECT MAX(period) FROM billing_periods")
        .fetch_one(&mut *tx)
        .await?;
    Ok(open_period(
        natural,
        last.as_deref().and_then(Period::parse),
    ))
}
