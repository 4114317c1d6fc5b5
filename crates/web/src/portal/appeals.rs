//! Appeals in the personal account (PRT-02): the client files an appeal about one of their
//! accounts (registered like any other, with the standard's deadline) and follows its status
//! and answers.

use abonent_domain::appeals::AppealKind;
use abonent_domain::validation::FieldErrors;
use abonent_store::idempotency::IdemKey;
use askama::Template;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::CookieJar;
use axum_extra::extract::Form;
use serde::Deserialize;

use crate::appeals::{register, Registrar};
use crate::auth::client::CurrentClient;
use crate::auth::ClientIp;
use crate::common::clock::format_time;
use crate::common::forms::Opt;
use crate::common::layout::{render, ru_date};
use crate::common::portal_chrome::PortalChrome;
use crate::common::uploads::{files_to_attach_again, read_multipart, Upload, MAX_TOTAL_BYTES};
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/my/appeals", get(list))
        .route("/my/appeals/new", get(form).post(submit))
        .layer(DefaultBodyLimit::max(MAX_TOTAL_BYTES + 1024 * 1024))
}

struct ReplyLine {
    interim: bool,
    body: String,
    executor: String,
    signatory: String,
    sent_at: String,
}

struct AppealLine {
    number: String,
    registered: String,
    kind: &'static str,
    topic: String,
    status: &'static str,
    deadline: String,
    replies: Vec<ReplyLine>,
}

#[derive(Template)]
#[template(path = "portal/appeals.html")]
struct ListPage {
    chrome: PortalChrome,
    appeals: Vec<AppealLine>,
    registered: String,
}

