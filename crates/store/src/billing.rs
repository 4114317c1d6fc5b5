//! Tariffs, norms and billing settings (BIL-01, BIL-02), the monthly billing run (BIL-03,
//! BIL-04) and invoices (BIL-05).
//!
//! The run bills accounts in id order, a chunk per transaction: each chunk writes its invoices,
//! their lines and any restriction warnings together, so a run killed at any moment resumes
//! after the last committed chunk with nothing billed twice or missed. An invoice row carries
//! the state the next period starts from, so a run reads only the previous period's invoices.
//! A closed period never changes: readings and payments that arrive for it count in the next
//! open one (a payment keeps its own date: penalties charged after it are reversed by a line
//! there, see `abonent_domain::statement`).

use std::collections::HashMap;

use abonent_domain::billing::{
    may_start_run, run_inputs_complete, tariff_may_start, MeterState, PenaltyTerms,
};
use abonent_domain::metering::verification_due;
use abonent_domain::money::{Kopecks, Wh};
use abonent_domain::payment_qr::PaymentDetails;
use abonent_domain::refusal::BillingRefusal;
use abonent_domain::statement::{
    compute, restriction_due, CarriedState, MeterFacts, Statement, StatementInput,
};
use abonent_domain::tariffs::{
    default_norms, default_tariffs, norm_for, tariff_for, Norm, Period, Tariff,
};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use crate::audit::{audit_in, Actor};
use crate::periods::{open_period_in, period_guard};
use crate::sql::values_clause;
use crate::{now_micros, refused, Backend, Result, Store, StoreError};

/// Billing terms and the payee's requisites printed on invoices and in the QR code.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BillingSettings {
    /// Day of the next month payment is due (ЖК РФ 155 ч. 1: the 15th).
    pub due_day: i64,
    /// The Bank of Russia key rate, basis points (16,5 % = 1650).
    pub key_rate_bp: i64,
    /// The rate used instead when lower (9,5 % until 01.01.2027); `None`: no cap.
    pub cap_bp: Option<i64>,
    /// Days to pay after a restriction warning (ПП 354 п. 119: 20).
    pub warning_days: i64,
    pub payee_name: String,
    pub payee_inn: String,
    pub payee_kpp: String,
    pub personal_acc: String,
    pub bank_name: String,
    pub bic: String,
    pub corresp_acc: String,
}

impl BillingSettings {
    pub fn penalty_terms(&self) -> PenaltyTerms {
        PenaltyTerms {
            key_rate_bp: self.key_rate_bp,
            cap_bp: self.cap_bp,
        }
    }

    /// The payee's side of an invoice's payment QR; the invoice adds the sum, purpose and payer.
    pub fn payment_details(&self) -> PaymentDetails {
        PaymentDetails {
            name: self.payee_name.clone(),
            personal_acc: self.personal_acc.clone(),
            bank_name: self.bank_name.clone(),
            bic: self.bic.clone(),
            corresp_acc: self.corresp_acc.clone(),
            payee_inn: self.payee_inn.clone(),
            kpp: self.payee_kpp.clone(),
            ..PaymentDetails::default()
        }
    }

    /// Refuses requisites an invoice cannot be paid by (BIL-05): a billing run and an invoice's
    /// rendering stop here with every wrong requisite named, instead of printing a wrong or no
    /// payment QR code.
    pub fn check_requisites(&self) -> Result<()> {
        self.payment_details()
            .validate_payee()
            .map_err(|e| refused(BillingRefusal::BadRequisites(e)))
    }
}

/// An invoice as stored (one account, one period).
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct InvoiceRow {
    pub period: String,
    pub account_id: i64,
    pub opening: i64,
    pub charged: i64,
    pub paid: i64,
    pub penalty: i64,
    pub closing: i64,
    pub due_on: String,
    pub rule: String,
    pub norm_charge: i64,
    pub periods_on_average: i64,
    pub history: String,
    pub pending_wh: i64,
    pub pending: i64,
    /// Unpaid charges by due date (`2026-10-15:150000,…`): what penalties accrue on.
    pub debts: String,
    /// Penalties charged and not yet paid (kopecks): owed, never a base for penalties.
    pub penalty_debt: i64,
    /// Periods billed without readings waiting for the п. 61 recalculation.
    pub periods_pending: i64,
}

impl InvoiceRow {
    pub fn carried(&self) -> CarriedState {
        CarriedState {
            closing: Kopecks(self.closing),
            periods_on_average: self.periods_on_average as u32,
            periods_pending: self.periods_pending.max(0) as u32,
            history: CarriedState::parse_history(&self.history),
            pending_wh: Wh(self.pending_wh),
            pending: Kopecks(self.pending),
            debts: CarriedState::parse_debts(&self.debts),
            penalty_debt: Kopecks(self.penalty_debt),
        }
    }
}

/// One invoice line as stored (in the invoice's `lines`, JSON).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineRow {
    pub line_no: i64,
    pub kind: String,
    pub rule: String,
    pub clause: String,
    pub explanation: String,
    pub zone: String,
    pub energy_wh: i64,
    pub rate: i64,
    pub amount: i64,
}

/// A billing period's state.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct PeriodRow {
    pub period: String,
    pub status: String,
    pub started_at: i64,
    pub closed_at: Option<i64>,
    pub accounts: i64,
    pub charged: i64,
}

/// How a billing run starts (see `Store::start_run`).
enum RunStart {
    /// The period was closed before.
    AlreadyClosed(RunOutcome),
    /// An interrupted run goes on.
    Resumed,
    /// A new run.
    Started,
}

