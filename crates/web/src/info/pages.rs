//! The pages of the section «Клиентам» (PRT-01): the public index, generated and edited pages
//! with their earlier editions, and the staff's editor with a preview, drafts and a history.

use abonent_domain::info::{Source, SUBSECTIONS};
use abonent_domain::validation::FieldErrors;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use crate::auth::CurrentStaff;
use crate::common::clock::format_time;
use crate::common::layout::{render, Chrome};
use crate::common::markdown::markdown;
use crate::common::portal_chrome::PortalChrome;
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/info", get(index))
        .route("/info/offices", get(offices))
        .route("/info/requisites", get(requisites))
        .route("/info/page/{slug}", get(page))
        .route("/info/page/{slug}/editions/{id}", get(edition))
        .route("/info/admin", get(admin).post(create))
        .route("/info/admin/{slug}", get(editor).post(save))
}

struct IndexItem {
    title: String,
    href: String,
}

#[derive(Template)]
#[template(path = "info/index.html")]
struct IndexPage {
    chrome: PortalChrome,
    items: Vec<IndexItem>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn index(State(state): State<AppState>) -> Result<Response, PageError> {
    let pages = super::public_pages(&state).await?;
    let items = SUBSECTIONS
        .iter()
        .filter_map(|s| match s.source {
            Source::Generated(href) => Some(IndexItem {
                title: s.title.into(),
                href: href.into(),
            }),
            Source::Edited(_) => pages
                .iter()
                .find(|p| p.slug == s.slug && p.published_version.is_some())
                .map(|p| IndexItem {
                    title: p.title.clone(),
                    href: format!("/info/page/{}", s.slug),
                }),
        })
        // Pages staff added, after the standard's list.
        .chain(
            pages
                .iter()
                .filter(|p| p.published_version.is_some())
                .filter(|p| abonent_domain::info::subsection(&p.slug).is_none())
                .map(|p| IndexItem {
                    title: p.title.clone(),
                    href: format!("/info/page/{}", p.slug),
                }),
        )
        .collect();
    Ok(render(&IndexPage {
        chrome: PortalChrome::public("Клиентам"),
        items,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "info/offices.html")]
struct OfficesPage {
    chrome: PortalChrome,
    centres: Vec<abonent_store::org::Centre>,
    hotline: String,
    hotline_hours: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn offices(State(state): State<AppState>) -> Result<Response, PageError> {
    let (company, centres) = super::offices(&state).await?;
    Ok(render(&OfficesPage {
        chrome: PortalChrome::public("Центры обслуживания"),
        centres,
        hotline: company
            .as_ref()
            .map(|c| c.hotline_phones.clone())
            .unwrap_or_default(),
        hotline_hours: company.map(|c| c.hotline_hours).unwrap_or_default(),
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "info/requisites.html")]
struct RequisitesPage {
    chrome: PortalChrome,
    s: abonent_store::billing::BillingSettings,
    /// Still the seeded example: said so, so that nobody pays to it.
    example: bool,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn requisites(State(state): State<AppState>) -> Result<Response, PageError> {
    let s = super::requisites(&state).await?;
    Ok(render(&RequisitesPage {
        chrome: PortalChrome::public("Реквизиты для оплаты"),
        example: abonent_domain::payments::bank::is_example_account(&s.personal_acc),
        s,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "info/page.html")]
struct PublicPage {
    chrome: PortalChrome,
    /// On the page of the standards: the norms in force, from the data.
    norms: Vec<(String, String)>,
    title: String,
    html: std::sync::Arc<str>,
    updated: String,
    slug: String,
    /// Shown when this is an earlier edition: it is not the one in force.
    earlier: bool,
    /// Every edition the page has had on the site: id, date, whether it is the one shown.
    editions: Vec<(i64, String, bool)>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    show_page(&state, slug, None).await
}

/// An earlier edition of a page (§5.2.2: the standard «и изменения к нему»).
#[tracing::instrument(level = "debug", skip_all)]
async fn edition(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    show_page(&state, slug, Some(id)).await
}

#[tracing::instrument(level = "debug", skip_all)]
async fn show_page(state: &AppState, slug: String, id: Option<i64>) -> Result<Response, PageError> {
    let tz = crate::common::clock::company_tz(state).clone();
    let super::Edition {
        v,
        earlier,
        norms,
        html,
        editions,
    } = super::edition(state, &slug, id).await?;
    let editions = editions
        .into_iter()
        .map(|(id, at)| (id, format_time(at, &tz), id == v.id))
        .collect();
    Ok(render(&PublicPage {
        chrome: PortalChrome::public(&v.title),
        norms,
        html,
        updated: v
            .published_at
            .map(|t| format_time(t, &tz))
            .unwrap_or_default(),
        title: v.title,
        slug,
        earlier,
        editions,
    })?
    .into_response())
}

struct AdminRow {
    slug: String,
    title: String,
    published: bool,
    draft: bool,
}

#[derive(Template)]
#[template(path = "info/admin.html")]
struct AdminPage {
    chrome: Chrome,
    rows: Vec<AdminRow>,
    /// The new page's form as typed, and its errors.
    new_slug: String,
    new_title: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct NewPageForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    title: String,
}

/// Adds a page of staff's own and opens its editor; a wrong address is explained, kept.
#[tracing::instrument(level = "debug", skip_all)]
async fn create(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<NewPageForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match super::create_page(&state, &me, &f.slug, &f.title).await {
        Ok(slug) => Ok(Redirect::to(&format!("/info/admin/{slug}")).into_response()),
        Err(WebError::Invalid(errors)) => {
            let page = admin_view(&state, &me, (f.slug, f.title), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn admin(State(state): State<AppState>, me: CurrentStaff) -> Result<Response, PageError> {
    let page = admin_view(&state, &me, Default::default(), FieldErrors::new()).await?;
    Ok(render(&page)?.into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn admin_view(
    state: &AppState,
    me: &CurrentStaff,
    typed: (String, String),
    errors: FieldErrors,
) -> Result<AdminPage, WebError> {
    let rows = super::admin_pages(state, me)
        .await?
        .into_iter()
        .map(|p| AdminRow {
            draft: p.latest_version > p.published_version,
            published: p.published_version.is_some(),
            slug: p.slug,
            title: p.title,
        })
        .collect();
    Ok(AdminPage {
        chrome: Chrome::for_staff("Раздел «Клиентам»", me, "info"),
        rows,
        new_slug: typed.0,
        new_title: typed.1,
        errors,
    })
}

struct VersionLine {
    id: i64,
    author: String,
    at: String,
    published: bool,
    current: bool,
}

#[derive(Template)]
#[template(path = "info/editor.html")]
struct EditorPage {
    chrome: Chrome,
    slug: String,
    clause: String,
    title: String,
    body: String,
    preview: Option<String>,
    errors: FieldErrors,
    saved: String,
    versions: Vec<VersionLine>,
}

#[derive(Deserialize, Default)]
pub struct EditorQuery {
    #[serde(default)]
    saved: String,
    #[serde(default)]
    version: Option<i64>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn editor_view(
    state: &AppState,
    me: &CurrentStaff,
    slug: &str,
    typed: Option<(String, String)>,
    preview: bool,
    errors: FieldErrors,
    q: &EditorQuery,
) -> Result<EditorPage, WebError> {
    let super::Draft {
        title: page_title,
        clause,
        versions,
        published,
    } = super::draft(state, me, slug).await?;
    let (title, body) = match typed {
        Some(t) => t,
        None => {
            let pick = q
                .version
                .and_then(|id| versions.iter().find(|v| v.id == id))
                .or(versions.first());
            pick.map(|v| (v.title.clone(), v.body.clone()))
                .unwrap_or_else(|| (page_title.clone(), String::new()))
        }
    };
    let tz = me.zone.clone();
    Ok(EditorPage {
        chrome: Chrome::for_staff(&format!("Редактирование: {page_title}"), me, "info"),
        slug: slug.to_owned(),
        clause,
        preview: preview.then(|| markdown(&body)),
        title,
        body,
        errors,
        saved: q.saved.clone(),
        versions: versions
            .iter()
            .map(|v| VersionLine {
                id: v.id,
                author: v.author.clone().unwrap_or_else(|| "исходный текст".into()),
                at: format_time(v.created_at, &tz),
                published: v.published_at.is_some(),
                current: Some(v.id) == published,
            })
            .collect(),
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn editor(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(slug): Path<String>,
    Query(q): Query<EditorQuery>,
) -> Result<Response, PageError> {
    let page = editor_view(&state, &me, &slug, None, false, FieldErrors::new(), &q).await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct EditorForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    /// `preview`, `draft` or `publish`.
    #[serde(default)]
    action: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn save(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(slug): Path<String>,
    Form(f): Form<EditorForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    super::Rights::edit(&me)?;
    let q = EditorQuery::default();
    let mut e = FieldErrors::new();
    let title = f.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        e.add("title", "Укажите заголовок (до 200 символов).");
    }
    if f.body.trim().is_empty() {
        e.add("body", "Текст страницы не может быть пустым.");
    }
    if f.body.chars().count() > 100_000 {
        e.add("body", "Текст — не длиннее 100 000 символов.");
    }
    let typed = Some((f.title.clone(), f.body.clone()));
    if f.action == "preview" || !e.is_empty() {
        let status = if e.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let page = editor_view(&state, &me, &slug, typed, e.is_empty(), e, &q).await?;
        return Ok((status, render(&page)?).into_response());
    }
    let publish = f.action == "publish";
    super::save_page(&state, &me, &slug, title, &f.body, publish).await?;
    Ok(Redirect::to(&format!(
        "/info/admin/{slug}?saved={}",
        if publish { "publish" } else { "draft" }
    ))
    .into_response())
}
