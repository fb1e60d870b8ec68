//! Building and running the server: connect, migrate, load reference data, bind, serve, and
//! shut down gracefully.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use tokio::net::TcpListener;

use crate::auth::password::HashingPool;
use crate::auth::throttle::TrustedProxies;
use crate::auth::token::{TokenKeys, generate_secret, load_or_create_secret};
use crate::config::{ServeConfig, StorageConfig};
use crate::db::{Db, resolve_url};
use crate::metrics::Metrics;
use crate::reference::Reference;
use crate::service::search::SearchService;
use crate::state::AppState;
use search::glossary::Glossary;

/// Opens the database named by `storage`, creating the data dir, and brings its schema up
/// to date.
pub async fn open_database(storage: &StorageConfig) -> anyhow::Result<Db> {
    std::fs::create_dir_all(&storage.data_dir).with_context(|| {
        format!(
            "failed to create the data dir {}",
            storage.data_dir.display()
        )
    })?;
    // The data dir holds password and token hashes, contacts and the signing secret: for
    // this process's user only, whatever the umask.
    restrict(&storage.data_dir, 0o700)?;
    let url = resolve_url(storage.database_url.as_deref(), &storage.data_dir);
    if let Some(path) = sqlite_path(&url) {
        create_private_file(&path)?;
    }
    let db = Db::connect(&url)
        .await
        .context("failed to connect to the database")?;
    // Nodes starting together on one PostgreSQL database migrate one at a time: the first
    // applies what is new, the others find it done.
    let migration_lock = match db.backend() {
        sea_orm::DatabaseBackend::Postgres => Some(
            MigrationLock::take(&url)
                .await
                .context("failed to take the migration lock")?,
        ),
        _ => None,
    };
    Migrator::up(db.connection(), None)
        .await
        .context("failed to migrate the database")?;
    if let Some(lock) = migration_lock {
        lock.release().await;
    }
    Ok(db)
}

/// A PostgreSQL advisory lock held on a connection of its own while migrations run.
struct MigrationLock(sea_orm::DatabaseConnection);

impl MigrationLock {
    const KEY: i64 = 7_158_262;

    async fn take(url: &str) -> Result<Self, sea_orm::DbErr> {
        use sea_orm::ConnectionTrait;
        let mut options = sea_orm::ConnectOptions::new(url.to_owned());
        options
            .max_connections(1)
            .min_connections(1)
            .sqlx_logging(false);
        let connection = sea_orm::Database::connect(options).await?;
        connection
            .execute_unprepared(&format!("SELECT pg_advisory_lock({})", Self::KEY))
            .await?;
        Ok(Self(connection))
    }

    async fn release(self) {
        use sea_orm::ConnectionTrait;
        let _ = self
            .0
            .execute_unprepared(&format!("SELECT pg_advisory_unlock({})", Self::KEY))
            .await;
        let _ = self.0.close().await;
    }
}

/// Keeps large allocations out of glibc's per-thread arenas. After a large block is freed,
/// glibc raises its mmap threshold, and from then on every blocking thread's arena keeps the
/// 19 MiB buffer of each password hash it ran: 100 sign-ups grew the process by 120 MB and it
/// stayed there. A fixed threshold keeps such buffers mapped, so they return to the system.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called once at start, before any
    // thread is spawned.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

/// Sets `path`'s permission bits to `mode` (on Unix; elsewhere the platform's defaults stand).
fn restrict(path: &std::path::Path, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("failed to restrict the permissions of {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// The file of a `sqlite://` URL, without its query string.
fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://")?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

/// Creates the SQLite file with mode 0600 before SQLite does (it would use 0644 under the
/// usual umask), and tightens an existing one with its WAL and shared-memory files. SQLite
/// gives the WAL and shared-memory files it creates later the database file's permissions.
fn create_private_file(path: &std::path::Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .with_context(|| format!("failed to create the database file {}", path.display()))?;
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            restrict(&file, 0o600)?;
        }
    }
    Ok(())
}

/// The state a command needs to call the service layer; `bulk` for the commands that index
/// in bulk (`import`, `reindex`), whose index writer takes more threads than a server's.
pub async fn state(
    storage: &StorageConfig,
    jwt_secret: Option<&str>,
    bulk: bool,
) -> anyhow::Result<AppState> {
    let db = open_database(storage).await?;
    let reference = Reference::load(db.connection())
        .await
        .context("failed to load reference data")?;
    let secret = if db.backend() == sea_orm::DatabaseBackend::Postgres
        && jwt_secret.is_none_or(str::is_empty)
    {
        // Every node on the database signs with the same secret, kept there.
        crate::service::cluster::shared_secret(db.connection(), generate_secret())
            .await
            .context("failed to read the shared signing secret")?
    } else {
        load_or_create_secret(jwt_secret, &storage.data_dir)?
    };
    let throttle = crate::auth::throttle::Throttles::for_database(db.connection());
    let search = SearchService::open(
        &storage.data_dir.join("index"),
        glossary(&storage.data_dir)?,
        bulk,
    )
    .context("failed to open the search index")?;
    Ok(AppState {
        db,
        reference: Arc::new(reference),
        tokens: TokenKeys::new(&secret),
        metrics: Arc::new(Metrics::default()),
        search: Arc::new(search),
        throttle: Arc::new(throttle),
        hashing: Arc::new(HashingPool::for_this_machine()),
        trusted_proxies: Arc::new(Default::default()),
        live: Default::default(),
        max_saved_searches: crate::limits::DEFAULT_MAX_SAVED_SEARCHES,
        lists_from_index: true,
        alerts: crate::service::alerts::AlertQueue::idle(),
        cluster: Arc::default(),
    })
}

/// The glossary in `<data-dir>/glossary.txt` when the operator put one there, else the
/// shipped one; either way with the sectors' and countries' names.
fn glossary(data_dir: &std::path::Path) -> anyhow::Result<Glossary> {
    let path = data_dir.join("glossary.txt");
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Glossary::with_reference(&text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Glossary::shipped()),
        Err(error) => Err(error).with_context(|| format!("failed to read {}", path.display())),
    }
}

/// A server bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
}

impl Application {
    pub async fn build(storage: &StorageConfig, serve: &ServeConfig) -> anyhow::Result<Self> {
        let state = state(storage, serve.jwt_secret.as_deref(), false).await?;
        let cluster = crate::service::cluster::Cluster::new(
            crate::service::cluster::node_id(&storage.data_dir)?,
            serve.cluster(),
        );
        let state = AppState {
            trusted_proxies: Arc::new(TrustedProxies::new(serve.trusted_proxies.clone())),
            max_saved_searches: serve.max_saved_searches,
            lists_from_index: serve.list_source == crate::config::ListSource::Index,
            cluster: Arc::new(cluster),
            ..state
        };
        let (alerts, alert_worker) = crate::service::alerts::AlertQueue::start(&state);
        let state = AppState { alerts, ..state };
        tokio::spawn(alert_worker);
        let schema = crate::graphql::build(state.clone());
        let router = crate::http::router(state.clone(), schema, serve);
        tokio::spawn(crate::db::in_background(crate::service::search::run(
            state.clone(),
        )));
        let listener = TcpListener::bind(serve.bind)
            .await
            .with_context(|| format!("failed to listen on {}", serve.bind))?;
        if let Ok(address) = listener.local_addr() {
            state.cluster.set_address(address.to_string());
        }
        crate::service::cluster::start(&state);
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
