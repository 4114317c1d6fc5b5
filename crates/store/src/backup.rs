//! Backup and restore of the embedded SQLite database (OPS-04), and the hold that a running
//! `abonent` keeps on it.
//!
//! A backup is `VACUUM INTO` through the application's own pool: a read transaction, so it is a
//! consistent snapshot of the committed data while a server keeps writing (WAL). It is written
//! under a temporary name, synced and then renamed, so a file with the backup's name is always
//! complete. A restore checks the file (SQLite, `PRAGMA integrity_check`, the migrations of this
//! version of Abonent), refuses while any process holds the database, keeps the replaced file
//! (a hard link, no copy) and swaps the database in with one rename, after removing the old
//! `-wal`/`-shm` (a stale WAL would otherwise be replayed onto the restored file).
//!
//! Every command that opens the database holds a shared OS lock on `<database>.lock` for its
//! lifetime ([`hold`]); restore takes it exclusively. On PostgreSQL, `pg_dump` and
//! `pg_restore` do this job; [`pg_dump_command`] and [`pg_restore_command`] say how.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::{Backend, Store};

/// Why a backup or a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The backup file exists and `force` was not given.
    #[error("{0} already exists")]
    Exists(PathBuf),
    /// The backup would overwrite the database itself (or its journal).
    #[error("{0} is the database itself")]
    SameFile(PathBuf),
    /// Another process holds the database (a server, a worker, a batch command; or a restore
    /// is under way when a server starts).
    #[error("the database {0} is in use by another process")]
    InUse(PathBuf),
    /// The file is not a sound SQLite database of Abonent; the reason is technical.
    #[error("{path} is not a backup of Abonent: {reason}")]
    NotAbonent { path: PathBuf, reason: String },
    /// The backup has migrations this version of Abonent does not know (a newer version made it).
    #[error("{path} was made by a newer version of Abonent (migration {version})")]
    Newer { path: PathBuf, version: i64 },
    /// The database is not an SQLite file (PostgreSQL, or `:memory:`).
    #[error("not an SQLite database file")]
    NotSqlite,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

pub type Result<T, E = BackupError> = std::result::Result<T, E>;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The file of an `sqlite://` URL, or `None` for PostgreSQL and in-memory databases.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(PathBuf::from(path))
}

/// `<database>-wal`, `<database>.lock` …
fn beside(db: &Path, suffix: &str) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The lock file a running `abonent` holds (shared) and a restore takes (exclusive).
pub fn lock_path(db: &Path) -> PathBuf {
    beside(db, ".lock")
}

/// A shared hold on a database file for as long as it lives: a restore refuses while one exists.
#[derive(Debug)]
pub struct Hold {
    _file: File,
}

fn open_lock(db: &Path) -> Result<File> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let path = lock_path(db);
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io(&path))
}

/// Holds the database `db` (shared with other processes of Abonent) until the hold is dropped;
/// fails with [`BackupError::InUse`] while a restore runs.
pub fn hold(db: &Path) -> Result<Hold> {
    let file = open_lock(db)?;
    match file.try_lock_shared() {
        Ok(()) => Ok(Hold { _file: file }),
        Err(TryLockError::WouldBlock) => Err(BackupError::InUse(db.to_owned())),
        Err(TryLockError::Error(e)) => Err(io(&lock_path(db))(e)),
    }
}

