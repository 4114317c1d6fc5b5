//! Appeal pages of the workspace: the registry with its views, registration, the card with its
//! actions, the printable confirmation, attachments and the period's counts.

use abonent_domain::appeals::{
    AnswerChannel, AnswerDraft, AppealDraft, AppealKind, Ground, IntakeChannel,
};
use abonent_domain::validation::FieldErrors;
use abonent_store::appeals::{AppealRow, AppealStats, View};
use abonent_store::idempotency::IdemKey;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::ListParams;
use super::{attachment_response, stats_for};
use super::{draft_from, AppealCard, Registrar, Rights};
use crate::auth::CurrentStaff;
use crate::common::clock::format_time;
use crate::common::download::enc;
use crate::common::forms::{opts, Opt};
use crate::common::layout::{render, ru_date, Chrome};
use crate::common::tokens::random_token;
use crate::common::uploads::{files_to_attach_again, read_multipart, MAX_TOTAL_BYTES};
use crate::{AppState, PageError, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/appeals", get(list_page))
        .route("/appeals/new", get(new_form).post(create))
        .route("/appeals/stats", get(stats_page))
        .route("/appeals/notices/read", post(notices_read))
        .route("/appeals/mail", get(mail_page))
        .route("/appeals/settings", get(settings_page))
        .route("/appeals/settings/norms/{kind}", post(settings_norms))
        .route("/appeals/settings/topics", post(settings_topic))
        .route("/appeals/mail/{id}", get(mail_raw))
        .route("/appeals/mail/{id}/handled", post(mail_handled))
        .route("/appeals/attachments/{id}", get(attachment))
        .route("/appeals/{id}", get(card_page))
        .route("/appeals/{id}/confirmation", get(confirmation))
        .route("/appeals/{id}/replies/{reply}/letter.pdf", get(letter_pdf))
        .route("/appeals/{id}/replies/{reply}/posted", post(letter_posted))
        .route("/appeals/{id}/{action}", post(act))
        .layer(axum::extract::DefaultBodyLimit::max(
            MAX_TOTAL_BYTES + 1024 * 1024,
        ))
}

/// One registry line, ready to show.
pub struct Line {
    pub id: i64,
    pub number: String,
    pub registered: String,
    pub kind: &'static str,
    pub topic: String,
    pub applicant: String,
    pub status: &'static str,
    pub executor: String,
    pub deadline: String,
    pub overdue: bool,
    pub flagged: bool,
    pub repeat: bool,
}

#[derive(Template)]
#[template(path = "appeals/list.html")]
struct ListPage {
    chrome: Chrome,
    view: &'static str,
    /// Code, label and how many open appeals the tab holds (none for «Все»).
    tabs: Vec<(&'static str, &'static str, Option<i64>)>,
    q: String,
    kind: String,
    topic: String,
    channel: String,
    status: String,
    from: String,
    to: String,
    kinds: Vec<Opt>,
    topics: Vec<Opt>,
    channels: Vec<Opt>,
    statuses: Vec<Opt>,
    lines: Vec<Line>,
    errors: FieldErrors,
    /// (when, text, where it links, unread)
    notices: Vec<(String, String, Option<String>, bool)>,
    unread: usize,
    can_register: bool,
    can_configure: bool,
    failed_letters: usize,
    offset: i64,
    next_offset: Option<i64>,
    prev_offset: Option<i64>,
    query_base: String,
}

fn view_code(v: View) -> &'static str {
    match v {
        View::All => "all",
        View::New => "new",
        View::Mine => "mine",
        View::DueSoon => "due_soon",
        View::Overdue => "overdue",
    }
}

/// The list's filters as a query, for the pages' links.
fn query_base(view: View, params: &ListParams) -> String {
    let s = |v: &Option<String>| enc(v.as_deref().unwrap_or_default());
    format!(
        "view={}&q={}&kind={}&topic={}&channel={}&status={}&from={}&to={}",
        view_code(view),
        s(&params.q),
        s(&params.kind),
        s(&params.topic),
        s(&params.channel),
        s(&params.status),
        s(&params.from),
        s(&params.to),
    )
}

