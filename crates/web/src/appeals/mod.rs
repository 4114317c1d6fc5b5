//! Appeals in the workspace and the online reception (APL-01 … APL-10, CHN-02). Rights, the
//! personal-data audit and the rules in force (calendar, norms) are applied here, once, for the
//! API and the pages.

pub mod api;
pub mod pages;
pub mod public;
mod tracking;

pub use tracking::{track, PublicReply, TrackedAppeal};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use abonent_domain::appeals::{
    extend_deadline, AnswerChannel, AnswerDraft, AppealDraft, AppealKind, AppealNorms,
    ExtensionState, Ground, IntakeChannel,
};
use abonent_domain::calendar::WorkingCalendar;
use abonent_domain::org::{Permission, Role};
use abonent_domain::refusal::Refusal;
use abonent_domain::validation::FieldErrors;
use abonent_store::appeals::StaffNotice;
use abonent_store::appeals::{
    AppealEvent, AppealFilter, AppealRecord, AppealRow, AttachmentMeta, NewAppeal, Registered,
    Reply, Topic,
};
use abonent_store::audit::Actor;
use abonent_store::idempotency::IdemKey;
use abonent_store::mail::InboxEntry;
use abonent_store::org::{Branch, Company, Staff};
use jiff::civil::Date;
use serde::Serialize;
use tokio::sync::RwLock;
use utoipa::ToSchema;

use crate::auth::CurrentStaff;
use crate::common::clock::{today_in, zone_or};
use crate::common::download::download;
use crate::common::forms::Opt;
use crate::common::uploads::{check_uploads, Upload};
use crate::{AppState, WebError};
use abonent_store::appeals::{AppealStats, NewAttachment, View};
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

/// The rules in force, read from the database and kept for a short while: registering at
/// thousands per second must not reload the calendar each time. A change made on this instance
/// drops the cache at once; other instances see it within [`RULES_TTL`].
pub struct RulesCache {
    inner: RwLock<Option<(Instant, Arc<Rules>)>>,
    company_zone: jiff::tz::TimeZone,
}

pub const RULES_TTL: Duration = Duration::from_secs(30);

/// Calendar, norms, topics and branches.
pub struct Rules {
    pub calendar: WorkingCalendar,
    pub norms: HashMap<AppealKind, AppealNorms>,
    pub topics: Vec<Topic>,
    pub branches: Vec<Branch>,
    /// The company's time zone: a branch without its own uses it.
    pub company_zone: jiff::tz::TimeZone,
}

impl Rules {
    pub fn norms(&self, k: AppealKind) -> AppealNorms {
        self.norms.get(&k).copied().unwrap_or_default()
    }

    /// A branch's time zone (the company's when the branch is unknown).
    pub fn branch_zone(&self, branch_id: i64) -> jiff::tz::TimeZone {
        self.branches
            .iter()
            .find(|b| b.id == branch_id)
            .map_or_else(
                || self.company_zone.clone(),
                |b| zone_or(&b.time_zone, &self.company_zone),
            )
    }

    /// Today in a branch's time zone (deadlines are dates of the branch).
    pub fn today_in(&self, branch_id: i64) -> Date {
        today_in(&self.branch_zone(branch_id))
    }

    pub fn topic_name(&self, code: &str) -> String {
        self.topics
            .iter()
            .find(|t| t.code == code)
            .map_or_else(|| code.to_owned(), |t| t.name.clone())
    }

    /// The catalogue as choices for a form.
    pub fn topic_options(&self) -> Vec<Opt> {
        self.topics
            .iter()
            .map(|t| Opt {
                code: t.code.clone(),
                label: t.name.clone(),
            })
            .collect()
    }

    /// The largest reminder window of any kind: "due soon" for the registry views.
    pub fn remind_days(&self) -> i32 {
        self.norms
            .values()
            .map(|n| n.remind_days)
            .max()
            .unwrap_or(3)
    }
}

impl RulesCache {
    pub fn new(company_zone: jiff::tz::TimeZone) -> Self {
        Self {
            inner: RwLock::new(None),
            company_zone,
        }
    }

    pub async fn get(&self, store: &abonent_store::Store) -> Result<Arc<Rules>, WebError> {
        if let Some((at, r)) = self.inner.read().await.as_ref() {
            if at.elapsed() < RULES_TTL {
                return Ok(r.clone());
            }
        }
        let rules = Arc::new(Rules {
            calendar: store.working_calendar().await?,
            norms: store.appeal_norms().await?,
            topics: store.appeal_topics().await?,
            branches: store.branches().await?,
            company_zone: self.company_zone.clone(),
        });
        *self.inner.write().await = Some((Instant::now(), rules.clone()));
        Ok(rules)
    }