/// The sole hold of a database (a restore); fails with [`BackupError::InUse`] while any other
/// process holds it.
fn hold_exclusive(db: &Path) -> Result<Hold> {
    let file = open_lock(db)?;
    match file.try_lock() {
        Ok(()) => Ok(Hold { _file: file }),
        Err(TryLockError::WouldBlock) => Err(BackupError::InUse(db.to_owned())),
        Err(TryLockError::Error(e)) => Err(io(&lock_path(db))(e)),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Makes the file durable, then its folder (so a rename into it survives a power loss).
fn sync_file_and_dir(file: &Path) -> Result<()> {
    File::open(file)
        .and_then(|f| f.sync_all())
        .map_err(io(file))?;
    sync_dir(file)
}

fn sync_dir(file: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let dir = match file.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Copies the SQLite database of `store` into `target` while it may be in use; `progress` is
/// called with the bytes written so far, a few times a second. Refuses to replace an existing
/// `target` unless `force`. Returns the size of the backup.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn backup(
    store: &Store,
    db: &Path,
    target: &Path,
    force: bool,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64> {
    if store.backend() != Backend::Sqlite {
        return Err(BackupError::NotSqlite);
    }
    for own in [db.to_owned(), beside(db, "-wal"), beside(db, "-shm")] {
        if same_file(&own, target) {
            return Err(BackupError::SameFile(target.to_owned()));
        }
    }
    if target.exists() && !force {
        return Err(BackupError::Exists(target.to_owned()));
    }
    let name = target
        .file_name()
        .ok_or_else(|| io(target)(std::io::ErrorKind::InvalidInput.into()))?;
    let partial = target.with_file_name(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    if partial.exists() {
        std::fs::remove_file(&partial).map_err(io(&partial))?;
    }
    let partial_text = partial
        .to_str()
        .ok_or_else(|| io(&partial)(std::io::ErrorKind::InvalidInput.into()))?
        .to_owned();
    let vacuum = sqlx::query("VACUUM INTO $1")
        .bind(partial_text)
        .execute(store.pool());
    tokio::pin!(vacuum);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let done = loop {
        tokio::select! {
            r = &mut vacuum => break r,
            _ = tick.tick() => {
                match std::fs::metadata(&partial) {
                    Ok(m) if m.len() > 0 => progress(m.len()),
                    _ => {}
                }
            }
        }
    };
    if let Err(e) = done {
        let _ = std::fs::remove_file(&partial);
        return Err(e.into());
    }
    // VACUUM INTO does not sync its output.
    sync_file_and_dir(&partial)?;
    std::fs::rename(&partial, target).map_err(io(target))?;
    sync_dir(target)?;
    let size = std::fs::metadata(target).map_err(io(target))?.len();
    progress(size);
    Ok(size)
}

/// What a sound backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    /// Migrations applied in it, and the last one.
    pub migrations: usize,
    pub latest_migration: i64,
    pub bytes: u64,
}

/// Checks that `file` is a sound SQLite database of Abonent that this version can open: the
/// SQLite header, `PRAGMA integrity_check`, and the migrations table with only migrations this
/// version knows. Reads only.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn verify(file: &Path) -> Result<BackupInfo> {
    let not = |reason: &str| BackupError::NotAbonent {
        path: file.to_owned(),
        reason: reason.to_owned(),
    };
    let bytes = std::fs::metadata(file).map_err(io(file))?.len();
    let mut header = [0u8; 16];
    {
        use std::io::Read;
        let mut f = File::open(file).map_err(io(file))?;
        if f.read_exact(&mut header).is_err() || &header != b"SQLite format 3\0" {
            return Err(not("not an SQLite database"));
        }
    }
    let mut conn = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .disable_statement_logging()
        .connect()
        .await?;
    let checked = async {
        let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
            .fetch_all(&mut conn)
            .await
            .map_err(|e| not(&format!("integrity check: {e}")))?;
        if rows.len() != 1 || rows[0].0 != "ok" {
            let found: Vec<String> = rows.into_iter().take(5).map(|r| r.0).collect();
            return Err(not(&format!("integrity check: {}", found.join("; "))));
        }
        let migrations: Vec<(i64, bool)> =
            sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
                .fetch_all(&mut conn)
                .await
                .map_err(|_| not("no migrations table"))?;
        if migrations.is_empty() {
            return Err(not("no migrations applied"));
        }
        if migrations.iter().any(|(_, ok)| !ok) {
            return Err(not("a migration did not finish"));
        }
        for (version, _) in &migrations {
            if !crate::MIGRATOR_SQLITE
                .iter()
                .any(|m| m.version == *version && !m.migration_type.is_down_migration())
            {
                return Err(BackupError::Newer {
                    path: file.to_owned(),
                    version: *version,
                });
            }
        }
        Ok(BackupInfo {
            migrations: migrations.len(),
            latest_migration: migrations.last().map(|m| m.0).unwrap_or(0),
            bytes,
        })
    }
    .await;
    let _ = conn.close().await;
    checked
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub info: BackupInfo,
    /// Where the replaced database is kept (`None` when there was none).
    pub kept: Option<PathBuf>,
}

/// Puts the backup `file` in place of the SQLite database `db`, after [`verify`]; refuses with
/// [`BackupError::InUse`] while any process of Abonent holds the database. The replaced
/// database is kept beside it as `<db>.before-restore-<time>` (with its WAL when it could not
/// be checkpointed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn restore(db: &Path, file: &Path) -> Result<Restored> {
    if same_file(db, file) {
        return Err(BackupError::SameFile(file.to_owned()));
    }
    let info = verify(file).await?;
    let _hold = hold_exclusive(db)?;
    let staged = beside(db, ".restoring");
    std::fs::copy(file, &staged).map_err(io(&staged))?;
    sync_file_and_dir(&staged)?;

    let (wal, shm) = (beside(db, "-wal"), beside(db, "-shm"));
    let mut kept = None;
    if db.exists() {
        // Fold the WAL into the file, so the kept copy is whole and the WAL may go.
        let checkpointed = checkpoint(db).await;
        let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
        let keep = beside(db, &format!(".before-restore-{stamp}"));
        std::fs::hard_link(db, &keep).map_err(io(&keep))?;
        if wal.exists() {
            if checkpointed {
                std::fs::remove_file(&wal).map_err(io(&wal))?;
            } else {
                let kept_wal = beside(&keep, "-wal");
                std::fs::rename(&wal, &kept_wal).map_err(io(&kept_wal))?;
            }
        }
        kept = Some(keep);
    } else if wal.exists() {
        std::fs::remove_file(&wal).map_err(io(&wal))?;
    }
    if shm.exists() {
        std::fs::remove_file(&shm).map_err(io(&shm))?;
    }
    std::fs::rename(&staged, db).map_err(io(db))?;
    sync_dir(db)?;
    Ok(Restored { info, kept })
}

/// Checkpoints and empties the WAL of `db`; false when that failed (a damaged database).
async fn checkpoint(db: &Path) -> bool {
    let Ok(mut conn) = SqliteConnectOptions::new()
        .filename(db)
        .disable_statement_logging()
        .connect()
        .await
    else {
        return false;
    };
    let r: std::result::Result<(i64, i64, i64), _> =
        sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut conn)
            .await;
    let _ = conn.close().await;
    matches!(r, Ok((0, _, _)))
}

