//! Clients: personal data, phones, consents, and the search of ACC-04.
//!
//! Every write goes with its audit entry in one transaction. Searches are index range scans on
//! normalised keys (`domain::search`), the same SQL on both engines.

use abonent_domain::clients::{full_name, Channel, ClientData, ConsentKind, VulnerableCategory};
use abonent_domain::refusal::ClientsRefusal;
use abonent_domain::search::{prefix_upper_bound, AddressQuery, SearchQuery};
use serde::Serialize;
use sqlx::FromRow;

use crate::audit::{audit_in, Actor};
use crate::{now_micros, refused, Result, Store, StoreError};

/// A consent as recorded, with its history.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct ConsentRecord {
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub kind: ConsentKind,
    pub given_at: i64,
    pub withdrawn_at: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
struct ClientRow {
    id: i64,
    surname: String,
    first_name: String,
    patronymic: Option<String>,
    email: Option<String>,
    postal_address: Option<String>,
    #[sqlx(try_from = "String")]
    preferred_channel: Channel,
    vulnerable: String,
    vulnerable_note: Option<String>,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

/// A client as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientRecord {
    pub id: i64,
    pub surname: String,
    pub first_name: String,
    pub patronymic: Option<String>,
    pub full_name: String,
    /// 10 national digits each.
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    #[schema(value_type = String)]
    pub preferred_channel: Channel,
    #[schema(value_type = Vec<String>)]
    pub vulnerable: Vec<VulnerableCategory>,
    pub vulnerable_note: Option<String>,
    /// Consent history, newest first.
    pub consents: Vec<ConsentRecord>,
    /// Incremented by every change: an edit based on an older version is refused.
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ClientRecord {
    /// Consents in force now.
    pub fn active_consents(&self) -> Vec<ConsentKind> {
        self.consents
            .iter()
            .filter(|c| c.withdrawn_at.is_none())
            .map(|c| c.kind)
            .collect()
    }
}

/// One line of a search result: a client with one of their accounts.
#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SearchHit {
    pub client_id: i64,
    pub full_name: String,
    pub account_number: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    /// Vulnerable-category codes, comma-separated (empty when none): staff see at once that
    /// the client needs individual handling (§5.1).
    pub vulnerable: String,
}

/// The stored comma-separated vulnerable-category codes; an unknown one is a decode error.
fn decode_vulnerable(codes: &str) -> Result<Vec<VulnerableCategory>> {
    codes
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            VulnerableCategory::try_from(s.to_owned()).map_err(|e| {
                StoreError::Db(sqlx::Error::ColumnDecode {
                    index: "vulnerable".into(),
                    source: Box::new(e),
                })
            })
        })
        .collect()
}

fn join_codes<T: Copy>(items: &[T], code: impl Fn(T) -> &'static str) -> String {
    items.iter().map(|i| code(*i)).collect::<Vec<_>>().join(",")
}

const HIT_SELECT: &str = "SELECT c.id AS client_id,
        c.surname || ' ' || c.first_name || COALESCE(' ' || c.patronymic, '') AS full_name,
        a.number AS account_number,
        (SELECT p.settlement || ', ' || p.street || ', д. ' || p.house || COALESCE(', кв. ' || p.apartment, '')
           FROM premises p WHERE p.id = a.premises_id) AS address,
        (SELECT ph.phone FROM client_phones ph WHERE ph.client_id = c.id ORDER BY ph.position LIMIT 1) AS phone,
        c.vulnerable";

