//! Home visits pages (CHN-06): the lists per staff member and day with overdue marks («Мои
//! выезды» for the visiting staff member), the request form opened from the client's card or
//! taking a call, and a visit's card with the assignment, cancellation and result forms.

use abonent_domain::calendar::ru_date;
use abonent_domain::clients::format_phone;
use abonent_domain::frontoffice::home_visits::{
    CancelDraft, HomeVisitChannel, HomeVisitDraft, HomeVisitOutcome, HomeVisitStatus, ResultDraft,
    ScheduleDraft,
};
use abonent_domain::validation::FieldErrors;
use abonent_store::clients::SearchHit;
use abonent_store::frontoffice::home_visits::{HomeVisit, Visitor};
use abonent_store::idempotency::IdemKey;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::{ListParams, Requester, Rights, VisitLine};
use crate::auth::CurrentStaff;
use crate::common::clock::format_time;
use crate::common::forms::{form_outcome, opts, Opt};
use crate::common::layout::{render, Chrome};
use crate::common::tokens::random_token;
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/home-visits", get(list_page))
        .route("/home-visits/new", get(new_page).post(create))
        .route("/home-visits/settings", post(save_settings))
        .route("/home-visits/{id}", get(card_page))
        .route("/home-visits/{id}/schedule", post(schedule))
        .route("/home-visits/{id}/cancel", post(cancel))
        .route("/home-visits/{id}/result", post(result))
}

/// A visit as a line of a list.
struct Line {
    id: i64,
    client: String,
    address: String,
    reason: String,
    status: &'static str,
    when: String,
    staff: String,
    overdue: String,
    vulnerable: bool,
}

fn when(v: &HomeVisit) -> String {
    match (&v.visit_on, &v.time_from, &v.time_to) {
        (Some(d), Some(a), Some(b)) => format!("{}, {a}–{b}", ru_date(d)),
        _ => {
            let mut s = format!("заявка от {}", ru_date(&v.requested_on));
            match (&v.preferred_from, &v.preferred_to) {
                (Some(a), Some(b)) => {
                    s.push_str(&format!("; удобно {}–{}", ru_date(a), ru_date(b)))
                }
                (Some(a), None) => s.push_str(&format!("; удобно с {}", ru_date(a))),
                (None, Some(b)) => s.push_str(&format!("; удобно до {}", ru_date(b))),
                (None, None) => {}
            }
            s
        }
    }
}

fn line(l: VisitLine) -> Line {
    let v = l.visit;
    Line {
        when: when(&v),
        id: v.id,
        client: v.client_name,
        address: v.address,
        reason: v.reason,
        status: v.status.label_ru(),
        staff: v.staff_name.unwrap_or_default(),
        overdue: l.overdue.unwrap_or_default(),
        vulnerable: v.vulnerable == 1,
    }
}

#[derive(Template)]
#[template(path = "frontoffice/home_visits.html")]
struct ListPage {
    chrome: Chrome,
    lines: Vec<Line>,
    staff: Vec<Visitor>,
    statuses: Vec<Opt>,
    f_staff: i64,
    f_date: String,
    f_status: String,
    mine: bool,
    may_request: bool,
    may_schedule: bool,
    may_serve: bool,
    schedule_days: String,
    errors: FieldErrors,
}

fn statuses() -> Vec<Opt> {
    let mut s = vec![Opt {
        code: "overdue".into(),
        label: "просроченные".into(),
    }];
    s.extend(opts(
        HomeVisitStatus::ALL,
        HomeVisitStatus::code,
        HomeVisitStatus::label_ru,
    ));
    s
}