    pub async fn invalidate(&self) {
        *self.inner.write().await = None;
    }
}

/// A tracking code for the citizen: 10 letters and digits that cannot be confused
/// (no 0/O, 1/I/L); only its hash is stored.
pub fn new_tracking_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..10)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Normalises a typed tracking code (spaces, dashes, case).
pub fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The name public submissions are counted under (rate limit of the online reception).
const PUBLIC_SUBMIT: &str = "reception:submit";

/// Who registers: a staff member, or a citizen through the online reception.
pub enum Registrar<'a> {
    Staff(&'a CurrentStaff),
    Public {
        ip: String,
    },
    /// A client in the personal account, about an account the caller checked is theirs.
    Client(&'a crate::auth::client::CurrentClient),
}

/// The result of a registration, with the tracking code shown once to the applicant.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegistrationReceipt {
    #[serde(flatten)]
    pub registered: Registered,
    /// Give it to the applicant: with the number it opens the appeal's status and answer on the
    /// public site. Absent when the request was a retry (the code was shown the first time).
    pub tracking_code: Option<String>,
}

/// Registers an appeal from a clerk or the online reception (APL-01, APL-02).
pub async fn register(
    state: &AppState,
    who: Registrar<'_>,
    mut draft: AppealDraft,
    files: Vec<Upload>,
    idem: Option<IdemKey>,
) -> Result<RegistrationReceipt, WebError> {
    let public = matches!(who, Registrar::Public { .. });
    let actor = registrar_actor(state, &who, &mut draft, idem.as_ref()).await?;
    if let Some(k) = &idem {
        if let Some(r) = state.store.idempotent_result::<Registered>(k).await? {
            return Ok(RegistrationReceipt {
                registered: Registered {
                    replayed: true,
                    ..r
                },
                tracking_code: None,
            });
        }
    }
    let rules = state.rules.get(&state.store).await?;
    let (mut data, attachments) = checked_draft(&draft, files, public)?;
    if !rules.topics.iter().any(|t| t.code == data.topic) {
        return Err(FieldErrors::single("topic", "Выберите тематику из списка.").into());
    }
    let (account_id, account_branch, account_client) =
        subject_account(state, &mut data, public).await?;
    fill_from_client(state, &mut data).await?;
    // A citizen's appeal about a valid account belongs to that account's client, so it is
    // listed in their personal account; the contacts stay the ones the citizen typed.
    if public && data.client_id.is_none() {
        data.client_id = account_client;
    }
    let branch_id = data
        .branch_id
        .or(account_branch)
        .or(match &who {
            Registrar::Staff(me) => me.staff.branch_id,
            Registrar::Public { .. } | Registrar::Client(_) => None,
        })
        .or(rules.branches.first().map(|b| b.id))
        .ok_or_else(|| WebError::Conflict("Не заведено ни одного отделения.".into()))?;
    if !rules.branches.iter().any(|b| b.id == branch_id) {
        return Err(FieldErrors::single("branch_id", "Выберите отделение из списка.").into());
    }
    let today = rules.today_in(branch_id);
    let norms = rules.norms(data.kind);
    let deadline = norms.deadline(&rules.calendar, today);
    let code = new_tracking_code();
    let new = NewAppeal {
        data,
        branch_id,
        account_id,
        registered_on: today,
        deadline: deadline.date,
        repeat_window_days: norms.repeat_window_days,
        tracking_hash: Some(crate::common::tokens::token_hash(&code)),
        tracking_code: Some(code.clone()),
        attachments,
    };
    let registered = state
        .store
        .register_appeal(&new, idem.as_ref(), &actor)
        .await?;
    if public && !registered.replayed {
        state
            .store
            .record_login_attempt(PUBLIC_SUBMIT, &actor.ip, true)
            .await?;
    }
    let tracking_code = (!registered.replayed).then_some(code);
    Ok(RegistrationReceipt {
        registered,
        tracking_code,
    })
}

