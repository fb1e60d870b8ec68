//! Several API nodes on one database acting as one: each node's identity and heartbeat, the
//! notifications that tell every node of a change at once (PostgreSQL's LISTEN/NOTIFY), the
//! happenings relayed to the node that holds a subscriber's websocket, the change log's
//! compaction, and the settings every node must share (the token-signing secret).
//!
//! A single node (SQLite, or PostgreSQL with one server) runs the same code: it is a cluster
//! of one, whose change log is compacted the same way.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use entities::{change_log, cluster_nodes, cluster_settings};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set, Statement,
};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::service::live::Happening;
use crate::state::AppState;

/// The PostgreSQL channel a change-log append notifies (by a trigger, at commit).
const CHANGES_CHANNEL: &str = "infoharbor_changes";
/// The PostgreSQL channel happenings travel on between nodes.
const LIVE_CHANNEL: &str = "infoharbor_live";
/// `cluster_settings` names.
const TRIMMED_SEQ: &str = "change_log_trimmed_seq";
const JWT_SECRET: &str = "jwt_secret";
/// Happenings waiting to be relayed; beyond this they are dropped (subscriptions are told
/// what happens while they listen, with no promise across a flood).
const RELAY_BACKLOG: usize = 10_000;

/// How the nodes follow each other (`serve` flags).
#[derive(Debug, Clone)]
pub struct ClusterSettings {
    /// How often the change log is read when no notification came.
    pub change_poll: Duration,
    /// How far behind a node may be and still answer `/readyz` with 200.
    pub max_lag: Duration,
    /// Change-log entries younger than this are kept.
    pub retention: Duration,
    /// A node not heard from for this long no longer holds back compaction.
    pub node_timeout: Duration,
    /// How often a node compacts the change log.
    pub compact_every: Duration,
}

impl Default for ClusterSettings {
    /// The `serve` flags' defaults.
    fn default() -> Self {
        crate::config::ServeConfig::default().cluster()
    }
}

/// This node in its cluster.
pub struct Cluster {
    /// Kept in the data dir, so a restarted node is the same node.
    pub node_id: String,
    pub settings: ClusterSettings,
    /// Woken when a change is announced.
    pub changes: tokio::sync::Notify,
    address: std::sync::OnceLock<String>,
}

impl Cluster {
    pub fn new(node_id: String, settings: ClusterSettings) -> Self {
        Self {
            node_id,
            settings,
            changes: tokio::sync::Notify::new(),
            address: std::sync::OnceLock::new(),
        }
    }

    /// The address this node serves on, for operators reading `cluster_nodes`.
    pub fn set_address(&self, address: String) {
        let _ = self.address.set(address);
    }
}

impl Default for Cluster {
    /// A command-line process: not a serving node, never registered.
    fn default() -> Self {
        Self::new(uuid::Uuid::new_v4().to_string(), ClusterSettings::default())
    }
}

/// This node's id from `<data-dir>/node-id`, made on first start.
pub fn node_id(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_owned()),
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(error).with_context(|| format!("failed to read {}", path.display()));
        }
    }
    let id = uuid::Uuid::new_v4().to_string();
    std::fs::write(&path, &id).with_context(|| format!("failed to write {}", path.display()))?;
    Ok(id)
}

/// Entries up to this one were removed from the change log by compaction.
pub async fn trimmed_seq(connection: &impl ConnectionTrait) -> Result<i64> {
    let setting = cluster_settings::Entity::find_by_id(TRIMMED_SEQ)
        .one(connection)
        .await?;
    Ok(setting
        .and_then(|setting| setting.value.parse().ok())
        .unwrap_or(0))
}