async fn list_view(
    state: &AppState,
    me: &CurrentStaff,
    p: &ListParams,
    errors: FieldErrors,
    days_typed: Option<String>,
) -> Result<ListPage, WebError> {
    let (lines, errors) = match super::list(state, me, p).await {
        Ok(l) => (l, errors),
        Err(WebError::Invalid(e)) => (
            super::list(
                state,
                me,
                &ListParams {
                    mine: p.mine.clone(),
                    ..Default::default()
                },
            )
            .await?,
            e,
        ),
        Err(e) => return Err(e),
    };
    let mine = p.mine.as_deref().is_some_and(|m| !m.is_empty() && m != "0");
    let days = match days_typed {
        Some(t) => t,
        None => super::schedule_days(state, me).await?.to_string(),
    };
    Ok(ListPage {
        chrome: Chrome::for_staff(
            if mine {
                "Мои выезды"
            } else {
                "Выезды на дом"
            },
            me,
            "queue",
        ),
        lines: lines.into_iter().map(line).collect(),
        staff: super::staff_filter(state, me).await?,
        statuses: statuses(),
        f_staff: p.staff.unwrap_or(0),
        f_date: p.date.clone(),
        f_status: p.status.clone(),
        mine,
        may_request: Rights::may_request(me),
        may_schedule: Rights::may_schedule(me),
        may_serve: Rights::may_serve(me),
        schedule_days: days,
        errors,
    })
}

