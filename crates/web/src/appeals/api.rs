//! Appeals API: the registry for staff, and the online reception's public endpoints.

use abonent_domain::appeals::{AnswerDraft, AppealDraft};
use abonent_domain::validation::FieldErrors;
use abonent_store::appeals::{AppealRow, AppealStats};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{save_topic, AppealCard, ListParams, Registrar, RegistrationReceipt};
use crate::auth::{ClientIp, CurrentStaff};
use crate::common::idempotency::{idempotency_key, once};
use crate::common::uploads::{Upload, MAX_TOTAL_BYTES};
use crate::{ApiError, AppState, WebError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/appeals", get(list).post(register))
        .route("/appeals/stats", get(stats))
        .route("/appeals/norms", get(norms))
        .route("/appeals/topics", get(topics))
        .route("/appeals/topics/{code}", axum::routing::put(put_topic))
        .route("/appeals/norms/{kind}", axum::routing::put(put_norms))
        .route("/appeals/{id}", get(card))
        .route("/appeals/{id}/assign", post(assign))
        .route("/appeals/{id}/interim-reply", post(interim))
        .route("/appeals/{id}/extend", post(extend))
        .route("/appeals/{id}/answer", post(answer))
        .route("/appeals/{id}/leave", post(leave))
        .route("/appeals/{id}/clear-flag", post(clear_flag))
        .route("/appeals/{id}/classify", post(classify))
        .route("/appeals/attachments/{id}", get(attachment))
        .route("/public/appeals", post(public_register))
        .route("/public/appeals/track", post(public_track))
        .layer(DefaultBodyLimit::max(MAX_TOTAL_BYTES * 4 / 3 + 1024 * 1024))
}

/// A file sent with an appeal through the API.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FileUpload {
    pub file_name: String,
    /// The content, base64 (standard alphabet).
    pub content_base64: String,
}

/// A new appeal with its files.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AppealSubmission {
    #[serde(flatten)]
    pub appeal: AppealDraft,
    #[serde(default)]
    pub attachments: Vec<FileUpload>,
}

fn decode_files(files: Vec<FileUpload>) -> Result<Vec<Upload>, WebError> {
    files
        .into_iter()
        .map(|f| {
            base64::engine::general_purpose::STANDARD
                .decode(f.content_base64.as_bytes())
                .map(|content| Upload {
                    file_name: f.file_name.clone(),
                    content,
                })
                .map_err(|_| {
                    FieldErrors::single(
                        "attachments",
                        format!("Файл «{}»: содержимое не в base64.", f.file_name),
                    )
                    .into()
                })
        })
        .collect()
}

/// Registers an appeal received in person, by phone, post, fax or the feedback book (APL-01,
/// APL-02). With `Idempotency-Key`, a retry returns the first result and registers nothing.
#[utoipa::path(post, path = "/api/v1/appeals", tag = "appeals", request_body = AppealSubmission,
    params(("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key (OPS-05)")),
    responses((status = 201, body = RegistrationReceipt), (status = 200, body = RegistrationReceipt, description = "a retry: the first result"),
              (status = 422, body = crate::common::error::ErrorBody), (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn register(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Json(s): Json<AppealSubmission>,
) -> Result<(StatusCode, Json<RegistrationReceipt>), ApiError> {
    super::Rights::register(&me)?;
    let idem = idempotency_key(&headers, format!("staff:{}:appeal", me.staff.id))?;
    let files = decode_files(s.attachments)?;
    let r = super::register(&state, Registrar::Staff(&me), s.appeal, files, idem).await?;
    let status = if r.registered.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(r)))
}