/// The token-signing secret every node shares: made by the first node to ask, kept in the
/// database (which already holds what the tokens guard).
pub async fn shared_secret(connection: &DatabaseConnection, fresh: String) -> Result<Vec<u8>> {
    cluster_settings::Entity::insert(cluster_settings::ActiveModel {
        name: Set(JWT_SECRET.to_owned()),
        value: Set(fresh),
    })
    .on_conflict(
        OnConflict::column(cluster_settings::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(connection)
    .await?;
    let stored = cluster_settings::Entity::find_by_id(JWT_SECRET)
        .one(connection)
        .await?
        .ok_or_else(|| {
            crate::error::Error::Internal(anyhow::anyhow!("the shared secret was not stored"))
        })?;
    Ok(stored.value.into_bytes())
}

/// Starts what a serving node runs beside its requests: the heartbeat and compaction, and
/// under PostgreSQL the listener and the relay of happenings.
pub fn start(state: &AppState) {
    use crate::db::in_background;
    if state.search.has_writer() {
        // A node that follows the log reports how far; one that does not (its index is held
        // by another process) must not hold compaction back.
        tokio::spawn(in_background(maintain(state.clone())));
    }
    if state.db.backend() == DatabaseBackend::Postgres {
        let (sender, receiver) = tokio::sync::mpsc::channel(RELAY_BACKLOG);
        state.live.relay_to(sender);
        tokio::spawn(in_background(relay(state.clone(), receiver)));
        tokio::spawn(in_background(listen(state.clone())));
    }
}

/// A happening on its way to the other nodes.
#[derive(Serialize, Deserialize)]
struct Relayed {
    node: String,
    happening: Happening,
}

/// Sends this node's happenings to the others through `LIVE_CHANNEL`.
async fn relay(state: AppState, mut receiver: tokio::sync::mpsc::Receiver<Happening>) {
    while let Some(happening) = receiver.recv().await {
        let payload = match serde_json::to_string(&Relayed {
            node: state.cluster.node_id.clone(),
            happening,
        }) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::error!(?error, "a happening could not be encoded");
                continue;
            }
        };
        let statement = Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [LIVE_CHANNEL.into(), payload.into()],
        );
        if let Err(error) = state.db.connection().execute_raw(statement).await {
            tracing::warn!(
                ?error,
                "a happening could not be relayed to the other nodes"
            );
        }
    }
}

/// Listens for the other nodes' changes and happenings; reconnects when the connection drops,
/// and then reads the change log once, since notifications sent meanwhile are lost.
async fn listen(state: AppState) {
    loop {
        let Err(error) = listen_once(&state).await;
        tracing::warn!(
            ?error,
            "listening for other nodes' changes failed; polling until it reconnects"
        );
        tokio::time::sleep(state.cluster.settings.change_poll).await;
    }
}

async fn listen_once(
    state: &AppState,
) -> std::result::Result<std::convert::Infallible, sea_orm::sqlx::Error> {
    let pool = state.db.connection().get_postgres_connection_pool();
    let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen_all([CHANGES_CHANNEL, LIVE_CHANNEL]).await?;
    // Whatever was announced before this listener was: read it now.
    state.cluster.changes.notify_one();
    loop {
        let Some(notification) = listener.try_recv().await? else {
            // The connection dropped and is made again on the next call: whatever was
            // announced meanwhile is lost, so read the log now.
            state.search.note_announced();
            state.cluster.changes.notify_one();
            continue;
        };
        if notification.channel() == CHANGES_CHANNEL {
            state.search.note_announced();
            state.cluster.changes.notify_one();
        } else if let Ok(relayed) = serde_json::from_str::<Relayed>(notification.payload())
            && relayed.node != state.cluster.node_id
        {
            state.live.deliver_here(relayed.happening);
        }
    }
}

/// The heartbeat (how far this node has applied the log, so that compaction keeps the rest)
/// and, now and then, compaction.
async fn maintain(state: AppState) {
    let settings = &state.cluster.settings;
    let beat_every =
        (settings.node_timeout / 3).clamp(Duration::from_millis(200), Duration::from_secs(10));
    let started_at = Utc::now();
    let mut last_compaction = tokio::time::Instant::now();
    loop {
        if let Err(error) = heartbeat(&state, started_at).await {
            tracing::warn!(?error, "the node's heartbeat could not be written");
        }
        if last_compaction.elapsed() >= settings.compact_every {
            last_compaction = tokio::time::Instant::now();
            match compact(&state).await {
                Ok(Some(trimmed)) => tracing::info!(trimmed, "compacted the change log"),
                Ok(None) => {}
                Err(error) => tracing::warn!(?error, "compacting the change log failed"),
            }
            if let Err(error) = state.throttle.forget_expired().await {
                tracing::warn!(?error, "forgetting expired throttle counts failed");
            }
        }
        tokio::time::sleep(beat_every.min(settings.compact_every)).await;
    }
}

