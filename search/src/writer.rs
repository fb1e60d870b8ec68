//! The single index writer: one thread owns tantivy's `IndexWriter` and applies changes in
//! batches. Whatever arrived while the previous batch was committing goes into the next
//! one, so a burst of writes costs one commit (group commit), and every waiting writer is
//! answered once its change is committed and visible to searches.

use std::collections::HashMap;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tantivy::indexer::{IndexWriterOptions, LogMergePolicy};
use tantivy::{IndexReader, IndexWriter, Term};
use tokio::sync::oneshot;

use crate::index::{Document, SearchIndex, tantivy_document};
use crate::schema::Fields;
use crate::{Error, Result};

/// Memory for each indexing thread.
const WRITER_MEMORY_BYTES: usize = 64 * 1024 * 1024;
/// Indexing threads at most for bulk work (`reindex`, `import`): a rebuild's analysis is
/// CPU-bound, and tantivy spreads the documents of a batch over its threads.
const MAX_INDEXING_THREADS: usize = 2;

/// A change to apply: upserts are idempotent (delete by id, then add). Each carries the
/// item's version (its last update time): a change older than one already applied to the
/// same item is skipped, so two processes racing to index one item cannot leave the older
/// state in the index.
#[derive(Debug, Clone)]
pub enum Change {
    Upsert(Box<Document>),
    Delete { id: String, version: i64 },
}

impl Change {
    fn id_and_version(&self) -> (&str, i64) {
        match self {
            Change::Upsert(document) => (&document.id, document.version),
            Change::Delete { id, version } => (id, *version),
        }
    }
}

struct Job {
    changes: Vec<Change>,
    /// The change-log sequence number these changes bring the index up to.
    seq: Option<i64>,
    /// Remove everything first (a rebuild).
    replace_all: bool,
    /// Commit (and make searchable) once applied; a bulk load's batches commit only at the end.
    commit: bool,
    done: oneshot::Sender<Result<(), String>>,
}

/// A batch handed to the writer without a commit (see [`Indexer::stage`]).
pub struct Staged(oneshot::Receiver<Result<(), String>>);

impl Staged {
    /// Waits until the writer has taken the batch in (not committed it).
    pub async fn wait(self) -> Result<()> {
        self.0
            .await
            .map_err(|_| Error::WriterStopped)?
            .map_err(Error::Directory)
    }
}

