//! The client's personal account (PRT-02): sign-up with an account number and the code printed
//! on its invoice, confirmation of the e-mail address, sessions, and which accounts a user sees.

use abonent_domain::refusal::PortalRefusal;
use sha2::{Digest, Sha256};
use sqlx::FromRow;

use crate::audit::{audit_in, Actor};
use crate::{is_unique_violation, now_micros, refused, Result, Store};

/// A client who signed up: with an e-mail address or a mobile phone (10 national digits).
#[derive(Debug, Clone, FromRow)]
pub struct PortalUser {
    pub id: i64,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub confirmed_at: Option<i64>,
}

impl PortalUser {
    /// What the user signs in with, as shown: the address, or the phone as `+7 (912) 345-67-89`.
    pub fn login(&self) -> String {
        match (&self.email, &self.phone) {
            (Some(e), _) => e.clone(),
            (None, Some(p)) => abonent_domain::clients::format_phone(p),
            (None, None) => String::new(),
        }
    }
}

/// What a personal account is opened and signed in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortalLogin {
    /// An e-mail address, lower case; confirmed by a link.
    Email(String),
    /// A mobile phone, 10 national digits; confirmed by a code sent by SMS.
    Phone(String),
}

impl PortalLogin {
    /// An e-mail address (it has an `@`) or a Russian mobile number (`+7 912 …`, `8912…`).
    pub fn parse(typed: &str) -> Option<Self> {
        let t = typed.trim();
        if t.contains('@') {
            let e = t.to_lowercase();
            return abonent_domain::clients::valid_email(&e).then_some(Self::Email(e));
        }
        if t.chars()
            .any(|c| !(c.is_ascii_digit() || " +-()".contains(c)))
        {
            return None;
        }
        let key = abonent_domain::search::phone_key(t);
        (key.len() == 10 && key.starts_with('9')).then_some(Self::Phone(key))
    }

    /// As typed into forms and logs: the address, or `+7 (912) 345-67-89`.
    pub fn shown(&self) -> String {
        match self {
            Self::Email(e) => e.clone(),
            Self::Phone(p) => abonent_domain::clients::format_phone(p),
        }
    }

    fn column(&self) -> &'static str {
        match self {
            Self::Email(_) => "email",
            Self::Phone(_) => "phone",
        }
    }

    fn value(&self) -> &str {
        match self {
            Self::Email(v) | Self::Phone(v) => v,
        }
    }
}

/// The SHA-256 stored for a code sent by SMS to `phone` (the phone, unique, salts it).
pub fn phone_code_hash(phone: &str, code: &str) -> String {
    hex::encode(Sha256::digest(
        format!("phone-code:{phone}:{code}").as_bytes(),
    ))
}

