//! Notice templates (NTF-03) and the reminders' fan-out into the outbox (NTF-02). A reminder row
//! carries its values (`params`, JSON) and is rendered from the template of its kind and channel
//! when it is sent, so one `INSERT … SELECT` queues a reminder for every account concerned.

use abonent_domain::notices::{default_template, CHANNELS, KINDS};
use abonent_domain::tariffs::Period;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::{audit_in, Actor};
use crate::{now_micros, Backend, Result, Store, StoreError};

#[derive(Debug, Clone, FromRow, Serialize, Deserialize, ToSchema)]
pub struct NoticeTemplate {
    pub kind: String,
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub updated_by: Option<i64>,
    pub updated_at: i64,
}

/// A notice in the personal account's inbox.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct InboxMessage {
    pub id: i64,
    pub account_id: Option<i64>,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub sent_at: Option<i64>,
}

/// Days before the month a new tariff starts from which its clients are told (NTF-02).
pub const TARIFF_NOTICE_DAYS: i32 = 10;

/// How many reminders were queued, per channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct FanOut {
    pub email: u64,
    pub sms: u64,
    pub portal: u64,
}

impl FanOut {
    pub fn total(&self) -> u64 {
        self.email + self.sms + self.portal
    }
}

/// `'text' || id` on either engine.
fn cat(backend: Backend, id_expr: &str) -> String {
    match backend {
        Backend::Postgres => format!("{id_expr}::text"),
        Backend::Sqlite => id_expr.to_owned(),
    }
}

/// How a client is reached, per channel: the recipient and when (over `accounts a` joined to
/// `clients c`): e-mail or SMS when that is the client's chosen channel, the personal account's
/// inbox whenever the account has one.
const CHANNEL_TARGETS: [(&str, &str, &str); 3] = [
    (
        "email",
        "c.email",
        "c.preferred_channel = 'email' AND c.email IS NOT NULL AND c.email <> ''",
    ),
    (
        "sms",
        "(SELECT ph.phone FROM client_phones ph WHERE ph.client_id = c.id
              ORDER BY ph.position LIMIT 1)",
        "c.preferred_channel = 'sms'
             AND EXISTS (SELECT 1 FROM client_phones ph WHERE ph.client_id = c.id)",
    ),
    (
        "portal",
        "''",
        "EXISTS (SELECT 1 FROM portal_links l WHERE l.account_id = a.id)",
    ),
];

/// Queues notice `kind` about one account by every channel its client can be reached by (as the
/// reminders do), on the caller's transaction; `key` makes it once per event. Returns how many.
pub(crate) async fn queue_notice_in(
    tx: &mut sqlx::AnyConnection,
    kind: &str,
    account_id: i64,
    params: &serde_json::Value,
    key: &str,
) -> Result<u64> {
    let now = now_micros();
    let mut n = 0;
    for (channel, recipient, condition) in CHANNEL_TARGETS {
        n += sqlx::query(&format!(
            "INSERT INTO outbox (channel, recipient, client_id, account_id, kind, subject, body,
                 params, dedupe_key, next_attempt_at, created_at)
             SELECT '{channel}', {recipient}, c.id, a.id, $1, '', '', $2, $3, $4, $4
             FROM accounts a JOIN clients c ON c.id = a.client_id
             WHERE a.id = $5 AND {condition}
             ON CONFLICT (dedupe_key) DO NOTHING"
        ))
        .bind(kind)
        .bind(params.to_string())
        .bind(format!("{key}:{channel}"))
        .bind(now)
        .bind(account_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    if n > 0 {
        crate::jobs::enqueue_in(tx, &crate::jobs::JobKind::OutboxSend, "", None, now).await?;
    }
    Ok(n)
}

/// Queues notice `kind` by every channel (as [`CHANNEL_TARGETS`]) for the accounts `a` joined to
/// their clients `c` that `source` (`FROM … WHERE …`) selects, on the caller's transaction, in
/// one `INSERT … SELECT` per channel. `params` is the SQL of each row's values, `key` the SQL of
/// its dedupe key before `:channel`; `args` bind as `$2`, `$3`, … (`$1` is the time).
pub(crate) async fn fan_out_in(
    tx: &mut sqlx::AnyConnection,
    kind: &str,
    source: &str,
    params: &str,
    key: &str,
    args: &[&str],
) -> Result<FanOut> {
    let now = now_micros();
    let mut out = FanOut::default();
    for (channel, recipient, condition) in CHANNEL_TARGETS {
        let sql = format!(
            "INSERT INTO outbox (channel, recipient, client_id, account_id, kind, subject, body,
                 params, dedupe_key, next_attempt_at, created_at)
             SELECT '{channel}', {recipient}, c.id, a.id, '{kind}', '', '', {params},
                 {key} || ':{channel}', $1, $1
             {source} AND {condition}
             ON CONFLICT (dedupe_key) DO NOTHING"
        );
        let mut q = sqlx::query(&sql).bind(now);
        for a in args {
            q = q.bind(*a);
        }
        let n = q.execute(&mut *tx).await?.rows_affected();
        match channel {
            "email" => out.email = n,
            "sms" => out.sms = n,
            _ => out.portal = n,
        }
    }
    if out.total() > 0 {
        crate::jobs::enqueue_in(tx, &crate::jobs::JobKind::OutboxSend, "", None, now).await?;
    }
    Ok(out)
}