/// What `bill` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// The period was closed before: nothing changed.
    AlreadyClosed { accounts: i64, charged: i64 },
    /// Billed (or finished after an interruption) and closed now.
    Closed {
        accounts: i64,
        charged: i64,
        resumed: bool,
    },
    /// Stopped after the requested number of chunks (tests of resumption).
    Stopped { billed: i64 },
}

/// Balance and debt of an account at a date (PAY-02).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Balance {
    pub date: String,
    /// Owed on that date (negative: prepaid), kopecks.
    pub balance: i64,
    /// Charges past due on that date, kopecks. Penalties owed are in `balance` but not here:
    /// the debt of PAY-04 (ПП 354 п. 118) is the unpaid payment for the service.
    pub overdue: i64,
    /// The last closed period the figures build on.
    pub last_period: Option<String>,
}

/// One account's data for a chunk of the run, with its previous invoice's state.
#[derive(FromRow)]
struct AccountFacts {
    id: i64,
    category: String,
    residents: i64,
    rooms: i64,
    installable: i64,
    billable: i64,
    closing: Option<i64>,
    periods_on_average: Option<i64>,
    history: Option<String>,
    pending_wh: Option<i64>,
    pending: Option<i64>,
    debts: Option<String>,
    penalty_debt: Option<i64>,
    periods_pending: Option<i64>,
}

impl AccountFacts {
    fn carried(&self) -> CarriedState {
        CarriedState {
            closing: Kopecks(self.closing.unwrap_or(0)),
            periods_on_average: self.periods_on_average.unwrap_or(0) as u32,
            periods_pending: self.periods_pending.unwrap_or(0).max(0) as u32,
            history: CarriedState::parse_history(self.history.as_deref().unwrap_or("")),
            pending_wh: Wh(self.pending_wh.unwrap_or(0)),
            pending: Kopecks(self.pending.unwrap_or(0)),
            debts: CarriedState::parse_debts(self.debts.as_deref().unwrap_or("")),
            penalty_debt: Kopecks(self.penalty_debt.unwrap_or(0)),
        }
    }
}

#[derive(FromRow)]
struct MeterFact {
    id: i64,
    account_id: i64,
    zones: i64,
    state: String,
    verified_on: String,
    interval_years: i64,
    active: i64,
}

fn tariff_from_row(r: &TariffRow) -> Tariff {
    Tariff {
        valid_from: r.valid_from.clone(),
        category: r.category.clone(),
        single: r.single_rate,
        day: r.day_rate,
        night: r.night_rate,
        peak: r.peak_rate,
        half_peak: r.half_peak_rate,
        day_hours: r.day_hours.clone(),
        night_hours: r.night_hours.clone(),
        peak_hours: r.peak_hours.clone(),
        half_peak_hours: r.half_peak_hours.clone(),
        basis: r.basis.clone(),
    }
}

#[derive(FromRow)]
struct TariffRow {
    valid_from: String,
    category: String,
    single_rate: i64,
    day_rate: i64,
    night_rate: i64,
    peak_rate: i64,
    half_peak_rate: i64,
    day_hours: String,
    night_hours: String,
    peak_hours: String,
    half_peak_hours: String,
    basis: String,
}

const INVOICE_COLS: &str = "period, account_id, opening, charged, paid, penalty, closing, due_on,
    rule, norm_charge, periods_on_average, history, pending_wh, pending, debts, penalty_debt,
    periods_pending";
/// Columns of [`INVOICE_COLS`], plus `lines` when writing.
const INVOICE_COL_COUNT: usize = 17;

