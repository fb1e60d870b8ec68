//! Following the change log: every write's own index update (`sync`), the catch-up at start,
//! the follower that applies other processes' writes (told by PostgreSQL's notifications, and
//! polling in case one is lost), and the rebuild from the tables. `progress` says which
//! numbers are applied and which are still waited for.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Instant;

use entities::{change_log, content};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use search::{Change, OpenState};

use super::documents::{changes_for, documents_for};
use super::{REBUILD_BATCH, REBUILD_OVERLAP, REPLAY_BATCH};
use crate::error::{Error, Result};
use crate::service::content::Status;
use crate::state::AppState;

/// Brings the index up to date with the items `ids` after this process's change `seq`
/// (claimed before its commit), and waits until the change is searchable. Answers whether it
/// is. When it is not (indexing is deferred, another process holds the index, or indexing
/// failed: logged, not returned, since the write itself is durable), the claim is dropped and
/// the follower applies the change instead.
pub async fn sync(state: &AppState, ids: &[String], seq: i64) -> bool {
    let outcome = async {
        let Some(indexer) = &state.search.indexer else {
            return Ok(false);
        };
        if state.search.deferred.load(Ordering::Acquire) {
            return Ok(false);
        }
        let changes = changes_for(state.db.connection(), &state.reference, ids).await?;
        if !changes.is_empty() {
            let settled = state.search.progress().settled();
            indexer
                .apply(changes, Some(settled))
                .await
                .map_err(|error| Error::Internal(error.into()))?;
        }
        // (A draft that was never published is not in the index: nothing to commit.)
        Ok::<bool, Error>(true)
    }
    .await;
    match outcome {
        Ok(true) => {
            state.search.progress().mark_applied([seq]);
            true
        }
        Ok(false) => {
            state.search.unclaim_own(seq);
            state.cluster.changes.notify_one();
            false
        }
        Err(error) => {
            tracing::error!(
                ?error,
                seq,
                "failed to index a change; the follower will retry it"
            );
            state.search.unclaim_own(seq);
            state.cluster.changes.notify_one();
            false
        }
    }
}

/// Brings the index up to date after start, then follows the change log; `/readyz` says
/// ready once the first catch-up is done.
pub async fn run(state: AppState) {
    if state.search.indexer.is_none() {
        state.search.mark_ready();
        return;
    }
    let poll = state.cluster.settings.change_poll;
    state
        .search
        .progress()
        .set_stale_after((3 * poll).max(std::time::Duration::from_secs(3)));
    // Not ready until caught up: a load balancer must not send traffic to a node whose
    // index misses what the database holds.
    while let Err(error) = catch_up(&state).await {
        tracing::error!(
            ?error,
            "the search index could not catch up with the database; trying again"
        );
        tokio::time::sleep(poll).await;
    }
    state.search.mark_ready();
    loop {
        // Woken by a notification (several arriving meanwhile wake it once: one group
        // commit for all), or by the poll when notifications are lost or not available.
        let _ = tokio::time::timeout(poll, state.cluster.changes.notified()).await;
        if let Err(error) = replay(&state).await {
            tracing::warn!(?error, "following the change log failed; retrying");
        }
    }
}

/// Brings the index up to date once: a rebuild when it was found fresh (or behind what
/// compaction kept of the log), a replay of the change log after its last commit otherwise.
pub async fn catch_up(state: &AppState) -> Result<()> {
    match state.search.open_state {
        OpenState::Fresh => {
            tracing::info!("building the search index from the database");
            rebuild(state, |_, _| {}).await
        }
        OpenState::Existing { .. } => replay(state).await,
    }
}

/// Applies every change-log entry after the settled point that is not applied yet, in
/// batches, one index commit per batch; rebuilds instead when compaction removed entries
/// this index still needed.
pub async fn replay(state: &AppState) -> Result<()> {
    let Some(indexer) = &state.search.indexer else {
        return Ok(());
    };
    let connection = state.db.connection();
    let started = Instant::now();
    // Every transaction with an id below this had ended before the reads below began.
    let finished_below = oldest_running_transaction(connection).await?;
    let mut after = state.search.progress().settled();
    loop {
        let rows = change_log::Entity::find()
            .filter(change_log::Column::Seq.gt(after))
            .order_by_asc(change_log::Column::Seq)
            .limit(REPLAY_BATCH)
            .all(connection)
            .await?;
        let settled = state.search.progress().settled();
        if after == settled && rows.first().is_some_and(|row| row.seq > settled + 1) {
            let trimmed = crate::service::cluster::trimmed_seq(connection).await?;
            state.search.note_trimmed(trimmed);
            if trimmed > settled {
                tracing::warn!(
                    settled,
                    trimmed,
                    "the change log was trimmed past this index; rebuilding it from the tables"
                );
                return rebuild_while_serving(state).await;
            }
        }
        let Some(last) = rows.last().map(|row| row.seq) else {
            break;
        };
        // What this process is writing is left to its write (which indexes and announces it,
        // or drops its claim). Publications made by other processes are announced to this
        // node's subscribers once the index holds them. Decided under one look at the
        // progress, so that a write settling meanwhile is neither applied nor announced twice.
        let (pending, announced): (Vec<&change_log::Model>, Vec<&str>) = {
            let progress = state.search.progress();
            let pending: Vec<&change_log::Model> = rows
                .iter()
                .filter(|row| !progress.is_applied(row.seq) && !progress.is_own(row.seq))
                .collect();
            let announced = pending
                .iter()
                .filter(|row| row.published)
                .map(|row| row.content_id.as_str())
                .collect();
            (pending, announced)
        };
        // A number missing from this read was taken by a transaction that has not committed
        // (or never will): one whose id is below a transaction id assigned now.
        let missing = {
            let progress = state.search.progress();
            progress.missing_in(&rows, after)
        };
        let horizon = if missing {
            newest_transaction_id(connection).await?
        } else {
            None
        };
        if !pending.is_empty() {
            let mut ids: Vec<String> = pending.iter().map(|row| row.content_id.clone()).collect();
            ids.sort();
            ids.dedup();
            let changes = changes_for(connection, &state.reference, &ids).await?;
            if !changes.is_empty() {
                indexer
                    .apply(changes, Some(settled))
                    .await
                    .map_err(|error| Error::Internal(error.into()))?;
            }
        }
        {
            let mut progress = state.search.progress();
            progress.mark_applied(pending.iter().map(|row| row.seq));
            let seen: BTreeSet<i64> = rows.iter().map(|row| row.seq).collect();
            progress.note_read(&seen, after, last, horizon);
        }
        for id in announced {
            state.live.published(id);
        }
        after = last;
        if (rows.len() as u64) < REPLAY_BATCH {
            break;
        }
    }
    let mut progress = state.search.progress();
    if let Some(finished_below) = finished_below {
        progress.close_gaps(finished_below);
    }
    progress.caught_up(started);
    Ok(())
}

