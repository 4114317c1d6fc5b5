//! The appeals registry (APL-01 … APL-10, CHN-02): registration with its number, repeat links and
//! search terms in one transaction; assignment, interim replies, extensions, answers and leaving
//! without action, each a guarded state change with its history event; the registry's views,
//! full-text search and counts.
//!
//! Decisions (deadlines, what an answer needs) are the domain's; this module persists them and
//! refuses a change that raced with another (status guards and the `version` column).

use std::collections::HashMap;

use abonent_domain::appeals::{
    AnswerChannel, AnswerData, AppealData, AppealKind, AppealNorms, AppealStatus, Ground,
    IntakeChannel, StaffNoticeKind,
};
use abonent_domain::refusal::AppealsRefusal;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use crate::audit::Actor;
use crate::idempotency::IdemKey;
use crate::sql::values_clause;
use crate::{is_unique_violation, now_micros, refused, Backend, Result, Store, StoreError};

/// A topic of the catalogue (APL-08).
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct Topic {
    pub code: String,
    pub name: String,
}

/// How many open appeals each tab of the registry holds ([`Store::appeal_counts`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewCounts {
    pub new: i64,
    pub mine: i64,
    pub due_soon: i64,
    pub overdue: i64,
}

/// Everything needed to write a new appeal; the web layer has decided the branch and deadline.
#[derive(Debug, Clone)]
pub struct NewAppeal {
    pub data: AppealData,
    pub branch_id: i64,
    pub account_id: Option<i64>,
    pub registered_on: Date,
    pub deadline: Date,
    pub repeat_window_days: i32,
    pub tracking_hash: Option<String>,
    /// The tracking code itself, only to be mailed to the applicant with the confirmation
    /// (the appeal keeps its hash).
    pub tracking_code: Option<String>,
    pub attachments: Vec<NewAttachment>,
}

/// A file received with an appeal.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub file_name: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// What registration returns, and what a retry with the same idempotency key returns again.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Registered {
    pub id: i64,
    /// «2026-000123».
    pub number: String,
    /// µs since the epoch, UTC.
    pub registered_at: i64,
    pub deadline: String,
    /// The earlier appeal on the same event, when this one repeats it (§2.3).
    pub repeat_of: Option<i64>,
    /// True when this is the stored result of an earlier request with the same key.
    #[serde(default)]
    pub replayed: bool,
}

/// One line of the registry.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct AppealRow {
    pub id: i64,
    pub number: String,
    pub registered_at: i64,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub channel: IntakeChannel,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub kind: AppealKind,
    pub topic: String,
    pub branch_id: i64,
    pub applicant_name: String,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: AppealStatus,
    pub executor_id: Option<i64>,
    pub executor_name: Option<String>,
    pub deadline: String,
    pub flagged: i64,
    pub repeat_of: Option<i64>,
}

/// An appeal with everything its card shows.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct AppealRecord {
    pub id: i64,
    pub number: String,
    pub registered_at: i64,
    pub registered_on: String,
    pub registered_by: Option<i64>,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub channel: IntakeChannel,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub kind: AppealKind,
    pub topic: String,
    pub topic_name: String,
    pub branch_id: i64,
    pub branch_name: String,
    pub client_id: Option<i64>,
    pub account_id: Option<i64>,
    pub account_number: Option<String>,
    pub applicant_name: String,
    pub applicant_email: Option<String>,
    pub applicant_phone: Option<String>,
    pub applicant_address: Option<String>,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub answer_channel: AnswerChannel,
    /// The text as received, never changed (APL-02).
    pub original_text: String,
    pub flagged: i64,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: AppealStatus,
    pub executor_id: Option<i64>,
    pub executor_name: Option<String>,
    pub executor_phone: Option<String>,
    pub deadline: String,
    pub original_deadline: String,
    pub interim_reply_at: Option<i64>,
    pub extended: i64,
    pub repeat_of: Option<i64>,
    pub repeat_of_number: Option<String>,
    pub closed_at: Option<i64>,
    pub on_time: Option<i64>,
    #[sqlx(try_from = "crate::codes::NullableCode")]
    #[schema(value_type = Option<String>)]
    pub ground: Option<Ground>,
    pub version: i64,
    #[serde(skip)]
    pub tracking_hash: Option<String>,
}

/// One step of an appeal's history (APL-10).
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct AppealEvent {
    pub at: i64,
    pub actor_name: String,
    pub action: String,
    pub details: String,
}

/// An interim reply or an answer as sent.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct Reply {
    pub id: i64,
    pub interim: i64,
    pub body: String,
    pub executor_name: String,
    pub executor_phone: String,
    pub signatory_name: String,
    pub signatory_position: String,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub channel: AnswerChannel,
    pub call_note: Option<String>,
    pub sent_at: i64,
    /// `delivered`, `to_print` (a letter to post), `queued` (e-mail waiting for the transport).
    pub delivery: String,
    pub delivered_at: Option<i64>,
}

/// An attachment's description (the content is fetched separately).
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct AttachmentMeta {
    pub id: i64,
    pub appeal_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

/// Which part of the registry to list (APL-09).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// Everything, newest first.
    #[default]
    All,
    /// Registered and waiting for an executor.
    New,
    /// Open appeals of one executor, by deadline.
    Mine,
    /// Open, deadline from today to today + the reminder norm.
    DueSoon,
    /// Open, deadline passed.
    Overdue,
}

/// Filters of the registry list.
#[derive(Debug, Clone, Default)]
pub struct AppealFilter {
    pub view: View,
    pub today: Option<Date>,
    pub due_soon_until: Option<Date>,
    pub executor_id: Option<i64>,
    pub branch_id: Option<i64>,
    pub kind: Option<String>,
    pub topic: Option<String>,
    pub channel: Option<String>,
    pub status: Option<String>,
    /// Registered from this moment (µs) …
    pub from: Option<i64>,
    /// … to before this moment (µs).
    pub to: Option<i64>,
    pub client_id: Option<i64>,
    /// Search terms (`domain::appeals::search_terms` of the query).
    pub terms: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// Counts for a period (APL-08, §9.6).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct AppealStats {
    pub total: i64,
    pub by_topic: Vec<(String, i64)>,
    pub by_channel: Vec<(String, i64)>,
    pub by_kind: Vec<(String, i64)>,
    pub by_branch: Vec<(String, i64)>,
    /// Closed in the period.
    pub closed: i64,
    /// Closed in the period on or before the deadline.
    pub closed_on_time: i64,
    /// Registered in the period as repeats of an earlier appeal (§2.3).
    pub repeats: i64,
    /// Open now with the deadline passed.
    pub overdue_now: i64,
}

/// What the reminder and escalation sweep did (APL-09).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub reminded: usize,
    pub escalated: usize,
}

const SELECT_ROW: &str =
    "SELECT a.id, a.number, a.registered_at, a.channel, a.kind, a.topic, a.branch_id,
        a.applicant_name, a.status, a.executor_id, s.full_name AS executor_name, a.deadline,
        a.flagged, a.repeat_of
    FROM appeals a LEFT JOIN staff s ON s.id = a.executor_id";

