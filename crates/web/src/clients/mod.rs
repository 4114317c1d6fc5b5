//! Clients in the workspace: search, the card, creation and editing (ACC-01, ACC-02, ACC-04).
//! Rights and the personal-data audit (ORG-05) are decided here, once, for the API and pages.

pub mod api;
pub mod pages;

use abonent_domain::clients::ClientDraft;
use abonent_domain::org::Permission;
use abonent_domain::refusal::{OrgRefusal, Refusal};
use abonent_domain::search::SearchQuery;
use abonent_domain::validation::FieldErrors;
use abonent_store::accounts::AccountView;
use abonent_store::appeals::{AppealFilter, AppealRow};
use abonent_store::clients::{ClientRecord, SearchHit};
use abonent_store::metering::MeterView;
use abonent_store::org::Branch;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::CurrentStaff;
use crate::{AppState, WebError};

/// Search results are capped; a narrower query finds the rest.
pub const SEARCH_LIMIT: i64 = 50;

/// The rights of the clients' capability; a refusal to see or change personal data is audited
/// against the object asked for. The adapters ask these; `tests/http.rs` walks every route.
pub struct Rights;

impl Rights {
    /// Searching and opening clients.
    pub async fn view(
        state: &AppState,
        me: &CurrentStaff,
        object_kind: &str,
        object_id: &str,
    ) -> Result<(), WebError> {
        me.require_audited(state, Permission::ViewClients, object_kind, object_id)
            .await
    }
    /// Registering and editing clients, opening accounts.
    pub async fn edit(
        state: &AppState,
        me: &CurrentStaff,
        object_kind: &str,
        object_id: &str,
    ) -> Result<(), WebError> {
        me.require_audited(state, Permission::EditClients, object_kind, object_id)
            .await
    }
    pub fn may_edit(me: &CurrentStaff) -> bool {
        me.can(Permission::EditClients)
    }
    /// The client's appeals on the card.
    pub fn may_view_appeals(me: &CurrentStaff) -> bool {
        me.can(Permission::ViewAppeals)
    }
    /// The link to register an appeal from the card.
    pub fn may_register_appeals(me: &CurrentStaff) -> bool {
        me.can(Permission::RegisterAppeals)
    }
    /// The links to an account's billing from the card.
    pub fn may_view_billing(me: &CurrentStaff) -> bool {
        me.can(Permission::ViewBilling)
    }
    /// The button to request a home visit from the card (CHN-06): those who serve visitors.
    pub fn may_request_home_visit(me: &CurrentStaff) -> bool {
        me.can(Permission::ServeVisitors)
    }
    /// The link to the client's home visits.
    pub fn may_view_home_visits(me: &CurrentStaff) -> bool {
        me.can(Permission::ViewVisits)
    }
}

/// A client's card: personal data with accounts, premises and contracts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientCard {
    pub client: ClientRecord,
    pub accounts: Vec<AccountView>,
}

/// Searches clients; the search itself is audited (who looked for whom).
pub async fn search(
    state: &AppState,
    me: &CurrentStaff,
    q: &str,
) -> Result<Vec<SearchHit>, WebError> {
    Rights::view(state, me, "client_search", "").await?;
    let Some(query) = SearchQuery::classify(q) else {
        return Err(FieldErrors::single(
            "q",
            "Введите не меньше двух символов: номер лицевого счёта, фамилию, адрес или телефон.",
        )
        .into());
    };
    let hits = state.store.search_clients(&query, SEARCH_LIMIT).await?;
    if hits.is_empty() {
        if let Some(message) = mistyped_account_number(q) {
            return Err(FieldErrors::single("q", message).into());
        }
    }
    let kind = match query {
        SearchQuery::AccountNumber(_) => "account",
        SearchQuery::Phone(_) => "phone",
        SearchQuery::Text(_) => "text",
    };
    state
        .store
        .audit(
            &me.actor(),
            "client.search",
            "client_search",
            "",
            &format!("{kind}: {} ({} found)", q.trim(), hits.len()),
        )
        .await?;
    Ok(hits)
}

/// Ten digits typed without a phone prefix that fail the check digit are most likely a mistyped
/// account number: say so instead of "nothing found".
fn mistyped_account_number(q: &str) -> Option<String> {
    let t = q.trim();
    let digits: String = t
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if t.starts_with('+') || digits.len() != abonent_domain::accounts::ACCOUNT_NUMBER_LEN {
        return None;
    }
    abonent_domain::accounts::AccountNumber::parse(&digits).err()
}

/// Everything stored about a client, for the client's own request (152-ФЗ ст. 14, ORG-05).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientExport {
    /// RFC 3339, UTC.
    pub exported_at: String,
    pub client: ClientRecord,
    pub accounts: Vec<AccountView>,
    /// Who accessed or changed the client's data, newest first.
    pub access_log: Vec<abonent_store::audit::AuditEntry>,
}

