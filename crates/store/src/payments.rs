//! Payments (PAY-01, PAY-02): at the cashier with a receipt, and from bank registries imported
//! whole in one transaction (the same file twice changes nothing; rows naming no account wait
//! for a person). Restriction for debt (PAY-04) lives in `restriction`.

use std::collections::HashMap;

use abonent_domain::money::Kopecks;
use abonent_domain::registry::RegistryRow;
use abonent_domain::tariffs::Period;
use jiff::civil::Date;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::FromRow;

use crate::audit::{audit_in, Actor};
use crate::billing::open_period_in;
use crate::demo::values_clause;
use crate::{now_micros, Backend, Result, Store, StoreError};

#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    pub id: i64,
    pub account_id: i64,
    pub paid_on: String,
    pub amount: i64,
    /// The billing period it counts in.
    pub period: String,
    pub source: String,
    pub registry_id: Option<i64>,
    pub payer: String,
    pub created_at: i64,
}

/// What importing a registry did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportOutcome {
    pub registry_id: i64,
    /// The file had been imported before: nothing changed.
    pub already_imported: bool,
    pub rows: i64,
    pub matched: i64,
    pub unmatched: i64,
    /// Kopecks.
    pub total: i64,
}

#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct UnmatchedView {
    pub id: i64,
    pub registry_id: i64,
    pub bank: String,
    pub file_name: String,
    pub line_no: i64,
    pub account_text: String,
    pub payer: String,
    pub paid_on: String,
    pub amount: i64,
}

#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct RegistryView {
    pub id: i64,
    pub bank: String,
    pub file_name: String,
    pub imported_at: i64,
    pub row_count: i64,
    pub matched: i64,
    pub unmatched: i64,
    pub total: i64,
}

impl RegistryView {
    /// When it was imported, in a time zone, for pages.
    pub fn imported_at_text(&self, tz: &str) -> String {
        let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
        crate::from_micros(self.imported_at)
            .to_zoned(zone)
            .strftime("%d.%m.%Y %H:%M")
            .to_string()
    }
}

/// Registries naming more accounts than this are matched by one pass over the accounts.
const LOOKUP_ALL_ABOVE: usize = 200_000;

/// `(?,?,…,CONSTANTS),…` (`$n` on PostgreSQL): `cols` placeholders per row, then the literal
/// `constants` — which must be our own values (integers, validated codes), never input.
fn values_with_constants(backend: Backend, rows: usize, cols: usize, constants: &str) -> String {
    let mut s = String::with_capacity(rows * (cols * 4 + constants.len() + 4));
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for _ in 0..cols {
            if backend == Backend::Sqlite {
                s.push_str("?,");
            } else {
                s.push('$');
                s.push_str(&n.to_string());
                s.push(',');
                n += 1;
            }
        }
        s.push_str(constants);
        s.push(')');
    }
    s
}

