//! «Вызвать специалиста на дом» in the personal account (CHN-06, §6.1.3): the client asks for a
//! home visit to the premises of one of their accounts, with the reason and the days and times
//! that suit, and follows their requests (the day, the window, the result).

use abonent_domain::frontoffice::home_visits::HomeVisitDraft;
use abonent_domain::validation::FieldErrors;
use abonent_store::idempotency::IdemKey;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use crate::auth::client::CurrentClient;
use crate::common::forms::Opt;
use crate::common::layout::{render, ru_date};
use crate::common::portal_chrome::PortalChrome;
use crate::common::tokens::random_token;
use crate::frontoffice::home_visits::{my_visits, portal_scope, request, Requester};
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new().route("/my/home-visits", get(page).post(submit))
}

struct Line {
    id: i64,
    address: String,
    reason: String,
    status: &'static str,
    when: String,
    cancel_reason: String,
}

#[derive(Template)]
#[template(path = "portal/home_visits.html")]
struct Page {
    chrome: PortalChrome,
    lines: Vec<Line>,
    accounts: Vec<Opt>,
    form: HomeVisitDraft,
    errors: FieldErrors,
    once: String,
    sent: bool,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    sent: Option<String>,
}

async fn view(
    state: &AppState,
    me: &CurrentClient,
    form: HomeVisitDraft,
    errors: FieldErrors,
    sent: bool,
) -> Result<Page, WebError> {
    let accounts = super::my_accounts(state, me)
        .await?
        .into_iter()
        .map(|a| Opt {
            label: format!("№ {}, {}", a.number, a.address()),
            code: a.number,
        })
        .collect();
    let lines = my_visits(state, me)
        .await?
        .into_iter()
        .map(|v| Line {
            when: match (&v.visit_on, &v.time_from, &v.time_to) {
                (Some(d), Some(a), Some(b)) => format!("{}, с {a} до {b}", ru_date(d)),
                _ => String::new(),
            },
            id: v.id,
            address: v.address,
            reason: v.reason,
            status: v.status.label_ru(),
            cancel_reason: v.cancel_reason.unwrap_or_default(),
        })
        .collect();
    Ok(Page {
        chrome: PortalChrome {
            title: "Вызвать специалиста на дом".into(),
            email: Some(me.user.login()),
            csrf: me.csrf_token.clone(),
        },
        lines,
        accounts,
        form,
        errors,
        once: random_token(),
        sent,
    })
}

/// The form and the client's requests.
#[tracing::instrument(level = "debug", skip_all)]
async fn page(
    State(state): State<AppState>,
    me: CurrentClient,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let page = view(
        &state,
        &me,
        HomeVisitDraft::default(),
        FieldErrors::new(),
        q.sent.is_some(),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
struct RequestForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, rename = "_once")]
    once: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    preferred_from: String,
    #[serde(default)]
    preferred_to: String,
    #[serde(default)]
    preferred_time: String,
    #[serde(default)]
    contact_phone: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn submit(
    State(state): State<AppState>,
    me: CurrentClient,
    Form(f): Form<RequestForm>,
) -> Result<Response, PageError> {
    let d = HomeVisitDraft {
        client_id: None,
        account: f.account,
        reason: f.reason,
        preferred_from: f.preferred_from,
        preferred_to: f.preferred_to,
        preferred_time: f.preferred_time,
        contact_phone: f.contact_phone,
        channel: "portal".into(),
    };
    if me.check_csrf(&f.csrf).is_err() {
        let errors = FieldErrors::single(
            "reason",
            "Страница устарела, и заявка не была отправлена. Проверьте её и отправьте ещё раз.",
        );
        let page = view(&state, &me, d, errors, false).await?;
        return Ok((StatusCode::FORBIDDEN, render(&page)?).into_response());
    }
    let key = (!f.once.trim().is_empty()).then(|| IdemKey::new(portal_scope(&me), f.once.trim()));
    match request(&state, Requester::Client(&me), &d, key).await {
        Ok(_) => Ok(Redirect::to("/my/home-visits?sent=1").into_response()),
        Err(WebError::Invalid(errors)) => {
            let page = view(&state, &me, d, errors, false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