/// Who registers, as the audit records them: staff need the right; the public reception is
/// throttled per address (a retry with its key is not counted again); appeals from outside
/// the workspace come through the online reception and name no client.
async fn registrar_actor(
    state: &AppState,
    who: &Registrar<'_>,
    draft: &mut AppealDraft,
    idem: Option<&IdemKey>,
) -> Result<Actor, WebError> {
    match who {
        Registrar::Staff(me) => {
            Rights::register(me)?;
            Ok(me.actor())
        }
        Registrar::Public { ip } => {
            let replay = match idem {
                Some(k) => state
                    .store
                    .idempotent_result::<Registered>(k)
                    .await?
                    .is_some(),
                None => false,
            };
            if !replay {
                let hour_ago = abonent_store::now_micros() - 3_600_000_000;
                let n = state
                    .store
                    .attempts_since(PUBLIC_SUBMIT, ip, hour_ago)
                    .await?;
                if n >= state.config.max_public_appeals_per_hour {
                    return Err(WebError::TooManyRequests(
                        "За последний час с этого адреса отправлено много обращений. Повторите позже или позвоните на горячую линию."
                            .into(),
                    ));
                }
            }
            draft.channel = IntakeChannel::OnlineReception.code().to_owned();
            draft.client_id.clear();
            Ok(Actor {
                staff_id: None,
                login: String::new(),
                ip: ip.clone(),
            })
        }
        Registrar::Client(me) => {
            draft.channel = IntakeChannel::OnlineReception.code().to_owned();
            draft.client_id.clear();
            Ok(me.actor())
        }
    }
}

/// The draft and its files checked together, every wrong field named.
fn checked_draft(
    draft: &AppealDraft,
    files: Vec<Upload>,
    public: bool,
) -> Result<(abonent_domain::appeals::AppealData, Vec<NewAttachment>), WebError> {
    match (draft.validate(public), check_uploads(files)) {
        (Ok(d), Ok(a)) => Ok((d, a)),
        (d, a) => {
            let mut errors = FieldErrors::new();
            if let Err(e) = d {
                errors.0.extend(e.0);
            }
            if let Err(e) = a {
                errors.0.extend(e.0);
            }
            Err(errors.into())
        }
    }
}

/// The account the appeal is about (and, for staff, its client, whose card then fills what was
/// not typed): its id, branch and client.
async fn subject_account(
    state: &AppState,
    data: &mut abonent_domain::appeals::AppealData,
    public: bool,
) -> Result<(Option<i64>, Option<i64>, Option<i64>), WebError> {
    let Some(n) = &data.account_number else {
        return Ok((None, None, None));
    };
    match state.store.account_by_number(n).await {
        Ok(acc) => {
            if data.client_id.is_none() && !public {
                data.client_id = Some(acc.client_id);
            }
            Ok((Some(acc.id), Some(acc.branch_id), Some(acc.client_id)))
        }
        Err(abonent_store::StoreError::NotFound) => Err(FieldErrors::single(
            "account_number",
            "Лицевой счёт с таким номером не найден.",
        )
        .into()),
        Err(e) => Err(e.into()),
    }
}

/// The applicant's name and contacts, where not typed, from the client's card.
async fn fill_from_client(
    state: &AppState,
    data: &mut abonent_domain::appeals::AppealData,
) -> Result<(), WebError> {
    if let Some(cid) = data.client_id {
        let c = match state.store.client(cid).await {
            Ok(c) => c,
            Err(abonent_store::StoreError::NotFound) => {
                return Err(FieldErrors::single("client_id", "Клиент не найден.").into())
            }
            Err(e) => return Err(e.into()),
        };
        if data.applicant_name.is_empty() {
            data.applicant_name = c.full_name.clone();
        }
        if data.email.is_none() {
            data.email = c.email.clone();
        }
        if data.phone.is_none() {
            data.phone = c.phones.first().cloned();
        }
        if data.postal_address.is_none() {
            data.postal_address = c.postal_address.clone();
        }
    }
    if data.applicant_name.is_empty() {
        data.applicant_name = "Заявитель не назвался".to_owned();
    }
    Ok(())
}

/// An appeal's card.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppealCard {
    pub appeal: AppealRecord,
    pub events: Vec<AppealEvent>,
    pub replies: Vec<Reply>,
    pub attachments: Vec<AttachmentMeta>,
    /// Other appeals on the same event (§2.3).
    pub related: Vec<AppealRow>,
}

/// Opens an appeal; the view of personal data is audited (ORG-05).
pub async fn open(state: &AppState, me: &CurrentStaff, id: i64) -> Result<AppealCard, WebError> {
    me.require_audited(state, Permission::ViewAppeals, "appeal", &id.to_string())
        .await?;
    let appeal = state.store.appeal(id).await?;
    state
        .store
        .audit(&me.actor(), "appeal.view", "appeal", &id.to_string(), "")
        .await?;
    Ok(AppealCard {
        events: state.store.appeal_events(id).await?,
        replies: state.store.appeal_replies(id).await?,
        attachments: state.store.appeal_attachments(id).await?,
        related: state.store.related_appeals(&appeal).await?,
        appeal,
    })
}

