//! Restriction for debt (PAY-04, ПП 354 п. 119): the cases opened by billing, their steps and
//! the delivery of their warnings.

use abonent_domain::money::Kopecks;
use jiff::civil::Date;
use serde::Serialize;
use sqlx::FromRow;

use crate::audit::{audit_in, Actor};
use crate::{now_micros, Result, Store, StoreError};

#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct RestrictionCase {
    pub id: i64,
    pub account_id: i64,
    pub account_number: String,
    pub period: String,
    pub debt: i64,
    pub status: String,
    pub pay_by: String,
    pub open: i64,
    pub version: i64,
}

#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct RestrictionStep {
    pub step: String,
    pub at: i64,
    pub staff_login: Option<String>,
    pub note: String,
}

/// Steps of the restriction procedure (PAY-04, ПП 354 п. 119) and the status each needs before.
pub fn next_steps(status: &str) -> &'static [&'static str] {
    match status {
        "warning" => &["restricted", "closed"],
        "restricted" => &["suspended", "reconnected"],
        "suspended" => &["reconnected"],
        _ => &[],
    }
}

impl Store {
    /// Records in a restriction case that its warning reached the client by `channel`.
    pub async fn record_warning_delivery(
        &self,
        case_id: i64,
        channel: &str,
        recipient: &str,
    ) -> Result<()> {
        let how = match channel {
            "email" => format!("по электронной почте на {recipient}"),
            "sms" => format!("СМС на номер {recipient}"),
            _ => "в личный кабинет".to_owned(),
        };
        sqlx::query(
            "INSERT INTO restriction_steps (case_id, step, at, note)
             VALUES ($1, 'warning_delivered', $2, $3)",
        )
        .bind(case_id)
        .bind(now_micros())
        .bind(format!("Предупреждение доставлено {how}"))
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

pub fn step_label(step: &str) -> &'static str {
    match step {
        "warning" => "предупреждение направлено",
        "warning_delivered" => "предупреждение доставлено",
        "restricted" => "режим потребления ограничен",
        "suspended" => "подача приостановлена",
        "reconnected" => "подача возобновлена",
        "closed" => "закрыто: задолженность погашена",
        _ => "",
    }
}

const CASE_SELECT: &str = "SELECT c.id, c.account_id, a.number AS account_number, c.period, c.debt,
        c.status, c.pay_by, CASE WHEN c.open THEN 1 ELSE 0 END AS open, c.version
    FROM restriction_cases c JOIN accounts a ON a.id = c.account_id";

impl Store {
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
            return Err(StoreError::Conflict(
                "Дело уже изменили: обновите страницу.".into(),
            ));
        }
        if !next_steps(&case.status).contains(&step) {
            return Err(StoreError::Conflict(format!(
                "После шага «{}» нельзя «{}».",
                step_label(&case.status),
                step_label(step)
            )));
        }
        let balance = self.balance_at(case.account_id, today).await?;
        let pay_by: Date = case
            .pay_by
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("case {id}: pay_by")))?;
        match step {
            "restricted" if today <= pay_by => {
                return Err(StoreError::Conflict(format!(
                    "Срок оплаты по предупреждению — до {pay_by} включительно: ограничение возможно после него."
                )))
            }
            "restricted" | "suspended" if balance.overdue <= 0 => {
                return Err(StoreError::Conflict(
                    "Просроченной задолженности нет: ограничение не вводится.".into(),
                ))
            }
            "reconnected" | "closed" if balance.overdue > 0 => {
                return Err(StoreError::Conflict(format!(
                    "Задолженность не погашена: просрочено {}.",
                    Kopecks(balance.overdue)
                )))
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
            return Err(StoreError::Conflict(
                "Дело уже изменили: обновите страницу.".into(),
            ));
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
