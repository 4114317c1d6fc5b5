//! News and mass informing (§10.2, NTF-02): the public list and pages at `/info/news`, the staff
//! pages that publish an announcement to everyone or to a district (with a preview, and optionally
//! a message to every client concerned by their channel) and withdraw it, and the same by API.

use abonent_domain::news::{NewsDraft, NewsKind};
use abonent_domain::org::Permission;
use abonent_domain::validation::FieldErrors;
use abonent_store::news::News;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::Form;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::CurrentStaff;
use crate::common::clock::format_time;
use crate::common::forms::{opts, Opt};
use crate::common::layout::{render, Chrome};
use crate::common::markdown::markdown;
use crate::common::portal_chrome::PortalChrome;
use crate::{ApiError, AppState, PageError, WebError};

/// Announcements per page of the public list.
const PER_PAGE: i64 = 20;

pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/info/news", get(public_list))
        .route("/info/news/{id}", get(public_item))
        .route("/news/admin", get(admin))
        .route("/news/admin/new", get(new_form).post(publish_form))
        .route("/news/admin/{id}/withdraw", post(withdraw_form))
}

pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/public/news", get(api_public))
        .route("/news", post(api_publish))
        .route("/news/{id}/withdraw", post(api_withdraw))
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

#[derive(Template)]
#[template(path = "news/list.html")]
struct PublicList {
    chrome: PortalChrome,
    items: Vec<NewsLine>,
    page: i64,
    more: bool,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    page: Option<i64>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn public_list(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    let tz = crate::common::clock::company_tz(&state).clone();
    let mut rows = state
        .store
        .news_list(false, PER_PAGE + 1, (page - 1) * PER_PAGE)
        .await?;
    let more = rows.len() as i64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    Ok(render(&PublicList {
        chrome: PortalChrome::public("Новости и объявления"),
        items: rows.iter().map(|n| NewsLine::of(n, &tz)).collect(),
        page,
        more,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "news/item.html")]
struct PublicItem {
    chrome: PortalChrome,
    n: NewsLine,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn public_item(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let tz = crate::common::clock::company_tz(&state).clone();
    let n = state
        .store
        .news_item(id)
        .await?
        .filter(|n| n.withdrawn_at.is_none())
        .ok_or_else(|| WebError::NotFound("Такого объявления нет или оно снято.".into()))?;
    Ok(render(&PublicItem {
        chrome: PortalChrome::public(&n.title),
        n: NewsLine::of(&n, &tz),
    })?
    .into_response())
}

struct AdminRow {
    id: i64,
    kind: &'static str,
    title: String,
    audience: String,
    interval: Option<String>,
    published: String,
    author: String,
    notified: String,
    withdrawn: Option<String>,
}

#[derive(Template)]
#[template(path = "news/admin.html")]
struct AdminPage {
    chrome: Chrome,
    rows: Vec<AdminRow>,
    done: String,
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn admin(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    me.require(Permission::EditPublicPages)?;
    let tz = me.zone.clone();
    let rows = state
        .store
        .news_list(true, 100, 0)
        .await?
        .into_iter()
        .map(|n| AdminRow {
            id: n.id,
            kind: n.kind_label(),
            audience: n.audience(),
            interval: n.interval(),
            published: format_time(n.published_at, &tz),
            author: n.author.clone().unwrap_or_default(),
            notified: match (n.notify, n.queued) {
                (0, _) => "без рассылки".into(),
                (_, None) => "рассылка ставится в очередь".into(),
                (_, Some(q)) => format!("сообщений в очереди и отправлено: {q}"),
            },
            withdrawn: n.withdrawn_at.map(|t| format_time(t, &tz)),
            title: n.title,
        })
        .collect();
    Ok(render(&AdminPage {
        chrome: Chrome::for_staff("Новости и объявления", &me, "info"),
        rows,
        done: q.done,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "news/form.html")]
struct FormPage {
    chrome: Chrome,
    form: NewsDraft,
    kinds: Vec<Opt>,
    branches: Vec<abonent_store::org::Branch>,
    settlements: Vec<String>,
    errors: FieldErrors,
    preview: Option<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn form_view(
    state: &AppState,
    me: &CurrentStaff,
    form: NewsDraft,
    errors: FieldErrors,
    preview: Option<String>,
) -> Result<FormPage, WebError> {
    me.require(Permission::EditPublicPages)?;
    Ok(FormPage {
        chrome: Chrome::for_staff("Новое объявление", me, "info"),
        form,
        kinds: opts(NewsKind::ALL, NewsKind::code, NewsKind::label_ru),
        branches: state.store.branches().await?,
        settlements: state.store.settlements().await?,
        errors,
        preview,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn new_form(State(state): State<AppState>, me: CurrentStaff) -> Result<Response, PageError> {
    let form = NewsDraft {
        kind: NewsKind::News.code().into(),
        ..Default::default()
    };
    let page = form_view(&state, &me, form, FieldErrors::new(), None).await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct NewsForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    branch_id: String,
    #[serde(default)]
    settlement: String,
    #[serde(default)]
    outage_from: String,
    #[serde(default)]
    outage_until: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    notify: Option<String>,
    /// `preview` or `publish`.
    #[serde(default)]
    action: String,
}

/// Checks and publishes an announcement.
#[tracing::instrument(level = "debug", skip_all)]
async fn publish(state: &AppState, me: &CurrentStaff, d: &NewsDraft) -> Result<i64, WebError> {
    me.require(Permission::EditPublicPages)?;
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

#[tracing::instrument(level = "debug", skip_all)]
async fn publish_form(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<NewsForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let d = NewsDraft {
        kind: f.kind,
        title: f.title,
        body: f.body,
        branch_id: f.branch_id,
        settlement: f.settlement,
        outage_from: f.outage_from,
        outage_until: f.outage_until,
        notify: f.notify.is_some(),
    };
    if f.action == "preview" {
        let errors = d.validate().err().unwrap_or_default();
        let preview = Some(markdown(&d.body));
        let page = form_view(&state, &me, d, errors, preview).await?;
        return Ok(render(&page)?.into_response());
    }
    match publish(&state, &me, &d).await {
        Ok(_) => Ok(Redirect::to("/news/admin?done=published").into_response()),
        Err(WebError::Invalid(errors)) => {
            let page = form_view(&state, &me, d, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn withdraw_form(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<crate::common::forms::CsrfForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    me.require(Permission::EditPublicPages)?;
    state.store.withdraw_news(id, &me.actor()).await?;
    Ok(Redirect::to("/news/admin?done=withdrawn").into_response())
}

/// Published announcements, newest first (20 per page).
#[utoipa::path(get, path = "/api/v1/public/news", tag = "news",
    params(("page" = Option<i64>, Query)), responses((status = 200, body = [News])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn api_public(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Vec<News>>, ApiError> {
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    Ok(Json(
        state
            .store
            .news_list(false, PER_PAGE, (page - 1) * PER_PAGE)
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Published {
    pub id: i64,
}

/// Publishes an announcement to everyone or to a district (`branch_id`, `settlement`); with
/// `notify`, every client concerned gets it by their channel (job `news.notify`).
#[utoipa::path(post, path = "/api/v1/news", tag = "news", request_body = NewsDraft,
    responses((status = 201, body = Published), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn api_publish(
    State(state): State<AppState>,
    me: CurrentStaff,
    Json(d): Json<NewsDraft>,
) -> Result<(StatusCode, Json<Published>), ApiError> {
    let id = publish(&state, &me, &d).await?;
    Ok((StatusCode::CREATED, Json(Published { id })))
}

/// Takes an announcement off the site and the personal accounts; its messages not yet sent are
/// not sent.
#[utoipa::path(post, path = "/api/v1/news/{id}/withdraw", tag = "news",
    params(("id" = i64, Path)), responses((status = 204), (status = 404, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn api_withdraw(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    me.require(Permission::EditPublicPages)?;
    state.store.withdraw_news(id, &me.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}
