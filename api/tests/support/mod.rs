//! What the tests that start the real `infoharbor` binary share: a [`Workspace`] (a data dir
//! and, when INFOHARBOR_TEST_DATABASE_URL is set, a PostgreSQL database of its own) that runs
//! the binary's commands and serves, and the few HTTP calls every such test makes. Several
//! servers on one database (a cluster) are in [`cluster`].

pub mod cluster;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

pub const BINARY: &str = env!("CARGO_BIN_EXE_infoharbor");

/// The binary a [`Workspace`] runs: this build's, or another build named by
/// `INFOHARBOR_TEST_BINARY` (to measure a baseline with the same tests, as the relevance set
/// does for BENCHMARKS.md).
pub fn binary() -> String {
    std::env::var("INFOHARBOR_TEST_BINARY").unwrap_or_else(|_| BINARY.to_owned())
}

/// A data dir and, on PostgreSQL, a database of its own.
pub struct Workspace {
    pub data_dir: tempfile::TempDir,
    pub database_url: Option<String>,
}

impl Workspace {
    pub async fn new() -> Workspace {
        let data_dir = tempfile::tempdir().unwrap();
        let database_url = match std::env::var("INFOHARBOR_TEST_DATABASE_URL") {
            Ok(server) if !server.is_empty() => {
                let name = format!("ih_cli_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&server).await.unwrap();
                admin
                    .execute_raw(Statement::from_string(
                        admin.get_database_backend(),
                        format!("CREATE DATABASE {name}"),
                    ))
                    .await
                    .unwrap();
                Some(format!("{}/{name}", server.rsplit_once('/').unwrap().0))
            }
            _ => None,
        };
        Workspace {
            data_dir,
            database_url,
        }
    }

    pub fn command(&self, arguments: &[&str]) -> Command {
        command_in(
            self.data_dir.path(),
            self.database_url.as_deref(),
            arguments,
        )
    }

    pub fn run(&self, arguments: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(arguments)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{arguments:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Starts `serve` on a free port and returns it with its base URL, read from its log.
    #[allow(
        dead_code,
        reason = "tests/cluster.rs starts its servers as cluster nodes instead"
    )]
    pub fn serve(&self) -> (Child, String) {
        let (child, address) = spawn_server(
            &mut self.command(&["serve", "--bind", "127.0.0.1:0"]),
            |_line| {},
        );
        let base_url =
            logged_base_url(&address).expect("the server logs its address within a minute");
        (child, base_url)
    }
}

/// The binary with `arguments`, on `data_dir` and the database at `database_url` (the SQLite
/// file in the data dir when `None`), logging at info level and never with a JWT secret from
/// the caller's environment.
pub fn command_in(data_dir: &Path, database_url: Option<&str>, arguments: &[&str]) -> Command {
    let mut command = Command::new(binary());
    command
        .args(["--data-dir", data_dir.to_str().unwrap()])
        .args(arguments)
        .env_remove("HARBOR_JWT_SECRET")
        .env("RUST_LOG", "info");
    match database_url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    command
}

/// Spawns a `serve` command. A thread reads its whole log, so the server never blocks on a
/// full pipe, hands each line to `on_line`, and sends every address the log names
/// (`address=127.0.0.1:PORT`) on the returned channel; see [`logged_base_url`].
pub fn spawn_server(
    command: &mut Command,
    mut on_line: impl FnMut(&str) + Send + 'static,
) -> (Child, Receiver<String>) {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = BufReader::new(child.stderr.take().unwrap());
    let (address_sender, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in log.lines().map_while(Result::ok) {
            if let Some(rest) = line.split("address=").nth(1) {
                let _ = address_sender.send(
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
            on_line(&line);
        }
    });
    (child, address)
}

/// The base URL (`http://127.0.0.1:PORT`) of a server from [`spawn_server`], once it logs
/// that it listens; an error when it does not within a minute or its log ends first.
pub fn logged_base_url(address: &Receiver<String>) -> Result<String, RecvTimeoutError> {
    let address = address.recv_timeout(Duration::from_secs(60))?;
    Ok(format!("http://{address}"))
}

pub async fn graphql(base_url: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = reqwest::Client::new()
        .post(format!("{base_url}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

pub async fn login(base_url: &str, email: &str, password: &str) -> String {
    let answer = graphql(
        base_url,
        None,
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
        json!({ "e": email, "p": password }),
    )
    .await;
    answer["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("login failed: {answer}"))
        .to_owned()
}

#[allow(
    dead_code,
    reason = "tests/cluster.rs kills its nodes: open websockets would hold up a graceful stop"
)]
pub fn terminate(mut child: Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(
        exit.success(),
        "a SIGTERM ends the server cleanly, got {exit}"
    );
}

/// Waits until `/readyz` answers 200: the server has caught up its search index.
pub async fn wait_ready(base_url: &str) {
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        if let Ok(response) = client.get(format!("{base_url}/readyz")).send().await
            && response.status() == 200
        {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not become ready"
        );
        // Polling another process's readiness; nothing in this process to wait on instead.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