/// Whether `me` may act on this appeal as its executor: the executor, or whoever assigns.
fn require_handler(me: &CurrentStaff, a: &AppealRecord) -> Result<(), WebError> {
    if Rights::may_act_on(me, a.executor_id) {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "Действовать по обращению может его исполнитель или руководитель отделения.".into(),
        ))
    }
}

/// Assigns or reassigns the executor (APL-03).
pub async fn assign(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    version: i64,
    executor_id: &str,
) -> Result<(), WebError> {
    Rights::assign(me)?;
    let Ok(executor) = executor_id.trim().parse::<i64>() else {
        return Err(FieldErrors::single("executor_id", "Выберите исполнителя.").into());
    };
    state
        .store
        .assign_appeal(id, executor, version, &me.actor())
        .await
        .map_err(|e| match e {
            abonent_store::StoreError::Refused(Refusal::Appeals(r)) if r.is_about_executor() => {
                FieldErrors::single("executor_id", r.to_string()).into()
            }
            e => WebError::from(e),
        })
}

/// Corrects the kind and topic of an open appeal; a new kind brings its own deadline norm unless
/// the deadline was already extended.
pub async fn reclassify(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    version: i64,
    kind: &str,
    topic: &str,
) -> Result<(), WebError> {
    Rights::view(me)?;
    let a = state.store.appeal(id).await?;
    if !(Rights::may_register(me) || Rights::may_assign(me)) {
        require_handler(me, &a)?;
    }
    let rules = state.rules.get(&state.store).await?;
    let mut e = FieldErrors::new();
    let k = AppealKind::parse(kind.trim());
    if k.is_none() {
        e.add("kind", "Выберите вид обращения.");
    }
    if !rules.topics.iter().any(|t| t.code == topic.trim()) {
        e.add("topic", "Выберите тематику из списка.");
    }
    let k = e.into_checked(k, "kind")?;
    let deadline = if a.kind != k && a.extended == 0 {
        let on: Date = a
            .registered_on
            .parse()
            .map_err(|_| WebError::Internal(anyhow::anyhow!("stored date {}", a.registered_on)))?;
        Some(rules.norms(k).deadline(&rules.calendar, on).date)
    } else {
        None
    };
    state
        .store
        .reclassify_appeal(id, version, k, topic.trim(), deadline, &me.actor())
        .await?;
    Ok(())
}

/// Sends an interim reply and, when `days` is given, extends the deadline (§8.2.4, CHN-02).
pub async fn interim(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    version: i64,
    body: &str,
    channel: &str,
) -> Result<(), WebError> {
    let a = state.store.appeal(id).await?;
    require_handler(me, &a)?;
    let mut e = FieldErrors::new();
    let body = abonent_domain::validation::required_text(
        &mut e,
        "body",
        body,
        abonent_domain::appeals::MAX_TEXT_CHARS,
    );
    let channel = if channel.trim().is_empty() {
        Some(a.answer_channel)
    } else {
        AnswerChannel::parse(channel.trim())
    };
    if channel.is_none() {
        e.add("channel", "Выберите, как направить промежуточный ответ.");
    }
    let channel = e.into_checked(channel, "channel")?;
    if !a.status.is_open() {
        return Err(WebError::Conflict("Обращение уже закрыто.".into()));
    }
    state
        .store
        .interim_reply(id, version, &body, channel, &me.actor())
        .await?;
    Ok(())
}

/// Extends the deadline by `days` (APL-04): refused without an interim reply or over the norm.
pub async fn extend(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    version: i64,
    days: &str,
) -> Result<Date, WebError> {
    let a = state.store.appeal(id).await?;
    require_handler(me, &a)?;
    let Ok(days) = days.trim().parse::<i32>() else {
        return Err(FieldErrors::single("days", "Укажите число календарных дней.").into());
    };
    let rules = state.rules.get(&state.store).await?;
    let kind = a.kind;
    let deadline: Date = a
        .deadline
        .parse()
        .map_err(|_| WebError::Internal(anyhow::anyhow!("stored deadline {}", a.deadline)))?;
    let new = extend_deadline(
        &rules.calendar,
        &rules.norms(kind),
        ExtensionState {
            status: a.status,
            deadline,
            interim_reply_sent: a.interim_reply_at.is_some(),
            already_extended: a.extended == 1,
        },
        days,
    )?;
    state
        .store
        .extend_appeal(id, version, new.date, days, &me.actor())
        .await?;
    Ok(new.date)
}

