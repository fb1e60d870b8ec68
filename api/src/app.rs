//! Building and running the server: connect, migrate, load reference data, bind, serve, and
//! shut down gracefully.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use tokio::net::TcpListener;

use crate::auth::token::{TokenKeys, load_or_create_secret};
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
    let url = resolve_url(storage.database_url.as_deref(), &storage.data_dir);
    let db = Db::connect(&url)
        .await
        .context("failed to connect to the database")?;
    Migrator::up(db.connection(), None)
        .await
        .context("failed to migrate the database")?;
    Ok(db)
}

/// The state a command needs to call the service layer.
pub async fn state(storage: &StorageConfig, jwt_secret: Option<&str>) -> anyhow::Result<AppState> {
    let db = open_database(storage).await?;
    let reference = Reference::load(db.connection())
        .await
        .context("failed to load reference data")?;
    let secret = load_or_create_secret(jwt_secret, &storage.data_dir)?;
    let search = SearchService::open(
        &storage.data_dir.join("index"),
        glossary(&storage.data_dir)?,
    )
    .context("failed to open the search index")?;
    Ok(AppState {
        db,
        reference: Arc::new(reference),
        tokens: TokenKeys::new(&secret),
        metrics: Arc::new(Metrics::default()),
        search: Arc::new(search),
        throttle: Arc::new(Default::default()),
    })
}

/// The glossary in `<data-dir>/glossary.txt` when the operator put one there, else the
/// shipped one.
fn glossary(data_dir: &std::path::Path) -> anyhow::Result<Glossary> {
    let path = data_dir.join("glossary.txt");
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Glossary::parse(&text)),
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
        let state = state(storage, serve.jwt_secret.as_deref()).await?;
        let schema = crate::graphql::build(state.clone());
        let router = crate::http::router(state.clone(), schema, serve);
        tokio::spawn(crate::service::search::run(state.clone()));
        let listener = TcpListener::bind(serve.bind)
            .await
            .with_context(|| format!("failed to listen on {}", serve.bind))?;
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
