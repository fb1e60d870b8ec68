//! Several `infoharbor serve` processes on one PostgreSQL database, as a deployment runs them
//! behind a load balancer: a [`Cluster`] (the shared database, and a data dir of the operator's
//! for the CLI) starts [`Node`]s, each on a data dir (so a search index) of its own, and a test
//! kills and restarts them. A node's process is killed when the node is dropped, so a failing
//! test leaves no server running, and a node dropped by a panic prints the end of its log.

#![allow(
    dead_code,
    reason = "only tests/cluster.rs uses these; every test binary compiles the support module"
)]

use std::collections::VecDeque;
use std::process::{Child, Output};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, PoisonError};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

use super::{Workspace, command_in, logged_base_url, spawn_server};

/// How many log lines a node keeps to show when a test fails.
const LOG_TAIL_LINES: usize = 200;

/// One PostgreSQL database for several nodes, and the operator's data dir for CLI commands.
pub struct Cluster {
    /// Runs `user add`, `import` and the like on the shared database, from a data dir that no
    /// node uses.
    pub workspace: Workspace,
    database_url: String,
}

impl Cluster {
    /// A fresh, migrated database of its own on the PostgreSQL server named by
    /// INFOHARBOR_TEST_DATABASE_URL; `None`, after saying so, when that is unset or empty.
    pub async fn new() -> Option<Cluster> {
        let configured = matches!(
            std::env::var("INFOHARBOR_TEST_DATABASE_URL"),
            Ok(url) if !url.is_empty()
        );
        if !configured {
            eprintln!(
                "skipped: nodes share a database only on PostgreSQL; set INFOHARBOR_TEST_DATABASE_URL to run this test"
            );
            return None;
        }
        let workspace = Workspace::new().await;
        let database_url = workspace
            .database_url
            .clone()
            .expect("a PostgreSQL database of the test's own");
        // Migrated once here, so that nodes starting together never race to migrate.
        workspace.run(&["migrate"], "");
        Some(Cluster {
            workspace,
            database_url,
        })
    }

    /// Runs a CLI command on the shared database; see [`Workspace::run`].
    pub fn run(&self, arguments: &[&str], stdin: &str) -> Output {
        self.workspace.run(arguments, stdin)
    }

    /// Starts one node per name, all at once, each `serve --bind 127.0.0.1:0` with `flags` on
    /// an empty data dir of its own; returns once each has logged its address (not once it is
    /// ready: see `support::wait_ready`).
    pub fn start_nodes<const N: usize>(&self, names: [&str; N], flags: &[&str]) -> [Node; N] {
        let mut nodes = names.map(|name| Node {
            name: name.to_owned(),
            base_url: String::new(),
            data_dir: tempfile::tempdir().unwrap(),
            database_url: self.database_url.clone(),
            flags: flags.iter().map(|flag| (*flag).to_owned()).collect(),
            process: None,
            log: Arc::default(),
        });
        // Spawned together, then awaited: the nodes start in parallel.
        let addresses = nodes.each_mut().map(Node::launch);
        for (node, address) in nodes.iter_mut().zip(addresses) {
            node.listening(&address);
        }
        nodes
    }

    /// One node; see [`Cluster::start_nodes`].
    pub fn start_node(&self, name: &str, flags: &[&str]) -> Node {
        let [node] = self.start_nodes([name], flags);
        node
    }

    /// A connection of the test's own to the shared database, to look at (or write behind the
    /// servers' backs) what they share.
    pub async fn database(&self) -> DatabaseConnection {
        Database::connect(&self.database_url)
            .await
            .expect("the test connects to the shared database")
    }

    /// Kills `nodes`, then drops the database. A test that fails before this leaves its
    /// database behind, which CI drops with every other `ih_cli_%` one.
    pub async fn finish(self, nodes: impl IntoIterator<Item = Node>) {
        // First, so that no node is left to watch its database vanish.
        for node in nodes {
            drop(node);
        }
        let server = std::env::var("INFOHARBOR_TEST_DATABASE_URL")
            .expect("a cluster exists only on PostgreSQL");
        let (_, name) = self
            .database_url
            .rsplit_once('/')
            .expect("a database URL ends with the database's name");
        let admin = Database::connect(&server)
            .await
            .expect("the test connects to the PostgreSQL server");
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .expect("the test's database is dropped");
    }
}

/// A `serve` process, killed when dropped.
struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One `infoharbor serve` of a cluster, on a data dir of its own that outlives its process, so
/// that it can be restarted on the same search index.
pub struct Node {
    /// What the test calls it in messages: A, B, C.
    pub name: String,
    /// `http://127.0.0.1:PORT`; the port changes at each start.
    pub base_url: String,
    pub data_dir: tempfile::TempDir,
    database_url: String,
    flags: Vec<String>,
    /// `None` while killed.
    process: Option<ServerProcess>,
    /// The end of the log, over every start.
    log: Arc<Mutex<VecDeque<String>>>,
}

impl Node {
    /// Spawns the process; answers the channel its address comes on.
    fn launch(&mut self) -> Receiver<String> {
        let mut arguments = vec!["serve", "--bind", "127.0.0.1:0"];
        arguments.extend(self.flags.iter().map(String::as_str));
        let mut command = command_in(
            self.data_dir.path(),
            Some(self.database_url.as_str()),
            &arguments,
        );
        let log = self.log.clone();
        let (child, address) = spawn_server(&mut command, move |line| remember(&log, line));
        self.process = Some(ServerProcess(child));
        address
    }

    /// Waits for the address the process logs once it listens.
    fn listening(&mut self, address: &Receiver<String>) {
        match logged_base_url(address) {
            Ok(base_url) => self.base_url = base_url,
            Err(error) => panic!(
                "node {} did not log its address ({error}); its log:\n{}",
                self.name,
                self.log_tail()
            ),
        }
    }

    /// `127.0.0.1:PORT`, as the node itself names its address.
    pub fn address(&self) -> &str {
        self.base_url.trim_start_matches("http://")
    }

    /// SIGKILL, as a crash or the OOM killer ends a process: no shutdown code runs.
    pub fn kill(&mut self) {
        let mut process = self
            .process
            .take()
            .unwrap_or_else(|| panic!("node {} is not running", self.name));
        process.0.kill().expect("the node's process is killed");
        process.0.wait().expect("the killed process is reaped");
        remember(
            &self.log,
            &format!("---- node {} killed by the test ----", self.name),
        );
    }

    /// Starts the node again on its data dir, with the same flags (and a new port); returns
    /// once it has logged its address.
    pub fn restart(&mut self) {
        assert!(
            self.process.is_none(),
            "node {} still runs; kill it first",
            self.name
        );
        let address = self.launch();
        self.listening(&address);
    }

    /// The last lines the node logged, requests left out.
    pub fn log_tail(&self) -> String {
        let lines = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        lines.iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "---- the last lines node {} logged ----\n{}",
                self.name,
                self.log_tail()
            );
        }
    }
}

/// Keeps a log line for [`Node::log_tail`]. One line per request would crowd out what a failure
/// needs (the node's own account of its catching up), so those are left out.
fn remember(log: &Mutex<VecDeque<String>>, line: &str) {
    if line.contains("request served") {
        return;
    }
    let mut lines = log.lock().unwrap_or_else(PoisonError::into_inner);
    if lines.len() == LOG_TAIL_LINES {
        lines.pop_front();
    }
    lines.push_back(line.to_owned());
}
