//! Group commit for SQLite: one task takes every write waiting at that moment, runs them in one
//! transaction, commits once — one fsync for the whole group — and only then answers each caller
//! with its own result. Nothing is acknowledged before it is durable, and writers do not queue on
//! SQLite's lock one by one. (Appeal registrations have their own writer with a multi-row fast
//! path, `appeals.rs`.)
//!
//! A work checks first and writes after: a refusal ([`Failed::Refused`]) has written nothing, so
//! the group goes on without a savepoint per work (two statements fewer each). A work that fails
//! after it may have written ([`Failed::Broken`]) makes the group roll back and run every work of
//! the batch again, each in its own savepoint, so one broken write is rolled back alone and the
//! others are still stored.

use futures::future::BoxFuture;
use sqlx::Acquire;

use crate::{Result, StoreError};

/// Why a work did not succeed.
#[derive(Debug)]
pub(crate) enum Failed {
    /// Refused by a check before anything was written: the transaction is as before the work.
    Refused(StoreError),
    /// Failed when it may have written part of its rows.
    Broken(StoreError),
}

impl From<Failed> for StoreError {
    fn from(f: Failed) -> Self {
        match f {
            Failed::Refused(e) | Failed::Broken(e) => e,
        }
    }
}

/// A database error inside a work: it may have written already.
impl From<sqlx::Error> for Failed {
    fn from(e: sqlx::Error) -> Self {
        Failed::Broken(e.into())
    }
}

impl From<StoreError> for Failed {
    fn from(e: StoreError) -> Self {
        Failed::Broken(e)
    }
}

/// A write to run on the group's transaction; it may be run twice (the second time in a
/// savepoint, after the first attempt of the whole group was rolled back).
pub(crate) type Work<T> = Box<
    dyn for<'c> Fn(&'c mut sqlx::AnyConnection) -> BoxFuture<'c, std::result::Result<T, Failed>>
        + Send
        + Sync,
>;

struct Request<T> {
    work: Work<T>,
    reply: tokio::sync::oneshot::Sender<Result<T>>,
}

#[derive(Debug)]
pub(crate) struct GroupCommit<T> {
    tx: tokio::sync::mpsc::Sender<Request<T>>,
}

impl<T: Send + 'static> GroupCommit<T> {
    const MAX_BATCH: usize = 256;

    pub(crate) fn start(pool: sqlx::AnyPool) -> Self {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Request<T>>(4096);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < Self::MAX_BATCH {
                    match rx.try_recv() {
                        Ok(r) => batch.push(r),
                        Err(_) => break,
                    }
                }
                write(&pool, batch).await;
            }
        });
        Self { tx }
    }

    /// Runs `work` in the next group; `None` when the writer is gone (its runtime ended) and the
    /// caller should write on its own.
    pub(crate) async fn run(&self, work: Work<T>) -> Option<Result<T>> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.tx.send(Request { work, reply }).await.ok()?;
        rx.await.ok()
    }
}

fn failed<T>(m: &str) -> Result<T> {
    Err(StoreError::Db(sqlx::Error::Protocol(m.to_owned())))
}

async fn write<T>(pool: &sqlx::AnyPool, batch: Vec<Request<T>>) {
    let (works, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|r| (r.work, r.reply)).unzip();
    let results = match attempt(pool, &works, false).await {
        Ok(Some(results)) => Ok(results),
        // A work broke without savepoints: everything was rolled back; once more, each alone.
        Ok(None) => attempt(pool, &works, true).await.and_then(|r| {
            // With savepoints every failure is the work's own, so this never happens.
            r.ok_or_else(|| sqlx::Error::Protocol("a work broke its savepoint".into()))
        }),
        Err(e) => Err(e),
    };
    match results {
        Ok(results) => {
            for (reply, res) in replies.into_iter().zip(results) {
                let _ = reply.send(res);
            }
        }
        Err(e) => {
            let m = e.to_string();
            for reply in replies {
                let _ = reply.send(failed(&m));
            }
        }
    }
}

/// One transaction for all `works`, committed; `Ok(None)` when without savepoints a work broke
/// (the transaction is rolled back); `Err` when the transaction itself failed.
async fn attempt<T>(
    pool: &sqlx::AnyPool,
    works: &[Work<T>],
    savepoints: bool,
) -> std::result::Result<Option<Vec<Result<T>>>, sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut done = Vec::with_capacity(works.len());
    for work in works {
        let res = if savepoints {
            match (&mut *tx).begin().await {
                Ok(mut sp) => match work(&mut sp).await {
                    Ok(v) => sp.commit().await.map(|_| v).map_err(StoreError::from),
                    Err(e) => {
                        let _ = sp.rollback().await;
                        Err(e.into())
                    }
                },
                Err(e) => Err(e.into()),
            }
        } else {
            match work(&mut tx).await {
                Ok(v) => Ok(v),
                Err(Failed::Refused(e)) => Err(e),
                Err(Failed::Broken(_)) => {
                    tx.rollback().await?;
                    return Ok(None);
                }
            }
        };
        done.push(res);
    }
    tx.commit().await?;
    Ok(Some(done))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inserts `values` into `t` one by one: a value seen already is refused before writing;
    /// a duplicate among the values breaks the work after it has written the first ones.
    fn insert(values: Vec<i64>) -> Work<usize> {
        Box::new(move |conn| {
            let values = values.clone();
            Box::pin(async move {
                let (seen,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM t WHERE x = $1")
                    .bind(values[0])
                    .fetch_one(&mut *conn)
                    .await?;
                if seen > 0 {
                    return Err(Failed::Refused(StoreError::Refused(
                        abonent_domain::refusal::MailRefusal::AlreadyHandled.into(),
                    )));
                }
                for v in &values {
                    sqlx::query("INSERT INTO t (x) VALUES ($1)")
                        .bind(v)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(values.len())
            })
        })
    }

    #[tokio::test]
    async fn a_refused_work_writes_nothing_and_a_broken_one_is_rolled_back_alone() {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}/g.db?mode=rwc", dir.path().display());
        let pool = sqlx::AnyPool::connect(&url).await.expect("pool");
        sqlx::query("CREATE TABLE t (x BIGINT NOT NULL UNIQUE)")
            .execute(&pool)
            .await
            .expect("table");
        sqlx::query("INSERT INTO t (x) VALUES (1)")
            .execute(&pool)
            .await
            .expect("row");
        let works = vec![
            insert(vec![2, 3]),
            insert(vec![1]),       // refused: 1 is there
            insert(vec![4, 4, 5]), // broken after writing 4
            insert(vec![6]),
        ];
        let (mut replies, mut answers) = (Vec::new(), Vec::new());
        let mut batch = Vec::new();
        for work in works {
            let (reply, rx) = tokio::sync::oneshot::channel();
            batch.push(Request { work, reply });
            answers.push(rx);
        }
        write(&pool, batch).await;
        for rx in answers {
            replies.push(rx.await.expect("answered"));
        }
        assert_eq!(replies[0].as_ref().ok(), Some(&2));
        assert!(matches!(replies[1], Err(StoreError::Refused(_))));
        assert!(matches!(replies[2], Err(StoreError::Db(_))));
        assert_eq!(replies[3].as_ref().ok(), Some(&1));
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT x FROM t ORDER BY x")
            .fetch_all(&pool)
            .await
            .expect("rows");
        let rows: Vec<i64> = rows.into_iter().map(|r| r.0).collect();
        assert_eq!(
            rows,
            vec![1, 2, 3, 6],
            "the broken work's 4 is rolled back alone"
        );
    }
}
