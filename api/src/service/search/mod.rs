//! Keeping the search index in step with the database, and searching it. This file holds
//! the index's lifecycle (open, readiness, deferral during bulk loads); `follower` keeps it in
//! step with the change log, `documents` turns content into index documents, and `query`
//! turns a caller's search into the engine's request and its hits back into content.
//!
//! The database is the truth; the index is a derived copy. Every content write commits its
//! transaction (with its change-log row) and then hands the item to the index writer, and
//! returns only once the index has committed it: what a mutation wrote is searchable when it
//! returns. At start the index replays the change log after the sequence number its last
//! commit recorded (or is rebuilt when missing, corrupt or built by another analyzer), and a
//! poller follows changes other processes make (other API nodes, the command line).

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use search::{Indexer, OpenState, SearchIndex};

mod documents;
mod follower;
pub(crate) mod query;

pub use documents::changes_for;
pub use follower::{catch_up, rebuild, replay, run, sync};
pub use query::{
    SearchFilter, SearchPage, SearchRequest, SearchSort, SuggestionRecord, search, suggest,
    today_days,
};

/// Change-log rows below the newest applied one that are still looked at again: under
/// PostgreSQL, transactions can commit in another order than their sequence numbers.
pub(super) const REPLAY_WINDOW: i64 = 1_000;
/// How often the poller looks for changes made by other processes.
pub(super) const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Items per rebuild batch.
pub(super) const REBUILD_BATCH: u64 = 1_000;

pub struct SearchService {
    pub index: SearchIndex,
    /// `None` when another process holds the index's writer lock (the command line while a
    /// server runs): that process's index then follows this one's writes through the change log.
    pub(super) indexer: Option<Indexer>,
    pub(super) open_state: OpenState,
    pub(super) ready: tokio::sync::watch::Sender<bool>,
    /// While set, writes leave indexing to a later `replay` (bulk loads such as the demo seed).
    pub(super) deferred: AtomicBool,
    /// Sequence numbers applied recently, so the poller skips what the write path did.
    pub(super) applied: Mutex<BTreeSet<i64>>,
}

impl SearchService {
    pub fn open(
        index_dir: &std::path::Path,
        glossary: search::glossary::Glossary,
    ) -> anyhow::Result<SearchService> {
        let (index, open_state) = SearchIndex::open(index_dir, glossary)?;
        let indexer = match Indexer::start(&index) {
            Ok(indexer) => Some(indexer),
            Err(search::Error::Locked) => {
                tracing::info!(
                    "the search index is held by another process; leaving it to that process"
                );
                None
            }
            Err(error) => return Err(error.into()),
        };
        Ok(SearchService {
            index,
            indexer,
            open_state,
            ready: tokio::sync::watch::Sender::new(false),
            deferred: AtomicBool::new(false),
            applied: Mutex::new(BTreeSet::new()),
        })
    }

    /// True once the index has caught up with the database after start.
    pub fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    /// Completes once the index has caught up after start.
    pub async fn wait_ready(&self) {
        let mut ready = self.ready.subscribe();
        let _ = ready.wait_for(|ready| *ready).await;
    }

    pub(super) fn mark_ready(&self) {
        self.ready.send_replace(true);
    }

    /// Leaves indexing of writes to a later `replay` while `deferred` (for bulk loads).
    pub fn defer_indexing(&self, deferred: bool) {
        self.deferred.store(deferred, Ordering::Release);
    }

    /// Whether lists may take their totals from the index: it is caught up, this process
    /// keeps it in step with its own writes, and no bulk load is deferring them.
    pub fn counts_lists(&self) -> bool {
        self.is_ready() && self.has_writer() && !self.deferred.load(Ordering::Acquire)
    }

    pub fn has_writer(&self) -> bool {
        self.indexer.is_some()
    }

    pub(super) fn remember(&self, seqs: impl IntoIterator<Item = i64>) {
        if let Ok(mut applied) = self.applied.lock() {
            applied.extend(seqs);
            if let Some(&newest) = applied.iter().next_back() {
                let keep_from = newest - 2 * REPLAY_WINDOW;
                *applied = applied.split_off(&keep_from);
            }
        }
    }

    pub(super) fn was_applied(&self, seq: i64) -> bool {
        self.applied
            .lock()
            .map(|applied| applied.contains(&seq))
            .unwrap_or(false)
    }
}
