//! Contract pages (ACC-03): the client's application with the documents checklist in the
//! personal account, and the staff's list of applications, the contract with its files and the
//! decision.

use std::collections::HashMap;

use abonent_domain::accounts::CONTRACT_DOCUMENTS;
use abonent_domain::validation::FieldErrors;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::{AccountContracts, ContractBox};
use crate::auth::client::CurrentClient;
use crate::auth::CurrentStaff;
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

// ---- The personal account ----

struct DocField {
    code: &'static str,
    label: &'static str,
    bring: bool,
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
    let accounts = super::client_contracts(state, me).await?;
    let options: Vec<Opt> = accounts
        .iter()
        .map(|a| Opt {
            code: a.number.clone(),
            label: format!("№ {}, {}", a.number, a.address),
        })
        .collect();
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
                let v = field.text().await.map_err(too_big)?;
                if v.contains('\0') {
                    return Err(crate::common::body::refusal(&name));
                }
                fields.insert(name, v);
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
    let account = super::client_account(&state, &me, number).await?;
    if account.is_none() {
        e.add("account", "Выберите лицевой счёт из списка.");
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
    match super::apply(&state, &me, account, files, in_person, comment).await {
        Ok(()) => Ok(Redirect::to("/my/contract?applied=1").into_response()),
        Err(WebError::Invalid(errors)) => again(errors).await,
        Err(err) => Err(err.into()),
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
    let rows = super::applications(&state, &me)
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
    let b = super::contract(state, me, id).await?;
    Ok(StaffPage {
        chrome: Chrome::for_staff(&format!("Договор № {}", b.c.number), me, "clients"),
        b,
        can_decide: super::Rights::may_decide(me),
        date: date.unwrap_or_else(|| crate::common::clock::today_in(&me.zone).to_string()),
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
    super::Rights::decide(&me)?;
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
        super::decide(&state, &me, id, conclude, day, note).await
    } else {
        Err(WebError::Invalid(e))
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/contracts/{id}")).into_response()),
        Err(WebError::Invalid(errors)) => {
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
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn file(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((id, file_id)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let (name, content_type, content) = super::file(&state, &me, id, file_id).await?;
    Ok(crate::common::download::download(
        &format!("contract-{id}-{file_id}"),
        &name,
        &content_type,
        content,
    ))
}