#[tracing::instrument(level = "debug", skip_all)]
async fn list_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    Rights::view_list(&state, &me).await?;
    let rules = super::rules(&state).await?;
    let tz = me.zone.clone();
    let today = rules.today_in(me.staff.branch_id.unwrap_or(0));
    let mut errors = FieldErrors::new();
    let mut lines = Vec::new();
    let limit = 50;
    let mut params = ListParams {
        limit: Some(limit + 1),
        ..p
    };
    let view = *params.view.get_or_insert_with(|| super::default_view(&me));
    let mut has_more = false;
    match params.filter(&tz) {
        Ok(f) => {
            let rows = super::list(&state, &me, f).await?;
            has_more = rows.len() as i64 > limit;
            lines = rows
                .into_iter()
                .take(limit as usize)
                .map(|r| line(&rules, r, today, &tz))
                .collect();
        }
        Err(e) => errors = e,
    }
    let notices = super::my_notices(&state, &me, 10).await?;
    let counts = super::counts(&state, &me).await?;
    let unread = notices.iter().filter(|n| n.read_at.is_none()).count();
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let offset = params.offset.unwrap_or(0).max(0);
    let query_base = query_base(view, &params);
    let page = ListPage {
        chrome: Chrome::for_staff("Обращения", &me, "appeals"),
        view: view_code(view),
        tabs: vec![
            ("new", "Новые", Some(counts.new)),
            ("mine", "Мои", Some(counts.mine)),
            ("due_soon", "Срок истекает", Some(counts.due_soon)),
            ("overdue", "Просроченные", Some(counts.overdue)),
            ("all", "Все", None),
        ],
        q: s(&params.q),
        kind: s(&params.kind),
        topic: s(&params.topic),
        channel: s(&params.channel),
        status: s(&params.status),
        from: s(&params.from),
        to: s(&params.to),
        kinds: opts(AppealKind::ALL, AppealKind::code, AppealKind::label_ru),
        topics: rules.topic_options(),
        channels: opts(
            IntakeChannel::ALL,
            IntakeChannel::code,
            IntakeChannel::label_ru,
        ),
        statuses: opts(
            abonent_domain::appeals::AppealStatus::ALL,
            abonent_domain::appeals::AppealStatus::code,
            abonent_domain::appeals::AppealStatus::label_ru,
        ),
        lines,
        notices: notices
            .into_iter()
            .map(|n| {
                (
                    format_time(n.at, &tz),
                    n.text,
                    n.appeal_id
                        .map(|id| format!("/appeals/{id}"))
                        .or(n.incident_id.map(|id| format!("/incidents/{id}"))),
                    n.read_at.is_none(),
                )
            })
            .collect(),
        unread,
        errors: errors.clone(),
        can_register: Rights::may_register(&me),
        can_configure: Rights::may_configure(&me),
        failed_letters: super::failed_letter_count(&state, &me).await?,
        offset,
        next_offset: has_more.then_some(offset + limit),
        prev_offset: (offset > 0).then_some((offset - limit).max(0)),
        query_base,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)?).into_response())
}

/// Whether a stored deadline (`YYYY-MM-DD`) has passed on `today` (APL-09).
fn is_overdue_on(deadline: &str, today: jiff::civil::Date) -> bool {
    deadline
        .parse()
        .is_ok_and(|d| abonent_domain::appeals::is_overdue(d, today))
}

fn line(
    rules: &super::Rules,
    r: AppealRow,
    today: jiff::civil::Date,
    tz: &jiff::tz::TimeZone,
) -> Line {
    let open = r.status.is_open();
    Line {
        overdue: open && is_overdue_on(&r.deadline, today),
        id: r.id,
        number: r.number,
        registered: format_time(r.registered_at, tz),
        kind: r.kind.label_ru(),
        topic: rules.topic_name(&r.topic),
        applicant: r.applicant_name,
        status: r.status.label_ru(),
        executor: r.executor_name.unwrap_or_default(),
        deadline: ru_date(&r.deadline),
        flagged: r.flagged == 1,
        repeat: r.repeat_of.is_some(),
    }
}

#[derive(Template)]
#[template(path = "appeals/new.html")]
struct NewPage {
    chrome: Chrome,
    form: AppealDraft,
    once: String,
    channels: Vec<Opt>,
    kinds: Vec<Opt>,
    topics: Vec<Opt>,
    answer_channels: Vec<Opt>,
    branches: Vec<abonent_store::org::Branch>,
    errors: FieldErrors,
    /// Whose appeal it is, when the form was opened from a client's card.
    applicant: Option<ApplicantLine>,
}

