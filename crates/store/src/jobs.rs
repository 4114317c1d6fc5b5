//! The job queue: rows enqueued in the same transaction as the change that causes them, claimed
//! with a lease so several instances may run workers (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on
//! SQLite the single writer serialises claims). A job whose worker died is claimed again when its
//! lease ends; a failed job is retried with a growing pause.

use serde::Serialize;
use sqlx::FromRow;

use crate::{now_micros, Backend, Result, Store};

/// A claimed job.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
}

/// After this many failed attempts a job stops and waits for a person (it is never deleted).
pub const MAX_ATTEMPTS: i64 = 25;

/// Enqueues a job on the caller's transaction. With `dedupe_key`, a second job with the same key
/// is not created (periodic slots, one delivery per answer).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn enqueue_in(
    tx: &mut sqlx::AnyConnection,
    kind: &str,
    payload: &str,
    dedupe_key: Option<&str>,
    run_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (kind, payload, dedupe_key, run_at, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(kind)
    .bind(payload)
    .bind(dedupe_key)
    .bind(run_at)
    .bind(now_micros())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A job's state, for the administrator and for tests.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct JobState {
    pub id: i64,
    pub kind: String,
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
        kind: &str,
        payload: &str,
        dedupe_key: Option<&str>,
        run_at: i64,
    ) -> Result<()> {
        let mut conn = self.pool().acquire().await?;
        enqueue_in(&mut conn, kind, payload, dedupe_key, run_at).await
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
    pub async fn jobs_of_kind(&self, kind: &str, limit: i64) -> Result<Vec<JobState>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, payload, attempts, last_error, done_at FROM jobs WHERE kind = $1
             ORDER BY id DESC LIMIT $2",
        )
        .bind(kind)
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