/// A new code asked for a phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneCode {
    /// Stored: send it. The user and the first linked account.
    Stored { user: i64, account: Option<i64> },
    /// The last code was sent less than the pause ago.
    TooSoon,
    /// No personal account waits for this phone's confirmation.
    Unknown,
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
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn portal_code(&self, number: &str) -> Result<String> {
        let (secret,): (String,) =
            sqlx::query_as("SELECT value FROM app_secrets WHERE name = 'portal_code'")
                .fetch_one(self.pool())
                .await?;
        Ok(portal_code(&secret, number))
    }

    /// Creates a user (not yet confirmed) linked to an account, with the hash of the secret that
    /// confirms the login: the link's token for an address, the SMS code for a phone. Refused
    /// with a conflict (`login`) when the address or phone is taken, (`account`) when the
    /// account already has a personal account.
    #[tracing::instrument(level = "debug", skip_all, fields(account_id = account_id))]
    pub async fn portal_sign_up(
        &self,
        account_id: i64,
        login: &PortalLogin,
        password_hash: &str,
        secret_hash: &str,
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
            return Err(refused(PortalRefusal::AccountLinked));
        }
        let sql = match login {
            PortalLogin::Email(_) => {
                "INSERT INTO portal_users (email, password_hash, confirm_hash, confirm_expires_at,
                     created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id"
            }
            PortalLogin::Phone(_) => {
                "INSERT INTO portal_users (phone, password_hash, phone_code_hash,
                     phone_code_expires_at, created_at, phone_code_sent_at)
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id"
            }
        };
        let id: (i64,) = match sqlx::query_as(sql)
            .bind(login.value())
            .bind(password_hash)
            .bind(secret_hash)
            .bind(now + confirm_ttl_micros)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
        {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => return Err(refused(PortalRefusal::LoginTaken)),
            Err(e) => return Err(e.into()),
        };
        link_in(&mut tx, id.0, account_id, now).await?;
        audit_in(
            &mut tx,
            actor,
            "portal.sign_up",
            "account",
            &account_id.to_string(),
            &login.shown(),
        )
        .await?;
        tx.commit().await?;
        Ok(id.0)
    }

    /// Confirms the address whose token hashes to `confirm_hash`; returns the user, or `None`
    /// when the token is unknown or expired.
    #[tracing::instrument(level = "debug", skip_all)]
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

    /// Confirms a phone by the code sent to it (`code_hash`, see [`phone_code_hash`]); returns
    /// the user, or `None` when the code is wrong or expired. A code works once.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn portal_confirm_phone(&self, phone: &str, code_hash: &str) -> Result<Option<i64>> {
        let now = now_micros();
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE portal_users SET confirmed_at = COALESCE(confirmed_at, $1),
                 phone_code_hash = NULL, phone_code_expires_at = NULL
             WHERE phone = $2 AND phone_code_hash = $3 AND phone_code_expires_at > $1
             RETURNING id",
        )
        .bind(now)
        .bind(phone)
        .bind(code_hash)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.0))
    }

    /// Stores a new code for a phone not yet confirmed (the one before no longer works), unless
    /// the last one was sent less than `pause_micros` ago.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn portal_new_phone_code(
        &self,
        phone: &str,
        code_hash: &str,
        ttl_micros: i64,
        pause_micros: i64,
    ) -> Result<PhoneCode> {
        let now = now_micros();
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE portal_users SET phone_code_hash = $1, phone_code_expires_at = $2,
                 phone_code_sent_at = $3
             WHERE phone = $4 AND confirmed_at IS NULL
               AND (phone_code_sent_at IS NULL OR phone_code_sent_at <= $5)
             RETURNING id",
        )
        .bind(code_hash)
        .bind(now + ttl_micros)
        .bind(now)
        .bind(phone)
        .bind(now - pause_micros)
        .fetch_optional(self.pool())
        .await?;
        if let Some((user,)) = row {
            return Ok(PhoneCode::Stored {
                user,
                account: self.portal_accounts(user).await?.first().copied(),
            });
        }
        let waiting: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM portal_users WHERE phone = $1 AND confirmed_at IS NULL")
                .bind(phone)
                .fetch_optional(self.pool())
                .await?;
        Ok(if waiting.is_some() {
            PhoneCode::TooSoon
        } else {
            PhoneCode::Unknown
        })
    }

    /// The user and password hash for an address or a phone.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn portal_credentials(
        &self,
        login: &PortalLogin,
    ) -> Result<Option<(PortalUser, String)>> {
        #[derive(FromRow)]
        struct Credentials {
            #[sqlx(flatten)]
            user: PortalUser,
            password_hash: String,
        }
        let row: Option<Credentials> = sqlx::query_as(&format!(
            "SELECT id, email, phone, confirmed_at, password_hash FROM portal_users
             WHERE {} = $1",
            login.column()
        ))
        .bind(login.value())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| (r.user, r.password_hash)))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id))]
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
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn portal_session(&self, token_hash: &str) -> Result<Option<PortalSession>> {
        // One query for the session, its user and the linked accounts (a row per account).
        /// The user's id, e-mail, phone, confirmation, the session's form token, a linked
        /// account.
        type SessionRow = (
            i64,
            Option<String>,
            Option<String>,
            Option<i64>,
            String,
            Option<i64>,
        );
        let rows: Vec<SessionRow> = sqlx::query_as(
            "SELECT u.id, u.email, u.phone, u.confirmed_at, s.csrf_token, l.account_id
             FROM portal_sessions s JOIN portal_users u ON u.id = s.user_id
             LEFT JOIN portal_links l ON l.user_id = u.id
             WHERE s.token_hash = $1 AND s.expires_at > $2
             ORDER BY l.linked_at, l.account_id",
        )
        .bind(token_hash)
        .bind(now_micros())
        .fetch_all(self.pool())
        .await?;
        let accounts = rows.iter().filter_map(|r| r.5).collect();
        Ok(rows
            .into_iter()
            .next()
            .map(
                |(id, email, phone, confirmed_at, csrf_token, _)| PortalSession {
                    user: PortalUser {
                        id,
                        email,
                        phone,
                        confirmed_at,
                    },
                    csrf_token,
                    accounts,
                },
            ))
    }

    /// Starts a password reset for a confirmed address: stores the token's hash (replacing an
    /// earlier one) and returns the user and the first linked account; `None` for an unknown
    /// or unconfirmed address.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn portal_reset_request(
        &self,
        login: &PortalLogin,
        reset_hash: &str,
        ttl_micros: i64,
    ) -> Result<Option<(i64, Option<i64>)>> {
        let row: Option<(i64,)> = sqlx::query_as(&format!(
            "UPDATE portal_users SET reset_hash = $1, reset_expires_at = $2
             WHERE {} = $3 AND confirmed_at IS NOT NULL RETURNING id",
            login.column()
        ))
        .bind(reset_hash)
        .bind(now_micros() + ttl_micros)
        .bind(login.value())
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
    #[tracing::instrument(level = "debug", skip_all)]
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
    #[tracing::instrument(level = "debug", skip_all)]
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

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delete_portal_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM portal_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The accounts a user sees, in the order they were linked.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id))]
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

impl Store {
    /// Links another account to a personal-account user; a conflict when the account already
    /// has a personal account (one per account). Audited.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id, account_id = account_id))]
    pub async fn portal_link_account(
        &self,
        user_id: i64,
        account_id: i64,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        link_in(&mut tx, user_id, account_id, now_micros()).await?;
        audit_in(
            &mut tx,
            actor,
            "portal.link",
            "account",
            &account_id.to_string(),
            &format!("portal user {user_id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Links an account to a user; a conflict (`account`) when it has a personal account already.
async fn link_in(
    tx: &mut sqlx::AnyConnection,
    user_id: i64,
    account_id: i64,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO portal_links (user_id, account_id, linked_at) VALUES ($1, $2, $3)")
        .bind(user_id)
        .bind(account_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                refused(PortalRefusal::AccountLinked)
            } else {
                e.into()
            }
        })?;
    Ok(())
}
