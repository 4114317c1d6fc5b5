//! Accounts (лицевые счета), premises and supply contracts (ACC-02, ACC-03).

use abonent_domain::accounts::{AccountCategory, AccountNumber, AccountStatus, ContractStatus};
use abonent_domain::refusal::{AccountsRefusal, OrgRefusal, Refusal};
use abonent_domain::search::address_key;
use serde::Serialize;
use sqlx::FromRow;

use crate::audit::{audit_in, Actor};
use crate::{is_unique_violation, now_micros, refused, Result, Store, StoreError};

/// An address of premises supplied with electricity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PremisesData {
    pub postcode: String,
    /// «г. Радужный», «пгт Новоаганск».
    pub settlement: String,
    /// «ул. Лесная», «1 мкр.».
    pub street: String,
    pub house: String,
    pub apartment: Option<String>,
}

impl PremisesData {
    pub fn search_key(&self) -> String {
        address_key(&format!(
            "{} {} {}",
            self.street,
            self.house,
            self.apartment.as_deref().unwrap_or("")
        ))
    }
}

/// A new account for a client.
#[derive(Debug, Clone)]
pub struct AccountData {
    pub number: AccountNumber,
    pub client_id: i64,
    pub branch_id: i64,
    pub premises: PremisesData,
    pub category: AccountCategory,
    pub residents: i64,
    pub rooms: i64,
    pub opened_on: jiff::civil::Date,
}

#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct ContractView {
    pub id: i64,
    pub number: String,
    pub typical_form: String,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: ContractStatus,
    pub applied_on: String,
    pub concluded_on: Option<String>,
    pub documents: String,
}

/// An account as shown on the client's card.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub number: String,
    pub client_id: i64,
    pub branch_id: i64,
    pub branch_name: String,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub category: AccountCategory,
    pub residents: i64,
    pub rooms: i64,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: AccountStatus,
    pub opened_on: String,
    pub closed_on: Option<String>,
    pub postcode: String,
    pub settlement: String,
    pub street: String,
    pub house: String,
    pub apartment: Option<String>,
    #[sqlx(skip)]
    pub contracts: Vec<ContractView>,
}

impl ContractView {
    pub fn status_label(&self) -> &'static str {
        self.status.label_ru()
    }
}

impl AccountView {
    pub fn address(&self) -> String {
        let mut s = String::new();
        if !self.postcode.is_empty() {
            s.push_str(&self.postcode);
            s.push_str(", ");
        }
        s.push_str(&format!(
            "{}, {}, д. {}",
            self.settlement, self.street, self.house
        ));
        if let Some(a) = &self.apartment {
            s.push_str(&format!(", кв. {a}"));
        }
        s
    }

    pub fn category_label(&self) -> &'static str {
        self.category.label_ru()
    }

    pub fn status_label(&self) -> &'static str {
        self.status.label_ru()
    }
}

const ACCOUNT_SELECT: &str =
    "SELECT a.id, a.number, a.client_id, a.branch_id, b.name AS branch_name, a.category,
        a.residents, a.rooms, a.status, a.opened_on, a.closed_on,
        p.postcode, p.settlement, p.street, p.house, p.apartment
     FROM accounts a JOIN premises p ON p.id = a.premises_id JOIN branches b ON b.id = a.branch_id";

