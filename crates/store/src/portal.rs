//! The client's personal account (PRT-02): sign-up with an account number and the code printed
//! on its invoice, confirmation of the e-mail address, sessions, and which accounts a user sees.

use sha2::{Digest, Sha256};
use sqlx::FromRow;

use crate::audit::{audit_in, Actor};
use crate::{is_unique_violation, now_micros, Result, Store, StoreError};

/// A client who signed up.
#[derive(Debug, Clone, FromRow)]
pub struct PortalUser {
    pub id: i64,
    pub email: String,
    pub confirmed_at: Option<i64>,
}

/// A live portal session.
#[derive(Debug, Clone)]
pub struct PortalSession {
    pub user: PortalUser,
    pub csrf_token: String,
    /// The accounts linked to the user, in the order they were linked.
    pub accounts: Vec<i64>,
}

/// The sign-up code of an account: eight digits from the account number and the installation's
/// secret (SHA-256), printed on the invoice as `1234-5678`.
pub fn portal_code(secret: &str, number: &str) -> String {
    let d = Sha256::digest(format!("portal-code:{secret}:{number}").as_bytes());
    let mut n = [0u8; 8];
    n.copy_from_slice(&d[..8]);
    let v = u64::from_be_bytes(n) % 100_000_000;
    format!("{:04}-{:04}", v / 10_000, v % 10_000)
}