impl Store {
    /// Writes default tariffs, norms and settings where missing (seeding).
    pub(crate) async fn seed_billing(&self) -> Result<bool> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM billing_settings")
            .fetch_one(self.pool())
            .await?;
        if n > 0 {
            return Ok(false);
        }
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO billing_settings (id, payee_name, payee_inn, payee_kpp, personal_acc, bank_name,
                 bic, corresp_acc, updated_at)
             VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        // Placeholders that pass every check (the control keys computed by the algorithm) so a
        // fresh installation bills; the bank's name asks for the real ones.
        .bind("АО «ЮТЭК»")
        .bind("8601000000")
        .bind("860101001")
        .bind(abonent_domain::payments::bank::EXAMPLE_SETTLEMENT_ACCOUNT)
        .bind("ПАО Сбербанк (ПРИМЕР: замените реквизиты)")
        .bind("047102651")
        .bind("30101810800000000651")
        .bind(now_micros())
        .execute(&mut *tx)
        .await?;
        for t in default_tariffs() {
            insert_tariff(&mut tx, &t).await?;
        }
        for n in default_norms() {
            sqlx::query(
                "INSERT INTO consumption_norms (category, rooms, residents, wh) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
            )
            .bind(&n.category)
            .bind(n.rooms)
            .bind(n.residents)
            .bind(n.wh)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn billing_settings(&self) -> Result<BillingSettings> {
        sqlx::query_as(
            "SELECT due_day, key_rate_bp, cap_bp, warning_days, payee_name, payee_inn, payee_kpp,
                 personal_acc, bank_name, bic, corresp_acc FROM billing_settings WHERE id = 1",
        )
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// The announcement printed on the invoices of `period` (§10.2), if staff wrote one.
    #[tracing::instrument(level = "debug", skip_all, fields(%period))]
    pub async fn invoice_announcement(&self, period: Period) -> Result<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT text FROM invoice_announcements WHERE period = $1")
                .bind(period.to_string())
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(t,)| t))
    }

    /// The announcements of the latest periods, newest first: (period, text).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn invoice_announcements(&self, limit: i64) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT period, text FROM invoice_announcements ORDER BY period DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Sets the announcement of a period's invoices (an empty text removes it); audited.
    #[tracing::instrument(level = "debug", skip_all, fields(%period))]
    pub async fn set_invoice_announcement(
        &self,
        period: Period,
        text: &str,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM invoice_announcements WHERE period = $1")
            .bind(period.to_string())
            .execute(&mut *tx)
            .await?;
        if !text.is_empty() {
            sqlx::query(
                "INSERT INTO invoice_announcements (period, text, updated_at, updated_by)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(period.to_string())
            .bind(text)
            .bind(now_micros())
            .bind(actor.staff_id)
            .execute(&mut *tx)
            .await?;
        }
        let action = if text.is_empty() {
            "billing.announcement_removed"
        } else {
            "billing.announcement"
        };
        audit_in(&mut tx, actor, action, "period", &period.to_string(), "").await?;
        tx.commit().await?;
        Ok(())
    }

    /// Saves the settings; requisites an invoice cannot be paid by are refused (the web form
    /// names each field first, this is the last guard).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn save_billing_settings(&self, s: &BillingSettings, actor: &Actor) -> Result<()> {
        s.check_requisites()?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE billing_settings SET due_day = $1, key_rate_bp = $2, cap_bp = $3, warning_days = $4,
                 payee_name = $5, payee_inn = $6, payee_kpp = $7, personal_acc = $8, bank_name = $9,
                 bic = $10, corresp_acc = $11, updated_at = $12 WHERE id = 1",
        )
        .bind(s.due_day)
        .bind(s.key_rate_bp)
        .bind(s.cap_bp)
        .bind(s.warning_days)
        .bind(&s.payee_name)
        .bind(&s.payee_inn)
        .bind(&s.payee_kpp)
        .bind(&s.personal_acc)
        .bind(&s.bank_name)
        .bind(&s.bic)
        .bind(&s.corresp_acc)
        .bind(now_micros())
        .execute(&mut *tx)
        .await?;
        audit_in(&mut tx, actor, "billing.settings", "billing", "1", "").await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn tariffs(&self) -> Result<Vec<Tariff>> {
        let rows: Vec<TariffRow> = sqlx::query_as(
            "SELECT valid_from, category, single_rate, day_rate, night_rate, peak_rate, half_peak_rate,
                 day_hours, night_hours, peak_hours, half_peak_hours, basis
             FROM tariffs ORDER BY valid_from DESC, category",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(tariff_from_row).collect())
    }

    /// Adds or replaces the tariff of a category from a period. Tariffs of periods already
    /// billed cannot change.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn save_tariff(&self, t: &Tariff, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let (last,): (Option<String>,) = sqlx::query_as("SELECT MAX(period) FROM billing_periods")
            .fetch_one(&mut *tx)
            .await?;
        let last = match last {
            Some(l) => Some(
                Period::parse(&l)
                    .ok_or_else(|| StoreError::Corrupt(format!("billing period {l}")))?,
            ),
            None => None,
        };
        if let Err(refusal) = tariff_may_start(&t.valid_from, last) {
            tx.rollback().await?;
            return Err(refused(refusal));
        }
        sqlx::query("DELETE FROM tariffs WHERE valid_from = $1 AND category = $2")
            .bind(&t.valid_from)
            .bind(&t.category)
            .execute(&mut *tx)
            .await?;
        insert_tariff(&mut tx, t).await?;
        audit_in(
            &mut tx,
            actor,
            "tariff.save",
            "tariff",
            &format!("{}/{}", t.valid_from, t.category),
            &format!(
                "{} {} {} {} {}",
                t.single, t.day, t.night, t.peak, t.half_peak
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn norms(&self) -> Result<Vec<Norm>> {
        Ok(sqlx::query_as::<_, (String, i64, i64, i64)>(
            "SELECT category, rooms, residents, wh FROM consumption_norms
             ORDER BY category, rooms, residents",
        )
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .map(|(category, rooms, residents, wh)| Norm {
            category,
            rooms,
            residents,
            wh,
        })
        .collect())
    }

    /// Replaces the norms of a category (all rooms × residents cells at once).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn save_norms(&self, category: &str, norms: &[Norm], actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM consumption_norms WHERE category = $1")
            .bind(category)
            .execute(&mut *tx)
            .await?;
        for n in norms {
            sqlx::query(
                "INSERT INTO consumption_norms (category, rooms, residents, wh) VALUES ($1, $2, $3, $4)",
            )
            .bind(category)
            .bind(n.rooms)
            .bind(n.residents)
            .bind(n.wh)
            .execute(&mut *tx)
            .await?;
        }
        audit_in(&mut tx, actor, "norms.save", "norms", category, "").await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn billing_periods(&self) -> Result<Vec<PeriodRow>> {
        Ok(sqlx::query_as(
            "SELECT period, status, started_at, closed_at, accounts, charged FROM billing_periods
             ORDER BY period DESC",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// The period a reading or payment of `natural` counts in now (for display).
    #[tracing::instrument(level = "debug", skip_all, fields(natural = %natural))]
    pub async fn open_period(&self, natural: Period) -> Result<Period> {
        let mut tx = self.pool().begin().await?;
        let p = open_period_in(&mut tx, self.backend(), natural).await?;
        tx.rollback().await?;
        Ok(p)
    }

    /// Bills every account for `period` and closes it (BIL-04), `chunk` accounts per
    /// transaction, calling `progress(done, total)`. `stop_after` chunks: stop early (tests).
    #[tracing::instrument(level = "debug", skip_all, fields(period = %period))]
    pub async fn bill(
        &self,
        period: Period,
        chunk: usize,
        stop_after: Option<usize>,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<RunOutcome> {
        let p = period.to_string();
        let tariffs = self.tariffs().await?;
        let norms = self.norms().await?;
        let settings = self.billing_settings().await?;
        settings.check_requisites()?;
        let resumed = match self.start_run(period, &tariffs, &norms).await? {
            RunStart::AlreadyClosed(outcome) => return Ok(outcome),
            RunStart::Resumed => true,
            RunStart::Started => false,
        };
        if self.backend() == Backend::Postgres {
            // The month's readings and payments usually arrived just before the run; with the
            // statistics of before, the planner scans the whole period per chunk (10× slower).
            sqlx::query("ANALYZE readings, payments, invoices")
                .execute(self.pool())
                .await?;
        }
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM accounts WHERE status <> 'closed'")
                .fetch_one(self.pool())
                .await?;
        let (mut done, after): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MAX(account_id) FROM invoices WHERE period = $1")
                .bind(&p)
                .fetch_one(self.pool())
                .await?;
        let after = after.unwrap_or(0);
        progress(done as u64, total as u64);
        let ctx = RunContext {
            period,
            tariffs: &tariffs,
            norms: &norms,
            settings: &settings,
        };
        // Reading and computing the next chunk runs beside writing the previous one: on SQLite
        // a reader and the writer work in parallel (WAL), so both cores are busy.
        let mut chunks = 0;
        let mut loaded = self.load_chunk(&ctx, after, chunk).await?;
        while let Some((last_id, statements)) = loaded {
            if stop_after.is_some_and(|s| chunks >= s) {
                return Ok(RunOutcome::Stopped { billed: done });
            }
            let n = statements.len();
            let (next, written) = tokio::join!(
                self.load_chunk(&ctx, last_id, chunk),
                self.write_chunk(&ctx, statements)
            );
            written?;
            loaded = next?;
            done += n as i64;
            chunks += 1;
            progress(done as u64, total as u64);
        }
        let (accounts, charged) = self.close_period(period).await?;
        Ok(RunOutcome::Closed {
            accounts,
            charged,
            resumed,
        })
    }

    /// Starts the run of `period`, or finds it closed already or to be resumed. Periods are
    /// billed in order (see [`may_start_run`]), and only once every category in use has a
    /// tariff and norms for the period.
    async fn start_run(
        &self,
        period: Period,
        tariffs: &[Tariff],
        norms: &[Norm],
    ) -> Result<RunStart> {
        let p = period.to_string();
        let mut tx = self.begin_write().await?;
        period_guard(&mut tx, self.backend(), true).await?;
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT period, status, accounts, charged FROM billing_periods ORDER BY period DESC LIMIT 1",
        )
        .fetch_all(&mut *tx)
        .await?;
        let (this,): (Option<String>,) =
            sqlx::query_as("SELECT status FROM billing_periods WHERE period = $1")
                .bind(&p)
                .fetch_optional(&mut *tx)
                .await?
                .unwrap_or((None,));
        match this.as_deref() {
            Some("closed") => {
                let (accounts, charged) = rows
                    .iter()
                    .find(|r| r.0 == p)
                    .map(|r| (r.2, r.3))
                    .unwrap_or_default();
                let (accounts, charged) = if accounts == 0 && charged == 0 {
                    sqlx::query_as::<_, (i64, i64)>(
                        "SELECT accounts, charged FROM billing_periods WHERE period = $1",
                    )
                    .bind(&p)
                    .fetch_one(&mut *tx)
                    .await?
                } else {
                    (accounts, charged)
                };
                tx.rollback().await?;
                return Ok(RunStart::AlreadyClosed(RunOutcome::AlreadyClosed {
                    accounts,
                    charged,
                }));
            }
            Some(_) => {
                tx.rollback().await?;
                return Ok(RunStart::Resumed);
            }
            None => {}
        }
        let last = match rows.first() {
            Some((last, status, _, _)) => Some((
                Period::parse(last)
                    .ok_or_else(|| StoreError::Corrupt(format!("billing period {last}")))?,
                status == "closed",
            )),
            None => None,
        };
        let categories: Vec<(String,)> =
            sqlx::query_as("SELECT DISTINCT category FROM accounts WHERE status <> 'closed'")
                .fetch_all(&mut *tx)
                .await?;
        let categories: Vec<String> = categories.into_iter().map(|(c,)| c).collect();
        if let Err(refusal) = may_start_run(period, last)
            .and_then(|()| run_inputs_complete(&categories, tariffs, norms, period))
        {
            tx.rollback().await?;
            return Err(refused(refusal));
        }
        sqlx::query(
            "INSERT INTO billing_periods (period, status, started_at) VALUES ($1, 'running', $2)",
        )
        .bind(&p)
        .bind(now_micros())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(RunStart::Started)
    }

    /// Closes `period` once every account is billed: its accounts and the sum charged.
    async fn close_period(&self, period: Period) -> Result<(i64, i64)> {
        let p = period.to_string();
        let mut tx = self.begin_write().await?;
        let (accounts, charged): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(charged + penalty) AS BIGINT) FROM invoices WHERE period = $1",
        )
        .bind(&p)
        .fetch_one(&mut *tx)
        .await?;
        let charged = charged.unwrap_or(0);
        sqlx::query(
            "UPDATE billing_periods SET status = 'closed', closed_at = $2, accounts = $3, charged = $4
             WHERE period = $1",
        )
        .bind(&p)
        .bind(now_micros())
        .bind(accounts)
        .bind(charged)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((accounts, charged))
    }

    /// Reads and computes the next `chunk` billable accounts after `after`: the last account
    /// id looked at and the statements; `None` when no account is left.
    async fn load_chunk(
        &self,
        ctx: &RunContext<'_>,
        after: i64,
        chunk: usize,
    ) -> Result<Option<(i64, Vec<(i64, Statement)>)>> {
        let started = std::time::Instant::now();
        let p = ctx.period.to_string();
        let prev_p = ctx.period.prev().to_string();
        let last_day = ctx.period.last_day();
        // The account and the state its previous invoice left: one row.
        let accounts: Vec<AccountFacts> = sqlx::query_as(
            "SELECT a.id, a.category, a.residents, a.rooms,
                 CASE WHEN a.meter_installable THEN 1 ELSE 0 END AS installable,
                 CASE WHEN a.status <> 'closed' AND a.opened_on <= $2 THEN 1 ELSE 0 END AS billable,
                 i.closing, i.periods_on_average, i.history, i.pending_wh, i.pending, i.debts,
                 i.penalty_debt, i.periods_pending
             FROM accounts a LEFT JOIN invoices i ON i.period = $3 AND i.account_id = a.id
             WHERE a.id > $1 ORDER BY a.id LIMIT $4",
        )
        .bind(after)
        .bind(last_day.to_string())
        .bind(&prev_p)
        .bind(chunk as i64)
        .fetch_all(self.pool())
        .await?;
        let (Some(first), Some(last)) = (
            accounts.first().map(|a| a.id),
            accounts.last().map(|a| a.id),
        ) else {
            return Ok(None);
        };
        let payments = self.chunk_payments(&p, first, last).await?;
        let (meters, by_account) = self.chunk_meters(&p, first, last, last_day).await?;
        let statements = compute_statements(ctx, &accounts, &meters, &by_account, payments)?;
        tracing::debug!(
            after,
            accounts = statements.len(),
            ms = started.elapsed().as_millis() as u64,
            "billing chunk read"
        );
        Ok(Some((last, statements)))
    }

    /// The chunk's payments with their dates (penalties run to the day of each, PAY-03): one
    /// query over the index on (period, account_id).
    async fn chunk_payments(
        &self,
        p: &str,
        first: i64,
        last: i64,
    ) -> Result<HashMap<i64, Vec<(Date, Kopecks)>>> {
        let paid: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT account_id, paid_on, amount FROM payments
             WHERE period = $1 AND account_id BETWEEN $2 AND $3",
        )
        .bind(p)
        .bind(first)
        .bind(last)
        .fetch_all(self.pool())
        .await?;
        let mut payments: HashMap<i64, Vec<(Date, Kopecks)>> = HashMap::new();
        for (account, day, amount) in paid {
            let day: Date = day.parse().map_err(|e| {
                StoreError::Corrupt(format!("payment of account {account}: date «{day}»: {e}"))
            })?;
            payments
                .entry(account)
                .or_default()
                .push((day, Kopecks(amount)));
        }
        Ok(payments)
    }

    /// The chunk's meters billing looks at (by account) and their accepted readings summed by
    /// account and zone.
    async fn chunk_meters(
        &self,
        p: &str,
        first: i64,
        last: i64,
        last_day: Date,
    ) -> Result<(HashMap<i64, MeterFact>, HashMap<i64, Vec<Wh>>)> {
        // Every meter of the chunk (readings of a meter removed during the period count too);
        // the one billing looks at is the latest installed and not removed.
        let all_meters: Vec<MeterFact> = sqlx::query_as(
            "SELECT id, account_id, zones, state, verified_on, interval_years,
                 CASE WHEN removed_on IS NULL AND installed_on <= $3 THEN 1 ELSE 0 END AS active
             FROM meters WHERE account_id BETWEEN $1 AND $2 ORDER BY account_id, id",
        )
        .bind(first)
        .bind(last)
        .bind(last_day.to_string())
        .fetch_all(self.pool())
        .await?;
        let owner: HashMap<i64, i64> = all_meters.iter().map(|m| (m.id, m.account_id)).collect();
        let readings: Vec<(i64, String)> = if all_meters.is_empty() {
            Vec::new()
        } else {
            // Meter ids are ours (integers), so they go into the statement as a literal list:
            // the index on (period, meter_id) is then read for this chunk only.
            let ids: Vec<String> = all_meters.iter().map(|m| m.id.to_string()).collect();
            sqlx::query_as(&format!(
                "SELECT meter_id, consumption_wh FROM readings
                 WHERE period = $1 AND meter_id IN ({}) AND status = 'accepted'",
                ids.join(",")
            ))
            .bind(p)
            .fetch_all(self.pool())
            .await?
        };
        let meters: HashMap<i64, MeterFact> = all_meters
            .into_iter()
            .filter(|m| m.active != 0)
            .map(|m| (m.account_id, m))
            .collect();
        let readings: Vec<(i64, String)> = readings
            .into_iter()
            .filter_map(|(meter, c)| owner.get(&meter).map(|a| (*a, c)))
            .collect();
        Ok((meters, sum_readings(readings)?))
    }

    /// Writes a chunk's invoices, lines and restriction warnings in one transaction.
    async fn write_chunk(
        &self,
        ctx: &RunContext<'_>,
        statements: Vec<(i64, Statement)>,
    ) -> Result<()> {
        let started = std::time::Instant::now();
        let p = ctx.period.to_string();
        let mut tx = self.begin_write().await?;
        for part in statements.chunks(1000) {
            let sql = format!(
                "INSERT INTO invoices ({INVOICE_COLS}, lines) VALUES {}",
                values_clause(self.backend(), part.len(), INVOICE_COL_COUNT + 1)
            );
            let mut q = sqlx::query(&sql);
            for (id, s) in part {
                q = q
                    .bind(p.clone())
                    .bind(*id)
                    .bind(s.opening.0)
                    .bind(s.charged.0)
                    .bind(s.paid.0)
                    .bind(s.penalty.0)
                    .bind(s.closing.0)
                    .bind(s.due_on.to_string())
                    .bind(s.rule)
                    .bind(s.norm_charge.0)
                    .bind(i64::from(s.next.periods_on_average))
                    .bind(s.next.history_text())
                    .bind(s.next.pending_wh.0)
                    .bind(s.next.pending.0)
                    .bind(s.next.debts_text())
                    .bind(s.next.penalty_debt.0)
                    .bind(i64::from(s.next.periods_pending))
                    .bind(lines_json(&s.lines)?);
            }
            q.execute(&mut *tx).await.map_err(|e| {
                if crate::is_unique_violation(&e) {
                    refused(BillingRefusal::RunConcurrent { period: ctx.period })
                } else {
                    StoreError::Db(e)
                }
            })?;
        }
        open_restriction_cases(&mut tx, ctx, &statements).await?;
        let before_commit = started.elapsed().as_millis() as u64;
        tx.commit().await?;
        tracing::debug!(
            accounts = statements.len(),
            ms = started.elapsed().as_millis() as u64,
            before_commit,
            "billing chunk written"
        );
        Ok(())
    }

    /// An account's invoice for a period with its lines.
    #[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id, period = %period))]
    pub async fn invoice(
        &self,
        account_id: i64,
        period: Period,
    ) -> Result<(InvoiceRow, Vec<LineRow>)> {
        let p = period.to_string();
        let inv: InvoiceRow = sqlx::query_as(&format!(
            "SELECT {INVOICE_COLS} FROM invoices WHERE period = $1 AND account_id = $2"
        ))
        .bind(&p)
        .bind(account_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let (text,): (String,) =
            sqlx::query_as("SELECT lines FROM invoices WHERE period = $1 AND account_id = $2")
                .bind(&p)
                .bind(account_id)
                .fetch_one(self.pool())
                .await?;
        let lines = lines_from_json(&text)
            .map_err(|e| StoreError::Corrupt(format!("invoice {account_id}/{p} lines: {e}")))?;
        Ok((inv, lines))
    }

    /// An account's invoices of the last 36 billed periods, newest first (one query: each
    /// (period, account) pair is read off the primary key).
    #[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id))]
    pub async fn invoices_of_account(&self, account_id: i64) -> Result<Vec<InvoiceRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {INVOICE_COLS} FROM invoices WHERE account_id = $1 AND period IN (
                 SELECT period FROM billing_periods ORDER BY period DESC LIMIT 36)
             ORDER BY period DESC"
        ))
        .bind(account_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// An account's invoices of the last `n` billed periods, newest first, each with the energy
    /// billed (Wh, with recalculations, without penalties) for the client's chart — one query.
    #[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id))]
    pub async fn recent_invoices(&self, account_id: i64, n: i64) -> Result<Vec<(InvoiceRow, i64)>> {
        #[derive(FromRow)]
        struct WithLines {
            #[sqlx(flatten)]
            invoice: InvoiceRow,
            lines: String,
        }
        let rows: Vec<WithLines> = sqlx::query_as(&format!(
            "SELECT {INVOICE_COLS}, lines FROM invoices WHERE account_id = $1 AND period IN (
                 SELECT period FROM billing_periods ORDER BY period DESC LIMIT $2)
             ORDER BY period DESC"
        ))
        .bind(account_id)
        .bind(n)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                let lines = lines_from_json(&r.lines).map_err(|e| {
                    StoreError::Corrupt(format!(
                        "invoice {account_id}/{} lines: {e}",
                        r.invoice.period
                    ))
                })?;
                let wh = lines
                    .iter()
                    .filter(|l| l.kind != "penalty")
                    .map(|l| l.energy_wh)
                    .sum();
                Ok((r.invoice, wh))
            })
            .collect()
    }

    /// Balance and debt of an account at the end of `date` (PAY-02): the last closed invoice up
    /// to that date, less payments received since up to that date. Payments settle as billing
    /// settles them (`abonent_domain::statement`): charges, oldest due date first, then
    /// penalties owed.
    #[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id))]
    pub async fn balance_at(&self, account_id: i64, date: Date) -> Result<Balance> {
        let range = self.payment_range().await?;
        self.balance_at_in(account_id, date, range).await
    }

    /// An account's balance at the end of `date` and its last `limit` payments (the personal
    /// account's page), reading the range of payment periods once for both.
    #[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id))]
    pub async fn balance_and_payments(
        &self,
        account_id: i64,
        date: Date,
        limit: i64,
    ) -> Result<(Balance, Vec<crate::payments::PaymentView>)> {
        let range = self.payment_range().await?;
        Ok((
            self.balance_at_in(account_id, date, range).await?,
            self.payments_of_account_in(account_id, limit, range)
                .await?,
        ))
    }

    /// As [`balance_at`](Self::balance_at), with payments in the periods of `range` (the first
    /// and last period of any payment).
    async fn balance_at_in(
        &self,
        account_id: i64,
        date: Date,
        range: Option<(Period, Period)>,
    ) -> Result<Balance> {
        // A period's charges count from its last day.
        let upto = if date == date.last_of_month() {
            Period::of(date)
        } else {
            Period::of(date).prev()
        };
        let last: Option<InvoiceRow> = sqlx::query_as(&format!(
            "SELECT {INVOICE_COLS} FROM invoices WHERE account_id = $1 AND period = (
                 SELECT MAX(period) FROM billing_periods WHERE status = 'closed' AND period <= $2)"
        ))
        .bind(account_id)
        .bind(upto.to_string())
        .fetch_optional(self.pool())
        .await?;
        let (state, after) = match &last {
            Some(l) => (l.carried(), l.period.clone()),
            None => (CarriedState::default(), String::new()),
        };
        let paid = match crate::payments::periods_after(range, Period::parse(&after)) {
            None => None,
            Some(periods) => {
                let (paid,): (Option<i64>,) = sqlx::query_as(&format!(
                    "SELECT CAST(SUM(amount) AS BIGINT) FROM payments
                     WHERE account_id = $1 AND period IN ({periods}) AND paid_on <= $2"
                ))
                .bind(account_id)
                .bind(date.to_string())
                .fetch_one(self.pool())
                .await?;
                paid
            }
        };
        // Charges first, oldest first; the penalty debt comes after them, so it does not change
        // what is overdue.
        let mut credit = paid.unwrap_or(0) + (-state.closing.0).max(0);
        let mut overdue = 0;
        for (due, k) in &state.debts {
            let take = credit.min(k.0);
            credit -= take;
            if *due < date {
                overdue += k.0 - take;
            }
        }
        Ok(Balance {
            date: date.to_string(),
            balance: state.closing.0 - paid.unwrap_or(0),
            overdue,
            last_period: last.map(|l| l.period),
        })
    }
}

