//! News pages (§10.2, NTF-02): the public list and pages at `/info/news`, and the staff pages that
//! publish an announcement (with a preview) and withdraw it.

use abonent_domain::news::{NewsDraft, NewsKind};
use abonent_domain::validation::FieldErrors;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::{NewsLine, PageQuery};
use crate::auth::CurrentStaff;
use crate::common::clock::format_time;
use crate::common::forms::{opts, Opt};
use crate::common::layout::{render, Chrome};
use crate::common::markdown::markdown;
use crate::common::portal_chrome::PortalChrome;
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/info/news", get(public_list))
        .route("/info/news/{id}", get(public_item))
        .route("/news/admin", get(admin))
        .route("/news/admin/new", get(new_form).post(publish_form))
        .route("/news/admin/{id}/withdraw", post(withdraw_form))
}

#[derive(Template)]
#[template(path = "news/list.html")]
struct PublicList {
    chrome: PortalChrome,
    items: Vec<NewsLine>,
    page: i64,
    more: bool,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn public_list(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let page = q.number();
    let tz = crate::common::clock::company_tz(&state).clone();
    let found = super::public_page(&state, page).await?;
    Ok(render(&PublicList {
        chrome: PortalChrome::public("Новости и объявления"),
        items: found.items.iter().map(|n| NewsLine::of(n, &tz)).collect(),
        page,
        more: found.more,
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
    let n = super::public_item(&state, id).await?;
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
    let tz = me.zone.clone();
    let rows = super::admin_list(&state, &me)
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
    let (branches, settlements) = super::audiences(state, me).await?;
    Ok(FormPage {
        chrome: Chrome::for_staff("Новое объявление", me, "info"),
        form,
        kinds: opts(NewsKind::ALL, NewsKind::code, NewsKind::label_ru),
        branches,
        settlements,
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
    match super::publish(&state, &me, &d).await {
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
    super::withdraw(&state, &me, id).await?;
    Ok(Redirect::to("/news/admin?done=withdrawn").into_response())
}
