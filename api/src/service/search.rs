//! Keeping the search index in step with the database, and searching it.
//!
//! The database is the truth; the index is a derived copy. Every content write commits its
//! transaction (with its change-log row) and then hands the item to the index writer, and
//! returns only once the index has committed it: what a mutation wrote is searchable when it
//! returns. At start the index replays the change log after the sequence number its last
//! commit recorded (or is rebuilt when missing, corrupt or built by another analyzer), and a
//! poller follows changes other processes make (other API nodes, the command line).

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use entities::{
    change_log, content, content_countries, content_sectors, content_tags, content_translations,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use search::{Change, Document, Indexer, OpenState, SearchIndex, Text};

use super::content::{Status, load_records};
use crate::error::{Error, Result};
use crate::reference::Reference;
use crate::state::AppState;

/// Change-log rows below the newest applied one that are still looked at again: under
/// PostgreSQL, transactions can commit in another order than their sequence numbers.
const REPLAY_WINDOW: i64 = 1_000;
/// How often the poller looks for changes made by other processes.
const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Items per rebuild batch.
const REBUILD_BATCH: u64 = 500;

pub struct SearchService {
    pub index: SearchIndex,
    /// `None` when another process holds the index's writer lock (the command line while a
    /// server runs): that process's index then follows this one's writes through the change log.
    indexer: Option<Indexer>,
    open_state: OpenState,
    ready: tokio::sync::watch::Sender<bool>,
    /// While set, writes leave indexing to a later `replay` (bulk loads such as the demo seed).
    deferred: AtomicBool,
    /// Sequence numbers applied recently, so the poller skips what the write path did.
    applied: Mutex<BTreeSet<i64>>,
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

    fn mark_ready(&self) {
        self.ready.send_replace(true);
    }

    /// Leaves indexing of writes to a later `replay` while `deferred` (for bulk loads).
    pub fn defer_indexing(&self, deferred: bool) {
        self.deferred.store(deferred, Ordering::Release);
    }

    pub fn has_writer(&self) -> bool {
        self.indexer.is_some()
    }

    fn remember(&self, seqs: impl IntoIterator<Item = i64>) {
        if let Ok(mut applied) = self.applied.lock() {
            applied.extend(seqs);
            if let Some(&newest) = applied.iter().next_back() {
                let keep_from = newest - 2 * REPLAY_WINDOW;
                *applied = applied.split_off(&keep_from);
            }
        }
    }

    fn was_applied(&self, seq: i64) -> bool {
        self.applied
            .lock()
            .map(|applied| applied.contains(&seq))
            .unwrap_or(false)
    }
}

/// Brings the index up to date with the items `ids` after the change `seq`, and waits until
/// the change is searchable. A failure is logged, not returned: the write itself is durable,
/// and the poller (or the next start) repairs the index from the change log.
pub async fn sync(state: &AppState, ids: &[String], seq: i64) {
    let Some(indexer) = &state.search.indexer else {
        return;
    };
    if state.search.deferred.load(Ordering::Acquire) {
        return;
    }
    let outcome = async {
        let changes = changes_for(state.db.connection(), &state.reference, ids).await?;
        if changes.is_empty() {
            // A draft that was never published is not in the index: nothing to commit.
            return Ok(());
        }
        indexer
            .apply(changes, Some(seq))
            .await
            .map_err(|error| Error::Internal(error.into()))
    }
    .await;
    match outcome {
        Ok(()) => state.search.remember([seq]),
        Err(error) => tracing::error!(
            ?error,
            seq,
            "failed to index a change; the poller will retry it"
        ),
    }
}

/// Brings the index up to date after start, then follows the change log; `/readyz` says
/// ready once the first catch-up is done.
pub async fn run(state: AppState) {
    if state.search.indexer.is_none() {
        state.search.mark_ready();
        return;
    }
    if let Err(error) = catch_up(&state).await {
        tracing::error!(
            ?error,
            "the search index could not catch up with the database; it will keep trying"
        );
    }
    state.search.mark_ready();
    let mut watermark = state.search.index.last_seq().ok().flatten().unwrap_or(0);
    loop {
        tokio::time::sleep(POLL_INTERVAL).await;
        match replay(&state, watermark).await {
            Ok(newest) => watermark = watermark.max(newest),
            Err(error) => tracing::warn!(?error, "following the change log failed; retrying"),
        }
    }
}

/// Brings the index up to date once: a rebuild when it was found fresh, a replay of the
/// change log after its last commit otherwise.
pub async fn catch_up(state: &AppState) -> Result<()> {
    match state.search.open_state {
        OpenState::Fresh => {
            tracing::info!("building the search index from the database");
            rebuild(state, |_, _| {}).await
        }
        OpenState::Existing { last_seq } => replay(state, last_seq).await.map(|_| ()),
    }
}

/// Re-applies every change after `after_seq` (and, within the replay window, any earlier one
/// not yet applied). Returns the newest sequence number seen.
pub async fn replay(state: &AppState, after_seq: i64) -> Result<i64> {
    let Some(indexer) = &state.search.indexer else {
        return Ok(after_seq);
    };
    let rows = change_log::Entity::find()
        .filter(change_log::Column::Seq.gt(after_seq - REPLAY_WINDOW))
        .order_by_asc(change_log::Column::Seq)
        .all(state.db.connection())
        .await?;
    let pending: Vec<&change_log::Model> = rows
        .iter()
        .filter(|row| !state.search.was_applied(row.seq))
        .collect();
    let Some(newest) = pending.iter().map(|row| row.seq).max() else {
        return Ok(after_seq);
    };
    let mut ids: Vec<String> = pending.iter().map(|row| row.content_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let changes = changes_for(state.db.connection(), &state.reference, &ids).await?;
    if changes.is_empty() {
        state.search.remember(pending.iter().map(|row| row.seq));
        return Ok(newest.max(after_seq));
    }
    indexer
        .apply(changes, Some(newest))
        .await
        .map_err(|error| Error::Internal(error.into()))?;
    state.search.remember(pending.iter().map(|row| row.seq));
    Ok(newest.max(after_seq))
}

/// Rebuilds the index from the database: every published item, in batches, reporting
/// progress as (done, total).
pub async fn rebuild(state: &AppState, progress: impl Fn(u64, u64)) -> Result<()> {
    let Some(indexer) = &state.search.indexer else {
        return Err(Error::Internal(anyhow::anyhow!(
            "the search index is locked by another process (is a server running?)"
        )));
    };
    // The sequence number is read before the items: a change committed meanwhile is then
    // replayed below rather than lost.
    let newest_seq: i64 = change_log::Entity::find()
        .select_only()
        .column_as(change_log::Column::Seq.max(), "seq")
        .into_tuple::<Option<i64>>()
        .one(state.db.connection())
        .await?
        .flatten()
        .unwrap_or(0);
    let published =
        content::Entity::find().filter(content::Column::Status.eq(Status::Published.as_str()));
    let total = sea_orm::PaginatorTrait::count(published.clone(), state.db.connection()).await?;
    let mut done = 0;
    let mut first_batch = true;
    let mut pages = sea_orm::PaginatorTrait::paginate(
        published.order_by_asc(content::Column::Id),
        state.db.connection(),
        REBUILD_BATCH,
    );
    loop {
        let rows = pages.fetch_and_next().await?;
        let Some(rows) = rows else { break };
        let documents = documents_for(state.db.connection(), &state.reference, rows).await?;
        done += documents.len() as u64;
        if first_batch {
            indexer
                .replace_all(documents, newest_seq)
                .await
                .map_err(|error| Error::Internal(error.into()))?;
            first_batch = false;
        } else {
            indexer
                .apply(
                    documents
                        .into_iter()
                        .map(|document| Change::Upsert(Box::new(document)))
                        .collect(),
                    Some(newest_seq),
                )
                .await
                .map_err(|error| Error::Internal(error.into()))?;
        }
        progress(done, total);
    }
    if first_batch {
        indexer
            .replace_all(Vec::new(), newest_seq)
            .await
            .map_err(|error| Error::Internal(error.into()))?;
    }
    replay(state, newest_seq).await?;
    Ok(())
}

/// The index changes that bring the items `ids` up to date: published items are upserted,
/// all others (and missing ones) deleted.
pub async fn changes_for(
    connection: &impl ConnectionTrait,
    reference: &Reference,
    ids: &[String],
) -> Result<Vec<Change>> {
    let rows = content::Entity::find()
        .filter(content::Column::Id.is_in(ids.to_vec()))
        .all(connection)
        .await?;
    let mut deleted: Vec<Change> = ids
        .iter()
        .filter(|id| !rows.iter().any(|row| &row.id == *id))
        .map(|id| Change::Delete {
            id: id.clone(),
            version: i64::MAX,
        })
        .collect();
    let (published, unpublished): (Vec<content::Model>, Vec<content::Model>) = rows
        .into_iter()
        .partition(|row| row.status == Status::Published.as_str());
    // Only what was once published can be in the index; a draft that never was costs no
    // index commit.
    deleted.extend(
        unpublished
            .into_iter()
            .filter(|row| row.published_at.is_some())
            .map(|row| Change::Delete {
                id: row.id,
                version: row.updated_at.timestamp_micros(),
            }),
    );
    let mut changes: Vec<Change> = documents_for(connection, reference, published)
        .await?
        .into_iter()
        .map(|document| Change::Upsert(Box::new(document)))
        .collect();
    changes.extend(deleted);
    Ok(changes)
}

/// Groups `(content id, value)` pairs by content id.
fn by_content<V>(pairs: impl IntoIterator<Item = (String, V)>) -> HashMap<String, Vec<V>> {
    let mut groups: HashMap<String, Vec<V>> = HashMap::new();
    for (id, value) in pairs {
        groups.entry(id).or_default().push(value);
    }
    groups
}

pub fn today_days() -> i64 {
    crate::kinds::days_since_epoch(Utc::now().date_naive())
}

async fn documents_for(
    connection: &impl ConnectionTrait,
    reference: &Reference,
    rows: Vec<content::Model>,
) -> Result<Vec<Document>> {
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut countries = by_content(
        content_countries::Entity::find()
            .filter(content_countries::Column::ContentId.is_in(ids.clone()))
            .all(connection)
            .await?
            .into_iter()
            .map(|row| (row.content_id, row.country_code)),
    );
    let mut sectors = by_content(
        content_sectors::Entity::find()
            .filter(content_sectors::Column::ContentId.is_in(ids.clone()))
            .all(connection)
            .await?
            .into_iter()
            .map(|row| (row.content_id, row.sector_code)),
    );
    let mut tags = by_content(
        content_tags::Entity::find()
            .filter(content_tags::Column::ContentId.is_in(ids.clone()))
            .all(connection)
            .await?
            .into_iter()
            .map(|row| (row.content_id, row.tag)),
    );
    let mut translations = by_content(
        content_translations::Entity::find()
            .filter(content_translations::Column::ContentId.is_in(ids))
            .all(connection)
            .await?
            .into_iter()
            .map(|row| (row.content_id.clone(), row)),
    );
    let records = load_records(connection, rows).await?;
    Ok(records
        .into_iter()
        .map(|record| {
            let id = record.core.id.clone();
            let sectors = sectors.remove(&id).unwrap_or_default();
            let mut sector_scope = sectors.clone();
            for code in &sectors {
                if let Some(parent) = reference
                    .sector(code)
                    .and_then(|sector| sector.parent_code.clone())
                    && !sector_scope.contains(&parent)
                {
                    sector_scope.push(parent);
                }
            }
            let mut texts = vec![Text {
                language: record.core.language.clone(),
                title: record.core.title.clone(),
                summary: record.core.summary.clone(),
                body: record.core.body.clone(),
            }];
            texts.extend(
                translations
                    .remove(&id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|row| Text {
                        language: row.language,
                        title: row.title,
                        summary: row.summary,
                        body: row.body,
                    }),
            );
            let mut document = Document {
                id: id.clone(),
                version: record.core.updated_at.timestamp_micros(),
                kind: record.kind().as_str().to_owned(),
                visibility: record.visibility().as_str().to_owned(),
                author_id: record.core.author_id.clone(),
                language: record.core.language.clone(),
                texts,
                countries: countries.remove(&id).unwrap_or_default(),
                sectors,
                sector_scope,
                tags: tags.remove(&id).unwrap_or_default(),
                opportunity_type: None,
                currency: None,
                published_at_micros: record
                    .core
                    .published_at
                    .unwrap_or(record.core.listed_at)
                    .timestamp_micros(),
                deadline_days: None,
                amount_min: None,
                amount_max: None,
                starts_at_micros: None,
            };
            record.index_details(&mut document);
            document
        })
        .collect())
}

/// A page of search results as the caller may see them.
pub struct SearchPage {
    pub total: usize,
    pub facets: search::Facets,
    pub hits: Vec<(super::content::ContentRecord, search::Hit)>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// Runs `request` for `caller`. Visibility is decided here, in the query the index runs, so
/// hits, totals, facets and highlights are all computed over what the caller may see.
pub async fn search(
    state: &AppState,
    caller: &crate::auth::Caller,
    mut request: search::Request,
) -> Result<SearchPage> {
    crate::service::access::search_scope(&caller.audience, &mut request);
    request.today_days = today_days();
    let has_previous_page = request.after.is_some();
    let service = state.search.clone();
    let results = tokio::task::spawn_blocking(move || service.index.search(&request))
        .await
        .map_err(|error| Error::Internal(error.into()))?
        .map_err(|error| match error {
            search::Error::InvalidCursor => {
                Error::bad_input("after", "not a cursor of this search")
            }
            other => Error::Internal(other.into()),
        })?;
    // The items themselves come from the database, read with the caller's visibility, so
    // nothing the index might hold by mistake reaches a caller who may not see it.
    let ids: Vec<String> = results.hits.iter().map(|hit| hit.id.clone()).collect();
    let rows = content::Entity::find()
        .filter(content::Column::Id.is_in(ids))
        .filter(crate::service::access::content_rows(&caller.audience))
        .all(state.db.connection())
        .await?;
    let mut records: HashMap<String, super::content::ContentRecord> =
        load_records(state.db.connection(), rows)
            .await?
            .into_iter()
            .map(|record| (record.core.id.clone(), record))
            .collect();
    let hits = results
        .hits
        .into_iter()
        .filter_map(|hit| match records.remove(&hit.id) {
            Some(record) => Some((record, hit)),
            None => {
                tracing::warn!(id = %hit.id, "a search hit is not readable in the database; the index will catch up");
                None
            }
        })
        .collect();
    Ok(SearchPage {
        total: results.total,
        facets: results.facets,
        hits,
        has_next_page: results.has_next_page,
        has_previous_page,
    })
}