const SELECT_RECORD: &str =
    "SELECT a.id, a.number, a.registered_at, a.registered_on, a.registered_by,
        a.channel, a.kind, a.topic, t.name AS topic_name, a.branch_id, b.name AS branch_name,
        a.client_id, a.account_id, acc.number AS account_number, a.applicant_name,
        a.applicant_email, a.applicant_phone, a.applicant_address, a.answer_channel,
        a.original_text, a.flagged, a.status, a.executor_id, s.full_name AS executor_name,
        s.phone AS executor_phone, a.deadline, a.original_deadline, a.interim_reply_at,
        a.extended, a.repeat_of, r.number AS repeat_of_number, a.closed_at, a.on_time, a.ground,
        a.version, a.tracking_hash
    FROM appeals a
    JOIN appeal_topics t ON t.code = a.topic
    JOIN branches b ON b.id = a.branch_id
    LEFT JOIN accounts acc ON acc.id = a.account_id
    LEFT JOIN staff s ON s.id = a.executor_id
    LEFT JOIN appeals r ON r.id = a.repeat_of";

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Appends a history event on the transaction.
pub(crate) async fn event_in(
    tx: &mut sqlx::AnyConnection,
    appeal_id: i64,
    actor: &Actor,
    action: &str,
    details: &str,
) -> Result<()> {
    let name = if actor.login.is_empty() {
        "Интернет-приемная".to_owned()
    } else {
        actor.login.clone()
    };
    sqlx::query(
        "INSERT INTO appeal_events (appeal_id, at, actor_id, actor_name, action, details)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(appeal_id)
    .bind(now_micros())
    .bind(actor.staff_id)
    .bind(name)
    .bind(action)
    .bind(details)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Writes a notice to a staff member in the workspace and queues its copy by e-mail (APL-03,
/// APL-09: the executor and the branch head are told, not only shown).
pub(crate) async fn notice_in(
    tx: &mut sqlx::AnyConnection,
    staff_id: i64,
    kind: StaffNoticeKind,
    appeal_id: i64,
    text: &str,
) -> Result<()> {
    let now = now_micros();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO staff_notices (staff_id, at, kind, appeal_id, text) VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
    )
    .bind(staff_id)
    .bind(now)
    .bind(kind.code())
    .bind(appeal_id)
    .bind(text)
    .fetch_one(&mut *tx)
    .await?;
    crate::jobs::enqueue_payload_in(
        tx,
        &crate::jobs::StaffMail { notice_id: id },
        Some(&format!("notice:{id}")),
        now,
    )
    .await
}

/// The branch heads of a branch (active), who receive new appeals and escalations.
pub(crate) async fn branch_heads_in(
    tx: &mut sqlx::AnyConnection,
    branch_id: i64,
) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM staff WHERE branch_id = $1 AND role = 'branch_head' AND active = 1 ORDER BY id",
    )
    .bind(branch_id)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

fn conflict_closed() -> StoreError {
    refused(AppealsRefusal::ClosedOrChanged)
}

impl Store {
    /// The topic catalogue, in order.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn appeal_topics(&self) -> Result<Vec<Topic>> {
        Ok(sqlx::query_as(
            "SELECT code, name FROM appeal_topics WHERE active = 1 ORDER BY position, code",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// Adds a topic or renames / retires one (APL-08); audited. Retired topics stay on the
    /// appeals that have them.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn save_appeal_topic(
        &self,
        code: &str,
        name: &str,
        active: bool,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO appeal_topics (code, name, position, active)
             VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM appeal_topics), $3)
             ON CONFLICT (code) DO UPDATE SET name = $2, active = $3",
        )
        .bind(code)
        .bind(name)
        .bind(i64::from(active))
        .execute(&mut *tx)
        .await?;
        crate::audit::audit_in(
            &mut tx,
            actor,
            "appeal_topic.save",
            "appeal_topic",
            code,
            &format!("active={active}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every topic with whether it is offered, for the settings page.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn all_appeal_topics(&self) -> Result<Vec<(String, String, i64)>> {
        Ok(
            sqlx::query_as("SELECT code, name, active FROM appeal_topics ORDER BY position, code")
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// The norms per kind of appeal.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn appeal_norms(&self) -> Result<HashMap<AppealKind, AppealNorms>> {
        let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT kind, answer_days, max_extension_days, remind_days, repeat_window_days FROM appeal_norms",
        )
        .fetch_all(self.pool())
        .await?;
        let mut out = HashMap::new();
        for k in AppealKind::ALL {
            out.insert(*k, AppealNorms::default());
        }
        for (kind, a, m, r, w) in rows {
            if let Some(k) = AppealKind::parse(&kind) {
                out.insert(
                    k,
                    AppealNorms {
                        answer_days: a as i32,
                        max_extension_days: m as i32,
                        remind_days: r as i32,
                        repeat_window_days: w as i32,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Changes the norms of one kind; audited.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_appeal_norms(
        &self,
        kind: AppealKind,
        n: &AppealNorms,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO appeal_norms (kind, answer_days, max_extension_days, remind_days, repeat_window_days, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (kind) DO UPDATE SET answer_days = $2, max_extension_days = $3,
                 remind_days = $4, repeat_window_days = $5, updated_at = $6",
        )
        .bind(kind.code())
        .bind(i64::from(n.answer_days))
        .bind(i64::from(n.max_extension_days))
        .bind(i64::from(n.remind_days))
        .bind(i64::from(n.repeat_window_days))
        .bind(now_micros())
        .execute(&mut *tx)
        .await?;
        crate::audit::audit_in(
            &mut tx,
            actor,
            "appeal_norms.update",
            "appeal_norms",
            kind.code(),
            &format!(
                "answer_days={} max_extension_days={} remind_days={} repeat_window_days={}",
                n.answer_days, n.max_extension_days, n.remind_days, n.repeat_window_days
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Registers an appeal: number, history event, search terms, attachments, repeat link and a
    /// notice to the branch heads, in one transaction. With `idem`, a repeated request returns
    /// the first result and writes nothing (OPS-05).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn register_appeal(
        &self,
        a: &NewAppeal,
        idem: Option<&IdemKey>,
        actor: &Actor,
    ) -> Result<Registered> {
        if let Some(k) = idem {
            if let Some(r) = self.idempotent_result::<Registered>(k).await? {
                return Ok(Registered {
                    replayed: true,
                    ..r
                });
            }
        }
        let r = self.register_appeal_tx(a, idem, actor).await;
        match (r, idem) {
            // Two requests with the same key raced: the loser returns the winner's result.
            (Err(StoreError::Db(e)), Some(k)) if is_unique_violation(&e) => {
                match self.idempotent_result::<Registered>(k).await? {
                    Some(r) => Ok(Registered {
                        replayed: true,
                        ..r
                    }),
                    None => Err(StoreError::Db(e)),
                }
            }
            (r, _) => r,
        }
    }

    async fn register_appeal_tx(
        &self,
        a: &NewAppeal,
        idem: Option<&IdemKey>,
        actor: &Actor,
    ) -> Result<Registered> {
        if self.backend() == Backend::Sqlite {
            let w = self
                .group
                .get_or_init(|| GroupWriter::start(self.pool().clone()));
            let (reply, rx) = tokio::sync::oneshot::channel();
            let req = GroupRequest {
                a: a.clone(),
                idem: idem.cloned(),
                actor: actor.clone(),
                reply,
            };
            if w.tx.send(req).await.is_ok() {
                if let Ok(r) = rx.await {
                    return r;
                }
            }
            // The writer is gone (its runtime ended): write directly.
        }
        let mut tx = self.begin_write().await?;
        let r = register_batch(&mut tx, self.backend(), &[(a, idem, actor)]).await?;
        tx.commit().await?;
        r.into_iter()
            .next()
            .ok_or_else(|| StoreError::Corrupt("a registration wrote no appeal".into()))
    }
}

/// One registration waiting for the group writer.
struct GroupRequest {
    a: NewAppeal,
    idem: Option<IdemKey>,
    actor: Actor,
    reply: tokio::sync::oneshot::Sender<Result<Registered>>,
}

/// Group commit for SQLite (the registration benchmark: ≥ 2,000 durable registrations/s): one
/// task takes every registration waiting at that moment and writes them in one transaction,
/// each inside its own savepoint so one refusal does not touch the others, then commits once
/// (one fsync) and only then answers each caller. Nothing is acknowledged before it is durable,
/// and writers no longer queue on SQLite's lock.
#[derive(Debug)]
pub(crate) struct GroupWriter {
    tx: tokio::sync::mpsc::Sender<GroupRequest>,
}

impl GroupWriter {
    const MAX_BATCH: usize = 256;

    fn start(pool: sqlx::AnyPool) -> Self {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<GroupRequest>(4096);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < Self::MAX_BATCH {
                    match rx.try_recv() {
                        Ok(r) => batch.push(r),
                        Err(_) => break,
                    }
                }
                Self::write(&pool, batch).await;
            }
        });
        Self { tx }
    }

    async fn write(pool: &sqlx::AnyPool, batch: Vec<GroupRequest>) {
        use sqlx::Acquire;
        let mut tx = match pool.begin_with("BEGIN IMMEDIATE").await {
            Ok(t) => t,
            Err(e) => {
                let m = e.to_string();
                for r in batch {
                    let _ = r
                        .reply
                        .send(Err(StoreError::Db(sqlx::Error::Protocol(m.clone()))));
                }
                return;
            }
        };
        // The whole batch in one go; if any item is refused, each alone in its savepoint.
        let items: Vec<Item<'_>> = batch
            .iter()
            .map(|r| (&r.a, r.idem.as_ref(), &r.actor))
            .collect();
        let mut results: Vec<Result<Registered>> = Vec::with_capacity(batch.len());
        let fast = match (&mut *tx).begin().await {
            Ok(mut sp) => match register_batch(&mut sp, Backend::Sqlite, &items).await {
                Ok(regs) => match sp.commit().await {
                    Ok(()) => Some(regs),
                    Err(_) => None,
                },
                Err(_) => {
                    let _ = sp.rollback().await;
                    None
                }
            },
            Err(_) => None,
        };
        match fast {
            Some(regs) => results.extend(regs.into_iter().map(Ok)),
            None => {
                for item in &items {
                    let res = match (&mut *tx).begin().await {
                        Ok(mut sp) => {
                            match register_batch(&mut sp, Backend::Sqlite, &[*item]).await {
                                Ok(mut reg) => sp
                                    .commit()
                                    .await
                                    .map(|_| reg.remove(0))
                                    .map_err(StoreError::from),
                                Err(e) => {
                                    let _ = sp.rollback().await;
                                    Err(e)
                                }
                            }
                        }
                        Err(e) => Err(e.into()),
                    };
                    results.push(res);
                }
            }
        }
        match tx.commit().await {
            Ok(()) => {
                for (r, res) in batch.into_iter().zip(results) {
                    let _ = r.reply.send(res);
                }
            }
            Err(e) => {
                let m = e.to_string();
                for r in batch {
                    let _ = r
                        .reply
                        .send(Err(StoreError::Db(sqlx::Error::Protocol(m.clone()))));
                }
            }
        }
    }
}

/// One registration to write: the appeal, its idempotency key, who registers it.
pub(crate) type Item<'a> = (&'a NewAppeal, Option<&'a IdemKey>, &'a Actor);

fn history_name(actor: &Actor) -> String {
    if actor.login.is_empty() {
        "Интернет-приемная".to_owned()
    } else {
        actor.login.clone()
    }
}

/// Writes registrations on the caller's transaction with one statement per table: numbers,
/// appeals, search terms, attachments, history, repeat links, notices to the branch heads,
/// confirmation jobs and idempotency keys. The group writer passes many; everyone else one.
async fn register_batch(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    items: &[Item<'_>],
) -> Result<Vec<Registered>> {
    let now = now_micros();
    // Numbers first: the first statement writes, so SQLite takes the write lock at once.
    let numbers = allocate_numbers(tx, items).await?;
    let first_id = reserve_ids(tx, backend, items.len()).await?;
    let repeat_of = find_repeats(tx, items, now, first_id).await?;
    let b = Batch {
        items,
        backend,
        now,
        first_id,
        numbers,
        repeat_of,
    };
    insert_appeals(tx, &b).await?;
    insert_attachments(tx, &b).await?;
    insert_history(tx, &b).await?;
    notify_branch_heads(tx, &b).await?;
    queue_confirmations(tx, &b).await?;
    let out: Vec<Registered> = b
        .items
        .iter()
        .enumerate()
        .map(|(i, (a, _, _))| Registered {
            id: b.first_id + i as i64,
            number: b.numbers[i].clone(),
            registered_at: b.now,
            deadline: a.deadline.to_string(),
            repeat_of: b.repeat_of[i],
            replayed: false,
        })
        .collect();
    for (i, (_, idem, _)) in items.iter().enumerate() {
        if let Some(k) = idem {
            crate::idempotency::remember(&mut *tx, k, &out[i]).await?;
        }
    }
    Ok(out)
}

/// A batch of registrations being written: the items with their numbers, ids (consecutive from
/// `first_id`) and the first appeals they repeat.
struct Batch<'a, 'b> {
    items: &'b [Item<'a>],
    backend: Backend,
    now: i64,
    first_id: i64,
    numbers: Vec<String>,
    repeat_of: Vec<Option<i64>>,
}

/// The registration numbers of `items`, from the counter of each registration year.
async fn allocate_numbers(tx: &mut sqlx::AnyConnection, items: &[Item<'_>]) -> Result<Vec<String>> {
    let mut numbers = vec![String::new(); items.len()];
    let mut years: Vec<i16> = items
        .iter()
        .map(|(a, _, _)| a.registered_on.year())
        .collect();
    years.sort_unstable();
    years.dedup();
    for y in years {
        let idx: Vec<usize> = (0..items.len())
            .filter(|&i| items[i].0.registered_on.year() == y)
            .collect();
        let k = idx.len() as i64;
        let (last,): (i64,) = sqlx::query_as(
            "INSERT INTO appeal_counters (year, last) VALUES ($1, $2)
             ON CONFLICT (year) DO UPDATE SET last = appeal_counters.last + $2 RETURNING last",
        )
        .bind(i64::from(y))
        .bind(k)
        .fetch_one(&mut *tx)
        .await?;
        for (n, i) in idx.into_iter().enumerate() {
            numbers[i] = abonent_domain::appeals::registration_number(y, last - k + 1 + n as i64);
        }
    }
    Ok(numbers)
}

/// The first of `n` consecutive appeal ids for the batch.
async fn reserve_ids(tx: &mut sqlx::AnyConnection, backend: Backend, n: usize) -> Result<i64> {
    Ok(match backend {
        Backend::Sqlite => {
            let (m,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM appeals")
                .fetch_one(&mut *tx)
                .await?;
            m.unwrap_or(0) + 1
        }
        Backend::Postgres => {
            // Identity values for the batch, in order.
            let (last,): (i64,) = sqlx::query_as(
                "SELECT MAX(v) FROM (SELECT nextval(pg_get_serial_sequence('appeals', 'id')) AS v
                   FROM generate_series(1, $1)) s",
            )
            .bind(n as i64)
            .fetch_one(&mut *tx)
            .await?;
            last - n as i64 + 1
        }
    })
}

/// Repeat detection (§2.3): the same client, account or e-mail on the same topic within the
/// window is the same event; each item links to the first appeal of it (also within this batch).
async fn find_repeats(
    tx: &mut sqlx::AnyConnection,
    items: &[Item<'_>],
    now: i64,
    first_id: i64,
) -> Result<Vec<Option<i64>>> {
    let mut repeat_of: Vec<Option<i64>> = vec![None; items.len()];
    let mut seen: HashMap<(&'static str, String, String), i64> = HashMap::new();
    for (i, (a, _, _)) in items.iter().enumerate() {
        let d = &a.data;
        if a.repeat_window_days <= 0 {
            continue;
        }
        let since = now - i64::from(a.repeat_window_days) * 86_400_000_000;
        let probes: [(&'static str, Option<String>); 3] = [
            ("client_id", d.client_id.map(|v| v.to_string())),
            ("account_id", a.account_id.map(|v| v.to_string())),
            ("applicant_email", d.email.clone()),
        ];
        for (col, val) in probes {
            let Some(val) = val else { continue };
            let key = (col, val.clone(), d.topic.clone());
            if let Some(root) = seen.get(&key) {
                repeat_of[i] = Some(*root);
                break;
            }
            let q = format!(
                "SELECT id, repeat_of FROM appeals WHERE {col} = $1 AND topic = $2
                   AND registered_at >= $3 ORDER BY registered_at LIMIT 1"
            );
            let q = sqlx::query_as::<_, (i64, Option<i64>)>(&q);
            let q = if col == "applicant_email" {
                q.bind(val)
            } else {
                q.bind(val.parse::<i64>().unwrap_or(-1))
            };
            let hit = q
                .bind(&d.topic)
                .bind(since)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some((id, first)) = hit {
                repeat_of[i] = Some(first.unwrap_or(id));
                break;
            }
        }
        let root = repeat_of[i].unwrap_or(first_id + i as i64);
        for (col, val) in [
            ("client_id", d.client_id.map(|v| v.to_string())),
            ("account_id", a.account_id.map(|v| v.to_string())),
            ("applicant_email", d.email.clone()),
        ] {
            if let Some(val) = val {
                seen.entry((col, val, d.topic.clone())).or_insert(root);
            }
        }
    }
    Ok(repeat_of)
}

/// The appeals' rows, and their search terms (a separate full-text table on SQLite).
async fn insert_appeals(tx: &mut sqlx::AnyConnection, b: &Batch<'_, '_>) -> Result<()> {
    let terms: Vec<String> = b
        .items
        .iter()
        .map(|(a, _, _)| {
            let mut t = abonent_domain::appeals::search_terms(&a.data.text);
            let n = abonent_domain::appeals::search_terms(&a.data.applicant_name);
            if !n.is_empty() {
                t.push(' ');
                t.push_str(&n);
            }
            t
        })
        .collect();
    let sql = format!(
        "INSERT INTO appeals (id, number, registered_at, registered_on, registered_by, channel, kind,
             topic, branch_id, client_id, account_id, applicant_name, applicant_email,
             applicant_phone, applicant_address, answer_channel, original_text, flagged, status,
             deadline, original_deadline, repeat_of, tracking_hash, search_terms) VALUES {}",
        values_clause(b.backend, b.items.len(), 24)
    );
    let mut q = sqlx::query(&sql);
    for (i, (a, _, actor)) in b.items.iter().enumerate() {
        let d = &a.data;
        q = q
            .bind(b.first_id + i as i64)
            .bind(b.numbers[i].clone())
            .bind(b.now)
            .bind(a.registered_on.to_string())
            .bind(actor.staff_id)
            .bind(d.channel.code())
            .bind(d.kind.code())
            .bind(d.topic.clone())
            .bind(a.branch_id)
            .bind(d.client_id)
            .bind(a.account_id)
            .bind(d.applicant_name.clone())
            .bind(d.email.clone())
            .bind(d.phone.clone())
            .bind(d.postal_address.clone())
            .bind(d.answer_channel.code())
            .bind(d.text.clone())
            .bind(i64::from(d.flagged))
            .bind("registered")
            .bind(a.deadline.to_string())
            .bind(a.deadline.to_string())
            .bind(b.repeat_of[i])
            .bind(a.tracking_hash.clone())
            .bind(terms[i].clone());
    }
    q.execute(&mut *tx).await.map_err(|e| match &e {
        sqlx::Error::Database(db)
            if db.message().contains("FOREIGN KEY") || db.code().as_deref() == Some("23503") =>
        {
            refused(AppealsRefusal::UnknownReference)
        }
        _ => StoreError::Db(e),
    })?;
    if b.backend == Backend::Sqlite {
        let sql = format!(
            "INSERT INTO appeal_fts (rowid, terms) VALUES {}",
            values_clause(b.backend, b.items.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (i, t) in terms.iter().enumerate() {
            q = q.bind(b.first_id + i as i64).bind(t.clone());
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

async fn insert_attachments(tx: &mut sqlx::AnyConnection, b: &Batch<'_, '_>) -> Result<()> {
    for (i, (a, _, _)) in b.items.iter().enumerate() {
        for f in &a.attachments {
            sqlx::query(
                "INSERT INTO appeal_attachments (appeal_id, file_name, content_type, size, sha256, content, added_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(b.first_id + i as i64)
            .bind(&f.file_name)
            .bind(&f.content_type)
            .bind(f.content.len() as i64)
            .bind(sha256_hex(&f.content))
            .bind(f.content.clone())
            .bind(b.now)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// The history: registered, and linked as a repeat.
async fn insert_history(tx: &mut sqlx::AnyConnection, b: &Batch<'_, '_>) -> Result<()> {
    let mut events: Vec<(i64, Option<i64>, String, &str, String)> = Vec::new();
    for (i, (a, _, actor)) in b.items.iter().enumerate() {
        let d = &a.data;
        let id = b.first_id + i as i64;
        let mut details = format!("{}; {}", d.channel.label_ru(), d.kind.label_ru());
        if !a.attachments.is_empty() {
            details.push_str(&format!("; вложений: {}", a.attachments.len()));
        }
        if d.flagged {
            details.push_str("; текст отмечен для проверки на недопустимые выражения");
        }
        events.push((
            id,
            actor.staff_id,
            history_name(actor),
            "registered",
            details,
        ));
        if let Some(first) = b.repeat_of[i] {
            events.push((
                id,
                actor.staff_id,
                history_name(actor),
                "linked_repeat",
                format!("повторное по отношению к обращению id {first}"),
            ));
        }
    }
    let sql = format!(
        "INSERT INTO appeal_events (appeal_id, at, actor_id, actor_name, action, details) VALUES {}",
        values_clause(b.backend, events.len(), 6)
    );
    let mut q = sqlx::query(&sql);
    for (id, actor_id, name, action, details) in events {
        q = q
            .bind(id)
            .bind(b.now)
            .bind(actor_id)
            .bind(name)
            .bind(action)
            .bind(details);
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

/// The branch heads are told of each new appeal (APL-03).
async fn notify_branch_heads(tx: &mut sqlx::AnyConnection, b: &Batch<'_, '_>) -> Result<()> {
    let mut heads: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut notices: Vec<(i64, i64, String)> = Vec::new();
    for (i, (a, _, _)) in b.items.iter().enumerate() {
        if let std::collections::hash_map::Entry::Vacant(e) = heads.entry(a.branch_id) {
            e.insert(branch_heads_in(&mut *tx, a.branch_id).await?);
        }
        for h in &heads[&a.branch_id] {
            notices.push((
                *h,
                b.first_id + i as i64,
                format!("Новое обращение № {}: назначьте исполнителя.", b.numbers[i]),
            ));
        }
    }
    if !notices.is_empty() {
        let sql = format!(
            "INSERT INTO staff_notices (staff_id, at, kind, appeal_id, text) VALUES {}",
            values_clause(b.backend, notices.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for (staff, id, text) in notices {
            q = q
                .bind(staff)
                .bind(b.now)
                .bind(StaffNoticeKind::NewAppeal.code())
                .bind(id)
                .bind(text);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// The applicant with an e-mail address gets the number and the deadline (APL-02).
async fn queue_confirmations(tx: &mut sqlx::AnyConnection, b: &Batch<'_, '_>) -> Result<()> {
    let confirm: Vec<(i64, Option<String>)> = (0..b.items.len())
        .filter(|&i| b.items[i].0.data.email.is_some())
        .map(|i| (b.first_id + i as i64, b.items[i].0.tracking_code.clone()))
        .collect();
    if !confirm.is_empty() {
        use crate::jobs::{AppealConfirm, JobPayload};
        let sql = format!(
            "INSERT INTO jobs (kind, payload, dedupe_key, run_at, created_at) VALUES {}
             ON CONFLICT (dedupe_key) DO NOTHING",
            values_clause(b.backend, confirm.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for (id, tracking_code) in confirm {
            q = q
                .bind(AppealConfirm::KIND.as_str().to_owned())
                .bind(
                    AppealConfirm {
                        appeal_id: id,
                        tracking_code,
                    }
                    .to_payload(),
                )
                .bind(format!("confirm:{id}"))
                .bind(b.now)
                .bind(b.now);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// The registry's list query being built: its SQL and the values to bind, in order.
struct Filtered {
    sql: String,
    binds: Vec<Bind>,
}

impl Filtered {
    /// Appends `clause`, its `$?` numbered as the next parameter, bound to `b`.
    fn push(&mut self, clause: &str, b: Bind) {
        self.binds.push(b);
        self.sql
            .push_str(&clause.replace("$?", &format!("${}", self.binds.len())));
    }

    /// The view's condition; returns its order.
    fn view(&mut self, f: &AppealFilter, fts_driven: bool) -> &'static str {
        let today = f.today.map(|d| d.to_string()).unwrap_or_default();
        match f.view {
            // Rowids grow with registration time: the FTS index yields the newest first.
            View::All if fts_driven => "f.rowid DESC",
            View::All => "a.registered_at DESC, a.id DESC",
            View::New => {
                self.sql
                    .push_str(" AND a.closed_at IS NULL AND a.status = 'registered'");
                "a.deadline, a.id"
            }
            View::Mine => {
                self.sql.push_str(" AND a.closed_at IS NULL");
                self.push(
                    " AND a.executor_id = $?",
                    Bind::I(f.executor_id.unwrap_or(-1)),
                );
                "a.deadline, a.id"
            }
            View::DueSoon => {
                self.sql.push_str(" AND a.closed_at IS NULL");
                self.push(" AND a.deadline >= $?", Bind::S(today.clone()));
                self.push(
                    " AND a.deadline <= $?",
                    Bind::S(
                        f.due_soon_until
                            .map(|d| d.to_string())
                            .unwrap_or(today.clone()),
                    ),
                );
                "a.deadline, a.id"
            }
            View::Overdue => {
                self.sql.push_str(" AND a.closed_at IS NULL");
                self.push(" AND a.deadline < $?", Bind::S(today.clone()));
                "a.deadline, a.id"
            }
        }
    }

    /// The conditions of the filter's fields.
    fn fields(&mut self, f: &AppealFilter) {
        if f.view != View::Mine {
            if let Some(e) = f.executor_id {
                self.push(" AND a.executor_id = $?", Bind::I(e));
            }
        }
        if let Some(b) = f.branch_id {
            self.push(" AND a.branch_id = $?", Bind::I(b));
        }
        if let Some(v) = &f.kind {
            self.push(" AND a.kind = $?", Bind::S(v.clone()));
        }
        if let Some(v) = &f.topic {
            self.push(" AND a.topic = $?", Bind::S(v.clone()));
        }
        if let Some(v) = &f.channel {
            self.push(" AND a.channel = $?", Bind::S(v.clone()));
        }
        if let Some(v) = &f.status {
            self.push(" AND a.status = $?", Bind::S(v.clone()));
        }
        if let Some(v) = f.from {
            self.push(" AND a.registered_at >= $?", Bind::I(v));
        }
        if let Some(v) = f.to {
            self.push(" AND a.registered_at < $?", Bind::I(v));
        }
        if let Some(v) = f.client_id {
            self.push(" AND a.client_id = $?", Bind::I(v));
        }
    }

    /// The full-text condition on the search terms `t`.
    fn terms(&mut self, backend: Backend, t: &str, fts_driven: bool) {
        let fts_query = || {
            t.split_whitespace()
                .map(|w| format!("\"{}\"", w.replace('"', "")))
                .collect::<Vec<_>>()
                .join(" ")
        };
        match backend {
            Backend::Sqlite if fts_driven => {
                self.push(" AND f.terms MATCH $?", Bind::S(fts_query()))
            }
            Backend::Sqlite => self.push(
                " AND EXISTS (SELECT 1 FROM appeal_fts WHERE appeal_fts MATCH $? AND rowid = a.id)",
                Bind::S(fts_query()),
            ),
            Backend::Postgres => self.push(
                " AND a.search_vector @@ plainto_tsquery('simple', $?)",
                Bind::S(t.to_owned()),
            ),
        }
    }
}

impl Store {
    /// One appeal with its card's data.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn appeal(&self, id: i64) -> Result<AppealRecord> {
        sqlx::query_as(&format!("{SELECT_RECORD} WHERE a.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn appeal_by_number(&self, number: &str) -> Result<AppealRecord> {
        sqlx::query_as(&format!("{SELECT_RECORD} WHERE a.number = $1"))
            .bind(number)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn appeal_events(&self, id: i64) -> Result<Vec<AppealEvent>> {
        Ok(sqlx::query_as(
            // The staff member's name as it is now; the name written with the event (a login
            // before, «Интернет-приемная» for the public) when there is no staff member.
            "SELECT e.at, COALESCE(s.full_name, e.actor_name) AS actor_name, e.action, e.details
             FROM appeal_events e LEFT JOIN staff s ON s.id = e.actor_id
             WHERE e.appeal_id = $1 ORDER BY e.at, e.id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn appeal_replies(&self, id: i64) -> Result<Vec<Reply>> {
        Ok(sqlx::query_as(
            "SELECT id, interim, body, executor_name, executor_phone, signatory_name, signatory_position,
                 channel, call_note, sent_at, delivery, delivered_at
             FROM appeal_replies WHERE appeal_id = $1 ORDER BY sent_at, id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn appeal_attachments(&self, id: i64) -> Result<Vec<AttachmentMeta>> {
        Ok(sqlx::query_as(
            "SELECT id, appeal_id, file_name, content_type, size, sha256 FROM appeal_attachments
             WHERE appeal_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?)
    }

    /// An attachment with its content.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn appeal_attachment(&self, id: i64) -> Result<(AttachmentMeta, Vec<u8>)> {
        let meta: AttachmentMeta = sqlx::query_as(
            "SELECT id, appeal_id, file_name, content_type, size, sha256 FROM appeal_attachments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let (content,): (Vec<u8>,) =
            sqlx::query_as("SELECT content FROM appeal_attachments WHERE id = $1")
                .bind(id)
                .fetch_one(self.pool())
                .await?;
        Ok((meta, content))
    }

    /// Appeals linked to this one as the same event (§2.3): its first and every repeat.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn related_appeals(&self, a: &AppealRecord) -> Result<Vec<AppealRow>> {
        let root = a.repeat_of.unwrap_or(a.id);
        Ok(sqlx::query_as(&format!(
            "{SELECT_ROW} WHERE (a.id = $1 OR a.repeat_of = $1) AND a.id <> $2 ORDER BY a.registered_at LIMIT 50"
        ))
        .bind(root)
        .bind(a.id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Assigns (or reassigns) the executor (APL-03); the executor gets a notice.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id, executor_id = executor_id))]
    pub async fn assign_appeal(
        &self,
        id: i64,
        executor_id: i64,
        expected_version: i64,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let prev: Option<(Option<i64>, String, i64)> = sqlx::query_as(
            "SELECT a.executor_id, a.number, a.branch_id FROM appeals a WHERE a.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let (prev_exec, number, _branch) = prev.ok_or(StoreError::NotFound)?;
        let exec: Option<(String, String, i64)> =
            sqlx::query_as("SELECT full_name, role, active FROM staff WHERE id = $1")
                .bind(executor_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((exec_name, role, active)) = exec else {
            tx.rollback().await?;
            return Err(refused(AppealsRefusal::NoSuchExecutor));
        };
        if active != 1 || role == "administrator" || role == "records_clerk" {
            tx.rollback().await?;
            return Err(refused(AppealsRefusal::NotAnExecutor));
        }
        let r = sqlx::query(
            "UPDATE appeals SET executor_id = $1, assigned_at = $2, status = 'assigned', version = version + 1
             WHERE id = $3 AND version = $4 AND closed_at IS NULL",
        )
        .bind(executor_id)
        .bind(now_micros())
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(conflict_closed());
        }
        let action = if prev_exec.is_some() {
            "reassigned"
        } else {
            "assigned"
        };
        let details = match prev_exec {
            Some(p) if p != executor_id => {
                let (prev_name,): (String,) =
                    sqlx::query_as("SELECT full_name FROM staff WHERE id = $1")
                        .bind(p)
                        .fetch_one(&mut *tx)
                        .await?;
                format!("исполнитель: {prev_name} → {exec_name}")
            }
            _ => format!("исполнитель: {exec_name}"),
        };
        event_in(&mut tx, id, actor, action, &details).await?;
        notice_in(
            &mut tx,
            executor_id,
            StaffNoticeKind::Assigned,
            id,
            &format!("Вам поручено обращение № {number}."),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an interim reply (§8.2.4); with `new_deadline`, extends the deadline in the same
    /// transaction (the domain has checked the rule).
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn interim_reply(
        &self,
        id: i64,
        expected_version: i64,
        body: &str,
        channel: AnswerChannel,
        actor: &Actor,
    ) -> Result<i64> {
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE appeals SET interim_reply_at = $1, version = version + 1
             WHERE id = $2 AND version = $3 AND closed_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(conflict_closed());
        }
        let delivery = if channel == AnswerChannel::Post {
            "to_print"
        } else {
            "delivered"
        };
        let (rid,): (i64,) = sqlx::query_as(
            "INSERT INTO appeal_replies (appeal_id, interim, body, channel, sent_at, sent_by, delivery, delivered_at)
             VALUES ($1, 1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(id)
        .bind(body)
        .bind(channel.code())
        .bind(now)
        .bind(actor.staff_id)
        .bind(delivery)
        .bind((delivery == "delivered").then_some(now))
        .fetch_one(&mut *tx)
        .await?;
        event_in(
            &mut tx,
            id,
            actor,
            "interim_reply",
            "промежуточный ответ направлен заявителю",
        )
        .await?;
        tx.commit().await?;
        Ok(rid)
    }

    /// Extends the deadline to `new_deadline` (checked by `domain::appeals::extend_deadline`).
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn extend_appeal(
        &self,
        id: i64,
        expected_version: i64,
        new_deadline: Date,
        days: i32,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE appeals SET deadline = $1, extended = 1, reminded_for = NULL, version = version + 1
             WHERE id = $2 AND version = $3 AND closed_at IS NULL AND extended = 0 AND interim_reply_at IS NOT NULL",
        )
        .bind(new_deadline.to_string())
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(conflict_closed());
        }
        event_in(
            &mut tx,
            id,
            actor,
            "extended",
            &format!("срок продлён на {days} дн., до {new_deadline}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the answer and closes the appeal (APL-05); `delivery` says how far it went.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn answer_appeal(
        &self,
        id: i64,
        expected_version: i64,
        ans: &AnswerData,
        today: Date,
        actor: &Actor,
    ) -> Result<i64> {
        use abonent_domain::appeals::AnswerChannel;
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE appeals SET status = 'answered', closed_at = $1, closed_on = $2,
                 on_time = CASE WHEN $2 <= deadline THEN 1 ELSE 0 END, version = version + 1
             WHERE id = $3 AND version = $4 AND closed_at IS NULL",
        )
        .bind(now)
        .bind(today.to_string())
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(conflict_closed());
        }
        let delivery = match ans.channel {
            AnswerChannel::Post => "to_print",
            AnswerChannel::Email => "queued",
            AnswerChannel::Portal | AnswerChannel::Phone => "delivered",
        };
        let (rid,): (i64,) = sqlx::query_as(
            "INSERT INTO appeal_replies (appeal_id, interim, body, executor_name, executor_phone,
                 signatory_name, signatory_position, channel, call_note, sent_at, sent_by, delivery, delivered_at)
             VALUES ($1, 0, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(id)
        .bind(&ans.substance)
        .bind(&ans.executor_name)
        .bind(&ans.executor_phone)
        .bind(&ans.signatory_name)
        .bind(&ans.signatory_position)
        .bind(ans.channel.code())
        .bind(&ans.call_note)
        .bind(now)
        .bind(actor.staff_id)
        .bind(delivery)
        .bind((delivery == "delivered").then_some(now))
        .fetch_one(&mut *tx)
        .await?;
        event_in(
            &mut tx,
            id,
            actor,
            "answered",
            &format!(
                "ответ {}; подписал {}, {}",
                ans.channel.label_ru(),
                ans.signatory_name,
                ans.signatory_position
            ),
        )
        .await?;
        if delivery == "queued" {
            crate::jobs::enqueue_payload_in(
                &mut tx,
                &crate::jobs::DeliverAnswer { reply_id: rid },
                Some(&format!("answer:{rid}")),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(rid)
    }

    /// Marks an answer's delivery (e-mail sent, letter printed and posted).
    #[tracing::instrument(level = "debug", skip_all, fields(reply_id = reply_id))]
    pub async fn mark_reply_delivered(&self, reply_id: i64, delivery: &str) -> Result<()> {
        sqlx::query("UPDATE appeal_replies SET delivery = $1, delivered_at = $2 WHERE id = $3")
            .bind(delivery)
            .bind(now_micros())
            .bind(reply_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Corrects the kind and topic of an open appeal (a letter from the mailbox arrives as a
    /// request for information on "other"); with `deadline`, the deadline of the new kind.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn reclassify_appeal(
        &self,
        id: i64,
        expected_version: i64,
        kind: AppealKind,
        topic: &str,
        deadline: Option<Date>,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let before: Option<(String, String, String)> =
            sqlx::query_as("SELECT kind, topic, deadline FROM appeals WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let (old_kind, old_topic, old_deadline) = before.ok_or(StoreError::NotFound)?;
        let new_deadline = deadline.map_or(old_deadline.clone(), |d| d.to_string());
        let r = sqlx::query(
            "UPDATE appeals SET kind = $1, topic = $2, deadline = $3, original_deadline =
                 CASE WHEN extended = 0 THEN $3 ELSE original_deadline END,
                 reminded_for = NULL, version = version + 1
             WHERE id = $4 AND version = $5 AND closed_at IS NULL",
        )
        .bind(kind.code())
        .bind(topic)
        .bind(&new_deadline)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db)
                if db.message().contains("FOREIGN KEY")
                    || db.code().as_deref() == Some("23503") =>
            {
                refused(AppealsRefusal::NoSuchTopic)
            }
            _ => StoreError::Db(e),
        })?;
        if r.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(conflict_closed());
        }
        let old_kind_label =
            AppealKind::parse(&old_kind).map_or(old_kind.as_str(), |k| k.label_ru());
        let mut details = format!(
            "вид: {old_kind_label} → {}; тематика: {old_topic} → {topic}",
            kind.label_ru()
        );
        if new_deadline != old_deadline {
            details.push_str(&format!("; срок: {old_deadline} → {new_deadline}"));
        }
        event_in(&mut tx, id, actor, "reclassified", &details).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A printed letter was handed to the post; recorded in the history.
    #[tracing::instrument(level = "debug", skip_all, fields(reply_id = reply_id))]
    pub async fn mark_letter_posted(&self, reply_id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE appeal_replies SET delivery = 'posted', delivered_at = $1
             WHERE id = $2 AND delivery = 'to_print' RETURNING appeal_id",
        )
        .bind(now_micros())
        .bind(reply_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((appeal_id,)) = row else {
            tx.rollback().await?;
            return Err(refused(AppealsRefusal::LetterAlreadyPosted));
        };
        event_in(
            &mut tx,
            appeal_id,
            actor,
            "letter_posted",
            "письмо передано на почту",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Leaves an appeal without action with its ground (APL-06).
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn leave_without_action(
        &self,
        id: i64,
        expected_version: i64,
        ground: Ground,
        note: &str,
        today: Date,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE appeals SET status = 'left_without_action', ground = $1, closed_at = $2,
                 closed_on = $3, on_time = CASE WHEN $3 <= deadline THEN 1 ELSE 0 END,
                 version = version + 1
             WHERE id = $4 AND version = $5 AND closed_at IS NULL",
        )
        .bind(ground.code())
        .bind(now_micros())
        .bind(today.to_string())
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(conflict_closed());
        }
        let details = if note.is_empty() {
            ground.label_ru().to_owned()
        } else {
            format!("{}; {note}", ground.label_ru())
        };
        event_in(&mut tx, id, actor, "left_without_action", &details).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A person looked at a flagged text and found nothing unacceptable (APL-06).
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn clear_appeal_flag(
        &self,
        id: i64,
        expected_version: i64,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE appeals SET flagged = 0, version = version + 1 WHERE id = $1 AND version = $2 AND flagged = 1",
        )
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(conflict_closed());
        }
        event_in(
            &mut tx,
            id,
            actor,
            "flag_cleared",
            "проверено: недопустимых выражений нет",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many open appeals each tab of the registry holds for one person (APL-09): new ones of
    /// the branch (`branch_id`, all branches when `None`), the person's own, those due by
    /// `due_soon_until` and those overdue on `today`.
    #[tracing::instrument(level = "debug", skip_all, fields(executor_id = executor_id))]
    pub async fn appeal_counts(
        &self,
        branch_id: Option<i64>,
        executor_id: i64,
        today: Date,
        due_soon_until: Date,
    ) -> Result<ViewCounts> {
        let (new, mine, due_soon, overdue): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT
               CAST(COALESCE(SUM(CASE WHEN status = 'registered' AND ($1 < 0 OR branch_id = $1)
                    THEN 1 ELSE 0 END), 0) AS BIGINT),
               CAST(COALESCE(SUM(CASE WHEN executor_id = $2 THEN 1 ELSE 0 END), 0) AS BIGINT),
               CAST(COALESCE(SUM(CASE WHEN deadline >= $3 AND deadline <= $4 THEN 1 ELSE 0 END), 0)
                    AS BIGINT),
               CAST(COALESCE(SUM(CASE WHEN deadline < $3 THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM appeals WHERE closed_at IS NULL",
        )
        .bind(branch_id.unwrap_or(-1))
        .bind(executor_id)
        .bind(today.to_string())
        .bind(due_soon_until.to_string())
        .fetch_one(self.pool())
        .await?;
        Ok(ViewCounts {
            new,
            mine,
            due_soon,
            overdue,
        })
    }

    /// The registry list with its view and filters (APL-09); keyset-friendly orders on indexes.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_appeals(&self, f: &AppealFilter) -> Result<Vec<AppealRow>> {
        let terms = f.terms.as_deref().filter(|t| !t.trim().is_empty());
        // Full-text search over the whole registry on SQLite is driven by the FTS index in
        // descending rowid order (newest first), so a common word stops after one page.
        let fts_driven =
            self.backend() == Backend::Sqlite && f.view == View::All && terms.is_some();
        let mut q = Filtered {
            sql: if fts_driven {
                SELECT_ROW.replace(
                    "FROM appeals a",
                    "FROM appeal_fts f JOIN appeals a ON a.id = f.rowid",
                ) + " WHERE 1 = 1"
            } else {
                format!("{SELECT_ROW} WHERE 1 = 1")
            },
            binds: Vec::new(),
        };
        let order = q.view(f, fts_driven);
        q.fields(f);
        if let Some(t) = terms {
            q.terms(self.backend(), t, fts_driven);
        }
        let limit = if f.limit <= 0 { 50 } else { f.limit.min(500) };
        q.push(&format!(" ORDER BY {order} LIMIT $?"), Bind::I(limit));
        q.push(" OFFSET $?", Bind::I(f.offset.max(0)));
        let mut query = sqlx::query_as::<_, AppealRow>(&q.sql);
        for b in q.binds {
            query = match b {
                Bind::I(v) => query.bind(v),
                Bind::S(v) => query.bind(v),
            };
        }
        Ok(query.fetch_all(self.pool()).await?)
    }

    /// Counts for the period [from, to) (µs), optionally one branch (APL-08, §9.6).
    #[tracing::instrument(level = "debug", skip_all, fields(branch_id = ?branch_id))]
    pub async fn appeal_stats(
        &self,
        from: i64,
        to: i64,
        branch_id: Option<i64>,
        today: Date,
    ) -> Result<AppealStats> {
        let b = branch_id.unwrap_or(0);
        let scope = "registered_at >= $1 AND registered_at < $2 AND ($3 = 0 OR branch_id = $3)";
        let group = |col: &'static str| {
            let sql = format!(
                "SELECT {col}, COUNT(*) FROM appeals WHERE {scope} GROUP BY {col} ORDER BY COUNT(*) DESC, {col}"
            );
            async move {
                let rows: Vec<(String, i64)> = sqlx::query_as(&sql)
                    .bind(from)
                    .bind(to)
                    .bind(b)
                    .fetch_all(self.pool())
                    .await?;
                Ok::<_, StoreError>(rows)
            }
        };
        let by_topic = group("topic").await?;
        let by_channel = group("channel").await?;
        let by_kind = group("kind").await?;
        let by_branch: Vec<(String, i64)> = sqlx::query_as(
            "SELECT b.name, COUNT(*) FROM appeals a JOIN branches b ON b.id = a.branch_id
             WHERE a.registered_at >= $1 AND a.registered_at < $2 AND ($3 = 0 OR a.branch_id = $3)
             GROUP BY b.name ORDER BY COUNT(*) DESC, b.name",
        )
        .bind(from)
        .bind(to)
        .bind(b)
        .fetch_all(self.pool())
        .await?;
        let total = by_kind.iter().map(|r| r.1).sum();
        let (closed, on_time): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(on_time), 0) AS BIGINT) FROM appeals
             WHERE closed_at >= $1 AND closed_at < $2 AND ($3 = 0 OR branch_id = $3)",
        )
        .bind(from)
        .bind(to)
        .bind(b)
        .fetch_one(self.pool())
        .await?;
        let (repeats,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM appeals WHERE {scope} AND repeat_of IS NOT NULL"
        ))
        .bind(from)
        .bind(to)
        .bind(b)
        .fetch_one(self.pool())
        .await?;
        let (overdue_now,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM appeals WHERE closed_at IS NULL AND deadline < $1 AND ($2 = 0 OR branch_id = $2)",
        )
        .bind(today.to_string())
        .bind(b)
        .fetch_one(self.pool())
        .await?;
        Ok(AppealStats {
            total,
            by_topic,
            by_channel,
            by_kind,
            by_branch,
            closed,
            closed_on_time: on_time,
            repeats,
            overdue_now,
        })
    }

    /// Reminders before the deadline and escalation when overdue (APL-09): each open appeal is
    /// reminded once per deadline (an extension re-arms it) and escalated once per deadline, in
    /// the same transaction as the marks, so a second run or a second instance sends nothing.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn appeal_sweep(
        &self,
        today: Date,
        due_soon_until: Date,
        batch: i64,
    ) -> Result<SweepReport> {
        let today_s = today.to_string();
        let soon: Vec<SweepRow> = sqlx::query_as(
            "SELECT id, number, branch_id, executor_id, deadline FROM appeals
             WHERE closed_at IS NULL AND deadline >= $1 AND deadline <= $2
               AND (reminded_for IS NULL OR reminded_for <> deadline)
             ORDER BY deadline, id LIMIT $3",
        )
        .bind(&today_s)
        .bind(due_soon_until.to_string())
        .bind(batch)
        .fetch_all(self.pool())
        .await?;
        let mut rep = SweepReport::default();
        for row in soon {
            if self.sweep_one(row, Sweep::Remind).await? {
                rep.reminded += 1;
            }
        }
        let over: Vec<SweepRow> = sqlx::query_as(
            "SELECT id, number, branch_id, executor_id, deadline FROM appeals
             WHERE closed_at IS NULL AND deadline < $1
               AND (escalated_for IS NULL OR escalated_for <> deadline)
             ORDER BY deadline, id LIMIT $2",
        )
        .bind(&today_s)
        .bind(batch)
        .fetch_all(self.pool())
        .await?;
        for row in over {
            if self.sweep_one(row, Sweep::Escalate).await? {
                rep.escalated += 1;
            }
        }
        Ok(rep)
    }

    /// Marks one appeal reminded or escalated for its deadline, with the notices and the history
    /// event, in one transaction; false when another run got there first.
    async fn sweep_one(
        &self,
        (id, number, branch, exec, deadline): SweepRow,
        step: Sweep,
    ) -> Result<bool> {
        let (column, kind, action, text, details) = match step {
            Sweep::Remind => (
                "reminded_for",
                StaffNoticeKind::Reminder,
                "reminded",
                format!("Срок ответа по обращению № {number} — {deadline}."),
                format!("напоминание о сроке {deadline}"),
            ),
            Sweep::Escalate => (
                "escalated_for",
                StaffNoticeKind::Escalation,
                "escalated",
                format!("Просрочено обращение № {number}: срок истёк {deadline}."),
                format!("срок {deadline} истёк; сообщено руководителю отделения"),
            ),
        };
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(&format!(
            "UPDATE appeals SET {column} = deadline WHERE id = $1 AND deadline = $2
               AND ({column} IS NULL OR {column} <> deadline) AND closed_at IS NULL"
        ))
        .bind(id)
        .bind(&deadline)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        // A reminder goes to the executor (the heads while nobody is assigned); an escalation to
        // the heads and the executor (APL-09).
        let mut targets = match (step, exec) {
            (Sweep::Remind, Some(e)) => vec![e],
            _ => branch_heads_in(&mut tx, branch).await?,
        };
        if let (Sweep::Escalate, Some(e)) = (step, exec) {
            if !targets.contains(&e) {
                targets.push(e);
            }
        }
        for t in targets {
            notice_in(&mut tx, t, kind, id, &text).await?;
        }
        let system = Actor {
            staff_id: None,
            login: "система".into(),
            ip: String::new(),
        };
        event_in(&mut tx, id, &system, action, &details).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Notices of one staff member, newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(staff_id = staff_id))]
    pub async fn staff_notices(&self, staff_id: i64, limit: i64) -> Result<Vec<StaffNotice>> {
        Ok(sqlx::query_as(
            "SELECT id, at, kind, appeal_id, incident_id, text, read_at FROM staff_notices
             WHERE staff_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(staff_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// A notice with its recipient's e-mail address (empty when none), for the mail job.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn notice_for_mail(&self, id: i64) -> Result<(StaffNotice, String)> {
        let n: StaffNotice = sqlx::query_as(
            "SELECT id, at, kind, appeal_id, incident_id, text, read_at FROM staff_notices WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let (email,): (String,) = sqlx::query_as(
            "SELECT st.email FROM staff_notices n JOIN staff st ON st.id = n.staff_id WHERE n.id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok((n, email))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(staff_id = staff_id))]
    pub async fn mark_notices_read(&self, staff_id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE staff_notices SET read_at = $1 WHERE staff_id = $2 AND read_at IS NULL",
        )
        .bind(now_micros())
        .bind(staff_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

/// A notice in the workspace.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct StaffNotice {
    pub id: i64,
    pub at: i64,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub kind: StaffNoticeKind,
    pub appeal_id: Option<i64>,
    /// The incident a notice of an incident is about (CHN-05).
    pub incident_id: Option<i64>,
    pub text: String,
    pub read_at: Option<i64>,
}

enum Bind {
    I(i64),
    S(String),
}

/// An open appeal the sweep looks at: id, number, branch, executor, deadline.
type SweepRow = (i64, String, i64, Option<i64>, String);

#[derive(Clone, Copy)]
enum Sweep {
    Remind,
    Escalate,
}
