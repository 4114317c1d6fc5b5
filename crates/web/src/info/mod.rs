//! The public section «Клиентам» (PRT-01) and its editor for staff: generated pages (offices and
//! hours, payment requisites; tariffs, zone hours and norms at `/tariffs`) and Markdown pages
//! with a preview, drafts and a publish history.

use abonent_domain::info::{subsection, Source, SUBSECTIONS};
use abonent_domain::org::Permission;
use abonent_domain::validation::FieldErrors;
use abonent_store::info::InfoVersion;
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
        .route("/info/admin", get(admin))
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
    let pages = state.store.info_pages().await?;
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
    let company = state.store.company().await?;
    Ok(render(&OfficesPage {
        chrome: PortalChrome::public("Центры обслуживания"),
        centres: state.store.centres().await?,
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
}

#[tracing::instrument(level = "debug", skip_all)]
async fn requisites(State(state): State<AppState>) -> Result<Response, PageError> {
    Ok(render(&RequisitesPage {
        chrome: PortalChrome::public("Реквизиты для оплаты"),
        s: state.store.billing_settings().await?,
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
    // The text is read only when its version has not been rendered yet.
    let current = state
        .store
        .info_published_head(&slug)
        .await?
        .ok_or_else(|| WebError::NotFound("Такой страницы нет.".into()))?;
    let v = match id {
        Some(id) if id != current.id => state
            .store
            .info_edition(&slug, id)
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
                    .info_edition(&slug, v.id)
                    .await?
                    .map(|x| x.body)
                    .unwrap_or_default(),
                false => v.body.clone(),
            };
            state.pages.version_html(v.id, || markdown(&body))
        }
    };
    let editions = state
        .store
        .info_editions(&slug)
        .await?
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
}

#[tracing::instrument(level = "debug", skip_all)]
async fn admin(State(state): State<AppState>, me: CurrentStaff) -> Result<Response, PageError> {
    me.require(Permission::EditPublicPages)?;
    let rows = state
        .store
        .info_pages()
        .await?
        .into_iter()
        .map(|p| AdminRow {
            draft: p.latest_version > p.published_version,
            published: p.published_version.is_some(),
            slug: p.slug,
            title: p.title,
        })
        .collect();
    Ok(render(&AdminPage {
        chrome: Chrome::for_staff("Раздел «Клиентам»", &me, "info"),
        rows,
    })?
    .into_response())
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
    clause: &'static str,
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
    me.require(Permission::EditPublicPages)?;
    let s = subsection(slug)
        .filter(|s| matches!(s.source, Source::Edited(_)))
        .ok_or_else(|| WebError::NotFound("Такой страницы нет.".into()))?;
    let versions: Vec<InfoVersion> = state.store.info_versions(slug).await?;
    let published = state.store.info_published(slug).await?.map(|v| v.id);
    let (title, body) = match typed {
        Some(t) => t,
        None => {
            let pick = q
                .version
                .and_then(|id| versions.iter().find(|v| v.id == id))
                .or(versions.first());
            pick.map(|v| (v.title.clone(), v.body.clone()))
                .unwrap_or_else(|| (s.title.to_owned(), String::new()))
        }
    };
    let tz = me.zone.clone();
    Ok(EditorPage {
        chrome: Chrome::for_staff(&format!("Редактирование: {}", s.title), me, "info"),
        slug: slug.to_owned(),
        clause: s.clause,
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
    me.require(Permission::EditPublicPages)?;
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
    state
        .store
        .save_info_page(&slug, title, &f.body, publish, &me.actor())
        .await?;
    Ok(Redirect::to(&format!(
        "/info/admin/{slug}?saved={}",
        if publish { "publish" } else { "draft" }
    ))
    .into_response())
}
