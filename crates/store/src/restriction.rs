//! Restriction for debt (PAY-04, ПП 354 п. 119): the cases opened by billing, their steps and
//! the delivery of their warnings.

use abonent_domain::money::Kopecks;
use abonent_domain::refusal::RestrictionCaseRefusal;
use abonent_domain::restriction::{
    check_restriction, pay_by, CaseStatus, DeliveryWay, NewDelivery,
};
use jiff::civil::Date;
use serde::Serialize;
use sqlx::FromRow;

use crate::audit::{audit_in, Actor};
use crate::{now_micros, refused, Result, Store, StoreError};

#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct RestrictionCase {
    pub id: i64,
    pub account_id: i64,
    pub account_number: String,
    pub period: String,
    pub debt: i64,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: CaseStatus,
    /// The last day to pay: the first delivery + the warning's term once a delivery is
    /// recorded; until then the day printed in the warning (the month after the period + term).
    pub pay_by: String,
    pub open: i64,
    pub version: i64,
    /// The first day of delivery recorded (`YYYY-MM-DD`): the warning's term runs from it.
    pub delivered_on: Option<String>,
}

#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct RestrictionStep {
    pub step: String,
    pub at: i64,
    pub staff_login: Option<String>,
    pub note: String,
}

pub use abonent_domain::restriction::{next_steps, step_label};

const CASE_SELECT: &str = "SELECT c.id, c.account_id, a.number AS account_number, c.period, c.debt,
        c.status, c.pay_by, CASE WHEN c.open THEN 1 ELSE 0 END AS open, c.version,
        (SELECT MIN(d.delivered_on) FROM warning_deliveries d WHERE d.case_id = c.id) AS delivered_on
    FROM restriction_cases c JOIN accounts a ON a.id = c.account_id";