async fn heartbeat(state: &AppState, started_at: chrono::DateTime<Utc>) -> Result<()> {
    let applied_seq = state.search.feed_status().applied_seq;
    // A write like any other: under SQLite it queues behind the requests' writers.
    let transaction = state.db.begin_write().await?;
    cluster_nodes::Entity::insert(cluster_nodes::ActiveModel {
        node_id: Set(state.cluster.node_id.clone()),
        applied_seq: Set(applied_seq),
        heartbeat_at: Set(Utc::now()),
        started_at: Set(started_at),
        address: Set(state.cluster.address.get().cloned()),
    })
    .on_conflict(
        OnConflict::column(cluster_nodes::Column::NodeId)
            .update_columns([
                cluster_nodes::Column::AppliedSeq,
                cluster_nodes::Column::HeartbeatAt,
                cluster_nodes::Column::StartedAt,
                cluster_nodes::Column::Address,
            ])
            .to_owned(),
    )
    .exec_without_returning(&*transaction)
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Change-log entries removed per transaction by compaction: a first compaction after weeks
/// must not hold the (SQLite) write lock for long.
const COMPACTION_CHUNK: i64 = 10_000;

/// Removes the change log's oldest entries: those older than the retention that every live
/// node (this one included) has applied, always keeping the newest entry. Returns the new
/// trimmed point when it moved.
pub async fn compact(state: &AppState) -> Result<Option<i64>> {
    let settings = &state.cluster.settings;
    let now = Utc::now();
    let before = |duration: Duration| {
        chrono::Duration::from_std(duration)
            .ok()
            .and_then(|duration| now.checked_sub_signed(duration))
            .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC)
    };
    let (live_since, kept_since) = (before(settings.node_timeout), before(settings.retention));
    let own = state.search.feed_status().applied_seq;
    let connection = state.db.connection();
    let newest: Option<i64> = change_log::Entity::find()
        .select_only()
        .column_as(change_log::Column::Seq.max(), "value")
        .into_tuple::<Option<i64>>()
        .one(connection)
        .await?
        .flatten();
    let Some(newest) = newest else {
        return Ok(None);
    };
    let needed_by_live: Option<i64> = cluster_nodes::Entity::find()
        .select_only()
        .column_as(cluster_nodes::Column::AppliedSeq.min(), "value")
        .filter(cluster_nodes::Column::HeartbeatAt.gte(live_since))
        .into_tuple::<Option<i64>>()
        .one(connection)
        .await?
        .flatten();
    let oldest_young: Option<i64> = change_log::Entity::find()
        .select_only()
        .column_as(change_log::Column::Seq.min(), "value")
        .filter(change_log::Column::CreatedAt.gte(kept_since))
        .into_tuple::<Option<i64>>()
        .one(connection)
        .await?
        .flatten();
    let mut cut = (newest - 1).min(own);
    if let Some(needed) = needed_by_live {
        cut = cut.min(needed);
    }
    if let Some(oldest_young) = oldest_young {
        cut = cut.min(oldest_young - 1);
    }
    let mut moved = None;
    loop {
        let transaction = state.db.begin_write().await?;
        if transaction.get_database_backend() == DatabaseBackend::Postgres {
            // One compaction at a time across the cluster (SQLite's writers queue anyway).
            transaction
                .execute_unprepared("SELECT pg_advisory_xact_lock(7158263)")
                .await?;
        }
        let trimmed = trimmed_seq(&*transaction).await?;
        if cut <= trimmed {
            break;
        }
        let upto = cut.min(trimmed.saturating_add(COMPACTION_CHUNK));
        change_log::Entity::delete_many()
            .filter(change_log::Column::Seq.lte(upto))
            .exec(&*transaction)
            .await?;
        cluster_settings::Entity::insert(cluster_settings::ActiveModel {
            name: Set(TRIMMED_SEQ.to_owned()),
            value: Set(upto.to_string()),
        })
        .on_conflict(
            OnConflict::column(cluster_settings::Column::Name)
                .update_column(cluster_settings::Column::Value)
                .to_owned(),
        )
        .exec_without_returning(&*transaction)
        .await?;
        transaction.commit().await?;
        state.search.note_trimmed(upto);
        moved = Some(upto);
    }
    Ok(moved)
}