/// Answers the appeal (APL-05): refused unless every required part is there.
pub async fn answer(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    version: i64,
    d: &AnswerDraft,
) -> Result<i64, WebError> {
    let a = state.store.appeal(id).await?;
    require_handler(me, &a)?;
    let chosen = a.answer_channel;
    let ans = d.validate(chosen)?;
    match ans.channel {
        AnswerChannel::Email if a.applicant_email.is_none() => {
            return Err(FieldErrors::single(
                "channel",
                "У заявителя нет адреса электронной почты: выберите другой способ.",
            )
            .into())
        }
        AnswerChannel::Post if a.applicant_address.is_none() => {
            return Err(FieldErrors::single(
                "channel",
                "У заявителя нет почтового адреса: выберите другой способ.",
            )
            .into())
        }
        _ => {}
    }
    let rules = state.rules.get(&state.store).await?;
    let today = rules.today_in(a.branch_id);
    Ok(state
        .store
        .answer_appeal(id, version, &ans, today, &me.actor())
        .await?)
}

/// Leaves the appeal without action with a recorded ground (APL-06).
pub async fn leave(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    version: i64,
    ground: &str,
    note: &str,
) -> Result<(), WebError> {
    let a = state.store.appeal(id).await?;
    require_handler(me, &a)?;
    let Some(g) = Ground::parse(ground.trim()) else {
        return Err(FieldErrors::single(
            "ground",
            "Выберите основание: без него обращение не может быть оставлено без рассмотрения.",
        )
        .into());
    };
    let mut e = FieldErrors::new();
    let note = abonent_domain::validation::optional_text(&mut e, "note", note, 2000);
    e.into_result(())?;
    let rules = state.rules.get(&state.store).await?;
    let today = rules.today_in(a.branch_id);
    state
        .store
        .leave_without_action(
            id,
            version,
            g,
            note.as_deref().unwrap_or(""),
            today,
            &me.actor(),
        )
        .await?;
    Ok(())
}

/// A person has checked a flagged text and found nothing unacceptable.
pub async fn clear_flag(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    version: i64,
) -> Result<(), WebError> {
    let a = state.store.appeal(id).await?;
    require_handler(me, &a)?;
    state
        .store
        .clear_appeal_flag(id, version, &me.actor())
        .await?;
    Ok(())
}

/// The registry list for `me` (APL-09).
pub async fn list(
    state: &AppState,
    me: &CurrentStaff,
    mut f: AppealFilter,
) -> Result<Vec<AppealRow>, WebError> {
    Rights::view_list(state, me).await?;
    let rules = state.rules.get(&state.store).await?;
    let today = rules.today_in(me.staff.branch_id.unwrap_or(0));
    f.today = Some(today);
    f.due_soon_until = Some(today.saturating_add(jiff::Span::new().days(rules.remind_days())));
    if f.view == abonent_store::appeals::View::Mine {
        f.executor_id = Some(me.staff.id);
    }
    // A branch head's "new" are the new appeals of the branch.
    if f.view == abonent_store::appeals::View::New && f.branch_id.is_none() {
        f.branch_id = me.staff.branch_id;
    }
    Ok(state.store.list_appeals(&f).await?)
}

/// The counters on the registry's tabs for the signed-in person: new appeals of their branch,
/// their own, due soon and overdue (open appeals only).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn counts(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<abonent_store::appeals::ViewCounts, WebError> {
    Rights::view(me)?;
    let rules = state.rules.get(&state.store).await?;
    let today = rules.today_in(me.staff.branch_id.unwrap_or(0));
    let soon = today.saturating_add(jiff::Span::new().days(rules.remind_days()));
    Ok(state
        .store
        .appeal_counts(me.staff.branch_id, me.staff.id, today, soon)
        .await?)
}

/// Parses `YYYY-MM-DD` for a period filter.
pub fn parse_day(field: &str, v: &str, e: &mut FieldErrors) -> Option<Date> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse::<Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            e.add(field, "Дата в виде ГГГГ-ММ-ДД, например 2026-11-01.");
            None
        }
    }
}

/// The start of a day in a zone, as stored µs.
pub fn day_start_micros(d: Date, zone: &jiff::tz::TimeZone) -> i64 {
    d.to_zoned(zone.clone())
        .map(|z| z.timestamp().as_microsecond())
        .unwrap_or(0)
}