/// The handle to the writer thread. Dropping it lets the thread finish its queue and stop.
pub struct Indexer {
    sender: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Indexer {
    /// Takes the index's writer lock (only one process may write) and starts the thread. A
    /// server's writer (`bulk` false) indexes with one thread: each indexing thread that
    /// receives a document makes a segment of its own at the commit, and a segment costs about
    /// 15 ms of CPU whatever it holds (a term dictionary per field, found with `perf` at
    /// 100,000 items), so two threads made two segments of most small commits (8 writers
    /// published 102 items/s with two, 163 with one). Bulk work (`reindex`, `import`) takes as
    /// many threads as there are cores, up to two. (tantivy's writer cannot change its thread
    /// count, and reopening it would let go of the index's lock, which another process could
    /// take meanwhile.)
    pub fn start(search_index: &SearchIndex, bulk: bool) -> Result<Indexer> {
        let threads = if bulk {
            std::thread::available_parallelism()
                .map_or(1, usize::from)
                .min(MAX_INDEXING_THREADS)
        } else {
            1
        };
        Self::start_with_threads(search_index, threads)
    }

    /// Like `start`, with `threads` indexing threads (each batch's documents are spread over
    /// them, so one thread keeps a batch in one segment).
    pub fn start_with_threads(search_index: &SearchIndex, threads: usize) -> Result<Indexer> {
        let options = IndexWriterOptions::builder()
            .memory_budget_per_thread(WRITER_MEMORY_BYTES)
            .num_worker_threads(threads.max(1))
            .num_merge_threads(1)
            .build();
        let writer: IndexWriter =
            search_index
                .index
                .writer_with_options(options)
                .map_err(|error| match error {
                    tantivy::TantivyError::LockFailure(..) => Error::Locked,
                    other => Error::Tantivy(other),
                })?;
        // Merges small segments as they pile up, so single writes never leave thousands.
        writer.set_merge_policy(Box::new(LogMergePolicy::default()));
        let reader = search_index.reader.clone();
        let fields = search_index.fields;
        let last_seq = search_index.last_seq()?.unwrap_or(0);
        let (sender, receiver) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("search-indexer".into())
            .spawn(move || run(writer, reader, fields, receiver, last_seq))
            .map_err(|error| {
                Error::Directory(format!("failed to start the indexer thread: {error}"))
            })?;
        Ok(Indexer {
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    fn submit(
        &self,
        changes: Vec<Change>,
        seq: Option<i64>,
        replace_all: bool,
    ) -> Result<oneshot::Receiver<Result<(), String>>> {
        self.send(changes, seq, replace_all, true)
    }

    fn send(
        &self,
        changes: Vec<Change>,
        seq: Option<i64>,
        replace_all: bool,
        commit: bool,
    ) -> Result<oneshot::Receiver<Result<(), String>>> {
        let (done, receiver) = oneshot::channel();
        let sender = self.sender.as_ref().ok_or(Error::WriterStopped)?;
        sender
            .send(Job {
                changes,
                seq,
                replace_all,
                commit,
                done,
            })
            .map_err(|_| Error::WriterStopped)?;
        Ok(receiver)
    }

    /// Applies `changes` and returns once they are committed and searchable.
    pub async fn apply(&self, changes: Vec<Change>, seq: Option<i64>) -> Result<()> {
        let receiver = self.submit(changes, seq, false)?;
        receiver
            .await
            .map_err(|_| Error::WriterStopped)?
            .map_err(Error::Directory)
    }

    /// Replaces the whole index with `documents` (a rebuild), recording `seq`.
    pub async fn replace_all(&self, documents: Vec<Document>, seq: i64) -> Result<()> {
        let receiver = self.submit(
            documents
                .into_iter()
                .map(|document| Change::Upsert(Box::new(document)))
                .collect(),
            Some(seq),
            true,
        )?;
        receiver
            .await
            .map_err(|_| Error::WriterStopped)?
            .map_err(Error::Directory)
    }

    /// Hands `changes` to the writer without committing them: a bulk load stages its batches
    /// (the first with `replace_all` for a rebuild) while it reads the next, and commits once
    /// at the end with `apply`. Nothing staged is searchable, or recorded as applied, before
    /// that commit; a crash before it loses only the staged batches, which the next start
    /// rebuilds.
    pub fn stage(&self, changes: Vec<Change>, replace_all: bool) -> Result<Staged> {
        self.send(changes, None, replace_all, false).map(Staged)
    }

    /// Like `apply`, for callers outside an async runtime (the command line).
    pub fn apply_blocking(
        &self,
        changes: Vec<Change>,
        seq: Option<i64>,
        replace_all: bool,
    ) -> Result<()> {
        let receiver = self.submit(changes, seq, replace_all)?;
        receiver
            .blocking_recv()
            .map_err(|_| Error::WriterStopped)?
            .map_err(Error::Directory)
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        drop(self.sender.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(
    mut writer: IndexWriter,
    reader: IndexReader,
    fields: Fields,
    receiver: mpsc::Receiver<Job>,
    mut last_seq: i64,
) {
    // The version of every item this process has indexed, newest wins.
    let mut versions: HashMap<String, i64> = HashMap::new();
    while let Ok(first) = receiver.recv() {
        let mut jobs = vec![first];
        while let Ok(more) = receiver.try_recv() {
            jobs.push(more);
        }
        let commit = jobs.iter().any(|job| job.commit);
        let outcome = apply_batch(&mut writer, &fields, &jobs, &mut last_seq, &mut versions)
            .and_then(|()| {
                if commit {
                    let mut commit = writer.prepare_commit()?;
                    commit.set_payload(&SearchIndex::payload(last_seq));
                    commit.commit()?;
                    reader.reload()?;
                }
                Ok(())
            })
            .map_err(|error| error.to_string());
        if let Err(error) = &outcome {
            tracing::error!(%error, "failed to commit a batch to the search index");
        }
        for job in jobs {
            let _ = job.done.send(outcome.clone());
        }
    }
    if let Err(error) = writer.wait_merging_threads() {
        tracing::warn!(%error, "search index merges did not finish cleanly");
    }
}

fn apply_batch(
    writer: &mut IndexWriter,
    fields: &Fields,
    jobs: &[Job],
    last_seq: &mut i64,
    versions: &mut HashMap<String, i64>,
) -> tantivy::Result<()> {
    for job in jobs {
        if job.replace_all {
            writer.delete_all_documents()?;
            versions.clear();
        }
        for change in &job.changes {
            let (id, version) = change.id_and_version();
            if versions.get(id).is_some_and(|applied| version < *applied) {
                continue;
            }
            versions.insert(id.to_owned(), version);
            match change {
                Change::Upsert(document) => {
                    writer.delete_term(Term::from_field_text(fields.id, &document.id));
                    writer.add_document(tantivy_document(fields, document))?;
                }
                Change::Delete { id, .. } => {
                    writer.delete_term(Term::from_field_text(fields.id, id));
                }
            }
        }
        if let Some(seq) = job.seq {
            *last_seq = (*last_seq).max(seq);
        }
    }
    Ok(())
}