/// Exports a client's data; audited.
pub async fn export(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
) -> Result<ClientExport, WebError> {
    let card = open_card(state, me, id).await?;
    let access_log = state
        .store
        .audit_entries(&abonent_store::audit::AuditFilter {
            object_kind: Some("client".into()),
            object_id: Some(id.to_string()),
            limit: 1000,
            ..Default::default()
        })
        .await?;
    state
        .store
        .audit(&me.actor(), "client.export", "client", &id.to_string(), "")
        .await?;
    Ok(ClientExport {
        exported_at: jiff::Timestamp::now().to_string(),
        client: card.client,
        accounts: card.accounts,
        access_log,
    })
}

/// Opens a client's card; every view is audited.
pub async fn open_card(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
) -> Result<ClientCard, WebError> {
    Rights::view(state, me, "client", &id.to_string()).await?;
    let client = state.store.client(id).await.map_err(|e| match e {
        abonent_store::StoreError::NotFound => WebError::NotFound("Клиент не найден.".into()),
        e => e.into(),
    })?;
    let accounts = state.store.accounts_of_client(id).await?;
    state
        .store
        .audit(&me.actor(), "client.view", "client", &id.to_string(), "")
        .await?;
    Ok(ClientCard { client, accounts })
}

pub async fn create(state: &AppState, me: &CurrentStaff, d: &ClientDraft) -> Result<i64, WebError> {
    Rights::edit(state, me, "client", "new").await?;
    let data = d.validate()?;
    Ok(state.store.create_client(&data, &me.actor()).await?)
}

pub async fn update(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    version: i64,
    d: &ClientDraft,
) -> Result<i64, WebError> {
    Rights::edit(state, me, "client", &id.to_string()).await?;
    let data = d.validate()?;
    Ok(state
        .store
        .update_client(id, version, &data, &me.actor())
        .await?)
}

/// The card as the page shows it: with the meters of every account and, for those who may see
/// them, the client's latest appeals.
pub struct CardView {
    pub card: ClientCard,
    pub meters: Vec<MeterView>,
    /// Newest first, at most 20; empty for those who may not see appeals.
    pub appeals: Vec<AppealRow>,
}

/// Opens a client's card (audited) with meters and appeals, for the card page.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn card_view(state: &AppState, me: &CurrentStaff, id: i64) -> Result<CardView, WebError> {
    let card = open_card(state, me, id).await?;
    let mut meters = Vec::new();
    for a in &card.accounts {
        meters.extend(state.store.meters_of_account(a.id).await?);
    }
    let appeals = if Rights::may_view_appeals(me) {
        state
            .store
            .list_appeals(&AppealFilter {
                client_id: Some(id),
                limit: 20,
                ..Default::default()
            })
            .await?
    } else {
        Vec::new()
    };
    Ok(CardView {
        card,
        meters,
        appeals,
    })
}

/// What the form for a new account needs: the client's name and the branches to choose from.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn account_form_data(
    state: &AppState,
    me: &CurrentStaff,
    client_id: i64,
) -> Result<(String, Vec<Branch>), WebError> {
    Rights::edit(state, me, "client", &client_id.to_string()).await?;
    let client = state.store.client(client_id).await?;
    Ok((client.full_name, state.store.branches().await?))
}

/// Today's date in the staff member's zone.
pub fn today_for(me: &CurrentStaff) -> jiff::civil::Date {
    crate::common::clock::today_in(&me.zone)
}

/// Opens a new account for a client (ACC-02); the number is assigned here.
pub async fn open_account(
    state: &AppState,
    me: &CurrentStaff,
    client_id: i64,
    d: &abonent_domain::accounts::AccountDraft,
) -> Result<(i64, String), WebError> {
    Rights::edit(state, me, "client", &client_id.to_string()).await?;
    let input = d.validate(today_for(me))?;
    let (id, number) = state
        .store
        .open_account(client_id, &input, &me.actor())
        .await
        .map_err(|e| match e {
            abonent_store::StoreError::NotFound => WebError::NotFound("Клиент не найден.".into()),
            abonent_store::StoreError::Refused(Refusal::Org(r @ OrgRefusal::NoSuchBranch)) => {
                WebError::Invalid(FieldErrors::single("branch_id", r.to_string()))
            }
            e => e.into(),
        })?;
    Ok((id, number.to_string()))
}

/// The draft that re-creates a stored client, for the edit form.
pub fn draft_of(c: &ClientRecord) -> ClientDraft {
    ClientDraft {
        surname: c.surname.clone(),
        first_name: c.first_name.clone(),
        patronymic: c.patronymic.clone().unwrap_or_default(),
        phones: c
            .phones
            .iter()
            .map(|p| abonent_domain::clients::format_phone(p))
            .collect::<Vec<_>>()
            .join(", "),
        email: c.email.clone().unwrap_or_default(),
        postal_address: c.postal_address.clone().unwrap_or_default(),
        preferred_channel: c.preferred_channel.code().to_owned(),
        vulnerable: c.vulnerable.iter().map(|v| v.code().to_owned()).collect(),
        vulnerable_note: c.vulnerable_note.clone().unwrap_or_default(),
        consents: c
            .active_consents()
            .iter()
            .map(|k| k.code().to_owned())
            .collect(),
    }
}