/// The registry: views "new", "mine", "due soon", "overdue", filters and full-text search.
#[utoipa::path(get, path = "/api/v1/appeals", tag = "appeals", params(ListParams),
    responses((status = 200, body = [AppealRow]), (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<AppealRow>>, ApiError> {
    let f = p.filter(&me.zone)?;
    Ok(Json(super::list(&state, &me, f).await?))
}

/// An appeal with its history, replies, attachments and related appeals; audited.
#[utoipa::path(get, path = "/api/v1/appeals/{id}", tag = "appeals",
    params(("id" = i64, Path, description = "appeal id")),
    responses((status = 200, body = AppealCard), (status = 404, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn card(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Json<AppealCard>, ApiError> {
    Ok(Json(super::open(&state, &me, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignBody {
    pub version: i64,
    pub executor_id: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Done {
    pub ok: bool,
}

/// Assigns or reassigns the executor (APL-03); branch head and director only.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/assign", tag = "appeals", request_body = AssignBody,
    params(("id" = i64, Path, description = "appeal id"), ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key (OPS-05)")),
    responses((status = 200, body = Done), (status = 409, body = crate::common::error::ErrorBody), (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn assign(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<AssignBody>,
) -> Result<Json<Done>, ApiError> {
    let key = idempotency_key(
        &headers,
        format!("staff:{}:appeal:{id}:assign", me.staff.id),
    )?;
    Ok(Json(
        once(&state, key, async {
            super::assign(&state, &me, id, b.version, &b.executor_id.to_string()).await?;
            Ok(Done { ok: true })
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InterimBody {
    pub version: i64,
    pub body: String,
    /// Answer channel code; empty: the citizen's.
    #[serde(default)]
    pub channel: String,
}

/// Records an interim reply (§8.2.4): required before an extension.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/interim-reply", tag = "appeals", request_body = InterimBody,
    params(("id" = i64, Path, description = "appeal id"), ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key (OPS-05)")),
    responses((status = 200, body = Done), (status = 422, body = crate::common::error::ErrorBody), (status = 409, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn interim(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<InterimBody>,
) -> Result<Json<Done>, ApiError> {
    let key = idempotency_key(
        &headers,
        format!("staff:{}:appeal:{id}:interim", me.staff.id),
    )?;
    Ok(Json(
        once(&state, key, async {
            super::interim(&state, &me, id, b.version, &b.body, &b.channel).await?;
            Ok(Done { ok: true })
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ExtendBody {
    pub version: i64,
    /// Calendar days, at most the norm (15).
    pub days: i32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Extended {
    pub deadline: String,
}

/// Extends the deadline once, after an interim reply, by at most the norm (APL-04, CHN-02).
#[utoipa::path(post, path = "/api/v1/appeals/{id}/extend", tag = "appeals", request_body = ExtendBody,
    params(("id" = i64, Path, description = "appeal id"), ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key (OPS-05)")),
    responses((status = 200, body = Extended), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn extend(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<ExtendBody>,
) -> Result<Json<Extended>, ApiError> {
    let key = idempotency_key(
        &headers,
        format!("staff:{}:appeal:{id}:extend", me.staff.id),
    )?;
    Ok(Json(
        once(&state, key, async {
            let d = super::extend(&state, &me, id, b.version, &b.days.to_string()).await?;
            Ok(Extended {
                deadline: d.to_string(),
            })
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AnswerBody {
    pub version: i64,
    #[serde(flatten)]
    pub answer: AnswerDraft,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Answered {
    pub reply_id: i64,
}

/// Answers the appeal (APL-05): refused without the substance, the executor's name and phone,
/// or the signatory's name and position.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/answer", tag = "appeals", request_body = AnswerBody,
    params(("id" = i64, Path, description = "appeal id"), ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key (OPS-05)")),
    responses((status = 200, body = Answered), (status = 422, body = crate::common::error::ErrorBody), (status = 409, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn answer(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<AnswerBody>,
) -> Result<Json<Answered>, ApiError> {
    let key = idempotency_key(
        &headers,
        format!("staff:{}:appeal:{id}:answer", me.staff.id),
    )?;
    Ok(Json(
        once(&state, key, async {
            let reply_id = super::answer(&state, &me, id, b.version, &b.answer).await?;
            Ok(Answered { reply_id })
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LeaveBody {
    pub version: i64,
    /// obscene, unreadable, no_contacts
    pub ground: String,
    #[serde(default)]
    pub note: String,
}

/// Leaves the appeal without action, with its ground (APL-06).
#[utoipa::path(post, path = "/api/v1/appeals/{id}/leave", tag = "appeals", request_body = LeaveBody,
    params(("id" = i64, Path, description = "appeal id"), ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key (OPS-05)")),
    responses((status = 200, body = Done), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn leave(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<LeaveBody>,
) -> Result<Json<Done>, ApiError> {
    let key = idempotency_key(&headers, format!("staff:{}:appeal:{id}:leave", me.staff.id))?;
    Ok(Json(
        once(&state, key, async {
            super::leave(&state, &me, id, b.version, &b.ground, &b.note).await?;
            Ok(Done { ok: true })
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VersionBody {
    pub version: i64,
}

/// Clears the "looks obscene" flag after a person has read the text (APL-06).
#[utoipa::path(post, path = "/api/v1/appeals/{id}/clear-flag", tag = "appeals", request_body = VersionBody,
    params(("id" = i64, Path, description = "appeal id"), ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key (OPS-05)")),
    responses((status = 200, body = Done), (status = 409, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn clear_flag(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<VersionBody>,
) -> Result<Json<Done>, ApiError> {
    let key = idempotency_key(
        &headers,
        format!("staff:{}:appeal:{id}:clear_flag", me.staff.id),
    )?;
    Ok(Json(
        once(&state, key, async {
            super::clear_flag(&state, &me, id, b.version).await?;
            Ok(Done { ok: true })
        })
        .await?,
    ))
}

/// A file of an appeal, as received; audited.
#[utoipa::path(get, path = "/api/v1/appeals/attachments/{id}", tag = "appeals",
    params(("id" = i64, Path, description = "attachment id")),
    responses((status = 200, description = "the file"), (status = 404, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attachment(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(super::attachment_response(&state, &me, id).await?)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsParams {
    /// First day (YYYY-MM-DD).
    pub from: String,
    /// Last day, inclusive (YYYY-MM-DD).
    pub to: String,
    #[serde(default)]
    pub branch_id: Option<i64>,
}

/// Counts by topic, channel, kind and branch; on-time and repeat counts (APL-07, APL-08).
#[utoipa::path(get, path = "/api/v1/appeals/stats", tag = "appeals", params(StatsParams),
    responses((status = 200, body = AppealStats), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn stats(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<StatsParams>,
) -> Result<Json<AppealStats>, ApiError> {
    Ok(Json(
        super::stats_for(&state, &me, &p.from, &p.to, p.branch_id).await?,
    ))
}

/// Files an appeal through the online reception, without an account (APL-01). Returns the
/// number and the tracking code.
#[utoipa::path(post, path = "/api/v1/public/appeals", tag = "appeals", request_body = AppealSubmission,
    params(("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key (OPS-05)")),
    responses((status = 201, body = RegistrationReceipt), (status = 422, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(s): Json<AppealSubmission>,
) -> Result<(StatusCode, Json<RegistrationReceipt>), ApiError> {
    let idem = idempotency_key(&headers, "public:appeal".to_owned())?;
    let files = decode_files(s.attachments)?;
    let r = super::register(&state, Registrar::Public { ip }, s.appeal, files, idem).await?;
    let status = if r.registered.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(r)))
}

/// Number and tracking code of an appeal.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TrackRequest {
    pub number: String,
    pub code: String,
}

/// The status of an appeal and its answer, for the citizen who holds the tracking code.
#[utoipa::path(post, path = "/api/v1/public/appeals/track", tag = "appeals", request_body = TrackRequest,
    responses((status = 200, body = super::TrackedAppeal), (status = 422, body = crate::common::error::ErrorBody),
              (status = 429, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_track(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(t): Json<TrackRequest>,
) -> Result<Response, ApiError> {
    let r = super::track(&state, &ip, &t.number, &t.code).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(r)).into_response())
}

/// Norms of one kind of appeal, with the kind's code.
#[derive(Debug, Serialize, ToSchema)]
pub struct KindNorms {
    pub kind: String,
    #[serde(flatten)]
    pub norms: abonent_domain::appeals::AppealNorms,
}

/// The norms in force per kind of appeal (the standard's values unless changed).
#[utoipa::path(get, path = "/api/v1/appeals/norms", tag = "appeals",
    responses((status = 200, body = [KindNorms])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn norms(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<Vec<KindNorms>>, ApiError> {
    Ok(Json(
        super::norms(&state, &me)
            .await?
            .into_iter()
            .map(|(k, norms)| KindNorms {
                kind: k.code().to_owned(),
                norms,
            })
            .collect(),
    ))
}

/// Changes the norms of one kind; administrator or general director; audited.
#[utoipa::path(put, path = "/api/v1/appeals/norms/{kind}", tag = "appeals",
    request_body = abonent_domain::appeals::AppealNorms,
    params(("kind" = String, Path, description = "information_request, complaint, claim, suggestion, review")),
    responses((status = 200, body = Done), (status = 422, body = crate::common::error::ErrorBody), (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put_norms(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(kind): Path<String>,
    Json(n): Json<abonent_domain::appeals::AppealNorms>,
) -> Result<Json<Done>, ApiError> {
    super::set_norms(&state, &me, &kind, &n).await?;
    Ok(Json(Done { ok: true }))
}

/// The topic catalogue in force (APL-08).
#[utoipa::path(get, path = "/api/v1/appeals/topics", tag = "appeals",
    responses((status = 200, body = [abonent_store::appeals::Topic])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn topics(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Json<Vec<abonent_store::appeals::Topic>>, ApiError> {
    Ok(Json(super::topics(&state, &me).await?))
}

/// A topic as sent: its name and whether it is offered for new appeals.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TopicBody {
    pub name: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Adds, renames or retires a topic; administrator or general director; audited.
#[utoipa::path(put, path = "/api/v1/appeals/topics/{code}", tag = "appeals", request_body = TopicBody,
    params(("code" = String, Path, description = "latin letters, digits and _")),
    responses((status = 200, body = Done), (status = 422, body = crate::common::error::ErrorBody), (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put_topic(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(code): Path<String>,
    Json(t): Json<TopicBody>,
) -> Result<Json<Done>, ApiError> {
    save_topic(&state, &me, &code, &t.name, t.active).await?;
    Ok(Json(Done { ok: true }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ClassifyBody {
    pub version: i64,
    /// Kind code.
    pub kind: String,
    /// Topic code from the catalogue.
    pub topic: String,
}

/// Corrects the kind and topic of an open appeal; a new kind brings its deadline norm unless the
/// deadline was extended. Records clerks, branch heads, the director and the executor.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/classify", tag = "appeals", request_body = ClassifyBody,
    params(("id" = i64, Path, description = "appeal id"), ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key (OPS-05)")),
    responses((status = 200, body = Done), (status = 422, body = crate::common::error::ErrorBody), (status = 403, body = crate::common::error::ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn classify(
    State(state): State<AppState>,
    me: CurrentStaff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<ClassifyBody>,
) -> Result<Json<Done>, ApiError> {
    let key = idempotency_key(
        &headers,
        format!("staff:{}:appeal:{id}:classify", me.staff.id),
    )?;
    Ok(Json(
        once(&state, key, async {
            super::reclassify(&state, &me, id, b.version, &b.kind, &b.topic).await?;
            Ok(Done { ok: true })
        })
        .await?,
    ))
}