impl Store {
    async fn write_client_children(
        tx: &mut sqlx::AnyConnection,
        id: i64,
        c: &ClientData,
        actor: &Actor,
        now: i64,
        existing_consents: &[ConsentRecord],
    ) -> Result<()> {
        sqlx::query("DELETE FROM client_phones WHERE client_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (i, p) in c.phones.iter().enumerate() {
            sqlx::query(
                "INSERT INTO client_phones (client_id, position, phone) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(i as i64)
            .bind(p)
            .execute(&mut *tx)
            .await?;
        }
        let active: Vec<ConsentKind> = existing_consents
            .iter()
            .filter(|c| c.withdrawn_at.is_none())
            .map(|c| c.kind)
            .collect();
        for k in &c.consents {
            if !active.contains(k) {
                sqlx::query(
                    "INSERT INTO client_consents (client_id, kind, given_at, recorded_by) VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(k.code())
                .bind(now)
                .bind(actor.staff_id)
                .execute(&mut *tx)
                .await?;
            }
        }
        for k in active {
            if !c.consents.contains(&k) {
                sqlx::query(
                    "UPDATE client_consents SET withdrawn_at = $1 WHERE client_id = $2 AND kind = $3 AND withdrawn_at IS NULL",
                )
                .bind(now)
                .bind(id)
                .bind(k.code())
                .execute(&mut *tx)
                .await?;
            }
        }
        Ok(())
    }

    /// Creates a client; the audit entry is written in the same transaction.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_client(&self, c: &ClientData, actor: &Actor) -> Result<i64> {
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO clients (surname, first_name, patronymic, name_key, email, postal_address,
                 preferred_channel, vulnerable, vulnerable_note, version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10) RETURNING id",
        )
        .bind(&c.surname)
        .bind(&c.first_name)
        .bind(&c.patronymic)
        .bind(c.name_key())
        .bind(&c.email)
        .bind(&c.postal_address)
        .bind(c.preferred_channel.code())
        .bind(join_codes(&c.vulnerable, |v| v.code()))
        .bind(&c.vulnerable_note)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        Self::write_client_children(&mut tx, id, c, actor, now, &[]).await?;
        audit_in(
            &mut tx,
            actor,
            "client.create",
            "client",
            &id.to_string(),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Updates a client if nobody changed it since `expected_version` was read; returns the new
    /// version. Names of changed fields go to the audit log (never their values).
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn update_client(
        &self,
        id: i64,
        expected_version: i64,
        c: &ClientData,
        actor: &Actor,
    ) -> Result<i64> {
        let before = self.client(id).await?;
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE clients SET surname = $1, first_name = $2, patronymic = $3, name_key = $4, email = $5,
                 postal_address = $6, preferred_channel = $7, vulnerable = $8, vulnerable_note = $9,
                 version = version + 1, updated_at = $10
             WHERE id = $11 AND version = $12",
        )
        .bind(&c.surname)
        .bind(&c.first_name)
        .bind(&c.patronymic)
        .bind(c.name_key())
        .bind(&c.email)
        .bind(&c.postal_address)
        .bind(c.preferred_channel.code())
        .bind(join_codes(&c.vulnerable, |v| v.code()))
        .bind(&c.vulnerable_note)
        .bind(now)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(refused(ClientsRefusal::CardChanged));
        }
        Self::write_client_children(&mut tx, id, c, actor, now, &before.consents).await?;
        let changed = changed_fields(&before, c);
        audit_in(
            &mut tx,
            actor,
            "client.update",
            "client",
            &id.to_string(),
            &format!("fields: {}", changed.join(", ")),
        )
        .await?;
        tx.commit().await?;
        Ok(expected_version + 1)
    }