/// PAY-04: a debt past due over two months of norm-based charges opens a case with a warning
/// (at most one open case per account), sent by the client's channels too.
async fn open_restriction_cases(
    tx: &mut sqlx::AnyConnection,
    ctx: &RunContext<'_>,
    statements: &[(i64, Statement)],
) -> Result<()> {
    let p = ctx.period.to_string();
    let last_day = ctx.period.last_day();
    let warn_on = ctx.period.next().first_day();
    let pay_by = warn_on
        .checked_add(jiff::Span::new().days(ctx.settings.warning_days))
        .unwrap_or(warn_on);
    let now = now_micros();
    for (id, s) in statements {
        let overdue = s.next.overdue_on(last_day);
        if !restriction_due(overdue, s.norm_charge) {
            continue;
        }
        let opened: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO restriction_cases (account_id, period, debt, status, pay_by, created_at)
             VALUES ($1, $2, $3, 'warning', $4, $5) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(*id)
        .bind(&p)
        .bind(overdue.0)
        .bind(pay_by.to_string())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((case,)) = opened {
            sqlx::query(
                "INSERT INTO restriction_steps (case_id, step, at, note) VALUES ($1, 'warning', $2, $3)",
            )
            .bind(case)
            .bind(now)
            .bind(format!(
                "Предупреждение в счёте за {}: задолженность {overdue}; срок оплаты — {} дн. со дня вручения",
                ctx.period.label_ru(),
                ctx.settings.warning_days
            ))
            .execute(&mut *tx)
            .await?;
            // Also by the client's channels, each delivery recorded in the case (PAY-04).
            let number: (String,) = sqlx::query_as("SELECT number FROM accounts WHERE id = $1")
                .bind(*id)
                .fetch_one(&mut *tx)
                .await?;
            crate::notices::queue_notice_in(
                &mut *tx,
                "restriction_warning",
                *id,
                &serde_json::json!({
                    "case": case,
                    "account": number.0,
                    "amount": overdue.0,
                    "due_date": pay_by.to_string(),
                    "period": p,
                }),
                &format!("restriction_warning:{case}"),
            )
            .await?;
        }
    }
    Ok(())
}

