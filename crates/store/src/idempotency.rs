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
}

impl IdemKey {
    pub fn new(scope: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            scope: scope.into(),
            key: key.into(),
        }
    }
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
        "INSERT INTO idempotency_keys (scope, key, created_at, result) VALUES ($1, $2, $3, $4)",
    )
    .bind(&k.scope)
    .bind(&k.key)
    .bind(now_micros())
    .bind(json)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl Store {
    /// The stored result of an earlier request with this key.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn idempotent_result<T: DeserializeOwned>(&self, k: &IdemKey) -> Result<Option<T>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT result FROM idempotency_keys WHERE scope = $1 AND key = $2")
                .bind(&k.scope)
                .bind(&k.key)
                .fetch_optional(self.pool())
                .await?;
        row.map(|(j,)| serde_json::from_str(&j).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    /// Stores the result of a change made outside a key-aware transaction (the first one wins).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn remember_result<T: Serialize>(&self, k: &IdemKey, result: &T) -> Result<()> {
        let json = serde_json::to_string(result).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO idempotency_keys (scope, key, created_at, result) VALUES ($1, $2, $3, $4)
             ON CONFLICT (scope, key) DO NOTHING",
        )
        .bind(&k.scope)
        .bind(&k.key)
        .bind(now_micros())
        .bind(json)
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