    /// The client's own choice of channel for answers and notices (from the personal account):
    /// `email` is the address to use (the personal account's confirmed one) when it changes;
    /// `phone`, one confirmed by SMS there, is recorded on the card when the card has none.
    /// Choosing e-mail or SMS records that notices by it are consented to. Audited with the
    /// names of what changed.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn set_client_channel(
        &self,
        id: i64,
        channel: Channel,
        email: Option<&str>,
        phone: Option<&str>,
        actor: &Actor,
    ) -> Result<()> {
        let before = self.client(id).await?;
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE clients SET preferred_channel = $1, email = COALESCE($2, email),
                 version = version + 1, updated_at = $3
             WHERE id = $4",
        )
        .bind(channel.code())
        .bind(email)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        // A phone the client confirmed in the personal account, when the card has none.
        let phone = phone.filter(|_| before.phones.is_empty());
        if let Some(p) = phone {
            sqlx::query(
                "INSERT INTO client_phones (client_id, position, phone) VALUES ($1, 0, $2)",
            )
            .bind(id)
            .bind(p)
            .execute(&mut *tx)
            .await?;
        }
        let consent = match channel {
            Channel::Email => Some(ConsentKind::EmailNotices),
            Channel::Sms => Some(ConsentKind::SmsNotices),
            _ => None,
        };
        if let Some(k) = consent {
            let active = before
                .consents
                .iter()
                .any(|c| c.kind == k && c.withdrawn_at.is_none());
            if !active {
                sqlx::query(
                    "INSERT INTO client_consents (client_id, kind, given_at, recorded_by)
                     VALUES ($1, $2, $3, NULL)",
                )
                .bind(id)
                .bind(k.code())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        // Leaving e-mail or SMS withdraws the consent to notices by it.
        for (ch, k) in [
            (Channel::Email, ConsentKind::EmailNotices),
            (Channel::Sms, ConsentKind::SmsNotices),
        ] {
            if ch != channel && before.preferred_channel == ch {
                sqlx::query(
                    "UPDATE client_consents SET withdrawn_at = $1
                     WHERE client_id = $2 AND kind = $3 AND withdrawn_at IS NULL",
                )
                .bind(now)
                .bind(id)
                .bind(k.code())
                .execute(&mut *tx)
                .await?;
            }
        }
        let mut changed = vec![];
        if before.preferred_channel != channel {
            changed.push("preferred_channel");
        }
        if email.is_some_and(|e| before.email.as_deref() != Some(e)) {
            changed.push("email");
        }
        if phone.is_some() {
            changed.push("phones");
        }
        audit_in(
            &mut tx,
            actor,
            "client.channel",
            "client",
            &id.to_string(),
            &format!("fields: {}", changed.join(", ")),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn client(&self, id: i64) -> Result<ClientRecord> {
        let row: ClientRow = sqlx::query_as(
            "SELECT id, surname, first_name, patronymic, email, postal_address, preferred_channel,
                    vulnerable, vulnerable_note, version, created_at, updated_at
             FROM clients WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let phones: Vec<(String,)> = sqlx::query_as(
            "SELECT phone FROM client_phones WHERE client_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        let consents: Vec<ConsentRecord> = sqlx::query_as(
            "SELECT kind, given_at, withdrawn_at FROM client_consents WHERE client_id = $1 ORDER BY given_at DESC, id DESC",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(ClientRecord {
            id: row.id,
            full_name: full_name(&row.surname, &row.first_name, row.patronymic.as_deref()),
            surname: row.surname,
            first_name: row.first_name,
            patronymic: row.patronymic,
            phones: phones.into_iter().map(|(p,)| p).collect(),
            email: row.email,
            postal_address: row.postal_address,
            preferred_channel: row.preferred_channel,
            vulnerable: decode_vulnerable(&row.vulnerable)?,
            vulnerable_note: row.vulnerable_note,
            consents,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    /// Finds clients by account number, phone, surname (name) prefix or address prefix.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn search_clients(&self, q: &SearchQuery, limit: i64) -> Result<Vec<SearchHit>> {
        let limit = limit.clamp(1, 200);
        let hits = match q {
            SearchQuery::AccountNumber(n) => {
                sqlx::query_as(&format!(
                    "{HIT_SELECT} FROM accounts a JOIN clients c ON c.id = a.client_id WHERE a.number = $1"
                ))
                .bind(n)
                .fetch_all(self.pool())
                .await?
            }
            SearchQuery::Phone(p) => {
                sqlx::query_as(&format!(
                    "{HIT_SELECT} FROM (SELECT DISTINCT client_id, phone FROM client_phones
                                        WHERE phone >= $1 AND phone < $2 ORDER BY phone LIMIT $3) m
                     JOIN clients c ON c.id = m.client_id
                     LEFT JOIN accounts a ON a.client_id = c.id
                     ORDER BY m.phone, a.number LIMIT $3"
                ))
                .bind(p)
                .bind(prefix_upper_bound(p))
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            SearchQuery::Text(t) => {
                let mut hits: Vec<SearchHit> = sqlx::query_as(&format!(
                    "{HIT_SELECT} FROM (SELECT id, name_key FROM clients WHERE name_key >= $1 AND name_key < $2
                                        ORDER BY name_key LIMIT $3) m
                     JOIN clients c ON c.id = m.id
                     LEFT JOIN accounts a ON a.client_id = c.id
                     ORDER BY m.name_key, c.id, a.number LIMIT $3"
                ))
                .bind(t)
                .bind(prefix_upper_bound(t))
                .bind(limit)
                .fetch_all(self.pool())
                .await?;
                if (hits.len() as i64) < limit {
                    let more = self
                        .search_addresses(&AddressQuery::parse(t), limit - hits.len() as i64)
                        .await?;
                    for h in more {
                        if !hits.contains(&h) {
                            hits.push(h);
                        }
                    }
                }
                hits
            }
        };
        Ok(hits)
    }

    /// Accounts whose premises match an address query: the key as a prefix of
    /// `premises.address_key`, then without a leading settlement's name, or the flat alone.
    async fn search_addresses(&self, q: &AddressQuery, limit: i64) -> Result<Vec<SearchHit>> {
        if let Some(flat) = &q.flat_only {
            return Ok(sqlx::query_as(&format!(
                "{HIT_SELECT} FROM (SELECT id, address_key FROM premises WHERE apartment = $1
                                    ORDER BY address_key LIMIT $2) m
                 JOIN accounts a ON a.premises_id = m.id
                 JOIN clients c ON c.id = a.client_id
                 ORDER BY m.address_key, a.number LIMIT $2"
            ))
            .bind(flat)
            .bind(limit)
            .fetch_all(self.pool())
            .await?);
        }
        let keys = std::iter::once(&q.key).chain(q.without_settlement.as_ref());
        for key in keys.filter(|k| !k.is_empty()) {
            let hits: Vec<SearchHit> = sqlx::query_as(&format!(
                "{HIT_SELECT} FROM (SELECT id, address_key FROM premises
                                    WHERE address_key >= $1 AND address_key < $2
                                    ORDER BY address_key LIMIT $3) m
                 JOIN accounts a ON a.premises_id = m.id
                 JOIN clients c ON c.id = a.client_id
                 ORDER BY m.address_key, a.number LIMIT $3"
            ))
            .bind(key)
            .bind(prefix_upper_bound(key))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
            if !hits.is_empty() {
                return Ok(hits);
            }
        }
        Ok(Vec::new())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn client_count(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM clients")
            .fetch_one(self.pool())
            .await?;
        Ok(n)
    }
}

fn changed_fields(before: &ClientRecord, c: &ClientData) -> Vec<&'static str> {
    let mut f = Vec::new();
    if before.surname != c.surname
        || before.first_name != c.first_name
        || before.patronymic != c.patronymic
    {
        f.push("name");
    }
    if before.phones != c.phones {
        f.push("phones");
    }
    if before.email != c.email {
        f.push("email");
    }
    if before.postal_address != c.postal_address {
        f.push("postal_address");
    }
    if before.preferred_channel != c.preferred_channel {
        f.push("preferred_channel");
    }
    if before.vulnerable != c.vulnerable || before.vulnerable_note != c.vulnerable_note {
        f.push("vulnerable");
    }
    let mut now: Vec<&str> = c.consents.iter().map(|k| k.code()).collect();
    let mut was: Vec<&str> = before.active_consents().iter().map(|k| k.code()).collect();
    now.sort_unstable();
    was.sort_unstable();
    if now != was {
        f.push("consents");
    }
    if f.is_empty() {
        f.push("none");
    }
    f
}