/// The documents of a supply contract, for the record of a contract concluded at the counter.
pub fn contract_documents_text() -> String {
    abonent_domain::accounts::CONTRACT_DOCUMENTS
        .iter()
        .map(|d| d.label)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The typical contract form for a tariff category (ACC-03).
pub fn typical_contract_form(c: AccountCategory) -> String {
    format!(
        "Типовой договор энергоснабжения гражданина-потребителя ({})",
        c.label_ru()
    )
}

impl Store {
    /// Opens an account with its premises and a concluded typical contract, in one transaction.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_account(&self, a: &AccountData, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let (premises_id,): (i64,) = sqlx::query_as(
            "INSERT INTO premises (postcode, settlement, street, house, apartment, address_key)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&a.premises.postcode)
        .bind(&a.premises.settlement)
        .bind(&a.premises.street)
        .bind(&a.premises.house)
        .bind(&a.premises.apartment)
        .bind(a.premises.search_key())
        .fetch_one(&mut *tx)
        .await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO accounts (number, client_id, premises_id, branch_id, category, residents, rooms,
                 status, opened_on, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(a.number.as_str())
        .bind(a.client_id)
        .bind(premises_id)
        .bind(a.branch_id)
        .bind(a.category.code())
        .bind(a.residents)
        .bind(a.rooms)
        .bind(AccountStatus::Active.code())
        .bind(a.opened_on.to_string())
        .bind(now_micros())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                refused(AccountsRefusal::NumberTaken)
            } else {
                StoreError::Db(e)
            }
        })?;
        let (contract_id,): (i64,) = sqlx::query_as(
            "INSERT INTO contracts (account_id, number, typical_form, status, applied_on, concluded_on, documents)
             VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id",
        )
        .bind(id)
        .bind(format!("ЭС-{}", a.number))
        .bind(typical_contract_form(a.category))
        .bind(ContractStatus::Concluded.code())
        .bind(a.opened_on.to_string())
        .bind(contract_documents_text())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO contract_status_history (contract_id, status, at, staff_id, note) VALUES ($1, $2, $3, $4, '')",
        )
        .bind(contract_id)
        .bind(ContractStatus::Concluded.code())
        .bind(now_micros())
        .bind(actor.staff_id)
        .execute(&mut *tx)
        .await?;
        audit_in(
            &mut tx,
            actor,
            "account.create",
            "client",
            &a.client_id.to_string(),
            &format!("account {}", a.number),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Opens an account with the next free number for an existing client; a number taken by a
    /// concurrent instance is retried with the next one.
    #[tracing::instrument(level = "debug", skip_all, fields(client_id = client_id))]
    pub async fn open_account(
        &self,
        client_id: i64,
        a: &abonent_domain::accounts::AccountInput,
        actor: &Actor,
    ) -> Result<(i64, AccountNumber)> {
        self.client(client_id).await?;
        self.branch(a.branch_id).await.map_err(|e| match e {
            StoreError::NotFound => refused(OrgRefusal::NoSuchBranch),
            e => e,
        })?;
        let data = |number: AccountNumber| AccountData {
            number,
            client_id,
            branch_id: a.branch_id,
            premises: PremisesData {
                postcode: a.postcode.clone(),
                settlement: a.settlement.clone(),
                street: a.street.clone(),
                house: a.house.clone(),
                apartment: a.apartment.clone(),
            },
            category: a.category,
            residents: a.residents,
            rooms: a.rooms,
            opened_on: a.opened_on,
        };
        let mut attempt = 0;
        loop {
            let number = AccountNumber::from_serial(self.max_account_serial().await? + 1);
            match self.create_account(&data(number.clone()), actor).await {
                Ok(id) => return Ok((id, number)),
                Err(StoreError::Refused(Refusal::Accounts(AccountsRefusal::NumberTaken)))
                    if attempt < 5 =>
                {
                    attempt += 1
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The client's accounts with premises and contracts.
    #[tracing::instrument(level = "debug", skip_all, fields(client_id = client_id))]
    pub async fn accounts_of_client(&self, client_id: i64) -> Result<Vec<AccountView>> {
        let mut accounts: Vec<AccountView> = sqlx::query_as(&format!(
            "{ACCOUNT_SELECT} WHERE a.client_id = $1 ORDER BY a.number"
        ))
        .bind(client_id)
        .fetch_all(self.pool())
        .await?;
        for a in &mut accounts {
            a.contracts = sqlx::query_as(
                "SELECT id, number, typical_form, status, applied_on, concluded_on, documents
                 FROM contracts WHERE account_id = $1 ORDER BY applied_on DESC, id DESC",
            )
            .bind(a.id)
            .fetch_all(self.pool())
            .await?;
        }
        Ok(accounts)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn account(&self, id: i64) -> Result<AccountView> {
        sqlx::query_as(&format!("{ACCOUNT_SELECT} WHERE a.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn account_by_number(&self, number: &AccountNumber) -> Result<AccountView> {
        sqlx::query_as(&format!("{ACCOUNT_SELECT} WHERE a.number = $1"))
            .bind(number.as_str())
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// The largest account serial in use, so new numbers continue after it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn max_account_serial(&self) -> Result<u32> {
        let (n,): (Option<String>,) = sqlx::query_as("SELECT MAX(number) FROM accounts")
            .fetch_one(self.pool())
            .await?;
        Ok(n.and_then(|n| n.get(..9).and_then(|s| s.parse().ok()))
            .unwrap_or(0))
    }
}
