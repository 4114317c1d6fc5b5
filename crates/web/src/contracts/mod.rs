//! Supply contracts in writing (ACC-03). In the personal account a client applies for the
//! typical contract of an account's category with the documents checklist — each document
//! attached as a file or to be brought to a service centre — and follows its status. Staff see
//! the applications, open the files (audited) and conclude the contract on a date or refuse it
//! with the reason; every status is kept in the history.

use std::collections::HashMap;

use abonent_domain::accounts::{ContractStatus, CONTRACT_DOCUMENTS};
use abonent_domain::org::Permission;
use abonent_domain::validation::FieldErrors;
use abonent_store::contracts::{ContractApplication, ContractRecord};
use abonent_store::StoreError;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use crate::auth::client::CurrentClient;
use crate::auth::CurrentStaff;
use crate::common::clock::format_time;
use crate::common::forms::Opt;
use crate::common::layout::{render, ru_date, Chrome};
use crate::common::portal_chrome::PortalChrome;
use crate::common::uploads::{check_uploads, Upload, MAX_TOTAL_BYTES};
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/my/contract",
            get(portal_page)
                .post(portal_apply)
                .layer(DefaultBodyLimit::max(MAX_TOTAL_BYTES + 1024 * 1024)),
        )
        .route("/contracts", get(applications))
        .route("/contracts/{id}", get(staff_page))
        .route("/contracts/{id}/decision", post(decide))
        .route("/contracts/{id}/files/{file}", get(file))
}

