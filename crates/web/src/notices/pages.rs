//! The notice templates page of the workspace (NTF-03): every kind and channel with a preview on
//! sample values.

use abonent_domain::notices::{kind, render, samples, CHANNELS, KINDS};
use abonent_domain::validation::FieldErrors;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::TemplateDraft;
use crate::auth::CurrentStaff;
use crate::common::layout::{render as render_page, Chrome};
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notices", get(page))
        .route("/notices/{kind}/{channel}", post(save_form))
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
    /// The group is shown open when one of its forms was just saved or has errors.
    open: bool,
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
    let stored = super::templates(state, me).await?;
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
        let open = forms.iter().any(|f| f.saved || !f.errors.is_empty());
        kinds.push(KindBox {
            open,
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
    match super::save_template(&state, &me, &kind_code, &channel, &f.draft).await {
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
