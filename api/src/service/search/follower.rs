//! Following the change log: every write's own index update (`sync`), the catch-up at start,
//! the poller that picks up other processes' writes, and the rebuild from the tables.

use std::sync::atomic::Ordering;

use entities::{change_log, content};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use search::{Change, OpenState};

use super::documents::{changes_for, documents_for};
use super::{POLL_INTERVAL, REBUILD_BATCH, REPLAY_WINDOW};
use crate::error::{Error, Result};
use crate::service::content::Status;
use crate::state::AppState;

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
        || content::Entity::find().filter(content::Column::Status.eq(Status::Published.as_str()));
    let total = sea_orm::PaginatorTrait::count(published(), state.db.connection()).await?;
    // Batches by id (a keyset, not an offset: each batch costs the same however far in),
    // staged without a commit while the next batch is read; one commit at the end.
    let internal = |error: search::Error| Error::Internal(error.into());
    let mut done = 0;
    let mut last_id: Option<String> = None;
    let mut staged: Option<search::Staged> = None;
    loop {
        let mut batch = published().order_by_asc(content::Column::Id);
        if let Some(last_id) = &last_id {
            batch = batch.filter(content::Column::Id.gt(last_id.clone()));
        }
        let rows = batch
            .limit(REBUILD_BATCH)
            .all(state.db.connection())
            .await?;
        let Some(last) = rows.last() else { break };
        last_id = Some(last.id.clone());
        let documents = documents_for(state.db.connection(), &state.reference, rows).await?;
        done += documents.len() as u64;
        let first = done == documents.len() as u64;
        if let Some(previous) = staged.take() {
            previous.wait().await.map_err(internal)?;
        }
        let changes = documents
            .into_iter()
            .map(|document| Change::Upsert(Box::new(document)))
            .collect();
        // The first batch clears the index.
        staged = Some(indexer.stage(changes, first).map_err(internal)?);
        progress(done, total);
    }
    match staged {
        Some(last) => {
            last.wait().await.map_err(internal)?;
            indexer
                .apply(Vec::new(), Some(newest_seq))
                .await
                .map_err(internal)?;
        }
        None => indexer
            .replace_all(Vec::new(), newest_seq)
            .await
            .map_err(internal)?,
    }
    replay(state, newest_seq).await?;
    Ok(())
}
