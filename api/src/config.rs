//! The command line and its configuration: every setting has a flag and an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// infoharbor: the GraphQL API of the China–ASEAN digital economy information exchange.
#[derive(Debug, Parser)]
#[command(name = "infoharbor", version)]
pub struct Cli {
    #[command(flatten)]
    pub storage: StorageConfig,
    #[command(flatten)]
    pub serve: ServeConfig,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default when no command is given).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load data into the database.
    Seed(SeedArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Load content from NDJSON (one item per line; see the README), then index it once.
    Import(ImportArgs),
    /// Rebuild the search index from the database (stop the server first).
    Reindex,
    /// Print the GraphQL schema (SDL) that `schema.graphql` must equal.
    Schema,
}

/// Where the data lives; shared by every command.
#[derive(Debug, Clone, Args)]
pub struct StorageConfig {
    /// Folder for the SQLite database, the search index and the generated JWT secret.
    #[arg(long, env = "HARBOR_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// Database URL: `sqlite://…` or `postgres://…`; defaults to a SQLite file in the data dir.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
}

/// Settings of the HTTP server.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address and port to listen on (port 0 picks a free port).
    #[arg(
        long,
        env = "HARBOR_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: SocketAddr,
    /// Secret that signs access tokens; generated once into the data dir when unset.
    #[arg(long, env = "HARBOR_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "HARBOR_MAX_BODY_BYTES", default_value_t = crate::limits::DEFAULT_MAX_BODY_BYTES, global = true)]
    pub max_body_bytes: usize,
    /// Longest a request may run before it is answered with a timeout, in seconds.
    #[arg(
        long,
        env = "HARBOR_REQUEST_TIMEOUT_SECS",
        default_value_t = crate::limits::DEFAULT_REQUEST_TIMEOUT_SECS,
        global = true
    )]
    pub request_timeout_secs: u64,
    /// Browser origins allowed to call the API (comma-separated); none by default.
    #[arg(
        long,
        env = "HARBOR_CORS_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub cors_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` header names the client (comma-separated IP
    /// addresses or CIDR ranges); none by default. Throttles count the client, so behind a
    /// proxy this must list it, or everyone would share the proxy's address. From any other
    /// peer the header is ignored, since anyone can send it.
    #[arg(
        long,
        env = "HARBOR_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<crate::auth::throttle::IpRange>,
    /// Saved searches each user may keep.
    #[arg(
        long,
        env = "HARBOR_MAX_SAVED_SEARCHES",
        default_value_t = crate::limits::DEFAULT_MAX_SAVED_SEARCHES,
        global = true
    )]
    pub max_saved_searches: usize,
    /// How often the change log is read for other nodes' writes when no notification came, in
    /// milliseconds (PostgreSQL notifies every node at once; this bounds a lost notification).
    #[arg(long, env = "HARBOR_CHANGE_POLL_MS", default_value_t = crate::limits::DEFAULT_CHANGE_POLL_MS, value_parser = clap::value_parser!(u64).range(10..=60_000), global = true)]
    pub change_poll_ms: u64,
    /// How far behind the change log a node may be, in seconds, and still answer `/readyz`
    /// with 200.
    #[arg(long, env = "HARBOR_MAX_LAG_SECS", default_value_t = crate::limits::DEFAULT_MAX_LAG_SECS, value_parser = clap::value_parser!(u64).range(1..=24 * 60 * 60), global = true)]
    pub max_lag_secs: u64,
    /// Change-log entries younger than this many seconds are kept; older ones that every live
    /// node has applied are removed.
    #[arg(long, env = "HARBOR_CHANGE_LOG_RETENTION_SECS", default_value_t = crate::limits::DEFAULT_CHANGE_LOG_RETENTION_SECS, value_parser = clap::value_parser!(u64).range(0..=10 * 365 * 24 * 60 * 60), global = true)]
    pub change_log_retention_secs: u64,
    /// A node not heard from for this many seconds no longer holds back compaction.
    #[arg(long, env = "HARBOR_NODE_TIMEOUT_SECS", default_value_t = crate::limits::DEFAULT_NODE_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=365 * 24 * 60 * 60), global = true)]
    pub node_timeout_secs: u64,
    /// How often a node compacts the change log, in seconds.
    #[arg(long, env = "HARBOR_COMPACT_EVERY_SECS", default_value_t = crate::limits::DEFAULT_COMPACT_EVERY_SECS, value_parser = clap::value_parser!(u64).range(1..=7 * 24 * 60 * 60), global = true)]
    pub compact_every_secs: u64,
    /// What lists of published content read their pages and totals through: `index` (the
    /// search index names each page's items and counts them: milliseconds at any size) or
    /// `database` (a walk and a count of the table: the baseline, and a way to rule the index
    /// out when troubleshooting).
    #[arg(long, env = "HARBOR_LIST_SOURCE", value_enum, default_value_t = ListSource::Index, global = true)]
    pub list_source: ListSource,
}

