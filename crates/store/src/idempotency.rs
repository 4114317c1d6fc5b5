//! Idempotency keys (OPS-05): the first result of a request is stored with its key in the same
//! transaction as the change, so a retry (a double submit, a client that lost the response)
//! returns that result and changes nothing.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{now_micros, Result, Store, StoreError};

/// A key in its scope: the API's `Idempotency-Key` per staff member, or a form's one-time token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdemKey {
    pub scope: String,
    pub key: String,
    /// The SHA-256 of the request body the key comes with, when there is one: the same key with
    /// another body is refused ([`StoreError::KeyReused`]).
    pub request_hash: Option<String>,
}

impl IdemKey {
    pub fn new(scope: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            scope: scope.into(),
            key: key.into(),
            request_hash: None,
        }
    }

    /// The key bound to a request body's hash.
    pub fn with_request_hash(mut self, hash: Option<String>) -> Self {
        self.request_hash = hash;
        self
    }
}

/// The stored result, unless the key was first used with another body.
fn stored<T: DeserializeOwned>(
    k: &IdemKey,
    row: Option<(String, Option<String>)>,
) -> Result<Option<T>> {
    let Some((json, first_hash)) = row else {
        return Ok(None);
    };
    if let (Some(first), Some(now)) = (&first_hash, &k.request_hash) {
        if first != now {
            return Err(StoreError::KeyReused);
        }
    }
    serde_json::from_str(&json)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Stores the result under the key on the transaction; a concurrent request with the same key
/// fails with a uniqueness violation and reads the stored result instead.
pub(crate) async fn remember<T: Serialize>(
    tx: &mut sqlx::AnyConnection,
    k: &IdemKey,
    result: &T,
) -> Result<()> {
    let json = serde_json::to_string(result).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO idempotency_keys (scope, key, created_at, result, request_hash)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&k.scope)
    .bind(&k.key)
    .bind(now_micros())
    .bind(json)
    .bind(&k.request_hash)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl Store {
    /// The stored result of an earlier request with this key.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn idempotent_result<T: DeserializeOwned>(&self, k: &IdemKey) -> Result<Option<T>> {
        let row: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT result, request_hash FROM idempotency_keys WHERE scope = $1 AND key = $2",
        )
        .bind(&k.scope)
        .bind(&k.key)
        .fetch_optional(self.pool())
        .await?;
        stored(k, row)
    }

    /// Stores the result of a change made outside a key-aware transaction (the first one wins).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn remember_result<T: Serialize>(&self, k: &IdemKey, result: &T) -> Result<()> {
        let json = serde_json::to_string(result).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO idempotency_keys (scope, key, created_at, result, request_hash)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (scope, key) DO NOTHING",
        )
        .bind(&k.scope)
        .bind(&k.key)
        .bind(now_micros())
        .bind(json)
        .bind(&k.request_hash)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets keys older than `before` (µs); run daily.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn purge_idempotency_keys(&self, before: i64) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(before)
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }
}