/// Accepted readings (account, consumption by zone as `a,b,…`) summed by account and zone;
/// readings of meters with different zones (a replaced meter) make one total.
fn sum_readings(readings: Vec<(i64, String)>) -> Result<HashMap<i64, Vec<Wh>>> {
    let mut by_account: HashMap<i64, Vec<Wh>> = HashMap::new();
    for (acc, cons) in readings {
        let zones = abonent_domain::metering::ZoneValues::try_from(cons)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
            .0;
        let sum = by_account.entry(acc).or_default();
        if sum.is_empty() {
            sum.resize(zones.len(), Wh(0));
        }
        if sum.len() == zones.len() {
            for (s, z) in sum.iter_mut().zip(&zones) {
                s.0 += z;
            }
        } else {
            // Readings of meters with different zones (a replaced meter): one total.
            let total: i64 = sum.iter().map(|w| w.0).sum::<i64>() + zones.iter().sum::<i64>();
            *sum = vec![Wh(total)];
        }
    }
    Ok(by_account)
}

/// The statements of the chunk's billable accounts.
fn compute_statements(
    ctx: &RunContext<'_>,
    accounts: &[AccountFacts],
    meters: &HashMap<i64, MeterFact>,
    by_account: &HashMap<i64, Vec<Wh>>,
    mut payments: HashMap<i64, Vec<(Date, Kopecks)>>,
) -> Result<Vec<(i64, Statement)>> {
    let last_day = ctx.period.last_day();
    let terms = ctx.settings.penalty_terms();
    let mut statements = Vec::with_capacity(accounts.len());
    for a in accounts.iter().filter(|a| a.billable != 0) {
        let tariff = tariff_for(ctx.tariffs, &a.category, ctx.period).ok_or_else(|| {
            refused(BillingRefusal::NoTariffForAccount {
                category: a.category.clone(),
                period: ctx.period,
            })
        })?;
        let norm = norm_for(ctx.norms, &a.category, a.rooms, a.residents).ok_or_else(|| {
            refused(BillingRefusal::NoNormForAccount {
                category: a.category.clone(),
            })
        })?;
        let meter = meters.get(&a.id).map(|m| meter_facts(m, last_day));
        let s = compute(&StatementInput {
            period: ctx.period,
            tariff,
            meter,
            installation_possible: a.installable != 0,
            readings: by_account.get(&a.id).cloned(),
            norm_per_resident: norm,
            residents: a.residents.max(0) as u32,
            payments: payments.remove(&a.id).unwrap_or_default(),
            prev: a.carried(),
            penalty_terms: terms,
            due_day: ctx.settings.due_day as i8,
        })
        .map_err(|error| {
            refused(BillingRefusal::Statement {
                account_id: a.id,
                error,
            })
        })?;
        statements.push((a.id, s));
    }
    Ok(statements)
}

