//! Backup and restore of the SQLite database (OPS-04): a consistent copy while a task keeps
//! writing, a restore into a fresh place and over an existing database, and the refusals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use abonent_store::backup::{self, BackupError};
use abonent_store::jobs::JobKind;
use abonent_store::Store;

async fn open(path: &Path) -> Store {
    let s = Store::connect(&format!("sqlite://{}", path.display()), 4)
        .await
        .unwrap();
    s.migrate().await.unwrap();
    s
}

async fn payloads(s: &Store) -> Vec<i64> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT payload FROM jobs WHERE kind = 'test.write' ORDER BY id")
            .fetch_all(s.pool())
            .await
            .unwrap();
    rows.into_iter().map(|r| r.0.parse().unwrap()).collect()
}

async fn integrity(s: &Store) -> String {
    let (r,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(s.pool())
        .await
        .unwrap();
    r
}

#[tokio::test]
async fn a_backup_taken_during_writes_restores_what_was_committed_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let s = open(&db).await;
    s.seed_defaults().await.unwrap();
    // Some bulk, so that the copy takes a moment.
    s.demo_accounts(300, |_| {}).await.unwrap();

    // A writer commits numbered rows one by one and publishes how many are committed.
    let committed = Arc::new(AtomicI64::new(0));
    let (writer, done) = (s.clone(), committed.clone());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let halt = stop.clone();
    let task = tokio::spawn(async move {
        let mut i = 0i64;
        while !halt.load(Ordering::SeqCst) {
            writer
                .enqueue(&JobKind::from("test.write"), &i.to_string(), None, i64::MAX)
                .await
                .unwrap();
            i += 1;
            done.store(i, Ordering::SeqCst);
        }
    });
    while committed.load(Ordering::SeqCst) < 50 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let target = dir.path().join("copy.db");
    let before = committed.load(Ordering::SeqCst);
    let calls = std::sync::Mutex::new(0u64);
    let size = backup::backup(&s, &db, &target, false, &|bytes| {
        *calls.lock().unwrap() += 1;
        assert!(bytes > 0);
    })
    .await
    .unwrap();
    let after = committed.load(Ordering::SeqCst);
    // The writer went on during and after the copy.
    while committed.load(Ordering::SeqCst) < after + 20 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::SeqCst);
    task.await.unwrap();
    assert!(size > 0 && *calls.lock().unwrap() >= 1);
    assert!(
        !dir.path().read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("partial")),
        "no partial file is left"
    );

    // Restored into a fresh place: it opens, is sound and has every row committed before
    // the backup started, in order and without gaps, and nothing after it ended.
    let fresh = dir.path().join("restored").join("abonent.db");
    std::fs::create_dir_all(fresh.parent().unwrap()).unwrap();
    let r = backup::restore(&fresh, &target).await.unwrap();
    assert_eq!(r.kept, None);
    assert!(r.info.migrations > 0 && r.info.bytes == size);
    let restored = open(&fresh).await;
    assert_eq!(integrity(&restored).await, "ok");
    let rows = payloads(&restored).await;
    assert!(
        rows.len() as i64 >= before && rows.len() as i64 <= after,
        "{} rows; {before} committed before the backup, {after} after it",
        rows.len()
    );
    assert_eq!(rows, (0..rows.len() as i64).collect::<Vec<_>>());
    assert_eq!(restored.account_count().await.unwrap(), 300);
    restored.close().await;

    // Restored over the live database once its users are gone: the old file is kept beside
    // it, the WAL of the old one is not replayed onto the restored one.
    let live_rows = payloads(&s).await.len();
    assert!(live_rows as i64 > after);
    // The same over a database left by a crash, its last commits still only in the WAL:
    // the kept copy has them, the restored database none of them.
    let crashed = dir.path().join("crashed.db");
    let wal = |p: &Path| std::path::PathBuf::from(format!("{}-wal", p.display()));
    std::fs::copy(&db, &crashed).unwrap();
    assert!(
        std::fs::metadata(wal(&db)).unwrap().len() > 0,
        "commits in the WAL"
    );
    std::fs::copy(wal(&db), wal(&crashed)).unwrap();
    let r = backup::restore(&crashed, &target).await.unwrap();
    assert!(!wal(&crashed).exists());
    let c = open(&crashed).await;
    assert_eq!(payloads(&c).await, rows);
    c.close().await;
    let old = open(&r.kept.unwrap()).await;
    assert_eq!(payloads(&old).await.len(), live_rows);
    old.close().await;
    s.close().await;
    let r = backup::restore(&db, &target).await.unwrap();
    let kept = r.kept.expect("the replaced database is kept");
    assert!(!Path::new(&format!("{}-wal", db.display())).exists());
    let s = open(&db).await;
    assert_eq!(integrity(&s).await, "ok");
    assert_eq!(payloads(&s).await, rows);
    s.close().await;
    let old = open(&kept).await;
    assert_eq!(
        payloads(&old).await.len(),
        live_rows,
        "the kept file is whole"
    );
    old.close().await;
}

#[tokio::test]
async fn refusals() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let s = open(&db).await;
    let target = dir.path().join("b.db");
    backup::backup(&s, &db, &target, false, &|_| {})
        .await
        .unwrap();
    // An existing backup is replaced only when forced; the database itself never.
    let e = backup::backup(&s, &db, &target, false, &|_| {})
        .await
        .unwrap_err();
    assert!(matches!(e, BackupError::Exists(_)), "{e}");
    backup::backup(&s, &db, &target, true, &|_| {})
        .await
        .unwrap();
    let e = backup::backup(&s, &db, &db, true, &|_| {})
        .await
        .unwrap_err();
    assert!(matches!(e, BackupError::SameFile(_)), "{e}");

    // A database in use by another process of Abonent is not replaced.
    let hold = backup::hold(&db).unwrap();
    let e = backup::restore(&db, &target).await.unwrap_err();
    assert!(matches!(e, BackupError::InUse(_)), "{e}");
    drop(hold);
    assert!(
        !Path::new(&format!("{}.restoring", db.display())).exists(),
        "nothing was staged"
    );

    // Not a database, an SQLite file of something else, a damaged backup.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a database at all").unwrap();
    let e = backup::verify(&text).await.unwrap_err();
    assert!(matches!(e, BackupError::NotAbonent { .. }), "{e}");
    let other = dir.path().join("other.db");
    let o = Store::connect(&format!("sqlite://{}", other.display()), 1)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE t (x INTEGER)")
        .execute(o.pool())
        .await
        .unwrap();
    o.close().await;
    let e = backup::restore(&db, &other).await.unwrap_err();
    assert!(matches!(e, BackupError::NotAbonent { .. }), "{e}");
    let mut bytes = std::fs::read(&target).unwrap();
    let page = 4096;
    assert!(bytes.len() > 8 * page);
    for b in &mut bytes[3 * page..6 * page] {
        *b = 0x5a;
    }
    let damaged = dir.path().join("damaged.db");
    std::fs::write(&damaged, &bytes).unwrap();
    let e = backup::restore(&db, &damaged).await.unwrap_err();
    assert!(matches!(e, BackupError::NotAbonent { .. }), "{e}");
    // The database is still the one it was.
    assert!(!s.pool().is_closed());
    assert_eq!(integrity(&s).await, "ok");
    s.close().await;
}