/// Labels for codes counted by the statistics, for pages.
pub fn kind_label(code: &str) -> &'static str {
    AppealKind::parse(code).map_or("—", |k| k.label_ru())
}
pub fn channel_label(code: &str) -> &'static str {
    IntakeChannel::parse(code).map_or("—", |k| k.label_ru())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_codes_are_unambiguous_and_normalised() {
        let c = new_tracking_code();
        assert_eq!(c.len(), 10);
        assert!(!c.contains(['0', 'O', '1', 'I', 'L']));
        assert_eq!(normalise_code(" ab-cd 23 "), "ABCD23");
    }
}

#[derive(Debug, Deserialize, IntoParams, Default)]
pub struct ListParams {
    /// all, new, mine, due_soon, overdue
    #[serde(default)]
    pub view: Option<View>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub branch_id: Option<i64>,
    #[serde(default)]
    pub executor_id: Option<i64>,
    #[serde(default)]
    pub client_id: Option<i64>,
    /// Registered on or after this date (YYYY-MM-DD).
    #[serde(default)]
    pub from: Option<String>,
    /// Registered on or before this date (YYYY-MM-DD).
    #[serde(default)]
    pub to: Option<String>,
    /// Full-text search in Russian: word forms match.
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: Option<i64>,
}

impl ListParams {
    /// The store's filter; dates are days of the staff member's zone.
    pub fn filter(&self, tz: &jiff::tz::TimeZone) -> Result<AppealFilter, FieldErrors> {
        let mut e = FieldErrors::new();
        let from = parse_day("from", self.from.as_deref().unwrap_or(""), &mut e);
        let to = parse_day("to", self.to.as_deref().unwrap_or(""), &mut e);
        e.into_result(())?;
        let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        Ok(AppealFilter {
            view: self.view.unwrap_or_default(),
            executor_id: self.executor_id,
            branch_id: self.branch_id,
            kind: nonempty(&self.kind),
            topic: nonempty(&self.topic),
            channel: nonempty(&self.channel),
            status: nonempty(&self.status),
            from: from.map(|d| day_start_micros(d, tz)),
            to: to.map(|d| day_start_micros(d.saturating_add(jiff::Span::new().days(1)), tz)),
            client_id: self.client_id,
            terms: nonempty(&self.q).map(|q| abonent_domain::appeals::search_terms(&q)),
            limit: self.limit.unwrap_or(50),
            offset: self.offset.unwrap_or(0),
            ..Default::default()
        })
    }
}

/// Checks and saves a topic (API and settings page).
pub async fn save_topic(
    state: &AppState,
    me: &CurrentStaff,
    code: &str,
    name: &str,
    active: bool,
) -> Result<(), WebError> {
    Rights::configure(me)?;
    let mut e = FieldErrors::new();
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        e.add(
            "code",
            "Код тематики — латинские строчные буквы, цифры и _, до 40 символов.",
        );
    }
    let name = abonent_domain::validation::required_text(&mut e, "name", name, 200);
    e.into_result(())?;
    state
        .store
        .save_appeal_topic(code, &name, active, &me.actor())
        .await?;
    state.rules.invalidate().await;
    Ok(())
}

/// An attachment as a download; the access is audited.
pub async fn attachment_response(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
) -> Result<Response, WebError> {
    me.require_audited(
        state,
        Permission::ViewAppeals,
        "appeal_attachment",
        &id.to_string(),
    )
    .await?;
    let (meta, content) = state.store.appeal_attachment(id).await?;
    state
        .store
        .audit(
            &me.actor(),
            "appeal.attachment",
            "appeal",
            &meta.appeal_id.to_string(),
            &format!("attachment {id}"),
        )
        .await?;
    Ok(download(
        &format!("attachment-{id}"),
        &meta.file_name,
        &meta.content_type,
        content,
    ))
}

/// Counts for a period (APL-08).
pub async fn stats_for(
    state: &AppState,
    me: &CurrentStaff,
    from: &str,
    to: &str,
    branch_id: Option<i64>,
) -> Result<AppealStats, WebError> {
    Rights::view(me)?;
    let mut e = FieldErrors::new();
    let f = parse_day("from", from, &mut e);
    let t = parse_day("to", to, &mut e);
    if from.trim().is_empty() {
        e.add("from", "Укажите начало периода.");
    }
    if to.trim().is_empty() {
        e.add("to", "Укажите конец периода.");
    }
    if let (Some(f), Some(t)) = (f, t) {
        if t < f {
            e.add("to", "Конец периода раньше начала.");
        }
    }
    let (f, t) = e.into_checked(f.zip(t), "from")?;
    let tz = &me.zone;
    let rules = state.rules.get(&state.store).await?;
    Ok(state
        .store
        .appeal_stats(
            day_start_micros(f, tz),
            day_start_micros(t.saturating_add(jiff::Span::new().days(1)), tz),
            branch_id,
            rules.today_in(me.staff.branch_id.unwrap_or(0)),
        )
        .await?)
}

