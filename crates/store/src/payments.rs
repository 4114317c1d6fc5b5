//! Payments (PAY-01, PAY-02): at the cashier with a receipt, and from bank registries imported
//! whole in one transaction (the same file twice changes nothing; rows naming no account wait
//! for a person). Restriction for debt (PAY-04) lives in `restriction`.

use std::collections::HashMap;

use abonent_domain::money::Kopecks;
use abonent_domain::payments::registry::{classify, normalize_payer, InFile, RegistryRow};
use abonent_domain::refusal::PaymentsRefusal;
use abonent_domain::tariffs::Period;
use jiff::civil::Date;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::FromRow;

use crate::audit::{audit_in, Actor};
use crate::periods::open_period_in;
use crate::sql::values_clause;
use crate::{now_micros, refused, Backend, Result, Store, StoreError};

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
    /// Credited now.
    pub matched: i64,
    /// Naming no account: wait for a person.
    pub unmatched: i64,
    /// Credited or queued before (the bank's operation number seen already): not credited.
    pub repeated: i64,
    /// The same date, account, amount and payer as a credited payment, or dated before the
    /// account was opened: wait for a person to confirm.
    pub held: i64,
    /// Kopecks.
    pub total: i64,
    /// The repeated rows by line, with what they repeat.
    pub repeated_lines: Vec<RowNote>,
    /// The held rows by line, with why.
    pub held_lines: Vec<RowNote>,
}

/// A line of a registry and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowNote {
    pub line_no: i64,
    pub note: String,
}

/// The advisory lock that makes registry imports one at a time on PostgreSQL.
const REGISTRY_LOCK: i64 = 0x5245_4753; // "REGS"

fn concurrent_import(e: sqlx::Error) -> StoreError {
    if crate::is_unique_violation(&e) {
        refused(PaymentsRefusal::ConcurrentImport)
    } else {
        StoreError::Db(e)
    }
}

/// What the store holds already of a registry's payments.
#[derive(Debug, Default)]
struct Earlier {
    /// Operation number → what it was (a payment or a queued row), for people.
    operations: HashMap<String, String>,
    /// (account id, date, amount, normalised payer) → the payment's id.
    contents: HashMap<(i64, String, i64, String), i64>,
    /// (account as written, date, amount, normalised payer) → a queued row, for people.
    queued: HashMap<(String, String, i64, String), String>,
}

/// A row that waits for a person.
#[derive(Debug, Clone)]
struct Queued<'a> {
    row: &'a RegistryRow,
    /// `account`, `duplicate`, `date`.
    reason: &'static str,
    account_id: Option<i64>,
    duplicate_of: Option<i64>,
    note: String,
}

/// What becomes of each row of a registry.
#[derive(Debug, Default)]
struct ImportPlan<'a> {
    credit: Vec<&'a RegistryRow>,
    unmatched: Vec<&'a RegistryRow>,
    held: Vec<Queued<'a>>,
    repeated: Vec<RowNote>,
}

impl ImportPlan<'_> {
    /// The plan's figures for the audit record.
    fn summary(&self, rows: usize) -> String {
        format!(
            "{} rows, {} credited, {} unmatched, {} repeated, {} held",
            rows,
            self.credit.len(),
            self.unmatched.len(),
            self.repeated.len(),
            self.held.len()
        )
    }

    /// What the import of `rows` rows worth `total`, carried out by the plan, did.
    fn outcome(self, registry_id: i64, rows: usize, total: Kopecks) -> ImportOutcome {
        ImportOutcome {
            registry_id,
            already_imported: false,
            rows: rows as i64,
            matched: self.credit.len() as i64,
            unmatched: self.unmatched.len() as i64,
            repeated: self.repeated.len() as i64,
            held: self.held.len() as i64,
            total: total.0,
            held_lines: self
                .held
                .iter()
                .map(|h| RowNote {
                    line_no: h.row.line_no as i64,
                    note: h.note.clone(),
                })
                .collect(),
            repeated_lines: self.repeated,
        }
    }
}