fn chrome(me: &CurrentClient, title: &str) -> PortalChrome {
    PortalChrome {
        title: title.into(),
        email: Some(me.user.login()),
        csrf: me.csrf_token.clone(),
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    registered: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn list(
    State(state): State<AppState>,
    me: CurrentClient,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let rules = crate::appeals::rules(&state).await?;
    let appeals = super::my_appeals(&state, &me)
        .await?
        .into_iter()
        .map(|super::MyAppeal { appeal: a, replies }| {
            let tz = rules.branch_zone(a.branch_id);
            let replies = replies
                .into_iter()
                .map(|r| ReplyLine {
                    interim: r.interim == 1,
                    body: r.body,
                    executor: format!(
                        "{}, тел. {}",
                        r.executor_name,
                        abonent_domain::clients::format_phone(&r.executor_phone)
                    ),
                    signatory: format!("{} {}", r.signatory_position, r.signatory_name),
                    sent_at: format_time(r.sent_at, &tz),
                })
                .collect();
            AppealLine {
                registered: format_time(a.registered_at, &tz),
                kind: a.kind.label_ru(),
                topic: rules.topic_name(&a.topic),
                status: a.status.label_ru(),
                deadline: ru_date(&a.deadline),
                number: a.number,
                replies,
            }
        })
        .collect();
    Ok(render(&ListPage {
        chrome: chrome(&me, "Мои обращения"),
        appeals,
        registered: q.registered,
    })?
    .into_response())
}

/// The appeal form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClientAppealDraft {
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub answer_channel: String,
}

#[derive(Template)]
#[template(path = "portal/appeal_form.html")]
struct FormPage {
    chrome: PortalChrome,
    accounts: Vec<Opt>,
    kinds: Vec<Opt>,
    topics: Vec<Opt>,
    form: ClientAppealDraft,
    errors: FieldErrors,
    /// The personal account has an e-mail address (opened with a phone it may have none).
    has_email: bool,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn form_view(
    state: &AppState,
    me: &CurrentClient,
    form: ClientAppealDraft,
    errors: FieldErrors,
) -> Result<FormPage, WebError> {
    let accounts = super::my_accounts(state, me)
        .await?
        .into_iter()
        .map(|a| Opt {
            label: format!("№ {}, {}", a.number, a.address()),
            code: a.number,
        })
        .collect();
    let rules = crate::appeals::rules(state).await?;
    Ok(FormPage {
        chrome: chrome(me, "Новое обращение"),
        accounts,
        kinds: crate::common::forms::opts(AppealKind::ALL, AppealKind::code, AppealKind::label_ru),
        topics: rules.topic_options(),
        form,
        errors,
        has_email: me.user.email.is_some(),
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn form(State(state): State<AppState>, me: CurrentClient) -> Result<Response, PageError> {
    let page = form_view(
        &state,
        &me,
        ClientAppealDraft {
            answer_channel: "portal".into(),
            ..Default::default()
        },
        FieldErrors::new(),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct AppealForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// A one-time token: a double submit registers one appeal.
    #[serde(default, rename = "_once")]
    once: String,
    #[serde(flatten)]
    draft: ClientAppealDraft,
}

/// The appeal form as sent: with files (multipart, from the page) or without (a plain form).
async fn read_appeal_form(req: Request) -> Result<(AppealForm, Vec<Upload>), WebError> {
    let multipart = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let Form(f) = Form::<AppealForm>::from_request(req, &())
            .await
            .map_err(|e| WebError::BadRequest(format!("Форма не разобрана: {e}")))?;
        return Ok((f, Vec::new()));
    }
    let mp = Multipart::from_request(req, &())
        .await
        .map_err(|e| WebError::BadRequest(format!("Форма не разобрана: {e}")))?;
    let (fields, files) = read_multipart(mp).await?;
    let f = serde_json::to_value(fields)
        .and_then(serde_json::from_value::<AppealForm>)
        .map_err(|e| WebError::BadRequest(format!("Форма не разобрана: {e}")))?;
    Ok((f, files))
}

/// What an appeal typed before the session ended carries through signing in.
pub(crate) fn kept_appeal(d: &ClientAppealDraft) -> super::views::Kept {
    super::views::Kept {
        fields: vec![
            ("keep_appeal", "1".into()),
            ("appeal_account", d.account.clone()),
            ("appeal_kind", d.kind.clone()),
            ("appeal_topic", d.topic.clone()),
            ("appeal_text", d.text.clone()),
            ("appeal_answer_channel", d.answer_channel.clone()),
        ],
        note:
            "Текст обращения сохранён: после входа проверьте его и нажмите «Отправить обращение»."
                .into(),
    }
}

/// The appeal form filled in again after signing in (nothing was sent).
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn kept_form(
    state: &AppState,
    me: &CurrentClient,
    draft: ClientAppealDraft,
) -> Result<axum::response::Html<String>, PageError> {
    let page = form_view(
        state,
        me,
        draft,
        FieldErrors::single(
            "text",
            "Сеанс закончился, и обращение не было отправлено. Проверьте его и нажмите «Отправить обращение».",
        ),
    )
    .await?;
    render(&page)
}

#[tracing::instrument(level = "debug", skip_all)]
async fn submit(
    State(state): State<AppState>,
    me: Result<CurrentClient, crate::auth::client::PortalRejection>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    req: Request,
) -> Result<Response, PageError> {
    let (f, files) = read_appeal_form(req).await?;
    let attached: Vec<String> = files
        .iter()
        .filter(|f| !f.content.is_empty())
        .map(|f| f.file_name.clone())
        .collect();
    let Ok(me) = me else {
        return super::views::sign_in_again(
            &state,
            jar,
            &ip,
            ("portal_user", "unknown"),
            kept_appeal(&f.draft),
        )
        .await;
    };
    if me.check_csrf(&f.csrf).is_err() {
        // A stale page: the appeal shown again with the reason, not sent.
        let page = form_view(
            &state,
            &me,
            f.draft.clone(),
            FieldErrors::single(
                "text",
                "Страница устарела, и обращение не было отправлено. Проверьте его и нажмите «Отправить обращение» ещё раз.",
            ),
        )
        .await?;
        return Ok((StatusCode::FORBIDDEN, render(&page)?).into_response());
    }
    let d = &f.draft;
    let account = match abonent_domain::accounts::AccountNumber::parse(d.account.trim()) {
        Ok(n) => super::account_by_number(&state, &n).await?,
        Err(_) => None,
    };
    let Some(account) = account else {
        let page = form_view(
            &state,
            &me,
            f.draft.clone(),
            FieldErrors::single("account", "Выберите лицевой счёт из списка."),
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    me.require_account(&state, account.id).await?;
    if d.answer_channel == "email" && me.user.email.is_none() {
        let page = form_view(
            &state,
            &me,
            f.draft.clone(),
            FieldErrors::single(
                "answer_channel",
                "В личном кабинете нет адреса электронной почты: выберите ответ в личный кабинет.",
            ),
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let draft = abonent_domain::appeals::AppealDraft {
        channel: String::new(),
        kind: d.kind.clone(),
        topic: d.topic.clone(),
        text: d.text.clone(),
        account_number: account.number.clone(),
        answer_channel: d.answer_channel.clone(),
        email: if d.answer_channel == "email" {
            me.user.email.clone().unwrap_or_default()
        } else {
            String::new()
        },
        ..Default::default()
    };
    let key = (!f.once.trim().is_empty())
        .then(|| IdemKey::new(format!("portal-appeal:{}", me.user.id), f.once.trim()));
    match register(&state, Registrar::Client(&me), draft, files, key).await {
        Ok(r) => Ok(
            Redirect::to(&format!("/my/appeals?registered={}", r.registered.number))
                .into_response(),
        ),
        Err(WebError::Invalid(errors)) => {
            let errors = files_to_attach_again(errors, &attached);
            let page = form_view(&state, &me, f.draft.clone(), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
