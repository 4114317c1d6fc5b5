//! The job queue: rows enqueued in the same transaction as the change that causes them, claimed
//! with a lease so several instances may run workers (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on
//! SQLite the single writer serialises claims). A job whose worker died is claimed again when its
//! lease ends; a failed job is retried with a growing pause.
//!
//! A job's `kind` is a [`JobKind`] and its `payload` the text form of the kind's
//! [`JobPayload`]; both keep the text the rows always had, so queued rows decode unchanged.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use crate::{now_micros, Backend, Result, Store};

/// What a job does. Stored as the text of [`JobKind::as_str`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Fetches the company mailbox and registers the letters (APL-01).
    MailPoll,
    /// Mails a staff member the copy of a workspace notice; payload [`StaffMail`].
    StaffMail,
    /// Mails the applicant the confirmation of registration (APL-02); payload [`AppealConfirm`].
    AppealConfirm,
    /// Mails an answer (APL-05); payload [`DeliverAnswer`].
    AppealDeliverAnswer,
    /// Sends the due messages of the outbox (NTF-01).
    OutboxSend,
    /// Fans an announcement out to its clients (NTF-02); payload [`NewsNotify`].
    NewsNotify,
    /// Queues the day's reminders to clients (NTF-02); payload [`RemindersDaily`].
    RemindersDaily,
    /// Reminds before appeal deadlines and escalates overdue appeals (APL-09).
    AppealsSweep,
    /// Forgets old idempotency keys and finished jobs.
    MaintenancePurge,
    /// A kind this version does not know (written by a newer version, or by a test): kept as
    /// stored, so the row still decodes and its job fails as unknown instead of stopping the
    /// claim.
    Unknown(String),
}

impl JobKind {
    /// The stored text.
    pub fn as_str(&self) -> &str {
        match self {
            JobKind::MailPoll => "mail.poll",
            JobKind::StaffMail => "staff.mail",
            JobKind::AppealConfirm => "appeal.confirm",
            JobKind::AppealDeliverAnswer => "appeal.deliver_answer",
            JobKind::OutboxSend => "outbox.send",
            JobKind::NewsNotify => "news.notify",
            JobKind::RemindersDaily => "reminders.daily",
            JobKind::AppealsSweep => "appeals.sweep",
            JobKind::MaintenancePurge => "maintenance.purge",
            JobKind::Unknown(s) => s,
        }
    }
}

impl From<&str> for JobKind {
    fn from(s: &str) -> Self {
        match s {
            "mail.poll" => JobKind::MailPoll,
            "staff.mail" => JobKind::StaffMail,
            "appeal.confirm" => JobKind::AppealConfirm,
            "appeal.deliver_answer" => JobKind::AppealDeliverAnswer,
            "outbox.send" => JobKind::OutboxSend,
            "news.notify" => JobKind::NewsNotify,
            "reminders.daily" => JobKind::RemindersDaily,
            "appeals.sweep" => JobKind::AppealsSweep,
            "maintenance.purge" => JobKind::MaintenancePurge,
            other => JobKind::Unknown(other.to_owned()),
        }
    }
}

/// Decoding from the database (`#[sqlx(try_from = "String")]`): never fails, an unknown text
/// becomes [`JobKind::Unknown`].
impl From<String> for JobKind {
    fn from(s: String) -> Self {
        match JobKind::from(s.as_str()) {
            JobKind::Unknown(_) => JobKind::Unknown(s),
            known => known,
        }
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for JobKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The payload of a job kind, stored as text: a payload that serialises to a JSON string is
/// stored without the quotes, anything else as JSON. The one-field payloads are transparent, so
/// their text is the bare id or date the queue always held.
pub trait JobPayload: Serialize + DeserializeOwned {
    /// The kind that carries this payload.
    const KIND: JobKind;

    /// The stored text.
    fn to_payload(&self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => s,
            Ok(v) => v.to_string(),
            // A payload of plain fields always serialises; an empty text fails at decoding.
            Err(_) => String::new(),
        }
    }

    /// Reads the stored text.
    fn from_payload(text: &str) -> std::result::Result<Self, serde_json::Error> {
        serde_json::from_str(text)
            .or_else(|_| serde_json::from_value(serde_json::Value::String(text.to_owned())))
    }
}

/// Payload of [`JobKind::StaffMail`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StaffMail {
    pub notice_id: i64,
}