/// Decides for each row: credit it, queue it (no such account), hold it for a person (a
/// possible repeat, a date before the account was opened) or skip it as a repeat.
fn plan_import<'a>(
    rows: &'a [RegistryRow],
    in_file: &[InFile],
    accounts: &HashMap<String, (i64, Date)>,
    earlier: &Earlier,
) -> ImportPlan<'a> {
    let mut plan = ImportPlan::default();
    for (r, c) in rows.iter().zip(in_file) {
        let account = accounts.get(&r.account);
        let hold = |reason, duplicate_of, note| Queued {
            row: r,
            reason,
            account_id: account.map(|a| a.0),
            duplicate_of,
            note,
        };
        match c {
            InFile::RepeatOf(line) => plan.repeated.push(RowNote {
                line_no: r.line_no as i64,
                note: format!("повтор строки {line} этого реестра"),
            }),
            _ if r
                .operation
                .as_ref()
                .is_some_and(|op| earlier.operations.contains_key(op)) =>
            {
                let op = r.operation.as_deref().unwrap_or_default();
                plan.repeated.push(RowNote {
                    line_no: r.line_no as i64,
                    note: format!(
                        "операция № {op} уже учтена: {}",
                        earlier.operations.get(op).map(String::as_str).unwrap_or("")
                    ),
                });
            }
            InFile::SameContentAs(line) => plan.held.push(hold(
                "duplicate",
                None,
                format!("те же дата, счёт, сумма и плательщик, что в строке {line} этого реестра"),
            )),
            InFile::First if account.is_none() => {
                let key = (
                    r.account.clone(),
                    r.paid_on.to_string(),
                    r.amount.0,
                    normalize_payer(&r.payer),
                );
                match (&r.operation, earlier.queued.get(&key)) {
                    (None, Some(what)) => plan.held.push(hold(
                        "duplicate",
                        None,
                        format!("те же дата, счёт, сумма и плательщик, что в {what}"),
                    )),
                    _ => plan.unmatched.push(r),
                }
            }
            InFile::First => {
                let (account_id, opened) = account.map(|a| (a.0, a.1)).unwrap_or_default();
                // Only rows without an operation number are known by their content.
                let same = r.operation.is_none().then(|| {
                    let key = (
                        account_id,
                        r.paid_on.to_string(),
                        r.amount.0,
                        normalize_payer(&r.payer),
                    );
                    earlier.contents.get(&key).copied()
                });
                if let Some(Some(id)) = same {
                    plan.held.push(hold(
                        "duplicate",
                        Some(id),
                        format!("те же дата, счёт, сумма и плательщик, что в платеже № {id}"),
                    ));
                } else if r.paid_on < opened {
                    plan.held.push(hold(
                        "date",
                        None,
                        format!(
                            "дата платежа раньше открытия лицевого счёта ({})",
                            opened.strftime("%d.%m.%Y")
                        ),
                    ));
                } else {
                    plan.credit.push(r);
                }
            }
        }
    }
    plan
}

/// An account's opening date as stored.
fn opened_date(text: &str) -> Result<Date> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("account opened on «{text}»")))
}

/// `?,?,…` (`$1,$2,…` on PostgreSQL): `n` placeholders for an `IN (…)` list.
fn placeholders(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; n].join(","),
        Backend::Postgres => (1..=n)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(","),
    }
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
    /// `account`: no account of that number; `duplicate`: the same content as a credited
    /// payment or an earlier row; `date`: dated before the account was opened.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub reason: abonent_domain::payments::HoldReason,
    /// The account the row names (held rows).
    pub account_number: Option<String>,
    /// The payment it may repeat.
    pub duplicate_of: Option<i64>,
    pub note: String,
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
    pub repeated: i64,
    pub held: i64,
}