impl Store {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn restriction_cases(
        &self,
        open_only: bool,
        limit: i64,
    ) -> Result<Vec<RestrictionCase>> {
        Ok(sqlx::query_as(&format!(
            "{CASE_SELECT} {} ORDER BY c.id DESC LIMIT $1",
            if open_only { "WHERE c.open" } else { "" }
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id))]
    pub async fn restriction_cases_of_account(
        &self,
        account_id: i64,
    ) -> Result<Vec<RestrictionCase>> {
        Ok(sqlx::query_as(&format!(
            "{CASE_SELECT} WHERE c.account_id = $1 ORDER BY c.id DESC"
        ))
        .bind(account_id)
        .fetch_all(self.pool())
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn restriction_case(
        &self,
        id: i64,
    ) -> Result<(RestrictionCase, Vec<RestrictionStep>)> {
        let case: RestrictionCase = sqlx::query_as(&format!("{CASE_SELECT} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        let steps = sqlx::query_as(
            "SELECT s.step, s.at, st.login AS staff_login, s.note FROM restriction_steps s
             LEFT JOIN staff st ON st.id = s.staff_id WHERE s.case_id = $1 ORDER BY s.id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok((case, steps))
    }

    /// Records the next step of a restriction case. Restriction only after the warning's term
    /// has passed with the debt unpaid; reconnection and closing only once the debt is repaid.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn restriction_step(
        &self,
        id: i64,
        version: i64,
        step: &str,
        note: &str,
        today: Date,
        actor: &Actor,
    ) -> Result<()> {
        let (case, _) = self.restriction_case(id).await?;
        if case.version != version {
            return Err(refused(RestrictionCaseRefusal::CaseChanged));
        }
        if !next_steps(case.status.code()).contains(&step) {
            return Err(refused(RestrictionCaseRefusal::StepNotNext {
                status: case.status.code().to_owned(),
                step: step.to_owned(),
            }));
        }
        let balance = self.balance_at(case.account_id, today).await?;
        if step == "restricted" {
            let delivered_on = case.delivered_on()?;
            let warning_days = self.billing_settings().await?.warning_days;
            if let Err(refusal) = check_restriction(delivered_on, warning_days, today) {
                return Err(refused(RestrictionCaseRefusal::Term(refusal)));
            }
        }
        match step {
            "restricted" | "suspended" if balance.overdue <= 0 => {
                return Err(refused(RestrictionCaseRefusal::NoOverdue))
            }
            "reconnected" | "closed" if balance.overdue > 0 => {
                return Err(refused(RestrictionCaseRefusal::DebtUnpaid {
                    overdue: Kopecks(balance.overdue),
                }))
            }
            _ => {}
        }
        let mut tx = self.begin_write().await?;
        let open = !matches!(step, "reconnected" | "closed");
        let n = sqlx::query(
            "UPDATE restriction_cases SET status = $2, open = $3, version = version + 1
             WHERE id = $1 AND version = $4",
        )
        .bind(id)
        .bind(step)
        .bind(open)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Err(refused(RestrictionCaseRefusal::CaseChanged));
        }
        sqlx::query(
            "INSERT INTO restriction_steps (case_id, step, at, staff_id, note) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(step)
        .bind(now_micros())
        .bind(actor.staff_id)
        .bind(note)
        .execute(&mut *tx)
        .await?;
        audit_in(
            &mut tx,
            actor,
            "restriction.step",
            "account",
            &case.account_id.to_string(),
            &format!("case {id}: {step}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl RestrictionCase {
    /// The first day of delivery recorded, if any.
    pub fn delivered_on(&self) -> Result<Option<Date>> {
        self.delivered_on
            .as_deref()
            .map(|d| {
                d.parse()
                    .map_err(|_| StoreError::Corrupt(format!("case {}: delivered_on", self.id)))
            })
            .transpose()
    }
}

/// One record of how a warning reached the client (ПП 354 п. 119).
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct WarningDelivery {
    pub id: i64,
    /// `invoice`, `signature`, `letter`, `email`, `sms`, `portal` or `call`.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub way: DeliveryWay,
    /// The day the term runs from; none for a letter whose receipt has not come back.
    pub delivered_on: Option<String>,
    /// Who handed it over or called.
    pub delivered_by: String,
    /// A registered letter's postal number (РПО).
    pub rpo: Option<String>,
    pub sent_on: Option<String>,
    /// A call's local date-time, `YYYY-MM-DDTHH:MM`.
    pub called_at: Option<String>,
    /// The number called: 10 national digits.
    pub phone: Option<String>,
    /// Where an outbox message went.
    pub recipient: Option<String>,
    pub note: String,
    /// Who entered the record; none when the outbox did.
    pub entered_by_login: Option<String>,
    pub entered_at: i64,
}

/// A warning awaiting delivery, as a line of a courier's delivery list.
#[derive(Debug, Clone, FromRow)]
pub struct DeliveryListRow {
    pub case_id: i64,
    pub account_number: String,
    pub street: String,
    pub house: String,
    pub apartment: Option<String>,
    pub surname: String,
    pub first_name: String,
    pub patronymic: Option<String>,
    pub debt: i64,
    pub period: String,
}

impl DeliveryListRow {
    /// «ул. Ленина, д. 5, кв. 12» within the settlement.
    pub fn address(&self) -> String {
        match &self.apartment {
            Some(a) => format!("{}, д. {}, кв. {a}", self.street, self.house),
            None => format!("{}, д. {}", self.street, self.house),
        }
    }

    pub fn client_name(&self) -> String {
        match &self.patronymic {
            Some(p) => format!("{} {} {p}", self.surname, self.first_name),
            None => format!("{} {}", self.surname, self.first_name),
        }
    }
}

const DELIVERY_SELECT: &str =
    "SELECT d.id, d.way, d.delivered_on, d.delivered_by, d.rpo, d.sent_on,
        d.called_at, d.phone, d.recipient, d.note, st.login AS entered_by_login, d.entered_at
    FROM warning_deliveries d LEFT JOIN staff st ON st.id = d.entered_by";

/// The refusal when a case is closed or past the warning.
fn closed_case() -> StoreError {
    refused(RestrictionCaseRefusal::CaseClosed)
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The account of an open case (locks nothing; the insert checks the case exists).
async fn open_case_account(tx: &mut Tx, case_id: i64) -> Result<i64> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT account_id, CASE WHEN open THEN 1 ELSE 0 END FROM restriction_cases WHERE id = $1",
    )
    .bind(case_id)
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        None => Err(StoreError::NotFound),
        Some((_, 0)) => Err(closed_case()),
        Some((account, _)) => Ok(account),
    }
}

/// Keeps a warning's `pay_by` at the first delivery + the term (while the case is at its
/// warning); a changed term is a change of the case (its version).
async fn sync_pay_by_in(tx: &mut Tx, case_id: i64, warning_days: i64) -> Result<()> {
    let (first,): (Option<String>,) =
        sqlx::query_as("SELECT MIN(delivered_on) FROM warning_deliveries WHERE case_id = $1")
            .bind(case_id)
            .fetch_one(&mut **tx)
            .await?;
    let Some(first) = first else {
        return Ok(());
    };
    let first: Date = first
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("case {case_id}: delivered_on")))?;
    sqlx::query(
        "UPDATE restriction_cases SET pay_by = $2, version = version + 1
         WHERE id = $1 AND status = 'warning' AND pay_by <> $2",
    )
    .bind(case_id)
    .bind(pay_by(first, warning_days).to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A registered letter (`rpo`), or its receipt completing the letter's earlier record: the
/// audit detail and the record's id.
async fn insert_letter_in(
    tx: &mut Tx,
    case_id: i64,
    rpo: &str,
    sent_on: Date,
    receipt_on: Option<Date>,
    actor: &Actor,
    now: i64,
) -> Result<(String, i64)> {
    let known: Option<(i64, Option<String>)> = sqlx::query_as(
        "SELECT id, delivered_on FROM warning_deliveries WHERE case_id = $1 AND rpo = $2",
    )
    .bind(case_id)
    .bind(rpo)
    .fetch_optional(&mut **tx)
    .await?;
    match (known, receipt_on) {
        (Some((id, None)), Some(r)) => {
            sqlx::query(
                "UPDATE warning_deliveries SET delivered_on = $2, receipt_by = $3, receipt_at = $4
                     WHERE id = $1",
            )
            .bind(id)
            .bind(r.to_string())
            .bind(actor.staff_id)
            .bind(now)
            .execute(&mut **tx)
            .await?;
            Ok((format!("case {case_id}: letter {rpo} received {r}"), id))
        }
        (Some(_), _) => Err(refused(RestrictionCaseRefusal::LetterRecorded {
            rpo: rpo.to_string(),
            with_receipt: receipt_on.is_some(),
        })),
        (None, _) => {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO warning_deliveries
                         (case_id, way, delivered_on, rpo, sent_on, entered_by, entered_at,
                          receipt_by, receipt_at)
                     VALUES ($1, 'letter', $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(case_id)
            .bind(receipt_on.map(|r| r.to_string()))
            .bind(rpo)
            .bind(sent_on.to_string())
            .bind(actor.staff_id)
            .bind(now)
            .bind(receipt_on.and(actor.staff_id))
            .bind(receipt_on.map(|_| now))
            .fetch_one(&mut **tx)
            .await?;
            let r = receipt_on.map_or("no receipt yet".to_owned(), |r| format!("received {r}"));
            Ok((
                format!("case {case_id}: letter {rpo} sent {sent_on}, {r}"),
                id,
            ))
        }
    }
}

/// Inserts one record entered by a person (a registered letter's receipt completes its earlier
/// record) and audits it; returns the record's id.
async fn insert_delivery_in(
    tx: &mut Tx,
    case_id: i64,
    d: &NewDelivery,
    actor: &Actor,
) -> Result<i64> {
    let account = open_case_account(tx, case_id).await?;
    let now = now_micros();
    let (detail, id) = match d {
        NewDelivery::Letter {
            rpo,
            sent_on,
            receipt_on,
        } => insert_letter_in(tx, case_id, rpo, *sent_on, *receipt_on, actor, now).await?,
        NewDelivery::Invoice { on, by } | NewDelivery::Signature { on, by } => {
            let way = d.way();
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO warning_deliveries (case_id, way, delivered_on, delivered_by, entered_by, entered_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(case_id)
            .bind(way.code())
            .bind(on.to_string())
            .bind(by)
            .bind(actor.staff_id)
            .bind(now)
            .fetch_one(&mut **tx)
            .await?;
            (format!("case {case_id}: {} {on} by {by}", way.code()), id)
        }
        NewDelivery::Call {
            at,
            by,
            phone,
            note,
        } => {
            let at_text = at.strftime("%Y-%m-%dT%H:%M").to_string();
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO warning_deliveries
                     (case_id, way, delivered_on, delivered_by, called_at, phone, note, entered_by, entered_at)
                 VALUES ($1, 'call', $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(case_id)
            .bind(at.date().to_string())
            .bind(by)
            .bind(&at_text)
            .bind(phone)
            .bind(note)
            .bind(actor.staff_id)
            .bind(now)
            .fetch_one(&mut **tx)
            .await?;
            (
                format!("case {case_id}: call {at_text} to {phone} by {by}"),
                id,
            )
        }
    };
    audit_in(
        tx,
        actor,
        "restriction.delivery",
        "account",
        &account.to_string(),
        &detail,
    )
    .await?;
    Ok(id)
}

impl Store {
    /// The records of delivery of a case's warning, in the order entered.
    #[tracing::instrument(level = "debug", skip_all, fields(case_id = case_id))]
    pub async fn warning_deliveries(&self, case_id: i64) -> Result<Vec<WarningDelivery>> {
        Ok(sqlx::query_as(&format!(
            "{DELIVERY_SELECT} WHERE d.case_id = $1 ORDER BY d.id"
        ))
        .bind(case_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Records how a case's warning reached the client (entered by a person); the warning's
    /// term then runs from the first delivery. Returns the record's id.
    #[tracing::instrument(level = "debug", skip_all, fields(case_id = case_id))]
    pub async fn record_delivery(
        &self,
        case_id: i64,
        d: &NewDelivery,
        actor: &Actor,
    ) -> Result<i64> {
        let warning_days = self.billing_settings().await?.warning_days;
        let mut tx = self.begin_write().await?;
        let id = insert_delivery_in(&mut tx, case_id, d, actor).await?;
        sync_pay_by_in(&mut tx, case_id, warning_days).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records a courier's delivery list in one go: the invoices carrying the warnings of
    /// `cases` were handed over by `by` on the days given. All or nothing.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_invoice_deliveries(
        &self,
        cases: &[(i64, Date)],
        by: &str,
        actor: &Actor,
    ) -> Result<usize> {
        let warning_days = self.billing_settings().await?.warning_days;
        let mut tx = self.begin_write().await?;
        for (case_id, on) in cases {
            let d = NewDelivery::Invoice {
                on: *on,
                by: by.to_owned(),
            };
            insert_delivery_in(&mut tx, *case_id, &d, actor).await?;
            sync_pay_by_in(&mut tx, *case_id, warning_days).await?;
        }
        tx.commit().await?;
        Ok(cases.len())
    }

    /// Records in a restriction case that its warning reached the client by an outbox message
    /// on `channel` (`email`, `sms`, else the personal account): a step of the case and a
    /// record of delivery dated today in the account's branch.
    #[tracing::instrument(level = "debug", skip_all, fields(case_id = case_id))]
    pub async fn record_warning_delivery(
        &self,
        case_id: i64,
        channel: &str,
        recipient: &str,
    ) -> Result<()> {
        let way = DeliveryWay::of_channel(channel);
        let how = match way {
            DeliveryWay::Email => format!("по электронной почте на {recipient}"),
            DeliveryWay::Sms => format!("СМС на номер {recipient}"),
            _ => "в личный кабинет".to_owned(),
        };
        let (account, zone): (i64, String) = sqlx::query_as(
            "SELECT a.id, b.time_zone FROM restriction_cases c JOIN accounts a ON a.id = c.account_id
             JOIN branches b ON b.id = a.branch_id WHERE c.id = $1",
        )
        .bind(case_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let now = now_micros();
        let today = jiff::tz::TimeZone::get(&zone)
            .map(|tz| crate::from_micros(now).to_zoned(tz).date())
            .unwrap_or_else(|_| {
                crate::from_micros(now)
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .date()
            });
        let warning_days = self.billing_settings().await?.warning_days;
        let note = format!("Предупреждение доставлено {how}");
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO restriction_steps (case_id, step, at, note)
             VALUES ($1, 'warning_delivered', $2, $3)",
        )
        .bind(case_id)
        .bind(now)
        .bind(&note)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO warning_deliveries (case_id, way, delivered_on, recipient, note, entered_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(case_id)
        .bind(way.code())
        .bind(today.to_string())
        .bind(recipient)
        .bind(&note)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sync_pay_by_in(&mut tx, case_id, warning_days).await?;
        audit_in(
            &mut tx,
            &Actor {
                staff_id: None,
                login: "outbox".into(),
                ip: String::new(),
            },
            "restriction.delivery",
            "account",
            &account.to_string(),
            &format!("case {case_id}: {} {today} to {recipient}", way.code()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The warnings of open cases in `settlement` awaiting delivery (no delivery recorded that
    /// starts the term), in a courier's order: street, house, apartment.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delivery_list(&self, settlement: &str) -> Result<Vec<DeliveryListRow>> {
        let mut rows: Vec<DeliveryListRow> = sqlx::query_as(
            "SELECT c.id AS case_id, a.number AS account_number, p.street, p.house, p.apartment,
                    cl.surname, cl.first_name, cl.patronymic, c.debt, c.period
             FROM restriction_cases c JOIN accounts a ON a.id = c.account_id
             JOIN premises p ON p.id = a.premises_id JOIN clients cl ON cl.id = a.client_id
             WHERE c.open AND c.status = 'warning' AND p.settlement = $1
               AND NOT EXISTS (SELECT 1 FROM warning_deliveries d
                               WHERE d.case_id = c.id AND d.delivered_on IS NOT NULL)",
        )
        .bind(settlement)
        .fetch_all(self.pool())
        .await?;
        let num = |s: &str| -> (u32, String) {
            let d: String = s.chars().take_while(char::is_ascii_digit).collect();
            (d.parse().unwrap_or(0), s.to_owned())
        };
        rows.sort_by_cached_key(|r| {
            (
                r.street.clone(),
                num(&r.house),
                r.apartment.as_deref().map(num),
                r.case_id,
            )
        });
        Ok(rows)
    }

    /// Settlements with warnings awaiting delivery, for choosing a delivery list.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delivery_settlements(&self) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT p.settlement, COUNT(*) FROM restriction_cases c
             JOIN accounts a ON a.id = c.account_id JOIN premises p ON p.id = a.premises_id
             WHERE c.open AND c.status = 'warning'
               AND NOT EXISTS (SELECT 1 FROM warning_deliveries d
                               WHERE d.case_id = c.id AND d.delivered_on IS NOT NULL)
             GROUP BY p.settlement ORDER BY p.settlement",
        )
        .fetch_all(self.pool())
        .await?)
    }
}
