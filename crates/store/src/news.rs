//! News and mass informing (§10.2, NTF-02). Publishing is one transaction (the announcement, its
//! audit record and, when clients are to be notified, the `news.notify` job); the job queues one
//! message per account concerned and channel in one `INSERT … SELECT` per channel, once however
//! often it runs.

use abonent_domain::news::{NewsItem, NewsKind};
use abonent_domain::refusal::NewsRefusal;
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::{audit_in, Actor};
use crate::notices::{fan_out_in, FanOut};
use crate::{now_micros, refused, Backend, Result, Store, StoreError};

/// A published announcement.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct News {
    pub id: i64,
    /// `news`, `outage` or `rules`.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub kind: NewsKind,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub branch_id: Option<i64>,
    pub branch_name: Option<String>,
    pub settlement: Option<String>,
    /// Local `YYYY-MM-DDTHH:MM` of an outage.
    pub outage_from: Option<String>,
    pub outage_until: Option<String>,
    /// 1 when clients are notified by their channels.
    pub notify: i64,
    /// The announcement's address on the site.
    pub link: String,
    /// Messages queued by the notification (none until the job ran).
    pub queued: Option<i64>,
    pub author: Option<String>,
    pub published_at: i64,
    pub withdrawn_at: Option<i64>,
}

impl News {
    pub fn kind_label(&self) -> &'static str {
        self.kind.label_ru()
    }

    /// «всем клиентам», «г. Радужный», «Радужнинское отделение, г. Радужный».
    pub fn audience(&self) -> String {
        match (&self.branch_name, &self.settlement) {
            (None, None) => "всем клиентам".into(),
            (Some(b), None) => b.clone(),
            (None, Some(s)) => s.clone(),
            (Some(b), Some(s)) => format!("{b}, {s}"),
        }
    }

    /// The outage's interval for people, when it is an outage.
    pub fn interval(&self) -> Option<String> {
        let from = self.outage_from.as_deref()?.parse().ok()?;
        let until = self.outage_until.as_deref()?.parse().ok()?;
        Some(abonent_domain::news::outage_interval(from, until))
    }
}

const NEWS_SELECT: &str =
    "SELECT n.id, n.kind, n.title, n.body, n.branch_id, b.name AS branch_name,
        n.settlement, n.outage_from, n.outage_until,
        CASE WHEN n.notify <> 0 THEN 1 ELSE 0 END AS notify, n.link, n.queued,
        s.full_name AS author, n.published_at, n.withdrawn_at
     FROM news n LEFT JOIN branches b ON b.id = n.branch_id
         LEFT JOIN staff s ON s.id = n.created_by";

/// `FROM … WHERE …` of the open accounts (with their clients `c`) an announcement concerns.
fn audience_source(branch_id: Option<i64>, settlement: bool, first_arg: usize) -> String {
    let mut s = String::from(
        "FROM accounts a JOIN clients c ON c.id = a.client_id
             JOIN premises p ON p.id = a.premises_id
         WHERE a.status <> 'closed'",
    );
    if let Some(b) = branch_id {
        s.push_str(&format!(" AND a.branch_id = {b}"));
    }
    if settlement {
        s.push_str(&format!(" AND p.settlement = ${first_arg}"));
    }
    s
}