/// See [`ServeConfig::list_source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ListSource {
    #[default]
    Index,
    Database,
}

impl ServeConfig {
    /// How this node follows the others.
    pub fn cluster(&self) -> crate::service::cluster::ClusterSettings {
        use std::time::Duration;
        crate::service::cluster::ClusterSettings {
            change_poll: Duration::from_millis(self.change_poll_ms),
            max_lag: Duration::from_secs(self.max_lag_secs),
            retention: Duration::from_secs(self.change_log_retention_secs),
            node_timeout: Duration::from_secs(self.node_timeout_secs),
            compact_every: Duration::from_secs(self.compact_every_secs),
        }
    }
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            jwt_secret: None,
            max_body_bytes: crate::limits::DEFAULT_MAX_BODY_BYTES,
            request_timeout_secs: crate::limits::DEFAULT_REQUEST_TIMEOUT_SECS,
            cors_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            max_saved_searches: crate::limits::DEFAULT_MAX_SAVED_SEARCHES,
            change_poll_ms: crate::limits::DEFAULT_CHANGE_POLL_MS,
            max_lag_secs: crate::limits::DEFAULT_MAX_LAG_SECS,
            change_log_retention_secs: crate::limits::DEFAULT_CHANGE_LOG_RETENTION_SECS,
            node_timeout_secs: crate::limits::DEFAULT_NODE_TIMEOUT_SECS,
            compact_every_secs: crate::limits::DEFAULT_COMPACT_EVERY_SECS,
            list_source: ListSource::Index,
        }
    }
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Load the multilingual demo data set and demo users (idempotent).
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The NDJSON file; `-` reads standard input.
    pub file: PathBuf,
    /// Items per database transaction.
    #[arg(long, default_value_t = 1_000)]
    pub batch: usize,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user, or update the one with this email; the password is read from stdin.
    Add(UserAddArgs),
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// The user's e-mail address, used to log in.
    #[arg(long)]
    pub email: String,
    /// secretariat | correspondent | member | investor | user
    #[arg(long)]
    pub role: String,
    /// Display name.
    #[arg(long)]
    pub name: Option<String>,
    /// The user's organisation; created as a member in good standing when new.
    #[arg(long)]
    pub org: Option<String>,
    /// A correspondent's countries (comma-separated ISO codes).
    #[arg(long, value_delimiter = ',')]
    pub countries: Vec<String>,
    /// A correspondent's regions (comma-separated region codes, e.g. MEKONG).
    #[arg(long, value_delimiter = ',')]
    pub regions: Vec<String>,
    /// A correspondent's sectors (comma-separated codes; a category covers its sub-categories).
    #[arg(long, value_delimiter = ',')]
    pub sectors: Vec<String>,
    /// The correspondent may publish without review.
    #[arg(long)]
    pub trusted: bool,
}
