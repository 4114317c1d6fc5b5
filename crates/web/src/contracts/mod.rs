//! Supply contracts in writing (ACC-03). In the personal account a client applies for the
//! typical contract of an account's category with the documents checklist — each document
//! attached as a file or to be brought to a service centre — and follows its status. Staff see
//! the applications, open the files (audited) and conclude the contract on a date or refuse it
//! with the reason; every status is kept in the history.
//! The one place where their rights are checked; `pages.rs` is its adapter.

pub mod pages;

use abonent_domain::accounts::{AccountNumber, ContractStatus};
use abonent_domain::org::Permission;
use abonent_domain::validation::FieldErrors;
use abonent_store::appeals::NewAttachment;
use abonent_store::contracts::{ContractApplication, ContractFile, ContractRecord};
use abonent_store::StoreError;

use crate::auth::client::CurrentClient;
use crate::auth::CurrentStaff;
use crate::common::clock::format_time;
use crate::{AppState, WebError};

/// What a staff member may do with the contracts.
pub struct Rights;

impl Rights {
    /// The list of applications.
    pub fn view(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ViewClients)
    }
    /// A contract and its files: personal data, so a refusal is audited.
    pub async fn view_contract(
        state: &AppState,
        me: &CurrentStaff,
        id: i64,
    ) -> Result<(), WebError> {
        me.require_audited(state, Permission::ViewClients, "contract", &id.to_string())
            .await
    }
    /// Concluding or refusing a contract.
    pub fn decide(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::EditClients)
    }
    pub fn may_decide(me: &CurrentStaff) -> bool {
        me.can(Permission::EditClients)
    }
}

/// A contract with its history, for both sides.
pub struct ContractBox {
    pub c: ContractRecord,
    pub history: Vec<HistoryLine>,
    pub files: Vec<ContractFile>,
}

pub struct HistoryLine {
    pub status: &'static str,
    pub at: String,
    pub who: String,
    pub note: String,
}

impl ContractBox {
    pub fn applied(&self) -> bool {
        self.c.status == ContractStatus::Applied
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn contract_box(
    state: &AppState,
    c: ContractRecord,
    tz: &jiff::tz::TimeZone,
) -> Result<ContractBox, WebError> {
    let history = state
        .store
        .contract_history(c.id)
        .await?
        .into_iter()
        .map(|h| HistoryLine {
            status: h.status.label_ru(),
            at: format_time(h.at, tz),
            who: h.staff_name.unwrap_or_else(|| "клиент".into()),
            note: h.note,
        })
        .collect();
    let files = state.store.contract_files(c.id).await?;
    Ok(ContractBox { c, history, files })
}

pub fn document_label(code: &str) -> &'static str {
    abonent_domain::accounts::contract_document(code).map_or("документ", |d| d.label)
}

// ---- The personal account ----

/// A client's account with its contracts.
pub struct AccountContracts {
    pub number: String,
    pub address: String,
    pub contracts: Vec<ContractBox>,
}

/// The contracts of every account of the signed-in client.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn client_contracts(
    state: &AppState,
    me: &CurrentClient,
) -> Result<Vec<AccountContracts>, WebError> {
    let tz = crate::common::clock::company_tz(state).clone();
    let mut accounts = Vec::new();
    for &id in &me.accounts {
        let a = state.store.account(id).await?;
        let mut contracts = Vec::new();
        for c in state.store.contracts_of_account(id).await? {
            contracts.push(contract_box(state, c, &tz).await?);
        }
        accounts.push(AccountContracts {
            number: a.number.clone(),
            address: a.address(),
            contracts,
        });
    }
    Ok(accounts)
}

/// The id of the account with the number typed, when there is one; someone else's account is
/// refused (and the attempt audited).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn client_account(
    state: &AppState,
    me: &CurrentClient,
    number: &str,
) -> Result<Option<i64>, WebError> {
    let account = match AccountNumber::parse(number) {
        Ok(n) => match state.store.account_by_number(&n).await {
            Ok(a) => Some(a.id),
            Err(StoreError::NotFound) => None,
            Err(err) => return Err(err.into()),
        },
        Err(_) => None,
    };
    if let Some(id) = account {
        me.require_account(state, id).await?;
    }
    Ok(account)
}

/// Applies for the contract of the client's account with the documents attached (by document
/// code) and those to be brought in person; a refusal is an error of the account field.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn apply(
    state: &AppState,
    me: &CurrentClient,
    account_id: i64,
    files: Vec<(String, NewAttachment)>,
    in_person: Vec<String>,
    comment: String,
) -> Result<(), WebError> {
    me.require_account(state, account_id).await?;
    let tz = crate::common::clock::company_tz(state).clone();
    let application = ContractApplication {
        account_id,
        files,
        in_person,
        comment,
        applied_on: crate::common::clock::today_in(&tz),
    };
    match state
        .store
        .apply_for_contract(&application, &me.actor())
        .await
    {
        Ok(_) => Ok(()),
        Err(StoreError::Refused(r)) => Err(FieldErrors::single("account", r.to_string()).into()),
        Err(err) => Err(err.into()),
    }
}

// ---- Staff ----

/// The latest applications.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn applications(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<Vec<ContractRecord>, WebError> {
    Rights::view(me)?;
    Ok(state.store.contract_applications(200).await?)
}

/// A contract with its history and files; the view is audited.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn contract(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
) -> Result<ContractBox, WebError> {
    Rights::view_contract(state, me, id).await?;
    let c = state.store.contract(id).await?;
    state
        .store
        .audit(
            &me.actor(),
            "contract.view",
            "contract",
            &id.to_string(),
            "",
        )
        .await?;
    contract_box(state, c, &me.zone).await
}

/// Concludes the contract on `day` or refuses it with the reason in `note`; what goes wrong
/// is an error of the note field.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn decide(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    conclude: bool,
    day: jiff::civil::Date,
    note: &str,
) -> Result<(), WebError> {
    Rights::decide(me)?;
    state
        .store
        .decide_contract(id, conclude, day, note, &me.actor())
        .await
        .map_err(|err| match err {
            StoreError::Refused(r) => FieldErrors::single("note", r.to_string()).into(),
            other => {
                tracing::error!(error = %other, "contract decision failed");
                FieldErrors::single("note", "Не удалось сохранить решение, повторите.").into()
            }
        })
}

/// A file of a contract: its name, content type and content; the download is audited.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn file(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    file_id: i64,
) -> Result<(String, String, Vec<u8>), WebError> {
    Rights::view_contract(state, me, id).await?;
    let (contract, name, content_type, content) = state.store.contract_file(file_id).await?;
    if contract != id {
        return Err(WebError::NotFound("Такого файла нет.".into()));
    }
    state
        .store
        .audit(
            &me.actor(),
            "contract.file",
            "contract",
            &id.to_string(),
            &format!("file {file_id}"),
        )
        .await?;
    Ok((name, content_type, content))
}