impl Store {
    /// A payment at the cashier (PAY-01); returns its id, which is the receipt number.
    pub async fn take_payment(
        &self,
        account_id: i64,
        amount: Kopecks,
        paid_on: Date,
        payer: &str,
        actor: &Actor,
    ) -> Result<i64> {
        if amount.0 <= 0 {
            return Err(StoreError::Conflict(
                "Сумма должна быть больше нуля.".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let period = open_period_in(&mut tx, self.backend(), Period::of(paid_on)).await?;
        let id: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
            "INSERT INTO payments (account_id, paid_on, amount, period, source, payer, staff_id, created_at)
             VALUES ($1, $2, $3, $4, 'cashier', $5, $6, $7) RETURNING id",
        )
        .bind(account_id)
        .bind(paid_on.to_string())
        .bind(amount.0)
        .bind(period.to_string())
        .bind(payer)
        .bind(actor.staff_id)
        .bind(now_micros())
        .fetch_one(&mut *tx)
        .await;
        let (id,) = match id {
            Ok(v) => v,
            Err(sqlx::Error::Database(db))
                if db.message().contains("FOREIGN KEY")
                    || db.code().as_deref() == Some("23503") =>
            {
                tx.rollback().await?;
                return Err(StoreError::NotFound);
            }
            Err(e) => return Err(e.into()),
        };
        audit_in(
            &mut tx,
            actor,
            "payment.cashier",
            "account",
            &account_id.to_string(),
            &format!("payment {id}: {amount}"),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn payment(&self, id: i64) -> Result<PaymentView> {
        sqlx::query_as(
            "SELECT id, account_id, paid_on, amount, period, source, registry_id, payer, created_at
             FROM payments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn payments_of_account(
        &self,
        account_id: i64,
        limit: i64,
    ) -> Result<Vec<PaymentView>> {
        let range = self.payment_range().await?;
        self.payments_of_account_in(account_id, limit, range).await
    }

    /// As [`payments_of_account`](Self::payments_of_account), within the periods of `range`.
    pub(crate) async fn payments_of_account_in(
        &self,
        account_id: i64,
        limit: i64,
        range: Option<(Period, Period)>,
    ) -> Result<Vec<PaymentView>> {
        let Some(periods) = periods_after(range, None) else {
            return Ok(Vec::new());
        };
        Ok(sqlx::query_as(&format!(
            "SELECT id, account_id, paid_on, amount, period, source, registry_id, payer, created_at
             FROM payments WHERE account_id = $1 AND period IN ({periods})
             ORDER BY paid_on DESC, id DESC LIMIT $2"
        ))
        .bind(account_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// The first and the last period of any payment; `None` when there are none.
    pub(crate) async fn payment_range(&self) -> Result<Option<(Period, Period)>> {
        let (first, last): (Option<String>, Option<String>) =
            // Two subqueries: SQLite answers each from an end of the period index, but scans the
            // whole index for MIN and MAX in one query (1.2 s at 12 M payments).
            sqlx::query_as(
                "SELECT (SELECT MIN(period) FROM payments), (SELECT MAX(period) FROM payments)",
            )
                .fetch_one(self.pool())
                .await?;
        Ok(first
            .as_deref()
            .and_then(Period::parse)
            .zip(last.as_deref().and_then(Period::parse)))
    }

    /// The periods that may hold payments, later than `after`, as a list of SQL literals for
    /// `period IN (…)`; see [`periods_after`].
    pub(crate) async fn payment_periods_after(
        &self,
        after: Option<Period>,
    ) -> Result<Option<String>> {
        Ok(periods_after(self.payment_range().await?, after))
    }

    /// Imports a parsed registry in one transaction. The file is known by its SHA-256: the same
    /// file again returns the first import's figures and changes nothing.
    pub async fn import_registry(
        &self,
        bank: &str,
        file_name: &str,
        bytes: &[u8],
        rows: &[RegistryRow],
        actor: &Actor,
    ) -> Result<ImportOutcome> {
        let sha = hex::encode(Sha256::digest(bytes));
        let mut tx = self.begin_write().await?;
        let seen: Option<(i64, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT id, row_count, matched, unmatched, total FROM payment_registries WHERE sha256 = $1",
        )
        .bind(&sha)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((registry_id, rows, matched, unmatched, total)) = seen {
            tx.rollback().await?;
            return Ok(ImportOutcome {
                registry_id,
                already_imported: true,
                rows,
                matched,
                unmatched,
                total,
            });
        }
        let started = std::time::Instant::now();
        // Account numbers → ids, a thousand at a time.
        let mut ids: HashMap<String, i64> = HashMap::new();
        let mut numbers: Vec<&str> = rows.iter().map(|r| r.account.as_str()).collect();
        numbers.sort_unstable();
        numbers.dedup();
        if numbers.len() > LOOKUP_ALL_ABOVE {
            // A large registry names most accounts: one pass over them is cheaper than
            // thousands of lookups.
            let wanted: std::collections::HashSet<&str> = numbers.iter().copied().collect();
            let mut all = sqlx::query_as::<_, (String, i64)>("SELECT number, id FROM accounts")
                .fetch(&mut *tx);
            while let Some((n, id)) = futures::TryStreamExt::try_next(&mut all).await? {
                if wanted.contains(n.as_str()) {
                    ids.insert(n, id);
                }
            }
        }
        for part in numbers
            .chunks(1000)
            .take_while(|_| numbers.len() <= LOOKUP_ALL_ABOVE)
        {
            let sql = format!(
                "SELECT number, id FROM accounts WHERE number IN ({})",
                values_clause(self.backend(), 1, part.len())
                    .trim_start_matches('(')
                    .trim_end_matches(')')
            );
            let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
            for n in part {
                q = q.bind(*n);
            }
            for (n, id) in q.fetch_all(&mut *tx).await? {
                ids.insert(n, id);
            }
        }
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "registry: accounts matched"
        );
        let mut periods: HashMap<Period, Period> = HashMap::new();
        for r in rows {
            let natural = Period::of(r.paid_on);
            if let std::collections::hash_map::Entry::Vacant(e) = periods.entry(natural) {
                e.insert(open_period_in(&mut tx, self.backend(), natural).await?);
            }
        }
        let total: i64 = rows.iter().map(|r| r.amount.0).sum();
        let (mut matched, unmatched): (Vec<&RegistryRow>, Vec<&RegistryRow>) =
            rows.iter().partition(|r| ids.contains_key(&r.account));
        // In account order the payments' indexes are written page after page.
        matched.sort_by_key(|r| (ids[&r.account], r.line_no));
        let (registry_id,): (i64,) = sqlx::query_as(
            "INSERT INTO payment_registries (bank, file_name, sha256, imported_at, staff_id, row_count,
                 matched, unmatched, total)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(bank)
        .bind(file_name)
        .bind(&sha)
        .bind(now_micros())
        .bind(actor.staff_id)
        .bind(rows.len() as i64)
        .bind(matched.len() as i64)
        .bind(unmatched.len() as i64)
        .bind(total)
        .fetch_one(&mut *tx)
        .await?;
        let now = now_micros();
        // Values common to the file go into the statement as literals (our own integers and a
        // validated period), so each row binds only what differs.
        let mut by_period: Vec<(Period, Vec<&RegistryRow>)> = Vec::new();
        for r in &matched {
            let p = periods[&Period::of(r.paid_on)];
            match by_period.iter_mut().find(|(q, _)| *q == p) {
                Some((_, v)) => v.push(r),
                None => by_period.push((p, vec![r])),
            }
        }
        for (period, group) in &by_period {
            let constants = format!("'{period}', 'registry', {registry_id}, {now}");
            for part in group.chunks(3000) {
                let sql = format!(
                    "INSERT INTO payments (account_id, paid_on, amount, line_no, payer, period, source,
                         registry_id, created_at) VALUES {}",
                    values_with_constants(self.backend(), part.len(), 5, &constants)
                );
                let mut q = sqlx::query(&sql);
                for r in part {
                    q = q
                        .bind(ids[&r.account])
                        .bind(r.paid_on.to_string())
                        .bind(r.amount.0)
                        .bind(r.line_no as i64)
                        .bind(r.payer.clone());
                }
                q.execute(&mut *tx).await?;
            }
        }
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "registry: payments inserted"
        );
        for part in unmatched.chunks(2000) {
            let sql = format!(
                "INSERT INTO unmatched_payments (registry_id, line_no, account_text, payer, paid_on, amount)
                 VALUES {}",
                values_clause(self.backend(), part.len(), 6)
            );
            let mut q = sqlx::query(&sql);
            for r in part {
                q = q
                    .bind(registry_id)
                    .bind(r.line_no as i64)
                    .bind(r.account.clone())
                    .bind(r.payer.clone())
                    .bind(r.paid_on.to_string())
                    .bind(r.amount.0);
            }
            q.execute(&mut *tx).await?;
        }
        audit_in(
            &mut tx,
            actor,
            "payments.import",
            "registry",
            &registry_id.to_string(),
            &format!(
                "{bank} {file_name}: {} rows, {} unmatched",
                rows.len(),
                unmatched.len()
            ),
        )
        .await?;
        let before_commit = started.elapsed().as_millis() as u64;
        tx.commit().await?;
        tracing::debug!(
            before_commit,
            ms = started.elapsed().as_millis() as u64,
            "registry: committed"
        );
        Ok(ImportOutcome {
            registry_id,
            already_imported: false,
            rows: rows.len() as i64,
            matched: matched.len() as i64,
            unmatched: unmatched.len() as i64,
            total,
        })
    }

    pub async fn registries(&self, limit: i64) -> Result<Vec<RegistryView>> {
        Ok(sqlx::query_as(
            "SELECT id, bank, file_name, imported_at, row_count, matched, unmatched, total
             FROM payment_registries ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn unmatched_payments(&self, limit: i64) -> Result<Vec<UnmatchedView>> {
        Ok(sqlx::query_as(
            "SELECT u.id, u.registry_id, r.bank, r.file_name, u.line_no, u.account_text, u.payer,
                 u.paid_on, u.amount
             FROM unmatched_payments u JOIN payment_registries r ON r.id = u.registry_id
             WHERE u.status = 'open' ORDER BY u.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Credits an unmatched registry row to an account a person found; returns the payment.
    pub async fn resolve_unmatched(&self, id: i64, account_id: i64, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let row: Option<(i64, i64, String, String, i64, String)> = sqlx::query_as(
            "SELECT registry_id, line_no, payer, paid_on, amount, status FROM unmatched_payments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((registry_id, line_no, payer, paid_on, amount, status)) = row else {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        };
        if status != "open" {
            tx.rollback().await?;
            return Err(StoreError::Conflict("Этот платёж уже зачислен.".into()));
        }
        let (exists,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_one(&mut *tx)
            .await?;
        if exists == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        }
        let date: Date = paid_on
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("unmatched payment {id}: date {paid_on}")))?;
        let period = open_period_in(&mut tx, self.backend(), Period::of(date)).await?;
        let (payment,): (i64,) = sqlx::query_as(
            "INSERT INTO payments (account_id, paid_on, amount, period, source, registry_id, line_no,
                 payer, staff_id, created_at)
             VALUES ($1, $2, $3, $4, 'registry', $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(account_id)
        .bind(&paid_on)
        .bind(amount)
        .bind(period.to_string())
        .bind(registry_id)
        .bind(line_no)
        .bind(&payer)
        .bind(actor.staff_id)
        .bind(now_micros())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE unmatched_payments SET status = 'resolved', payment_id = $2, resolved_by = $3,
                 resolved_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(payment)
        .bind(actor.staff_id)
        .bind(now_micros())
        .execute(&mut *tx)
        .await?;
        audit_in(
            &mut tx,
            actor,
            "payments.resolve",
            "account",
            &account_id.to_string(),
            &format!("unmatched {id} → payment {payment}"),
        )
        .await?;
        tx.commit().await?;
        Ok(payment)
    }
}

/// The periods that may hold payments, later than `after`, as a list of SQL literals for
/// `period IN (…)` (our own validated periods): every month of `range` (the first to the last
/// period of any payment). Payments of an account are found through the `(period, account_id)`
/// index, one probe per month. `None` when there are none.
pub(crate) fn periods_after(
    range: Option<(Period, Period)>,
    after: Option<Period>,
) -> Option<String> {
    let (first, last) = range?;
    let mut p = match after {
        Some(a) if a >= first => a.next(),
        _ => first,
    };
    let mut list = Vec::new();
    while p <= last {
        list.push(format!("'{p}'"));
        p = p.next();
    }
    (!list.is_empty()).then(|| list.join(","))
}
