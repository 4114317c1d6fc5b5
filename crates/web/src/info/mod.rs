//! The public section «Клиентам» (PRT-01) and its editor for staff: generated pages (offices and
//! hours, payment requisites; tariffs, zone hours and norms at `/tariffs`) and Markdown pages
//! with a preview, drafts and a publish history.
//! The one place where their rights are checked; `pages.rs` is its adapter.

pub mod pages;

use std::sync::Arc;

use abonent_domain::info::{subsection, Source};
use abonent_domain::org::Permission;
use abonent_domain::validation::FieldErrors;
use abonent_store::billing::BillingSettings;
use abonent_store::info::{InfoPage, InfoVersion};
use abonent_store::org::{Centre, Company};

use crate::auth::CurrentStaff;
use crate::common::markdown::markdown;
use crate::{AppState, WebError};

/// What a staff member may do with the section.
pub struct Rights;

impl Rights {
    /// Editing and publishing the pages (the public pages' right).
    pub fn edit(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::EditPublicPages)
    }
}

/// The edited pages with their published and latest versions, for the public index; no sign-in.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_pages(state: &AppState) -> Result<Vec<InfoPage>, WebError> {
    Ok(state.store.info_pages().await?)
}

/// The company (hotline) and the service centres, for the page of the offices; no sign-in.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn offices(state: &AppState) -> Result<(Option<Company>, Vec<Centre>), WebError> {
    let company = state.store.company().await?;
    Ok((company, state.store.centres().await?))
}

/// The payee's requisites, for the page of the requisites; no sign-in.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn requisites(state: &AppState) -> Result<BillingSettings, WebError> {
    Ok(state.store.billing_settings().await?)
}

/// The standard's norms as configured now (§7.2.4, §8.2.4, ПП 354, ЖК РФ 155), for the page of
/// the standards: what the company promises, from the same data the system measures against.
#[tracing::instrument(level = "debug", skip_all)]
async fn standard_norms(state: &AppState) -> Result<Vec<(String, String)>, WebError> {
    let store = &state.store;
    let mut out = Vec::new();
    let norms = store.appeal_norms().await?;
    for k in abonent_domain::appeals::AppealKind::ALL {
        if let Some(n) = norms.get(k) {
            out.push((
                format!("Ответ: {}", k.label_ru()),
                format!(
                    "не позднее {} календарных дней со дня регистрации; если нужна проверка — \
                     продление не более чем на {} дней с промежуточным ответом",
                    n.answer_days, n.max_extension_days
                ),
            ));
        }
    }
    out.push((
        "Приём показаний".into(),
        format!(
            "до {}-го числа месяца включительно; переданные позже учитываются в следующем месяце",
            crate::metering::CUTOFF_DAY
        ),
    ));
    let b = store.billing_settings().await?;
    out.push((
        "Срок оплаты счёта".into(),
        format!("до {}-го числа месяца, следующего за расчётным", b.due_day),
    ));
    out.push((
        "Предупреждение об ограничении".into(),
        format!(
            "не менее {} дней на погашение долга после предупреждения",
            b.warning_days
        ),
    ));
    if let Some(c) = store.company().await? {
        out.push((
            "Горячая линия".into(),
            format!("{}; {}", c.hotline_phones, c.hotline_hours),
        ));
    }
    for c in store.centres().await? {
        out.push((
            c.name.clone(),
            format!("{}; {}", c.address, c.opening_hours),
        ));
    }
    Ok(out)
}

/// An edition of a published page, as the site shows it.
pub struct Edition {
    /// The version shown (its body may be left unread when its text is cached).
    pub v: InfoVersion,
    /// Whether this is an earlier edition, not the one in force.
    pub earlier: bool,
    /// On the page of the standards: the norms in force, from the data.
    pub norms: Vec<(String, String)>,
    pub html: Arc<str>,
    /// Every edition the page has had on the site: id and when it was published.
    pub editions: Vec<(i64, i64)>,
}

