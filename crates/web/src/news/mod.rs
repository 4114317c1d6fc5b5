//! News and mass informing (§10.2, NTF-02): the public list and pages at `/info/news`, the staff
//! pages that publish an announcement to everyone or to a district (with a preview, and optionally
//! a message to every client concerned by their channel) and withdraw it, and the same by API.
//! The one place where their rights are checked; `api.rs` and `pages.rs` are its adapters.

pub mod api;
pub mod pages;

use abonent_domain::news::{NewsDraft, NewsKind};
use abonent_domain::org::Permission;
use abonent_domain::validation::FieldErrors;
use abonent_store::news::News;
use abonent_store::org::Branch;
use serde::Deserialize;

use crate::auth::CurrentStaff;
use crate::common::clock::format_time;
use crate::common::markdown::markdown;
use crate::{AppState, WebError};

/// Announcements per page of the public list.
const PER_PAGE: i64 = 20;

/// What a staff member may do with the announcements.
pub struct Rights;

impl Rights {
    /// Publishing and withdrawing announcements (the public pages' right).
    pub fn edit(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::EditPublicPages)
    }
}

/// An announcement as shown on the site and in the personal account.
pub struct NewsLine {
    pub id: i64,
    pub kind: &'static str,
    pub outage: bool,
    pub title: String,
    pub html: String,
    pub audience: String,
    pub interval: Option<String>,
    pub published: String,
}

impl NewsLine {
    pub fn of(n: &News, tz: &jiff::tz::TimeZone) -> Self {
        Self {
            id: n.id,
            kind: n.kind_label(),
            outage: n.kind == NewsKind::Outage,
            title: n.title.clone(),
            html: markdown(&n.body),
            audience: n.audience(),
            interval: n.interval(),
            published: format_time(n.published_at, tz),
        }
    }
}

/// The page of the public list asked for (from 1), on the site and by API.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    page: Option<i64>,
}

impl PageQuery {
    /// The page number, kept within bounds.
    pub fn number(&self) -> i64 {
        self.page.unwrap_or(1).clamp(1, 10_000)
    }
}

/// A page of the public list: its announcements, and whether there is a next page.
pub struct PublicPage {
    pub items: Vec<News>,
    pub more: bool,
}

/// A page of the published announcements for the site, newest first; no sign-in.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_page(state: &AppState, page: i64) -> Result<PublicPage, WebError> {
    let mut items = state
        .store
        .news_list(false, PER_PAGE + 1, (page - 1) * PER_PAGE)
        .await?;
    let more = items.len() as i64 > PER_PAGE;
    items.truncate(PER_PAGE as usize);
    Ok(PublicPage { items, more })
}

/// A page of the published announcements for the API, newest first; no sign-in.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_news(state: &AppState, page: i64) -> Result<Vec<News>, WebError> {
    Ok(state
        .store
        .news_list(false, PER_PAGE, (page - 1) * PER_PAGE)
        .await?)
}

/// A published announcement; a withdrawn one is not found.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_item(state: &AppState, id: i64) -> Result<News, WebError> {
    state
        .store
        .news_item(id)
        .await?
        .filter(|n| n.withdrawn_at.is_none())
        .ok_or_else(|| WebError::NotFound("Такого объявления нет или оно снято.".into()))
}

/// The latest announcements, withdrawn ones too, for the staff's list.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn admin_list(state: &AppState, me: &CurrentStaff) -> Result<Vec<News>, WebError> {
    Rights::edit(me)?;
    Ok(state.store.news_list(true, 100, 0).await?)
}

/// The districts an announcement may be addressed to: branches and settlements.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn audiences(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<(Vec<Branch>, Vec<String>), WebError> {
    Rights::edit(me)?;
    Ok((
        state.store.branches().await?,
        state.store.settlements().await?,
    ))
}

/// Checks and publishes an announcement.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn publish(state: &AppState, me: &CurrentStaff, d: &NewsDraft) -> Result<i64, WebError> {
    Rights::edit(me)?;
    let n = d.validate()?;
    match state
        .store
        .publish_news(&n, &state.config.public_url, &me.actor())
        .await
    {
        Ok(id) => Ok(id),
        // The district names no open account: the message belongs to the field.
        Err(abonent_store::StoreError::Refused(abonent_domain::refusal::Refusal::News(r))) => {
            Err(WebError::Invalid(FieldErrors::single(
                if n.settlement.is_some() {
                    "settlement"
                } else {
                    "branch_id"
                },
                r.to_string(),
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// Takes an announcement off the site and the personal accounts.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn withdraw(state: &AppState, me: &CurrentStaff, id: i64) -> Result<(), WebError> {
    Rights::edit(me)?;
    Ok(state.store.withdraw_news(id, &me.actor()).await?)
}