/// What billing needs of a meter: its zones and its state at the period's end (a meter past
/// its verification counts as expired).
fn meter_facts(m: &MeterFact, last_day: Date) -> MeterFacts {
    let expired = m
        .verified_on
        .parse::<Date>()
        .map(|v| verification_due(v, m.interval_years as i32) <= last_day)
        .unwrap_or(false);
    MeterFacts {
        zones: m.zones as usize,
        state: if m.state == "broken" {
            MeterState::Broken
        } else if expired || m.state == "expired" {
            MeterState::Expired
        } else {
            MeterState::Working
        },
    }
}

/// A line as stored: `[rule, clause, explanation, zone, energy_wh, rate, amount]` — positions
/// instead of names keep a million invoices a third smaller; the kind follows from the rule.
type StoredLine = (String, String, String, String, i64, i64, i64);

fn lines_json(lines: &[abonent_domain::statement::Line]) -> Result<String> {
    let rows: Vec<StoredLine> = lines
        .iter()
        .map(|l| {
            (
                l.rule.to_owned(),
                l.clause.to_owned(),
                l.explanation.clone(),
                l.zone.to_owned(),
                l.energy.0,
                l.rate.0,
                l.amount.0,
            )
        })
        .collect();
    serde_json::to_string(&rows).map_err(|e| StoreError::Corrupt(format!("invoice lines: {e}")))
}

