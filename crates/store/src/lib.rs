//! Persistence of Abonent on embedded SQLite or on PostgreSQL, chosen once at start by the URL.
//!
//! One module per capability. SQL is shared where both engines accept it (sqlx's `Any` driver
//! binds `$1`, `$2` … by position on both); the few engine-specific statements stay inside the
//! module that needs them, behind [`Backend`].

pub mod accounts;
pub mod appeals;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod billing;
pub mod clients;
pub mod codes;
pub mod contracts;
pub mod demo;
pub mod demo_appeals;
pub mod demo_billing;
pub mod demo_frontoffice;
pub mod demo_home_visits;
pub mod demo_queue;
pub mod frontoffice;
mod group;
pub mod idempotency;
pub mod info;
pub mod jobs;
pub mod mail;
pub mod metering;
pub mod news;
pub mod notices;
pub mod org;
pub mod outbox;
pub mod payments;
mod periods;
pub mod portal;
pub mod restriction;
pub mod seed;
mod sql;
mod time;

pub use time::{from_micros, now_micros};

/// How many characters of a typed login (or an address) are kept in sign-in attempts and in the
/// audit log: a login is never longer, so a megabyte typed into the field is cut, not stored.
pub const MAX_LOGIN_CHARS: usize = 100;

/// `s` cut to at most `max` characters (on a character boundary).
pub fn cut(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

use std::str::FromStr;
use std::time::Duration;

use abonent_domain::refusal::Refusal;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

/// Which engine the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Errors of the persistence layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A rule, a uniqueness rule or a concurrent change refused the write; its text is for
    /// people, its variant tells callers which refusal it is.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The store cannot be opened as configured (the URL's scheme, the database's folder).
    #[error("{0}")]
    Setup(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// An idempotency key (OPS-05) arrived again with another request body.
    #[error("idempotency key reused with another request")]
    KeyReused,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A refusal of any capability as the store's error.
pub(crate) fn refused(r: impl Into<Refusal>) -> StoreError {
    StoreError::Refused(r.into())
}

/// Whether a database error is a uniqueness violation on either engine.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.code().as_deref() == Some("23505")
                || d.code().as_deref() == Some("2067")
                || d.code().as_deref() == Some("1555")
                || d.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

/// The connection pool and the engine it talks to.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite's group-commit writer for appeal registrations, started on first use.
    group: std::sync::Arc<std::sync::OnceLock<appeals::GroupWriter>>,
    /// SQLite's group-commit writer for readings, started on first use.
    readings_group: std::sync::Arc<std::sync::OnceLock<group::GroupCommit<(i64, String)>>>,
    /// On SQLite, the hall's writers (kiosks and windows) wait their turn here, in order,
    /// instead of in SQLite's busy handler, which sleeps in growing steps.
    hall_gate: std::sync::Arc<tokio::sync::Mutex<()>>,
}

static MIGRATOR_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static MIGRATOR_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Connects to `url`: `sqlite://path` (the file and its folder are created) or
    /// `postgres://…`. Does not migrate.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        Self::connect_with_cache(url, max_connections, None).await
    }

    /// As [`connect`](Self::connect), with SQLite's page cache per connection set to
    /// `cache_mib` (batch commands: billing runs and registry imports touch indexes of millions
    /// of rows; SQLite's own default is 2 MiB). Ignored on PostgreSQL.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn connect_with_cache(
        url: &str,
        max_connections: u32,
        cache_mib: Option<u32>,
    ) -> Result<Self> {
        Self::connect_tuned(url, max_connections, cache_mib, 0).await
    }

    /// As [`connect_with_cache`](Self::connect_with_cache), with SQLite reading the file through
    /// a memory map of up to `mmap_mib` MiB (0: off; SQLite then copies every page it reads
    /// with a system call). Pages are still written with `write`, so durability is the same.
    /// Ignored on PostgreSQL.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn connect_tuned(
        url: &str,
        max_connections: u32,
        cache_mib: Option<u32>,
        mmap_mib: u64,
    ) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Setup(format!(
                "unsupported database URL scheme (expected sqlite:// or postgres://): {}",
                url.split(':').next().unwrap_or("")
            )));
        };
        let url = match backend {
            Backend::Sqlite => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path);
                if let Some(dir) = std::path::Path::new(path).parent() {
                    if !dir.as_os_str().is_empty() && path != ":memory:" {
                        std::fs::create_dir_all(dir).map_err(|e| {
                            StoreError::Setup(format!("cannot create {}: {e}", dir.display()))
                        })?;
                    }
                }
                if url.contains('?') {
                    url.to_owned()
                } else {
                    format!("{url}?mode=rwc")
                }
            }
            Backend::Postgres => url.to_owned(),
        };
        // Statement logging is off: statements can be huge (bulk loads) and their parameters may
        // hold personal data.
        let opts = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            // An idle SQLite connection is a file handle in this process: nothing can hang up on
            // it, so the ping before every use (a round trip through sqlx's connection thread,
            // as costly as a small query) is skipped. PostgreSQL's connections are still checked.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; FULL makes every commit
                        // durable across power loss, not only across a crash of the process.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        if mmap_mib > 0 {
                            conn.execute(
                                format!("PRAGMA mmap_size = {}", mmap_mib * 1024 * 1024).as_str(),
                            )
                            .await?;
                        }
                        if let Some(mib) = cache_mib {
                            conn.execute(
                                format!("PRAGMA cache_size = -{}", u64::from(mib) * 1024).as_str(),
                            )
                            .await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await?;
        Ok(Self {
            pool,
            backend,
            group: Default::default(),
            readings_group: Default::default(),
            hall_gate: Default::default(),
        })
    }

    /// Applies every pending migration of this engine (safe with several instances: PostgreSQL
    /// takes an advisory lock).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => MIGRATOR_SQLITE.run(&self.pool).await?,
            Backend::Postgres => MIGRATOR_POSTGRES.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`, waiting up to the busy timeout): a transaction that read first and
    /// then tried to write could otherwise fail at once with "database is locked" when another
    /// writer got there in between.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// The hall's write turn on SQLite (see `hall_gate`); nothing on PostgreSQL, whose row locks
    /// let writers proceed together.
    pub(crate) async fn hall_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.hall_gate.lock().await),
            Backend::Postgres => None,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Readiness: the database answers.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(test)]
mod migration_tests {
    use super::*;

    /// The migrations of `m` up to and including `last`.
    fn up_to(m: &sqlx::migrate::Migrator, last: i64) -> sqlx::migrate::Migrator {
        sqlx::migrate::Migrator {
            migrations: m
                .migrations
                .iter()
                .filter(|x| x.version <= last)
                .cloned()
                .collect::<Vec<_>>()
                .into(),
            ..sqlx::migrate::Migrator::DEFAULT
        }
    }

    /// Opening personal accounts by phone rebuilds the users' table on SQLite (with its two
    /// dependants): users, links and sessions made before are all still there, and the
    /// references still hold.
    #[tokio::test]
    async fn the_phone_migration_keeps_users_links_and_sessions() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}/m.db", dir.path().display());
        let s = Store::connect(&url, 2).await.expect("store");
        up_to(&MIGRATOR_SQLITE, 13)
            .run(s.pool())
            .await
            .expect("to 13");
        s.seed_defaults().await.expect("defaults");
        s.demo_accounts(2, |_| {}).await.expect("accounts");
        let (account,): (i64,) = sqlx::query_as("SELECT MIN(id) FROM accounts")
            .fetch_one(s.pool())
            .await
            .expect("accounts");
        sqlx::query(
            "INSERT INTO portal_users (id, email, password_hash, confirmed_at, created_at, reset_hash)
             VALUES (5, 'a@example.org', 'h', 1, 1, 'r')",
        )
        .execute(s.pool())
        .await
        .expect("user");
        sqlx::query("INSERT INTO portal_links (user_id, account_id, linked_at) VALUES (5, $1, 1)")
            .bind(account)
            .execute(s.pool())
            .await
            .expect("link");
        sqlx::query(
            "INSERT INTO portal_sessions (token_hash, user_id, csrf_token, created_at, expires_at)
             VALUES ('t', 5, 'c', 1, 9)",
        )
        .execute(s.pool())
        .await
        .expect("session");

        s.migrate().await.expect("the rest");

        let row: (i64, Option<String>, Option<String>, Option<String>) =
            sqlx::query_as("SELECT id, email, phone, reset_hash FROM portal_users")
                .fetch_one(s.pool())
                .await
                .expect("user kept");
        assert_eq!(
            row,
            (5, Some("a@example.org".into()), None, Some("r".into()))
        );
        let (links, sessions): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM portal_links WHERE user_id = 5 AND account_id = $1),
                    (SELECT COUNT(*) FROM portal_sessions WHERE user_id = 5)",
        )
        .bind(account)
        .fetch_one(s.pool())
        .await
        .expect("counts");
        assert_eq!((links, sessions), (1, 1));
        // The references still hold: a session of nobody is refused.
        let orphan = sqlx::query(
            "INSERT INTO portal_sessions (token_hash, user_id, csrf_token, created_at, expires_at)
             VALUES ('x', 99, 'c', 1, 9)",
        )
        .execute(s.pool())
        .await;
        assert!(orphan.is_err(), "foreign keys still checked");
        // A user needs an address or a phone.
        let neither =
            sqlx::query("INSERT INTO portal_users (password_hash, created_at) VALUES ('h', 1)")
                .execute(s.pool())
                .await;
        assert!(neither.is_err());
        s.close().await;
    }

    /// The requisites seeded before the Bank of Russia's checks are replaced by placeholders
    /// that pass them, so an old installation still bills; requisites a person entered stay.
    #[tokio::test]
    async fn old_placeholder_requisites_are_replaced_and_entered_ones_kept() {
        for (old, expect_bic) in [
            (
                ("40702810000000000001", "047102000", "30101810000000000000"),
                "047102651",
            ),
            (
                ("40702810000000000002", "047102000", "30101810000000000000"),
                "047102000",
            ),
        ] {
            let dir = tempfile::tempdir().expect("dir");
            let url = format!("sqlite://{}/m.db", dir.path().display());
            let s = Store::connect(&url, 2).await.expect("store");
            up_to(&MIGRATOR_SQLITE, 18)
                .run(s.pool())
                .await
                .expect("to 18");
            s.seed_defaults().await.expect("defaults");
            sqlx::query(
                "UPDATE billing_settings SET personal_acc = $1, bic = $2, corresp_acc = $3",
            )
            .bind(old.0)
            .bind(old.1)
            .bind(old.2)
            .execute(s.pool())
            .await
            .expect("old placeholders");
            s.migrate().await.expect("the rest");
            let settings = s.billing_settings().await.expect("settings");
            assert_eq!(settings.bic, expect_bic);
            if expect_bic == "047102651" {
                assert_eq!(settings.personal_acc, "40702810900000000001");
                assert!(settings.check_requisites().is_ok());
            } else {
                assert_eq!(settings.personal_acc, old.0, "entered by a person: kept");
            }
            s.close().await;
        }
    }
}
