//! The database handle: connects to SQLite or PostgreSQL, counts queries, and serialises
//! SQLite writers so that concurrent writes never meet "database is locked".

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    TransactionTrait,
};
use tokio::sync::{Mutex, MutexGuard};

tokio::task_local! {
    /// Set while a background task (following the change log, the heartbeat, compaction)
    /// runs: its statements are not counted as the requests' own.
    static BACKGROUND: ();
}

/// Runs `work` as background work: its statements stay out of `query_count`, which counts
/// what serving requests costs.
pub async fn in_background<F: Future>(work: F) -> F::Output {
    BACKGROUND.scope((), work).await
}

/// The shared database handle.
#[derive(Clone)]
pub struct Db {
    connection: DatabaseConnection,
    /// SQLite allows one writer at a time; a transaction that starts as a reader and later
    /// writes fails at once with SQLITE_BUSY instead of waiting. Taking this lock before every
    /// write transaction makes writers queue here. PostgreSQL needs no such lock.
    sqlite_write_lock: Option<Arc<Mutex<()>>>,
    query_count: Arc<AtomicU64>,
}

/// A write transaction, holding the SQLite write lock (if any) until it ends.
pub struct WriteTransaction<'a> {
    transaction: DatabaseTransaction,
    _write_guard: Option<MutexGuard<'a, ()>>,
}

impl WriteTransaction<'_> {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.transaction.commit().await
    }
}

impl std::ops::Deref for WriteTransaction<'_> {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.transaction
    }
}

/// The URL to use: the configured one, or a SQLite file in the data dir.
pub fn resolve_url(database_url: Option<&str>, data_dir: &Path) -> String {
    match database_url {
        Some(url) if !url.trim().is_empty() => url.to_owned(),
        _ => format!("sqlite://{}", data_dir.join("infoharbor.db").display()),
    }
}

impl Db {
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        let is_sqlite = url.starts_with("sqlite:");
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            // Short enough that a request fails cleanly soon when the database is away.
            .acquire_timeout(Duration::from_secs(5));
        if is_sqlite {
            options
                .max_connections(8)
                .min_connections(1)
                .map_sqlx_sqlite_opts(|sqlite| {
                    sqlite
                        .create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        // FULL: a commit is on disk before it is acknowledged, even across power loss.
                        .synchronous(SqliteSynchronous::Full)
                        .busy_timeout(Duration::from_secs(10))
                        .foreign_keys(true)
                });
        } else {
            options.max_connections(16).min_connections(1);
        }
        let mut connection = Database::connect(options).await?;
        let query_count = Arc::new(AtomicU64::new(0));
        let counter = query_count.clone();
        connection.set_metric_callback(move |_info| {
            if BACKGROUND.try_with(|_| ()).is_err() {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        Ok(Self {
            connection,
            sqlite_write_lock: is_sqlite.then(|| Arc::new(Mutex::new(()))),
            query_count,
        })
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.connection.get_database_backend()
    }

    /// Statements sent to the database since start, but for background work's (for
    /// `/metrics` and the N+1 tests).
    pub fn query_count(&self) -> u64 {
        self.query_count.load(Ordering::Relaxed)
    }

    pub async fn begin_write(&self) -> Result<WriteTransaction<'_>, DbErr> {
        let write_guard = match &self.sqlite_write_lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
        let transaction = self.connection.begin().await?;
        Ok(WriteTransaction {
            transaction,
            _write_guard: write_guard,
        })
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        self.connection.ping().await.is_ok()
    }
}