fn lines_from_json(text: &str) -> std::result::Result<Vec<LineRow>, serde_json::Error> {
    let rows: Vec<StoredLine> = serde_json::from_str(text)?;
    Ok(rows
        .into_iter()
        .enumerate()
        .map(
            |(i, (rule, clause, explanation, zone, energy_wh, rate, amount))| LineRow {
                line_no: i as i64 + 1,
                kind: match rule.as_str() {
                    "p61" => "recalculation",
                    "penalty" => "penalty",
                    _ => "energy",
                }
                .to_owned(),
                rule,
                clause,
                explanation,
                zone,
                energy_wh,
                rate,
                amount,
            },
        )
        .collect())
}

struct RunContext<'a> {
    period: Period,
    tariffs: &'a [Tariff],
    norms: &'a [Norm],
    settings: &'a BillingSettings,
}

async fn insert_tariff(tx: &mut sqlx::Transaction<'static, sqlx::Any>, t: &Tariff) -> Result<()> {
    sqlx::query(
        "INSERT INTO tariffs (valid_from, category, single_rate, day_rate, night_rate, peak_rate,
             half_peak_rate, day_hours, night_hours, peak_hours, half_peak_hours, basis, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING",
    )
    .bind(&t.valid_from)
    .bind(&t.category)
    .bind(t.single)
    .bind(t.day)
    .bind(t.night)
    .bind(t.peak)
    .bind(t.half_peak)
    .bind(&t.day_hours)
    .bind(&t.night_hours)
    .bind(&t.peak_hours)
    .bind(&t.half_peak_hours)
    .bind(&t.basis)
    .bind(now_micros())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Settlements with accounts, for choosing a print batch or the district of an announcement.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn settlements(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_as::<_, (String,)>(
            "SELECT DISTINCT settlement FROM premises ORDER BY settlement",
        )
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect())
    }

    /// Accounts with an invoice for `period` in a settlement (and street, when given), in
    /// delivery order: street, house, apartment.
    #[tracing::instrument(level = "debug", skip_all, fields(period = %period))]
    pub async fn batch_accounts(
        &self,
        period: Period,
        settlement: &str,
        street: &str,
        limit: i64,
    ) -> Result<Vec<i64>> {
        let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
            "SELECT a.id, p.street, p.house, p.apartment FROM invoices i
             JOIN accounts a ON a.id = i.account_id JOIN premises p ON p.id = a.premises_id
             WHERE i.period = $1 AND p.settlement = $2 AND ($3 = '' OR p.street = $3)
             LIMIT $4",
        )
        .bind(period.to_string())
        .bind(settlement)
        .bind(street)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut rows = rows;
        let num = |s: &str| -> (u32, String) {
            let d: String = s.chars().take_while(char::is_ascii_digit).collect();
            (d.parse().unwrap_or(0), s.to_owned())
        };
        rows.sort_by(|a, b| {
            (a.1.as_str(), num(&a.2), a.3.as_deref().map(num)).cmp(&(
                b.1.as_str(),
                num(&b.2),
                b.3.as_deref().map(num),
            ))
        });
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