impl Store {
    /// Writes the shipped template of every kind and channel that has none.
    pub(crate) async fn seed_notice_templates(&self) -> Result<bool> {
        let now = now_micros();
        let mut wrote = false;
        for k in KINDS {
            for (c, _) in CHANNELS {
                let (subject, body) = default_template(k.code, c);
                wrote |= sqlx::query(
                    "INSERT INTO notice_templates (kind, channel, subject, body, updated_at)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, channel) DO NOTHING",
                )
                .bind(k.code)
                .bind(*c)
                .bind(subject)
                .bind(body)
                .bind(now)
                .execute(self.pool())
                .await?
                .rows_affected()
                    > 0;
            }
        }
        Ok(wrote)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn notice_templates(&self) -> Result<Vec<NoticeTemplate>> {
        Ok(sqlx::query_as(
            "SELECT kind, channel, subject, body, updated_by, updated_at FROM notice_templates
             ORDER BY kind, channel",
        )
        .fetch_all(self.pool())
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn notice_template(&self, kind: &str, channel: &str) -> Result<NoticeTemplate> {
        sqlx::query_as(
            "SELECT kind, channel, subject, body, updated_by, updated_at FROM notice_templates
             WHERE kind = $1 AND channel = $2",
        )
        .bind(kind)
        .bind(channel)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Saves a template (checked by the caller), audited.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn save_notice_template(
        &self,
        kind: &str,
        channel: &str,
        subject: &str,
        body: &str,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE notice_templates SET subject = $1, body = $2, updated_by = $3, updated_at = $4
             WHERE kind = $5 AND channel = $6",
        )
        .bind(subject)
        .bind(body)
        .bind(actor.staff_id)
        .bind(now_micros())
        .bind(kind)
        .bind(channel)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit_in(
            &mut tx,
            actor,
            "notice_template.save",
            "notice_template",
            &format!("{kind}:{channel}"),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues reminder `kind` (`debt`, `due_soon`, `readings`, `tariff_change`) as of `today` for every account
    /// concerned, by the channels its client can be reached by: e-mail or SMS when that is the
    /// client's chosen channel, and the personal account's inbox when the account has one. Once
    /// per account, channel and period however often it runs.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn queue_reminders(&self, kind: &str, today: Date) -> Result<FanOut> {
        let backend = self.backend();
        let (targets, key_period): (String, String) = match kind {
            "debt" | "due_soon" => {
                let last: (Option<String>,) = sqlx::query_as(
                    "SELECT MAX(period) FROM billing_periods WHERE status = 'closed'",
                )
                .fetch_one(self.pool())
                .await?;
                let Some(last) = last.0.as_deref().and_then(Period::parse) else {
                    return Ok(FanOut::default());
                };
                let paid = match self.payment_periods_after(Some(last)).await? {
                    Some(periods) => format!(
                        "COALESCE((SELECT SUM(p.amount) FROM payments p
                             WHERE p.period IN ({periods}) AND p.account_id = i.account_id), 0)"
                    ),
                    None => "0".into(),
                };
                let window = match kind {
                    "debt" => format!("i.due_on < '{today}'"),
                    _ => format!(
                        "i.due_on >= '{today}' AND i.due_on <= '{}'",
                        today.saturating_add(jiff::Span::new().days(3))
                    ),
                };
                (
                    format!(
                        "SELECT i.account_id, i.period, i.due_on, i.closing - {paid} AS amount
                         FROM invoices i WHERE i.period = '{last}' AND {window}"
                    ),
                    last.to_string(),
                )
            }
            "readings" => {
                if !(20..=25).contains(&today.day()) {
                    return Ok(FanOut::default());
                }
                let p = Period::of(today);
                (
                    format!(
                        "SELECT DISTINCT m.account_id, '{p}' AS period, '' AS due_on, 0 AS amount
                         FROM meters m
                         WHERE m.state = 'working' AND m.removed_on IS NULL
                           AND NOT EXISTS (SELECT 1 FROM readings r
                                           WHERE r.period = '{p}' AND r.meter_id = m.id)"
                    ),
                    p.to_string(),
                )
            }
            "tariff_change" => {
                // From ten days before the month a new tariff of the account's category starts.
                let next = Period::of(today).next();
                let starts = jiff::civil::date(next.year, next.month, 1);
                if (starts - today).get_days() > TARIFF_NOTICE_DAYS {
                    return Ok(FanOut::default());
                }
                (
                    format!(
                        "SELECT a.id AS account_id, t.valid_from AS period, '' AS due_on, 0 AS amount
                         FROM tariffs t JOIN accounts a ON a.category = t.category
                         WHERE t.valid_from = '{next}'"
                    ),
                    next.to_string(),
                )
            }
            _ => return Err(StoreError::Corrupt(format!("unknown reminder {kind}"))),
        };
        let params = match backend {
            Backend::Sqlite => {
                "json_object('account', a.number, 'amount', t.amount, 'due_date', t.due_on,
                     'period', t.period)"
            }
            Backend::Postgres => {
                "json_build_object('account', a.number, 'amount', t.amount, 'due_date', t.due_on,
                     'period', t.period)::text"
            }
        };
        let id = cat(backend, "a.id");
        let amount_ok = if matches!(kind, "readings" | "tariff_change") {
            ""
        } else {
            "AND t.amount > 0"
        };
        let mut tx = self.begin_write().await?;
        let out = fan_out_in(
            &mut tx,
            kind,
            &format!(
                "FROM ({targets}) t JOIN accounts a ON a.id = t.account_id
                     JOIN clients c ON c.id = a.client_id
                 WHERE a.status <> 'closed' {amount_ok}"
            ),
            params,
            &format!("'{kind}:' || {id} || ':{key_period}'"),
            &[],
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// The portal inbox of a user: delivered messages to the user's accounts, newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id))]
    pub async fn portal_inbox(&self, user_id: i64, limit: i64) -> Result<Vec<InboxMessage>> {
        Ok(sqlx::query_as(
            "SELECT o.id, o.account_id, o.kind, o.subject, o.body, o.sent_at
             FROM outbox o JOIN portal_links l ON l.account_id = o.account_id
             WHERE l.user_id = $1 AND o.channel = 'portal' AND o.status = 'sent'
             ORDER BY o.id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// The text of a message as sent (for the inbox).
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn message_body(&self, id: i64) -> Result<String> {
        let (b,): (String,) = sqlx::query_as("SELECT body FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(b)
    }
}