/// Compares a typed code with the account's, ignoring spaces and dashes.
pub fn code_matches(expected: &str, typed: &str) -> bool {
    let clean = |s: &str| -> String { s.chars().filter(char::is_ascii_digit).collect() };
    let (a, b) = (clean(expected), clean(typed));
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Store {
    /// The sign-up code printed on the invoices of account `number`.
    pub async fn portal_code(&self, number: &str) -> Result<String> {
        let (secret,): (String,) =
            sqlx::query_as("SELECT value FROM app_secrets WHERE name = 'portal_code'")
                .fetch_one(self.pool())
                .await?;
        Ok(portal_code(&secret, number))
    }

    /// Creates a user (not yet confirmed) linked to an account. Refused with a conflict when the
    /// address is taken or the account already has a personal account.
    pub async fn portal_sign_up(
        &self,
        account_id: i64,
        email: &str,
        password_hash: &str,
        confirm_hash: &str,
        confirm_ttl_micros: i64,
        actor: &Actor,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let now = now_micros();
        let linked: Option<(i64,)> =
            sqlx::query_as("SELECT user_id FROM portal_links WHERE account_id = $1")
                .bind(account_id)
                .fetch_optional(&mut *tx)
                .await?;
        if linked.is_some() {
            return Err(StoreError::Conflict("account".into()));
        }
        let id: (i64,) = match sqlx::query_as(
            "INSERT INTO portal_users (email, password_hash, confirm_hash, confirm_expires_at,
                 created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(email)
        .bind(password_hash)
        .bind(confirm_hash)
        .bind(now + confirm_ttl_micros)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => return Err(StoreError::Conflict("email".into())),
            Err(e) => return Err(e.into()),
        };
        sqlx::query(
            "INSERT INTO portal_links (user_id, account_id, linked_at) VALUES ($1, $2, $3)",
        )
        .bind(id.0)
        .bind(account_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict("account".into())
            } else {
                e.into()
            }
        })?;
        audit_in(
            &mut tx,
            actor,
            "portal.sign_up",
            "account",
            &account_id.to_string(),
            email,
        )
        .await?;
        tx.commit().await?;
        Ok(id.0)
    }

    /// Confirms the address whose token hashes to `confirm_hash`; returns the user, or `None`
    /// when the token is unknown or expired.
    pub async fn portal_confirm(&self, confirm_hash: &str) -> Result<Option<i64>> {
        let now = now_micros();
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE portal_users SET confirmed_at = $1, confirm_hash = NULL
             WHERE confirm_hash = $2 AND confirm_expires_at > $1 RETURNING id",
        )
        .bind(now)
        .bind(confirm_hash)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.0))
    }

    /// The user and password hash for an address.
    pub async fn portal_credentials(&self, email: &str) -> Result<Option<(PortalUser, String)>> {
        let row: Option<(i64, String, Option<i64>, String)> = sqlx::query_as(
            "SELECT id, email, confirmed_at, password_hash FROM portal_users WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(id, email, confirmed_at, hash)| {
            (
                PortalUser {
                    id,
                    email,
                    confirmed_at,
                },
                hash,
            )
        }))
    }

    pub async fn create_portal_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        ip: &str,
        ttl_micros: i64,
    ) -> Result<()> {
        let now = now_micros();
        sqlx::query(
            "INSERT INTO portal_sessions (token_hash, user_id, csrf_token, ip, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(ip)
        .bind(now)
        .bind(now + ttl_micros)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The live session of a token hash.
    pub async fn portal_session(&self, token_hash: &str) -> Result<Option<PortalSession>> {
        // One query for the session, its user and the linked accounts (a row per account).
        /// The user's id, e-mail, confirmation, the session's form token, a linked account.
        type SessionRow = (i64, String, Option<i64>, String, Option<i64>);
        let rows: Vec<SessionRow> = sqlx::query_as(
            "SELECT u.id, u.email, u.confirmed_at, s.csrf_token, l.account_id
             FROM portal_sessions s JOIN portal_users u ON u.id = s.user_id
             LEFT JOIN portal_links l ON l.user_id = u.id
             WHERE s.token_hash = $1 AND s.expires_at > $2
             ORDER BY l.linked_at, l.account_id",
        )
        .bind(token_hash)
        .bind(now_micros())
        .fetch_all(self.pool())
        .await?;
        let accounts = rows.iter().filter_map(|r| r.4).collect();
        Ok(rows
            .into_iter()
            .next()
            .map(|(id, email, confirmed_at, csrf_token, _)| PortalSession {
                user: PortalUser {
                    id,
                    email,
                    confirmed_at,
                },
                csrf_token,
                accounts,
            }))
    }

    /// Starts a password reset for a confirmed address: stores the token's hash (replacing an
    /// earlier one) and returns the user and the first linked account; `None` for an unknown
    /// or unconfirmed address.
    pub async fn portal_reset_request(
        &self,
        email: &str,
        reset_hash: &str,
        ttl_micros: i64,
    ) -> Result<Option<(i64, Option<i64>)>> {
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE portal_users SET reset_hash = $1, reset_expires_at = $2
             WHERE email = $3 AND confirmed_at IS NOT NULL RETURNING id",
        )
        .bind(reset_hash)
        .bind(now_micros() + ttl_micros)
        .bind(email.trim().to_lowercase())
        .fetch_optional(self.pool())
        .await?;
        let Some((user,)) = row else {
            return Ok(None);
        };
        Ok(Some((
            user,
            self.portal_accounts(user).await?.first().copied(),
        )))
    }

    /// Whether a reset token (its hash) is live.
    pub async fn portal_reset_live(&self, reset_hash: &str) -> Result<bool> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM portal_users WHERE reset_hash = $1 AND reset_expires_at > $2",
        )
        .bind(reset_hash)
        .bind(now_micros())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }

    /// Sets a new password by a live reset token, once; every session of the user ends.
    /// Returns the user, or `None` when the token is unknown, used or expired.
    pub async fn portal_reset_password(
        &self,
        reset_hash: &str,
        password_hash: &str,
        actor: &Actor,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE portal_users SET password_hash = $1, reset_hash = NULL, reset_expires_at = NULL
             WHERE reset_hash = $2 AND reset_expires_at > $3 RETURNING id",
        )
        .bind(password_hash)
        .bind(reset_hash)
        .bind(now_micros())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((user,)) = row else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM portal_sessions WHERE user_id = $1")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        audit_in(
            &mut tx,
            actor,
            "portal.password_reset",
            "portal_user",
            &user.to_string(),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(Some(user))
    }

    pub async fn delete_portal_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM portal_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The accounts a user sees, in the order they were linked.
    pub async fn portal_accounts(&self, user_id: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT account_id FROM portal_links WHERE user_id = $1 ORDER BY linked_at, account_id",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