/// The visits per staff member and day, with the overdue ones marked.
#[tracing::instrument(level = "debug", skip_all)]
async fn list_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let page = list_view(&state, &me, &p, FieldErrors::new(), None).await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
struct SettingsForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    schedule_days: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn save_settings(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<SettingsForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match super::save_schedule_days(&state, &me, &f.schedule_days).await {
        Ok(_) => Ok(Redirect::to("/home-visits").into_response()),
        Err(WebError::Invalid(e)) => {
            let page = list_view(
                &state,
                &me,
                &ListParams::default(),
                e,
                Some(f.schedule_days),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- request form

#[derive(Template)]
#[template(path = "frontoffice/home_visit_new.html")]
struct NewPage {
    chrome: Chrome,
    client: Option<Chosen>,
    accounts: Vec<Opt>,
    channels: Vec<Opt>,
    form: HomeVisitDraft,
    errors: FieldErrors,
    q: String,
    hits: Vec<SearchHit>,
    once: String,
}

/// The client a request is for.
struct Chosen {
    id: i64,
    name: String,
    /// The client's vulnerable categories, in Russian.
    vulnerable: Vec<String>,
}

#[derive(Deserialize, Default)]
struct NewParams {
    #[serde(default)]
    client_id: Option<i64>,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    q: String,
}

async fn new_view(
    state: &AppState,
    me: &CurrentStaff,
    form: HomeVisitDraft,
    errors: FieldErrors,
    q: String,
) -> Result<NewPage, WebError> {
    Rights::request(me)?;
    let (client, accounts) = match form.client_id {
        Some(id) => {
            let card = super::request_form(state, me, id).await?;
            let c = card.client;
            (
                Some(Chosen {
                    id: c.id,
                    name: c.full_name.clone(),
                    vulnerable: c
                        .vulnerable
                        .iter()
                        .map(|v| v.label_ru().to_owned())
                        .collect(),
                }),
                card.accounts
                    .iter()
                    .map(|a| Opt {
                        code: a.number.clone(),
                        label: format!("№ {}, {}", a.number, a.address()),
                    })
                    .collect(),
            )
        }
        None => (None, Vec::new()),
    };
    let hits = if client.is_none() && q.trim().chars().count() >= 2 {
        super::find_clients(state, me, &q).await?
    } else {
        Vec::new()
    };
    let channels = HomeVisitChannel::ALL
        .iter()
        .filter(|c| **c != HomeVisitChannel::Portal)
        .map(|c| Opt {
            code: c.code().into(),
            label: c.label_ru().into(),
        })
        .collect();
    Ok(NewPage {
        chrome: Chrome::for_staff("Заявка на выезд на дом", me, "queue"),
        client,
        accounts,
        channels,
        form,
        errors,
        q,
        hits,
        once: random_token(),
    })
}

/// The request form: from the client's card (`client_id`), or by phone (find the client first).
#[tracing::instrument(level = "debug", skip_all)]
async fn new_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<NewParams>,
) -> Result<Response, PageError> {
    let channel = match p.channel.as_str() {
        "" if p.client_id.is_some() && p.q.is_empty() => "card".to_owned(),
        "" => "phone".to_owned(),
        c => c.to_owned(),
    };
    let form = HomeVisitDraft {
        client_id: p.client_id,
        channel,
        ..Default::default()
    };
    let page = new_view(&state, &me, form, FieldErrors::new(), p.q).await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
struct RequestForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, rename = "_once")]
    once: String,
    #[serde(default)]
    client_id: String,
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
    #[serde(default)]
    channel: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn create(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<RequestForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let d = HomeVisitDraft {
        client_id: f.client_id.trim().parse().ok(),
        account: f.account,
        reason: f.reason,
        preferred_from: f.preferred_from,
        preferred_to: f.preferred_to,
        preferred_time: f.preferred_time,
        contact_phone: f.contact_phone,
        channel: f.channel,
    };
    let key = (!f.once.trim().is_empty()).then(|| IdemKey::new(super::scope(&me), f.once.trim()));
    let r = super::request(&state, Requester::Staff(&me), &d, key).await;
    let page = match &r {
        Err(WebError::Invalid(_) | WebError::Conflict(_)) => {
            Some(new_view(&state, &me, d.clone(), FieldErrors::new(), String::new()).await?)
        }
        _ => None,
    };
    form_outcome(
        "reason",
        r,
        |v| format!("/home-visits/{}", v.id),
        |errors| match page {
            Some(mut p) => {
                p.errors = errors;
                render(&p)
            }
            None => Err(WebError::Internal(anyhow::anyhow!("no form to show")).into()),
        },
    )
}

// ---------------------------------------------------------------- a visit

#[derive(Template)]
#[template(path = "frontoffice/home_visit.html")]
struct CardPage {
    chrome: Chrome,
    v: HomeVisit,
    status: &'static str,
    channel: &'static str,
    when: String,
    requested_at: String,
    phone: String,
    overdue: String,
    outcome: String,
    history: Vec<(String, &'static str, String, String)>,
    visitors: Vec<Visitor>,
    outcomes: Vec<Opt>,
    may_schedule: bool,
    /// The signed-in staff member may record the result.
    may_record: bool,
    schedule: ScheduleDraft,
    cancel: CancelDraft,
    result: ResultDraft,
    errors: FieldErrors,
}

/// The forms of a visit's card as typed, and which one (`schedule`, `cancel`, `result`) the
/// errors are about.
struct Forms {
    schedule: ScheduleDraft,
    cancel: CancelDraft,
    result: ResultDraft,
    errors: FieldErrors,
    form: &'static str,
}

impl Forms {
    fn empty() -> Self {
        Forms {
            schedule: ScheduleDraft::default(),
            cancel: CancelDraft::default(),
            result: ResultDraft::default(),
            errors: FieldErrors::new(),
            form: "",
        }
    }
}

async fn card_view(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    forms: Forms,
) -> Result<CardPage, WebError> {
    let c = super::card(state, me, id).await?;
    let v = c.visit;
    let open = v.status.is_open();
    let may_record = v.status == HomeVisitStatus::Scheduled
        && Rights::may_serve(me)
        && (Rights::may_schedule(me) || v.staff_id == Some(me.staff.id));
    let mut schedule = forms.schedule;
    if forms.form != "schedule" {
        schedule = ScheduleDraft {
            visit_on: v.visit_on.clone().unwrap_or_default(),
            time_from: v.time_from.clone().unwrap_or_else(|| "10:00".into()),
            time_to: v.time_to.clone().unwrap_or_else(|| "12:00".into()),
            staff_id: v.staff_id,
            reason: String::new(),
            version: v.version,
        };
    }
    Ok(CardPage {
        chrome: Chrome::for_staff(&format!("Выезд на дом № {}", v.id), me, "queue"),
        status: v.status.label_ru(),
        channel: v.channel.label_ru(),
        when: when(&v),
        requested_at: format_time(v.requested_at, &me.zone),
        phone: v
            .contact_phone
            .as_deref()
            .map(format_phone)
            .unwrap_or_default(),
        overdue: c.overdue.unwrap_or_default(),
        outcome: v
            .outcome
            .as_deref()
            .and_then(HomeVisitOutcome::parse)
            .map(|o| o.label_ru().to_owned())
            .unwrap_or_default(),
        history: c
            .history
            .into_iter()
            .map(|h| {
                (
                    format_time(h.at, &me.zone),
                    h.event.label_ru(),
                    h.staff_name
                        .unwrap_or_else(|| "клиент (личный кабинет)".into()),
                    h.detail,
                )
            })
            .collect(),
        visitors: c.visitors,
        outcomes: opts(
            HomeVisitOutcome::ALL,
            HomeVisitOutcome::code,
            HomeVisitOutcome::label_ru,
        ),
        may_schedule: open && Rights::may_schedule(me),
        may_record,
        schedule,
        cancel: forms.cancel,
        result: forms.result,
        errors: forms.errors,
        v,
    })
}

/// A visit: the request, the assignment, the history, and the forms the staff member may use.
#[tracing::instrument(level = "debug", skip_all)]
async fn card_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let page = card_view(&state, &me, id, Forms::empty()).await?;
    Ok(render(&page)?.into_response())
}

/// The answer to a visit's form: back to the card, or the card with the form's messages.
async fn card_outcome(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    r: Result<HomeVisit, WebError>,
    mut forms: Forms,
    conflict_field: &str,
) -> Result<Response, PageError> {
    let page = match &r {
        Err(WebError::Invalid(_) | WebError::Conflict(_)) => {
            forms.errors = FieldErrors::new();
            Some(card_view(state, me, id, forms).await?)
        }
        _ => None,
    };
    form_outcome(
        conflict_field,
        r,
        |v| format!("/home-visits/{}", v.id),
        |errors| match page {
            Some(mut p) => {
                p.errors = errors;
                render(&p)
            }
            None => Err(WebError::Internal(anyhow::anyhow!("no form to show")).into()),
        },
    )
}

#[derive(Deserialize)]
struct ScheduleForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    d: ScheduleFields,
}

#[derive(Deserialize)]
struct ScheduleFields {
    #[serde(default)]
    visit_on: String,
    #[serde(default)]
    time_from: String,
    #[serde(default)]
    time_to: String,
    #[serde(default)]
    staff_id: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    version: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn schedule(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<ScheduleForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let d = ScheduleDraft {
        visit_on: f.d.visit_on,
        time_from: f.d.time_from,
        time_to: f.d.time_to,
        staff_id: f.d.staff_id.trim().parse().ok(),
        reason: f.d.reason,
        version: f.d.version.trim().parse().unwrap_or(0),
    };
    let r = super::schedule(&state, &me, id, &d).await;
    let forms = Forms {
        schedule: d,
        form: "schedule",
        ..Forms::empty()
    };
    card_outcome(&state, &me, id, r, forms, "visit_on").await
}

#[derive(Deserialize)]
struct CancelForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    cancel_reason: String,
    #[serde(default)]
    version: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn cancel(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<CancelForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let d = CancelDraft {
        reason: f.cancel_reason,
        version: f.version.trim().parse().unwrap_or(0),
    };
    // The form's field is `cancel_reason` (the assignment form has its own `reason`).
    let r = super::cancel(&state, &me, id, &d)
        .await
        .map_err(|e| match e {
            WebError::Invalid(mut fe) => {
                for x in &mut fe.0 {
                    if x.field == "reason" {
                        x.field = "cancel_reason".into();
                    }
                }
                WebError::Invalid(fe)
            }
            e => e,
        });
    let forms = Forms {
        cancel: d,
        form: "cancel",
        ..Forms::empty()
    };
    card_outcome(&state, &me, id, r, forms, "cancel_reason").await
}

#[derive(Deserialize)]
struct ResultForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    version: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn result(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<ResultForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let d = ResultDraft {
        outcome: f.outcome,
        note: f.note,
        version: f.version.trim().parse().unwrap_or(0),
    };
    let r = super::record_result(&state, &me, id, &d).await;
    let forms = Forms {
        result: d,
        form: "result",
        ..Forms::empty()
    };
    card_outcome(&state, &me, id, r, forms, "outcome").await
}