/// A contract with its history, for both sides.
pub struct ContractBox {
    pub c: ContractRecord,
    pub history: Vec<HistoryLine>,
    pub files: Vec<abonent_store::contracts::ContractFile>,
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

struct DocField {
    code: &'static str,
    label: &'static str,
    bring: bool,
}

struct AccountContracts {
    number: String,
    address: String,
    contracts: Vec<ContractBox>,
}

#[derive(Template)]
#[template(path = "portal/contract.html")]
struct PortalPage {
    chrome: PortalChrome,
    accounts: Vec<AccountContracts>,
    options: Vec<Opt>,
    account: String,
    docs: Vec<DocField>,
    comment: String,
    errors: FieldErrors,
    applied: bool,
}

#[derive(Deserialize, Default)]
pub struct AppliedQuery {
    #[serde(default)]
    applied: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn portal_view(
    state: &AppState,
    me: &CurrentClient,
    typed: Option<&HashMap<String, String>>,
    errors: FieldErrors,
    applied: bool,
) -> Result<PortalPage, WebError> {
    let tz = crate::common::clock::company_tz(state).clone();
    let mut accounts = Vec::new();
    let mut options = Vec::new();
    for &id in &me.accounts {
        let a = state.store.account(id).await?;
        let mut contracts = Vec::new();
        for c in state.store.contracts_of_account(id).await? {
            contracts.push(contract_box(state, c, &tz).await?);
        }
        options.push(Opt {
            code: a.number.clone(),
            label: format!("№ {}, {}", a.number, a.address()),
        });
        accounts.push(AccountContracts {
            number: a.number.clone(),
            address: a.address(),
            contracts,
        });
    }
    let field = |k: &str| typed.and_then(|t| t.get(k)).cloned().unwrap_or_default();
    Ok(PortalPage {
        chrome: PortalChrome {
            title: "Договор энергоснабжения".into(),
            email: Some(me.user.login()),
            csrf: me.csrf_token.clone(),
        },
        account: typed
            .map(|_| field("account"))
            .unwrap_or_else(|| options.first().map(|o| o.code.clone()).unwrap_or_default()),
        accounts,
        options,
        docs: CONTRACT_DOCUMENTS
            .iter()
            .filter(|d| d.from_client)
            .map(|d| DocField {
                code: d.code,
                label: d.label,
                bring: field(&format!("bring_{}", d.code)) == "yes",
            })
            .collect(),
        comment: field("comment"),
        errors,
        applied,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn portal_page(
    State(state): State<AppState>,
    me: CurrentClient,
    Query(q): Query<AppliedQuery>,
) -> Result<Response, PageError> {
    let page = portal_view(&state, &me, None, FieldErrors::new(), !q.applied.is_empty()).await?;
    Ok(render(&page)?.into_response())
}

/// A multipart form: text fields, and files by field name.
type FormParts = (HashMap<String, String>, HashMap<String, Upload>);

/// Text fields, and files by field name.
#[tracing::instrument(level = "debug", skip_all)]
async fn read_form(mut mp: Multipart) -> Result<FormParts, WebError> {
    let mut fields = HashMap::new();
    let mut files = HashMap::new();
    let too_big = |_| {
        WebError::from(FieldErrors::single(
            "comment",
            format!(
                "Файлы вместе больше {} МБ: выберите их снова, поменьше.",
                MAX_TOTAL_BYTES / 1024 / 1024
            ),
        ))
    };
    while let Some(field) = mp.next_field().await.map_err(too_big)? {
        let name = field.name().unwrap_or("").to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file_name) => {
                let content = field.bytes().await.map_err(too_big)?.to_vec();
                files.insert(name, Upload { file_name, content });
            }
            None => {
                fields.insert(name, field.text().await.map_err(too_big)?);
            }
        }
    }
    Ok((fields, files))
}

#[tracing::instrument(level = "debug", skip_all)]
async fn portal_apply(
    State(state): State<AppState>,
    me: CurrentClient,
    mp: Multipart,
) -> Result<Response, PageError> {
    let (fields, mut uploads) = match read_form(mp).await {
        Ok(v) => v,
        Err(WebError::Invalid(e)) => {
            let page = portal_view(&state, &me, None, e, false).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    me.check_csrf(fields.get("_csrf").map_or("", |s| s.as_str()))?;
    let mut e = FieldErrors::new();
    let number = fields.get("account").map_or("", |s| s.trim());
    let account = match abonent_domain::accounts::AccountNumber::parse(number) {
        Ok(n) => match state.store.account_by_number(&n).await {
            Ok(a) => Some(a),
            Err(StoreError::NotFound) => None,
            Err(err) => return Err(WebError::from(err).into()),
        },
        Err(_) => None,
    };
    match &account {
        Some(a) => me.require_account(&state, a.id).await?,
        None => e.add("account", "Выберите лицевой счёт из списка."),
    }
    let mut files = Vec::new();
    let mut in_person = Vec::new();
    for d in CONTRACT_DOCUMENTS.iter().filter(|d| d.from_client) {
        let field = format!("doc_{}", d.code);
        let upload = uploads
            .remove(&field)
            .filter(|u| !(u.file_name.is_empty() && u.content.is_empty()));
        let bring = fields
            .get(&format!("bring_{}", d.code))
            .is_some_and(|v| v == "yes");
        match (upload, bring) {
            (Some(u), _) => match check_uploads(vec![u]) {
                Ok(mut ok) => files.push((d.code.to_owned(), ok.remove(0))),
                Err(fe) => {
                    for x in fe.0 {
                        e.add(&field, x.detail);
                    }
                }
            },
            (None, true) => in_person.push(d.code.to_owned()),
            (None, false) => e.add(
                &field,
                format!(
                    "«{}»: приложите файл или отметьте, что принесёте документ в центр обслуживания.",
                    capitalize(d.label)
                ),
            ),
        }
    }
    let comment = fields.get("comment").map_or("", |s| s.trim()).to_owned();
    if comment.chars().count() > 1000 {
        e.add("comment", "Комментарий — не длиннее 1000 символов.");
    }
    let again = |errors: FieldErrors| {
        let state = state.clone();
        let me = me.clone();
        let fields = fields.clone();
        async move {
            let page = portal_view(&state, &me, Some(&fields), errors, false).await?;
            Ok::<_, PageError>((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    };
    let account = match (account, e.is_empty()) {
        (Some(a), true) => a,
        _ => return again(e).await,
    };
    let tz = crate::common::clock::company_tz(&state).clone();
    let application = ContractApplication {
        account_id: account.id,
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
        Ok(_) => Ok(Redirect::to("/my/contract?applied=1").into_response()),
        Err(StoreError::Refused(r)) => again(FieldErrors::single("account", r.to_string())).await,
        Err(err) => Err(WebError::from(err).into()),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

// ---- Staff ----

struct ApplicationRow {
    id: i64,
    number: String,
    account: String,
    client_id: i64,
    applied_on: String,
    typical_form: String,
}

#[derive(Template)]
#[template(path = "clients/contracts.html")]
struct ApplicationsPage {
    chrome: Chrome,
    rows: Vec<ApplicationRow>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn applications(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Response, PageError> {
    me.require(Permission::ViewClients)?;
    let rows = state
        .store
        .contract_applications(200)
        .await?
        .into_iter()
        .map(|c| ApplicationRow {
            id: c.id,
            applied_on: ru_date(&c.applied_on),
            number: c.number,
            account: c.account_number,
            client_id: c.client_id,
            typical_form: c.typical_form,
        })
        .collect();
    Ok(render(&ApplicationsPage {
        chrome: Chrome::for_staff("Заявления на договор", &me, "clients"),
        rows,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "clients/contract.html")]
struct StaffPage {
    chrome: Chrome,
    b: ContractBox,
    can_decide: bool,
    date: String,
    note: String,
    errors: FieldErrors,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn staff_view(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    date: Option<String>,
    note: String,
    errors: FieldErrors,
) -> Result<StaffPage, WebError> {
    me.require_audited(state, Permission::ViewClients, "contract", &id.to_string())
        .await?;
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
    let tz = me.zone.clone();
    Ok(StaffPage {
        chrome: Chrome::for_staff(&format!("Договор № {}", c.number), me, "clients"),
        b: contract_box(state, c, &tz).await?,
        can_decide: me.can(Permission::EditClients),
        date: date.unwrap_or_else(|| crate::common::clock::today_in(&tz).to_string()),
        note,
        errors,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn staff_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let page = staff_view(&state, &me, id, None, String::new(), FieldErrors::new()).await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// `conclude` or `refuse`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    note: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn decide(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    me.require(Permission::EditClients)?;
    let mut e = FieldErrors::new();
    let conclude = f.action == "conclude";
    let date = f.date.trim().parse::<jiff::civil::Date>();
    if conclude && date.is_err() {
        e.add("date", "Дата заключения в виде ГГГГ-ММ-ДД.");
    }
    let note = f.note.trim();
    if !conclude && note.is_empty() {
        e.add("note", "Укажите причину отказа: её увидит клиент.");
    }
    if note.chars().count() > 1000 {
        e.add("note", "Не длиннее 1000 символов.");
    }
    let result = if e.is_empty() {
        let day = date.unwrap_or_else(|_| crate::common::clock::today_in(&me.zone));
        state
            .store
            .decide_contract(id, conclude, day, note, &me.actor())
            .await
            .map_err(|err| match err {
                StoreError::Refused(r) => FieldErrors::single("note", r.to_string()),
                other => {
                    tracing::error!(error = %other, "contract decision failed");
                    FieldErrors::single("note", "Не удалось сохранить решение, повторите.")
                }
            })
    } else {
        Err(e)
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/contracts/{id}")).into_response()),
        Err(errors) => {
            let page = staff_view(
                &state,
                &me,
                id,
                Some(f.date.clone()),
                f.note.clone(),
                errors,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn file(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((id, file_id)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    me.require_audited(&state, Permission::ViewClients, "contract", &id.to_string())
        .await?;
    let (contract, name, content_type, content) = state.store.contract_file(file_id).await?;
    if contract != id {
        return Err(WebError::NotFound("Такого файла нет.".into()).into());
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
    Ok(crate::common::download::download(
        &format!("contract-{id}-{file_id}"),
        &name,
        &content_type,
        content,
    ))
}