impl Store {
    /// Publishes an announcement (its page at `{site}/info/news/{id}`); with `notify`, the job that
    /// tells the clients concerned is queued in the same transaction. A district with no open
    /// account is refused.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn publish_news(&self, n: &NewsItem, site: &str, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        if let Some(b) = n.branch_id {
            let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM branches WHERE id = $1")
                .bind(b)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(refused(NewsRefusal::NoSuchBranch));
            }
        }
        if n.branch_id.is_some() || n.settlement.is_some() {
            let sql = format!(
                "SELECT a.id {} LIMIT 1",
                audience_source(n.branch_id, n.settlement.is_some(), 1)
            );
            let mut q = sqlx::query_as::<_, (i64,)>(&sql);
            if let Some(s) = &n.settlement {
                q = q.bind(s.as_str());
            }
            if q.fetch_optional(&mut *tx).await?.is_none() {
                return Err(refused(NewsRefusal::EmptyDistrict {
                    settlement: n.settlement.clone(),
                }));
            }
        }
        let now = now_micros();
        let fmt = |t: jiff::civil::DateTime| t.strftime("%Y-%m-%dT%H:%M").to_string();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO news (kind, title, body, branch_id, settlement, outage_from, outage_until,
                 notify, created_by, published_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(n.kind.code())
        .bind(&n.title)
        .bind(&n.body)
        .bind(n.branch_id)
        .bind(n.settlement.as_deref())
        .bind(n.outage.map(|(f, _)| fmt(f)))
        .bind(n.outage.map(|(_, u)| fmt(u)))
        .bind(i64::from(n.notify))
        .bind(actor.staff_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE news SET link = $1 WHERE id = $2")
            .bind(format!("{}/info/news/{id}", site.trim_end_matches('/')))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit_in(
            &mut tx,
            actor,
            "news.publish",
            "news",
            &id.to_string(),
            if n.notify { "notify" } else { "" },
        )
        .await?;
        if n.notify {
            crate::jobs::enqueue_payload_in(
                &mut tx,
                &crate::jobs::NewsNotify { news_id: id },
                Some(&format!("news.notify@{id}")),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Queues the notification of an announcement to every open account it concerns, by every
    /// channel its client is reached by; once per account and channel however often it runs.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn news_fan_out(&self, id: i64) -> Result<FanOut> {
        let n = self.news_item(id).await?.ok_or(StoreError::NotFound)?;
        if n.notify == 0 || n.withdrawn_at.is_some() {
            return Ok(FanOut::default());
        }
        let kind = n.kind;
        let key_id = match self.backend() {
            Backend::Postgres => "a.id::text",
            Backend::Sqlite => "a.id",
        };
        let mut tx = self.begin_write().await?;
        let settlement = n.settlement.as_deref();
        let out = fan_out_in(
            &mut tx,
            kind.notice_kind(),
            &audience_source(n.branch_id, settlement.is_some(), 2),
            &format!("'{{\"news\":{id}}}'"),
            &format!("'news:{id}:' || {key_id}"),
            settlement.as_slice(),
        )
        .await?;
        sqlx::query("UPDATE news SET queued = COALESCE(queued, 0) + $1 WHERE id = $2")
            .bind(out.total() as i64)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn news_item(&self, id: i64) -> Result<Option<News>> {
        Ok(sqlx::query_as(&format!("{NEWS_SELECT} WHERE n.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Announcements newest first; withdrawn ones only with `with_withdrawn` (for staff).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn news_list(
        &self,
        with_withdrawn: bool,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<News>> {
        let filter = if with_withdrawn {
            ""
        } else {
            "WHERE n.withdrawn_at IS NULL"
        };
        Ok(sqlx::query_as(&format!(
            "{NEWS_SELECT} {filter} ORDER BY n.published_at DESC, n.id DESC LIMIT $1 OFFSET $2"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await?)
    }

    /// Outages not yet over at `now_local` (`YYYY-MM-DDTHH:MM`, the company's time), not
    /// withdrawn, soonest first: the public home page shows them first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn current_outages(&self, now_local: &str, limit: i64) -> Result<Vec<News>> {
        Ok(sqlx::query_as(&format!(
            "{NEWS_SELECT} WHERE n.withdrawn_at IS NULL AND n.kind = 'outage'
               AND n.outage_until >= $1
             ORDER BY n.outage_from, n.id LIMIT $2"
        ))
        .bind(now_local)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// The announcements that concern a personal account's user: to everyone, or to the district
    /// of one of the user's accounts; newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id))]
    pub async fn news_for_portal_user(&self, user_id: i64, limit: i64) -> Result<Vec<News>> {
        Ok(sqlx::query_as(&format!(
            "{NEWS_SELECT}
             WHERE n.withdrawn_at IS NULL
               AND ((n.branch_id IS NULL AND n.settlement IS NULL)
                    OR EXISTS (SELECT 1 FROM portal_links l
                                   JOIN accounts a ON a.id = l.account_id
                                   JOIN premises p ON p.id = a.premises_id
                               WHERE l.user_id = $1
                                 AND (n.branch_id IS NULL OR a.branch_id = n.branch_id)
                                 AND (n.settlement IS NULL OR p.settlement = n.settlement)))
             ORDER BY n.published_at DESC, n.id DESC LIMIT $2"
        ))
        .bind(user_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Takes an announcement off the site and the personal accounts; messages already sent stay.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn withdraw_news(&self, id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE news SET withdrawn_at = $1, withdrawn_by = $2
             WHERE id = $3 AND withdrawn_at IS NULL",
        )
        .bind(now_micros())
        .bind(actor.staff_id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit_in(&mut tx, actor, "news.withdraw", "news", &id.to_string(), "").await?;
        tx.commit().await?;
        Ok(())
    }
}