#[derive(Debug, FromRow)]
struct UnmatchedRow {
    registry_id: i64,
    line_no: i64,
    payer: String,
    paid_on: String,
    amount: i64,
    status: String,
    bank: Option<String>,
    operation_id: Option<String>,
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
    #[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id))]
    pub async fn take_payment(
        &self,
        account_id: i64,
        amount: Kopecks,
        paid_on: Date,
        payer: &str,
        actor: &Actor,
    ) -> Result<i64> {
        if amount.0 <= 0 {
            return Err(refused(PaymentsRefusal::NotPositive));
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

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
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

    #[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id))]
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

    /// Imports a parsed registry in one transaction. A payment is known by its content: the
    /// bank's operation number where the layout has one (a row whose number was credited or
    /// queued before is not credited again, and is listed by line), otherwise its date,
    /// account, amount and payer (a row repeating a credited payment waits for a person).
    /// The same file's bytes again return the first import's figures at once.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn import_registry(
        &self,
        bank: &str,
        file_name: &str,
        bytes: &[u8],
        rows: &[RegistryRow],
        actor: &Actor,
    ) -> Result<ImportOutcome> {
        let sha = hex::encode(Sha256::digest(bytes));
        let in_file = classify(rows).map_err(|e| refused(PaymentsRefusal::BadLines(e)))?;
        let total = Kopecks::checked_sum(rows.iter().map(|r| r.amount))
            .map_err(|e| refused(PaymentsRefusal::Overflow(e)))?;
        let mut tx = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            // Imports one after another, so two files with the same payments cannot both
            // find them new.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(REGISTRY_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(seen) = self.registry_by_sha(&mut tx, &sha).await? {
            tx.rollback().await?;
            return Ok(seen);
        }
        let started = std::time::Instant::now();
        let accounts = self.accounts_named(&mut tx, rows).await?;
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "registry: accounts matched"
        );
        let earlier = self
            .earlier_payments(&mut tx, bank, rows, &in_file, &accounts)
            .await?;
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "registry: earlier found"
        );
        let plan = plan_import(rows, &in_file, &accounts, &earlier);
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "registry: planned"
        );
        let (registry_id,): (i64,) = sqlx::query_as(
            "INSERT INTO payment_registries (bank, file_name, sha256, imported_at, staff_id, row_count,
                 matched, unmatched, total, repeated, held)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(bank)
        .bind(file_name)
        .bind(&sha)
        .bind(now_micros())
        .bind(actor.staff_id)
        .bind(rows.len() as i64)
        .bind(plan.credit.len() as i64)
        .bind(plan.unmatched.len() as i64)
        .bind(total.0)
        .bind(plan.repeated.len() as i64)
        .bind(plan.held.len() as i64)
        .fetch_one(&mut *tx)
        .await?;
        self.insert_credited(&mut tx, bank, registry_id, &plan.credit, &accounts)
            .await?;
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "registry: payments inserted"
        );
        self.insert_queued(&mut tx, bank, registry_id, &plan)
            .await?;
        audit_in(
            &mut tx,
            actor,
            "payments.import",
            "registry",
            &registry_id.to_string(),
            &format!("{bank} {file_name}: {}", plan.summary(rows.len())),
        )
        .await?;
        tx.commit().await.map_err(|e| {
            if crate::is_unique_violation(&e) {
                refused(PaymentsRefusal::ConcurrentImport)
            } else {
                StoreError::Db(e)
            }
        })?;
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "registry: committed"
        );
        Ok(plan.outcome(registry_id, rows.len(), total))
    }

    /// The figures of a file imported before (known by its bytes' SHA-256).
    async fn registry_by_sha(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        sha: &str,
    ) -> Result<Option<ImportOutcome>> {
        let seen: Option<(i64, i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT id, row_count, matched, unmatched, total, repeated, held
             FROM payment_registries WHERE sha256 = $1",
        )
        .bind(sha)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(seen.map(
            |(registry_id, rows, matched, unmatched, total, repeated, held)| ImportOutcome {
                registry_id,
                already_imported: true,
                rows,
                matched,
                unmatched,
                repeated,
                held,
                total,
                repeated_lines: Vec::new(),
                held_lines: Vec::new(),
            },
        ))
    }

    /// The accounts a registry names, by number: id and opening date.
    async fn accounts_named(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        rows: &[RegistryRow],
    ) -> Result<HashMap<String, (i64, Date)>> {
        let mut ids: HashMap<String, (i64, Date)> = HashMap::new();
        let mut numbers: Vec<&str> = rows.iter().map(|r| r.account.as_str()).collect();
        numbers.sort_unstable();
        numbers.dedup();
        if numbers.len() > LOOKUP_ALL_ABOVE {
            // A large registry names most accounts: one pass over them is cheaper than
            // thousands of lookups.
            let wanted: std::collections::HashSet<&str> = numbers.iter().copied().collect();
            let mut all = sqlx::query_as::<_, (String, i64, String)>(
                "SELECT number, id, opened_on FROM accounts",
            )
            .fetch(&mut **tx);
            while let Some((n, id, opened)) = futures::TryStreamExt::try_next(&mut all).await? {
                if wanted.contains(n.as_str()) {
                    let opened = opened_date(&opened)?;
                    ids.insert(n, (id, opened));
                }
            }
            return Ok(ids);
        }
        // The numbers go as one JSON array per 10,000: binding each value costs more than
        // the index probe for it.
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT number, id, opened_on FROM accounts
                 WHERE number IN (SELECT value FROM json_each($1))"
            }
            Backend::Postgres => {
                "SELECT number, id, opened_on FROM accounts
                 WHERE number IN (SELECT json_array_elements_text(CAST($1 AS json)))"
            }
        };
        for part in numbers.chunks(10_000) {
            let json =
                serde_json::to_string(part).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let found = sqlx::query_as::<_, (String, i64, String)>(sql)
                .bind(&json)
                .fetch_all(&mut **tx)
                .await?;
            for (n, id, opened) in found {
                ids.insert(n, (id, opened_date(&opened)?));
            }
        }
        Ok(ids)
    }

    /// What the store already holds of a registry's payments: operation numbers credited or
    /// queued before, and (for rows without a number) credited payments of the same content.
    async fn earlier_payments(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        bank: &str,
        rows: &[RegistryRow],
        in_file: &[InFile],
        accounts: &HashMap<String, (i64, Date)>,
    ) -> Result<Earlier> {
        let mut earlier = Earlier::default();
        self.earlier_operations(tx, bank, rows, in_file, &mut earlier)
            .await?;
        self.earlier_queued(tx, rows, accounts, &mut earlier)
            .await?;
        self.earlier_contents(tx, rows, accounts, &mut earlier)
            .await?;
        Ok(earlier)
    }

    /// Operation numbers of the file's rows credited or queued before.
    async fn earlier_operations(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        bank: &str,
        rows: &[RegistryRow],
        in_file: &[InFile],
        earlier: &mut Earlier,
    ) -> Result<()> {
        let ops: Vec<&str> = rows
            .iter()
            .zip(in_file)
            .filter(|(_, c)| **c == InFile::First)
            .filter_map(|(r, _)| r.operation.as_deref())
            .collect();
        // The numbers go as one JSON array per 10,000 (binding each value costs more than
        // SQLite's index probe for it), one query per table.
        let list = match self.backend() {
            Backend::Sqlite => "SELECT value FROM json_each($2)",
            Backend::Postgres => "SELECT json_array_elements_text(CAST($2 AS json))",
        };
        let credited = format!(
            "SELECT operation_id, 'платёж № ' || CAST(id AS TEXT) || ' от ' || paid_on
                 || COALESCE(', реестр ' || CAST(registry_id AS TEXT) || ', строка '
                     || CAST(line_no AS TEXT), '')
             FROM payments WHERE bank = $1 AND operation_id IN ({list})"
        );
        let queued = format!(
            "SELECT operation_id, 'строка ' || CAST(line_no AS TEXT) || ' реестра '
                 || CAST(registry_id AS TEXT) || ' в очереди неразобранных'
             FROM unmatched_payments WHERE bank = $1 AND operation_id IN ({list})"
        );
        for part in ops.chunks(10_000) {
            let json =
                serde_json::to_string(part).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            for sql in [&credited, &queued] {
                let found = sqlx::query_as::<_, (String, String)>(sql)
                    .bind(bank)
                    .bind(&json)
                    .fetch_all(&mut **tx)
                    .await?;
                for (op, what) in found {
                    earlier.operations.insert(op, what);
                }
            }
        }
        Ok(())
    }

    /// Rows without a number naming no account: rows of earlier files waiting with the same
    /// content.
    async fn earlier_queued(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        rows: &[RegistryRow],
        accounts: &HashMap<String, (i64, Date)>,
        earlier: &mut Earlier,
    ) -> Result<()> {
        let mut unknown: Vec<&str> = rows
            .iter()
            .filter(|r| r.operation.is_none() && !accounts.contains_key(&r.account))
            .map(|r| r.account.as_str())
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        for part in unknown.chunks(1000) {
            let sql = format!(
                "SELECT account_text, paid_on, amount, payer, registry_id, line_no
                 FROM unmatched_payments WHERE account_text IN ({}) AND operation_id IS NULL",
                placeholders(self.backend(), part.len())
            );
            let mut q = sqlx::query_as::<_, (String, String, i64, String, i64, i64)>(&sql);
            for a in part {
                q = q.bind(*a);
            }
            for (account, paid_on, amount, payer, registry, line) in q.fetch_all(&mut **tx).await? {
                earlier.queued.insert(
                    (account, paid_on, amount, normalize_payer(&payer)),
                    format!("строке {line} реестра {registry}"),
                );
            }
        }
        Ok(())
    }

    /// Rows without a number: credited payments of the same accounts, dates and amounts.
    async fn earlier_contents(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        rows: &[RegistryRow],
        accounts: &HashMap<String, (i64, Date)>,
        earlier: &mut Earlier,
    ) -> Result<()> {
        let plain: Vec<&RegistryRow> = rows
            .iter()
            .filter(|r| r.operation.is_none() && accounts.contains_key(&r.account))
            .collect();
        if plain.is_empty() {
            return Ok(());
        }
        let Some(first) = plain.iter().map(|r| Period::of(r.paid_on)).min() else {
            return Ok(());
        };
        // A payment counts in the period of its date or a later open one: every period from
        // the earliest date's to the last that holds payments.
        let Some(periods) = periods_after(
            self.payment_range_in(tx)
                .await?
                .map(|(_, last)| (first, last)),
            None,
        ) else {
            return Ok(());
        };
        let mut ids: Vec<i64> = plain.iter().map(|r| accounts[&r.account].0).collect();
        ids.sort_unstable();
        ids.dedup();
        for part in ids.chunks(1000) {
            // Our own integers and periods: literals, so the (period, account_id) index is
            // probed once per pair.
            let list: Vec<String> = part.iter().map(i64::to_string).collect();
            let found: Vec<(i64, i64, String, i64, String)> = sqlx::query_as(&format!(
                "SELECT id, account_id, paid_on, amount, payer FROM payments
                 WHERE period IN ({periods}) AND account_id IN ({})",
                list.join(",")
            ))
            .fetch_all(&mut **tx)
            .await?;
            for (id, account_id, paid_on, amount, payer) in found {
                earlier
                    .contents
                    .insert((account_id, paid_on, amount, normalize_payer(&payer)), id);
            }
        }
        Ok(())
    }

    async fn payment_range_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    ) -> Result<Option<(Period, Period)>> {
        let (first, last): (Option<String>, Option<String>) = sqlx::query_as(
            "SELECT (SELECT MIN(period) FROM payments), (SELECT MAX(period) FROM payments)",
        )
        .fetch_one(&mut **tx)
        .await?;
        Ok(first
            .as_deref()
            .and_then(Period::parse)
            .zip(last.as_deref().and_then(Period::parse)))
    }

    /// Writes the payments to credit, in account order (the payments' indexes are then
    /// written page after page).
    async fn insert_credited(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        bank: &str,
        registry_id: i64,
        credit: &[&RegistryRow],
        accounts: &HashMap<String, (i64, Date)>,
    ) -> Result<()> {
        let mut periods: HashMap<Period, Period> = HashMap::new();
        for r in credit {
            let natural = Period::of(r.paid_on);
            if let std::collections::hash_map::Entry::Vacant(e) = periods.entry(natural) {
                e.insert(open_period_in(tx, self.backend(), natural).await?);
            }
        }
        let mut credit: Vec<&RegistryRow> = credit.to_vec();
        credit.sort_by_key(|r| (accounts[&r.account].0, r.line_no));
        let now = now_micros();
        // Values common to the file go into the statement as literals (our own integers and a
        // validated period), so each row binds only what differs.
        let mut by_period: Vec<(Period, Vec<&RegistryRow>)> = Vec::new();
        for r in &credit {
            let p = periods[&Period::of(r.paid_on)];
            match by_period.iter_mut().find(|(q, _)| *q == p) {
                Some((_, v)) => v.push(r),
                None => by_period.push((p, vec![r])),
            }
        }
        for (period, group) in &by_period {
            let constants = format!("'{period}', 'registry', {registry_id}, {now}");
            for part in group.chunks(2500) {
                let sql = format!(
                    "INSERT INTO payments (account_id, paid_on, amount, line_no, payer, bank,
                         operation_id, period, source, registry_id, created_at) VALUES {}",
                    values_with_constants(self.backend(), part.len(), 7, &constants)
                );
                let mut q = sqlx::query(&sql);
                for r in part {
                    q = q
                        .bind(accounts[&r.account].0)
                        .bind(r.paid_on.to_string())
                        .bind(r.amount.0)
                        .bind(r.line_no as i64)
                        .bind(r.payer.clone())
                        .bind(r.operation.as_ref().map(|_| bank.to_owned()))
                        .bind(r.operation.clone());
                }
                q.execute(&mut **tx).await.map_err(concurrent_import)?;
            }
        }
        Ok(())
    }

    /// Writes the rows that wait for a person: unknown accounts, and possible repeats or
    /// dates before the account was opened (held, with the account and why).
    async fn insert_queued(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        bank: &str,
        registry_id: i64,
        plan: &ImportPlan<'_>,
    ) -> Result<()> {
        let queued: Vec<Queued<'_>> = plan
            .unmatched
            .iter()
            .map(|r| Queued {
                row: r,
                reason: "account",
                account_id: None,
                duplicate_of: None,
                note: String::new(),
            })
            .chain(plan.held.iter().cloned())
            .collect();
        for part in queued.chunks(1000) {
            let sql = format!(
                "INSERT INTO unmatched_payments (registry_id, line_no, account_text, payer, paid_on,
                     amount, bank, operation_id, reason, account_id, duplicate_of, note)
                 VALUES {}",
                values_clause(self.backend(), part.len(), 12)
            );
            let mut q = sqlx::query(&sql);
            for h in part {
                let r = h.row;
                q = q
                    .bind(registry_id)
                    .bind(r.line_no as i64)
                    .bind(r.account.clone())
                    .bind(r.payer.clone())
                    .bind(r.paid_on.to_string())
                    .bind(r.amount.0)
                    .bind(r.operation.as_ref().map(|_| bank.to_owned()))
                    .bind(r.operation.clone())
                    .bind(h.reason)
                    .bind(h.account_id)
                    .bind(h.duplicate_of)
                    .bind(h.note.clone());
            }
            q.execute(&mut **tx).await.map_err(concurrent_import)?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn registries(&self, limit: i64) -> Result<Vec<RegistryView>> {
        Ok(sqlx::query_as(
            "SELECT id, bank, file_name, imported_at, row_count, matched, unmatched, total,
                 repeated, held
             FROM payment_registries ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn unmatched_payments(&self, limit: i64) -> Result<Vec<UnmatchedView>> {
        Ok(sqlx::query_as(
            "SELECT u.id, u.registry_id, r.bank, r.file_name, u.line_no, u.account_text, u.payer,
                 u.paid_on, u.amount, u.reason, a.number AS account_number, u.duplicate_of, u.note
             FROM unmatched_payments u JOIN payment_registries r ON r.id = u.registry_id
                 LEFT JOIN accounts a ON a.id = u.account_id
             WHERE u.status = 'open' ORDER BY u.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Credits an unmatched registry row to an account a person found; returns the payment.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id, account_id = account_id))]
    pub async fn resolve_unmatched(&self, id: i64, account_id: i64, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let row: Option<UnmatchedRow> = sqlx::query_as(
            "SELECT registry_id, line_no, payer, paid_on, amount, status, bank, operation_id
             FROM unmatched_payments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(UnmatchedRow {
            registry_id,
            line_no,
            payer,
            paid_on,
            amount,
            status,
            bank,
            operation_id,
        }) = row
        else {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        };
        if status != "open" {
            tx.rollback().await?;
            return Err(refused(if status == "rejected" {
                PaymentsRefusal::RowRejected
            } else {
                PaymentsRefusal::AlreadyCredited
            }));
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
                 payer, staff_id, created_at, bank, operation_id)
             VALUES ($1, $2, $3, $4, 'registry', $5, $6, $7, $8, $9, $10, $11) RETURNING id",
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
        .bind(bank)
        .bind(&operation_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if crate::is_unique_violation(&e) {
                refused(PaymentsRefusal::OperationCredited {
                    operation_id: operation_id.clone().unwrap_or_default(),
                })
            } else {
                StoreError::Db(e)
            }
        })?;
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
    /// Leaves a held row uncredited: a person found it repeats a payment already credited.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn reject_unmatched(&self, id: i64, note: &str, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let row: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT status, account_id FROM unmatched_payments WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((status, account_id)) = row else {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        };
        if status != "open" {
            tx.rollback().await?;
            return Err(refused(PaymentsRefusal::RowSettled));
        }
        sqlx::query(
            "UPDATE unmatched_payments SET status = 'rejected', note = $2, resolved_by = $3,
                 resolved_at = $4 WHERE id = $1 AND status = 'open'",
        )
        .bind(id)
        .bind(note)
        .bind(actor.staff_id)
        .bind(now_micros())
        .execute(&mut *tx)
        .await?;
        audit_in(
            &mut tx,
            actor,
            "payments.reject",
            "account",
            &account_id.map(|a| a.to_string()).unwrap_or_default(),
            &format!("unmatched {id} rejected: {note}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
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
