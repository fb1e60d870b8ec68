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

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use search::{Indexer, OpenState, SearchIndex};

mod documents;
mod follower;
mod progress;
pub(crate) mod query;

pub use documents::changes_for;
pub use follower::{catch_up, rebuild, replay, run, sync};
pub use progress::FeedStatus;
use progress::Progress;
pub use query::{
    SearchFilter, SearchPage, SearchRequest, SearchSort, SuggestionRecord, search, suggest,
    today_days,
};

/// Change-log entries below the newest at a rebuild that are looked at again after it: an
/// entry among them that was not yet committed when the rebuild read the tables is applied
/// when it commits. (A transaction left open across more writes than this would be missed
/// by a rebuild that ran meanwhile; PostgreSQL's `idle_in_transaction_session_timeout`, in
/// docs/deployment.md, ends such transactions.)
pub(super) const REBUILD_OVERLAP: i64 = 10_000;
/// Change-log entries read per step of a replay.
pub(super) const REPLAY_BATCH: u64 = 5_000;
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
    /// How far the index has applied the change log, and how far behind it is.
    pub(super) progress: Mutex<Progress>,
    /// Full rebuilds since start.
    pub(super) rebuilds: AtomicU64,
}

impl SearchService {
    /// Opens the index in `index_dir`, taking its writer unless another process holds it;
    /// `bulk` for commands that index in bulk (see [`Indexer::start`]).
    pub fn open(
        index_dir: &std::path::Path,
        glossary: search::glossary::Glossary,
        bulk: bool,
    ) -> anyhow::Result<SearchService> {
        let (index, open_state) = SearchIndex::open(index_dir, glossary)?;
        let settled = match open_state {
            OpenState::Existing { last_seq } => last_seq,
            OpenState::Fresh => 0,
        };
        let indexer = match Indexer::start(&index, bulk) {
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
            progress: Mutex::new(Progress::new(settled)),
            rebuilds: AtomicU64::new(0),
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

    /// The change feed's state now, for `/readyz` and `/metrics`.
    pub fn feed_status(&self) -> FeedStatus {
        self.progress()
            .status(self.rebuilds.load(Ordering::Relaxed))
    }

    /// An entry this process is writing, before its transaction commits: its write announces
    /// it, so the follower must not (see `Progress::claim_own`).
    pub fn claim_own(&self, seq: i64) {
        self.progress().claim_own(seq);
    }

    /// A claimed write did not commit.
    pub fn unclaim_own(&self, seq: i64) {
        self.progress().unclaim_own(seq);
    }

    /// Compaction removed the change log's entries up to `trimmed`.
    pub fn note_trimmed(&self, trimmed: i64) {
        self.progress().note_trimmed(trimmed);
    }

    /// A change was announced (PostgreSQL's notification): the index is behind until it
    /// applies it.
    pub fn note_announced(&self) {
        self.progress().note_announced();
    }

    /// The progress is plain numbers, consistent after any panic: a poisoned lock is used as is.
    pub(super) fn progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