impl JobPayload for StaffMail {
    const KIND: JobKind = JobKind::StaffMail;
}

/// Payload of [`JobKind::AppealConfirm`]: the appeal, and the tracking code to tell the
/// applicant (an appeal registered by a citizen). Payloads queued before the code was carried
/// are the bare id and still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "AppealConfirmWire")]
pub struct AppealConfirm {
    pub appeal_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_code: Option<String>,
}

/// How an [`AppealConfirm`] was written: the bare id (before) or the object (now).
#[derive(Deserialize)]
#[serde(untagged)]
enum AppealConfirmWire {
    Id(i64),
    Full {
        appeal_id: i64,
        #[serde(default)]
        tracking_code: Option<String>,
    },
}

impl From<AppealConfirmWire> for AppealConfirm {
    fn from(w: AppealConfirmWire) -> Self {
        match w {
            AppealConfirmWire::Id(appeal_id) => Self {
                appeal_id,
                tracking_code: None,
            },
            AppealConfirmWire::Full {
                appeal_id,
                tracking_code,
            } => Self {
                appeal_id,
                tracking_code,
            },
        }
    }
}

impl JobPayload for AppealConfirm {
    const KIND: JobKind = JobKind::AppealConfirm;
}

/// Payload of [`JobKind::AppealDeliverAnswer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeliverAnswer {
    pub reply_id: i64,
}

impl JobPayload for DeliverAnswer {
    const KIND: JobKind = JobKind::AppealDeliverAnswer;
}

/// Payload of [`JobKind::NewsNotify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NewsNotify {
    pub news_id: i64,
}

impl JobPayload for NewsNotify {
    const KIND: JobKind = JobKind::NewsNotify;
}

/// Payload of [`JobKind::RemindersDaily`]: the local day whose reminders are queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RemindersDaily {
    pub day: jiff::civil::Date,
}

impl JobPayload for RemindersDaily {
    const KIND: JobKind = JobKind::RemindersDaily;
}

/// A claimed job.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Job {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: JobKind,
    pub payload: String,
    pub attempts: i64,
}

impl Job {
    /// The typed payload, if the job's kind carries `P`.
    pub fn payload<P: JobPayload>(&self) -> Option<P> {
        if self.kind != P::KIND {
            return None;
        }
        P::from_payload(&self.payload).ok()
    }
}

/// After this many failed attempts a job stops and waits for a person (it is never deleted).
pub const MAX_ATTEMPTS: i64 = 25;

/// Enqueues a job on the caller's transaction. With `dedupe_key`, a second job with the same key
/// is not created (periodic slots, one delivery per answer). `payload` is the text of the kind's
/// [`JobPayload`], empty for a kind without one ([`enqueue_payload_in`] writes it).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn enqueue_in(
    tx: &mut sqlx::AnyConnection,
    kind: &JobKind,
    payload: &str,
    dedupe_key: Option<&str>,
    run_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (kind, payload, dedupe_key, run_at, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(kind.as_str())
    .bind(payload)
    .bind(dedupe_key)
    .bind(run_at)
    .bind(now_micros())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Enqueues the job of a payload's kind on the caller's transaction (see [`enqueue_in`]).
pub async fn enqueue_payload_in<P: JobPayload>(
    tx: &mut sqlx::AnyConnection,
    payload: &P,
    dedupe_key: Option<&str>,
    run_at: i64,
) -> Result<()> {
    enqueue_in(tx, &P::KIND, &payload.to_payload(), dedupe_key, run_at).await
}

/// A job's state, for the administrator and for tests.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct JobState {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: JobKind,
    pub payload: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub done_at: Option<i64>,
}