/// A PostgreSQL URL without its password (in the user part or as a `password=` parameter), for
/// commands shown to the operator; the password comes from `PGPASSWORD` or `~/.pgpass`.
pub fn pg_url_without_password(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match (base.find("://"), base.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &base[s + 3..at];
            let user = creds.split_once(':').map_or(creds, |(u, _)| u);
            format!("{}{}{}", &base[..s + 3], user, &base[at..])
        }
        _ => base.to_owned(),
    };
    let query: Vec<&str> = query
        .map(|q| {
            q.split('&')
                .filter(|p| !p.to_ascii_lowercase().starts_with("password="))
                .collect()
        })
        .unwrap_or_default();
    if query.is_empty() {
        base
    } else {
        format!("{base}?{}", query.join("&"))
    }
}

/// Quotes a word for a POSIX shell.
fn sh(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@=,+%".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The `pg_dump` command that backs up the database of `url` into `file` (custom format, for
/// `pg_restore`); it takes a consistent snapshot while servers run.
pub fn pg_dump_command(url: &str, file: &Path) -> String {
    format!(
        "pg_dump --format=custom --no-owner --file={} --dbname={}",
        sh(&file.to_string_lossy()),
        sh(&pg_url_without_password(url))
    )
}

/// The `pg_restore` command that puts the dump `file` back into the database of `url`
/// (replacing its objects; stop the servers first).
pub fn pg_restore_command(url: &str, file: &Path) -> String {
    format!(
        "pg_restore --clean --if-exists --no-owner --single-transaction --dbname={} {}",
        sh(&pg_url_without_password(url)),
        sh(&file.to_string_lossy())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_of_a_url() {
        assert_eq!(
            sqlite_path("sqlite://data/abonent.db"),
            Some(PathBuf::from("data/abonent.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:///var/lib/a.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/a.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }

    #[test]
    fn postgres_commands_never_show_the_password() {
        let url =
            "postgres://abonent:s3cret@db.example:5432/abonent?sslmode=require&password=s3cret";
        assert_eq!(
            pg_url_without_password(url),
            "postgres://abonent@db.example:5432/abonent?sslmode=require"
        );
        let dump = pg_dump_command(url, Path::new("/backups/abonent 1.dump"));
        assert_eq!(
            dump,
            "pg_dump --format=custom --no-owner --file='/backups/abonent 1.dump' \
             --dbname='postgres://abonent@db.example:5432/abonent?sslmode=require'"
        );
        let restore = pg_restore_command("postgres://abonent@db/abonent", Path::new("a.dump"));
        assert_eq!(
            restore,
            "pg_restore --clean --if-exists --no-owner --single-transaction \
             --dbname=postgres://abonent@db/abonent a.dump"
        );
        assert!(!dump.contains("s3cret") && !restore.contains("s3cret"));
        assert_eq!(sh("it's"), r"'it'\''s'");
    }

    #[test]
    fn a_hold_is_shared_and_a_restore_is_alone() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.db");
        let first = hold(&db).unwrap();
        let second = hold(&db).unwrap();
        assert!(matches!(hold_exclusive(&db), Err(BackupError::InUse(_))));
        drop(first);
        assert!(matches!(hold_exclusive(&db), Err(BackupError::InUse(_))));
        drop(second);
        let alone = hold_exclusive(&db).unwrap();
        assert!(matches!(hold(&db), Err(BackupError::InUse(_))));
        drop(alone);
        hold(&db).unwrap();
    }
}
