//! Live hall displays (CHN-01): one watcher per centre and instance reads the board when the
//! centre's board version moves, and hands it to every open display of that centre. A change
//! made on this instance wakes the watcher at once; a change made on another instance is seen
//! within [`POLL`]. The watcher stops when the last display of its centre disconnects.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use abonent_store::frontoffice::queue::Board;
use abonent_store::Store;
use tokio::sync::{watch, Notify};

/// How often a watcher reads the board's version when nothing woke it.
pub const POLL: Duration = Duration::from_millis(500);

type Latest = Option<Arc<Board>>;

struct Watcher {
    tx: watch::Sender<Latest>,
    wake: Arc<Notify>,
}

/// The watchers of this instance, by centre.
#[derive(Default)]
pub struct Boards {
    watchers: Mutex<HashMap<i64, Watcher>>,
}

impl Boards {
    /// A display's view of a centre's board: the latest board now and every change after.
    pub fn subscribe(self: &Arc<Self>, store: &Store, centre_id: i64) -> watch::Receiver<Latest> {
        let mut map = self.watchers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = map.get(&centre_id) {
            return w.tx.subscribe();
        }
        let (tx, rx) = watch::channel(None);
        let wake = Arc::new(Notify::new());
        map.insert(
            centre_id,
            Watcher {
                tx: tx.clone(),
                wake: wake.clone(),
            },
        );
        drop(map);
        tokio::spawn(watch_centre(
            self.clone(),
            store.clone(),
            centre_id,
            tx,
            wake,
        ));
        rx
    }

    /// Wakes the centre's watcher after a change made here.
    pub fn poke(&self, centre_id: i64) {
        let map = self.watchers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = map.get(&centre_id) {
            w.wake.notify_one();
        }
    }

    /// Open displays on this instance (for metrics and tests).
    pub fn displays(&self) -> usize {
        let map = self.watchers.lock().unwrap_or_else(|p| p.into_inner());
        map.values().map(|w| w.tx.receiver_count()).sum()
    }

    /// Removes the centre's watcher if nobody listens; whether it was removed.
    fn retire_if_idle(&self, centre_id: i64) -> bool {
        let mut map = self.watchers.lock().unwrap_or_else(|p| p.into_inner());
        let idle = map
            .get(&centre_id)
            .is_none_or(|w| w.tx.receiver_count() == 0);
        if idle {
            map.remove(&centre_id);
        }
        idle
    }
}

async fn watch_centre(
    boards: Arc<Boards>,
    store: Store,
    centre_id: i64,
    tx: watch::Sender<Latest>,
    wake: Arc<Notify>,
) {
    let mut seen: Option<i64> = None;
    loop {
        if boards.retire_if_idle(centre_id) {
            return;
        }
        match store.queue_board_version(centre_id).await {
            Ok(v) if Some(v) != seen => match store.queue_board(centre_id).await {
                Ok(b) => {
                    seen = Some(b.version);
                    tx.send_replace(Some(Arc::new(b)));
                }
                Err(e) => tracing::warn!(error = %e, centre_id, "hall board not read"),
            },
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, centre_id, "hall board version not read"),
        }
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}
