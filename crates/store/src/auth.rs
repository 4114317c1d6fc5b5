//! Staff sessions and sign-in attempts (ORG-04). Session tokens are stored only as SHA-256
//! hashes (computed by the caller), so a copy of the database does not let anyone sign in.

use crate::org::Staff;
use crate::{cut, now_micros, Result, Store, MAX_LOGIN_CHARS};

/// A live session: who, and the CSRF token bound to it.
#[derive(Debug, Clone)]
pub struct Session {
    pub staff: Staff,
    pub csrf_token: String,
    pub expires_at: i64,
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all, fields(staff_id = staff_id))]
    pub async fn create_session(
        &self,
        token_hash: &str,
        staff_id: i64,
        csrf_token: &str,
        ip: &str,
        ttl_micros: i64,
    ) -> Result<()> {
        let now = now_micros();
        sqlx::query(
            "INSERT INTO sessions (token_hash, staff_id, csrf_token, ip, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(staff_id)
        .bind(csrf_token)
        .bind(ip)
        .bind(now)
        .bind(now + ttl_micros)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The session for a token hash, if it is live and its staff member is active.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        let row: Option<(i64, String, i64)> = sqlx::query_as(
            "SELECT s.staff_id, s.csrf_token, s.expires_at FROM sessions s JOIN staff st ON st.id = s.staff_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND st.active = $3",
        )
        .bind(token_hash)
        .bind(now_micros())
        .bind(1i64)
        .fetch_optional(self.pool())
        .await?;
        match row {
            None => Ok(None),
            Some((staff_id, csrf_token, expires_at)) => Ok(Some(Session {
                staff: self.staff(staff_id).await?,
                csrf_token,
                expires_at,
            })),
        }
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(staff_id = staff_id))]
    pub async fn delete_sessions_of(&self, staff_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE staff_id = $1")
            .bind(staff_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Removes expired sessions and sign-in attempts older than `keep_attempts_micros`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn purge_expired(&self, keep_attempts_micros: i64) -> Result<()> {
        let now = now_micros();
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        sqlx::query("DELETE FROM login_attempts WHERE at < $1")
            .bind(now - keep_attempts_micros)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_login_attempt(&self, login: &str, ip: &str, success: bool) -> Result<()> {
        let (login, ip) = (cut(login, MAX_LOGIN_CHARS), cut(ip, MAX_LOGIN_CHARS));
        sqlx::query("INSERT INTO login_attempts (login, ip, at, success) VALUES ($1, $2, $3, $4)")
            .bind(login)
            .bind(ip)
            .bind(now_micros())
            .bind(i64::from(success))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Attempts of any outcome recorded under `login` from `ip` since `since` (µs): rate limits
    /// of public forms.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn attempts_since(&self, login: &str, ip: &str, since: i64) -> Result<i64> {
        let (login, ip) = (cut(login, MAX_LOGIN_CHARS), cut(ip, MAX_LOGIN_CHARS));
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM login_attempts WHERE login = $1 AND ip = $2 AND at >= $3",
        )
        .bind(login)
        .bind(ip)
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }

    /// Failed attempts within the window for this login and for this address (throttling works
    /// across instances because it is counted in the shared database).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn recent_failures(
        &self,
        login: &str,
        ip: &str,
        window_micros: i64,
    ) -> Result<(i64, i64)> {
        let (login, ip) = (cut(login, MAX_LOGIN_CHARS), cut(ip, MAX_LOGIN_CHARS));
        let since = now_micros() - window_micros;
        let (by_login,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM login_attempts WHERE login = $1 AND at >= $2 AND success = $3",
        )
        .bind(login)
        .bind(since)
        .bind(0i64)
        .fetch_one(self.pool())
        .await?;
        let (by_ip,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM login_attempts WHERE ip = $1 AND at >= $2 AND success = $3",
        )
        .bind(ip)
        .bind(since)
        .bind(0i64)
        .fetch_one(self.pool())
        .await?;
        Ok((by_login, by_ip))
    }
}
