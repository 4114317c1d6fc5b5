//! Client pages: search, card, new and edit forms.

use abonent_domain::accounts::{AccountCategory, AccountDraft};
use abonent_domain::clients::{
    format_phone, Channel, ClientDraft, ConsentKind, VulnerableCategory,
};
use abonent_domain::validation::FieldErrors;
use abonent_store::accounts::AccountView;
use abonent_store::clients::SearchHit;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::Rights;
use crate::auth::CurrentStaff;
use crate::common::clock::format_time;
use crate::common::forms::form_outcome;
use crate::common::layout::{render, Chrome};
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/clients", get(search_page))
        .route("/clients/new", get(new_form).post(create))
        .route("/clients/{id}", get(card_page))
        .route("/clients/{id}/edit", get(edit_form).post(update))
        .route("/clients/{id}/export", get(export_file))
        .route(
            "/clients/{id}/accounts/new",
            get(account_form).post(account_create),
        )
}

#[derive(Template)]
#[template(path = "clients/search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    hits: Option<Vec<SearchHit>>,
    error: Option<String>,
    can_create: bool,
    limit: i64,
}

#[derive(Deserialize, Default)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn search_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<SearchParams>,
) -> Result<Response, PageError> {
    Rights::view(&state, &me, "client_search", "").await?;
    let mut page = SearchPage {
        chrome: Chrome::for_staff("Поиск клиентов", &me, "clients"),
        q: p.q.clone(),
        hits: None,
        error: None,
        can_create: Rights::may_edit(&me),
        limit: super::SEARCH_LIMIT,
    };
    let mut status = StatusCode::OK;
    if !p.q.trim().is_empty() {
        match super::search(&state, &me, &p.q).await {
            Ok(h) => page.hits = Some(h),
            Err(WebError::Invalid(e)) => {
                page.error = e.get("q").map(str::to_owned);
                status = StatusCode::UNPROCESSABLE_ENTITY;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok((status, render(&page)?).into_response())
}

/// One labelled fact for the card.
pub struct Labelled {
    pub label: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "clients/card.html")]
struct CardPage {
    chrome: Chrome,
    id: i64,
    full_name: String,
    phones: Vec<String>,
    email: String,
    postal_address: String,
    channel: String,
    vulnerable: Vec<String>,
    vulnerable_note: String,
    consents: Vec<Labelled>,
    accounts: Vec<AccountView>,
    can_edit: bool,
    updated: String,
    saved: bool,
    /// The client's appeals, newest first (APL-07: the history of the same person).
    appeals: Vec<ClientAppeal>,
    can_register_appeal: bool,
    /// Meters of all the client's accounts (MTR-01), with the last accepted readings.
    meters: Vec<abonent_store::metering::MeterView>,
    can_billing: bool,
    /// Home visits (CHN-06): request one, see the client's.
    can_request_home_visit: bool,
    can_view_home_visits: bool,
}

/// One of the client's appeals on the card.
pub struct ClientAppeal {
    pub id: i64,
    pub number: String,
    pub registered: String,
    pub status: &'static str,
    pub repeat: bool,
}

#[derive(Deserialize, Default)]
pub struct CardParams {
    #[serde(default)]
    saved: Option<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn card_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(p): Query<CardParams>,
) -> Result<Response, PageError> {
    let super::CardView {
        card,
        meters,
        appeals,
    } = super::card_view(&state, &me, id).await?;
    let c = card.client;
    let tz = &me.zone;
    let consents = c
        .consents
        .iter()
        .map(|k| Labelled {
            label: k.kind.label_ru().to_owned(),
            detail: match k.withdrawn_at {
                None => format!("дано {}", format_time(k.given_at, tz)),
                Some(w) => format!(
                    "дано {}, отозвано {}",
                    format_time(k.given_at, tz),
                    format_time(w, tz)
                ),
            },
        })
        .collect();
    let page = CardPage {
        chrome: Chrome::for_staff(&c.full_name, &me, "clients"),
        id: c.id,
        full_name: c.full_name.clone(),
        phones: c.phones.iter().map(|p| format_phone(p)).collect(),
        email: c.email.clone().unwrap_or_default(),
        postal_address: c.postal_address.clone().unwrap_or_default(),
        channel: c.preferred_channel.label_ru().to_owned(),
        vulnerable: c
            .vulnerable
            .iter()
            .map(|v| v.label_ru().to_owned())
            .collect(),
        vulnerable_note: c.vulnerable_note.clone().unwrap_or_default(),
        consents,
        accounts: card.accounts,
        can_edit: Rights::may_edit(&me),
        updated: format_time(c.updated_at, tz),
        saved: p.saved.is_some(),
        appeals: appeals
            .into_iter()
            .map(|a| ClientAppeal {
                id: a.id,
                number: a.number,
                registered: format_time(a.registered_at, tz),
                status: a.status.label_ru(),
                repeat: a.repeat_of.is_some(),
            })
            .collect(),
        can_register_appeal: Rights::may_register_appeals(&me),
        meters,
        can_billing: Rights::may_view_billing(&me),
        can_request_home_visit: Rights::may_request_home_visit(&me),
        can_view_home_visits: Rights::may_view_home_visits(&me),
    };
    Ok(render(&page)?.into_response())
}

/// A checkbox in a group.
pub struct Choice {
    pub code: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "clients/form.html")]
struct FormPage {
    chrome: Chrome,
    action: String,
    heading: String,
    form: ClientDraft,
    version: i64,
    channels: Vec<Choice>,
    vulnerable: Vec<Choice>,
    consents: Vec<Choice>,
    errors: FieldErrors,
    cancel: String,
}

fn form_page(
    me: &CurrentStaff,
    id: Option<i64>,
    form: ClientDraft,
    version: i64,
    errors: FieldErrors,
) -> FormPage {
    let heading = match id {
        None => "Новый клиент".to_owned(),
        Some(_) => format!("Изменение данных: {} {}", form.surname, form.first_name),
    };
    FormPage {
        chrome: Chrome::for_staff(&heading, me, "clients"),
        action: id.map_or("/clients/new".into(), |i| format!("/clients/{i}/edit")),
        cancel: id.map_or("/clients".into(), |i| format!("/clients/{i}")),
        heading,
        channels: Channel::ALL
            .iter()
            .map(|c| Choice {
                code: c.code(),
                label: c.label_ru(),
                checked: form.preferred_channel == c.code(),
            })
            .collect(),
        vulnerable: VulnerableCategory::ALL
            .iter()
            .map(|c| Choice {
                code: c.code(),
                label: c.label_ru(),
                checked: form.vulnerable.iter().any(|v| v == c.code()),
            })
            .collect(),
        consents: ConsentKind::ALL
            .iter()
            .map(|c| Choice {
                code: c.code(),
                label: c.label_ru(),
                checked: form.consents.iter().any(|v| v == c.code()),
            })
            .collect(),
        form,
        version,
        errors,
    }
}

/// The client form as posted: repeated checkboxes arrive as lists.
#[derive(Deserialize, Default)]
pub struct ClientForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    surname: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    patronymic: String,
    #[serde(default)]
    phones: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    postal_address: String,
    #[serde(default)]
    preferred_channel: String,
    #[serde(default)]
    vulnerable: Vec<String>,
    #[serde(default)]
    vulnerable_note: String,
    #[serde(default)]
    consents: Vec<String>,
}