/// The client an appeal is registered for, as the form shows it.
struct ApplicantLine {
    name: String,
    phones: String,
    accounts: Vec<(String, String)>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn new_page(
    state: &AppState,
    me: &CurrentStaff,
    form: AppealDraft,
    errors: FieldErrors,
) -> Result<NewPage, WebError> {
    let rules = super::rules(state).await?;
    let applicant = match form.client_id.trim().parse::<i64>() {
        Ok(id) => super::applicant(state, me, id)
            .await?
            .map(|a| ApplicantLine {
                name: a.client.full_name.clone(),
                phones: a
                    .client
                    .phones
                    .iter()
                    .map(|p| abonent_domain::clients::format_phone(p))
                    .collect::<Vec<_>>()
                    .join(", "),
                accounts: a
                    .accounts
                    .iter()
                    .map(|acc| (acc.number.to_string(), acc.address()))
                    .collect(),
            }),
        Err(_) => None,
    };
    Ok(NewPage {
        applicant,
        chrome: Chrome::for_staff("Регистрация обращения", me, "appeals"),
        form,
        once: random_token(),
        channels: opts(
            &IntakeChannel::ALL
                .iter()
                .copied()
                .filter(|c| *c != IntakeChannel::OnlineReception && *c != IntakeChannel::Email)
                .collect::<Vec<_>>(),
            IntakeChannel::code,
            IntakeChannel::label_ru,
        ),
        kinds: opts(AppealKind::ALL, AppealKind::code, AppealKind::label_ru),
        topics: rules.topic_options(),
        answer_channels: opts(
            AnswerChannel::ALL,
            AnswerChannel::code,
            AnswerChannel::label_ru,
        ),
        branches: rules.branches.clone(),
        errors,
    })
}

#[derive(Deserialize, Default)]
pub struct NewParams {
    #[serde(default)]
    client_id: String,
    /// How the appeal came, when the form is opened from where it arrives (`phone` from the
    /// phone menu); otherwise in person, in writing.
    #[serde(default)]
    channel: String,
    /// The kind, when the context decides it: a consultation in the hall whose answer needs
    /// time is an information request (§6.3.3).
    #[serde(default)]
    kind: String,
    /// What the visitor came with, when the form is opened from a visit in the hall: the start
    /// of the appeal's text, which the person registering completes.
    #[serde(default)]
    text: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn new_form(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<NewParams>,
) -> Result<Response, PageError> {
    Rights::register(&me)?;
    // No kind is preselected: the person registering decides it from the text.
    let channel = IntakeChannel::parse(p.channel.trim())
        .filter(|c| *c != IntakeChannel::OnlineReception && *c != IntakeChannel::Email)
        .unwrap_or(IntakeChannel::InPersonWritten);
    let kind = abonent_domain::appeals::AppealKind::parse(p.kind.trim())
        .map(|k| k.code().to_owned())
        .unwrap_or_default();
    let form = AppealDraft {
        channel: channel.code().into(),
        client_id: p.client_id,
        kind,
        text: p.text.chars().take(2000).collect(),
        ..Default::default()
    };
    Ok(render(&new_page(&state, &me, form, FieldErrors::new()).await?)?.into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn create(
    State(state): State<AppState>,
    me: CurrentStaff,
    mp: Multipart,
) -> Result<Response, PageError> {
    Rights::register(&me)?;
    let (fields, files) = match read_multipart(mp).await {
        Ok(v) => v,
        Err(WebError::Invalid(e)) => {
            let page = new_page(&state, &me, AppealDraft::default(), e).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    me.check_csrf(fields.get("_csrf").map_or("", |s| s.as_str()))?;
    let draft = draft_from(&fields);
    let once = fields.get("_once").cloned().unwrap_or_default();
    let idem = (!once.is_empty()).then(|| IdemKey::new(format!("form:{}", me.staff.id), once));
    let attached: Vec<String> = files
        .iter()
        .filter(|f| !f.content.is_empty())
        .map(|f| f.file_name.clone())
        .collect();
    match super::register(&state, Registrar::Staff(&me), draft.clone(), files, idem).await {
        Ok(r) => {
            let mut to = format!("/appeals/{}/confirmation", r.registered.id);
            if let Some(code) = r.tracking_code {
                to.push_str(&format!("?code={code}"));
            }
            Ok(Redirect::to(&to).into_response())
        }
        Err(WebError::Invalid(e)) => {
            let e = files_to_attach_again(e, &attached);
            let page = new_page(&state, &me, draft, e).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "appeals/confirmation.html")]
struct ConfirmationPage {
    chrome: Chrome,
    id: i64,
    number: String,
    registered: String,
    kind: &'static str,
    topic: String,
    channel: &'static str,
    applicant: String,
    deadline: String,
    code: String,
    company: String,
    hotline: String,
}

#[derive(Deserialize, Default)]
pub struct CodeParam {
    #[serde(default)]
    code: String,
}

/// The confirmation of registration for the applicant, to print or hand over (APL-02). The
/// tracking code is shown only right after registration (it is not stored in clear).
#[tracing::instrument(level = "debug", skip_all)]
async fn confirmation(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(p): Query<CodeParam>,
) -> Result<Response, PageError> {
    let card = super::open(&state, &me, id).await?;
    let a = card.appeal;
    let company = super::company(&state).await?;
    let page = ConfirmationPage {
        chrome: Chrome::for_staff(&format!("Обращение № {}", a.number), &me, "appeals"),
        id,
        number: a.number.clone(),
        registered: format_time(a.registered_at, &me.zone),
        kind: a.kind.label_ru(),
        topic: a.topic_name.clone(),
        channel: a.channel.label_ru(),
        applicant: a.applicant_name.clone(),
        deadline: ru_date(&a.deadline),
        code: super::normalise_code(&p.code),
        company: company.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        hotline: company.map(|c| c.hotline_phones).unwrap_or_default(),
    };
    let mut resp = render(&page)?.into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// The forms on the card, with what was typed when a submission was refused.
#[derive(Default, Clone)]
pub struct CardForms {
    pub executor_id: String,
    pub interim_body: String,
    pub interim_channel: String,
    pub days: String,
    pub answer: AnswerDraft,
    pub ground: String,
    pub note: String,
}

pub struct EventLine {
    pub at: String,
    pub who: String,
    pub action: &'static str,
    pub details: String,
}

pub struct ReplyLine {
    pub id: i64,
    pub to_print: bool,
    pub interim: bool,
    pub body: String,
    pub sent: String,
    pub channel: &'static str,
    pub delivery: &'static str,
    pub executor: String,
    pub signatory: String,
    pub call_note: String,
}

#[derive(Template)]
#[template(path = "appeals/card.html")]
struct CardPage {
    chrome: Chrome,
    a: abonent_store::appeals::AppealRecord,
    registered: String,
    kind: &'static str,
    channel: &'static str,
    status: &'static str,
    answer_channel: &'static str,
    ground: &'static str,
    deadline: String,
    original_deadline: String,
    overdue: bool,
    events: Vec<EventLine>,
    replies: Vec<ReplyLine>,
    attachments: Vec<abonent_store::appeals::AttachmentMeta>,
    related: Vec<Line>,
    can_assign: bool,
    can_handle: bool,
    can_post: bool,
    can_classify: bool,
    kinds: Vec<Opt>,
    topics: Vec<Opt>,
    executors: Vec<Opt>,
    answer_channels: Vec<Opt>,
    grounds: Vec<Opt>,
    forms: CardForms,
    errors: FieldErrors,
    done: String,
    max_extension: i32,
}

fn action_label(a: &str) -> &'static str {
    match a {
        "registered" => "Зарегистрировано",
        "linked_repeat" => "Связано как повторное",
        "assigned" => "Назначен исполнитель",
        "reassigned" => "Исполнитель заменён",
        "interim_reply" => "Промежуточный ответ",
        "extended" => "Срок продлён",
        "answered" => "Дан ответ",
        "left_without_action" => "Оставлено без рассмотрения",
        "flag_cleared" => "Проверка текста",
        "reminded" => "Напоминание о сроке",
        "escalated" => "Просрочено: сообщено руководителю",
        "letter_received" => "Получено письмо заявителя",
        "reclassified" => "Изменены вид и тематика",
        "letter_posted" => "Письмо отправлено почтой",
        _ => "Событие",
    }
}

fn delivery_label(d: &str) -> &'static str {
    match d {
        "delivered" => "доставлен",
        "to_print" => "письмо к печати и отправке",
        "queued" => "в очереди на отправку",
        "sent" => "отправлен по электронной почте",
        "posted" => "письмо отправлено почтой",
        _ => "—",
    }
}

/// Who an appeal of the branch may be assigned to (for who assigns; nobody else sees the list).
#[tracing::instrument(level = "debug", skip_all)]
async fn executors(
    state: &AppState,
    me: &CurrentStaff,
    branch_id: i64,
) -> Result<Vec<Opt>, WebError> {
    Ok(super::executors(state, me, branch_id)
        .await?
        .into_iter()
        .map(|s| Opt {
            code: s.id.to_string(),
            label: format!("{} ({})", s.full_name, s.position),
        })
        .collect())
}

/// A reply as the card lists it.
fn reply_line(r: abonent_store::appeals::Reply, tz: &jiff::tz::TimeZone) -> ReplyLine {
    ReplyLine {
        id: r.id,
        to_print: r.delivery == "to_print",
        interim: r.interim == 1,
        body: r.body,
        sent: format_time(r.sent_at, tz),
        channel: r.channel.label_ru(),
        delivery: delivery_label(&r.delivery),
        executor: if r.executor_name.is_empty() {
            String::new()
        } else {
            format!(
                "{}, тел. {}",
                r.executor_name,
                abonent_domain::clients::format_phone(&r.executor_phone)
            )
        },
        signatory: if r.signatory_name.is_empty() {
            String::new()
        } else {
            format!("{}, {}", r.signatory_position, r.signatory_name)
        },
        call_note: r.call_note.unwrap_or_default(),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn card_view(
    state: &AppState,
    me: &CurrentStaff,
    card: AppealCard,
    forms: CardForms,
    errors: FieldErrors,
    done: &str,
) -> Result<CardPage, WebError> {
    let rules = super::rules(state).await?;
    let tz = &me.zone;
    let a = card.appeal;
    let today = rules.today_in(a.branch_id);
    let open = a.status.is_open();
    let can_handle = Rights::may_act_on(me, a.executor_id);
    let executors = executors(state, me, a.branch_id).await?;
    let mut forms = forms;
    if forms.answer.executor_name.is_empty() {
        forms.answer.executor_name = a.executor_name.clone().unwrap_or_default();
        forms.answer.executor_phone = a
            .executor_phone
            .as_deref()
            .map(abonent_domain::clients::format_phone)
            .unwrap_or_default();
    }
    if forms.answer.channel.is_empty() {
        forms.answer.channel = a.answer_channel.code().to_owned();
    }
    let kind = a.kind;
    Ok(CardPage {
        chrome: Chrome::for_staff(&format!("Обращение № {}", a.number), me, "appeals"),
        registered: format_time(a.registered_at, tz),
        kind: a.kind.label_ru(),
        channel: a.channel.label_ru(),
        status: a.status.label_ru(),
        answer_channel: a.answer_channel.label_ru(),
        ground: a.ground.map_or("", Ground::label_ru),
        deadline: ru_date(&a.deadline),
        original_deadline: ru_date(&a.original_deadline),
        overdue: open && is_overdue_on(&a.deadline, today),
        events: card
            .events
            .into_iter()
            .map(|e| EventLine {
                at: format_time(e.at, tz),
                who: e.actor_name,
                action: action_label(&e.action),
                details: e.details,
            })
            .collect(),
        replies: card
            .replies
            .into_iter()
            .map(|r| reply_line(r, tz))
            .collect(),
        attachments: card.attachments,
        related: card
            .related
            .into_iter()
            .map(|r| line(&rules, r, today, tz))
            .collect(),
        can_assign: Rights::may_assign(me) && open,
        can_handle: can_handle && open,
        can_post: Rights::may_register(me),
        can_classify: open && (Rights::may_register(me) || Rights::may_assign(me) || can_handle),
        kinds: opts(AppealKind::ALL, AppealKind::code, AppealKind::label_ru),
        topics: rules.topic_options(),
        executors,
        answer_channels: opts(
            AnswerChannel::ALL,
            AnswerChannel::code,
            AnswerChannel::label_ru,
        ),
        grounds: opts(Ground::ALL, Ground::code, Ground::label_ru),
        forms,
        errors,
        done: done.to_owned(),
        max_extension: rules.norms(kind).max_extension_days,
        a,
    })
}

#[derive(Deserialize, Default)]
pub struct DoneParam {
    #[serde(default)]
    done: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn card_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(p): Query<DoneParam>,
) -> Result<Response, PageError> {
    let card = super::open(&state, &me, id).await?;
    let done = match p.done.as_str() {
        "assign" => "Исполнитель назначен.",
        "interim" => "Промежуточный ответ записан.",
        "extend" => "Срок продлён.",
        "answer" => "Ответ записан и направлен заявителю.",
        "leave" => "Обращение оставлено без рассмотрения.",
        "clear-flag" => "Отметка снята.",
        "posted" => "Письмо отмечено отправленным.",
        "classify" => "Вид и тематика изменены.",
        _ => "",
    };
    Ok(render(
        &card_view(
            &state,
            &me,
            card,
            CardForms::default(),
            FieldErrors::new(),
            done,
        )
        .await?,
    )?
    .into_response())
}

/// Any action form on the card.
#[derive(Deserialize, Default)]
pub struct ActionForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    executor_id: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    substance: String,
    #[serde(default)]
    executor_name: String,
    #[serde(default)]
    executor_phone: String,
    #[serde(default)]
    signatory_name: String,
    #[serde(default)]
    signatory_position: String,
    #[serde(default)]
    call_note: String,
    #[serde(default)]
    ground: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    topic: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn act(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<ActionForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let answer = AnswerDraft {
        substance: f.substance.clone(),
        executor_name: f.executor_name.clone(),
        executor_phone: f.executor_phone.clone(),
        signatory_name: f.signatory_name.clone(),
        signatory_position: f.signatory_position.clone(),
        channel: f.channel.clone(),
        call_note: f.call_note.clone(),
    };
    let (result, field) = match action.as_str() {
        "assign" => (
            super::assign(&state, &me, id, f.version, &f.executor_id).await,
            "executor_id",
        ),
        "interim" => (
            super::interim(&state, &me, id, f.version, &f.body, &f.channel).await,
            "body",
        ),
        "extend" => (
            super::extend(&state, &me, id, f.version, &f.days)
                .await
                .map(|_| ()),
            "days",
        ),
        "answer" => (
            super::answer(&state, &me, id, f.version, &answer)
                .await
                .map(|_| ()),
            "substance",
        ),
        "leave" => (
            super::leave(&state, &me, id, f.version, &f.ground, &f.note).await,
            "ground",
        ),
        "clear-flag" => (super::clear_flag(&state, &me, id, f.version).await, "flag"),
        "classify" => (
            super::reclassify(&state, &me, id, f.version, &f.kind, &f.topic).await,
            "topic",
        ),
        _ => return Err(WebError::NotFound("Такого действия нет.".into()).into()),
    };
    let errors = match result {
        Ok(()) => return Ok(Redirect::to(&format!("/appeals/{id}?done={action}")).into_response()),
        Err(WebError::Invalid(e)) => (StatusCode::UNPROCESSABLE_ENTITY, e),
        Err(WebError::Conflict(m)) => (StatusCode::CONFLICT, FieldErrors::single(field, m)),
        Err(e) => return Err(e.into()),
    };
    let forms = CardForms {
        executor_id: f.executor_id,
        interim_body: f.body,
        interim_channel: if action == "interim" {
            f.channel
        } else {
            String::new()
        },
        days: f.days,
        answer: if action == "answer" {
            answer
        } else {
            AnswerDraft::default()
        },
        ground: f.ground,
        note: f.note,
    };
    let card = super::open(&state, &me, id).await?;
    Ok((
        errors.0,
        render(&card_view(&state, &me, card, forms, errors.1, "").await?)?,
    )
        .into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn attachment(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    Ok(attachment_response(&state, &me, id).await?)
}

#[tracing::instrument(level = "debug", skip_all)]
async fn notices_read(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<ActionForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    super::mark_my_notices_read(&state, &me).await?;
    Ok(Redirect::to("/appeals").into_response())
}

#[derive(Template)]
#[template(path = "appeals/stats.html")]
struct StatsPage {
    chrome: Chrome,
    from: String,
    to: String,
    errors: FieldErrors,
    stats: Option<AppealStats>,
    by_topic: Vec<(String, i64)>,
    by_kind: Vec<(String, i64)>,
    by_channel: Vec<(String, i64)>,
    on_time_pct: String,
    repeat_pct: String,
}

#[derive(Deserialize, Default)]
pub struct StatsParams {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

fn pct(part: i64, whole: i64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        // Integer arithmetic to one decimal, rounded half up.
        let tenths = (part * 1000 + whole / 2) / whole;
        format!("{},{} %", tenths / 10, tenths % 10)
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn stats_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<StatsParams>,
) -> Result<Response, PageError> {
    Rights::view(&me)?;
    let rules = super::rules(&state).await?;
    let today = rules.today_in(me.staff.branch_id.unwrap_or(0));
    let (from, to) = if p.from.is_empty() && p.to.is_empty() {
        (today.first_of_month().to_string(), today.to_string())
    } else {
        (p.from, p.to)
    };
    let mut page = StatsPage {
        chrome: Chrome::for_staff("Обращения: анализ за период", &me, "appeals"),
        from: from.clone(),
        to: to.clone(),
        errors: FieldErrors::new(),
        stats: None,
        by_topic: vec![],
        by_kind: vec![],
        by_channel: vec![],
        on_time_pct: String::new(),
        repeat_pct: String::new(),
    };
    let mut status = StatusCode::OK;
    match stats_for(&state, &me, &from, &to, None).await {
        Ok(s) => {
            page.by_topic = s
                .by_topic
                .iter()
                .map(|(k, n)| (rules.topic_name(k), *n))
                .collect();
            page.by_kind = s
                .by_kind
                .iter()
                .map(|(k, n)| (super::kind_label(k).to_owned(), *n))
                .collect();
            page.by_channel = s
                .by_channel
                .iter()
                .map(|(k, n)| (super::channel_label(k).to_owned(), *n))
                .collect();
            page.on_time_pct = pct(s.closed_on_time, s.closed);
            page.repeat_pct = pct(s.repeats, s.total);
            page.stats = Some(s);
        }
        Err(WebError::Invalid(e)) => {
            page.errors = e;
            status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        Err(e) => return Err(e.into()),
    }
    Ok((status, render(&page)?).into_response())
}

pub struct LetterLine {
    pub id: i64,
    pub received: String,
    pub message_id: String,
    pub size_kb: i64,
    pub error: String,
}

#[derive(Template)]
#[template(path = "appeals/mail.html")]
struct MailPage {
    chrome: Chrome,
    letters: Vec<LetterLine>,
    done: bool,
}

/// Letters from the company mailbox that could not be registered automatically: kept whole for
/// a records clerk to read and register by hand (APL-01: never lost).
#[tracing::instrument(level = "debug", skip_all)]
async fn mail_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<DoneParam>,
) -> Result<Response, PageError> {
    Rights::register(&me)?;
    let tz = me.zone.clone();
    let letters = super::failed_letters(&state, &me)
        .await?
        .into_iter()
        .map(|l| LetterLine {
            id: l.id,
            received: format_time(l.received_at, &tz),
            message_id: l.message_id.unwrap_or_default(),
            size_kb: (l.size + 1023) / 1024,
            error: l.error.unwrap_or_default(),
        })
        .collect();
    let page = MailPage {
        chrome: Chrome::for_staff("Нераспознанные письма", &me, "appeals"),
        letters,
        done: !p.done.is_empty(),
    };
    Ok(render(&page)?.into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn mail_raw(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let raw = super::letter_raw(&state, &me, id).await?;
    let mut resp = raw.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("message/rfc822"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"letter-{id}.eml\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

#[tracing::instrument(level = "debug", skip_all)]
async fn mail_handled(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    super::letter_handled(&state, &me, id).await?;
    Ok(Redirect::to("/appeals/mail?done=1").into_response())
}

/// The answer as a letter for post (APL-05), PDF with embedded fonts; the view is audited.
#[tracing::instrument(level = "debug", skip_all)]
async fn letter_pdf(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((id, reply_id)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let card = super::open(&state, &me, id).await?;
    let a = card.appeal;
    let r = card
        .replies
        .into_iter()
        .find(|r| r.id == reply_id)
        .ok_or_else(|| WebError::NotFound("Такого ответа нет.".into()))?;
    let (company, branch) = super::letterhead(&state, a.branch_id).await?;
    let letter = abonent_render::AnswerLetter {
        company: company.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        company_lines: vec![
            branch.name.clone(),
            branch.address.clone(),
            format!(
                "Телефоны: {}; горячая линия {}",
                branch.phones,
                company
                    .as_ref()
                    .map(|c| c.hotline_phones.clone())
                    .unwrap_or_default()
            ),
        ],
        recipient_name: a.applicant_name.clone(),
        recipient_address: a.applicant_address.clone().unwrap_or_default(),
        reference: format!(
            "На Ваше обращение № {} от {}",
            a.number,
            ru_date(&a.registered_on)
        ),
        greeting: if r.interim == 1 {
            "Промежуточный ответ".into()
        } else {
            "Уважаемый(ая) заявитель!".into()
        },
        body: r.body.clone(),
        signatory_position: r.signatory_position.clone(),
        signatory_name: r.signatory_name.clone(),
        executor: if r.executor_name.is_empty() {
            String::new()
        } else {
            // The phone as the executor typed it («8 (34668) 4-12-34»), not reformatted.
            format!(
                "Исполнитель: {}, тел. {}",
                r.executor_name,
                r.executor_phone.trim()
            )
        },
    };
    let pdf = tokio::task::spawn_blocking(move || abonent_render::answer_letter(&letter))
        .await
        .map_err(|e| WebError::Internal(anyhow::anyhow!(e)))?
        .map_err(|e| WebError::Internal(anyhow::anyhow!(e)))?;
    let mut resp = pdf.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "inline; filename=\"otvet-{}-{reply_id}.pdf\"",
        a.number
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// The printed letter has been handed to the post.
#[tracing::instrument(level = "debug", skip_all)]
async fn letter_posted(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((id, reply_id)): Path<(i64, i64)>,
    Form(f): Form<ActionForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    super::letter_posted(&state, &me, id, reply_id).await?;
    Ok(Redirect::to(&format!("/appeals/{id}?done=posted")).into_response())
}

/// Norms of one kind as a form row.
pub struct NormsRow {
    pub kind: &'static str,
    pub label: &'static str,
    pub answer_days: String,
    pub max_extension_days: String,
    pub remind_days: String,
    pub repeat_window_days: String,
}

pub struct TopicRow {
    pub code: String,
    pub name: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "appeals/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    norms: Vec<NormsRow>,
    topics: Vec<TopicRow>,
    errors: FieldErrors,
    /// Which form the errors belong to: a kind's code or "topic".
    errors_for: String,
    new_code: String,
    new_name: String,
    done: bool,
    back: (&'static str, &'static str),
}

#[tracing::instrument(level = "debug", skip_all)]
async fn settings_view(
    state: &AppState,
    me: &CurrentStaff,
    errors: FieldErrors,
    errors_for: &str,
    typed: Option<NormsRow>,
    new_topic: (String, String),
    done: bool,
) -> Result<SettingsPage, WebError> {
    let topics = super::all_topics(state, me).await?;
    let rules = super::rules(state).await?;
    let mut norms: Vec<NormsRow> = AppealKind::ALL
        .iter()
        .map(|k| {
            let n = rules.norms(*k);
            NormsRow {
                kind: k.code(),
                label: k.label_ru(),
                answer_days: n.answer_days.to_string(),
                max_extension_days: n.max_extension_days.to_string(),
                remind_days: n.remind_days.to_string(),
                repeat_window_days: n.repeat_window_days.to_string(),
            }
        })
        .collect();
    if let Some(t) = typed {
        if let Some(row) = norms.iter_mut().find(|r| r.kind == t.kind) {
            *row = t;
        }
    }
    Ok(SettingsPage {
        chrome: Chrome::for_staff("Обращения: нормативы и тематики", me, "appeals"),
        norms,
        topics: topics
            .into_iter()
            .map(|(code, name, active)| TopicRow {
                code,
                name,
                active: active == 1,
            })
            .collect(),
        errors,
        errors_for: errors_for.to_owned(),
        new_code: new_topic.0,
        new_name: new_topic.1,
        done,
        back: super::settings_back_link(me),
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn settings_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<DoneParam>,
) -> Result<Response, PageError> {
    let page = settings_view(
        &state,
        &me,
        FieldErrors::new(),
        "",
        None,
        Default::default(),
        !p.done.is_empty(),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize, Default)]
pub struct NormsForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    answer_days: String,
    #[serde(default)]
    max_extension_days: String,
    #[serde(default)]
    remind_days: String,
    #[serde(default)]
    repeat_window_days: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn settings_norms(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(kind): Path<String>,
    Form(f): Form<NormsForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    Rights::configure(&me)?;
    let Some(k) = AppealKind::parse(&kind) else {
        return Err(WebError::NotFound("Такого вида обращения нет.".into()).into());
    };
    let mut e = FieldErrors::new();
    let mut num = |field: &str, v: &str| -> i32 {
        match v.trim().parse::<i32>() {
            Ok(n) => n,
            Err(_) => {
                e.add(field, "Целое число дней.");
                -1
            }
        }
    };
    let n = abonent_domain::appeals::AppealNorms {
        answer_days: num("answer_days", &f.answer_days),
        max_extension_days: num("max_extension_days", &f.max_extension_days),
        remind_days: num("remind_days", &f.remind_days),
        repeat_window_days: num("repeat_window_days", &f.repeat_window_days),
    };
    let result = if e.is_empty() {
        super::set_norms(&state, &me, k.code(), &n).await
    } else {
        Err(e.into())
    };
    match result {
        Ok(()) => Ok(Redirect::to("/appeals/settings?done=1").into_response()),
        Err(WebError::Invalid(errors)) => {
            let typed = NormsRow {
                kind: k.code(),
                label: k.label_ru(),
                answer_days: f.answer_days,
                max_extension_days: f.max_extension_days,
                remind_days: f.remind_days,
                repeat_window_days: f.repeat_window_days,
            };
            let page = settings_view(
                &state,
                &me,
                errors,
                k.code(),
                Some(typed),
                Default::default(),
                false,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct TopicForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    active: Option<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn settings_topic(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<TopicForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    Rights::configure(&me)?;
    match super::save_topic(&state, &me, &f.code, &f.name, f.active.is_some()).await {
        Ok(()) => Ok(Redirect::to("/appeals/settings?done=1").into_response()),
        Err(WebError::Invalid(errors)) => {
            let page =
                settings_view(&state, &me, errors, "topic", None, (f.code, f.name), false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
