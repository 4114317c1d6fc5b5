//! Group commit for SQLite: one task takes every write waiting at that moment, runs each in its
//! own savepoint of one transaction (a refused one is rolled back alone), commits once — one
//! fsync for the whole group — and only then answers each caller with its own result. Nothing is
//! acknowledged before it is durable, and writers do not queue on SQLite's lock one by one.
//! (Appeal registrations have their own writer with a multi-row fast path, `appeals.rs`.)

use futures::future::BoxFuture;
use sqlx::Acquire;

use crate::{Result, StoreError};

/// A write to run on the group's transaction.
pub(crate) type Work<T> =
    Box<dyn for<'c> FnOnce(&'c mut sqlx::AnyConnection) -> BoxFuture<'c, Result<T>> + Send>;

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
    let mut tx = match pool.begin_with("BEGIN IMMEDIATE").await {
        Ok(t) => t,
        Err(e) => {
            let m = e.to_string();
            for r in batch {
                let _ = r.reply.send(failed(&m));
            }
            return;
        }
    };
    let mut done = Vec::with_capacity(batch.len());
    for r in batch {
        let res = match (&mut *tx).begin().await {
            Ok(mut sp) => match (r.work)(&mut sp).await {
                Ok(v) => sp.commit().await.map(|_| v).map_err(StoreError::from),
                Err(e) => {
                    let _ = sp.rollback().await;
                    Err(e)
                }
            },
            Err(e) => Err(e.into()),
        };
        done.push((r.reply, res));
    }
    match tx.commit().await {
        Ok(()) => {
            for (reply, res) in done {
                let _ = reply.send(res);
            }
        }
        Err(e) => {
            let m = e.to_string();
            for (reply, _) in done {
                let _ = reply.send(failed(&m));
            }
        }
    }
}
