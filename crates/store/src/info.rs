//! Pages of the public section «Клиентам» edited by staff (PRT-01): every save is a new version
//! (nothing is overwritten), publishing points the page at a version.

use abonent_domain::info::{Source, SUBSECTIONS};
use serde::Serialize;
use sqlx::FromRow;

use crate::audit::{audit_in, Actor};
use crate::{now_micros, Result, Store, StoreError};

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct InfoPage {
    pub slug: String,
    pub title: String,
    pub published_version: Option<i64>,
    /// The newest version (a draft when it is newer than the published one).
    pub latest_version: Option<i64>,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct InfoVersion {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub author: Option<String>,
    pub created_at: i64,
    pub published_at: Option<i64>,
}

impl Store {
    /// Writes the shipped first text of every edited subsection that has no page yet.
    pub(crate) async fn seed_info_pages(&self) -> Result<bool> {
        let mut wrote = false;
        for s in SUBSECTIONS {
            let Source::Edited(text) = s.source else {
                continue;
            };
            let mut tx = self.begin_write().await?;
            let n = sqlx::query(
                "INSERT INTO info_pages (slug, title) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING",
            )
            .bind(s.slug)
            .bind(s.title)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                let now = now_micros();
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO info_page_versions (slug, title, body, created_at, published_at)
                     VALUES ($1, $2, $3, $4, $4) RETURNING id",
                )
                .bind(s.slug)
                .bind(s.title)
                .bind(text)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query("UPDATE info_pages SET published_version = $1 WHERE slug = $2")
                    .bind(id)
                    .bind(s.slug)
                    .execute(&mut *tx)
                    .await?;
                wrote = true;
            }
            tx.commit().await?;
        }
        Ok(wrote)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn info_pages(&self) -> Result<Vec<InfoPage>> {
        Ok(sqlx::query_as(
            "SELECT p.slug, p.title, p.published_version,
                 (SELECT MAX(v.id) FROM info_page_versions v WHERE v.slug = p.slug) AS latest_version
             FROM info_pages p ORDER BY p.slug",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// The published text of a page.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn info_published(&self, slug: &str) -> Result<Option<InfoVersion>> {
        Ok(sqlx::query_as(
            "SELECT v.id, v.title, v.body, NULL AS author, v.created_at, v.published_at
             FROM info_pages p JOIN info_page_versions v ON v.id = p.published_version
             WHERE p.slug = $1",
        )
        .bind(slug)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The published version of a page without its text (`body` empty): for a reader that has
    /// the version rendered already.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn info_published_head(&self, slug: &str) -> Result<Option<InfoVersion>> {
        Ok(sqlx::query_as(
            "SELECT v.id, v.title, '' AS body, NULL AS author, v.created_at, v.published_at
             FROM info_pages p JOIN info_page_versions v ON v.id = p.published_version
             WHERE p.slug = $1",
        )
        .bind(slug)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The editions a page has had on the site (every version ever published), newest first:
    /// id and when it was published.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn info_editions(&self, slug: &str) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT id, published_at FROM info_page_versions
             WHERE slug = $1 AND published_at IS NOT NULL ORDER BY published_at DESC, id DESC",
        )
        .bind(slug)
        .fetch_all(self.pool())
        .await?)
    }

    /// An earlier edition of a page: a version that was published once (drafts never are).
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn info_edition(&self, slug: &str, id: i64) -> Result<Option<InfoVersion>> {
        Ok(sqlx::query_as(
            "SELECT id, title, body, NULL AS author, created_at, published_at
             FROM info_page_versions WHERE slug = $1 AND id = $2 AND published_at IS NOT NULL",
        )
        .bind(slug)
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Every version of a page, newest first, with who wrote it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn info_versions(&self, slug: &str) -> Result<Vec<InfoVersion>> {
        Ok(sqlx::query_as(
            "SELECT v.id, v.title, v.body, s.full_name AS author, v.created_at, v.published_at
             FROM info_page_versions v LEFT JOIN staff s ON s.id = v.created_by
             WHERE v.slug = $1 ORDER BY v.id DESC",
        )
        .bind(slug)
        .fetch_all(self.pool())
        .await?)
    }

    /// Adds a page of staff's own to the section (no text yet: the editor writes it); `false`
    /// when a page with that address exists. Audited.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_info_page(&self, slug: &str, title: &str, actor: &Actor) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO info_pages (slug, title, published_version) VALUES ($1, $2, NULL)
             ON CONFLICT (slug) DO NOTHING",
        )
        .bind(slug)
        .bind(title)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            audit_in(&mut tx, actor, "info.create", "info_page", slug, "").await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Saves a new version of a page and, with `publish`, makes it the public one.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn save_info_page(
        &self,
        slug: &str,
        title: &str,
        body: &str,
        publish: bool,
        actor: &Actor,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let exists: Option<(String,)> =
            sqlx::query_as("SELECT slug FROM info_pages WHERE slug = $1")
                .bind(slug)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let now = now_micros();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO info_page_versions (slug, title, body, created_by, created_at, published_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(slug)
        .bind(title)
        .bind(body)
        .bind(actor.staff_id)
        .bind(now)
        .bind(publish.then_some(now))
        .fetch_one(&mut *tx)
        .await?;
        if publish {
            sqlx::query("UPDATE info_pages SET published_version = $1, title = $2 WHERE slug = $3")
                .bind(id)
                .bind(title)
                .bind(slug)
                .execute(&mut *tx)
                .await?;
        }
        audit_in(
            &mut tx,
            actor,
            if publish {
                "info.publish"
            } else {
                "info.draft"
            },
            "info_page",
            slug,
            &id.to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}

/// A payment point (§5.2.2), besides the centres' cash desks.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct PaymentPoint {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub address: String,
    pub hours: String,
    pub fee: String,
    pub withdrawn_at: Option<i64>,
}

impl Store {
    /// Payment points by kind and name; withdrawn ones only with `all`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn payment_points(&self, all: bool) -> Result<Vec<PaymentPoint>> {
        Ok(sqlx::query_as(&format!(
            "SELECT id, kind, name, address, hours, fee, withdrawn_at FROM payment_points {}
             ORDER BY kind, name, id",
            if all {
                ""
            } else {
                "WHERE withdrawn_at IS NULL"
            }
        ))
        .fetch_all(self.pool())
        .await?)
    }

    /// Adds a payment point (`id` none) or changes one; audited.
    #[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
    pub async fn save_payment_point(
        &self,
        id: Option<i64>,
        p: &abonent_domain::info::PaymentPointData,
        actor: &Actor,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let now = now_micros();
        let id = match id {
            None => {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO payment_points (kind, name, address, hours, fee, created_at,
                         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                )
                .bind(&p.kind)
                .bind(&p.name)
                .bind(&p.address)
                .bind(&p.hours)
                .bind(&p.fee)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                id
            }
            Some(id) => {
                let n = sqlx::query(
                    "UPDATE payment_points SET kind = $1, name = $2, address = $3, hours = $4,
                         fee = $5, updated_at = $6 WHERE id = $7",
                )
                .bind(&p.kind)
                .bind(&p.name)
                .bind(&p.address)
                .bind(&p.hours)
                .bind(&p.fee)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                id
            }
        };
        audit_in(
            &mut tx,
            actor,
            "payment_point.save",
            "payment_point",
            &id.to_string(),
            &format!("{}: {}, {}", p.kind, p.name, p.address),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Takes a payment point off the site (kept for the record); audited.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn withdraw_payment_point(&self, id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE payment_points SET withdrawn_at = $1 WHERE id = $2 AND withdrawn_at IS NULL",
        )
        .bind(now_micros())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit_in(
            &mut tx,
            actor,
            "payment_point.withdraw",
            "payment_point",
            &id.to_string(),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
