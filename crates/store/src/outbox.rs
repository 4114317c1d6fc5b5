//! The outbox of messages to clients (NTF-01): a message is stored first, in the transaction of
//! the change that causes it, and the sender claims due messages with a lease, sends them and
//! records the delivery; a failed attempt is retried after a pause that grows with the attempts,
//! so a mail server that is down delays messages but loses none. Invoices by e-mail (BIL-05) are
//! the first kind; their PDF is rendered from the stored invoice when the message is sent.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::{audit_in, Actor};
use crate::{now_micros, Backend, Result, Store};

/// A message to be queued.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub channel: String,
    pub recipient: String,
    pub client_id: Option<i64>,
    pub account_id: Option<i64>,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub attachment: String,
    pub dedupe_key: Option<String>,
}

/// A claimed message, as the sender needs it.
#[derive(Debug, Clone, FromRow)]
pub struct OutboxMessage {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub account_id: Option<i64>,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub attachment: String,
    /// Values for the template of `kind` (JSON), when the text is rendered at sending.
    pub params: String,
    pub attempts: i64,
}

/// A message with its delivery status, for the account's card and the API.
#[derive(Debug, Clone, FromRow, Serialize, Deserialize, ToSchema)]
pub struct OutboxView {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub kind: String,
    pub subject: String,
    pub attachment: String,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub last_error: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// After this many failed attempts a message is marked failed and shown as such (it stays
/// stored); with the pauses below that is about three days of retrying.
pub const MAX_ATTEMPTS: i64 = 80;

/// The pause before attempt `attempts + 1`: 30 s doubling, at most one hour.
pub fn retry_pause_micros(attempts: i64) -> i64 {
    (30_000_000i64 << attempts.clamp(0, 12)).min(3_600_000_000)
}

/// The outbox key of an invoice sent automatically after the billing run (once per period).
pub fn invoice_key(account_id: i64, period: &str) -> String {
    format!("invoice:{account_id}:{period}")
}

const VIEW_COLUMNS: &str = "id, channel, recipient, kind, subject, attachment, status, attempts,
     last_error, created_at, sent_at";

impl Store {
    /// Queues a message; with a dedupe key already used nothing is queued and `None` returned.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn queue_message(&self, m: &NewMessage, actor: &Actor) -> Result<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let now = now_micros();
        let id: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO outbox (channel, recipient, client_id, account_id, kind, subject, body,
                 attachment, dedupe_key, next_attempt_at, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10)
             ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        )
        .bind(&m.channel)
        .bind(&m.recipient)
        .bind(m.client_id)
        .bind(m.account_id)
        .bind(&m.kind)
        .bind(&m.subject)
        .bind(&m.body)
        .bind(&m.attachment)
        .bind(&m.dedupe_key)
        .bind(now)
        .bind(actor.staff_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((id,)) = id {
            audit_in(
                &mut tx,
                actor,
                "outbox.queue",
                "outbox",
                &id.to_string(),
                &format!("{} {} → {}", m.channel, m.kind, m.recipient),
            )
            .await?;
            crate::jobs::enqueue_in(&mut tx, &crate::jobs::JobKind::OutboxSend, "", None, now)
                .await?;
        }
        tx.commit().await?;
        Ok(id.map(|(id,)| id))
    }

    /// Queues the invoices of a billed period by e-mail to the clients who chose e-mail as their
    /// channel and gave an address; once per account and period however often it is called.
    /// Returns how many were queued now.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn queue_invoice_mails(&self, period: &str) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let now = now_micros();
        let key = match self.backend() {
            Backend::Postgres => "'invoice:' || i.account_id::text || ':' || i.period",
            Backend::Sqlite => "'invoice:' || i.account_id || ':' || i.period",
        };
        let n = sqlx::query(&format!(
            "INSERT INTO outbox (channel, recipient, client_id, account_id, kind, subject, body,
                 attachment, dedupe_key, next_attempt_at, created_at)
             SELECT 'email', c.email, c.id, a.id, 'invoice', '', '', 'invoice:' || i.period,
                 {key}, $2, $2
             FROM invoices i JOIN accounts a ON a.id = i.account_id
                 JOIN clients c ON c.id = a.client_id
             WHERE i.period = $1 AND c.preferred_channel = 'email' AND c.email IS NOT NULL
                 AND c.email <> ''
             ON CONFLICT (dedupe_key) DO NOTHING"
        ))
        .bind(period)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n > 0 {
            crate::jobs::enqueue_in(&mut tx, &crate::jobs::JobKind::OutboxSend, "", None, now)
                .await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Whether any message is due for an attempt (the scheduler starts the sender only then).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn messages_due(&self) -> Result<bool> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= $1 LIMIT 1",
        )
        .bind(now_micros())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }

    /// Claims up to `limit` due messages for `worker` for `lease_micros`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn claim_messages(
        &self,
        worker: &str,
        limit: i64,
        lease_micros: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let now = now_micros();
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE outbox SET locked_until = $1, locked_by = $2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM outbox
                          WHERE status = 'queued' AND next_attempt_at <= $3
                            AND (locked_until IS NULL OR locked_until < $3)
                          ORDER BY next_attempt_at, id LIMIT $4{lock})
             RETURNING id, channel, recipient, account_id, kind, subject, body, attachment,
                 params, attempts"
        );
        let mut v: Vec<OutboxMessage> = sqlx::query_as(&sql)
            .bind(now + lease_micros)
            .bind(worker)
            .bind(now)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        v.sort_by_key(|m| m.id);
        Ok(v)
    }

    /// Records that the channel accepted a claimed message, with the text as it was sent.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn message_sent(
        &self,
        id: i64,
        worker: &str,
        subject: &str,
        body: &str,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $1, locked_until = NULL, last_error = '',
                 subject = $4, body = $5
             WHERE id = $2 AND locked_by = $3 AND status = 'queued'",
        )
        .bind(now_micros())
        .bind(id)
        .bind(worker)
        .bind(subject)
        .bind(body)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Records a failed attempt: retried later, or marked failed when `permanent` (the address
    /// is not valid) or after [`MAX_ATTEMPTS`].
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn message_failed(
        &self,
        id: i64,
        worker: &str,
        attempts: i64,
        error: &str,
        permanent: bool,
    ) -> Result<()> {
        let status = if permanent || attempts >= MAX_ATTEMPTS {
            "failed"
        } else {
            "queued"
        };
        sqlx::query(
            "UPDATE outbox SET status = $1, next_attempt_at = $2, locked_until = NULL,
                 last_error = $3
             WHERE id = $4 AND locked_by = $5 AND status = 'queued'",
        )
        .bind(status)
        .bind(now_micros() + retry_pause_micros(attempts))
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Gives back the messages `worker` claimed and has not yet sent (a stopping worker, OPS-06):
    /// they are claimable again at once, and the attempt is not counted. Returns how many.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn release_messages(&self, worker: &str) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE outbox SET locked_until = NULL, locked_by = NULL,
                 attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
             WHERE locked_by = $1 AND status = 'queued' AND locked_until IS NOT NULL",
        )
        .bind(worker)
        .execute(self.pool())
        .await?
        .rows_affected())
    }

    /// The messages to an account's client, newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id))]
    pub async fn messages_of_account(
        &self,
        account_id: i64,
        limit: i64,
    ) -> Result<Vec<OutboxView>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {VIEW_COLUMNS} FROM outbox WHERE account_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(account_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn message(&self, id: i64) -> Result<OutboxView> {
        sqlx::query_as(&format!("SELECT {VIEW_COLUMNS} FROM outbox WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(crate::StoreError::NotFound)
    }
}