/// The rights of appeals, decided here and nowhere else: which permission each kind of action
/// needs. The adapters ask these; `tests/http.rs` walks every route with every role.
pub struct Rights;

impl Rights {
    /// The registry, cards, statistics, norms and topics.
    pub fn view(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ViewAppeals)
    }
    /// Viewing the registry; a refusal is audited (ORG-05).
    pub async fn view_list(state: &AppState, me: &CurrentStaff) -> Result<(), WebError> {
        me.require_audited(state, Permission::ViewAppeals, "appeal_list", "")
            .await
    }
    /// Registering appeals, the mailbox's failed letters and printed letters.
    pub fn register(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::RegisterAppeals)
    }
    pub fn may_register(me: &CurrentStaff) -> bool {
        me.can(Permission::RegisterAppeals)
    }
    /// Assigning executors; who may also act on any appeal of the branch.
    pub fn assign(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::AssignAppeals)
    }
    pub fn may_assign(me: &CurrentStaff) -> bool {
        me.can(Permission::AssignAppeals)
    }
    /// Handling the appeals one is the executor of.
    pub fn may_handle(me: &CurrentStaff) -> bool {
        me.can(Permission::HandleAppeals)
    }
    /// Whether `me` may act on an appeal as its executor: the executor, or whoever assigns.
    pub fn may_act_on(me: &CurrentStaff, executor_id: Option<i64>) -> bool {
        Self::may_assign(me) || (Self::may_handle(me) && executor_id == Some(me.staff.id))
    }
    /// Norms and topics.
    pub fn configure(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ConfigureAppeals)
    }
    pub fn may_configure(me: &CurrentStaff) -> bool {
        me.can(Permission::ConfigureAppeals)
    }
}

/// Where the norms page leads back to: the registry for who may see it, otherwise the
/// administration page (an administrator configures appeals but does not read them).
pub fn settings_back_link(me: &CurrentStaff) -> (&'static str, &'static str) {
    if me.can(Permission::ViewAppeals) {
        ("/appeals", "К обращениям")
    } else if crate::org::Rights::may_administer(me) {
        ("/admin", "К администрированию")
    } else {
        ("/", "На главную")
    }
}

/// The registry's first tab: new appeals for who assigns, one's own for who handles them.
pub fn default_view(me: &CurrentStaff) -> View {
    if Rights::may_assign(me) {
        View::New
    } else if Rights::may_handle(me) {
        View::Mine
    } else {
        View::All
    }
}

/// Whose appeal is being registered from a client's card: the client's name, phones and
/// accounts (number and address). The view of personal data is audited (ORG-05).
pub struct Applicant {
    pub client: abonent_store::clients::ClientRecord,
    pub accounts: Vec<abonent_store::accounts::AccountView>,
}

/// The client an appeal is registered for, when the form was opened from their card.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn applicant(
    state: &AppState,
    me: &CurrentStaff,
    client_id: i64,
) -> Result<Option<Applicant>, WebError> {
    Rights::register(me)?;
    let client = match state.store.client(client_id).await {
        Ok(c) => c,
        Err(abonent_store::StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    state
        .store
        .audit(
            &me.actor(),
            "appeal.new_for_client",
            "client",
            &client_id.to_string(),
            "",
        )
        .await?;
    Ok(Some(Applicant {
        accounts: state.store.accounts_of_client(client_id).await?,
        client,
    }))
}

/// The rules in force (calendar, norms, topics, branches), from the short-lived cache.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn rules(state: &AppState) -> Result<Arc<Rules>, WebError> {
    state.rules.get(&state.store).await
}

/// The company's name and hotline, for confirmations and letters.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn company(state: &AppState) -> Result<Option<Company>, WebError> {
    Ok(state.store.company().await?)
}

/// The company and the appeal's branch, for the answer letter's heading.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn letterhead(
    state: &AppState,
    branch_id: i64,
) -> Result<(Option<Company>, Branch), WebError> {
    Ok((
        state.store.company().await?,
        state.store.branch(branch_id).await?,
    ))
}

/// The signed-in person's latest notices (assignments, reminders, overdue marks).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn my_notices(
    state: &AppState,
    me: &CurrentStaff,
    limit: i64,
) -> Result<Vec<StaffNotice>, WebError> {
    Ok(state.store.staff_notices(me.staff.id, limit).await?)
}