impl Store {
    /// Enqueues a job in its own transaction.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn enqueue(
        &self,
        kind: &JobKind,
        payload: &str,
        dedupe_key: Option<&str>,
        run_at: i64,
    ) -> Result<()> {
        let mut conn = self.pool().acquire().await?;
        enqueue_in(&mut conn, kind, payload, dedupe_key, run_at).await
    }

    /// Enqueues the job of a payload's kind in its own transaction.
    pub async fn enqueue_payload<P: JobPayload>(
        &self,
        payload: &P,
        dedupe_key: Option<&str>,
        run_at: i64,
    ) -> Result<()> {
        let mut conn = self.pool().acquire().await?;
        enqueue_payload_in(&mut conn, payload, dedupe_key, run_at).await
    }

    /// Claims the next due job for `lease_micros`, or `None`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn claim_job(&self, worker: &str, lease_micros: i64) -> Result<Option<Job>> {
        let now = now_micros();
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET locked_until = $1, locked_by = $2, attempts = attempts + 1
             WHERE id = (SELECT id FROM jobs
                          WHERE done_at IS NULL AND run_at <= $3 AND attempts < $4
                            AND (locked_until IS NULL OR locked_until < $3)
                          ORDER BY run_at, id LIMIT 1{lock})
             RETURNING id, kind, payload, attempts"
        );
        Ok(sqlx::query_as(&sql)
            .bind(now + lease_micros)
            .bind(worker)
            .bind(now)
            .bind(MAX_ATTEMPTS)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Marks a claimed job done.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn complete_job(&self, id: i64, worker: &str) -> Result<()> {
        sqlx::query(
            "UPDATE jobs SET done_at = $1, locked_until = NULL, last_error = NULL
             WHERE id = $2 AND locked_by = $3",
        )
        .bind(now_micros())
        .bind(id)
        .bind(worker)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Gives back a claimed job that was interrupted by a stopping worker (OPS-06): claimable
    /// again at once, and the attempt is not counted.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn release_job(&self, id: i64, worker: &str) -> Result<()> {
        sqlx::query(
            "UPDATE jobs SET locked_until = NULL,
                 attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
             WHERE id = $1 AND locked_by = $2 AND done_at IS NULL",
        )
        .bind(id)
        .bind(worker)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records a failure and schedules the retry after a pause that grows with the attempts
    /// (capped at one hour).
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn fail_job(&self, id: i64, worker: &str, attempts: i64, error: &str) -> Result<()> {
        let pause = (5_000_000i64 << attempts.clamp(0, 10)).min(3_600_000_000);
        sqlx::query(
            "UPDATE jobs SET last_error = $1, run_at = $2, locked_until = NULL
             WHERE id = $3 AND locked_by = $4",
        )
        .bind(error)
        .bind(now_micros() + pause)
        .bind(id)
        .bind(worker)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Jobs of a kind, newest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn jobs_of_kind(&self, kind: &JobKind, limit: i64) -> Result<Vec<JobState>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, payload, attempts, last_error, done_at FROM jobs WHERE kind = $1
             ORDER BY id DESC LIMIT $2",
        )
        .bind(kind.as_str())
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Forgets finished jobs older than `before` (µs).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn purge_done_jobs(&self, before: i64) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM jobs WHERE done_at IS NOT NULL AND done_at < $1")
                .bind(before)
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_keep_their_stored_text_and_unknown_ones_decode() {
        for k in [
            JobKind::MailPoll,
            JobKind::StaffMail,
            JobKind::AppealConfirm,
            JobKind::AppealDeliverAnswer,
            JobKind::OutboxSend,
            JobKind::NewsNotify,
            JobKind::RemindersDaily,
            JobKind::AppealsSweep,
            JobKind::MaintenancePurge,
        ] {
            assert_eq!(JobKind::from(k.as_str().to_owned()), k);
        }
        assert_eq!(
            JobKind::AppealDeliverAnswer.as_str(),
            "appeal.deliver_answer"
        );
        assert_eq!(
            JobKind::from("report.render".to_owned()),
            JobKind::Unknown("report.render".into())
        );
    }

    #[test]
    fn payloads_are_the_bare_text_rows_always_held() {
        assert_eq!(DeliverAnswer { reply_id: 42 }.to_payload(), "42");
        assert_eq!(
            RemindersDaily::from_payload("2026-12-01").unwrap(),
            RemindersDaily {
                day: jiff::civil::date(2026, 12, 1)
            }
        );
        assert_eq!(
            RemindersDaily {
                day: jiff::civil::date(2026, 12, 1)
            }
            .to_payload(),
            "2026-12-01"
        );
        assert_eq!(
            StaffMail::from_payload("7").unwrap(),
            StaffMail { notice_id: 7 }
        );
        assert!(NewsNotify::from_payload("").is_err());
        assert!(NewsNotify::from_payload("x").is_err());
        let job = Job {
            id: 1,
            kind: JobKind::NewsNotify,
            payload: "5".into(),
            attempts: 1,
        };
        assert_eq!(job.payload::<NewsNotify>(), Some(NewsNotify { news_id: 5 }));
        assert_eq!(job.payload::<StaffMail>(), None, "another kind's payload");
    }
}