/// A rebuild on a node that serves: not ready meanwhile (a load balancer sends traffic
/// elsewhere), and writes leave their indexing to the replay that ends the rebuild, so no
/// commit exposes a half-built index.
async fn rebuild_while_serving(state: &AppState) -> Result<()> {
    state.search.ready.send_replace(false);
    state.search.defer_indexing(true);
    let outcome = rebuild(state, |_, _| {}).await;
    state.search.defer_indexing(false);
    let outcome = match outcome {
        // What was written while deferred.
        Ok(()) => Box::pin(replay(state)).await,
        Err(error) => Err(error),
    };
    state.search.mark_ready();
    outcome
}

/// PostgreSQL's oldest running transaction (a snapshot's `xmin`), as a 64-bit id: every
/// transaction below it has ended. `None` under SQLite, which commits one writer at a time.
async fn oldest_running_transaction(connection: &impl ConnectionTrait) -> Result<Option<i64>> {
    transaction_id(
        connection,
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS id",
    )
    .await
}

/// A transaction id assigned now (in a statement of its own, so committed at once): above
/// the id of every transaction that had one before. Writers take theirs before they take a
/// change-log number (`content::write::append_change`).
async fn newest_transaction_id(connection: &impl ConnectionTrait) -> Result<Option<i64>> {
    transaction_id(
        connection,
        "SELECT pg_current_xact_id()::text::bigint AS id",
    )
    .await
}

async fn transaction_id(connection: &impl ConnectionTrait, sql: &str) -> Result<Option<i64>> {
    if connection.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(None);
    }
    let statement = Statement::from_string(DatabaseBackend::Postgres, sql.to_owned());
    let row = connection
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("no transaction id")))?;
    Ok(Some(row.try_get::<i64>("", "id")?))
}

/// Rebuilds the index from the database: every published item, in batches, reporting
/// progress as (done, total).
pub async fn rebuild(state: &AppState, progress: impl Fn(u64, u64)) -> Result<()> {
    let Some(indexer) = &state.search.indexer else {
        return Err(Error::Internal(anyhow::anyhow!(
            "the search index is locked by another process (is a server running?)"
        )));
    };
    state.search.rebuilds.fetch_add(1, Ordering::Relaxed);
    // The log's newest entries are read before the items: a change committed meanwhile, or
    // one whose transaction was still open, is then replayed after rather than lost.
    let newest_seq: i64 = change_log::Entity::find()
        .select_only()
        .column_as(change_log::Column::Seq.max(), "seq")
        .into_tuple::<Option<i64>>()
        .one(state.db.connection())
        .await?
        .flatten()
        .unwrap_or(0);
    // Entries up to the trimmed point are gone from the log; the tables hold what they did.
    let trimmed = crate::service::cluster::trimmed_seq(state.db.connection()).await?;
    state.search.note_trimmed(trimmed);
    let newest_seq = newest_seq.max(trimmed);
    let overlap_from = (newest_seq - REBUILD_OVERLAP).max(trimmed);
    let present: Vec<i64> = change_log::Entity::find()
        .select_only()
        .column(change_log::Column::Seq)
        .filter(change_log::Column::Seq.gt(overlap_from))
        .into_tuple::<i64>()
        .all(state.db.connection())
        .await?;
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
    // Recorded with the commit: where a restart would replay from, were this the last.
    match staged {
        Some(last) => {
            last.wait().await.map_err(internal)?;
            indexer
                .apply(Vec::new(), Some(overlap_from))
                .await
                .map_err(internal)?;
        }
        None => indexer
            .replace_all(Vec::new(), overlap_from)
            .await
            .map_err(internal)?,
    }
    state.search.progress().restart_from(
        overlap_from,
        present.into_iter().filter(|seq| *seq <= newest_seq),
    );
    Box::pin(replay(state)).await?;
    // One more commit records how far the replay settled.
    let settled = state.search.progress().settled();
    indexer
        .apply(Vec::new(), Some(settled))
        .await
        .map_err(internal)
}
