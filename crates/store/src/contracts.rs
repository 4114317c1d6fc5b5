//! Supply contracts applied for in writing (ACC-03): the application with its documents checklist
//! (files attached, or to be brought in person), the typical contract of the account's category,
//! and the decision — concluded on a date or refused with the reason — each status kept in the
//! history. One application under consideration per account.

use abonent_domain::accounts::{contract_document, ContractStatus};
use abonent_domain::refusal::ContractsRefusal;
use jiff::civil::Date;
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::accounts::typical_contract_form;
use crate::appeals::{sha256_hex, NewAttachment};
use crate::audit::{audit_in, Actor};
use crate::{is_unique_violation, now_micros, refused, Result, Store, StoreError};

/// An application as the client made it.
#[derive(Debug, Clone)]
pub struct ContractApplication {
    pub account_id: i64,
    /// Attached files, by document code.
    pub files: Vec<(String, NewAttachment)>,
    /// Documents the client will bring in person, by code.
    pub in_person: Vec<String>,
    pub comment: String,
    pub applied_on: Date,
}

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct ContractRecord {
    pub id: i64,
    pub account_id: i64,
    pub account_number: String,
    pub client_id: i64,
    pub number: String,
    pub typical_form: String,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: ContractStatus,
    pub applied_on: String,
    pub concluded_on: Option<String>,
    /// The checklist: each document and how it comes.
    pub documents: String,
}

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct ContractFile {
    pub id: i64,
    pub document: String,
    pub file_name: String,
    pub size: i64,
}

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct ContractEvent {
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: ContractStatus,
    pub at: i64,
    pub staff_name: Option<String>,
    pub note: String,
}

impl ContractRecord {
    pub fn status_label(&self) -> &'static str {
        self.status.label_ru()
    }
}

const SELECT: &str = "SELECT k.id, k.account_id, a.number AS account_number, a.client_id, k.number,
        k.typical_form, k.status, k.applied_on, k.concluded_on, k.documents
     FROM contracts k JOIN accounts a ON a.id = k.account_id";

async fn history_in(
    tx: &mut sqlx::AnyConnection,
    contract: i64,
    status: ContractStatus,
    actor: &Actor,
    note: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO contract_status_history (contract_id, status, at, staff_id, note)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(contract)
    .bind(status.code())
    .bind(now_micros())
    .bind(actor.staff_id)
    .bind(note)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl Store {
    /// Records an application for a written contract of the account's typical form, its files
    /// and its checklist, in one transaction. Refused while another is under consideration.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn apply_for_contract(&self, a: &ContractApplication, actor: &Actor) -> Result<i64> {
        let account = self.account(a.account_id).await?;
        let category = account.category;
        let mut tx = self.begin_write().await?;
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM contracts WHERE account_id = $1")
                .bind(a.account_id)
                .fetch_one(&mut *tx)
                .await?;
        let mut checklist =
            vec!["заявление о заключении договора — из личного кабинета".to_owned()];
        for (code, f) in &a.files {
            let label = contract_document(code).map_or(code.as_str(), |d| d.label);
            checklist.push(format!("{label} — файл «{}»", f.file_name));
        }
        for code in &a.in_person {
            let label = contract_document(code).map_or(code.as_str(), |d| d.label);
            checklist.push(format!("{label} — принесёт в центр обслуживания"));
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO contracts (account_id, number, typical_form, status, applied_on, documents)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(a.account_id)
        .bind(format!("ЭС-{}-{}", account.number, count + 1))
        .bind(typical_contract_form(category))
        .bind(ContractStatus::Applied.code())
        .bind(a.applied_on.to_string())
        .bind(checklist.join("; "))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                refused(ContractsRefusal::AlreadyApplied)
            } else {
                StoreError::Db(e)
            }
        })?;
        let now = now_micros();
        for (code, f) in &a.files {
            sqlx::query(
                "INSERT INTO contract_documents (contract_id, document, file_name, content_type,
                     size, sha256, content, added_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(code)
            .bind(&f.file_name)
            .bind(&f.content_type)
            .bind(f.content.len() as i64)
            .bind(sha256_hex(&f.content))
            .bind(f.content.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let note = if a.comment.is_empty() {
            "заявление из личного кабинета".to_owned()
        } else {
            format!("заявление из личного кабинета: {}", a.comment)
        };
        history_in(&mut tx, id, ContractStatus::Applied, actor, &note).await?;
        audit_in(
            &mut tx,
            actor,
            "contract.apply",
            "account",
            &a.account_id.to_string(),
            &format!("contract {id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Concludes (on `date`) or refuses (with `note` as the reason) an application.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn decide_contract(
        &self,
        id: i64,
        conclude: bool,
        date: Date,
        note: &str,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let status = if conclude {
            ContractStatus::Concluded
        } else {
            ContractStatus::Refused
        };
        let n = sqlx::query(
            "UPDATE contracts SET status = $1, concluded_on = $2 WHERE id = $3 AND status = $4",
        )
        .bind(status.code())
        .bind(conclude.then(|| date.to_string()))
        .bind(id)
        .bind(ContractStatus::Applied.code())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(refused(ContractsRefusal::AlreadyDecided));
        }
        history_in(&mut tx, id, status, actor, note).await?;
        audit_in(
            &mut tx,
            actor,
            if conclude {
                "contract.conclude"
            } else {
                "contract.refuse"
            },
            "contract",
            &id.to_string(),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn contract(&self, id: i64) -> Result<ContractRecord> {
        sqlx::query_as(&format!("{SELECT} WHERE k.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// The contracts of an account, newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id))]
    pub async fn contracts_of_account(&self, account_id: i64) -> Result<Vec<ContractRecord>> {
        Ok(sqlx::query_as(&format!(
            "{SELECT} WHERE k.account_id = $1 ORDER BY k.id DESC"
        ))
        .bind(account_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Applications under consideration, oldest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn contract_applications(&self, limit: i64) -> Result<Vec<ContractRecord>> {
        Ok(sqlx::query_as(&format!(
            "{SELECT} WHERE k.status = 'applied' ORDER BY k.id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn contract_files(&self, id: i64) -> Result<Vec<ContractFile>> {
        Ok(sqlx::query_as(
            "SELECT id, document, file_name, size FROM contract_documents
             WHERE contract_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?)
    }

    /// One attached file: (contract, name, type, content).
    #[tracing::instrument(level = "debug", skip_all, fields(file_id = file_id))]
    pub async fn contract_file(&self, file_id: i64) -> Result<(i64, String, String, Vec<u8>)> {
        sqlx::query_as(
            "SELECT contract_id, file_name, content_type, content FROM contract_documents
             WHERE id = $1",
        )
        .bind(file_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn contract_history(&self, id: i64) -> Result<Vec<ContractEvent>> {
        Ok(sqlx::query_as(
            "SELECT h.status, h.at, s.full_name AS staff_name, h.note
             FROM contract_status_history h LEFT JOIN staff s ON s.id = h.staff_id
             WHERE h.contract_id = $1 ORDER BY h.id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?)
    }
}
