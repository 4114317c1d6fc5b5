//! Notice templates per kind and channel (NTF-03): edited by staff with a preview on sample
//! values, checked before saving (only the kind's placeholders, SMS length), audited.

use abonent_domain::notices::{kind, render, samples, validate_template, CHANNELS, KINDS};
use abonent_domain::org::Permission;
use abonent_domain::validation::FieldErrors;
use abonent_store::notices::NoticeTemplate;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use axum_extra::extract::Form;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::CurrentStaff;
use crate::common::layout::{render as render_page, Chrome};
use crate::{ApiError, AppState, PageError, WebError};

pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/notices", get(page))
        .route("/notices/{kind}/{channel}", post(save_form))
}

pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/notices/templates", get(list))
        .route("/notices/templates/{kind}/{channel}", put(save))
}

/// A template as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct TemplateDraft {
    #[serde(default)]
    pub subject: String,
    pub body: String,
}

/// Checks and saves a template.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save_template(
    state: &AppState,
    me: &CurrentStaff,
    kind_code: &str,
    channel: &str,
    d: &TemplateDraft,
) -> Result<(), WebError> {
    me.require(Permission::ConfigureNotices)?;
    validate_template(kind_code, channel, &d.subject, &d.body)?;
    state
        .store
        .save_notice_template(
            kind_code,
            channel,
            d.subject.trim(),
            d.body.trim(),
            &me.actor(),
        )
        .await?;
    Ok(())
}

/// The templates of every notice and channel.
#[utoipa::path(get, path = "/api/v1/notices/templates", tag = "notices",
    responses((status = 200, body = [NoticeTemplate])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<Vec<NoticeTemplate>>, ApiError> {
    me.require(Permission::ConfigureNotices)?;
    Ok(Json(state.store.notice_templates().await?))
}

/// Changes the template of a notice for a channel; placeholders are `{account}`, `{amount}`,
/// `{due_date}`, `{period}`, `{hotline}` as the kind allows.
#[utoipa::path(put, path = "/api/v1/notices/templates/{kind}/{channel}", tag = "notices",
    params(("kind" = String, Path), ("channel" = String, Path)), request_body = TemplateDraft,
    responses((status = 204), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((kind_code, channel)): Path<(String, String)>,
    Json(d): Json<TemplateDraft>,
) -> Result<StatusCode, ApiError> {
    save_template(&state, &me, &kind_code, &channel, &d).await?;
    Ok(StatusCode::NO_CONTENT)
}

struct ChannelForm {
    channel: &'static str,
    label: &'static str,
    subject: String,
    body: String,
    preview_subject: String,
    preview_body: String,
    errors: FieldErrors,
    saved: bool,
}

struct KindBox {
    code: &'static str,
    label: &'static str,
    when: &'static str,
    placeholders: String,
    forms: Vec<ChannelForm>,
}

#[derive(Template)]
#[template(path = "notices/templates.html")]
struct TemplatesPage {
    chrome: Chrome,
    kinds: Vec<KindBox>,
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

/// One form typed back with its errors.
struct Typed {
    kind: String,
    channel: String,
    draft: TemplateDraft,
    errors: FieldErrors,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn view(
    state: &AppState,
    me: &CurrentStaff,
    saved: &str,
    typed: Option<Typed>,
) -> Result<TemplatesPage, WebError> {
    me.require(Permission::ConfigureNotices)?;
    let stored = state.store.notice_templates().await?;
    let mut kinds = Vec::new();
    for k in KINDS {
        let values = samples(k);
        let mut forms = Vec::new();
        for (c, label) in CHANNELS {
            let t = stored
                .iter()
                .find(|t| t.kind == k.code && t.channel == *c)
                .ok_or_else(|| WebError::NotFound("Шаблон не найден.".into()))?;
            let (subject, body, errors) = match &typed {
                Some(x) if x.kind == k.code && x.channel == *c => (
                    x.draft.subject.clone(),
                    x.draft.body.clone(),
                    x.errors.clone(),
                ),
                _ => (t.subject.clone(), t.body.clone(), FieldErrors::new()),
            };
            forms.push(ChannelForm {
                channel: c,
                label,
                preview_subject: render(&subject, &values),
                preview_body: render(&body, &values),
                subject,
                body,
                errors,
                saved: saved == format!("{}-{c}", k.code),
            });
        }
        kinds.push(KindBox {
            code: k.code,
            label: k.label,
            when: k.when,
            placeholders: k
                .placeholders
                .iter()
                .map(|(n, l, _)| format!("{{{n}}} — {l}"))
                .collect::<Vec<_>>()
                .join(", "),
            forms,
        });
    }
    Ok(TemplatesPage {
        chrome: Chrome::for_staff("Уведомления клиентам", me, "notices"),
        kinds,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    Ok(render_page(&view(&state, &me, &q.saved, None).await?)?.into_response())
}

#[derive(Deserialize)]
pub struct TemplateForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    draft: TemplateDraft,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn save_form(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((kind_code, channel)): Path<(String, String)>,
    Form(f): Form<TemplateForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    if kind(&kind_code).is_none() || !CHANNELS.iter().any(|(c, _)| *c == channel) {
        return Err(WebError::NotFound("Такого шаблона нет.".into()).into());
    }
    match save_template(&state, &me, &kind_code, &channel, &f.draft).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/notices?saved={kind_code}-{channel}#{kind_code}-{channel}"
        ))
        .into_response()),
        Err(WebError::Invalid(errors)) => {
            let page = view(
                &state,
                &me,
                "",
                Some(Typed {
                    kind: kind_code,
                    channel,
                    draft: f.draft,
                    errors,
                }),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_page(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