impl ClientForm {
    fn draft(self) -> ClientDraft {
        ClientDraft {
            surname: self.surname,
            first_name: self.first_name,
            patronymic: self.patronymic,
            phones: self.phones,
            email: self.email,
            postal_address: self.postal_address,
            preferred_channel: self.preferred_channel,
            vulnerable: self.vulnerable,
            vulnerable_note: self.vulnerable_note,
            consents: self.consents,
        }
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn new_form(State(state): State<AppState>, me: CurrentStaff) -> Result<Response, PageError> {
    Rights::edit(&state, &me, "client", "new").await?;
    let draft = ClientDraft {
        preferred_channel: Channel::Post.code().into(),
        consents: vec![ConsentKind::PersonalData.code().into()],
        ..Default::default()
    };
    Ok(render(&form_page(&me, None, draft, 0, FieldErrors::new()))?.into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn create(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<ClientForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let draft = f.draft();
    let result = super::create(&state, &me, &draft).await;
    form_outcome(
        "surname",
        result,
        |id| format!("/clients/{id}?saved=1"),
        |errors| render(&form_page(&me, None, draft, 0, errors)),
    )
}

#[tracing::instrument(level = "debug", skip_all)]
async fn edit_form(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    Rights::edit(&state, &me, "client", &id.to_string()).await?;
    let card = super::open_card(&state, &me, id).await?;
    let draft = super::draft_of(&card.client);
    Ok(render(&form_page(
        &me,
        Some(id),
        draft,
        card.client.version,
        FieldErrors::new(),
    ))?
    .into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn update(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<ClientForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let version = f.version;
    let draft = f.draft();
    // A stale version is refused with 409; the form keeps what the person typed.
    let result = super::update(&state, &me, id, version, &draft).await;
    form_outcome(
        "version",
        result,
        |_| format!("/clients/{id}?saved=1"),
        |errors| render(&form_page(&me, Some(id), draft, version, errors)),
    )
}

/// The client's data as a JSON file to hand over on the client's request.
#[tracing::instrument(level = "debug", skip_all)]
async fn export_file(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let data = super::export(&state, &me, id).await?;
    let body = serde_json::to_string_pretty(&data).map_err(|e| WebError::Internal(e.into()))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"client-{id}.json\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "clients/account_form.html")]
struct AccountFormPage {
    chrome: Chrome,
    client_id: i64,
    client_name: String,
    form: AccountDraft,
    branches: Vec<abonent_store::org::Branch>,
    categories: Vec<Choice>,
    errors: FieldErrors,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn account_page(
    state: &AppState,
    me: &CurrentStaff,
    client_id: i64,
    form: AccountDraft,
    errors: FieldErrors,
) -> Result<axum::response::Html<String>, PageError> {
    let (client_name, branches) = super::account_form_data(state, me, client_id).await?;
    render(&AccountFormPage {
        chrome: Chrome::for_staff("Открытие лицевого счёта", me, "clients"),
        client_id,
        client_name,
        categories: AccountCategory::ALL
            .iter()
            .map(|c| Choice {
                code: c.code(),
                label: c.label_ru(),
                checked: form.category == c.code(),
            })
            .collect(),
        form,
        branches,
        errors,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn account_form(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    Rights::edit(&state, &me, "client", &id.to_string()).await?;
    let form = AccountDraft {
        branch_id: me
            .staff
            .branch_id
            .map(|b| b.to_string())
            .unwrap_or_default(),
        category: AccountCategory::Urban.code().into(),
        residents: "1".into(),
        rooms: "1".into(),
        opened_on: super::today_for(&me).to_string(),
        ..Default::default()
    };
    Ok(account_page(&state, &me, id, form, FieldErrors::new())
        .await?
        .into_response())
}

#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    account: AccountDraft,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn account_create(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<AccountForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match super::open_account(&state, &me, id, &f.account).await {
        Ok(_) => Ok(Redirect::to(&format!("/clients/{id}?saved=1")).into_response()),
        Err(WebError::Invalid(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            account_page(&state, &me, id, f.account, errors).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}