/// A published page: the edition in force, or the earlier edition `id` (§5.2.2: the standard
/// «и изменения к нему»); no sign-in.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn edition(state: &AppState, slug: &str, id: Option<i64>) -> Result<Edition, WebError> {
    // The text is read only when its version has not been rendered yet.
    let current = state
        .store
        .info_published_head(slug)
        .await?
        .ok_or_else(|| WebError::NotFound("Такой страницы нет.".into()))?;
    let v = match id {
        Some(id) if id != current.id => state
            .store
            .info_edition(slug, id)
            .await?
            .ok_or_else(|| WebError::NotFound("Такой редакции страницы нет.".into()))?,
        _ => current.clone(),
    };
    let earlier = v.id != current.id;
    let norms = if slug == "standards" && !earlier {
        standard_norms(state).await?
    } else {
        Vec::new()
    };
    let html = match state.pages.cached_version(v.id) {
        Some(h) => h,
        None => {
            let body = match v.body.is_empty() {
                true => state
                    .store
                    .info_edition(slug, v.id)
                    .await?
                    .map(|x| x.body)
                    .unwrap_or_default(),
                false => v.body.clone(),
            };
            state.pages.version_html(v.id, || markdown(&body))
        }
    };
    let editions = state.store.info_editions(slug).await?;
    Ok(Edition {
        v,
        earlier,
        norms,
        html,
        editions,
    })
}

/// The edited pages with their published and latest versions, for the staff's list.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn admin_pages(state: &AppState, me: &CurrentStaff) -> Result<Vec<InfoPage>, WebError> {
    Rights::edit(me)?;
    Ok(state.store.info_pages().await?)
}

/// What the editor of a page starts from.
pub struct Draft {
    /// The page's title in the section, and the item of the standard it answers.
    pub title: String,
    pub clause: String,
    /// Every version, newest first.
    pub versions: Vec<InfoVersion>,
    /// The version on the site.
    pub published: Option<i64>,
}

/// An edited page with its versions; a generated page has no editor.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn draft(state: &AppState, me: &CurrentStaff, slug: &str) -> Result<Draft, WebError> {
    Rights::edit(me)?;
    let (title, clause) = match subsection(slug) {
        Some(s) if matches!(s.source, Source::Edited(_)) => {
            (s.title.to_owned(), s.clause.to_owned())
        }
        Some(_) => return Err(WebError::NotFound("Такой страницы нет.".into())),
        // A page staff added: its title as created.
        None => state
            .store
            .info_pages()
            .await?
            .into_iter()
            .find(|p| p.slug == slug)
            .map(|p| (p.title, abonent_domain::info::ADDED_PAGE_CLAUSE.to_owned()))
            .ok_or_else(|| WebError::NotFound("Такой страницы нет.".into()))?,
    };
    let versions: Vec<InfoVersion> = state.store.info_versions(slug).await?;
    let published = state.store.info_published(slug).await?.map(|v| v.id);
    Ok(Draft {
        title,
        clause,
        versions,
        published,
    })
}

/// Adds a page of staff's own to the section; returns its address (the editor opens there).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_page(
    state: &AppState,
    me: &CurrentStaff,
    slug: &str,
    title: &str,
) -> Result<String, WebError> {
    Rights::edit(me)?;
    let (slug, title) = abonent_domain::info::check_new_page(slug, title)?;
    if !state
        .store
        .create_info_page(&slug, &title, &me.actor())
        .await?
    {
        return Err(FieldErrors::single(
            "slug",
            "Страница с таким адресом уже есть: выберите другой.",
        )
        .into());
    }
    Ok(slug)
}

/// Saves a checked page as a draft, or publishes it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save_page(
    state: &AppState,
    me: &CurrentStaff,
    slug: &str,
    title: &str,
    body: &str,
    publish: bool,
) -> Result<(), WebError> {
    Rights::edit(me)?;
    state
        .store
        .save_info_page(slug, title, body, publish, &me.actor())
        .await?;
    Ok(())
}