/// Marks the signed-in person's notices read.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_my_notices_read(state: &AppState, me: &CurrentStaff) -> Result<(), WebError> {
    Ok(state.store.mark_notices_read(me.staff.id).await?)
}

/// How many letters of the mailbox wait for a person (0 for who may not register them).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn failed_letter_count(state: &AppState, me: &CurrentStaff) -> Result<usize, WebError> {
    if !Rights::may_register(me) {
        return Ok(0);
    }
    Ok(state.store.inbox_entries("failed", 200).await?.len())
}

/// Letters of the company mailbox that could not be registered automatically (APL-01).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn failed_letters(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<Vec<InboxEntry>, WebError> {
    Rights::register(me)?;
    Ok(state.store.inbox_entries("failed", 200).await?)
}

/// A letter as received, for a records clerk to read; the view is audited (ORG-05).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn letter_raw(state: &AppState, me: &CurrentStaff, id: i64) -> Result<Vec<u8>, WebError> {
    me.require_audited(state, Permission::RegisterAppeals, "mail", &id.to_string())
        .await?;
    let raw = state.store.inbox_raw(id).await?;
    state
        .store
        .audit(&me.actor(), "mail.view", "mail", &id.to_string(), "")
        .await?;
    Ok(raw)
}

/// A failed letter has been dealt with by hand.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn letter_handled(state: &AppState, me: &CurrentStaff, id: i64) -> Result<(), WebError> {
    Rights::register(me)?;
    Ok(state.store.inbox_handled(id, &me.actor()).await?)
}

/// The printed answer `reply_id` of appeal `id` has been handed to the post.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn letter_posted(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    reply_id: i64,
) -> Result<(), WebError> {
    Rights::register(me)?;
    if state.store.appeal_of_reply(reply_id).await? != Some(id) {
        return Err(WebError::NotFound("Такого ответа нет.".into()));
    }
    Ok(state
        .store
        .mark_letter_posted(reply_id, &me.actor())
        .await?)
}

/// Who an appeal of the branch may be assigned to (for who assigns; nobody else sees the list).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn executors(
    state: &AppState,
    me: &CurrentStaff,
    branch_id: i64,
) -> Result<Vec<Staff>, WebError> {
    if !Rights::may_assign(me) {
        return Ok(Vec::new());
    }
    Ok(state
        .store
        .staff_list()
        .await?
        .into_iter()
        .filter(|s| {
            s.active
                && s.branch_id == Some(branch_id)
                && !matches!(s.role, Role::Administrator | Role::RecordsClerk)
        })
        .collect())
}

/// The topic catalogue in force (APL-08).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn topics(state: &AppState, me: &CurrentStaff) -> Result<Vec<Topic>, WebError> {
    Rights::view(me)?;
    Ok(state.store.appeal_topics().await?)
}

/// Every topic with whether it is offered, for the settings page.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn all_topics(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<Vec<(String, String, i64)>, WebError> {
    Rights::configure(me)?;
    Ok(state.store.all_appeal_topics().await?)
}

/// The norms in force for each kind of appeal.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn norms(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<Vec<(AppealKind, AppealNorms)>, WebError> {
    Rights::view(me)?;
    let rules = rules(state).await?;
    Ok(AppealKind::ALL
        .iter()
        .map(|k| (*k, rules.norms(*k)))
        .collect())
}

/// Checks and saves the norms of one kind; audited; the rules cache is dropped at once.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_norms(
    state: &AppState,
    me: &CurrentStaff,
    kind: &str,
    n: &AppealNorms,
) -> Result<(), WebError> {
    Rights::configure(me)?;
    let Some(k) = AppealKind::parse(kind) else {
        return Err(WebError::NotFound("Такого вида обращения нет.".into()));
    };
    n.validate()?;
    state.store.set_appeal_norms(k, n, &me.actor()).await?;
    state.rules.invalidate().await;
    Ok(())
}

/// An appeal draft from form fields.
pub fn draft_from(f: &HashMap<String, String>) -> AppealDraft {
    let g = |k: &str| f.get(k).cloned().unwrap_or_default();
    AppealDraft {
        channel: g("channel"),
        kind: g("kind"),
        topic: g("topic"),
        text: g("text"),
        branch_id: g("branch_id"),
        client_id: g("client_id"),
        account_number: g("account_number"),
        applicant_name: g("applicant_name"),
        email: g("email"),
        phone: g("phone"),
        postal_address: g("postal_address"),
        answer_channel: g("answer_channel"),
    }
}
