//! The mailbox intake's storage (APL-01): raw letters first, then their registration or
//! attachment to the appeal they answer, each step its own transaction with a status guard.

use serde::Serialize;
use sqlx::FromRow;

use abonent_domain::refusal::MailRefusal;

use crate::appeals::NewAttachment;
use crate::audit::Actor;
use crate::{is_unique_violation, now_micros, refused, Result, Store, StoreError};

/// A stored letter waiting to be processed.
#[derive(Debug, Clone, FromRow)]
pub struct InboxLetter {
    pub id: i64,
    pub raw: Vec<u8>,
}

/// A letter as listed for a clerk.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct InboxEntry {
    pub id: i64,
    pub message_id: Option<String>,
    pub received_at: i64,
    pub size: i64,
    pub status: String,
    pub appeal_id: Option<i64>,
    pub error: Option<String>,
}

impl Store {
    /// The highest UID stored for a mailbox in its current UIDVALIDITY (0 when none).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn inbox_last_uid(&self, mailbox: &str, uidvalidity: i64) -> Result<i64> {
        let (n,): (Option<i64>,) = sqlx::query_as(
            "SELECT MAX(uid) FROM mail_inbox WHERE mailbox = $1 AND uidvalidity = $2",
        )
        .bind(mailbox)
        .bind(uidvalidity)
        .fetch_one(self.pool())
        .await?;
        Ok(n.unwrap_or(0))
    }

    /// Stores a fetched letter unchanged; a letter already stored is ignored (returns false).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn inbox_store(
        &self,
        mailbox: &str,
        uidvalidity: i64,
        uid: i64,
        message_id: Option<&str>,
        raw: &[u8],
    ) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO mail_inbox (mailbox, uidvalidity, uid, message_id, received_at, size, raw, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'new')",
        )
        .bind(mailbox)
        .bind(uidvalidity)
        .bind(uid)
        .bind(message_id)
        .bind(now_micros())
        .bind(raw.len() as i64)
        .bind(raw.to_vec())
        .execute(self.pool())
        .await;
        match r {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Letters stored but not yet processed, oldest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn inbox_pending(&self, limit: i64) -> Result<Vec<InboxLetter>> {
        Ok(sqlx::query_as(
            "SELECT id, raw FROM mail_inbox WHERE status = 'new' ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Records what became of a letter (only while it is still new).
    #[tracing::instrument(level = "debug", skip_all, fields(id = id, appeal_id = ?appeal_id))]
    pub async fn inbox_mark(
        &self,
        id: i64,
        status: &str,
        appeal_id: Option<i64>,
        error: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE mail_inbox SET status = $1, appeal_id = $2, error = $3 WHERE id = $4 AND status = 'new'",
        )
        .bind(status)
        .bind(appeal_id)
        .bind(error)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Letters of a status, newest first (the clerk's queue of letters that could not be read).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn inbox_entries(&self, status: &str, limit: i64) -> Result<Vec<InboxEntry>> {
        Ok(sqlx::query_as(
            "SELECT id, message_id, received_at, size, status, appeal_id, error FROM mail_inbox
             WHERE status = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(status)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// The raw letter (RFC 5322), for a clerk to open.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn inbox_raw(&self, id: i64) -> Result<Vec<u8>> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT raw FROM mail_inbox WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| r.0).ok_or(StoreError::NotFound)
    }

    /// A clerk has dealt with a letter that could not be registered automatically.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn inbox_handled(&self, id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE mail_inbox SET status = 'handled', handled_by = $1 WHERE id = $2 AND status = 'failed'",
        )
        .bind(actor.staff_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(refused(MailRefusal::AlreadyHandled));
        }
        crate::audit::audit_in(&mut tx, actor, "mail.handled", "mail", &id.to_string(), "").await?;
        tx.commit().await?;
        Ok(())
    }

    /// The appeal an answer was sent for (reply threading).
    #[tracing::instrument(level = "debug", skip_all, fields(reply_id = reply_id))]
    pub async fn appeal_of_reply(&self, reply_id: i64) -> Result<Option<i64>> {
        let r: Option<(i64,)> =
            sqlx::query_as("SELECT appeal_id FROM appeal_replies WHERE id = $1")
                .bind(reply_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(r.map(|r| r.0))
    }

    /// Attaches a citizen's reply letter to the appeal it answers, with its files, a history
    /// event and a notice to the executor (or the branch heads), and marks the letter, in one
    /// transaction.
    #[tracing::instrument(level = "debug", skip_all, fields(inbox_id = inbox_id, appeal_id = appeal_id))]
    pub async fn attach_letter_to_appeal(
        &self,
        inbox_id: i64,
        appeal_id: i64,
        summary: &str,
        files: &[NewAttachment],
    ) -> Result<()> {
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE mail_inbox SET status = 'attached', appeal_id = $1 WHERE id = $2 AND status = 'new'",
        )
        .bind(appeal_id)
        .bind(inbox_id)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            // Already processed by another worker.
            tx.rollback().await?;
            return Ok(());
        }
        for f in files {
            sqlx::query(
                "INSERT INTO appeal_attachments (appeal_id, file_name, content_type, size, sha256, content, added_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(appeal_id)
            .bind(&f.file_name)
            .bind(&f.content_type)
            .bind(f.content.len() as i64)
            .bind(crate::appeals::sha256_hex(&f.content))
            .bind(f.content.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let (number, exec, branch): (String, Option<i64>, i64) =
            sqlx::query_as("SELECT number, executor_id, branch_id FROM appeals WHERE id = $1")
                .bind(appeal_id)
                .fetch_one(&mut *tx)
                .await?;
        crate::appeals::event_in(
            &mut tx,
            appeal_id,
            &Actor {
                staff_id: None,
                login: "почта".into(),
                ip: String::new(),
            },
            "letter_received",
            summary,
        )
        .await?;
        let targets = match exec {
            Some(e) => vec![e],
            None => crate::appeals::branch_heads_in(&mut tx, branch).await?,
        };
        for t in targets {
            crate::appeals::notice_in(
                &mut tx,
                t,
                abonent_domain::appeals::StaffNoticeKind::Letter,
                appeal_id,
                &format!("Заявитель прислал письмо по обращению № {number}."),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
