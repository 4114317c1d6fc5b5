//! Test databases: every store and HTTP test runs on a temporary SQLite file and, when
//! `ABONENT_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL schema of its own.
#![allow(clippy::expect_used)] // test support only (feature "testing"): a broken test database fails the test

use crate::{Backend, Store};

/// One migrated, empty database for a test.
pub struct TestDb {
    pub store: Store,
    pub label: &'static str,
    /// The URL the store was opened with: a second store on it is the service restarted.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// Drops the PostgreSQL schema (the SQLite file goes with its folder).
    pub async fn cleanup(mut self) {
        self.store.close().await;
        if let Some((url, schema)) = self.pg.take() {
            drop_schema(&url, &schema).await;
        }
    }
}

/// A test that ends without `cleanup` (it forgot, or it failed) still drops its schema: on its
/// own thread and runtime, since a test's runtime may be the one unwinding.
impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((url, schema)) = self.pg.take() else {
            return;
        };
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(drop_schema(&url, &schema));
            }
        })
        .join();
    }
}

async fn drop_schema(url: &str, schema: &str) {
    if let Ok(admin) = Store::connect(url, 1).await {
        // A transaction a failed test left open must not hold the drop for ever.
        let _ = sqlx::query("SET lock_timeout = '5s'")
            .execute(admin.pool())
            .await;
        let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .execute(admin.pool())
            .await;
        admin.close().await;
    }
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = Store::connect(&url, 4).await.expect("sqlite connects");
    store.migrate().await.expect("sqlite migrates");
    assert_eq!(store.backend(), Backend::Sqlite);
    TestDb {
        store,
        label: "sqlite",
        url,
        _dir: Some(dir),
        pg: None,
    }
}

pub async fn postgres(url: &str) -> TestDb {
    let schema = format!("t_{:016x}", rand_u64());
    let admin = Store::connect(url, 1).await.expect("postgres connects");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(admin.pool())
        .await
        .expect("create schema");
    admin.close().await;
    let sep = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let store = Store::connect(&scoped, 4).await.expect("postgres connects");
    store.migrate().await.expect("postgres migrates");
    TestDb {
        store,
        label: "postgres",
        url: scoped,
        _dir: None,
        pg: Some((url.to_owned(), schema)),
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish()
}

/// The test databases: SQLite always, PostgreSQL when configured. In CI (`CI` set) a missing
/// PostgreSQL URL fails the test instead of silently testing one engine.
pub async fn all() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    match std::env::var("ABONENT_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => dbs.push(postgres(&url).await),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must set ABONENT_TEST_POSTGRES_URL so that PostgreSQL is tested"
            );
            eprintln!("note: ABONENT_TEST_POSTGRES_URL is not set: this test ran on SQLite only");
        }
    }
    dbs
}
