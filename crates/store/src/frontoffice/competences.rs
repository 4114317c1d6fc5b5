//! The directory of competences (CHN-07): who decides which questions, where and when.

use abonent_domain::frontoffice::competences::CompetenceData;
use serde::Serialize;
use sqlx::FromRow;

use crate::audit::{audit_in, Actor};
use crate::{now_micros, Result, Store, StoreError};

/// An entry of the directory, with the names of its staff member and centre.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Competence {
    pub id: i64,
    pub topic: String,
    pub questions: String,
    pub position: String,
    pub staff_id: Option<i64>,
    /// The named staff member's name while they are active.
    pub staff_name: Option<String>,
    pub centre_id: Option<i64>,
    pub centre_name: Option<String>,
    pub centre_address: Option<String>,
    pub phone: String,
    /// Reception hours; empty: the centre's hours.
    pub hours: String,
    pub sort_order: i64,
    pub published: bool,
    pub updated_at: i64,
}

#[derive(FromRow)]
struct Row {
    id: i64,
    topic: String,
    questions: String,
    position: String,
    staff_id: Option<i64>,
    staff_name: Option<String>,
    centre_id: Option<i64>,
    centre_name: Option<String>,
    centre_address: Option<String>,
    phone: String,
    hours: String,
    sort_order: i64,
    published: i64,
    updated_at: i64,
}

impl From<Row> for Competence {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            topic: r.topic,
            questions: r.questions,
            position: r.position,
            staff_id: r.staff_id,
            staff_name: r.staff_name,
            centre_id: r.centre_id,
            centre_name: r.centre_name,
            centre_address: r.centre_address,
            phone: r.phone,
            hours: r.hours,
            sort_order: r.sort_order,
            published: r.published != 0,
            updated_at: r.updated_at,
        }
    }
}

const SELECT: &str = "SELECT k.id, k.topic, k.questions, k.position, k.staff_id,
        s.full_name AS staff_name, k.centre_id, c.name AS centre_name,
        c.address AS centre_address, k.phone, k.hours, k.sort_order, k.published, k.updated_at
    FROM competences k
    LEFT JOIN staff s ON s.id = k.staff_id AND s.active = 1
    LEFT JOIN service_centres c ON c.id = k.centre_id";

impl Store {
    /// The directory in its order; only the published entries when `published_only`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn competences(&self, published_only: bool) -> Result<Vec<Competence>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "{SELECT} WHERE ($1 = 0 OR k.published = 1) ORDER BY k.sort_order, k.id"
        ))
        .bind(i64::from(published_only))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(Competence::from).collect())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn competence(&self, id: i64) -> Result<Competence> {
        let row: Row = sqlx::query_as(&format!("{SELECT} WHERE k.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(row.into())
    }

    /// Adds an entry (`id` none; at the end unless a place is given) or changes one.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn save_competence(
        &self,
        id: Option<i64>,
        d: &CompetenceData,
        actor: &Actor,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let now = now_micros();
        let id = match id {
            None => {
                let order = match d.sort_order {
                    Some(o) => o,
                    None => {
                        let (max,): (Option<i64>,) =
                            sqlx::query_as("SELECT MAX(sort_order) FROM competences")
                                .fetch_one(&mut *tx)
                                .await?;
                        max.unwrap_or(0) + 10
                    }
                };
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO competences (topic, questions, position, staff_id, centre_id,
                         phone, hours, sort_order, published, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(&d.topic)
                .bind(&d.questions)
                .bind(&d.position)
                .bind(d.staff_id)
                .bind(d.centre_id)
                .bind(&d.phone)
                .bind(&d.hours)
                .bind(order)
                .bind(i64::from(d.published))
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                id
            }
            Some(id) => {
                let n = sqlx::query(
                    "UPDATE competences SET topic = $1, questions = $2, position = $3,
                         staff_id = $4, centre_id = $5, phone = $6, hours = $7,
                         sort_order = COALESCE($8, sort_order), published = $9, updated_at = $10
                     WHERE id = $11",
                )
                .bind(&d.topic)
                .bind(&d.questions)
                .bind(&d.position)
                .bind(d.staff_id)
                .bind(d.centre_id)
                .bind(&d.phone)
                .bind(&d.hours)
                .bind(d.sort_order)
                .bind(i64::from(d.published))
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
            "competence.save",
            "competence",
            &id.to_string(),
            &d.topic,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn delete_competence(&self, id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM competences WHERE id = $1")
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
            "competence.delete",
            "competence",
            &id.to_string(),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves an entry one place up or down the list (swaps it with its neighbour); at the top
    /// (or the bottom) nothing changes.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id, up = up))]
    pub async fn move_competence(&self, id: i64, up: bool, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let all: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, sort_order FROM competences ORDER BY sort_order, id")
                .fetch_all(&mut *tx)
                .await?;
        let at = all
            .iter()
            .position(|(i, _)| *i == id)
            .ok_or(StoreError::NotFound)?;
        let other = if up { at.checked_sub(1) } else { Some(at + 1) };
        if let Some(&(other_id, _)) = other.and_then(|o| all.get(o)) {
            // The orders are renumbered 10, 20, … with the two swapped, so that equal orders
            // swap too.
            let mut ids: Vec<i64> = all.iter().map(|(i, _)| *i).collect();
            let o = ids
                .iter()
                .position(|i| *i == other_id)
                .ok_or(StoreError::NotFound)?;
            ids.swap(at, o);
            let now = now_micros();
            for (n, i) in ids.iter().enumerate() {
                let order = (n as i64 + 1) * 10;
                if all.iter().any(|(x, was)| x == i && *was != order) {
                    sqlx::query(
                        "UPDATE competences SET sort_order = $1, updated_at = $2 WHERE id = $3",
                    )
                    .bind(order)
                    .bind(now)
                    .bind(i)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            audit_in(
                &mut tx,
                actor,
                "competence.move",
                "competence",
                &id.to_string(),
                if up { "up" } else { "down" },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
